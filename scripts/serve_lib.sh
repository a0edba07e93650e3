# Shell helpers for the scripts and tests that start odma servers (sourced, not run):
#   start_odma_serve LOG ODMA [SERVE_ARGS...]   `ODMA serve SERVE_ARGS` on a free port of
#       127.0.0.1, its output appended to LOG; sets $port and $server (the PID) and returns once
#       /health answers 200; prints LOG and returns 1 if it exits or is not up within 5 minutes.
#   stop_odma_serve                              SIGTERM to $server (it drains) and waits for it.
#   wait_replicas_ready PID OUT RUN_DIR [SECONDS]
#       waits until scripts/replicas.sh (PID, its output in OUT) prints "ready", then sources
#       RUN_DIR/state.env (LB_URL, REPLICA_PIDS, REPLICA_PORTS, ...); returns 1 with a message on
#       stderr if it exits first or SECONDS (default 30) pass.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_odma_serve() {
  local log=$1 odma=$2
  shift 2
  port=$(free_port)
  "$odma" serve "$@" --host 127.0.0.1 --port "$port" >>"$log" 2>&1 &
  server=$!
  local deadline=$((SECONDS + 300))
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    if ! kill -0 "$server" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "odma serve did not start; its log:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}

stop_odma_serve() {
  kill -TERM "$server"
  wait "$server" || true
  server=
}

wait_replicas_ready() {
  local pid=$1 out=$2 run_dir=$3 deadline=$((SECONDS + ${4:-30}))
  until grep -q '^replicas.sh: ready' "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "replicas.sh exited before it was ready" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "replicas.sh not ready after ${4:-30} s" >&2
      return 1
    fi
    sleep 0.1
  done
  # shellcheck disable=SC1091
  source "$run_dir/state.env"
}
