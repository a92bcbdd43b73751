/* Stochastic gradient Langevin dynamics (Welling & Teh 2011), in lr/temperature form:
 *
 *   theta <- theta - lr * grad U(theta) + sqrt(2 * lr * T) * xi,   xi ~ N(0, I),
 *   U(theta) = -log p(theta) - N * mean_{i in batch} log p(y_i | x_i, theta),
 *
 * so that with T = 1 the chain samples the posterior p(theta | data) of N = n_data examples.
 * The gradient the optimizer receives, g, is that of the MINIBATCH MEAN loss (what lf_train
 * computes: cross-entropy = -mean log p), so N*g is the unbiased estimate of the likelihood part
 * of grad U; the prior N(0, prior_sigma^2 I) adds theta / prior_sigma^2. The step is written as
 *
 *   theta <- theta + (-lr*N) * (g + theta / (N * prior_sigma^2)) + sqrt(2*lr*T) * xi,
 *
 * which, with T = 0, is torch.optim.SGD with lr' = lr*N and wd = 1/(N*prior_sigma^2) operation for
 * operation (the tests check it bit for bit). prior_sigma = 0 means a flat prior (no prior
 * term). The prior is part of the probability model, so it acts on every parameter: the decay
 * mask (which spares biases from weight decay) is not applied.
 *
 * lr is the step on U, the full-data potential: N times smaller than the SGD step of the same
 * size on the mean loss (lr = 1e-5 with N = 10^4 moves like SGD at 0.1).
 *
 * Noise: step t draws xi from xoshiro256** streams (lf_rng) keyed by (seed, t, block of 4096
 * coordinates). The noise is a function of the seed and the step count only, so it does not
 * depend on the thread count, and resuming needs nothing beyond the step count that
 * lf_optim_steps / lf_optim_set_steps already carry: the optimizer has no other state. */
#include "internal.h"

#include <math.h>
#include <stddef.h>

typedef struct sgld_cfg {
    double lr, temperature, prior_sigma;
    int64_t n_data, seed;
} sgld_cfg;

enum { SGLD_BLOCK = 4096 }; /* coordinates per noise stream */

static double sgld_lr(const void *cfg) { return ((const sgld_cfg *)cfg)->lr; }

static lf_status sgld_check(const void *cfg)
{
    const sgld_cfg *c = cfg;
    if (c->n_data < 1)
        return lf_error(LF_EINVAL, "optimizer \"sgld\": parameter \"n_data\" (the number of "
                        "training examples the mean loss is scaled to) must be set to >= 1, got %lld",
                        (long long)c->n_data);
    return LF_OK;
}

/* splitmix64's finaliser: a bijective mix, so distinct keys give distinct stream seeds. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t block_key(uint64_t seed, int64_t t, int64_t block)
{
    return mix64(mix64(seed ^ mix64((uint64_t)t)) + (uint64_t)block);
}

/* Marsaglia & Tsang's ziggurat (J. Stat. Softw. 5(8), 2000), 128 layers: ~98.8% of draws cost
 * one 64-bit random number, a compare and a multiply (Box–Muller's log and cos per value made
 * the noise cost more than a 784-2048-10 MLP's backward pass). The layer index and the signed
 * magnitude come from disjoint bits of the draw. */
enum { ZIG_N = 128 };
typedef struct zig {
    uint32_t k[ZIG_N];
    double w[ZIG_N], f[ZIG_N];
} zig;

static void zig_init(zig *z)
{
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = 3.442619855899, tn = dn;
    const double q = vn / exp(-0.5 * dn * dn);
    z->k[0] = (uint32_t)(dn / q * m1);
    z->k[1] = 0;
    z->w[0] = q / m1;
    z->w[ZIG_N - 1] = dn / m1;
    z->f[0] = 1.0;
    z->f[ZIG_N - 1] = exp(-0.5 * dn * dn);
    for (int i = ZIG_N - 2; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        z->k[i + 1] = (uint32_t)(dn / tn * m1);
        tn = dn;
        z->f[i] = exp(-0.5 * dn * dn);
        z->w[i] = dn / m1;
    }
}

/* The rare slow path: the wedges, and the tail beyond r = 3.4426 (Marsaglia 1964). */
static double zig_slow(const zig *z, lf_rng *r, int32_t hz, int iz)
{
    const double rr = 3.442619855899;
    for (;;) {
        const double x = hz * z->w[iz];
        if (iz == 0) {
            double xt, y;
            do {
                xt = -log(1.0 - lf_rng_uniform(r)) / rr;
                y = -log(1.0 - lf_rng_uniform(r));
            } while (y + y < xt * xt);
            return hz > 0 ? rr + xt : -rr - xt;
        }
        if (z->f[iz] + lf_rng_uniform(r) * (z->f[iz - 1] - z->f[iz]) < exp(-0.5 * x * x)) return x;
        const uint64_t u = lf_rng_u64(r);
        hz = (int32_t)(uint32_t)(u >> 32);
        iz = (int)(u & (ZIG_N - 1));
        const uint32_t ahz = hz < 0 ? 0u - (uint32_t)hz : (uint32_t)hz;
        if (ahz < z->k[iz]) return hz * z->w[iz];
    }
}

