#!/usr/bin/python3
"""PyTorch float32 baseline for the evaluator's forward pass (docs/BENCHMARKS.md, "Evaluator").

Builds a Llama-family model shape with random weights as a plain torch forward (no
transformers): embedding, per layer RMSNorm, q/k/v/o projections with RoPE and grouped-query
eager attention under a causal mask, RMSNorm, SiLU-gated MLP, final RMSNorm and the LM head for
every position. One thread (torch.set_num_threads(1)), inference_mode, warm-up, then the median
of --runs runs; prints tokens/s. Times are the thread's CPU time (time.thread_time; with one
thread torch computes in the calling thread), as the Java benchmarks measure: the build machine is
shared, and wall time would mostly measure the neighbours. With --gemm, times torch.matmul on the same products instead
(x · wᵀ, as nn.Linear does), the rows scripts/bench gemm prints for MatMul.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/torch_forward_bench.py [--gemm] [shape ...]

CI never runs this; it needs python3-torch (Debian's, on OpenBLAS, is what docs/BENCHMARKS.md used).
"""
import argparse
import statistics
import time

import torch

SHAPES = {
    # layers, hidden, heads, kv heads, intermediate, vocab
    "smollm-135m": (30, 576, 9, 3, 1536, 49152),
    "tinyllama-1.1b": (22, 2048, 32, 4, 5632, 32000),
}


def median_seconds(fn, runs, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.thread_time()
        fn()
        times.append(time.thread_time() - t0)
    return statistics.median(times)


def rms_norm(x, weight, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class Llama:
    def __init__(self, layers, hidden, heads, kv_heads, inter, vocab, seq):
        g = torch.Generator().manual_seed(0)
        d = hidden // heads

        def w(*shape):
            return torch.randn(*shape, generator=g) * 0.02

        self.heads, self.kv_heads, self.d = heads, kv_heads, d
        self.embed = w(vocab, hidden)
        self.layers = [dict(
            norm1=torch.ones(hidden), norm2=torch.ones(hidden),
            q=w(heads * d, hidden), k=w(kv_heads * d, hidden), v=w(kv_heads * d, hidden),
            o=w(hidden, heads * d), gate=w(inter, hidden), up=w(inter, hidden),
            down=w(hidden, inter)) for _ in range(layers)]
        self.norm = torch.ones(hidden)
        self.lm_head = self.embed  # tied (SmolLM); untied models cost the same
        inv = 1.0 / (10000.0 ** (torch.arange(0, d, 2).float() / d))
        ang = torch.outer(torch.arange(seq).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.cos, self.sin = ang.cos(), ang.sin()
        self.mask = torch.full((seq, seq), float("-inf")).triu(1)

    def forward(self, tokens):
        n = tokens.shape[0]
        h = self.embed[tokens]
        group = self.heads // self.kv_heads
        for p in self.layers:
            x = rms_norm(h, p["norm1"])
            q = torch.matmul(x, p["q"].t()).view(n, self.heads, self.d).transpose(0, 1)
            k = torch.matmul(x, p["k"].t()).view(n, self.kv_heads, self.d).transpose(0, 1)
            v = torch.matmul(x, p["v"].t()).view(n, self.kv_heads, self.d).transpose(0, 1)
            q, k = rope(q, self.cos[:n], self.sin[:n]), rope(k, self.cos[:n], self.sin[:n])
            k = k.repeat_interleave(group, dim=0)
            v = v.repeat_interleave(group, dim=0)
            scores = torch.matmul(q, k.transpose(1, 2)) / self.d ** 0.5 + self.mask[:n, :n]
            att = torch.matmul(torch.softmax(scores, dim=-1), v)
            h = h + torch.matmul(att.transpose(0, 1).reshape(n, -1), p["o"].t())
            x = rms_norm(h, p["norm2"])
            gated = torch.nn.functional.silu(torch.matmul(x, p["gate"].t()))
            h = h + torch.matmul(gated * torch.matmul(x, p["up"].t()), p["down"].t())
        return torch.matmul(rms_norm(h, self.norm), self.lm_head.t())


def gemms(layers, hidden, heads, kv_heads, inter, vocab):
    kv = kv_heads * (hidden // heads)
    return [("q, o", hidden, hidden, 2 * layers), ("k, v", hidden, kv, 2 * layers),
            ("gate, up", hidden, inter, 2 * layers), ("down", inter, hidden, layers),
            ("lm_head", hidden, vocab, 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shapes", nargs="*", default=list(SHAPES))
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--gemm", action="store_true", help="time the products alone")
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, seq {a.seq}")
    with torch.inference_mode():
        if a.gemm:
            print("| shape | product | k | n | per forward | ms per call | GFLOP/s | ms per forward |")
            print("|---|---|---:|---:|---:|---:|---:|---:|")
        for name in a.shapes:
            shape = SHAPES[name]
            if a.gemm:
                total = 0.0
                for label, k, n, count in gemms(*shape):
                    x, w = torch.randn(a.seq, k), torch.randn(n, k) * 0.02
                    s = median_seconds(lambda: torch.matmul(x, w.t()), a.runs, warmup=2)
                    total += s * count
                    print(f"| {name} | {label} | {k} | {n} | {count} | {s * 1e3:.3f} | "
                          f"{2 * a.seq * k * n / s / 1e9:.1f} | {s * count * 1e3:.1f} |")
                print(f"| {name} | **all products** | | | | | | **{total * 1e3:.1f}** |")
                continue
            model = Llama(*shape, seq=a.seq)
            tokens = torch.randint(0, shape[5], (a.seq,), generator=torch.Generator().manual_seed(1))
            s = median_seconds(lambda: model.forward(tokens), a.runs)
            print(f"{name}: {s:.3f} s per forward of {a.seq} tokens, "
                  f"{a.seq / s:.1f} tokens/s (median of {a.runs})")


if __name__ == "__main__":
    main()
