#!/usr/bin/env python3
"""One completion with n = 4 against 4 separate requests of the same prompt sent together, on a
running `odma serve` (standard library only). Prints JSON: for each way, the prompt tokens the
engine computed (the change of odma:prompt_tokens_total), the output tokens per second over the
wall time, and the wall time. The prefix cache is reset before each way, so neither finds the
other's prompt. Usage: parallel_samples.py BASE_URL [MAX_TOKENS]"""
import concurrent.futures
import json
import sys
import time
import urllib.request

BASE = sys.argv[1].rstrip("/")
MAX_TOKENS = int(sys.argv[2]) if len(sys.argv) > 2 else 64
PROMPT = " ".join(["The history of the printing press begins with movable type in East Asia and"
                   " reaches Europe in the fifteenth century, where it changed how knowledge"
                   " spread."] * 24) + " Summarise this in one sentence:"


def post(path, body):
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def prefill_tokens():
    with urllib.request.urlopen(BASE + "/metrics", timeout=60) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("odma:prompt_tokens_total"):
                return float(line.split()[-1])
    raise SystemExit("no odma:prompt_tokens_total in /metrics")


def completion(n, seed):
    return post("/v1/completions", {"prompt": PROMPT, "max_tokens": MAX_TOKENS, "n": n,
                                    "temperature": 1.0, "seed": seed, "ignore_eos": True})


def measure(run):
    post("/reset_prefix_cache", {})
    before = prefill_tokens()
    t0 = time.monotonic()
    outputs = run()
    wall = time.monotonic() - t0
    time.sleep(0.3)  # /metrics follows the engine's last step
    tokens = sum(o["usage"]["completion_tokens"] for o in outputs)
    return {"prefill_tokens": prefill_tokens() - before, "output_tok_s": tokens / wall,
            "wall_s": wall, "output_tokens": tokens, "prompt_tokens": outputs[0]["usage"]["prompt_tokens"]}


def separate():
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda i: completion(1, 100 + i), range(4)))


n4 = measure(lambda: [completion(4, 100)])
sep = measure(separate)
print(json.dumps({"n4": n4, "separate": sep, "prompt_tokens": n4["prompt_tokens"],
                  "max_tokens": MAX_TOKENS}))
