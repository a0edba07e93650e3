#!/usr/bin/env bash
# Integration test of scripts/replicas.sh (docs/deploy.md): 2 replicas of qwen2-tiny behind
# nginx; `odma loadgen` streams 300 requests through nginx; one replica is SIGKILLed a third of
# the way through, while nginx has streams open to it. Checks:
#   (a) the other replica keeps serving: loadgen completes, every request nginx's access log shows
#       answered by the live replica got 200, and its request_success_total rose by exactly that;
#   (b) what was on the killed replica ends clearly: each failure is an HTTP 50x, a transport
#       error or a stream without [DONE]; each connection nginx had open to the (frozen) victim
#       is a failed request or one nginx retried on the live replica; nothing hangs (every phase
#       has a hard time limit);
#   (c) after the kill, M more requests all succeed, all answered by the live replica, whose
#       success count rises by exactly M; the /ready check marks the dead replica down;
#   (d) the books balance: completed + failed == sent; nginx logged one line per request; what
#       the victim delivered (completed - the live replica's delta, exact) lies within its
#       last-scraped success count K: K - failed <= delivered <= K + running; the generation
#       counters agree (exact for the live replica).
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
# shellcheck source=../../scripts/serve_lib.sh
source "$REPO/scripts/serve_lib.sh"

NUM=300            # phase 1 requests
RATE=inf           # as fast as CONC allows: CONC requests in flight at any time
OUT=64             # tokens per request (--ignore-eos: exactly)
CONC=32
SEQS=2             # --max-num-seqs: the replicas, not loadgen, are the bottleneck, so each holds
                   # ~CONC/2 open streams (SEQS generating, the rest waiting) whatever the speed
KILL_AT=100        # kill once this many phase-1 requests succeeded (about a third)
M=60               # phase 2 requests
MODEL=${ODMA_TEST_MODEL:-data/models/qwen2-tiny}   # another small model: ODMA_TEST_MODEL=DIR

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

# --- metrics helpers (curl + awk) ---------------------------------------------------------------
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
nice -n 5 bash "$REPO/scripts/replicas.sh" 2 --odma "$ODMA" --model "$MODEL" --base-port 0 --lb-port 0 \
  --run-dir "$TMP/run" --check-interval 0.5 --exit-with $$ \
  --kv-memory 16MiB --max-num-seqs "$SEQS" --shutdown-timeout 2 \
  >"$TMP/replicas.out" 2>&1 </dev/null &
