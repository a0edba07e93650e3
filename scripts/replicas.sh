#!/usr/bin/env bash
# Starts N `odma serve` replicas on 127.0.0.1 and Debian's nginx in front of them (session affinity
# on X-Session-Id, else least_conn,
# passive health checks, SSE unbuffered), plus a small active /ready check that marks a replica
# `down` in nginx and reloads it. Everything listens on loopback only; nginx runs as the current
# user with its config, pid, logs and temp files in one temporary directory. Ctrl-C or SIGTERM
# stops everything: the replicas drain (odma's --shutdown-timeout), nginx finishes its streams.
#
#   scripts/replicas.sh N [--model DIR] [--base-port P] [--lb-port Q] [options] [odma serve flags]
#
# See --help and docs/deploy.md. Needs nginx (Debian package `nginx`), curl and setsid.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/replicas.sh N [options] [extra odma serve flags...]

Starts N `odma serve` replicas on 127.0.0.1 and nginx in front of them; prints the load
balancer's URL and the replicas' PIDs; Ctrl-C / SIGTERM stops everything.

  N                      replicas (>= 1)
  --model DIR            model directory (default data/models/qwen2-tiny)
  --base-port P          replica i listens on P+i (default 8001); 0 = any free port each
  --lb-port Q            nginx listens on 127.0.0.1:Q (default 8000); 0 = a free port
  --odma PATH            the odma binary (default ./build/odma, or $ODMA)
  --run-dir DIR          where the nginx config, pid, logs, temp files and replica logs go
                         (default: a new mktemp -d, removed on exit unless --keep-run-dir)
  --keep-run-dir         keep the run directory on exit
  --routing R            session (default): requests with an X-Session-Id header keep to one
                         replica (consistent hash: prefix-cache affinity), others least_conn;
                         least-conn: least connections for every request
  --check-interval S     seconds between active /ready checks (default 1; 0 = passive only)
  --fall K / --rise K    consecutive failed / passed checks to mark a replica down / up
                         (default 2 / 2, as HAProxy's fall/rise)
  --ready-timeout S      seconds to wait for every replica's /health (default 120)
  --exit-with PID        stop everything once process PID has exited (a test's watchdog)
  --                     everything after it goes to `odma serve` unchanged
  anything else          passed to every `odma serve` (e.g. --kv-memory 16MiB --max-waiting 64);
                         --host and --port are set by this script

Prints, on stdout, one line per replica ("replica I pid PID http://127.0.0.1:PORT"), the nginx
pid, "load balancer http://127.0.0.1:Q" and finally "ready". The same facts, for scripts, are in
RUN_DIR/state.env (LB_URL, LB_PORT, NGINX_PID, REPLICA_PIDS, REPLICA_PORTS, RUN_DIR).
EOF
}

die() { echo "replicas.sh: error: $*" >&2; exit 2; }
say() { echo "replicas.sh: $*"; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
N=$1; shift
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] || die "N must be a positive integer, got '$N'"

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
TEMPLATE="$REPO_DIR/deploy/nginx/odma.conf.template"

MODEL=data/models/qwen2-tiny
BASE_PORT=8001
LB_PORT=8000
ODMA_BIN=${ODMA:-./build/odma}
RUN_DIR=""
KEEP_RUN_DIR=0
CHECK_INTERVAL=1
FALL=2
RISE=2
READY_TIMEOUT=120
EXIT_WITH=""
ROUTING=session
EXTRA=()
SHUTDOWN_TIMEOUT=30   # odma's default; read from the extra flags when given

need_value() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --model) need_value "$@"; MODEL=$2; shift 2 ;;
    --base-port) need_value "$@"; BASE_PORT=$2; shift 2 ;;
    --lb-port) need_value "$@"; LB_PORT=$2; shift 2 ;;
    --odma) need_value "$@"; ODMA_BIN=$2; shift 2 ;;
    --run-dir) need_value "$@"; RUN_DIR=$2; shift 2 ;;
    --keep-run-dir) KEEP_RUN_DIR=1; shift ;;
    --check-interval) need_value "$@"; CHECK_INTERVAL=$2; shift 2 ;;
    --fall) need_value "$@"; FALL=$2; shift 2 ;;
    --rise) need_value "$@"; RISE=$2; shift 2 ;;
    --ready-timeout) need_value "$@"; READY_TIMEOUT=$2; shift 2 ;;
    --exit-with) need_value "$@"; EXIT_WITH=$2; shift 2 ;;
    --routing) need_value "$@"; ROUTING=$2; shift 2 ;;
    --host|--port|--host=*|--port=*) die "$1 is set by this script (replicas listen on 127.0.0.1)" ;;
    --shutdown-timeout) need_value "$@"; SHUTDOWN_TIMEOUT=$2; EXTRA+=("$1" "$2"); shift 2 ;;
    --) shift; EXTRA+=("$@"); break ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
