#!/usr/bin/env python3
"""A small numpy float32 forward of the tiny-llama models, for fast exploration only (the study's
numbers come from sparkmerge). Loss per task as `sparkmerge eval` defines it; exact match from the
teacher-forced pass (greedy decoding reproduces the completion iff every completion byte is the
argmax); choice accuracy by summed log-likelihood.

  python3 jobs/quality/np_eval.py MODEL_DIR [BASE+ADAPTER ...] [--tasks jobs/evals/tiny-tasks]
"""
import argparse, glob, json, os, struct
import numpy as np


def load_st(path):
    out = {}
    for p in sorted(glob.glob(os.path.join(path, "*.safetensors"))):
        with open(p, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            h = json.loads(f.read(n))
            data = f.read()
        for k, v in h.items():
            if k != "__metadata__":
                a, b = v["data_offsets"]
                out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy()
    return out


def load_model(spec):
    if "+" in spec:
        base, ad = spec.split("+")
        w = load_st(base)
        a = load_st(ad)
        cfg = json.load(open(os.path.join(ad, "adapter_config.json")))
        s = cfg["lora_alpha"] / cfg["r"]
        for k in list(w):
            A = a.get(f"base_model.model.{k[:-7]}.lora_A.weight")
            if A is not None:
                B = a[f"base_model.model.{k[:-7]}.lora_B.weight"]
                w[k] = (w[k] + (B @ A) * np.float32(s)).astype(np.float32)
        return w
    return load_st(spec)


class Llama:
    def __init__(self, w, L=4, H=4, KV=2, D=32, theta=10000.0, eps=1e-5):
        self.w, self.L, self.H, self.KV, self.D, self.eps = w, L, H, KV, D, eps
        inv = 1.0 / theta ** (np.arange(0, D, 2, dtype=np.float32) / D)
        t = np.arange(256, dtype=np.float32)
        f = np.outer(t, inv)
        emb = np.concatenate([f, f], -1)
        self.cos, self.sin = np.cos(emb).astype(np.float32), np.sin(emb).astype(np.float32)

    def norm(self, x, g):
        v = (x * x).mean(-1, keepdims=True)
        return (x / np.sqrt(v + self.eps)) * g

    def rope(self, x, T):
        c, s = self.cos[:T], self.sin[:T]
        h = x.shape[-1] // 2
        rot = np.concatenate([-x[..., h:], x[..., :h]], -1)
        return x * c + rot * s

    def logprobs(self, ids):
        """ids: (N, T) int; returns log-softmax (N, T, V), causal."""
        w = self.w
        N, T = ids.shape
        x = w["model.embed_tokens.weight"][ids]
        mask = np.triu(np.full((T, T), -np.inf, dtype=np.float32), 1)
        for l in range(self.L):
            p = f"model.layers.{l}."
            h = self.norm(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(N, T, self.H, self.D).transpose(0, 2, 1, 3)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(N, T, self.KV, self.D).transpose(0, 2, 1, 3)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(N, T, self.KV, self.D).transpose(0, 2, 1, 3)
            q, k = self.rope(q, T), self.rope(k, T)
            rep = self.H // self.KV
            k, v = np.repeat(k, rep, 1), np.repeat(v, rep, 1)
            a = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(self.D)) + mask
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            o = (a @ v).transpose(0, 2, 1, 3).reshape(N, T, self.H * self.D)
            x = x + o @ w[p + "self_attn.o_proj.weight"].T
            h = self.norm(x, w[p + "post_attention_layernorm.weight"])
            g = h @ w[p + "mlp.gate_proj.weight"].T
            u = h @ w[p + "mlp.up_proj.weight"].T
            x = x + ((g / (1 + np.exp(-g))) * u) @ w[p + "mlp.down_proj.weight"].T
        x = self.norm(x, w["model.norm.weight"])
        z = (x @ w["lm_head.weight"].T).astype(np.float64)
        z -= z.max(-1, keepdims=True)
        return z - np.log(np.exp(z).sum(-1, keepdims=True))


def score_pairs(m, pairs):
    """pairs of (context bytes, target bytes) -> (sum logp, ntok, all-argmax) each."""
    out = [None] * len(pairs)
    T = max(len(c) + len(t) for c, t in pairs)
    ids = np.zeros((len(pairs), T), dtype=np.int64)
    for i, (c, t) in enumerate(pairs):
        s = c + t
        ids[i, :len(s)] = list(s)
    lp = m.logprobs(ids)
    for i, (c, t) in enumerate(pairs):
        pos = np.arange(len(c) - 1, len(c) + len(t) - 1)
        tgt = np.array(list(t))
        lps = lp[i, pos, tgt]
        am = lp[i, pos].argmax(-1)
        out[i] = (lps.sum(), len(t), bool((am == tgt).all()))
    return out


def evaluate(m, tasks_dir):
    res = {}
    for f in sorted(glob.glob(os.path.join(tasks_dir, "*.jsonl"))):
        name = os.path.basename(f)[:-6]
        rows = [json.loads(l) for l in open(f) if l.strip()]
        if "text" in rows[0]:
            pairs = [(r["text"].encode()[:1], r["text"].encode()[1:]) for r in rows]
            sc = score_pairs(m, pairs)
            res[name] = {"loss": -sum(s[0] for s in sc) / sum(s[1] for s in sc)}
        elif "choices" in rows[0]:
            pairs = [(r["prompt"].encode(), c.encode()) for r in rows for c in r["choices"]]
            sc = score_pairs(m, pairs)
            tot, n, acc = 0.0, 0, 0
            for i, r in enumerate(rows):
                s = sc[4 * i: 4 * i + 4]
                tot -= s[r["answer"]][0]
                n += s[r["answer"]][1]
                acc += int(np.argmax([x[0] for x in s]) == r["answer"])
            res[name] = {"loss": tot / n, "accuracy": acc / len(rows)}
        else:
            pairs = [(r["prompt"].encode(), r["completion"].encode()) for r in rows]
            sc = score_pairs(m, pairs)
            res[name] = {"loss": -sum(s[0] for s in sc) / sum(s[1] for s in sc),
                         "exact_match": sum(s[2] for s in sc) / len(rows)}
    res_mean = float(np.mean([v["loss"] for v in res.values()]))
    return res_mean, res


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--tasks", default="jobs/evals/tiny-tasks")
    a = ap.parse_args()
    for spec in a.models:
        mean, res = evaluate(Llama(load_model(spec)), a.tasks)
        print(f"{mean:.4f}", " ".join(f"{k}={v['loss']:.4f}" + (f"/{v.get('exact_match', v.get('accuracy'))}" if len(v) > 1 else "") for k, v in res.items()), spec)
