#!/usr/bin/env python3
"""Independent numpy check of a sparkmerge TIES/task-arithmetic merge of the tiny-llama LoRA
adapters (not sparkmerge's code): recomputes every tensor from the base and the adapters with
mergekit's formulas and compares with the merged model sparkmerge wrote.

  python3 jobs/quality/ties_check.py MERGED_DIR --density 0.1 --lambda 1.0 --normalize true
  python3 jobs/quality/ties_check.py MERGED_DIR --method task_arithmetic --lambda 0.4
"""
import argparse, glob, json, os, struct
import numpy as np

TASKS = ["add", "animal", "code", "color", "count"]
M = "jobs/models"


def load(path):
    out = {}
    for p in sorted(glob.glob(os.path.join(path, "*.safetensors"))):
        with open(p, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            h = json.loads(f.read(n))
            data = f.read()
        for k, v in h.items():
            if k == "__metadata__":
                continue
            assert v["dtype"] == "F32", (k, v["dtype"])
            a, b = v["data_offsets"]
            out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("merged")
    ap.add_argument("--method", default="ties", choices=["ties", "task_arithmetic"])
    ap.add_argument("--density", type=float, default=1.0)
    ap.add_argument("--lambda", dest="lam", type=float, default=1.0)
    ap.add_argument("--normalize", default="true")
    ap.add_argument("--weights", default="1,1,1,1,1", help="per task, in order " + ",".join(TASKS))
    a = ap.parse_args()
    w = [float(x) for x in a.weights.split(",")]
    norm = a.normalize == "true"
    base = load(f"{M}/tiny-llama-base")
    ads = [load(f"{M}/tiny-llama-lora-{t}") for t in TASKS]
    merged = load(a.merged)
    worst, worst_k = 0.0, None
    for k, b in base.items():
        deltas = []
        mod = k[: -len(".weight")]
        for ad in ads:
            A = ad.get(f"base_model.model.{mod}.lora_A.weight")
            if A is None:
                deltas.append(np.zeros_like(b))
                continue
            B = ad[f"base_model.model.{mod}.lora_B.weight"]
            dw = (B.astype(np.float32) @ A.astype(np.float32)) * np.float32(2.0)  # alpha/r = 16/8
            # the BASE+ADAPTER model is float32(W + dW); its task vector is that minus W
            deltas.append(((b + dw).astype(np.float32) - b).astype(np.float32))
        D = []
        for wi, d in zip(w, deltas):
            if a.method == "ties" and a.density < 1:
                kkeep = int(np.floor(a.density * d.size))
                flat = np.abs(d).ravel()
                mask = np.zeros(d.size, bool)
                if kkeep > 0:
                    mask[np.argsort(-flat, kind="stable")[:kkeep]] = True
                d = np.where(mask.reshape(d.shape), d, 0).astype(np.float32)
            D.append((np.float32(wi) * d).astype(np.float64))
        D = np.stack(D)
        W = np.array(w, dtype=np.float64).reshape((-1,) + (1,) * b.ndim)
        if a.method == "ties":
            sign = np.where(D.sum(0) >= 0, 1.0, -1.0)
            agree = (D != 0) & (np.sign(D) == sign)
            mixed = (D * agree).sum(0)
            div = (W * agree).sum(0)
            div = np.where(div == 0, 1.0, div)
        else:
            mixed = D.sum(0)
            div = float(np.sum(w)) if abs(np.sum(w)) >= 1e-8 else 1.0
        y = b.astype(np.float64) + a.lam * (mixed / div if norm else mixed)
        got = merged[k].astype(np.float64)
        err = np.max(np.abs(got - y)) / (np.max(np.abs(y - b)) + 1e-30)
        if err > worst:
            worst, worst_k = err, k
    print(f"{a.merged}: largest difference {worst:.3g} of the tensor's largest merged change"
          f" (at {worst_k}); {len(base)} tensors")


if __name__ == "__main__":
    main()
