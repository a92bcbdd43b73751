#!/usr/bin/python3
"""Reference values for tests/test_metric_loss.c and tests/test_retrieval.c.

Run with Debian's python (it has torch): /usr/bin/python3 tests/gen_fixtures_metric.py
Writes tests/fixtures/metric_*.npy and retr_*.npy.

The embedding losses are an independent PyTorch 1.13 transcription of pytorch-metric-learning's
definitions (the package is not installed): the multi-similarity loss and miner in
tests/pml_ref.py (shared with the bench), ContrastiveLoss and TripletMarginLoss with
AvgNonZeroReducer, BatchHardMiner and TripletMarginMiner("semihard") here.
The few-shot losses transcribe the authors' code of "SuSana Distancia is all you need"
(maumruiz/FSL-Loss: euclidean prototypes, proto_triplet_loss, modified_score). Everything runs
in float64 from float32 inputs; each case is saved as float64 [value, d value / d x ...].

Each case draws its own input (metric_<case>_x.npy) until every discrete choice (mined pairs, active hinge terms, hardest
pairs, neighbour order) is at least GAP away from its tie, so the C gradient checks perturb
smooth pieces. The case tables here and in the C tests must list the same names and specs.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from pml_ref import all_pairs, distance_mat, dmargin, ms_loss, ms_miner_sorted

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
GAP = 5e-3


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


# ---------------------------------------------------------------- pytorch-metric-learning
def miner_gaps(x, y, eps, distance):
    """The masks of MultiSimilarityMiner and the distances of its two tests from their ties."""
    masks, ps, ns, inv = ms_miner_sorted(x, y, eps, distance)
    if inv:
        gaps = [(ps - eps - ns[:, -1:])[torch.isfinite(ps)], (ns + eps - ps[:, :1])[torch.isfinite(ns)]]
    else:
        gaps = [(ps + eps - ns[:, :1])[torch.isfinite(ps)], (ns - eps - ps[:, -1:])[torch.isfinite(ns)]]
    return masks, torch.cat([g.abs().flatten() for g in gaps])


def avg_nonzero(losses):
    keep = losses > 0
    return losses[keep].mean() if keep.any() else losses.sum() * 0


def contrastive(x, y, margin, pos_margin, distance="euclidean", normalize=True):
    mat, inv = distance_mat(x, distance, normalize)
    matches, diffs = all_pairs(y)
    # pos_calc / neg_calc: relu(margin - s) / relu(s - margin) for similarities, mirrored for
    # distances
    pos = F.relu(pos_margin - mat[matches] if inv else mat[matches] - pos_margin)
    neg = F.relu(mat[diffs] - margin if inv else margin - mat[diffs])
    gaps = torch.cat([(pos_margin - mat[matches]).abs(), (mat[diffs] - margin).abs()])
    return avg_nonzero(pos) + avg_nonzero(neg), gaps


def triplets_all(y):
    matches, diffs = all_pairs(y)
    a, p, n = [], [], []
    for i in range(len(y)):
        for j in torch.where(matches[i])[0].tolist():
            for k in torch.where(diffs[i])[0].tolist():
                a.append(i), p.append(j), n.append(k)
    return torch.tensor(a, dtype=torch.long), torch.tensor(p, dtype=torch.long), \
        torch.tensor(n, dtype=torch.long)


def triplet(x, y, margin, mining, distance="euclidean", normalize=True):
    mat, inv = distance_mat(x, distance, normalize)
    matches, diffs = all_pairs(y)
    if mining == "batch-hard":
        # BatchHardMiner: hardest positive / negative per anchor
        big = float("inf")
        cl = mat if inv else -mat  # closeness
        cp = cl.masked_fill(~matches, big)
        cn = cl.masked_fill(~diffs, -big)
        pv, pidx = cp.min(dim=1)
        nv, nidx = cn.max(dim=1)
        keep = torch.isfinite(pv) & torch.isfinite(nv)
        a = torch.arange(len(y))[keep]
        p, n = pidx[keep], nidx[keep]
        gaps = []
        for i in a.tolist():
            row_p = torch.sort(cl[i][matches[i]]).values
            row_n = torch.sort(cl[i][diffs[i]]).values
            if len(row_p) > 1:
                gaps.append((row_p[1] - row_p[0]).abs())
            if len(row_n) > 1:
                gaps.append((row_n[-1] - row_n[-2]).abs())
        gaps = torch.stack(gaps) if gaps else torch.ones(1)
    else:
        a, p, n = triplets_all(y)
        gaps = torch.ones(1)
        if mining == "semi-hard":
            # TripletMarginMiner("semihard"): 0 < margin(an, ap) <= margin
            tm = dmargin(mat[a, n], mat[a, p], inv)
            gaps = tm.abs()
            keep = (tm > 0) & (tm <= margin)
            a, p, n = a[keep], p[keep], n[keep]
    v = dmargin(mat[a, p], mat[a, n], inv) + margin
    return avg_nonzero(F.relu(v)), torch.cat([gaps.flatten(), v.abs()])


# ---------------------------------------------------------------- FSL-Loss (few-shot)
def fsl_dist(x, t):
    """nearest_neighbors' distance: sqrt(sum (x - t)^2 + 1e-6)."""
    return ((x[:, None, :] - t[None, :, :]) ** 2).sum(2) + 1e-6


