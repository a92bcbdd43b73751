#!/usr/bin/python3
"""PyTorch 1.13 side of `lf_bench`: optimizer steps, cross-entropy and multi-similarity loss.

Prints one JSON object per line on stdout (lf_bench parses them):
  {"kind": "info", "torch": VERSION, "blas_info": BLAS_INFO, "mapped": [BLAS LIBS]}
  {"kind": "optim", "name": "sgd"|"adamw"|"lion", "n": N, "threads": T, "best_s": .., "median_s": ..}
  {"kind": "ce", "n": ROWS, "k": CLASSES, "threads": T, "best_s": .., "median_s": ..}
  {"kind": "ms", "n": ROWS, "k": DIM, "threads": T, "best_s": .., "median_s": ..}
or {"kind": "missing", "what": "torch"} when torch cannot be imported.

The hyperparameters match the spec strings in bench/bench.c; timing follows the same rule as
there (two warm-up calls, calls batched so one sample lasts >= 20 ms, median over --reps).
"""
import argparse
import json
import os
import re
import sys
import time

MIN_SAMPLE_S = 0.02
LR = {"sgd": 1e-2, "adamw": 1e-3, "lion": 1e-4}
LION_WD = 0.1


def emit(**kv):
    print(json.dumps(kv), flush=True)


def time_calls(fn, reps):
    """(best, median) seconds per call of fn."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    inner = 1 if once >= MIN_SAMPLE_S else int(MIN_SAMPLE_S / max(once, 1e-9)) + 1
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    samples.sort()
    mid = len(samples) // 2
    median = samples[mid] if len(samples) % 2 else 0.5 * (samples[mid - 1] + samples[mid])
    return samples[0], median


def lion_step(torch, params, state, lr, b1=0.9, b2=0.99, wd=LION_WD):
    """lucidrains/lion-pytorch's update, written out (the package is not a dependency)."""
    with torch.no_grad():
        for p in params:
            grad, exp_avg = p.grad, state[p]
            p.data.mul_(1 - lr * wd)
            update = exp_avg.clone().mul_(b1).add(grad, alpha=1 - b1).sign_()
            p.add_(update, alpha=-lr)
            exp_avg.mul_(b2).add_(grad, alpha=1 - b2)


def make_step(torch, name, n):
    """A closure doing one optimizer step on n floats, with the gradient already in place."""
    g = torch.Generator().manual_seed(1)
    p = torch.nn.Parameter(torch.randn(n, generator=g))
    p.grad = torch.randn(n, generator=g).mul_(1e-2)
    if name == "sgd":
        opt = torch.optim.SGD([p], lr=LR["sgd"], momentum=0.9)
        return opt.step
    if name == "adamw":
        opt = torch.optim.AdamW([p], lr=LR["adamw"], foreach=True)
        return opt.step
    state = {p: torch.zeros_like(p)}
    return lambda: lion_step(torch, [p], state, LR["lion"])


def bench_optim(torch, sizes, threads, reps):
    for n in sizes:
        for name in ("sgd", "adamw", "lion"):
            step = make_step(torch, name, n)
            for t in threads:
                torch.set_num_threads(t)
                best, median = time_calls(step, reps)
                emit(kind="optim", name=name, n=n, threads=t, best_s=best, median_s=median)
            del step


def bench_ce(torch, shapes, threads, reps):
    F = torch.nn.functional
    for rows, k in shapes:
        g = torch.Generator().manual_seed(2)
        x = torch.randn(rows, k, generator=g).requires_grad_()
        y = torch.randint(0, k, (rows,), generator=g)

        def fwd_bwd():
            x.grad = None
            F.cross_entropy(x, y).backward()

        for t in threads:
            torch.set_num_threads(t)
            best, median = time_calls(fwd_bwd, reps)
            emit(kind="ce", n=rows, k=k, threads=t, best_s=best, median_s=median)


def bench_ms(torch, shapes, threads, reps):
    """Multi-similarity miner + loss forward+backward, pytorch-metric-learning's definitions as
    transcribed in tests/pml_ref.py, on the defaults of lossforge's "ms" / "ms-miner" specs."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    import pml_ref

    for rows, dim in shapes:
        g = torch.Generator().manual_seed(3)
        x = torch.randn(rows, dim, generator=g).requires_grad_()
        y = torch.arange(rows) // 8  # P×K labels: classes of 8, as bench.c

        def fwd_bwd():
            x.grad = None
            masks = pml_ref.ms_miner(x, y, 0.1)
            pml_ref.ms_loss(x, y, 2.0, 50.0, 1.0, masks=masks).backward()

        for t in threads:
            torch.set_num_threads(t)
            best, median = time_calls(fwd_bwd, reps)
            emit(kind="ms", n=rows, k=dim, threads=t, best_s=best, median_s=median)


def blas_info(torch):
    """BLAS_INFO from torch's build configuration, and the BLAS/LAPACK libraries mapped into this
    process (on Debian, BLAS_INFO=generic means libblas.so.3, whatever the alternatives point to)."""
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if re.search(r"blas|lapack|mkl|blis|atlas", os.path.basename(path)):
                libs.add(os.path.realpath(path))
    return {"blas_info": m.group(1) if m else "unknown", "mapped": sorted(libs)}


def int_list(text):
    return [int(float(v)) for v in text.split(",") if v]


def shape_list(text):
    return [tuple(int(d) for d in s.split("x")) for s in text.split(",") if s]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int_list, default=[10_000_000, 50_000_000])
    ap.add_argument("--threads", type=int_list, default=[1, 2])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--ce", type=shape_list, default=[(4096, 10), (4096, 1000), (512, 32000)],
                    help="cross-entropy shapes ROWSxCLASSES,...")
    ap.add_argument("--ms", type=shape_list, default=[(256, 128)],
                    help="multi-similarity loss + miner shapes ROWSxDIM,...")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        emit(kind="missing", what="torch")
        return 0
    emit(kind="info", torch=torch.__version__, **blas_info(torch))
    bench_optim(torch, args.sizes, args.threads, args.reps)
    bench_ce(torch, args.ce, args.threads, args.reps)
    bench_ms(torch, args.ms, args.threads, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
