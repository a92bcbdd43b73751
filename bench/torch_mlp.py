#!/usr/bin/python3
"""PyTorch 1.13 twin of `lossforge train --data fashion-mnist --model mlp:256,256 --loss ce
--optim adamw:lr=1e-3 --batch 128`: same architecture (784-256-256-10, ReLU, PyTorch default
init), AdamW (lr 1e-3, wd 1e-2 on weights, none on biases, as lossforge's decay mask), batch 128
with the last partial batch kept, a fresh permutation per epoch, data preloaded as tensors and
standardised with the training set's scalar mean and std.

Prints one JSON line: samples/s of the last epoch (training steps only, as lossforge's
metrics.jsonl), test accuracy, this process's peak RSS, and the BLAS torch uses.
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time


def read_idx(path):
    import numpy as np
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, name):
    for p in (os.path.join(data_dir, name), os.path.join(data_dir, name + ".gz")):
        if os.path.exists(p):
            return p
    sys.exit(f"torch_mlp.py: {name}(.gz) not found in {data_dir}")


def load(torch, data_dir, split):
    x = read_idx(find(data_dir, f"{split}-images-idx3-ubyte"))
    y = read_idx(find(data_dir, f"{split}-labels-idx1-ubyte"))
    x = torch.from_numpy(x.reshape(len(x), -1).astype("float32"))
    return x.div_(255.0), torch.from_numpy(y.astype("int64"))


def make_model(torch, hidden):
    layers, d = [], 784
    for h in hidden:
        layers += [torch.nn.Linear(d, h), torch.nn.ReLU()]
        d = h
    return torch.nn.Sequential(*layers, torch.nn.Linear(d, 10))


def make_optim(torch, model, lr):
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 1e-2},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def train_epoch(torch, model, opt, x, y, batch):
    F = torch.nn.functional
    order = torch.randperm(len(x))
    t0 = time.perf_counter()
    for off in range(0, len(x), batch):
        idx = order[off:off + batch]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return len(x) / (time.perf_counter() - t0)


def accuracy(torch, model, x, y):
    with torch.no_grad():
        return sum((model(x[i:i + 1024]).argmax(1) == y[i:i + 1024]).sum().item()
                   for i in range(0, len(x), 1024)) / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--hidden", default="256,256")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--blas-threads", type=int, default=0,
                    help="OpenBLAS threads (default: --threads)")
    args = ap.parse_args()
    # Debian's torch reaches OpenBLAS (pthreads) through libblas.so.3, which keeps its own pool
    # sized to all cores unless told otherwise; set it before torch loads it. Its pool and
    # torch's OpenMP pool do not share cores, hence --blas-threads to try the split.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads or args.threads)
    try:
        import torch
    except ImportError:
        print(json.dumps({"kind": "missing", "what": "torch"}))
        return 0
    from torch_bench import blas_info
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(torch, args.data, "train")
    xte, yte = load(torch, args.data, "t10k")
    mean, std = xtr.mean(), xtr.std()
    for x in (xtr, xte):  # in place, so the peak RSS holds one copy of the data
        x.sub_(mean).div_(std)
    model = make_model(torch, [int(h) for h in args.hidden.split(",")])
    opt = make_optim(torch, model, args.lr)
    for _ in range(args.epochs):
        sps = train_epoch(torch, model, opt, xtr, ytr, args.batch)
    print(json.dumps({"kind": "mlp", "threads": args.threads,
                      "blas_threads": args.blas_threads or args.threads, "samples_per_s": sps,
                      "test_acc": accuracy(torch, model, xte, yte),
                      "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "torch": torch.__version__, **blas_info(torch)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