for v in BASE_PORT LB_PORT FALL RISE READY_TIMEOUT SHUTDOWN_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--$(echo "$v" | tr 'A-Z_' 'a-z-') must be a number, got '${!v}'"
done
[[ "$CHECK_INTERVAL" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--check-interval must be a number of seconds"
case "$ROUTING" in
  session) SESSION_UPSTREAM=odma_session ;;
  least-conn) SESSION_UPSTREAM=odma ;;
  *) die "--routing must be session or least-conn, got '$ROUTING'" ;;
esac

command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
  die "nginx not found: apt-get install -y nginx (scripts/setup.sh installs it)"
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
command -v curl >/dev/null 2>&1 || die "curl not found"
command -v setsid >/dev/null 2>&1 || die "setsid (util-linux) not found"
[ -x "$ODMA_BIN" ] || die "odma binary '$ODMA_BIN' not found or not executable (--odma PATH)"
[ -d "$MODEL" ] || die "model directory '$MODEL' not found (--model DIR)"
[ -f "$TEMPLATE" ] || die "nginx template $TEMPLATE not found"

CREATED_RUN_DIR=0
if [ -z "$RUN_DIR" ]; then
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/odma-replicas.XXXXXX")
  CREATED_RUN_DIR=1
else
  mkdir -p "$RUN_DIR"
fi
RUN_DIR=$(cd "$RUN_DIR" && pwd)
mkdir -p "$RUN_DIR/tmp"