RS_PID=$!
wait_replicas_ready "$RS_PID" "$TMP/replicas.out" "$TMP/run" 30 || fail "see replicas.sh's output"
[ ${#REPLICA_PORTS[@]} -eq 2 ] || fail "state.env lists ${#REPLICA_PORTS[@]} replicas, not 2"
info "load balancer $LB_URL; replicas :${REPLICA_PORTS[0]} (pid ${REPLICA_PIDS[0]}), :${REPLICA_PORTS[1]} (pid ${REPLICA_PIDS[1]})"
ACCESS="$TMP/run/access.log"

# A stream through nginx arrives as SSE, chunked, ending in [DONE].
curl -s -N -m 10 -D "$TMP/h.txt" "$LB_URL/v1/completions" -H 'Content-Type: application/json' \
  -d '{"prompt": "Once upon a time", "max_tokens": 8, "stream": true}' >"$TMP/s.txt" ||
  fail "a streamed request through nginx failed"
grep -qi '^content-type: text/event-stream' "$TMP/h.txt" || fail "no text/event-stream through nginx"
grep -qi '^transfer-encoding: chunked' "$TMP/h.txt" || fail "the stream is not chunked through nginx"
grep -q '^data: \[DONE\]' "$TMP/s.txt" || fail "the stream through nginx has no [DONE]"

# --- phase 1: loadgen through nginx, SIGKILL replica 1 after KILL_AT successes -----------------
# CONC requests in flight, least_conn, and --max-num-seqs SEQS: the replicas are the bottleneck, so
# each holds ~CONC/2 open streams (SEQS generating, the rest waiting with their 200 already sent),
# and the kill lands on open streams whatever the machine's speed.
LIVE=0 VICTIM=1
LIVE_PORT=${REPLICA_PORTS[LIVE]} VICTIM_PORT=${REPLICA_PORTS[VICTIM]} VICTIM_PID=${REPLICA_PIDS[VICTIM]}
read -r L_S0 _ _ L_G0 <<<"$(stats "$LIVE_PORT")"
read -r V_S0 _ _ V_G0 <<<"$(stats "$VICTIM_PORT")"
LOG_BEFORE=$(grep -c ' "POST /v1/completions ' "$ACCESS")
info "phase 1: $NUM streamed requests, $CONC in flight at a time, $OUT tokens each; replica $VICTIM (:$VICTIM_PORT) will be killed"
timeout 45 "$ODMA" loadgen --base-url "$LB_URL" --dataset alpaca --num-prompts "$NUM" \
  --request-rate "$RATE" --max-concurrency "$CONC" --output-len "$OUT" --ignore-eos \
  --timeout 30 --json "$TMP/phase1.json" >"$TMP/phase1.log" 2>&1 &
LG_PID=$!
LG_START=$SECONDS
# The kill, by one python3 process (no fork per sample, so it keeps up on 2 busy cores): every
# 20 ms it reads both replicas' request_success_total; once KILL_AT phase-1 requests succeeded it
# scrapes the victim's /metrics and SIGSTOPs it at once (microseconds later: nothing moves any
# more, its connections stay as they are), counts the connections nginx has open to it (the
# server side of established TCP connections on its port, /proc/net/tcp; one may be a /ready
# check) and SIGKILLs it if there are >= 2 (streams to cut), else SIGCONTs it and tries again.
# Prints "killed OPEN LIVE_SUCCESSES" and leaves the victim's last scrape in $TMP/victim.metrics.
python3 - "$LIVE_PORT" "$VICTIM_PORT" "$VICTIM_PID" "${REPLICA_PIDS[LIVE]}" "$LG_PID" \
  "$KILL_AT" "$L_S0" "$V_S0" "$TMP/victim.metrics" >"$TMP/monitor.out" 2>&1 <<'EOF'
import os, re, signal, socket, sys, time
live_port, victim_port, victim_pid, live_pid, lg_pid, kill_at, l0, v0 = map(int, sys.argv[1:9])
out_path = sys.argv[9]
success = re.compile(r'^odma:request_success_total\{[^}]*finished_reason="(?:stop|length)"[^}]*\} (\S+)$', re.M)

def scrape(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
    data = b""
    while chunk := s.recv(1 << 16):
        data += chunk
    s.close()
    return data.split(b"\r\n\r\n", 1)[-1].decode()

def successes(text):
    return sum(int(float(v)) for v in success.findall(text))

def is_odma(pid):
    try:
        return b"odma" in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False

def open_conns(port):
    hexport = ":%04X" % port
    with open("/proc/net/tcp") as f:
        next(f)
        return sum(1 for l in f if l.split()[1].endswith(hexport) and l.split()[3] == "01")

tries = 0
while True:
    for name, pid in (("live", live_pid), ("victim", victim_pid)):
        if not is_odma(pid):
            print(f"crash the {name} replica (pid {pid}) exited on its own before the kill")
            sys.exit(1)
    if not os.path.exists(f"/proc/{lg_pid}") or open(f"/proc/{lg_pid}/stat").read().split()[2] == "Z":
        print(f"late loadgen finished before the kill ({tries} freezes found < 2 connections open)")
        sys.exit(1)
    ls = successes(scrape(live_port))
    if ls - l0 + successes(scrape(victim_port)) - v0 >= kill_at:
        text = scrape(victim_port)
        os.kill(victim_pid, signal.SIGSTOP)
        n = open_conns(victim_port)
        if n >= 2:
            os.kill(victim_pid, signal.SIGKILL)
            open(out_path, "w").write(text)
            print(f"killed {n} {ls}")
            sys.exit(0)
        os.kill(victim_pid, signal.SIGCONT)
        tries += 1
    time.sleep(0.02)
EOF
read -r verdict OPEN ls <"$TMP/monitor.out"
case "$verdict" in
  killed) ;;
  crash) fail "$(cut -d" " -f2- "$TMP/monitor.out") (a crash? its log is below)" ;;
  late) fail "$(cut -d' ' -f2- "$TMP/monitor.out")" ;;
  *) fail "the kill monitor failed: $(tail -n 3 "$TMP/monitor.out")" ;;
esac
vm=$(cat "$TMP/victim.metrics")
read -r V_S V_R V_W V_G <<<"$(parse <<<"$vm")"
K=$(( V_S - V_S0 ))
for _ in $(seq 1 20); do
  curl -s -m 1 -o /dev/null "http://127.0.0.1:$VICTIM_PORT/health" || break
  sleep 0.1