def prototypes(sup, ys):
    classes = []
    for c in ys.tolist():
        if c not in classes:
            classes.append(c)
    protos = torch.stack([sup[ys == c].mean(0) for c in classes])
    return protos, torch.tensor(classes)


def protonet_ce(q, yq, protos, pc, temperature):
    logits = -((q[:, None, :] - protos[None, :, :]) ** 2).sum(2) / temperature
    target = torch.tensor([pc.tolist().index(c) for c in yq.tolist()])
    return F.cross_entropy(logits, target)


def proto_triplet(q, yq, protos, pc, margin):
    d = fsl_dist(q, protos).sqrt()
    same = yq[:, None] == pc[None, :]
    scp = (d * same).max(dim=1).values
    dcd = d * (~same)
    dcd = dcd + torch.where(dcd.eq(0.0), float("inf"), 0.0)
    dcp = dcd.min(dim=1).values
    gaps = torch.sort(d, dim=1).values.diff(dim=1).flatten()
    return F.relu(scp - dcp + margin).mean(), torch.cat([gaps, (scp - dcp + margin).abs()])


def modified_score(origin, y_orig, target=None, y_targ=None, k=4, ipc=None):
    """modified_score of maumruiz/FSL-Loss; also returns the gaps of its discrete choices."""
    target = origin if target is None else target
    y_targ = y_orig if y_targ is None else y_targ
    k = target.shape[0] - 2 if k + 2 >= target.shape[0] else k
    ipc = k + 1 if ipc is None else ipc
    eps = 1e-7
    dist = fsl_dist(origin, target).sqrt()
    knn = dist.topk(ipc + 1, largest=False)
    # the order matters only across the dropped first, the k-th and the ipc-th neighbour
    srt = torch.sort(dist, dim=1).values
    cuts = [c for c in (0, k, ipc) if c + 1 < srt.shape[1]]
    gaps = [(srt[:, [c + 1 for c in cuts]] - srt[:, cuts]).flatten()]
    distances, indices = knn.values[:, 1:], knn.indices[:, 1:]
    classes = y_targ[indices]
    ymat = y_orig.repeat(ipc, 1).T
    sc = (ymat == classes) * 1
    dc = sc * (-1) + 1
    dt = distances.T
    dcnd = distances * dc
    masked = dcnd + torch.where(dcnd.eq(0.0), float("inf"), 0.0)
    nn_dc = masked.min(axis=1).values
    two = torch.sort(masked, dim=1).values[:, :2]
    gaps.append((two[:, 1] - two[:, 0])[torch.isfinite(two[:, 1])])
    nd = dt / (nn_dc + eps)
    nd = nd[:k, :]
    mx = nd.max(axis=0).values
    # max(1, max u): u of the nearest other-class neighbour is d / (d + eps), just under 1 by
    # construction, so only the other values near 1 are ties
    near = torch.isfinite(mx) & ~((mx >= 1 - 1e-5) & (mx < 1))
    gaps.append((mx[near] - 1).abs())
    nd = nd / torch.stack((torch.ones_like(nd[0]), mx)).max(axis=0).values
    nd = nd.T
    sc = sc[:, :k]
    scnd = nd * sc
    sc_counts = sc.sum(axis=1)
    scndsum = scnd.sum(axis=1) / (sc_counts + eps)
    sclamb = 1 - (scndsum.sum() / (torch.count_nonzero(sc_counts) + eps))
    dcnd = dcnd[:, :k]
    dc = dc[:, :k]
    flat = torch.sort(dcnd.flatten()).values
    gaps.append((flat[-1] - flat[-2:-1]).abs())
    dcnd = dcnd / (dcnd.max() + eps)
    dcop = -1 if torch.all(dc == 0) else 0
    dc_counts = dc.sum(axis=1)
    dcndsum = dcnd.sum(axis=1) / (dc_counts + eps)
    dclamb = dcndsum.sum() / (torch.count_nonzero(dc_counts) + eps)
    dclamb = torch.abs(dclamb + dcop)
    lambr = (sclamb + dclamb) / 2
    gamma = torch.sum(torch.sum(sc, axis=1) / k) / (y_orig.shape[0]) if k + 2 < target.shape[0] else 1.0
    return (lambr + gamma) / 2, torch.cat(gaps)


