"""A tiny random Llama model in Hugging Face form, and a NumPy forward pass of it.

Used by tests/compat/test_import_reference.py to check Hearth's own safetensors → GGUF
import of Llama-family decoders (`hearth models import`): the folder written here is
what Hugging Face would hold (config.json, tokenizer.json with a byte-level BPE trained
here, tokenizer_config.json, model.safetensors), and `reference` computes what llama.cpp
must compute from the converted file: mean-pooled final hidden states and next-token logits.

Usage: python tests/reference/tiny_llama.py FOLDER   (writes the model folder)
"""
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False, "bos_token_id": 0, "eos_token_id": 0,
    "hidden_act": "silu", "torch_dtype": "float32",
}
CORPUS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun.",
    "A sailor went to sea to see what he could see, and all that he could see was the sea.",
    "Models read tokens, build hidden states, and predict the next token of the sentence.",
]
SENTENCES = [
    "The quick brown fox", "A sailor went to sea", "the lazy dog sleeps", "Models predict the next token",
    "what he could see was the sea", "The cat jumps over the fox.", "Hidden states of the sentence",
    "sea, sea, sea", "brown and warm", "The sun",
]


def make_model(folder, seed=0):
    os.makedirs(folder, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=384, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS, trainer)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": False, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}, f)
    config = dict(CONFIG, vocab_size=tokenizer.get_vocab_size())
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    rng = np.random.default_rng(seed)
    d, ff, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    head = d // config["num_attention_heads"]
    kv = config["num_key_value_heads"] * head

    def matrix(rows, columns, scale=0.25):
        return (rng.standard_normal((rows, columns)) * scale).astype(np.float32)

    def norm():
        return (1 + 0.1 * rng.standard_normal(d)).astype(np.float32)

    tensors = {"model.embed_tokens.weight": matrix(vocab, d, 1.0), "model.norm.weight": norm(),
               "lm_head.weight": matrix(vocab, d, 0.5)}
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        tensors.update({
            prefix + "input_layernorm.weight": norm(), prefix + "post_attention_layernorm.weight": norm(),
            prefix + "self_attn.q_proj.weight": matrix(d, d), prefix + "self_attn.k_proj.weight": matrix(kv, d),
            prefix + "self_attn.v_proj.weight": matrix(kv, d), prefix + "self_attn.o_proj.weight": matrix(d, d),
            prefix + "mlp.gate_proj.weight": matrix(ff, d), prefix + "mlp.up_proj.weight": matrix(ff, d),
            prefix + "mlp.down_proj.weight": matrix(d, ff),
        })
    save_file(tensors, os.path.join(folder, "model.safetensors"))


def reference(folder, sentence):
    """(mean-pooled L2-normalised final hidden state, last-position logits) for `sentence`."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    w = {k: v.astype(np.float64) for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}
    ids = Tokenizer.from_file(os.path.join(folder, "tokenizer.json")).encode(sentence).ids
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    d = config["hidden_size"]
    hd = d // heads
    eps = config["rms_norm_eps"]

    def rms(x, weight):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * weight

    def rope(x):  # x: (heads, n, hd); Hugging Face's rotate-half form
        n = x.shape[1]
        inv = 1.0 / (config["rope_theta"] ** (np.arange(0, hd, 2) / hd))
        angles = np.outer(np.arange(n), inv)
        cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles, angles], -1))
        rotated = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
        return x * cos + rotated * sin

    x = w["model.embed_tokens.weight"][ids]
    n = len(ids)
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(n, heads, hd).transpose(1, 0, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(n, kv_heads, hd).transpose(1, 0, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(n, kv_heads, hd).transpose(1, 0, 2)
        q, k = rope(q), rope(k)
        k, v = np.repeat(k, heads // kv_heads, 0), np.repeat(v, heads // kv_heads, 0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + attention.transpose(1, 0, 2).reshape(n, d) @ w[p + "self_attn.o_proj.weight"].T
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + ((gate / (1 + np.exp(-gate))) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    final = rms(x, w["model.norm.weight"])
    pooled = final.mean(0)
    return pooled / np.linalg.norm(pooled), final[-1] @ w["lm_head.weight"].T


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    make_model(sys.argv[1])
    print("wrote", sys.argv[1])
