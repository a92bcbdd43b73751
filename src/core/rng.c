/* xoshiro256** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/), seeded by splitmix64.
 * Chosen for speed, 256-bit state that fits in a checkpoint, and a published reference. */
#include "internal.h"

#include <math.h>

__extension__ typedef unsigned __int128 u128;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void lf_rng_seed(lf_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

uint64_t lf_rng_u64(lf_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double lf_rng_uniform(lf_rng *r) { return (double)(lf_rng_u64(r) >> 11) * 0x1.0p-53; }

double lf_rng_normal(lf_rng *r)
{
    /* 1 - u lies in (0, 1], so the log is finite. */
    double u1 = 1.0 - lf_rng_uniform(r), u2 = lf_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t lf_rng_below(lf_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased, one multiply in the common case. */
    u128 m = (u128)lf_rng_u64(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (u128)lf_rng_u64(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void lf_rng_permutation(lf_rng *r, int64_t *out, int64_t n)
{
    for (int64_t i = 0; i < n; i++) out[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)lf_rng_below(r, (uint64_t)i + 1);
        int64_t tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
    }
}

lf_rng lf_rng_fork(lf_rng *r)
{
    lf_rng child;
    lf_rng_seed(&child, lf_rng_u64(r));
    return child;
}