def fewshot(x, y, group, kind, **kw):
    """value and the gaps of the discrete choices of one episode loss."""
    sup, ys = x[group == 0], y[group == 0]
    q, yq = x[group == 1], y[group == 1]
    protos, pc = prototypes(sup, ys)
    ce = protonet_ce(q, yq, protos, pc, kw.get("temperature", 1.0))
    gaps = torch.ones(1)
    if kind == "protonet":
        return ce, gaps
    if kind == "proto-triplet":
        extra, gaps = proto_triplet(q, yq, protos, pc, kw["margin"])
    else:
        variant = kw["variant"]
        if variant == "support":
            score, gaps = modified_score(sup, ys, k=kw["k"])
        elif variant == "query":
            score, gaps = modified_score(q, yq, sup, ys, k=kw["k"])
        else:
            allx, ally = torch.cat([sup, q]), torch.cat([ys, yq])
            ipc = max(int((ally == c).sum()) for c in ally.unique())
            score, gaps = modified_score(allx, ally, k=kw["k"], ipc=ipc)
        extra = -torch.log(score)
    return ((ce + extra) / 2 if kw.get("ce") else extra), gaps


# ---------------------------------------------------------------- cases
def value_grad(fn, x):
    xx = x.clone().requires_grad_(True)
    out = fn(xx)
    v = out[0] if isinstance(out, tuple) else out
    v.backward()
    g = xx.grad if xx.grad is not None else torch.zeros_like(xx)
    return np.concatenate([[v.item()], g.numpy().ravel()])


