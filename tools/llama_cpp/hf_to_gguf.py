#!/usr/bin/env python3
"""Convert an odma / Hugging Face Qwen2 model directory to a GGUF file llama.cpp loads.

    hf_to_gguf.py --gguf-py LLAMA_CPP/gguf-py MODEL_DIR OUT.gguf [--outtype bf16|f16|f32]

MODEL_DIR is the Hugging Face layout odma reads: config.json (Qwen2ForCausalLM), model.safetensors
(one file, BF16/F16/F32) and tokenizer.json (byte-level BPE), tokenizer_config.json optional.

llama.cpp's own convert_hf_to_gguf.py imports torch and transformers, which Debian 12 does not
package. This converter needs only numpy (Debian: python3-numpy) and llama.cpp's bundled gguf-py
package (which also imports yaml: python3-yaml), and does what convert_hf_to_gguf.py does for
Qwen2ForCausalLM:

* metadata: architecture "qwen2" and the hyperparameters from config.json;
* tensors: llama.cpp's names (token_embd, blk.N.attn_q/k/v (+ bias), attn_output, attn_norm,
  ffn_gate/up/down, ffn_norm, output_norm, output unless tied), matrices in --outtype (BF16 by
  default: the bytes are copied unchanged from a BF16 checkpoint), 1-D tensors (norms, biases)
  in F32 as convert_hf_to_gguf.py writes them;
* tokenizer: "gpt2" BPE with pre-tokenizer "qwen2": the tokens of tokenizer.json by id (ids of
  the embedding's padding rows become "[PAD<id>]", type UNUSED), added special tokens as
  CONTROL, other added tokens USER_DEFINED, the merges, and bos/eos/pad ids (gguf-py's
  SpecialVocab, the same code convert_hf_to_gguf.py uses).
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path


def read_safetensors(path: Path, np):
    """Returns {name: numpy array} views on a memory map of one .safetensors file."""
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    dtypes = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in dtypes:
            raise SystemExit(f"{path}: {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        arr = data[begin:end].view(dtypes[info["dtype"]]).reshape(info["shape"])
        tensors[name] = (info["dtype"], arr)
    return tensors


def to_f32(np, dtype: str, arr):
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    return arr.astype(np.float32)


def gguf_name(hf: str) -> str | None:
    """Qwen2ForCausalLM tensor name -> llama.cpp's (None: not used by llama.cpp)."""
    fixed = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    if hf in fixed:
        return fixed[hf]
    parts = hf.split(".")
    if len(parts) < 5 or parts[0] != "model" or parts[1] != "layers":
        return None
    layer, rest = parts[2], ".".join(parts[3:])
    per_layer = {
        "input_layernorm.weight": "attn_norm.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.v_proj.bias": "attn_v.bias",
        "self_attn.o_proj.weight": "attn_output.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    if rest not in per_layer:
        return None
    return f"blk.{layer}.{per_layer[rest]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--gguf-py", type=Path, required=True, help="llama.cpp's gguf-py folder")
    ap.add_argument("--outtype", choices=["bf16", "f16", "f32"], default="bf16")
    args = ap.parse_args()

    try:
        import numpy as np
    except ImportError:
        raise SystemExit("hf_to_gguf.py needs numpy (Debian: apt-get install python3-numpy)")
    sys.path.insert(0, str(args.gguf_py))
    import gguf  # llama.cpp's gguf-py, from the same source tree as the binaries

    cfg = json.loads((args.model_dir / "config.json").read_text())
    if cfg.get("model_type") != "qwen2" and "Qwen2ForCausalLM" not in cfg.get("architectures", []):
        raise SystemExit(f"{args.model_dir}: not a Qwen2ForCausalLM model")
    n_vocab = cfg["vocab_size"]

    # ---- tokenizer (gpt2-style byte-level BPE) ----
    tok = json.loads((args.model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    if tok["model"]["type"] != "BPE":
        raise SystemExit("tokenizer.json: only BPE tokenizers are supported")
    by_id: dict[int, str] = {i: t for t, i in tok["model"]["vocab"].items()}
    added = {a["id"]: a for a in tok.get("added_tokens", [])}
    for i, a in added.items():
        by_id[i] = a["content"]
    if max(by_id) >= n_vocab:
        raise SystemExit(f"tokenizer has id {max(by_id)} >= vocab_size {n_vocab}")
    tokens, types = [], []
    for i in range(n_vocab):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.CONTROL if added[i].get("special") else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)

    # ---- tensors ----
    st = args.model_dir / "model.safetensors"
    if not st.exists():
        raise SystemExit(f"{st}: missing (sharded checkpoints are not supported)")
    tensors = read_safetensors(st, np)

    file_type = {"bf16": gguf.LlamaFileType.MOSTLY_BF16, "f16": gguf.LlamaFileType.MOSTLY_F16,
                 "f32": gguf.LlamaFileType.ALL_F32}[args.outtype]

    w = gguf.GGUFWriter(args.out, "qwen2")
    w.add_name(args.model_dir.name)
    w.add_context_length(cfg.get("max_position_embeddings", 32768))
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg.get("num_key_value_heads", cfg["num_attention_heads"]))
    w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
    w.add_layer_norm_rms_eps(cfg.get("rms_norm_eps", 1e-6))
    w.add_file_type(file_type)

    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    special = gguf.SpecialVocab(args.model_dir, load_merges=True, n_vocab=n_vocab)
    if not special.merges:
        raise SystemExit("tokenizer.json: no merges found")
    special.add_to_gguf(w)

    n_written = 0
    for name in sorted(tensors):
        dtype, arr = tensors[name]
        out_name = gguf_name(name)
        if out_name is None:
            print(f"hf_to_gguf: skipping {name}", file=sys.stderr)
            continue
        if arr.ndim == 1:
            w.add_tensor(out_name, np.ascontiguousarray(to_f32(np, dtype, arr)))
        elif args.outtype == "bf16" and dtype == "BF16":
            w.add_tensor(out_name, arr, raw_dtype=gguf.GGMLQuantizationType.BF16)
        elif args.outtype == "bf16":
            f32 = to_f32(np, dtype, arr)
            bits = f32.view(np.uint32)
            rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)  # RNE
            w.add_tensor(out_name, rounded, raw_dtype=gguf.GGMLQuantizationType.BF16)
        elif args.outtype == "f16":
            w.add_tensor(out_name, to_f32(np, dtype, arr).astype(np.float16))
        else:
            w.add_tensor(out_name, np.ascontiguousarray(to_f32(np, dtype, arr)))
        n_written += 1

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()
    print(f"hf_to_gguf: wrote {args.out} ({n_written} tensors, {args.outtype}, "
          f"{len(tokens)} tokens, {len(special.merges)} merges)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
