#!/usr/bin/env bash
# Prefix-cache affinity behind nginx (scripts/replicas.sh --routing session, docs/deploy.md): two
# replicas of qwen2-tiny; `odma loadgen --multi-turn` sends 16 conversations of 3 turns, each turn
# with its conversation's X-Session-Id. Checks:
#   (a) every request of one conversation went to one replica (nginx's access log), and the
#       conversations spread over both;
#   (b) the later turns found their conversation's K/V: the prefix-cache hit rate loadgen reads
#       from the responses' usage is above 30%; no request failed;
#   (c) one replica is SIGKILLed: the next request of every conversation still succeeds, the dead
#       replica's conversations move to the live one and the live one's stay where they were
#       (a consistent ring moves only the sessions of the replica that left).
#
#   tests/deploy/test_session_affinity.sh [path/to/odma]
#
# Exit 0 = pass, 1 = fail (with the reason), 77 = skipped (nginx not installed).
set -uo pipefail

ODMA=${1:-./build/odma}
case "$ODMA" in /*) ;; *) ODMA="$PWD/$ODMA" ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
REPO=$PWD
# shellcheck source=../../scripts/serve_lib.sh
source "$REPO/scripts/serve_lib.sh"
MODEL=data/models/qwen2-tiny

fail() { echo "FAIL: $*" >&2; exit 1; }
info() { echo "test_session_affinity: $*"; }

[ -x "$ODMA" ] || fail "odma binary '$ODMA' not found"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "SKIP: nginx not installed (apt-get install -y nginx; scripts/setup.sh)"; exit 77
fi
export PATH="$PATH:/usr/sbin"
for t in curl python3 setsid; do command -v $t >/dev/null || fail "$t not found"; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/odma-test-affinity.XXXXXX")
RS_PID=""
PASSED=0
cleanup() {
  local rc=$?
  set +e
  if [ -n "$RS_PID" ] && kill -0 "$RS_PID" 2>/dev/null; then
    kill -TERM "$RS_PID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RS_PID" 2>/dev/null
  fi
  wait 2>/dev/null
  if [ "$PASSED" -ne 1 ]; then
    tail -n 20 "$TMP/replicas.out" "$TMP/loadgen.out" "$TMP"/run/error.log >&2 2>/dev/null
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

info "starting 2 replicas behind nginx, routing by session"
bash "$REPO/scripts/replicas.sh" 2 --odma "$ODMA" --model "$MODEL" --base-port 0 --lb-port 0 \
  --run-dir "$TMP/run" --check-interval 0.5 --exit-with $$ --routing session \
  --kv-memory 16MiB --shutdown-timeout 2 --chat-template data/chat_templates/qwen2_5.json \
  >"$TMP/replicas.out" 2>&1 </dev/null &
RS_PID=$!
wait_replicas_ready "$RS_PID" "$TMP/replicas.out" "$TMP/run" 30 || fail "see replicas.sh's output"

info "16 conversations x 3 turns through $LB_URL"
timeout 120 "$ODMA" loadgen --base-url "$LB_URL" --multi-turn --turns 3 --dataset alpaca \
  --num-prompts 48 --max-concurrency 4 --output-len 8 --ignore-eos --json "$TMP/lg.json" \
  >"$TMP/loadgen.out" 2>&1 || fail "loadgen failed (see its output)"

# sid -> replicas that served it, from nginx's access log (the last address tried answered).
sessions() {
  python3 - "$TMP/run/access.log" <<'PY'
import re, sys, collections
seen = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.search(r'up="([^"]*)".*sid="([^"]*)"', line)
    if m and m.group(2) not in ("", "-"):
        seen[m.group(2)].append(m.group(1).split(", ")[-1])
for sid, ups in sorted(seen.items()):
    print(sid, " ".join(ups))
PY
}
sessions >"$TMP/before.txt"
[ "$(wc -l <"$TMP/before.txt")" -eq 16 ] || fail "nginx logged $(wc -l <"$TMP/before.txt") sessions, not 16"
while read -r sid ups; do
  [ "$(echo "$ups" | tr ' ' '\n' | sort -u | wc -l)" -eq 1 ] || fail "session $sid went to several replicas: $ups"
done <"$TMP/before.txt"
[ "$(awk '{print $2}' "$TMP/before.txt" | sort -u | wc -l)" -eq 2 ] || fail "every session went to one replica"
python3 - "$TMP/lg.json" <<'PY' || fail "loadgen's figures: $(cat "$TMP/lg.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["failed"] == 0 and r["completed"] == 48, r
assert r["prefix_cache_hit_rate"] > 0.3, r["prefix_cache_hit_rate"]
print("test_session_affinity: hit rate %.1f%%, 48/48 completed" % (100 * r["prefix_cache_hit_rate"]))
PY

dead="127.0.0.1:${REPLICA_PORTS[0]}"
info "SIGKILL replica 0 ($dead), then one more turn of every conversation"
kill -KILL "${REPLICA_PIDS[0]}"
while read -r sid _; do
  code=$(curl -s -o /dev/null -m 30 -w '%{http_code}' "$LB_URL/v1/completions" \
    -H "X-Session-Id: $sid" -H 'Content-Type: application/json' \
    -d '{"prompt": "One more turn", "max_tokens": 4}')
  [ "$code" = 200 ] || fail "session $sid after the kill: HTTP $code"
done <"$TMP/before.txt"
sessions >"$TMP/after.txt"
while read -r sid ups; do
  before=$(awk -v s="$sid" '$1 == s {print $2}' "$TMP/before.txt")
  last=${ups##* }
  if [ "$before" = "$dead" ]; then
    [ "$last" != "$dead" ] || fail "session $sid still answered by the dead replica"
  else
    [ "$last" = "$before" ] || fail "session $sid moved from the live replica $before to $last"
  fi
done <"$TMP/after.txt"

kill -TERM "$RS_PID"
for _ in $(seq 1 100); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$RS_PID" 2>/dev/null && fail "replicas.sh did not stop on SIGTERM"
PASSED=1
info "PASS"
