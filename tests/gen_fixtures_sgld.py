#!/usr/bin/python3
"""Reference values for tests/test_sgld.c and tests/test_oomd.c, from NumPy.

Run with Debian's python: /usr/bin/python3 tests/gen_fixtures_sgld.py
Writes tests/fixtures/sgld_*.npy and oomd_*.npy.

* Optimistic optimizers: a float32 transcription of optax (google-deepmind/optax, current main):
  optimistic_gradient_descent = chain(scale_by_optimistic_gradient(alpha, beta),
  scale_by_learning_rate(lr)); optimistic_adam = chain(scale_by_adam(..., nesterov),
  scale_by_optimistic_gradient(alpha=lr, beta=optimism), scale_by_learning_rate(1.0)).
  scale_by_optimistic_gradient takes g_{t-1} = g_t at the first step (optax#1082).
* Calibration: accuracy, NLL and 15-bin ECE with np.digitize on np.linspace edges.
* Online mirror descent on a fixed sequence of linear losses: iterates and regret.
The case tables here and in the C tests must list the same names and parameters.
"""
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
rng = np.random.default_rng(20240611)
f32 = np.float32


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), a)


# ---------------------------------------------------------------- optimistic optimizers
N, STEPS = 37, 10
p0 = rng.uniform(-1, 1, N).astype(f32)
grads = (rng.standard_normal((STEPS, N)) * 0.5).astype(f32)
grads[3, :5] = 0.0  # zero gradients exercise eps
save("sgld_p0", p0)
save("sgld_grads", grads)


def optimistic(u, prev, t, alpha, beta):
    """optax.scale_by_optimistic_gradient on float32 arrays."""
    if t == 1:
        prev = u
    return f32(alpha + beta) * u - f32(beta) * prev


def run_ogd(lr, alpha, beta):
    w, prev, out = p0.copy(), None, []
    for t in range(1, STEPS + 1):
        g = grads[t - 1]
        u = optimistic(g, prev, t, alpha, beta)
        prev = g
        w = w + f32(-lr) * u
        out.append(w.copy())
    return np.stack(out)


def bias_correction(x, decay, count):
    return x / f32(1 - decay ** count)


def run_oadam(lr, optimism, b1, b2, eps, eps_root, nesterov):
    w, mu, nu, prev, out = p0.copy(), np.zeros(N, f32), np.zeros(N, f32), None, []
    o = lr if optimism is None else optimism
    for t in range(1, STEPS + 1):
        g = grads[t - 1]
        mu = f32(1 - b1) * g + f32(b1) * mu
        nu = f32(1 - b2) * g * g + f32(b2) * nu
        if nesterov:
            mh = f32(b1) * bias_correction(mu, b1, t + 1) + f32(1 - b1) * bias_correction(g, b1, t)
        else:
            mh = bias_correction(mu, b1, t)
        nh = bias_correction(nu, b2, t)
        r = mh / (np.sqrt(nh + f32(eps_root)) + f32(eps))
        u = optimistic(r, prev, t, lr, o)
        prev = r
        w = w - u
        out.append(w.copy())
    return np.stack(out)


# Same names and specs as test_sgld.c's table.
save("sgld_ogd_default", run_ogd(0.1, 1.0, 1.0))
save("sgld_ogd_custom", run_ogd(0.05, 0.5, 2.0))
save("sgld_oadam_default", run_oadam(1e-2, None, 0.9, 0.999, 1e-8, 0.0, True))
save("sgld_oadam_custom", run_oadam(3e-3, 0.5, 0.8, 0.99, 1e-6, 1e-8, False))

