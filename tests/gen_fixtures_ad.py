#!/usr/bin/python3
"""Reference values for tests/test_ad.c, from PyTorch 1.13 (float64, inputs float32-exact).

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_ad.py
Writes tests/fixtures/ad_*.npy. Each file is one flat float64 array: the inputs, then the
upstream gradient r, then the forward output and the gradients of sum(r * out) with respect to
each input, in the order given below. The case tables here and in test_ad.c must match.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.manual_seed(20240611)


def f32(t):
    """Float32-representable values, held in float64 for an exact reference."""
    return t.float().double()


def save(name, parts):
    flat = np.concatenate([p.detach().numpy().ravel() for p in parts]).astype(np.float64)
    np.save(os.path.join(OUT, name + ".npy"), flat)


# ---------------------------------------------------------------- conv2d
# name, N, C, H, W, O, KH, KW, stride, pad, bias
CONV = [
    ("ad_conv_s1p0", 2, 3, 7, 6, 4, 3, 3, 1, 0, True),
    ("ad_conv_s2p1", 1, 2, 6, 9, 3, 3, 2, 2, 1, True),
    ("ad_conv_s2p0_nobias", 3, 1, 5, 5, 2, 2, 2, 2, 0, False),
]
for name, n, c, h, w, o, kh, kw, s, p, has_b in CONV:
    x = f32(torch.randn(n, c, h, w)).requires_grad_(True)
    wt = f32(torch.randn(o, c, kh, kw) * 0.5).requires_grad_(True)
    b = f32(torch.randn(o)).requires_grad_(True) if has_b else None
    y = F.conv2d(x, wt, b, stride=s, padding=p)
    r = f32(torch.randn(y.shape))
    (y * r).sum().backward()
    inputs = [x, wt] + ([b] if has_b else [])
    grads = [x.grad, wt.grad] + ([b.grad] if has_b else [])
    save(name, inputs + [r, y] + grads)

# ---------------------------------------------------------------- maxpool2d
# name, N, C, H, W, k, stride. Values come from a small set of halves so windows hold ties
# (torch takes the first maximum), and overlapping windows share argmaxes.
POOL = [
    ("ad_pool_k2s2", 2, 2, 7, 6, 2, 2),
    ("ad_pool_k3s2", 1, 3, 7, 8, 3, 2),
]
for name, n, c, h, w, k, s in POOL:
    x = f32(torch.randint(-4, 5, (n, c, h, w)) * 0.5).requires_grad_(True)
    y = F.max_pool2d(x, k, s)
    r = f32(torch.randn(y.shape))
    (y * r).sum().backward()
    save(name, [x, r, y, x.grad])

# ---------------------------------------------------------------- gelu, log_softmax
x = f32(torch.cat([torch.linspace(-6, 6, 25), torch.randn(15) * 3])).requires_grad_(True)
y = F.gelu(x)  # exact erf form (approximate='none')
r = f32(torch.randn(y.shape))
(y * r).sum().backward()
save("ad_gelu", [x, r, y, x.grad])

x = f32(torch.randn(4, 7) * 3)
x[2] *= 3000  # logits of order 1e4: max subtraction must keep them finite
x[3, :] = 0.0  # a uniform row
x.requires_grad_(True)
y = F.log_softmax(x, dim=-1)
r = f32(torch.randn(y.shape))
(y * r).sum().backward()
save("ad_log_softmax", [x, r, y, x.grad])