/* xi for coordinates [0, len) of one block, times scale, into out. */
static void block_noise(const zig *z, uint64_t key, float scale, float *out, int64_t len)
{
    lf_rng r;
    lf_rng_seed(&r, key);
    for (int64_t j = 0; j < len; j++) {
        const uint64_t u = lf_rng_u64(&r);
        const int32_t hz = (int32_t)(uint32_t)(u >> 32);
        const int iz = (int)(u & (ZIG_N - 1));
        const uint32_t ahz = hz < 0 ? 0u - (uint32_t)hz : (uint32_t)hz;
        const double x = ahz < z->k[iz] ? hz * z->w[iz] : zig_slow(z, &r, hz, iz);
        out[j] = scale * (float)x;
    }
}

static void sgld_step(const void *cfg, float *w, const float *g, float *const *state,
                      const uint8_t *decay, int64_t n, int64_t t, double lr)
{
    LF_UNUSED(state);
    LF_UNUSED(decay);
    const sgld_cfg *c = cfg;
    const double N = (double)c->n_data;
    const float step = (float)-(lr * N);
    const float pw = c->prior_sigma > 0 ? (float)(1.0 / (N * c->prior_sigma * c->prior_sigma)) : 0;
    const float scale = (float)sqrt(2.0 * lr * c->temperature);
    const int64_t nblocks = (n + SGLD_BLOCK - 1) / SGLD_BLOCK;
    zig z; /* ~1 us to build; per step keeps it thread-safe without a once-flag */
    /* T = 0 skips the noise pass entirely (adding +0 would turn -0 weights into +0). */
    if (scale == 0.0f) {
#pragma omp parallel for simd schedule(static) if(n > 1 << 15)
        for (int64_t i = 0; i < n; i++) w[i] = w[i] + step * (g[i] + pw * w[i]);
        return;
    }
    zig_init(&z);
#pragma omp parallel for schedule(static) if(nblocks > 8)
    for (int64_t b = 0; b < nblocks; b++) {
        float xi[SGLD_BLOCK];
        const int64_t lo = b * SGLD_BLOCK, len = n - lo < SGLD_BLOCK ? n - lo : SGLD_BLOCK;
        block_noise(&z, block_key((uint64_t)c->seed, t, b), scale, xi, len);
        float *wb = w + lo;
        const float *gb = g + lo;
#pragma omp simd
        for (int64_t i = 0; i < len; i++) wb[i] = wb[i] + step * (gb[i] + pw * wb[i]) + xi[i];
    }
}

static const lf_optim_vt sgld_vt = {
    .nstate = 0,
    .state_names = NULL,
    .base_lr = sgld_lr,
    .check = sgld_check,
    .step = sgld_step,
};

static const lf_param_desc sgld_params[] = {
    LF_PARAM_FLOAT("lr", 1e-6, 0, INFINITY, LF_OPEN_MIN,
        "step on the full-data potential U (= SGD lr on the mean loss / n_data)", sgld_cfg, lr),
    LF_PARAM_FLOAT("temperature", 1, 0, INFINITY, 0,
        "T: noise variance 2*lr*T (1 = the posterior, <1 cold, 0 = SGD)", sgld_cfg, temperature),
    LF_PARAM_FLOAT("prior_sigma", 1, 0, INFINITY, 0,
        "std of the Gaussian prior N(0, s^2) on every parameter (0 = flat prior)", sgld_cfg,
        prior_sigma),
    LF_PARAM_INT("n_data", 0, 0, 1e15,
        "N, training examples: grad U = N*(mean-loss gradient) + prior term (required; "
        "`lossforge train` fills it from the training set)", sgld_cfg, n_data),
    LF_PARAM_INT("seed", 1, 0, 9007199254740992.0,
        "seed of the injected noise (a function of seed and step only)", sgld_cfg, seed),
};

const lf_desc lf_desc_optim_sgld = {
    .kind = LF_KIND_OPTIM,
    .name = "sgld",
    .doc = "stochastic gradient Langevin dynamics: posterior samples (Welling & Teh 2011)",
    .paper = "universality",
    .params = sgld_params,
    .nparams = LF_NPARAMS(sgld_params),
    .cfg_size = sizeof(sgld_cfg),
    .impl = &sgld_vt,
};

lf_status lf_sgld_spec_fill(const char *spec, int64_t n_data, char *buf, size_t cap)
{
    const lf_desc *d;
    sgld_cfg *c;
    lf_status s = lf_spec_new(LF_KIND_OPTIM, spec, &d, (void **)&c);
    if (s != LF_OK) return s;
    if (d == &lf_desc_optim_sgld && c->n_data == 0) c->n_data = n_data;
    s = lf_spec_canonical(d, c, buf, cap);
    free(c);
    return s;
}