# ---------------------------------------------------------------- calibration metrics
n, k = 300, 7
logits = rng.standard_normal((n, k)) * rng.uniform(0.2, 4.0, (n, 1))
prob = np.exp(logits - logits.max(1, keepdims=True))
prob /= prob.sum(1, keepdims=True)
y = rng.integers(0, k, n).astype(np.int32)
y[:150] = prob[:150].argmax(1)  # half the rows right, so the bins hold both outcomes
prob[0] = 0.0
prob[0, (y[0] + 1) % k] = 1.0   # a confident miss: p[label] = 0 exercises the NLL clamp
conf, pred = prob.max(1), prob.argmax(1)
acc = float((pred == y).mean())
nll = float(np.mean(-np.log(np.maximum(prob[np.arange(n), y], 1e-300))))
edges = np.linspace(0.0, 1.0, 16)
idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, 14)
ece = 0.0
for b in range(15):
    sel = idx == b
    if sel.any():
        ece += sel.mean() * abs((pred[sel] == y[sel]).mean() - conf[sel].mean())
save("sgld_calib_prob", prob)
save("sgld_calib_y", y)
save("sgld_calib_ref", np.array([acc, nll, ece]))

# ---------------------------------------------------------------- online mirror descent
T, D = 60, 6
drift = np.cumsum(rng.standard_normal((T, D)) * 0.2, axis=0)
G = drift + rng.standard_normal((T, D)) * 0.3  # linear losses f_t(x) = <G[t], x>
save("oomd_losses", G)


def proj_ball(x, r):
    nrm = np.linalg.norm(x)
    return x if nrm <= r else x * (r / nrm)


def mw(x, v, eta):
    z = np.log(x) - eta * v
    z = np.exp(z - z.max())
    return z / z.sum()


def run_oomd(domain, optimistic_hint, rule, eta0=1.0, radius=1.0, lip=0.0, delta=0.0, lam=1.0):
    """Returns (T, D) iterates and the regret after each round."""
    if domain == "ball":
        xh, diam, dual = np.zeros(D), 2 * radius, lambda v: np.linalg.norm(v)
        step = lambda x, v, eta: proj_ball(x - eta * v, radius)
    else:
        xh, diam, dual = np.full(D, 1.0 / D), math.sqrt(math.log(D)), lambda v: np.abs(v).max()
        step = mw
    if delta <= 0:
        delta = diam ** 2 * (lip ** 2 if lip > 0 else 1.0)
    M, var, xs, loss = np.zeros(D), 0.0, [], 0.0
    regret = []
    for t in range(1, T + 1):
        if rule == "constant":
            eta = eta0
        elif rule == "sqrt":
            eta = eta0 / math.sqrt(t)
        elif rule == "adaptive":
            eta = diam / math.sqrt(delta + var)
            if lip > 0:
                eta = min(eta, 1 / (4 * lip))
        else:
            eta = 2.0 / (lam * t)
        x = step(xh, M, eta)
        g = G[t - 1]
        xh = step(xh, g, eta)
        var += dual(g - M) ** 2
        M = g.copy() if optimistic_hint else np.zeros(D)
        xs.append(x)
        loss += g @ x
        cum = G[:t].sum(0)
        best = -radius * np.linalg.norm(cum) if domain == "ball" else cum.min()
        regret.append(loss - best)
    return np.array(xs), np.array(regret)


# Same names and options as test_oomd.c's table.
for name, args in [
    ("ball_opt_adaptive", ("ball", True, "adaptive", 1.0, 1.5, 0.0, 0.0)),
    ("ball_opt_adaptive_lip", ("ball", True, "adaptive", 1.0, 1.0, 2.0, 0.0)),
    ("ball_ogd_sqrt", ("ball", False, "sqrt", 0.3, 1.0, 0.0, 0.0)),
    ("ball_opt_strong", ("ball", True, "strong", 1.0, 1.0, 0.0, 0.0, 4.0)),
    ("simplex_opt_adaptive", ("simplex", True, "adaptive", 1.0, 1.0, 0.0, 0.5)),
    ("simplex_hedge_const", ("simplex", False, "constant", 0.2, 1.0, 0.0, 0.0)),
]:
    xs, reg = run_oomd(*args)
    save("oomd_" + name, np.concatenate([xs.ravel(), reg]))
