#!/usr/bin/env python3
"""Reference outputs of cocoon/tiny-stories-1m computed by torch + sentencepiece, for the TypeScript tests.

Writes JSON with (1) sentencepiece encodings of tricky strings (byte fallback, chat markers, spaces,
digits, emoji), (2) next-token logits and greedy continuations for a few prompts, computed with the
2-D weights rounded to F16 exactly as stored in the GGUF. The TypeScript engine must agree with this
independent implementation. Usage: reference.py --tokenizer tok.model --checkpoint ckpt.pt --out reference.json
"""
import argparse
import json
import os
import sys

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

TEXTS = [
    "Once upon a time",
    "Hello world",
    "  two  spaces and trailing ",
    "Digits 12345 and 3.14",
    "Tom's cat said, \"Hi!\"",
    "caf\u00e9 na\u00efve \u00fcber",
    "\u732b\u304c\u597d\u304d \U0001F431\U0001F680",
    "<|user|>\nTell me a story.<|end|>\n<|assistant|>\n",
    "<think>\nplan\n</think>\nDone.",
    "<s> is not a control token in text </s>",
    "tabs\tand\r\nCRLF",
    "",
    " ",
    "a",
]

PROMPTS = [
    "Once upon a time",
    "<|user|>\nTell me a story about a cat named Tom.<|end|>\n<|assistant|>\n",
    "<|system|>\nYou write short stories.<|end|>\n<|user|>\nWrite a funny story about Mia and a kite.<|end|>\n<|assistant|>\n<think>\n",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokens", type=int, default=48)
    a = ap.parse_args()
    sp = spm.SentencePieceProcessor(model_file=a.tokenizer)
    cfg = train.Config()
    model = train.TinyLlama(cfg)
    model.load_state_dict(torch.load(a.checkpoint)["model"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
    model.eval()
    out = {"tokenizer": [], "generations": []}
    for t in TEXTS:
        ids = sp.encode(t)
        out["tokenizer"].append({"text": t, "ids": ids, "decoded": sp.decode(ids)})
    for p in PROMPTS:
        prompt = [sp.bos_id()] + sp.encode(p)
        with torch.no_grad():
            logits = model(torch.tensor([prompt]))[0, -1].double()
        ids = train.greedy(model, sp, prompt, a.tokens)[len(prompt):]
        out["generations"].append({
            "prompt": p,
            "prompt_ids": prompt,
            "logits": [round(float(x), 5) for x in logits],
            "greedy_ids": ids,
            "greedy_text": sp.decode(ids),
        })
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
