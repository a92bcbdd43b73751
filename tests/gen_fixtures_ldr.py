#!/usr/bin/python3
"""Reference values for tests/test_ldr.c: LDR-KL and ALDR-KL, transcribed in PyTorch 1.13.

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_ldr.py
Writes tests/fixtures/ldr_*.npy and aldr_*.npy. The transcription follows the spec sheet
(shared/papers/losses.md §5), which copies the authors' reference code (ICML2023_LDR, classes
LDRLoss_V1 and ALDRLoss_V1): autograd gives the gradients, in float64. The case tables here and
in the C test must list the same names and spec strings.
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(4321)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


def ldr_rows(z, y, margin, lam):
    """LDR-KL per row: lam * log mean_k exp((margin [k != y] + z_k - z_y) / lam)."""
    onehot = F.one_hot(y, z.shape[1]).to(z.dtype)
    d = margin * (1 - onehot) + z - (z * onehot).sum(1, keepdim=True)
    d = d / lam
    m = d.max(1, keepdim=True).values.detach()
    return lam * (torch.log(torch.exp(d - m).mean(1, keepdim=True)) + m).squeeze(1)


def softplus_mean(z):
    """LDRLoss_V1's scale normalisation."""
    s = F.softplus(z)
    return s / s.mean(1, keepdim=True)


def l1_mean(z):
    """ALDRLoss_V1's scale normalisation: z / (||z||_1 / K)."""
    return z / (torch.norm(z, p=1, dim=1, keepdim=True) / z.shape[1])


# ---------------------------------------------------------------- LDR-KL
N, K = 6, 5
x = (torch.randn(N, K) * 3).float()
y = torch.randint(0, K, (N,), dtype=torch.int64)
save("ldr_x", x.numpy())
save("ldr_y", y.int().numpy())
CLASS_W = [0.5, 1.0, 2.0, 1.5, 0.25]  # the C test spells them "0.5;1;2;1.5;0.25"

LDR_CASES = [  # name, variant, margin, lambda, class weights, reduction
    ("raw_c0_l1", "raw", 0.0, 1.0, None, "mean"),
    ("raw_c2_l05", "raw", 2.0, 0.5, None, "mean"),
    ("raw_c01_l10", "raw", 0.1, 10.0, None, "mean"),
    ("norm_c2_l1", "normalized", 2.0, 1.0, None, "mean"),
    ("norm_c01_l03", "normalized", 0.1, 0.3, None, "mean"),
    ("norm_w_sum", "normalized", 1.0, 2.0, CLASS_W, "sum"),
    ("raw_w_mean", "raw", 1.0, 0.7, CLASS_W, "mean"),
]
for name, variant, margin, lam, w, red in LDR_CASES:
    z = x.double().clone().requires_grad_(True)
    u = softplus_mean(z) if variant == "normalized" else z
    rows = ldr_rows(u, y, margin, lam)
    wy = torch.tensor(w, dtype=torch.float64)[y] if w else torch.ones(N, dtype=torch.float64)
    v = (wy * rows).sum()
    if red == "mean":
        v = v / wy.sum()  # PyTorch's weighted mean (reduce.h weighted_mean=sum_w)
    v.backward()
    save("ldr_" + name, np.concatenate([[v.item()], z.grad.numpy().ravel()]))


# ---------------------------------------------------------------- ALDR-KL
class ALDR:
    """ALDRLoss_V1 on the CPU in float64, with the per-sample lambdas stored as float32 as the
    reference's float tensor holds them."""

    def __init__(self, n, margin, lambda0, alpha, softplus):
        self.margin, self.lambda0, self.alpha, self.softplus = margin, lambda0, alpha, softplus
        self.lam = torch.full((n,), lambda0, dtype=torch.float32)

    def forward(self, z, y, ids):
        k = z.shape[1]
        if self.softplus:
            z = F.softplus(z)
        z = l1_mean(z)  # the L1 norm of softplus(z) over K is its mean
        prev = self.lam[ids].double().unsqueeze(1)
        p = F.softmax(z / prev, dim=1) + 1e-5
        p = F.normalize(p, p=1.0)
        kl = (p * torch.log(k * p)).sum(1, keepdim=True)
        logk = math.log(k)
        lam = self.lambda0 - self.lambda0 * kl / (self.alpha * logk)
        self.lam[ids] = lam.detach().squeeze(1).float()
        lam = self.lam[ids].double()
        extra = -0.5 * self.alpha * logk / self.lambda0 * (lam - self.lambda0) ** 2
        onehot = F.one_hot(y, k).double()
        d = self.margin * (1 - onehot) + z - (z * onehot).sum(1, keepdim=True)
        d = d / lam.unsqueeze(1)
        m = d.max(1, keepdim=True).values.detach()
        rows = lam * (torch.log(torch.exp(d - m).mean(1)) + m.squeeze(1)) + extra
        return rows.mean()


ROWS, STEPS, B = 8, 4, 5
ids = torch.stack([torch.randperm(ROWS)[:B] for _ in range(STEPS)])
xs = (torch.randn(STEPS, B, K) * 2).float()
ys = torch.randint(0, K, (STEPS, B), dtype=torch.int64)
save("aldr_ids", ids.numpy().astype(np.int64))
save("aldr_x", xs.numpy())
save("aldr_y", ys.int().numpy())
ALDR_CASES = [  # name, margin, lambda0, alpha, softplus
    ("default", 1.0, 1.0, 2.0, False),
    ("softplus", 0.5, 0.7, 3.0, True),
]
for name, margin, lambda0, alpha, sp in ALDR_CASES:
    loss = ALDR(ROWS, margin, lambda0, alpha, sp)
    out = []
    for t in range(STEPS):
        z = xs[t].double().clone().requires_grad_(True)
        v = loss.forward(z, ys[t], ids[t])
        v.backward()
        out.append(np.concatenate([[v.item()], z.grad.numpy().ravel(), loss.lam.double().numpy()]))
    save("aldr_" + name, np.stack(out))
