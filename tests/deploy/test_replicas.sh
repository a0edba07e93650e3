#!/usr/bin/env bash
# Integration test of scripts/replicas.sh (docs/deploy.md): 2 replicas of qwen2-tiny behind
# nginx; `odma loadgen` streams requests through nginx; one replica is SIGKILLed in the middle of
# the run. Checks:
#   (a) the other replica keeps serving: loadgen completes, and every request nginx routed to the
#       live replica succeeded;
#   (b) the requests that were on the killed replica fail with a clear error (nginx's 502 JSON,
#       a transport error, or a stream without [DONE]) and nothing hangs: each phase has a hard
#       time limit;
#   (c) after the kill, a follow-up batch of M requests all succeed, all answered by the live
#       replica, whose request_success_total rises by exactly M; the /ready check marks the dead
#       replica down in nginx;
#   (d) the books balance: loadgen's completed + failed == sent; nginx's access log has one line
#       per request, and its lines answered by the live replica == the live replica's success
#       delta (exact); completed − live delta (= what the killed replica delivered) lies within
#       the killed replica's last-scraped success count ± what it was running at that scrape;
#       generation_tokens_total agrees (exact for the live replica).
# Then SIGTERM to replicas.sh must stop every process it started.
#
#   tests/deploy/test_replicas.sh [path/to/odma]      (default ./build/odma; run from anywhere)
#
# Exit 0 = pass, 1 = fail (with the reason), 77 = skipped (nginx not installed).
set -uo pipefail

