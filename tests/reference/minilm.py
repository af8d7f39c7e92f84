"""NumPy reference forward pass for sentence-transformers/all-MiniLM-L6-v2.

This is the reference used by the compatibility test of Hearth's own
safetensors -> GGUF import: it computes the embeddings straight from the
original model folder (model.safetensors + tokenizer.json), independent of
Hearth, so the vectors Hearth serves can be compared with them.

Model: BERT, 6 layers, hidden 384, 12 heads, intermediate 1536, exact (erf)
GELU, LayerNorm eps 1e-12, absolute position embeddings, token type 0 for
every token; then mean pooling over the tokens and L2 normalisation.

Dependencies: numpy, safetensors, tokenizers.
Usage: python tests/reference/minilm.py MODEL_DIR OUT.json
"""
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

LAYERS, HEADS, EPS = 6, 12, 1e-12
MAX_SEQ_LEN = 256  # sentence_bert_config.json max_seq_length

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
    "Hello, world!",
    "What time does the train to Boston leave tomorrow morning?",
    "The quarterly revenue grew by 12.5% to $3,400,000 in 2023.",
    "def f(x): return x**2",
    "See https://example.com/docs?page=2&lang=en for details.",
    "ThE qUiCk BrOwN fOx JuMpS oVeR tHe LaZy DoG.",
    "We met at a small café near the old harbour.",
    "It's not my fault that the dog's bowl is empty.",
    "She is a well-known author of state-of-the-art science fiction.",
    "Why?",
    "Pi is approximately 3.14159, and e is about 2.71828.",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "Wait... what?! No -- that can't be right; check again (please).",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Café owners don't like 3.14-percent taxes!",
    "Although the committee had spent nearly three years reviewing the proposal, "
    "gathering testimony from engineers, economists, and local residents, it "
    "still could not agree on whether the new bridge should be built upstream, "
    "where the river is narrower, or downstream near the city centre, where "
    "traffic congestion is already a daily problem for thousands of commuters.",
    "I love machine learning.",
]


def _layer_norm(x, w, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * w + b


_erf = np.vectorize(math.erf)


def _gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def _embed(w, ids):
    """Forward one sentence (token ids incl. [CLS]/[SEP]); returns unit vector."""
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    d = x.shape[1] // HEADS
    lin = lambda h, name: h @ w[name + ".weight"].T + w[name + ".bias"]
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (lin(x, p + "attention.self." + t).reshape(n, HEADS, d).transpose(1, 0, 2)
                   for t in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        ctx = ((s / s.sum(-1, keepdims=True)) @ v).transpose(1, 0, 2).reshape(n, -1)
        x = _layer_norm(lin(ctx, p + "attention.output.dense") + x,
                        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = _gelu(lin(x, p + "intermediate.dense"))
        x = _layer_norm(lin(h, p + "output.dense") + x,
                        w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(0)  # no padding, so plain mean == masked mean
    return pooled / max(np.linalg.norm(pooled), 1e-12)


def load_tokenizer(model_dir):
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()  # tokenizer.json pads to a fixed 128; encode each sentence alone
    tok.enable_truncation(MAX_SEQ_LEN)
    return tok


def reference_embeddings(model_dir: str, sentences: list[str]) -> list[list[float]]:
    tok = load_tokenizer(model_dir)
    w = {k: v.astype(np.float64) for k, v in
         load_file(os.path.join(model_dir, "model.safetensors")).items() if v.dtype.kind == "f"}
    return [_embed(w, np.array(tok.encode(s).ids)).tolist() for s in sentences]


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: minilm.py MODEL_DIR OUT.json")
    embs = reference_embeddings(argv[1], SENTENCES)
    out = {"model": "all-minilm:l6-v2", "sentences": SENTENCES,
           "embeddings": [[float(f"{x:.7g}") for x in e] for e in embs]}
    with open(argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv)
