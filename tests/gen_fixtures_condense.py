#!/usr/bin/python3
"""Reference values for tests/test_condense.c and tests/test_fewshot.c, from PyTorch 1.13 / NumPy.

Run with Debian's python: /usr/bin/python3 tests/gen_fixtures_condense.py
Writes tests/fixtures/condense_*.npy and fewshot_*.npy.

* Layer-wise gradient-matching distance: DC's match_loss(dis_metric='ours') / distance_wb
  (VICO-UoE/DatasetCondensation utils.py, same in Saehyung-Lee/DCC), transcribed in torch, on
  the gradient slabs of a small conv + linear parameter list; its gradient with respect to the
  synthetic-side gradients by torch autograd. Every row of ga is nonzero (the C code departs
  from torch only at a = 0, tested on its own).
* Few-shot confidence interval: FSL-Loss's compute_confidence_interval,
  m = np.mean(a), pm = 1.96 * np.std(a) / np.sqrt(len(a)), on 600 episode accuracies.
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
rng = np.random.default_rng(20240622)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


# ---------------------------------------------------------------- distance_wb
# The tensors of the C test's lf_params, in order (names only matter there).
SHAPES = [(4, 2, 3, 3), (4,), (3, 36), (3,), (5, 3), (5,)]


def distance_wb(gwr, gws):
    shape = gwr.shape
    if len(shape) == 4:
        gwr = gwr.reshape(shape[0], shape[1] * shape[2] * shape[3])
        gws = gws.reshape(shape[0], shape[1] * shape[2] * shape[3])
    elif len(shape) == 1:
        return torch.tensor(0, dtype=gwr.dtype)
    return torch.sum(1 - torch.sum(gwr * gws, dim=-1)
                     / (torch.norm(gwr, dim=-1) * torch.norm(gws, dim=-1) + 0.000001))


def match(scale):
    sizes = [int(np.prod(s)) for s in SHAPES]
    ga = (rng.standard_normal(sum(sizes)) * scale).astype(np.float32)
    gb = (rng.standard_normal(sum(sizes)) * scale).astype(np.float32)
    gb[:12] = 0.5 * ga[:12] + 0.1 * gb[:12]  # some rows nearly aligned
    ta = torch.tensor(ga, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(gb, dtype=torch.float64)
    total, off = torch.tensor(0.0, dtype=torch.float64), 0
    for s, n in zip(SHAPES, sizes):
        total = total + distance_wb(tb[off:off + n].reshape(s), ta[off:off + n].reshape(s))
        off += n
    total.backward()
    return ga, gb, np.concatenate([[total.item()], ta.grad.numpy()])


for name, scale in (("unit", 1.0), ("small", 1e-3)):
    ga, gb, ref = match(scale)
    save("condense_dist_%s_ga" % name, ga)
    save("condense_dist_%s_gb" % name, gb)
    save("condense_dist_%s_ref" % name, ref)

# ---------------------------------------------------------------- episode accuracy CI
acc = rng.binomial(75, 0.6, 600) / 75.0
save("fewshot_acc", acc)
save("fewshot_ci", np.array([np.mean(acc), np.std(acc), 1.96 * np.std(acc) / np.sqrt(len(acc))]))
