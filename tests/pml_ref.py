"""pytorch-metric-learning's multi-similarity loss and miner, transcribed in PyTorch 1.13 (the
package is not a dependency): CosineSimilarity / LpDistance(p=2) with normalize_embeddings,
GenericPairLoss's mat-based loss with lmu.logsumexp(add_one=True) and MeanReducer, and
MultiSimilarityMiner's sort-based mining.

Shared by tests/gen_fixtures_metric.py (reference values, float64) and bench/torch_bench.py
(the PyTorch side of the ms bench, float32).
"""
import torch
import torch.nn.functional as F


def distance_mat(x, distance, normalize):
    """(matrix, is_inverted) of CosineSimilarity / LpDistance on x."""
    if normalize:
        x = F.normalize(x, p=2, dim=1)
    if distance == "cosine":
        return x @ x.T, True
    return torch.cdist(x, x), False


def dmargin(x, y, inverted):
    """BaseDistance.margin: y - x for similarities, x - y for distances."""
    return y - x if inverted else x - y


def all_pairs(y):
    """lmu.get_all_pairs_indices as masks: same label (self excluded), different label."""
    matches = y[:, None] == y[None, :]
    diffs = ~matches
    matches = matches & ~torch.eye(len(y), dtype=torch.bool)
    return matches, diffs


def lmu_logsumexp(x, keep_mask, add_one=True):
    x = x.masked_fill(~keep_mask, float("-inf"))
    if add_one:
        x = torch.cat([x, torch.zeros(x.shape[0], 1, dtype=x.dtype)], dim=1)
    out = torch.logsumexp(x, dim=1, keepdim=True)
    return out.masked_fill(~torch.any(keep_mask, dim=1, keepdim=True), 0)


def ms_loss(x, y, alpha, beta, base, distance="cosine", normalize=True, masks=None):
    """MultiSimilarityLoss(alpha, beta, base); masks = (pos, neg) from a miner, else all pairs."""
    mat, inv = distance_mat(x, distance, normalize)
    pos_mask, neg_mask = masks if masks is not None else all_pairs(y)
    pos = (1.0 / alpha) * lmu_logsumexp(alpha * dmargin(mat, base, inv), pos_mask)
    neg = (1.0 / beta) * lmu_logsumexp(beta * dmargin(base, mat, inv), neg_mask)
    return torch.mean(pos + neg)


def ms_miner_sorted(x, y, eps, distance="cosine", normalize=True):
    """MultiSimilarityMiner.mine as masks (pos, neg) over (anchor, other), plus the sorted
    positive and negative rows (ps, ns) and is_inverted, from which the tests' tie gaps come."""
    with torch.no_grad():
        mat, inv = distance_mat(x, distance, normalize)
    matches, diffs = all_pairs(y)
    pos_ignore = float("inf") if inv else float("-inf")
    neg_ignore = float("-inf") if inv else float("inf")
    mps, mns = mat.clone(), mat.clone()
    mps[diffs] = pos_ignore
    mns[matches] = neg_ignore
    mps.fill_diagonal_(pos_ignore)
    mns.fill_diagonal_(neg_ignore)
    ps, pi = torch.sort(mps, dim=1)
    ns, ni = torch.sort(mns, dim=1)
    if inv:
        hp = torch.where(ps - eps < ns[:, -1].unsqueeze(1))
        hn = torch.where(ns + eps > ps[:, 0].unsqueeze(1))
    else:
        hp = torch.where(ps + eps > ns[:, 0].unsqueeze(1))
        hn = torch.where(ns - eps < ps[:, -1].unsqueeze(1))
    pos = torch.zeros_like(matches)
    neg = torch.zeros_like(matches)
    pos[hp[0], pi[hp[0], hp[1]]] = True
    neg[hn[0], ni[hn[0], hn[1]]] = True
    return (pos, neg), ps, ns, inv


def ms_miner(x, y, eps, distance="cosine", normalize=True):
    """MultiSimilarityMiner(epsilon=eps): the (pos, neg) masks."""
    return ms_miner_sorted(x, y, eps, distance, normalize)[0]