REPLICA_PIDS=()
REPLICA_PORTS=()
NGINX_PID=""
STOPPING=0

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Stops everything this script started: replicas get SIGTERM (they drain for up to
# --shutdown-timeout), nginx gets SIGQUIT (graceful: it lets its open streams end, which they do
# once the replicas have drained). Whatever is still there after the drain window gets SIGKILL.
cleanup() {
  [ "$STOPPING" -eq 1 ] && return
  STOPPING=1
  set +e
  local pids=() p
  for p in "${REPLICA_PIDS[@]}"; do alive "$p" && pids+=("$p"); done
  alive "$NGINX_PID" && pids+=("$NGINX_PID")
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping ${#pids[@]} process(es): ${pids[*]}"
    for p in "${REPLICA_PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
    alive "$NGINX_PID" && kill -QUIT "$NGINX_PID" 2>/dev/null
    local deadline=$((SECONDS + SHUTDOWN_TIMEOUT + 5)) left
    while :; do
      left=()
      for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
      [ ${#left[@]} -eq 0 ] && break
      if [ "$SECONDS" -ge "$deadline" ]; then
        say "still running after the drain window, killing: ${left[*]}"
        # nginx's workers first (by their parent, the master): orphaned, they would keep the port.
        alive "$NGINX_PID" && pkill -KILL -P "$NGINX_PID" 2>/dev/null
        for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null; done
        break
      fi
      sleep 0.1
    done
    wait 2>/dev/null
  fi
  if [ "$CREATED_RUN_DIR" -eq 1 ] && [ "$KEEP_RUN_DIR" -eq 0 ]; then
    rm -rf "$RUN_DIR"
  elif [ ${#REPLICA_PIDS[@]} -gt 0 ]; then
    say "logs kept in $RUN_DIR"
  fi
  [ ${#REPLICA_PIDS[@]} -gt 0 ] && say "stopped"
  return 0
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup' EXIT

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# in_use PORT: something already accepts connections on 127.0.0.1:PORT. Checked before starting:
# odma (cpp-httplib) sets SO_REUSEPORT, so a replica on a taken port would start and silently
# share it with whatever listens there.
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ "$BASE_PORT" -ne 0 ]; then
  for ((i = 0; i < N; i++)); do
    in_use $((BASE_PORT + i)) && die "port $((BASE_PORT + i)) is in use (--base-port P, or 0 for any)"
  done
fi
[ "$LB_PORT" -ne 0 ] && in_use "$LB_PORT" && die "port $LB_PORT is in use (--lb-port Q, or 0 for any)"

# --- replicas ---------------------------------------------------------------------------------
for ((i = 0; i < N; i++)); do
  port=0
  [ "$BASE_PORT" -ne 0 ] && port=$((BASE_PORT + i))
  log="$RUN_DIR/replica-$i.log"
  # setsid: the replica has its own session, so a Ctrl-C in this terminal reaches only this
  # script, which then stops the replicas in order (drain) instead of all at once.
  setsid "$ODMA_BIN" serve --model "$MODEL" --host 127.0.0.1 --port "$port" "${EXTRA[@]}" \
    >"$log" 2>&1 </dev/null &
  REPLICA_PIDS[i]=$!
done

# Each replica prints "listening on http://127.0.0.1:PORT" before it loads, then /health turns 200.
deadline=$((SECONDS + READY_TIMEOUT))
for ((i = 0; i < N; i++)); do
  log="$RUN_DIR/replica-$i.log"
  while :; do
    if ! alive "${REPLICA_PIDS[i]}"; then
      echo "replicas.sh: error: replica $i (pid ${REPLICA_PIDS[i]}) exited while starting; its log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    if [ -z "${REPLICA_PORTS[i]:-}" ]; then
      # (the log may not exist yet: the background job opens it)
      p=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$log" 2>/dev/null | head -n 1 || true)
      [ -n "$p" ] && REPLICA_PORTS[i]=$p
    fi
    if [ -n "${REPLICA_PORTS[i]:-}" ] &&
       [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:${REPLICA_PORTS[i]}/health")" = 200 ]; then
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "replicas.sh: error: replica $i not serving after ${READY_TIMEOUT}s; its log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  say "replica $i pid ${REPLICA_PIDS[i]} http://127.0.0.1:${REPLICA_PORTS[i]} (log $log)"
done

# --- nginx ------------------------------------------------------------------------------------
[ "$LB_PORT" -eq 0 ] && LB_PORT=$(free_port)
USER_LINE=""
[ "$(id -u)" -eq 0 ] && USER_LINE="user $(id -un) $(id -gn);"

# upstream.conf: one `server` line per replica, `down` for those marked down by the /ready check.
# Whenever every replica would be down, none is marked: nginx's passive checks still skip the dead
# ones, and busy-but-alive replicas answer 429 with Retry-After, the right signal for a client.
declare -a UP
write_upstreams() {
  local i any_up=0 down
  for ((i = 0; i < N; i++)); do [ "${UP[i]}" -eq 1 ] && any_up=1; done
  {
    echo "# written by scripts/replicas.sh; the /ready check rewrites it and reloads nginx"
    for ((i = 0; i < N; i++)); do
      down=""
      [ "$any_up" -eq 1 ] && [ "${UP[i]}" -eq 0 ] && down=" down"
      echo "server 127.0.0.1:${REPLICA_PORTS[i]} max_fails=1 fail_timeout=5s${down};"
    done
  } >"$RUN_DIR/upstream.conf.new"
  mv "$RUN_DIR/upstream.conf.new" "$RUN_DIR/upstream.conf"
}
for ((i = 0; i < N; i++)); do UP[i]=1; done
write_upstreams

sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@LB_PORT@|$LB_PORT|g" -e "s|@USER@|$USER_LINE|g" \
  -e "s|@SESSION_UPSTREAM@|$SESSION_UPSTREAM|g" \
  "$TEMPLATE" >"$RUN_DIR/nginx.conf"
NGINX_ARGS=(-p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log")
if ! "$NGINX" "${NGINX_ARGS[@]}" -t -q 2>"$RUN_DIR/nginx-t.log"; then
  echo "replicas.sh: error: nginx rejected $RUN_DIR/nginx.conf:" >&2
  cat "$RUN_DIR/nginx-t.log" >&2
  exit 1
fi
setsid "$NGINX" "${NGINX_ARGS[@]}" >>"$RUN_DIR/nginx.out" 2>&1 </dev/null &
NGINX_PID=$!
deadline=$((SECONDS + 10))
until [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$LB_PORT/health")" = 200 ]; do
  if ! alive "$NGINX_PID" || [ "$SECONDS" -ge "$deadline" ]; then
    echo "replicas.sh: error: nginx did not start on 127.0.0.1:$LB_PORT:" >&2
    tail -n 20 "$RUN_DIR/error.log" "$RUN_DIR/nginx.out" >&2 2>/dev/null
    exit 1
  fi
  sleep 0.1
done
say "nginx pid $NGINX_PID (config $RUN_DIR/nginx.conf, access log $RUN_DIR/access.log)"
say "load balancer http://127.0.0.1:$LB_PORT (routing: $ROUTING)"

{
  echo "RUN_DIR='$RUN_DIR'"
  echo "LB_PORT=$LB_PORT"
  echo "LB_URL='http://127.0.0.1:$LB_PORT'"
  echo "NGINX_PID=$NGINX_PID"
  echo "REPLICA_PIDS=(${REPLICA_PIDS[*]})"
  echo "REPLICA_PORTS=(${REPLICA_PORTS[*]})"
} >"$RUN_DIR/state.env.new"
mv "$RUN_DIR/state.env.new" "$RUN_DIR/state.env"
say "ready (Ctrl-C or SIGTERM stops everything)"

reload_nginx() {
  if "$NGINX" "${NGINX_ARGS[@]}" -t -q 2>>"$RUN_DIR/nginx-t.log"; then
    kill -HUP "$NGINX_PID" 2>/dev/null || true
  else
    say "nginx rejected the new upstream.conf; keeping the old configuration"
  fi
}

# --- the active check -------------------------------------------------------------------------
# Every CHECK_INTERVAL s: GET /ready on each replica (200 = take requests; 503 = loading,
# draining or its waiting queue full; no answer = dead). FALL failures in a row mark it down,
# RISE passes in a row mark it up again; each change rewrites upstream.conf and reloads nginx
# (a graceful reload: running streams finish on the old workers).
declare -a FAILS OKS REPORTED
for ((i = 0; i < N; i++)); do FAILS[i]=0; OKS[i]=0; REPORTED[i]=0; done
while :; do
  if ! alive "$NGINX_PID"; then
    echo "replicas.sh: error: nginx (pid $NGINX_PID) exited; stopping" >&2
    exit 1
  fi
  if [ -n "$EXIT_WITH" ] && ! alive "$EXIT_WITH"; then
    say "pid $EXIT_WITH (--exit-with) has exited; stopping"
    exit 0
  fi
  if [ "$CHECK_INTERVAL" = 0 ]; then
    sleep 1 &
    wait $! || true
    continue
  fi
  changed=0
  for ((i = 0; i < N; i++)); do
    if [ "${REPORTED[i]}" -eq 0 ] && ! alive "${REPLICA_PIDS[i]}"; then
      say "replica $i (pid ${REPLICA_PIDS[i]}) has exited"
      REPORTED[i]=1
    fi
    code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:${REPLICA_PORTS[i]}/ready" || true)
    if [ "$code" = 200 ]; then
      FAILS[i]=0; OKS[i]=$((OKS[i] + 1))
      if [ "${UP[i]}" -eq 0 ] && [ "${OKS[i]}" -ge "$RISE" ]; then
        UP[i]=1; changed=1; say "replica $i (port ${REPLICA_PORTS[i]}) is ready again: marked up"
      fi
    else
      OKS[i]=0; FAILS[i]=$((FAILS[i] + 1))
      if [ "${UP[i]}" -eq 1 ] && [ "${FAILS[i]}" -ge "$FALL" ]; then
        UP[i]=0; changed=1; say "replica $i (port ${REPLICA_PORTS[i]}) failed /ready (${code:-000}): marked down"
      fi
    fi
  done
  if [ "$changed" -eq 1 ]; then
    write_upstreams
    reload_nginx
  fi
  sleep "$CHECK_INTERVAL" &
  wait $! || true
done
