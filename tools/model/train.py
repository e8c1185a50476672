#!/usr/bin/env python3
"""Train cocoon/tiny-stories-1m (a llama-architecture transformer) and export it to GGUF.

Architecture (what llama.cpp calls LLAMA): RMSNorm, multi-head attention with interleaved RoPE (pairs
x[2i], x[2i+1], i.e. llama.cpp's rope type NORM, so Q/K need no permutation on export), SwiGLU FFN,
tied input/output embeddings. Windows start at document starts (position 0 is BOS), exactly like a
request at inference time. Run with Debian's python3-torch and OMP_NUM_THREADS set to the cores you have.

Usage: train.py --corpus corpus.txt --tokenizer tok.model --out model.gguf [--steps 900] [--seed 1234]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_writer import GGML_F16, GGML_F32, T_BOOL, T_FLOAT32, T_INT32, T_STRING, T_UINT32, GGUFWriter  # noqa: E402

USER_DEFINED = ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<think>", "</think>"]

# Jinja template (llama.cpp and HF style) for the same rendering the TypeScript engine does natively.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


class Config:
    dim = 128
    n_layers = 4
    n_heads = 4
    hidden = 384
    vocab = 512
    ctx = 256
    eps = 1e-5
    rope_base = 10000.0


def rope_tables(cfg):
    hd = cfg.dim // cfg.n_heads
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    ang = torch.arange(cfg.ctx, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cos(ang), torch.sin(ang)


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; rotate interleaved pairs (x0, x1) -> (x0 c - x1 s, x0 s + x1 c)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    c, s = cos[: x.shape[2]], sin[: x.shape[2]]
    return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, h = cfg.dim, cfg.hidden
        self.n_heads = cfg.n_heads
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.w_gate, self.w_up = nn.Linear(d, h, bias=False), nn.Linear(d, h, bias=False)
        self.w_down = nn.Linear(h, d, bias=False)

    def forward(self, x, cos, sin):
        B, T, D = x.shape
        hd = D // self.n_heads
        y = self.attn_norm(x)
        q = self.wq(y).view(B, T, self.n_heads, hd).transpose(1, 2)
        k = self.wk(y).view(B, T, self.n_heads, hd).transpose(1, 2)
        v = self.wv(y).view(B, T, self.n_heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.wo((att @ v).transpose(1, 2).reshape(B, T, D))
        y = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(y)) * self.w_up(y))


class TinyLlama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        cos, sin = rope_tables(cfg)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, idx):
        x = self.embed(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        return self.norm(x) @ self.embed.weight.T


def load_documents(corpus, sp):
    text = open(corpus, encoding="utf-8").read()
    docs = [d for d in text.split("\n<|doc|>\n") if d.strip()]
    stream, starts = [], []
    for d in docs:
        starts.append(len(stream))
        stream += [sp.bos_id()] + sp.encode(d) + [sp.eos_id()]
    return torch.tensor(stream, dtype=torch.long), torch.tensor(starts, dtype=torch.long)


@torch.no_grad()
def greedy(model, sp, prompt_ids, n):
    ids = list(prompt_ids)
    for _ in range(n):
        logits = model(torch.tensor([ids[-model.cfg.ctx:]]))[0, -1]
        nxt = int(logits.argmax())
        ids.append(nxt)
        if nxt == sp.eos_id():
            break
    return ids


def export_gguf(model, sp, path, f16):
    cfg = model.cfg
    w = GGUFWriter()
    w.add("general.architecture", T_STRING, "llama")
    w.add("general.name", T_STRING, "cocoon/tiny-stories-1m")
    w.add("general.file_type", T_UINT32, 1 if f16 else 0)
    w.add("general.license", T_STRING, "MIT")
    w.add("llama.context_length", T_UINT32, cfg.ctx)
    w.add("llama.embedding_length", T_UINT32, cfg.dim)
    w.add("llama.block_count", T_UINT32, cfg.n_layers)
    w.add("llama.feed_forward_length", T_UINT32, cfg.hidden)
    w.add("llama.rope.dimension_count", T_UINT32, cfg.dim // cfg.n_heads)
    w.add("llama.rope.freq_base", T_FLOAT32, cfg.rope_base)
    w.add("llama.attention.head_count", T_UINT32, cfg.n_heads)
    w.add("llama.attention.head_count_kv", T_UINT32, cfg.n_heads)
    w.add("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, cfg.eps)
    w.add("llama.vocab_size", T_UINT32, cfg.vocab)
    w.add("tokenizer.ggml.model", T_STRING, "llama")
    pieces, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        p = sp.id_to_piece(i)
        pieces.append(p)
        scores.append(float(sp.get_score(i)))
        if sp.IsUnknown(i):
            types.append(2)
        elif sp.IsControl(i):
            types.append(3)
        elif sp.IsByte(i):
            types.append(6)
        elif p in USER_DEFINED:
            types.append(4)
        elif sp.IsUnused(i):
            types.append(5)
        else:
            types.append(1)
    w.add_array("tokenizer.ggml.tokens", T_STRING, pieces)
    w.add_array("tokenizer.ggml.scores", T_FLOAT32, scores)
    w.add_array("tokenizer.ggml.token_type", T_INT32, types)
    w.add("tokenizer.ggml.bos_token_id", T_UINT32, sp.bos_id())
    w.add("tokenizer.ggml.eos_token_id", T_UINT32, sp.eos_id())
    w.add("tokenizer.ggml.unknown_token_id", T_UINT32, sp.unk_id())
    w.add("tokenizer.ggml.add_bos_token", T_BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", T_BOOL, False)
    w.add("tokenizer.chat_template", T_STRING, CHAT_TEMPLATE)
    wt = GGML_F16 if f16 else GGML_F32

    def t(name, tensor, two_d=True):
        # llama.cpp convention: 1-D tensors (norms) stay F32 even in an F16 file.
        w.add_tensor(name, tensor.detach().float().numpy(), wt if two_d else GGML_F32)

    t("token_embd.weight", model.embed.weight)
    for i, b in enumerate(model.blocks):
        t(f"blk.{i}.attn_norm.weight", b.attn_norm.weight, False)
        t(f"blk.{i}.attn_q.weight", b.wq.weight)
        t(f"blk.{i}.attn_k.weight", b.wk.weight)
        t(f"blk.{i}.attn_v.weight", b.wv.weight)
        t(f"blk.{i}.attn_output.weight", b.wo.weight)
        t(f"blk.{i}.ffn_norm.weight", b.ffn_norm.weight, False)
        t(f"blk.{i}.ffn_gate.weight", b.w_gate.weight)
        t(f"blk.{i}.ffn_up.weight", b.w_up.weight)
        t(f"blk.{i}.ffn_down.weight", b.w_down.weight)
    t("output_norm.weight", model.norm.weight, False)
    w.write(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True, help="GGUF path (F16 weights, F32 norms)")
    ap.add_argument("--steps", type=int, default=900)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--f32", action="store_true", help="write F32 weights instead of F16")
    ap.add_argument("--checkpoint", help="torch state file, saved every 100 steps and reused on restart")
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    cfg = Config()
    sp = spm.SentencePieceProcessor(model_file=a.tokenizer)
    assert sp.get_piece_size() == cfg.vocab
    stream, starts = load_documents(a.corpus, sp)
    starts = starts[starts + cfg.ctx + 1 <= len(stream)]
    print(json.dumps({"event": "data", "tokens": len(stream), "documents": len(starts)}), flush=True)

    model = TinyLlama(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.01)
    step0 = 0
    if a.checkpoint and os.path.exists(a.checkpoint):
        st = torch.load(a.checkpoint)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step0 = st["step"]
    gen = torch.Generator().manual_seed(a.seed)
    for _ in range(step0):  # replay the sampler so a resumed run sees the same batches
        torch.randint(len(starts), (a.batch,), generator=gen)
    warm = 30
    t0 = time.time()
    for step in range(step0, a.steps):
        lr = a.lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        pick = starts[torch.randint(len(starts), (a.batch,), generator=gen)]
        batch = torch.stack([stream[s: s + cfg.ctx + 1] for s in pick.tolist()])
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == a.steps - 1:
            el = time.time() - t0
            print(json.dumps({"event": "step", "step": step, "loss": round(loss.item(), 4), "lr": round(lr, 5),
                              "elapsed_s": round(el, 1)}), flush=True)
        if a.checkpoint and (step + 1) % 100 == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step + 1}, a.checkpoint)
    if a.checkpoint:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": a.steps}, a.checkpoint)
    model.eval()
    ids = greedy(model, sp, [sp.bos_id()] + sp.encode("Once upon a time"), 120)
    print(json.dumps({"event": "sample", "params": n_params, "text": sp.decode(ids)}), flush=True)
    export_gguf(model, sp, a.out, f16=not a.f32)
    print(json.dumps({"event": "exported", "path": a.out}), flush=True)


if __name__ == "__main__":
    main()