PAIR_Y = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 9])  # label 9: an anchor with no positive
PAIR_CASES = [
    # name, spec (C), reference
    ("ms_cos", "ms", lambda x: ms_loss(x, PAIR_Y, 2, 50, 1)),
    ("ms_cos_b05", "ms:alpha=2,beta=10,lambda=0.5", lambda x: ms_loss(x, PAIR_Y, 2, 10, 0.5)),
    ("ms_euc", "ms:alpha=2,beta=10,lambda=1,distance=euclidean",
     lambda x: ms_loss(x, PAIR_Y, 2, 10, 1, "euclidean")),
    ("ms_dot", "ms:alpha=2,beta=5,lambda=0.5,normalize=0",
     lambda x: ms_loss(x, PAIR_Y, 2, 5, 0.5, "cosine", False)),
    ("contr_euc", "contrastive", lambda x: contrastive(x, PAIR_Y, 1.0, 0.0)),
    ("contr_euc_raw", "contrastive:margin=3,pos_margin=0.5,normalize=0",
     lambda x: contrastive(x, PAIR_Y, 3.0, 0.5, "euclidean", False)),
    ("contr_cos", "contrastive:margin=0.2,pos_margin=0.9,distance=cosine",
     lambda x: contrastive(x, PAIR_Y, 0.2, 0.9, "cosine")),
    ("trip_all", "triplet:margin=0.2", lambda x: triplet(x, PAIR_Y, 0.2, "all")),
    ("trip_all_cos", "triplet:margin=0.1,distance=cosine",
     lambda x: triplet(x, PAIR_Y, 0.1, "all", "cosine")),
    ("trip_semi", "triplet:margin=0.5,mining=semi-hard",
     lambda x: triplet(x, PAIR_Y, 0.5, "semi-hard")),
    ("trip_semi_cos", "triplet:margin=0.3,mining=semi-hard,distance=cosine",
     lambda x: triplet(x, PAIR_Y, 0.3, "semi-hard", "cosine")),
    ("trip_hard", "triplet:margin=0.3,mining=batch-hard",
     lambda x: triplet(x, PAIR_Y, 0.3, "batch-hard")),
    ("trip_hard_cos", "triplet:margin=0.1,mining=batch-hard,distance=cosine",
     lambda x: triplet(x, PAIR_Y, 0.1, "batch-hard", "cosine")),
    ("trip_hard_raw", "triplet:margin=1,mining=batch-hard,normalize=0",
     lambda x: triplet(x, PAIR_Y, 1.0, "batch-hard", "euclidean", False)),
]

# An episode: 4 classes with labels 7, 3, 5, 8; 3 support + 3 query rows each, interleaved.
EPI_LABELS = [7, 3, 5, 8]
EPI_Y = torch.tensor([EPI_LABELS[i % 4] for i in range(24)])
EPI_G = torch.tensor([0 if i < 12 else 1 for i in range(24)])
perm = torch.randperm(24, generator=torch.Generator().manual_seed(5))
EPI_Y, EPI_G = EPI_Y[perm], EPI_G[perm]
# A small one: 3-way 1-shot 2-query (k cut to 1 on the support set, gamma = 1)
SMALL_Y = torch.tensor([1, 2, 0, 0, 1, 2, 0, 1, 2])
SMALL_G = torch.tensor([0, 0, 0, 1, 1, 1, 1, 1, 1])

EPI_CASES = [
    ("proto", "protonet", "epi", dict(kind="protonet")),
    ("proto_t2", "protonet:temperature=2", "epi", dict(kind="protonet", temperature=2.0)),
    ("pt", "proto-triplet", "epi", dict(kind="proto-triplet", margin=0.5)),
    ("pt_ce", "proto-triplet:margin=1,ce=1", "epi", dict(kind="proto-triplet", margin=1.0, ce=1)),
    ("icnn_sup", "icnn:variant=support", "epi", dict(kind="icnn", variant="support", k=4)),
    ("icnn_qry", "icnn:variant=query", "epi", dict(kind="icnn", variant="query", k=4)),
    ("icnn_full", "icnn", "epi", dict(kind="icnn", variant="full", k=4)),
    ("icnn_full_ce", "icnn:k=3,ce=1", "epi", dict(kind="icnn", variant="full", k=3, ce=1)),
    ("icnn_small_sup", "icnn:variant=support", "small", dict(kind="icnn", variant="support", k=4)),
    ("icnn_small_full", "icnn", "small", dict(kind="icnn", variant="full", k=4)),
    ("pt_small", "proto-triplet:ce=1", "small", dict(kind="proto-triplet", margin=0.5, ce=1)),
]
EPISODES = {"epi": (EPI_Y, EPI_G), "small": (SMALL_Y, SMALL_G)}


def draw(shape, seed, fns):
    """Inputs drawn until every case's smallest gap exceeds GAP; fns return (value, gaps)."""
    for s in range(seed, seed + 500):
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(s)).float().double()
        with torch.no_grad():
            outs = [fn(x) for fn in fns]
        if all(o[1].min().item() > GAP for o in outs if isinstance(o, tuple)):
            return x, s
    raise SystemExit("no input far enough from the ties")


