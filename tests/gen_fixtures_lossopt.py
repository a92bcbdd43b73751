#!/usr/bin/python3
"""Reference values for tests/test_loss.c and tests/test_optim.c, from PyTorch 1.13.

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_lossopt.py
Writes tests/fixtures/loss_*.npy and optim_*.npy. The case tables here and in the C tests
must list the same names and spec strings.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(1234)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


# ---------------------------------------------------------------- losses
N, K = 6, 5
CLASS_W = [0.5, 1.0, 2.0, 1.5, 0.25]  # the C tests spell them "0.5;1;2;1.5;0.25"
x = (torch.randn(N, K) * 3).float()
y = torch.randint(0, K, (N,), dtype=torch.int64)
yign = y.clone()
yign[[1, 4]] = -100
sw = torch.rand(N) + 0.5
save("loss_ce_x", x.numpy())
save("loss_ce_y", y.int().numpy())
save("loss_ce_yign", yign.int().numpy())
save("loss_ce_sw", sw.float().numpy())


def ce_case(name, labels, sample_w=None, **kw):
    """Value and d value / d logits, stored as float64 [value, grad...]."""
    xx = x.clone().requires_grad_(True)
    if sample_w is None:
        v = F.cross_entropy(xx, labels, **kw)
    else:
        # Sample weights multiply each row; the mean keeps PyTorch's denominator.
        rows = F.cross_entropy(xx, labels, reduction="none", **kw)
        keep = labels != kw.get("ignore_index", -100)
        w = kw.get("weight")
        denom = w[labels[keep]].sum() if w is not None else keep.sum()
        v = (rows * sample_w).sum() / denom
    v.backward()
    save("loss_" + name, np.concatenate([[v.item()], xx.grad.double().numpy().ravel()]))


cw = torch.tensor(CLASS_W)
ce_case("ce_plain", y)
ce_case("ce_smooth", y, label_smoothing=0.1)
ce_case("ce_weights", yign, weight=cw, label_smoothing=0.2)
ce_case("ce_ignore", y, ignore_index=3, label_smoothing=0.1)
ce_case("ce_sum", yign, weight=cw, label_smoothing=0.3, reduction="sum")
ce_case("ce_sample", yign, sample_w=sw, weight=cw, label_smoothing=0.1)

pred = torch.randn(4, 3)
target = torch.randn(4, 3)
save("loss_mse_pred", pred.numpy())
save("loss_mse_target", target.numpy())
for red in ("mean", "sum"):
    pp = pred.clone().requires_grad_(True)
    v = F.mse_loss(pp, target, reduction=red)
    v.backward()
    save("loss_mse_" + red, np.concatenate([[v.item()], pp.grad.double().numpy().ravel()]))

# ---------------------------------------------------------------- optimizers
P, STEPS = 24, 5
p0 = torch.randn(P)
grads = torch.randn(STEPS, P)
mask = (torch.rand(P) < 0.6).to(torch.uint8)
save("optim_p0", p0.numpy())
save("optim_grads", grads.numpy())
save("optim_mask", mask.numpy())


def lion_step(params, wd_of, lr, b1, b2, state):
    """lucidrains/lion-pytorch's update, transcribed (decay per parameter group)."""
    for p in params:
        g = p.grad
        m = state.setdefault(p, torch.zeros_like(p))
        p.data.mul_(1 - lr * wd_of[p])
        update = m.clone().mul_(b1).add(g, alpha=1 - b1).sign_()
        p.add_(update, alpha=-lr)
        m.mul_(b2).add_(g, alpha=1 - b2)


def run_optim(name, make, masked, lion=None):
    """Params after each of STEPS steps; one tensor per element so the mask can split groups."""
    params = [p0[i : i + 1].clone().requires_grad_(True) for i in range(P)]
    use = mask if masked else torch.ones(P, dtype=torch.uint8)
    on = [p for p, u in zip(params, use) if u]
    off = [p for p, u in zip(params, use) if not u]
    out = np.zeros((STEPS, P), dtype=np.float32)
    state = {}
    opt = None if lion else make(on, off)
    for t in range(STEPS):
        for i, p in enumerate(params):
            p.grad = grads[t, i : i + 1].clone()
        if lion:
            lr, b1, b2, wd = lion
            with torch.no_grad():
                lion_step(params, {p: (wd if u else 0.0) for p, u in zip(params, use)}, lr, b1, b2,
                          state)
        else:
            opt.step()
        out[t] = torch.cat([p.detach() for p in params]).numpy()
    save("optim_" + name, out)


def groups(on, off, wd):
    return [{"params": on, "weight_decay": wd}] + ([{"params": off, "weight_decay": 0.0}] if off else [])


run_optim("sgd_plain", lambda on, off: torch.optim.SGD(groups(on, off, 0.0), lr=0.1), False)
run_optim("sgd_momentum", lambda on, off: torch.optim.SGD(
    groups(on, off, 0.01), lr=0.05, momentum=0.9, dampening=0.1), True)
run_optim("sgd_nesterov", lambda on, off: torch.optim.SGD(
    groups(on, off, 0.001), lr=0.05, momentum=0.9, nesterov=True), False)
run_optim("adamw_default", lambda on, off: torch.optim.AdamW(
    groups(on, off, 1e-2), lr=1e-3, foreach=False), True)
run_optim("adamw_custom", lambda on, off: torch.optim.AdamW(
    groups(on, off, 0.1), lr=0.01, betas=(0.8, 0.99), eps=1e-6, foreach=False), False)
run_optim("lion_default", None, False, lion=(1e-4, 0.9, 0.99, 0.0))
run_optim("lion_wd", None, True, lion=(1e-3, 0.9, 0.99, 1.0))
