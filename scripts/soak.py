#!/usr/bin/env python3
"""The soak under faults (docs/reliability.md): `odma serve` under `odma loadgen` plus a fault
injector for MINUTES, then a SIGTERM drain; exits non-zero if any pass criterion fails.

    scripts/soak.py --odma BUILD/odma --minutes 30 [--json OUT.json]

Load: `odma loadgen` rounds (streamed completions and chat, Alpaca prompts) back to back. Faults,
from threads of this script, each a request it classifies exactly once as completed, cancelled by
its client (us) or rejected with a status:
  plain       whole (non-streamed) completions and chats, which must answer 200
  mid-stream  a stream read for a few chunks, then the socket closed
  queued      a burst beyond --max-waiting: answered 429, or held and closed while still queued
  prefill     a long prompt, the socket closed a few milliseconds after sending
  malformed   bad JSON, wrong types and ranges, ill-formed UTF-8, unknown routes, oversized and
              truncated bodies, garbage bytes: each must answer its 4xx
  health      GET /health under all of the above, timed (must answer within 100 ms)
Pass: the server never crashes and prints no sanitizer report; at the end no request runs or waits
and no KV slot is reserved (the validator runs after every operation in an ODMA_DEBUG=2 build);
sent == completed + cancelled + rejected for the injector and loadgen's completed + failed == its
requests; the server's counters agree (request_success_total{stop,length} == all completions,
requests_rejected_total{queue_full} == every 429 seen, each up to the requests left unread);
resident memory after the warm-up grows by less than --rss-bound-mib; /health answers within
100 ms (99th percentile; the maximum is reported); the SIGTERM drain finishes the requests it
accepted and exits 0.
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

MODEL = "data/models/qwen2-tiny"


class Counts:
    """Thread-safe tallies: sent, completed, cancelled, rejected by status, malformed tried."""

    def __init__(self):
        self.lock = threading.Lock()
        # unobserved: requests we left without reading an answer (burst leavers, prefill
        # cancels); the server may have finished or refused them before it saw us go.
        self.c = {"sent": 0, "completed": 0, "cancelled": 0, "rejected": 0, "malformed": 0,
                  "unobserved": 0, "unexpected": 0}
        self.status = {}
        self.problems = []
        self.health_ms = []

    def add(self, key, n=1):
        with self.lock:
            self.c[key] += n

    def rejected(self, status):
        with self.lock:
            self.c["rejected"] += 1
            self.status[status] = self.status.get(status, 0) + 1

    def problem(self, what):
        with self.lock:
            self.c["unexpected"] += 1
            if len(self.problems) < 50:
                self.problems.append(what)


class Server:
    def __init__(self, odma, args, log_path, env):
        self.log = open(log_path, "w+b")
        self.proc = subprocess.Popen([odma, "serve", "--model", MODEL, "--host", "127.0.0.1",
                                      "--port", "0"] + args, stderr=self.log, env=env)
        self.log_path = log_path
        deadline = time.time() + 300
        self.port = None
        while time.time() < deadline and self.proc.poll() is None:
            text = open(log_path, errors="replace").read()
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
            if m and "odma serve: ready" in text:
                self.port = int(m.group(1))
                return
            time.sleep(0.1)
        raise SystemExit("soak: the server did not start:\n" + open(log_path).read())

    def rss_kb(self):
        try:
            for line in open("/proc/%d/status" % self.proc.pid):
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0


def request(port, method, path, body=None, headers=None, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def read_to_close(s):
    """Everything the server sends until it closes (or the socket's timeout)."""
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    except socket.timeout:
        return data


def raw_send(port, data, linger_s=0.0, read=False):
    """Sends raw bytes; optionally waits, then closes (reading the answer if `read`)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(data)
    if linger_s:
        time.sleep(linger_s)
    answer = read_to_close(s) if read else b""
    s.close()
    return answer


def post_bytes(path, body):
    return (("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n") % (path, len(body))).encode() + body


def completion(prompt, max_tokens, stream=False, **extra):
    b = {"prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": stream}
    b.update(extra)
    return json.dumps(b).encode()


def chat(text, max_tokens, stream=False):
    return json.dumps({"messages": [{"role": "user", "content": text}], "max_tokens": max_tokens,
                       "temperature": 0.7, "stream": stream}).encode()


# Malformed requests and the status each must get.
MALFORMED = [
    ("/v1/completions", b"{", 400),
    ("/v1/completions", b"[]", 400),
    ("/v1/completions", b"", 400),
    ("/v1/completions", b'{"prompt": "x", "max_tokens": 0}', 400),
    ("/v1/completions", b'{"prompt": "x", "temperature": "hot"}', 400),
    ("/v1/completions", b'{"prompt": "x", "top_p": 7}', 400),
    ("/v1/completions", b'{"prompt": "\xff\xfe"}', 400),
    ("/v1/completions", b'{"prompt": [1, 2, 99999999]}', 400),
    ("/v1/completions", b'{"prompt": "x", "max_tokens": 100000}', 400),
    ("/v1/completions", b'{"prompt": "' + b"abc " * 3000 + b'"}', 400),  # past the context
    ("/v1/completions", b'{"prompt": ["a", "b"]}', 400),
    ("/v1/completions", b'{"prompt": "x", "stop": ""}', 400),
    ("/v1/completions", b'{"prompt": "x", "prompt_logprobs": 1, "stream": true}', 400),
    ("/v1/completions", b'{"prompt": "x", "guided_json": {"type": "array", "uniqueItems": true}}', 400),
    ("/v1/completions", b'{"prompt": "x", "guided_json": {"type": "string", "minLength": 3, "maxLength": 1}}', 400),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}', 400),
    ("/v1/chat/completions", b'{"messages": []}', 400),
    ("/v1/chat/completions", b'{"messages": [{"role": "function", "content": "x"}]}', 400),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": 5}]}', 400),
    ("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "n": 0}', 400),
    ("/v1/chat/completions", b'{"messages": "hi", "stream_options": {"include_usage": true}}', 400),
    ("/v1/completions", b'{"model": "nope", "prompt": "x"}', 404),
    ("/v1/nothing", b"{}", 404),
    ("/tokenize", b'{"prompt": 3}', 400),
    ("/detokenize", b'{"tokens": [-1]}', 400),
]


# A bounded schema and two tools: constrained answers that a random model finishes.
SCHEMA = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 6},
                                           "n": {"type": "integer", "minimum": -5, "maximum": 50},
                                           "ok": {"type": "boolean"}},
          "required": ["name", "n", "ok"], "additionalProperties": False}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
             "type": "object", "properties": {"city": {"type": "string", "maxLength": 8}},
             "required": ["city"]}}},
         {"type": "function", "function": {"name": "get_time"}}]


def structured(rng):
    ask = {"messages": [{"role": "user", "content": "JSON please"}], "max_tokens": 60,
           "temperature": 1.0, "seed": rng.randint(0, 1000), "stream": rng.random() < 0.5}
    if rng.random() < 0.5:
        ask["response_format"] = {"type": "json_schema", "json_schema": {"name": "r", "schema": SCHEMA}}
    else:
        ask.update(tools=TOOLS, tool_choice="required", parallel_tool_calls=False)
    return json.dumps(ask).encode()


def fault_plain(port, counts, rng):
    body = completion("Once upon a time", rng.randint(1, 24)) if rng.random() < 0.5 else \
        chat("Tell me a story about a %s." % rng.choice(["cat", "dog", "ship"]), rng.randint(1, 24))
    r = rng.random()
    if r < 0.15:  # parallel samples share one prompt prefill and come back together
        body = completion("Once upon a time", rng.randint(1, 16), n=rng.randint(2, 4),
                          temperature=1.0)
    elif r < 0.25:  # log-probabilities, and a prompt scored by echo
        body = completion("The little dog", rng.randint(0, 8), logprobs=rng.randint(0, 5),
                          echo=True, stream=rng.random() < 0.3)
    elif r < 0.35:  # structured outputs and required tool calls, masks over the vocabulary
        body = structured(rng)
    path = "/v1/completions" if body.startswith(b'{"prompt"') else "/v1/chat/completions"
    counts.add("sent")
    status, data = request(port, "POST", path, body)
    if status == 200:
        counts.add("completed")
        if b'"choices"' not in data:
            counts.problem("200 without choices: %r" % data[:200])
    else:
        counts.rejected(status)
        if status != 429:
            counts.problem("plain request got %d: %r" % (status, data[:200]))


def fault_mid_stream(port, counts, rng):
    counts.add("sent")
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(post_bytes("/v1/completions",
                         completion("The sea", 200, stream=True, ignore_eos=True)))
    want = rng.randint(1, 6)  # data events to read before leaving
    got = b""
    while b"\r\n\r\n" not in got or (got.startswith(b"HTTP/1.1 200") and
                                       got.count(b"data: ") < want):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    status = int(got.split(b" ", 2)[1]) if got.startswith(b"HTTP/1.1 ") else 0
    if status == 200:
        counts.add("cancelled")
    elif status:
        counts.rejected(status)
    else:
        counts.problem("mid-stream: no status line")


def fault_burst(port, counts, rng, width):
    """More requests at once than the queue holds: 429s, and some closed while queued."""
    socks = []
    for _ in range(width):
        counts.add("sent")
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(post_bytes("/v1/completions", completion("A long tale", 64, ignore_eos=True)))
        socks.append(s)
    time.sleep(0.05)
    for s in socks:
        leave = rng.random() < 0.5  # leave while queued (or running): the client cancels
        if leave:
            s.close()
            counts.add("cancelled")
            counts.add("unobserved")
            continue
        data = read_to_close(s)
        s.close()
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
        if status == 200:
            counts.add("completed")
        elif status:
            counts.rejected(status)
            if status not in (429, 503):
                counts.problem("burst got %d: %r" % (status, data[-200:]))
        else:
            counts.problem("burst: no answer")


def fault_prefill_cancel(port, counts, rng):
    counts.add("sent")
    prompt = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(60))
    raw_send(port, post_bytes("/v1/completions", completion(prompt, 32)),
             linger_s=rng.uniform(0.0, 0.02))
    counts.add("cancelled")
    counts.add("unobserved")


def fault_malformed(port, counts, rng):
    counts.add("malformed")
    kind = rng.random()
    if kind < 0.7:
        path, body, want = rng.choice(MALFORMED)
        counts.add("sent")
        status, data = request(port, "POST", path, body)
        counts.rejected(status)
        if status != want and status != 429:
            counts.problem("malformed %s %r: want %d, got %d" % (path, body[:60], want, status))
        elif b'"error"' not in data:
            counts.problem("malformed: no error body: %r" % data[:200])
    elif kind < 0.8:  # a body over --max-body
        counts.add("sent")
        status, _ = request(port, "POST", "/v1/completions", b'{"prompt": "' + b"a" * 66000 + b'"}')
        counts.rejected(status)
        if status != 413:
            counts.problem("oversized body: want 413, got %d" % status)
    elif kind < 0.9:  # garbage bytes, or a body shorter than its Content-Length: never answered 200
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        if rng.random() < 0.5:
            data = post_bytes("/v1/completions", b'{"prompt": "cut"}')[:-5]
        answer = raw_send(port, data, linger_s=0.01, read=rng.random() < 0.5)
        if answer.startswith(b"HTTP/1.1 200"):
            counts.problem("garbage got 200: %r" % data[:80])
    else:  # random bytes where JSON should be
        counts.add("sent")
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200)))
        status, _ = request(port, "POST", rng.choice(["/v1/completions", "/v1/chat/completions",
                                                       "/tokenize", "/detokenize"]), body)
        counts.rejected(status)
        if status not in (400, 429):
            counts.problem("random body: want 400, got %d" % status)


def fault_health(port, counts):
    t0 = time.perf_counter()
    status, _ = request(port, "GET", "/health", timeout=10)
    ms = (time.perf_counter() - t0) * 1000
    with counts.lock:
        counts.health_ms.append(ms)
    if status != 200:
        counts.problem("/health answered %d under load" % status)


def injector(port, counts, stop, seed, width):
    rng = random.Random(seed)
    while not stop.is_set():
        r = rng.random()
        try:
            if r < 0.25:
                fault_plain(port, counts, rng)
            elif r < 0.40:
                fault_mid_stream(port, counts, rng)
            elif r < 0.45:
                fault_burst(port, counts, rng, width)
            elif r < 0.60:
                fault_prefill_cancel(port, counts, rng)
            else:
                fault_malformed(port, counts, rng)
        except (OSError, http.client.HTTPException) as e:
            counts.problem("client-side error %r" % e)


def health_prober(port, counts, stop):
    while not stop.is_set():
        try:
            fault_health(port, counts)
        except (OSError, http.client.HTTPException) as e:
            counts.problem("/health failed: %r" % e)
        time.sleep(0.2)


def loadgen_rounds(odma, port, stop, tmp, totals, prompts):
    n = 0
    while not stop.is_set():
        endpoint = "/v1/completions" if n % 2 == 0 else "/v1/chat/completions"
        out = os.path.join(tmp, "loadgen_%d.json" % n)
        p = subprocess.run([odma, "loadgen", "--base-url", "http://127.0.0.1:%d" % port,
                            "--endpoint", endpoint, "--dataset", "alpaca", "--num-prompts",
                            str(prompts), "--request-rate", "40", "--max-concurrency", "12",
                            "--max-tokens", "48", "--seed", str(n + 1), "--json", out],
                           capture_output=True, text=True)
        # loadgen exits 1 when any request failed; its JSON says which (429s from our bursts).
        if p.returncode not in (0, 1) or not os.path.exists(out):
            totals["problems"].append("loadgen round %d exited %d: %s" % (n, p.returncode,
                                                                        p.stderr[-400:]))
            break
        r = json.load(open(out))
        totals["rounds"] += 1
        totals["sent"] += prompts
        totals["completed"] += r["completed"]
        totals["failed"] += r["failed"]
        for e in r.get("errors", []):
            m = re.match(r"HTTP (\d+)", e)
            status = int(m.group(1)) if m else 0
            totals["status"][status] = totals["status"].get(status, 0) + 1
            # 429: the queue was full (a burst of ours); 400 context_length_exceeded: an Alpaca
            # prompt longer than the context in qwen2-tiny's 1,022-token vocabulary.
            if status != 429 and not (status == 400 and "maximum context length" in e):
                totals["problems"].append("loadgen error: " + e[:200])
        n += 1


def metrics(port):
    status, data = request(port, "GET", "/metrics", timeout=10)
    values = {}
    for line in data.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        values[key] = float(value)
    return values


def metric_sum(values, name, label=None):
    return sum(v for k, v in values.items()
               if (k == name or k.startswith(name + "{")) and (label is None or label in k))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--odma", required=True)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--injectors", type=int, default=3, help="fault-injector threads")
    ap.add_argument("--rss-bound-mib", type=float, default=None,
                    help="allowed growth after the warm-up (default 48 MiB; 96 for runs under 10 "
                         "minutes, whose second half is still inside ASan's allocator warm-up)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.rss_bound_mib is None:
        a.rss_bound_mib = 48 if a.minutes >= 10 else 96
    max_waiting, max_seqs = 24, 8
    tmp = tempfile.mkdtemp(prefix="odma-soak-")
    env = dict(os.environ)
    # Sanitizer reports go to files we check; a small quarantine keeps an ASan build's resident
    # memory flat once warm (its default 256 MiB would grow for many minutes).
    env["ASAN_OPTIONS"] = "detect_leaks=1:log_path=%s/asan:quarantine_size_mb=16" % tmp
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:log_path=%s/ubsan" % tmp
    server = Server(a.odma, ["--chat-template", "data/chat_templates/qwen2_5.json",
                             "--kv-memory", "4MiB", "--max-num-seqs",
                             str(max_seqs), "--max-waiting", str(max_waiting), "--max-body",
                             "64KiB", "--max-connections", "64", "--connection-backlog", "32",
                             "--read-timeout", "5", "--shutdown-timeout", "60"],
                    os.path.join(tmp, "serve.log"), env)
    port = server.port
    print("soak: odma serve on port %d (pid %d), %.1f minutes, logs in %s" %
          (port, server.proc.pid, a.minutes, tmp), flush=True)

    counts = Counts()
    totals = {"rounds": 0, "sent": 0, "completed": 0, "failed": 0, "status": {}, "problems": []}
    stop = threading.Event()
    threads = [threading.Thread(target=loadgen_rounds,
                                args=(a.odma, port, stop, tmp, totals, 100))]
    threads += [threading.Thread(target=injector, args=(port, counts, stop, a.seed + i,
                                                        max_waiting + max_seqs + 8))
                for i in range(a.injectors)]
    threads.append(threading.Thread(target=health_prober, args=(port, counts, stop)))
    for t in threads:
        t.start()
    start = time.time()
    end = start + a.minutes * 60
    # An ASan build's resident memory rises for minutes before it is flat (measured in a 30-minute
    # soak: +57, +26, +14, +14, +8, +5, +2 MiB in minutes 2-8), so the warm-up is the first 10
    # minutes, or half of a shorter run.
    warm_until = start + min(600, a.minutes * 60 * 0.5)
    rss = []  # (seconds, kB)
    while time.time() < end and server.proc.poll() is None:
        time.sleep(min(5, max(0.1, end - time.time())))
        rss.append((time.time() - start, server.rss_kb()))
        if len(rss) % 12 == 0:
            with counts.lock:
                c = dict(counts.c)
            print("soak: %4.0f s  rss %6.1f MiB  loadgen %d/%d  injector %s" %
                  (time.time() - start, rss[-1][1] / 1024, totals["completed"], totals["sent"], c),
                  flush=True)
    stop.set()
    for t in threads:
        t.join()
    crashed = server.proc.poll() is not None

    failures = []
    report = {"minutes": a.minutes}
    if crashed:
        failures.append("the server exited during the soak (code %s)" % server.proc.returncode)
    else:
        # Idle: nothing running or waiting, no KV slot reserved (cancelled requests free theirs
        # within a step; wait up to 5 s for the last ones).
        for _ in range(50):
            m = metrics(port)
            if metric_sum(m, "odma:num_requests_running") == 0 and \
                    metric_sum(m, "odma:num_requests_waiting") == 0 and \
                    metric_sum(m, "odma:kv_reserved_slots") == 0:
                break
            time.sleep(0.1)
        idle = {k: metric_sum(m, k) for k in ("odma:num_requests_running",
                                              "odma:num_requests_waiting",
                                              "odma:kv_reserved_slots", "odma:kv_cache_usage_perc")}
        report["idle_gauges"] = idle
        for k, v in idle.items():
            if v != 0:
                failures.append("%s = %g once idle (want 0)" % (k, v))
        served = metric_sum(m, "odma:request_success_total", 'finished_reason="stop"') + \
            metric_sum(m, "odma:request_success_total", 'finished_reason="length"')
        aborted = metric_sum(m, "odma:request_success_total", 'finished_reason="abort"')
        queue_full = metric_sum(m, "odma:requests_rejected_total", 'cause="queue_full"')
        seen_429 = counts.status.get(429, 0) + totals["status"].get(429, 0)
        completions = counts.c["completed"] + totals["completed"]
        report["metrics"] = {"served": served, "aborted": aborted, "queue_full": queue_full}
        # Exact but for the requests whose end we did not watch: a cancelled one may have finished
        # before the server saw its client leave (it checks every 100 ms), an unread one may have
        # been refused.
        if not completions <= served <= completions + counts.c["cancelled"]:
            failures.append("request_success_total{stop,length} = %g, but clients completed %d "
                            "(and left %d)" % (served, completions, counts.c["cancelled"]))
        if not seen_429 <= queue_full <= seen_429 + counts.c["unobserved"]:
            failures.append("requests_rejected_total{queue_full} = %g, but clients saw %d 429s "
                            "(and left %d unread)" % (queue_full, seen_429,
                                                      counts.c["unobserved"]))
        if aborted > counts.c["cancelled"]:
            failures.append("%g aborted in the engine, more than the %d requests clients left" %
                            (aborted, counts.c["cancelled"]))

        # SIGTERM drain: requests accepted before it finish whole; the process exits 0.
        results = []

        def drained(i):
            try:
                results.append(request(port, "POST", "/v1/completions",
                                       completion("Drain %d" % i, 32, ignore_eos=True)))
            except (OSError, http.client.HTTPException) as e:
                results.append((0, repr(e).encode()))

        drainers = [threading.Thread(target=drained, args=(i,)) for i in range(6)]
        for t in drainers:
            t.start()
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        for t in drainers:
            t.join()
        try:
            code = server.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            code = -9
        ok = sum(1 for s, _ in results if s == 200)
        report["drain"] = {"accepted_completed": ok, "refused_503": sum(1 for s, _ in results
                                                                        if s == 503),
                           "exit_code": code}
        if code != 0:
            failures.append("the server exited %s after SIGTERM (want 0)" % code)
        if ok + report["drain"]["refused_503"] != len(results):
            failures.append("drain: answers %r" % [(s, d[:80]) for s, d in results])

    sanitizer = [f for f in os.listdir(tmp) if f.startswith(("asan", "ubsan"))]
    log = open(os.path.join(tmp, "serve.log"), errors="replace").read()
    if sanitizer or "runtime error:" in log or "AddressSanitizer" in log:
        failures.append("sanitizer reports: %s (see %s)" % (sanitizer or "in serve.log", tmp))

    warm = [kb for t, kb in rss if t >= warm_until - start]
    growth_mib = (max(warm) - warm[0]) / 1024 if warm else 0
    report["rss_mib"] = {"after_warmup": warm[0] / 1024 if warm else 0,
                         "max": max(kb for _, kb in rss) / 1024 if rss else 0,
                         "growth_after_warmup": growth_mib, "bound": a.rss_bound_mib,
                         "samples": [(round(t), round(kb / 1024, 1)) for t, kb in rss[::6]]}
    if growth_mib >= a.rss_bound_mib:
        failures.append("resident memory grew %.1f MiB after the warm-up (bound %.0f)" %
                        (growth_mib, a.rss_bound_mib))
    h = sorted(counts.health_ms)
    p99 = h[int(len(h) * 0.99)] if h else 0
    report["health_ms"] = {"probes": len(h), "p50": h[len(h) // 2] if h else 0, "p99": p99,
                           "max": h[-1] if h else 0}
    if p99 >= 100:
        failures.append("/health p99 %.1f ms under load (want < 100)" % p99)

    c = counts.c
    if c["completed"] + c["cancelled"] + c["rejected"] != c["sent"]:
        failures.append("injector: sent %d != completed + cancelled + rejected %d" %
                        (c["sent"], c["completed"] + c["cancelled"] + c["rejected"]))
    if totals["completed"] + totals["failed"] != totals["sent"]:
        failures.append("loadgen: sent %d != completed + failed %d" %
                        (totals["sent"], totals["completed"] + totals["failed"]))
    failures += counts.problems[:20] + totals["problems"][:20]
    report["injector"] = dict(c, status=counts.status)
    report["loadgen"] = {k: totals[k] for k in ("rounds", "sent", "completed", "failed", "status")}
    report["sent"] = c["sent"] + totals["sent"]
    report["completed"] = c["completed"] + totals["completed"]
    report["cancelled"] = c["cancelled"]
    report["rejected_by_status"] = c["rejected"] + totals["failed"]
    report["failures"] = failures
    print(json.dumps(report, indent=2, default=str))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2, default=str)
    print("soak: %s" % ("PASS" if not failures else "FAIL"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