def main():
    torch.set_default_dtype(torch.float64)
    save("metric_y", PAIR_Y.int().numpy())
    for name, _, fn in PAIR_CASES:
        x, s = draw((12, 5), 100, [fn])
        print(name, "input seed", s)
        save("metric_%s_x" % name, x.float().numpy())
        save("metric_" + name, value_grad(fn, x))

    # the miner: its mask, and the ms loss on the mined pairs (cosine and euclidean)
    for name, dist, eps, loss in (("cos", "cosine", 0.1, (2, 10, 0.5)),
                                  ("euc", "euclidean", 0.3, (2, 10, 1.0))):
        xm, sm = draw((12, 5), 300, [lambda z: (None, miner_gaps(z, PAIR_Y, eps, dist)[1])])
        masks, _ = miner_gaps(xm, PAIR_Y, eps, dist)
        mask = masks[0].numpy().astype(np.uint8) * 1 + masks[1].numpy().astype(np.uint8) * 2
        print("miner", name, "seed", sm, "pos", int(masks[0].sum()), "neg", int(masks[1].sum()))
        save("metric_mine_%s_x" % name, xm.float().numpy())
        save("metric_mine_%s_mask" % name, mask)
        save("metric_mine_%s_ms" % name,
             value_grad(lambda z: ms_loss(z, PAIR_Y, *loss, dist, True, masks), xm))

    for ep, (yy, gg) in EPISODES.items():
        save("metric_%s_y" % ep, yy.int().numpy())
        save("metric_%s_g" % ep, gg.int().numpy())
    for name, _, ep, kw in EPI_CASES:
        yy, gg = EPISODES[ep]
        fn = lambda z: fewshot(z, yy, gg, **kw)
        xe, se = draw((len(yy), 6), 700, [fn])
        print(name, "input seed", se)
        save("metric_%s_x" % name, xe.float().numpy())
        save("metric_" + name, value_grad(fn, xe))
    retrieval()


# ---------------------------------------------------------------- retrieval (NumPy)
def retrieval():
    rng = np.random.default_rng(11)
    n, d = 40, 6
    y = rng.integers(0, 4, n).astype(np.int32)
    centers = rng.normal(size=(4, d)) * 1.2
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    save("retr_x", x)
    save("retr_y", y)
    out = []
    for metric in ("cosine", "euclidean"):
        xx = x.astype(np.float64)
        if metric == "cosine":
            xn = xx / np.linalg.norm(xx, axis=1, keepdims=True)
            score = xn @ xn.T
        else:
            score = -np.sqrt(((xx[:, None, :] - xx[None, :, :]) ** 2).sum(2))
        np.fill_diagonal(score, -np.inf)
        order = np.argsort(-score, axis=1, kind="stable")[:, : n - 1]
        match = y[order] == y[:, None]
        recall = [float(np.mean(match[:, :k].any(axis=1))) for k in (1, 2, 4, 8)]
        aps = []
        for i in range(n):
            r = int((y == y[i]).sum()) - 1
            if r == 0:
                continue
            m = match[i, :r]
            prec = np.cumsum(m) / np.arange(1, r + 1)
            aps.append(float((prec * m).sum() / r))
        out.append(recall + [float(np.mean(aps))])
    save("retr_metrics", np.array(out))  # rows: cosine, euclidean; cols R@1,2,4,8, mAP@R

    # NMI of two labelings (scikit-learn's arithmetic normalisation), written out in NumPy
    a = rng.integers(0, 5, 60).astype(np.int32)
    b = np.where(rng.random(60) < 0.7, a, rng.integers(0, 3, 60)).astype(np.int32)
    save("retr_nmi_a", a)
    save("retr_nmi_b", b)
    save("retr_nmi", np.array([nmi(a, b)]))


def nmi(a, b):
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    c = np.zeros((len(ua), len(ub)))
    np.add.at(c, (ia, ib), 1)
    n = c.sum()
    pij = c / n
    pi, pj = pij.sum(1), pij.sum(0)
    nz = pij > 0
    mi = (pij[nz] * np.log(pij[nz] / (pi[:, None] * pj[None, :])[nz])).sum()
    h = lambda p: -(p[p > 0] * np.log(p[p > 0])).sum()
    return mi / ((h(pi) + h(pj)) / 2)


if __name__ == "__main__":
    main()
