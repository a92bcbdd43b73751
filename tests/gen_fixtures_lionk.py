#!/usr/bin/python3
"""Reference values for tests/test_lionk.c: Lion-kappa, Lion and AdamW under each weight-decay
mode, and bf16 momentum, over 10 steps.

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_lionk.py
Writes tests/fixtures/lionk_*.npy. The case table here and in tests/test_lionk.c must list the
same names and spec strings.

Lion-kappa has no PyTorch implementation, so its step is written out from the paper (Chen, Liu,
Liang, Liu, ICLR 2024) in the Lion sign convention, in float32 tensor ops like lucidrains'
lion-pytorch; norms are summed in float64. AdamW with wd_mode=l2 is torch.optim.Adam's
weight_decay; wd_mode=fixed (p *= 1 - wd, as kozistr's fixed_decay) is written out.
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(4321)

P, STEPS = 40, 10
SEG = [0, 16, 30, 37, 40]  # four parameter tensors
p0 = torch.randn(P) * 2
grads = torch.randn(STEPS, P)
mask = (torch.rand(P) < 0.6).to(torch.float32)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


save("lionk_p0", p0.numpy())
save("lionk_grads", grads.numpy())
save("lionk_mask", mask.to(torch.int32).numpy())
save("lionk_seg", np.array(SEG, dtype=np.int64))


def bf16(x):
    """Round to bfloat16 (nearest even) and back, as a bf16 momentum buffer stores it."""
    return x.to(torch.bfloat16).to(torch.float32)


def direction(kappa, c, p, h):
    """dK(c) for one tensor c (float32); norms in float64."""
    if kappa == "l1":
        return torch.sign(c)
    if kappa == "sq":
        return c
    if kappa == "huber":
        return torch.clamp(c, -h, h)
    if kappa in ("l2", "relativistic"):
        s = float((c.double() ** 2).sum())
        if kappa == "l2":
            scale = 1 / np.sqrt(s) if s > 0 else 0.0
        else:
            scale = 1 / np.sqrt(s + h * h)
        return c * np.float32(scale)
    if kappa == "lp":
        s = float((c.abs() ** p).double().sum())
        scale = s ** (-(p - 1) / p) if s > 0 else 0.0
        return torch.sign(c) * c.abs() ** np.float32(p - 1) * np.float32(scale)
    raise ValueError(kappa)


def lionk(kappa="l1", p=1.5, h=1.0, lr=1e-4, b1=0.9, b2=0.99, wd=0.0, wd_mode="decoupled",
          mu="f32", masked=False, segmented=False):
    x = p0.clone()
    m = torch.zeros(P)
    dm = mask if masked else torch.ones(P)
    seg = SEG if segmented else [0, P]
    out = np.zeros((STEPS, P), dtype=np.float32)
    for t in range(STEPS):
        g = grads[t].clone()
        if wd_mode == "l2":
            g = g + dm * np.float32(wd) * x
            keep = torch.ones(P)
        else:
            f = wd if wd_mode == "fixed" else lr * wd
            keep = 1 + dm * (np.float32(1 - f) - 1)
        c = m * np.float32(b1) + np.float32(1 - b1) * g
        d = torch.cat([direction(kappa, c[a:b], p, h) for a, b in zip(seg[:-1], seg[1:])])
        x = x * keep + np.float32(-lr) * d
        m = m * np.float32(b2) + np.float32(1 - b2) * g
        if mu == "bf16":
            m = bf16(m)
        out[t] = x.numpy()
    return out


def adam(lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=1e-2, wd_mode="decoupled", masked=False):
    """l2: torch.optim.Adam(weight_decay); fixed: p *= 1 - wd, then torch's Adam (wd 0)."""
    params = [p0[i : i + 1].clone().requires_grad_(True) for i in range(P)]
    use = mask if masked else torch.ones(P)
    on = [q for q, u in zip(params, use) if u]
    off = [q for q, u in zip(params, use) if not u]
    groups = [{"params": on, "weight_decay": wd if wd_mode == "l2" else 0.0}]
    if off:
        groups.append({"params": off, "weight_decay": 0.0})
    opt = torch.optim.Adam(groups, lr=lr, betas=(b1, b2), eps=eps, foreach=False)
    out = np.zeros((STEPS, P), dtype=np.float32)
    for t in range(STEPS):
        with torch.no_grad():
            if wd_mode == "fixed":
                for q in on:
                    q.mul_(1 - wd)
        for i, q in enumerate(params):
            q.grad = grads[t, i : i + 1].clone()
        opt.step()
        out[t] = torch.cat([q.detach() for q in params]).numpy()
    return out


# name -> values; the C table spells the same specs.
CASES = {
    "lion_decoupled": lionk(lr=0.01, wd=0.5, masked=True),
    "lion_fixed": lionk(lr=0.01, wd=0.02, wd_mode="fixed", masked=True),
    "lion_l2": lionk(lr=0.01, wd=0.5, wd_mode="l2", masked=True),
    "lion_bf16": lionk(lr=0.01, wd=0.5, mu="bf16", masked=True),
    "lionk_l1": lionk("l1", lr=0.02, b1=0.8, b2=0.95, wd=1.0, segmented=True),
    "lionk_l2": lionk("l2", lr=0.02, wd=0.5, masked=True, segmented=True),
    "lionk_l2_whole": lionk("l2", lr=0.02, wd=0.5, masked=True),
    "lionk_lp": lionk("lp", p=1.5, lr=0.02, wd=0.5, masked=True, segmented=True),
    "lionk_lp_p12": lionk("lp", p=1.2, lr=0.02, wd=0.5, segmented=True),
    "lionk_lp_p2": lionk("lp", p=2.0, lr=0.02, wd=0.5, segmented=True),
    "lionk_sq": lionk("sq", lr=0.05, wd=0.5, masked=True, segmented=True),
    "lionk_huber": lionk("huber", h=0.3, lr=0.02, wd=0.5, masked=True, segmented=True),
    "lionk_rel": lionk("relativistic", h=0.5, lr=0.02, wd=0.5, masked=True, segmented=True),
    "lionk_l2_fixed": lionk("l2", lr=0.02, wd=0.01, wd_mode="fixed", masked=True, segmented=True),
    "lionk_l2_l2": lionk("l2", lr=0.02, wd=0.5, wd_mode="l2", masked=True, segmented=True),
    "lionk_huber_l2": lionk("huber", h=0.3, lr=0.02, wd=0.5, wd_mode="l2", segmented=True),
    "lionk_l2_bf16": lionk("l2", lr=0.02, wd=0.5, mu="bf16", masked=True, segmented=True),
    "lionk_sq_bf16_fixed": lionk("sq", lr=0.05, wd=0.05, wd_mode="fixed", mu="bf16",
                                 segmented=True),
    "adamw_fixed": adam(lr=0.01, wd=0.05, wd_mode="fixed", masked=True),
    "adamw_l2": adam(lr=0.01, wd=0.1, wd_mode="l2", masked=True),
}
for name, values in CASES.items():
    save("lionk_" + name, values)
