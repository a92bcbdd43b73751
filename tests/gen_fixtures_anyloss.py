#!/usr/bin/python3
"""Reference values for tests/test_binary_loss.c and tests/test_anyloss.c.

Run with Debian's python (it has torch 1.13): /usr/bin/python3 tests/gen_fixtures_anyloss.py
Writes tests/fixtures/bin_*.npy, any_*.npy and ens_*.npy, each result as float64
[value, grad...]. Sources:
  bce    torch.nn.functional.binary_cross_entropy_with_logits (pos_weight, weight, reduction)
  focal  torchvision.ops.sigmoid_focal_loss, transcribed (torchvision is not packaged here)
  hinge, sqhinge, exp   their textbook formulas in torch
  anyloss  the spec sheet's formulas (shared/papers/losses.md section 2; authors' Any_Fbeta,
         Any_Gmean with the paper's sqrt, Any_BAccu, WBCE), MCC as the sheet writes it, and the
         macro one-vs-rest mean over columns; gradients by torch autograd in float64
  ensloss  a NumPy transcription of statmlben/ensLoss losses.py (class ensLoss.forward) on
         given standard-normal draws
The case tables here and in the C tests must list the same names and spec strings.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(4242)
rng = np.random.default_rng(4242)
EPS = 1e-5


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


def save_result(name, v, x):
    save(name, np.concatenate([[float(v)], x.grad.double().numpy().ravel()]))


# ---------------------------------------------------------------- margin losses
N = 9
s32 = (torch.randn(N) * 2).float()
y = torch.tensor([1, 0, 0, 1, 1, 0, 1, 0, 0], dtype=torch.int32)
sw32 = (torch.rand(N) + 0.5).float()
save("bin_s", s32.numpy())
save("bin_y", y.numpy())
save("bin_sw", sw32.numpy())
yf = y.double()
sw = sw32.double()


def reduce(rows, reduction):
    return rows.mean() if reduction == "mean" else rows.sum()


def bce_case(name, pos_weight=1.0, weight=None, reduction="mean"):
    x = s32.double().clone().requires_grad_(True)
    v = F.binary_cross_entropy_with_logits(x, yf, weight=weight, reduction=reduction,
                                           pos_weight=torch.tensor(pos_weight, dtype=torch.float64))
    v.backward()
    save_result(name, v.item(), x)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss (v0.14), reduction='none'."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return loss


def focal_case(name, alpha, gamma, weight=None, reduction="mean"):
    x = s32.double().clone().requires_grad_(True)
    rows = sigmoid_focal_loss(x, yf, alpha=alpha, gamma=gamma)
    if weight is not None:
        rows = rows * weight
    v = reduce(rows, reduction)
    v.backward()
    save_result(name, v.item(), x)


def margin_case(name, phi, reduction="mean"):
    x = s32.double().clone().requires_grad_(True)
    v = reduce(phi((2 * yf - 1) * x), reduction)
    v.backward()
    save_result(name, v.item(), x)


bce_case("bin_bce")
bce_case("bin_bce_pw", pos_weight=2.5)
bce_case("bin_bce_sw_sum", pos_weight=0.5, weight=sw, reduction="sum")
focal_case("bin_focal", 0.25, 2.0)
focal_case("bin_focal_noalpha", -1, 0.5)
focal_case("bin_focal_sw", 0.6, 3.0, weight=sw)
margin_case("bin_hinge", lambda z: torch.clamp(1 - z, min=0))
margin_case("bin_sqhinge", lambda z: torch.clamp(1 - z, min=0) ** 2, reduction="sum")
margin_case("bin_exp", lambda z: torch.exp(-z))

# ---------------------------------------------------------------- anyloss
NA = 12
sa32 = (torch.randn(NA) * 0.8).float()
ya = torch.tensor([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0], dtype=torch.int32)
save("any_s", sa32.numpy())
save("any_y", ya.numpy())


def soft_metric(s, yv, metric, L, beta):
    p = torch.sigmoid(s)
    yh = torch.sigmoid(L * (p - 0.5))
    n = yv.numel()
    P = yv.sum()
    Nn = n - P
    TP = (yv * yh).sum()
    FP = ((1 - yv) * yh).sum()
    FN = P - TP
    TN = Nn - FP
    if metric == "acc":
        return (TP + TN) / n
    if metric in ("f1", "fbeta"):
        b = 1.0 if metric == "f1" else beta
        return (1 + b * b) * TP / (b * b * P + yh.sum() + EPS)
    if metric == "gmean":
        return torch.sqrt(TP * TN / (P * Nn + EPS))
    if metric == "bacc":
        return (Nn * TP + P * TN) / (2 * P * Nn + EPS)
    return (TP * TN - FP * FN) / torch.sqrt((TP + FP) * (TP + FN) * (TN + FP) * (TN + FN) + EPS)


def wbce(s, yv):
    n = yv.numel()
    P = yv.sum()
    w1, w0 = (n - P) / n, P / n
    return -(w1 * yv * F.logsigmoid(s) + w0 * (1 - yv) * F.logsigmoid(-s)).mean()


def anyloss(s, yv, metric, L=73.0, beta=1.0, r=0.0):
    loss = 1 - soft_metric(s, yv, metric, L, beta)
    if r > 0:
        loss = (1 - r) * loss + r * wbce(s, yv)
    return loss


def any_case(name, metric, **kw):
    x = sa32.double().clone().requires_grad_(True)
    v = anyloss(x, ya.double(), metric, **kw)
    v.backward()
    save_result(name, v.item(), x)


for m in ("acc", "f1", "fbeta", "gmean", "bacc", "mcc"):
    any_case("any_%s_L73" % m, m)
    any_case("any_%s_L4" % m, m, L=4.0)
any_case("any_fbeta2", "fbeta", beta=2.0, L=8.0)
any_case("any_hybrid", "bacc", L=10.0, r=0.3)

K = 4
sm32 = (torch.randn(NA, K) * 1.5).float()
ym = torch.tensor([0, 1, 2, 3, 1, 1, 0, 2, 1, 3, 1, 0], dtype=torch.int32)
save("any_mc_s", sm32.numpy())
save("any_mc_y", ym.numpy())


def any_mc_case(name, metric, **kw):
    x = sm32.double().clone().requires_grad_(True)
    cols = [anyloss(x[:, c], (ym == c).double(), metric, **kw) for c in range(K)]
    v = torch.stack(cols).mean()
    v.backward()
    save_result(name, v.item(), x)


any_mc_case("any_mc_f1", "f1", L=6.0)
any_mc_case("any_mc_mcc_hybrid", "mcc", L=6.0, r=0.2)

# ---------------------------------------------------------------- ensloss
NE = 16
se = (rng.standard_normal(NE) * 2).astype(np.float32)
ye = rng.integers(0, 2, NE).astype(np.int32)
draws = rng.standard_normal(NE)
save("ens_s", se)
save("ens_y", ye)
save("ens_e", draws)


def bc_inv(z, lam):
    if lam == 0.0:
        return np.exp(z)
    diff = 1.0 + lam * z
    with np.errstate(divide="ignore"):
        return np.where(diff > 0.0, diff, 0.0) ** (1.0 / lam)


def ensloss(output, target, e, lam):
    """statmlben/ensLoss losses.py ensLoss.forward, in NumPy (float64), with e as the draws."""
    target = 2.0 * target - 1.0
    s_batch = output.astype(np.float64) * target
    rd_grad = -bc_inv(e, lam)
    rd_grad = np.sort(rd_grad)
    rd_grad = np.maximum(rd_grad, -1.0)
    ind_tmp = np.argsort(s_batch, kind="stable")
    g_batch = np.zeros(len(target))
    g_batch[ind_tmp] = rd_grad
    pos_ind = s_batch > 1.0
    g_batch[pos_ind] *= 1 / s_batch[pos_ind]
    g_batch = g_batch - 1e-6
    value = (g_batch * s_batch).mean()
    grad = g_batch * target / len(target)
    return value, grad


for name, lam in (("ens_l0", 0.0), ("ens_l05", 0.5), ("ens_lneg", -0.5)):
    v, g = ensloss(se, ye, draws, lam)
    save(name, np.concatenate([[v], g]))