done
curl -s -m 1 -o /dev/null "http://127.0.0.1:$VICTIM_PORT/health" && fail "the victim still answers 2 s after SIGKILL"
info "killed replica $VICTIM with $OPEN connections open to it; its last scrape: success $K, running $V_R, waiting $V_W, generated $((V_G - V_G0)); the live one's success then: $(( ls - L_S0 ))"

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
ours "${REPLICA_PIDS[LIVE]}" odma || fail "(a) the live replica died during phase 1 (a crash? its log is below)"
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
# Only requests in flight on the victim at the kill can fail (later ones are refused there and
# retried): at most CONC, and in practice its running + waiting at the last scrape (+ the few sent
# to it in the ms before the kill).
[ "$FAILED" -le "$CONC" ] || fail "(b) $FAILED failed, more than the $CONC requests loadgen had in flight"
# Each request running on the victim at its last scrape ended one way: failed (cut mid-stream),
# retried on the live replica by nginx (it had no answer yet), or finished after the scrape and
# delivered (those are in C_V - K, where a request counted at the scrape but cut in transit
# appears with a minus and again in FAILED, so they cancel).
[ $(( FAILED + RETRIED_V + C_V - K )) -ge "$V_R" ] ||
  fail "(b) of the $V_R requests running on the victim, only $FAILED failed + $RETRIED_V retried + $((C_V - K)) finished"
# And each connection nginx had open to the frozen victim (one may be the /ready check) was a
# request that failed or that nginx retried: nothing hung, nothing vanished.
[ $(( FAILED + RETRIED_V )) -ge $(( OPEN - 1 )) ] ||
  fail "(b) nginx had $OPEN connections open to the victim, but only $FAILED requests failed + $RETRIED_V were retried"

# (d) the books
[ $(( COMPLETED + FAILED )) -eq "$NUM" ] || fail "(d) completed $COMPLETED + failed $FAILED != sent $NUM"
[ "$LG_L" -eq $(( L * OUT )) ] || fail "(d) the live replica generated $LG_L tokens, expected $L x $OUT"
[ "$TOTAL_OUT" -eq $(( COMPLETED * OUT )) ] || fail "(d) loadgen counted $TOTAL_OUT output tokens, expected $COMPLETED x $OUT"
[ "$C_V" -ge 0 ] && [ "$C_V" -le "$LOG_VICTIM" ] || fail "(d) the victim delivered $C_V of the $LOG_VICTIM requests nginx left with it"
[ "$FAILED" -eq $(( LOG_VICTIM - C_V )) ] || fail "(d) failed $FAILED != the victim's $LOG_VICTIM - delivered $C_V"
# The victim's success count K (last scrape, a few ms before the kill) vs what it delivered:
# a request it finished after the scrape was running at it (none can also be admitted and
# generate $OUT tokens in those ms), so C_V <= K + V_R; one it had counted (the engine finished
# it) but whose stream was still on its way to the client when it died is a failure, so
# C_V >= K - FAILED.
[ "$C_V" -ge $(( K - FAILED )) ] && [ "$C_V" -le $(( K + V_R )) ] ||
  fail "(d) the victim delivered $C_V, outside [its last-scraped success $K - failed $FAILED, $K + running $V_R]"
VG=$(( V_G - V_G0 ))
# (One scrape, but the success counter moves inside an engine step and the token counter after it:
# at most one token per request of that step, <= CONC, apart.)
[ "$VG" -ge $(( K * OUT - CONC )) ] && [ "$VG" -le $(( (K + V_R + V_W) * OUT )) ] ||
  fail "(d) the victim's generated tokens $VG outside [$K x $OUT - $CONC, ($K + $V_R + $V_W) x $OUT]"
info "books: sent $NUM = completed $COMPLETED + failed $FAILED; completed = live $L + victim $C_V (victim's last scrape: $K done, $V_R running, $V_W waiting)"

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
for p in "${REPLICA_PIDS[@]}"; do ours "$p" odma && fail "replica pid $p still running after replicas.sh stopped"; done
ours "$NGINX_PID" nginx && fail "nginx pid $NGINX_PID still running after replicas.sh stopped"
curl -s -m 1 -o /dev/null "$LB_URL/health" && fail "the load balancer still answers after the stop"

PASSED=1
info "PASS in $(( SECONDS - T0 )) s"