ODMA=${1:-./build/odma}
case "$ODMA" in /*) ;; *) ODMA="$PWD/$ODMA" ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
REPO=$PWD

NUM=300            # phase 1 requests
RATE=50            # requests/s (Poisson): ~6 s of arrivals
OUT=128            # tokens per request (--ignore-eos: exactly)
CONC=32
KILL_AT=100        # kill once this many phase-1 requests succeeded (about a third)
M=60               # phase 2 requests
MODEL=data/models/qwen2-tiny

T0=$SECONDS
fail() { echo "FAIL: $*" >&2; exit 1; }
info() { echo "test_replicas: $*"; }

[ -x "$ODMA" ] || fail "odma binary '$ODMA' not found"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "SKIP: nginx not installed (apt-get install -y nginx; scripts/setup.sh)"; exit 77
fi
export PATH="$PATH:/usr/sbin"
for t in curl python3 setsid timeout; do command -v $t >/dev/null || fail "$t not found"; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odma-test-replicas.XXXXXX")
RS_PID=""
LG_PID=""
REPLICA_PIDS=()
NGINX_PID=""
PASSED=0

# ours PID NAME: PID is alive and its command line mentions NAME (not a reused PID).
ours() { [ -n "${1:-}" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q "$2"; }

cleanup() {
  local rc=$?
  set +e
  [ -n "$LG_PID" ] && kill -KILL "$LG_PID" 2>/dev/null
  if [ -n "$RS_PID" ] && kill -0 "$RS_PID" 2>/dev/null; then
    kill -TERM "$RS_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RS_PID" 2>/dev/null
  fi
  # Whatever replicas.sh did not stop (it was killed, or failed): the PIDs it reported, each only
  # while it is still that program.
  local p
  if ours "$NGINX_PID" nginx; then
    pkill -KILL -P "$NGINX_PID" 2>/dev/null; kill -KILL "$NGINX_PID" 2>/dev/null
  fi
  for p in "${REPLICA_PIDS[@]}"; do ours "$p" odma && kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$PASSED" -ne 1 ]; then
    echo "--- replicas.sh output ---" >&2; tail -n 30 "$TMP/replicas.out" >&2 2>/dev/null
    for f in "$TMP"/run/replica-*.log "$TMP"/run/error.log "$TMP"/phase1.log; do
      [ -f "$f" ] && { echo "--- $f (tail) ---" >&2; tail -n 15 "$f" >&2; }
    done
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- metrics helpers (curl + awk: cheap enough to poll every 50 ms) ----------------------------
scrape() { curl -s -m 2 "http://127.0.0.1:$1/metrics"; }
# successes (finished_reason stop|length; "abort" is a cancellation), running, waiting, generated
parse() {
  awk '
    /^#/ { next }
    index($1, "odma:request_success_total{") == 1 && $1 ~ /finished_reason="(stop|length)"/ { s += $NF }
    index($1, "odma:num_requests_running{") == 1 { r += $NF }
    index($1, "odma:num_requests_waiting{") == 1 { w += $NF }
    index($1, "odma:generation_tokens_total{") == 1 { g += $NF }
    END { printf "%d %d %d %d\n", s, r, w, g }'
}
stats() { scrape "$1" | parse; }   # -> "successes running waiting generated"

# --- start 2 replicas + nginx through the script under test ------------------------------------
info "starting 2 replicas of $MODEL behind nginx"
# --exit-with: should this test be killed outright (no trap), replicas.sh stops everything itself.
bash "$REPO/scripts/replicas.sh" 2 --odma "$ODMA" --model "$MODEL" --base-port 0 --lb-port 0 \
  --run-dir "$TMP/run" --check-interval 0.5 --exit-with $$ --kv-memory 16MiB --shutdown-timeout 2 \
  >"$TMP/replicas.out" 2>&1 </dev/null &
RS_PID=$!
for _ in $(seq 1 300); do
  grep -q '^replicas.sh: ready' "$TMP/replicas.out" 2>/dev/null && break
  kill -0 "$RS_PID" 2>/dev/null || fail "replicas.sh exited before it was ready"
  sleep 0.1
done
grep -q '^replicas.sh: ready' "$TMP/replicas.out" || fail "replicas.sh not ready after 30 s"
# shellcheck disable=SC1091
source "$TMP/run/state.env"
[ ${#REPLICA_PORTS[@]} -eq 2 ] || fail "state.env lists ${#REPLICA_PORTS[@]} replicas, not 2"
LIVE=0 VICTIM=1
LIVE_PORT=${REPLICA_PORTS[LIVE]} VICTIM_PORT=${REPLICA_PORTS[VICTIM]}
VICTIM_PID=${REPLICA_PIDS[VICTIM]}
info "load balancer $LB_URL; live replica :$LIVE_PORT, victim :$VICTIM_PORT (pid $VICTIM_PID)"
ACCESS="$TMP/run/access.log"

# A stream through nginx arrives as SSE, chunked, ending in [DONE].
curl -s -N -m 10 -D "$TMP/h.txt" "$LB_URL/v1/completions" -H 'Content-Type: application/json' \
  -d '{"prompt": "Once upon a time", "max_tokens": 8, "stream": true}' >"$TMP/s.txt" ||
  fail "a streamed request through nginx failed"
grep -qi '^content-type: text/event-stream' "$TMP/h.txt" || fail "no text/event-stream through nginx"
grep -qi '^transfer-encoding: chunked' "$TMP/h.txt" || fail "the stream is not chunked through nginx"
grep -q '^data: \[DONE\]' "$TMP/s.txt" || fail "the stream through nginx has no [DONE]"

# --- phase 1: loadgen through nginx, SIGKILL the victim after KILL_AT successes ----------------
read -r L_S0 _ _ L_G0 <<<"$(stats "$LIVE_PORT")"
read -r V_S0 _ _ V_G0 <<<"$(stats "$VICTIM_PORT")"
LOG_BEFORE=$(grep -c ' "POST /v1/completions ' "$ACCESS")
info "phase 1: $NUM streamed requests at $RATE/s (max concurrency $CONC, $OUT tokens each)"
timeout 45 "$ODMA" loadgen --base-url "$LB_URL" --dataset alpaca --num-prompts "$NUM" \
  --request-rate "$RATE" --max-concurrency "$CONC" --output-len "$OUT" --ignore-eos \
  --timeout 30 --json "$TMP/phase1.json" >"$TMP/phase1.log" 2>&1 &
LG_PID=$!
LG_START=$SECONDS

# running_of TEXT: sets RUNNING to odma:num_requests_running of a scrape, by string operations
# only (no fork, so the kill follows the scrape within microseconds).
running_of() {
  local r=${1#*$'\n'odma:num_requests_running\{*\} }
  RUNNING=0
  [ "$r" = "$1" ] && return
  r=${r%%$'\n'*}
  r=${r%%.*}
  [[ "$r" =~ ^[0-9]+$ ]] && RUNNING=$r
}
killed=0
armed=0
while kill -0 "$LG_PID" 2>/dev/null; do
  if [ "$armed" -eq 0 ]; then
    read -r ls _ _ _ <<<"$(stats "$LIVE_PORT")"
    read -r vs _ _ _ <<<"$(stats "$VICTIM_PORT")"
    [ $(( ls - L_S0 + vs - V_S0 )) -ge "$KILL_AT" ] && armed=1
  fi
  if [ "$armed" -eq 1 ]; then
    vm=$(scrape "$VICTIM_PORT")
    running_of "$vm"
    if [ "$RUNNING" -ge 2 ]; then
      # The victim's last scrape and the kill back to back: what it reported then is what it
      # had finished, give or take what it was running (V_R) at that instant.
      kill -KILL "$VICTIM_PID"
      killed=1
      break
    fi
  fi
  sleep 0.02
done
read -r V_S V_R V_W V_G <<<"$(parse <<<"${vm:-}")"
[ "$killed" -eq 1 ] || fail "loadgen finished before the kill point ($KILL_AT successes with the victim running >= 2)"
K=$(( V_S - V_S0 ))
info "killed the victim right after its scrape: success $K, running $V_R, waiting $V_W, generated $((V_G - V_G0)); live replica's success then: $(( ls - L_S0 ))"

wait "$LG_PID"; LG_RC=$?; LG_PID=""
LG_SECS=$(( SECONDS - LG_START ))
[ "$LG_RC" -ne 124 ] && [ "$LG_RC" -ne 137 ] || fail "(b) phase 1 loadgen hung: still running after 45 s"
[ -f "$TMP/phase1.json" ] || fail "phase 1 loadgen wrote no JSON (rc $LG_RC)"
sleep 0.3   # nginx writes a request's log line as it finalizes it
read -r COMPLETED FAILED TOTAL_OUT <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["completed"], d["failed"], d["total_output_tokens"])' "$TMP/phase1.json")"
info "phase 1 done in ${LG_SECS} s (rc $LG_RC): completed $COMPLETED, failed $FAILED"

# (a) the live replica kept serving
kill -0 "${REPLICA_PIDS[LIVE]}" 2>/dev/null || fail "(a) the live replica died"
[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$LIVE_PORT/health")" = 200 ] ||
  fail "(a) the live replica's /health is not 200"
read -r L_S1 _ _ L_G1 <<<"$(stats "$LIVE_PORT")"
L=$(( L_S1 - L_S0 ))
LG_L=$(( L_G1 - L_G0 ))

# nginx's access log of phase 1: one line per client request; the last of its upstreams answered.
read -r LOG_N LOG_LIVE LOG_VICTIM LOG_LIVE_OK RETRIED_V <<<"$(python3 - "$ACCESS" "$LOG_BEFORE" "$LIVE_PORT" "$VICTIM_PORT" <<'EOF'
import re, sys
path, skip, live, victim = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = [l for l in open(path) if ' "POST /v1/completions ' in l][skip:]
n = n_live = n_victim = n_live_ok = retried_v = 0
for l in lines:
    m = re.search(r'" (\d{3}) \d+ rt=\S+ up="([^"]*)"', l)
    status, ups = m.group(1), [u.strip().rsplit(":", 1)[-1] for u in m.group(2).split(",")]
    n += 1
    if ups[-1] == live:
        n_live += 1
        n_live_ok += status == "200"
        retried_v += victim in ups[:-1]   # tried on the victim first, answered by the live one
    elif ups[-1] == victim:
        n_victim += 1
print(n, n_live, n_victim, n_live_ok, retried_v)
EOF
)"
C_V=$(( COMPLETED - L ))   # requests the victim delivered in full before it died
info "nginx log: $LOG_N requests: $LOG_LIVE answered by the live replica ($LOG_LIVE_OK with 200, $RETRIED_V of them first tried on the victim), $LOG_VICTIM by the victim"
info "live replica: success +$L, generated +$LG_L; so the victim delivered $C_V"

# (a) every request nginx gave the live replica succeeded, and the replica counted each
[ "$LOG_N" -eq "$NUM" ] || fail "(d) nginx logged $LOG_N phase-1 requests, loadgen sent $NUM"
[ $(( LOG_LIVE + LOG_VICTIM )) -eq "$NUM" ] || fail "(d) nginx log: $LOG_LIVE + $LOG_VICTIM requests by the replicas != $NUM"
[ "$LOG_LIVE_OK" -eq "$LOG_LIVE" ] || fail "(a) $((LOG_LIVE - LOG_LIVE_OK)) requests answered by the live replica were not 200"
[ "$L" -eq "$LOG_LIVE" ] || fail "(a) the live replica's success count rose by $L, nginx routed $LOG_LIVE requests to it"

# (b) what was on the victim failed with a clear error, or (not started yet) was retried
python3 - "$TMP/phase1.json" <<'EOF' || fail "(b) a failed request has an unclear error (above)"
import json, re, sys, collections
errors = [e for e in json.load(open(sys.argv[1]))["errors"] if e]
clear = re.compile(r'^(HTTP 50[234]: |transport error: |the stream ended without \[DONE\]|error event: )')
for k, n in collections.Counter(e[:60] for e in errors).most_common():
    print(f"test_replicas:   {n:4d} x {k}")
bad = [e for e in errors if not clear.match(e)]
if bad:
    print("unclear errors:", bad[:3], file=sys.stderr)
    sys.exit(1)
EOF
EXPECT_RC=0; [ "$FAILED" -gt 0 ] && EXPECT_RC=1
[ "$LG_RC" -eq "$EXPECT_RC" ] || fail "(b) loadgen exited $LG_RC with $FAILED failed requests (expected $EXPECT_RC)"
# Only requests the victim had accepted can fail (nothing else was lost): at most running + waiting.
[ "$FAILED" -le $(( V_R + V_W )) ] || fail "(b) $FAILED failed, more than the victim's running $V_R + waiting $V_W at the kill"
# Each request running on the victim at the kill ended one way: failed mid-stream, or retried on the
# live replica by nginx (it had sent no byte yet), or finished in the microseconds before the kill
# (C_V - K; a request counted at the scrape but not delivered is in FAILED, which cancels it).
[ $(( FAILED + RETRIED_V + C_V - K )) -ge "$V_R" ] ||
  fail "(b) of the $V_R requests running on the victim, only $FAILED failed + $RETRIED_V retried + $((C_V - K)) finished"

# (d) the books
[ $(( COMPLETED + FAILED )) -eq "$NUM" ] || fail "(d) completed $COMPLETED + failed $FAILED != sent $NUM"
[ "$LG_L" -eq $(( L * OUT )) ] || fail "(d) the live replica generated $LG_L tokens, expected $L x $OUT"
[ "$TOTAL_OUT" -eq $(( COMPLETED * OUT )) ] || fail "(d) loadgen counted $TOTAL_OUT output tokens, expected $COMPLETED x $OUT"
[ "$C_V" -ge 0 ] && [ "$C_V" -le "$LOG_VICTIM" ] || fail "(d) the victim delivered $C_V of the $LOG_VICTIM requests nginx left with it"
[ "$FAILED" -eq $(( LOG_VICTIM - C_V )) ] || fail "(d) failed $FAILED != the victim's $LOG_VICTIM - delivered $C_V"
# The victim's last scrape came microseconds before the kill: a request that finished after it was
# running at it, so C_V <= K + V_R; one counted at it but whose last bytes had not reached the
# client (so it failed) was among the last to finish, bounded by the same V_R.
[ "$C_V" -ge $(( K - V_R )) ] && [ "$C_V" -le $(( K + V_R )) ] ||
  fail "(d) the victim delivered $C_V, outside its last-scraped success $K +- running $V_R"
VG=$(( V_G - V_G0 ))
[ "$VG" -ge $(( K * OUT )) ] && [ "$VG" -le $(( (K + V_R + V_W) * OUT )) ] ||
  fail "(d) the victim's generated tokens $VG outside [$K x $OUT, ($K + $V_R + $V_W) x $OUT]"
info "books: sent $NUM = completed $COMPLETED + failed $FAILED; completed = live $L + victim $C_V (victim's last scrape: $K done, $V_R running)"

# --- phase 2: after the kill, everything goes to the live replica ------------------------------
read -r L_S2 _ _ _ <<<"$(stats "$LIVE_PORT")"
LOG_BEFORE=$(grep -c ' "POST /v1/completions ' "$ACCESS")
info "phase 2: $M requests after the kill"
timeout 30 "$ODMA" loadgen --base-url "$LB_URL" --dataset alpaca --num-prompts "$M" \
  --request-rate inf --max-concurrency 8 --output-len 16 --ignore-eos --seed 2 --timeout 20 \
  --json "$TMP/phase2.json" >"$TMP/phase2.log" 2>&1
P2_RC=$?
[ "$P2_RC" -eq 0 ] || { tail -n 5 "$TMP/phase2.log" >&2; fail "(c) phase 2 loadgen exited $P2_RC: not every request succeeded"; }
sleep 0.3
read -r P2_DONE P2_FAILED <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); print(d["completed"], d["failed"])' "$TMP/phase2.json")"
[ "$P2_DONE" -eq "$M" ] && [ "$P2_FAILED" -eq 0 ] || fail "(c) phase 2: completed $P2_DONE, failed $P2_FAILED of $M"
read -r L_S3 _ _ _ <<<"$(stats "$LIVE_PORT")"
[ $(( L_S3 - L_S2 )) -eq "$M" ] || fail "(c) the live replica's success count rose by $((L_S3 - L_S2)), not $M"
P2_LIVE=$(tail -n +"$((LOG_BEFORE + 1))" <(grep ' "POST /v1/completions ' "$ACCESS") |
  grep -c " 200 .* up=\"[^\"]*127.0.0.1:$LIVE_PORT\"")
[ "$P2_LIVE" -eq "$M" ] || fail "(c) nginx logged $P2_LIVE of $M phase-2 requests as answered 200 by the live replica"
for _ in $(seq 1 50); do
  grep -q "127.0.0.1:$VICTIM_PORT .* down;" "$TMP/run/upstream.conf" && break
  sleep 0.1
done
grep -q "127.0.0.1:$VICTIM_PORT .* down;" "$TMP/run/upstream.conf" ||
  fail "(c) the /ready check did not mark the dead replica down in upstream.conf"
info "phase 2: all $M succeeded on the live replica (+$M successes); the dead replica is marked down"

# --- stop: SIGTERM to replicas.sh stops everything ---------------------------------------------
kill -TERM "$RS_PID"
for _ in $(seq 1 100); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RS_PID" 2>/dev/null && fail "replicas.sh still running 10 s after SIGTERM"
wait "$RS_PID" 2>/dev/null
RS_PID=""
sleep 0.2
for p in "${REPLICA_PIDS[@]}" "$NGINX_PID"; do
  kill -0 "$p" 2>/dev/null && fail "pid $p still running after replicas.sh stopped"
done
curl -s -m 1 -o /dev/null "$LB_URL/health" && fail "the load balancer still answers after the stop"

PASSED=1
info "PASS in $(( SECONDS - T0 )) s"
