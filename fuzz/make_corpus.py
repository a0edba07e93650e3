#!/usr/bin/env python3
"""Writes the committed seed corpora (fuzz/corpus/<target>/) from the shipped files in data/ and
hand-made edge cases. Deterministic; rerun after changing a parser's format:

    python3 fuzz/make_corpus.py [--odma build/odma]

--odma trains two tiny predictor models for the predictor_model corpus (`odma predictor train`);
without it those seeds are kept as they are."""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def read(rel, lines=None):
    path = os.path.join(DATA, rel)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        if lines is None:
            return f.read()
        return b"".join(f.readline() for _ in range(lines))


def seeds(target, items):
    d = os.path.join(OUT, target)
    if os.path.isdir(d):
        for name in os.listdir(d):
            if not name.endswith(".odmp"):
                os.remove(os.path.join(d, name))
    os.makedirs(d, exist_ok=True)
    for name, data in items:
        with open(os.path.join(d, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None, pad=0):
    """tensors: [(name, dtype, shape, bytes)] -> a safetensors file."""
    header, blob = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    h = json.dumps(header).encode() + b" " * pad
    return struct.pack("<Q", len(h)) + h + blob


def safetensors_seeds():
    f32 = struct.pack("<6f", *range(6))
    tiny_header = read("models/qwen2-tiny/model.safetensors.gz")
    n = struct.unpack("<Q", tiny_header[:8])[0]
    return [
        ("f32_2x3", safetensors([("w", "F32", [2, 3], f32)])),
        ("mixed", safetensors([("a", "BF16", [4], b"\x80\x3f" * 4), ("b", "F16", [2, 2], b"\x00\x3c" * 4),
                               ("c", "F32", [], b"\x00\x00\x80\x3f")], {"format": "pt"}, pad=5)),
        ("empty_tensor", safetensors([("z", "F32", [0, 4], b"")])),
        ("empty_header", safetensors([])),
        ("unsupported_dtype", safetensors([("i", "I64", [1], b"\x01" + b"\x00" * 7)])),
        ("bad_offsets", struct.pack("<Q", 58) + b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}    '),
        ("truncated", safetensors([("w", "F32", [2, 3], f32)])[:-5]),
        ("huge_header_len", struct.pack("<Q", 1 << 62) + b"{}"),
        # qwen2-tiny's real header (its 25 tensors), the data cut: every offset runs past the end.
        ("qwen2_tiny_header", tiny_header[: 8 + n]),
    ]


def model_config_seeds():
    items = [("qwen2_tiny", read("models/qwen2-tiny/config.json")),
             ("stories260k", read("models/stories260K-hf/config.json"))]
    for name in sorted(os.listdir(os.path.join(DATA, "model_shapes"))):
        items.append(("shape_" + name[:-5], read("model_shapes/" + name)))
    llama = json.loads(read("models/stories260K-hf/config.json"))
    llama.update({"attention_bias": True, "head_dim": 16, "eos_token_id": [1, 2]})
    items.append(("llama_head_dim", json.dumps(llama)))
    items.append(("with_generation_config",
                  read("models/qwen2-tiny/config.json") + b'\n----\n{"bos_token_id": 1, "eos_token_id": [2, 3]}'))
    items.append(("bad_generation_config",
                  read("models/qwen2-tiny/config.json") + b'\n----\n{"eos_token_id": "x"}'))
    items.append(("not_object", "[1, 2]"))
    return items


def tokenizer_json_seeds():
    byte_level = {
        "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3}, "merges": ["a b"]},
        "added_tokens": [{"id": 4, "content": "<|end|>", "special": True, "lstrip": False, "rstrip": False,
                          "normalized": False, "single_word": False}],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
        "decoder": {"type": "ByteLevel"},
        "post_processor": None,
    }
    return [
        ("qwen2_tiny", read("models/qwen2-tiny/tokenizer.json") + b"\n----\n" +
         read("models/qwen2-tiny/tokenizer_config.json")),
        ("stories260k", read("models/stories260K-hf/tokenizer.json") + b"\n----\n" +
         read("models/stories260K-hf/tokenizer_config.json")),
        ("byte_level_min", json.dumps(byte_level)),
        ("no_model", '{"added_tokens": []}'),
        ("bad_merge", '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a zz"]}}'),
    ]


def encode_decode_seeds():
    items = []
    with gzip.open(os.path.join(DATA, "tokenizer", "golden.jsonl.gz"), "rt") as f:
        for i, line in enumerate(f):
            if i % 40 == 0 and len(items) < 40:
                items.append(("golden_%03d" % i, json.loads(line)["text"].encode()))
    items += [
        ("non_nfc", "e\u0301 A\u030a \u1e9b\u0323".encode()),
        ("added_tokens", "<|im_start|>user\nhi<|im_end|><|endoftext|>".encode()),
        ("emoji_cjk", "\U0001f642\U0001f468\u200d\U0001f469 日本語 한국어".encode()),
        ("invalid_utf8", b"ok \xff\xfe \xc3( \xed\xa0\x80 \xf4\x90\x80\x80"),
        ("ids_like", struct.pack("<8I", 9707, 1879, 151643, 151644, 0, 1, 2, 200000)),
        ("whitespace", b" \t\r\n\x0b\x0c\xc2\xa0\xe3\x80\x80  \n\n"),
    ]
    return items


def chat_template_seeds():
    items = []
    d = os.path.join(DATA, "chat_templates")
    for name in sorted(os.listdir(d)):
        if name.endswith(".json"):
            text = read("chat_templates/" + name)
            items.append((name[:-5], text))
            items.append((name[:-5] + "_raw", json.loads(text)["chat_template"]))
    items += [
        ("loops_macros", "{% macro m(x) %}{{ x|upper }}{% endmacro %}{% for i in range(3) %}{{ m(i|string) }}"
                         "{% if loop.last %}!{% endif %}{% endfor %}{{ messages|length }}"),
        ("raise", "{% if messages[0].role != 'system' %}{{ raise_exception('need system') }}{% endif %}"),
        ("filters", "{{ messages|map(attribute='content')|join(', ')|trim|replace('a', 'b') }}"
                    "{{ {'a': 1}|tojson }}{{ 'x' * 3 }}{{ [1,2,3][1:] }}{{ ns }}"),
        ("unsupported", "{% include 'x' %}"),
        ("list_config", json.dumps({"chat_template": [{"name": "default", "template": "{{ bos_token }}"},
                                                      {"name": "tool_use", "template": "x"}],
                                    "bos_token": {"content": "<s>"}})),
    ]
    return items


def trace_jsonl_seeds():
    return [
        ("basic", '{"id": "a", "prompt": "hi", "prompt_tokens": 3, "output_tokens": 5, "arrival_s": 0.5}\n'
                  '{"id": "b", "prompt_tokens": 1, "output_tokens": 1}\n'),
        ("unsorted", '{"id": "x", "prompt_tokens": 2, "output_tokens": 2, "arrival_s": 3}\n\n'
                     '{"id": "y", "prompt_tokens": 2, "output_tokens": 2, "arrival_s": 1}\r\n'),
        ("duplicate_id", '{"id": "x", "prompt_tokens": 2, "output_tokens": 2}\n{"id": "x", "prompt_tokens": 2, "output_tokens": 2}\n'),
        ("bad_types", '{"id": 7, "prompt_tokens": "2", "output_tokens": -1, "arrival_s": 1e999}\n'),
        ("unicode_prompt", '{"id": "\u00e9", "prompt": "\\ud83d\\ude42 caf\u00e9", "prompt_tokens": 4, "output_tokens": 9}\n'),
        ("not_object", "[1]\n"),
    ]


def trace_csv_seeds():
    az = read("traces/AzureLLMInferenceTrace_conv.csv.gz", lines=8)
    code = read("traces/AzureLLMInferenceTrace_code.csv.gz", lines=8)
    ax = read("traces/vidur_arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv.gz", lines=8)
    nq = read("lengths/nq_oracle.tsv", lines=8)
    return [
        ("azure_conv", b"\x00" + az), ("azure_code", b"\x01" + code), ("arxiv", b"\x02" + ax),
        ("nq_lengths", b"\x03" + nq),
        ("azure_out_of_order", b"\x00TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:50.1,3,4\n"
                               b"2023-11-16 18:15:46.6805900,374,44\n"),
        ("azure_bad_time", b"\x00TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-99 25:61:61.,0,-1\n"),
        ("arxiv_total_mismatch", b"\x02num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n1,2,4,0.5\n"),
        ("header_only", b"\x03index\tquestion_tokens\tlong_answer_tokens\n"),
    ]


def openai_request_seeds():
    chat = lambda body: "0" + json.dumps(body)
    compl = lambda body: "1" + json.dumps(body)
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    return [
        ("chat_min", chat({"messages": [{"role": "user", "content": "Hello"}]})),
        ("chat_full", chat({"model": "qwen2-tiny", "messages": msgs, "max_tokens": 8, "temperature": 0.7,
                            "top_p": 0.9, "top_k": 20, "seed": -5, "stop": ["\n", "x"], "stream": True,
                            "stream_options": {"include_usage": True}, "presence_penalty": 0.5,
                            "frequency_penalty": -0.5, "ignore_eos": False, "user": "u", "n": 1,
                            "logprobs": False, "top_logprobs": 0, "logit_bias": {},
                            "response_format": {"type": "text"}, "tools": [], "tool_choice": "none"})),
        ("chat_parts", chat({"messages": [{"role": "developer", "content": [{"type": "text", "text": "a"},
                                                                           {"type": "text", "text": "b"}]},
                                          {"role": "assistant", "content": None},
                                          {"role": "user", "content": "c"}],
                             "max_completion_tokens": 4})),
        ("chat_bad", chat({"messages": [{"role": "tool", "content": 1}], "temperature": 3, "top_p": 0})),
        ("compl_text", compl({"prompt": "Once upon a time", "max_tokens": 16, "echo": False, "suffix": None,
                              "best_of": 1, "logprobs": None})),
        ("compl_ids", compl({"prompt": [1, 2, 3, 151643], "max_tokens": 300})),
        ("compl_echo_logprobs", compl({"prompt": "Once", "max_tokens": 0, "echo": True, "logprobs": 5,
                                       "n": 3, "prompt_logprobs": None})),
        ("chat_logprobs_n", chat({"messages": msgs, "logprobs": True, "top_logprobs": 20, "n": 128})),
        ("compl_nested", compl({"prompt": [[5, 6]], "stop": "", "seed": 18446744073709551615})),
        ("chat_json_schema", chat({"messages": msgs, "response_format": {"type": "json_schema", "json_schema": {
            "name": "w", "strict": True, "schema": {
                "type": "object", "$defs": {"u": {"enum": ["c", "f"]}},
                "properties": {"city": {"type": "string", "maxLength": 8, "pattern": "^[A-Z][a-z]+$"},
                               "days": {"type": "integer", "minimum": -3, "maximum": 14},
                               "at": {"type": "string", "format": "date-time"},
                               "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                               "unit": {"$ref": "#/$defs/u"}, "x": {"anyOf": [{"type": "null"}, {"const": 1}]}},
                "required": ["city", "unit"], "additionalProperties": False}}}})),
        ("compl_guided", compl({"prompt": "a", "guided_regex": "[0-9]{2,4}(ab|cd)*",
                                "structured_outputs": {"choice": ["x", "y"]}})),
        ("chat_tools", chat({"messages": msgs + [
            {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
                "name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "22 C"}],
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d", "parameters": {
                "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": False})),
        ("compl_many", compl({"prompt": ["a", "b"]})),
        ("tokenize_prompt", "2" + json.dumps({"prompt": "hello world", "add_special_tokens": False})),
        ("tokenize_chat", "2" + json.dumps({"messages": msgs, "add_generation_prompt": True})),
        ("detokenize", "3" + json.dumps({"tokens": [9707, 1879, -1, 999999]})),
        ("not_json", "0{\"messages\": [}"),
        ("bad_utf8", b"1{\"prompt\": \"\xff\xfe\"}"),
    ]


def predictor_seeds(odma):
    d = os.path.join(OUT, "predictor_model")
    os.makedirs(d, exist_ok=True)
    if odma:
        with tempfile.TemporaryDirectory() as tmp:
            for name, args in [("nq_6bits_8bins", ["--dataset", "nq", "--hash-bits", "6", "--bins", "8"]),
                               ("alpaca_4bits_4bins", ["--dataset", "alpaca", "--hash-bits", "4", "--bins", "4"])]:
                out = os.path.join(tmp, name + ".odmp")
                subprocess.run([odma, "predictor", "train", "--epochs", "1", "--out", out] + args,
                               check=True, capture_output=True)
                shutil.copy(out, os.path.join(d, name + ".odmp"))
    for name in os.listdir(d):
        if not name.endswith(".odmp"):
            os.remove(os.path.join(d, name))
    with open(os.path.join(d, "bad_magic"), "wb") as f:
        f.write(b"ODMX" + b"\x01\x00\x00\x00" + b"\x02\x00\x00\x00{}" + b"\x00" * 12)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--odma", help="odma binary, to train the predictor seeds")
    a = ap.parse_args()
    seeds("safetensors", safetensors_seeds())
    seeds("model_config", model_config_seeds())
    seeds("tokenizer_json", tokenizer_json_seeds())
    seeds("tokenizer_encode_decode", encode_decode_seeds())
    seeds("chat_template", chat_template_seeds())
    seeds("trace_jsonl", trace_jsonl_seeds())
    seeds("trace_csv", trace_csv_seeds())
    seeds("openai_request", openai_request_seeds())
    predictor_seeds(a.odma)


if __name__ == "__main__":
    main()
