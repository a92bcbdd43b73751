#!/usr/bin/python3
"""Reference values for tests/test_compsum.c: a PyTorch 1.13 transcription of the comp-sum
formulas of ../shared/papers/losses.md §1, written independently of src/loss/compsum.c.

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_compsum.py
Writes tests/fixtures/compsum_*.npy: the inputs, and per case [value, d value / d logits...] in
float64 from autograd. The case table here and in the C test must list the same names and specs.

compsum:tau=t uses the sheet's generic form (p_y^(t-1) - 1)/(1 - t); the named members use their
own textbook forms, so the aliases are checked against a second transcription:
  gce:q    (1 - p_y^q)/q               (Zhang & Sabuncu 2018)
  mae      1 - p_y                     (= ||e_y - p||_1 / 2)
  sumexp   sum_{y' != y} exp(z_y' - z_y)
Smoothing is the expectation under (1-eps) e_y + eps/K; class weights, ignore_index, sample
weights and the reductions follow F.cross_entropy (weighted_mean=n divides by the counted rows).
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(2023)
torch.set_default_dtype(torch.float64)

N, K = 7, 5
CLASS_W = [0.5, 1.0, 2.0, 1.5, 0.25]  # the C test spells them "0.5;1;2;1.5;0.25"
x = (torch.randn(N, K) * 2.5).float()
y = torch.randint(0, K, (N,), dtype=torch.int64)
yign = y.clone()
yign[[1, 5]] = -100
sw = (torch.rand(N) + 0.5).float()


def save(name, a):
    np.save(os.path.join(OUT, "compsum_" + name + ".npy"), a)


save("x", x.numpy())
save("y", y.int().numpy())
save("yign", yign.int().numpy())
save("sw", sw.numpy())


def generic(tau):
    """Loss of each class's log-probability, the sheet's generic form."""
    if tau == 1:
        return lambda lp, z, c: -lp
    return lambda lp, z, c: (torch.exp((tau - 1) * lp) - 1) / (1 - tau)


def gce(q):
    return lambda lp, z, c: (1 - torch.exp(lp) ** q) / q


def mae(lp, z, c):
    return 1 - torch.exp(lp)


def sumexp(lp, z, c):
    """sum_{c' != c} exp(z_c' - z_c) for each class c (z: [N, K], c: [N, K] class ids)."""
    d = torch.exp(z[:, None, :] - z.gather(1, c)[:, :, None])  # [N, K(c), K(c')]
    eye = torch.eye(K, dtype=torch.bool)[c]
    return d.masked_fill(eye, 0).sum(2)


def case(name, ell, labels, eps=0.0, weights=None, ignore=-100, reduction="mean",
         wmean="sum_w", sample_w=False):
    z = x.double().clone().requires_grad_(True)
    lp = torch.log_softmax(z, 1)
    keep = labels != ignore
    yk = torch.where(keep, labels, torch.zeros_like(labels))
    w = torch.tensor(weights) if weights is not None else torch.ones(K)
    allc = torch.arange(K).expand(N, K)
    l_all = ell(lp, z, allc)                      # [N, K]: the loss as if each class were the label
    l_y = l_all.gather(1, yk[:, None])[:, 0]
    rows = (1 - eps) * w[yk] * l_y + eps / K * (w * l_all).sum(1)
    rows = torch.where(keep, rows, torch.zeros_like(rows))
    if sample_w:
        rows = rows * sw.double()
    if reduction == "mean":
        d = (w[yk] * keep).sum() if wmean == "sum_w" else keep.sum()
        v = rows.sum() / d
    else:
        v = rows.sum()  # 'none': the value is the sum, the gradient row-wise
    v.backward()
    save(name, np.concatenate([[v.item()], z.grad.numpy().ravel()]))


# name, loss, labels, options   (C spec in test_compsum.c)
case("tau0", generic(0.0), y)
case("tau05", generic(0.5), y)
case("tau1", generic(1.0), y)
case("tau15", generic(1.5), y)
case("tau17", generic(1.7), y)
case("tau2", generic(2.0), y)
case("tau05_all", generic(0.5), yign, eps=0.1, weights=CLASS_W)
case("tau17_sum", generic(1.7), y, eps=0.2, weights=CLASS_W, ignore=3, reduction="sum")
case("tau13_n", generic(1.3), yign, weights=CLASS_W, wmean="n")
case("tau03_none", generic(0.3), yign, eps=0.05, reduction="none")
case("tau12_sw", generic(1.2), yign, eps=0.1, weights=CLASS_W, sample_w=True)
case("gce", gce(0.7), y)
case("gce_q03", gce(0.3), yign, eps=0.1, weights=CLASS_W)
case("mae", mae, y)
case("mae_w", mae, yign, weights=CLASS_W, wmean="n", eps=0.3)
case("sumexp", sumexp, y)
case("sumexp_s", sumexp, yign, eps=0.05, weights=CLASS_W, reduction="sum")
case("ce_n", generic(1.0), yign, eps=0.1, weights=CLASS_W, wmean="n")
