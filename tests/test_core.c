/* Core: rng, arena, tensor shapes, params slab, errors. */
#include "testutil.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void rng_reference_values(void **state)
{
    (void)state;
    /* splitmix64(0) seeding, then xoshiro256**: the same stream as the reference C code. */
    lf_rng r;
    lf_rng_seed(&r, 0);
    assert_int_equal(r.s[0], 0xe220a8397b1dcdafULL);
    assert_int_equal(r.s[1], 0x6e789e6aa1b965f4ULL);
    uint64_t first = lf_rng_u64(&r);
    lf_rng again;
    lf_rng_seed(&again, 0);
    assert_int_equal(first, lf_rng_u64(&again));
}

static void rng_distributions(void **state)
{
    (void)state;
    lf_rng r;
    lf_rng_seed(&r, 42);
    double s = 0, s2 = 0, u = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = lf_rng_normal(&r);
        s += z;
        s2 += z * z;
        double v = lf_rng_uniform(&r);
        assert_true(v >= 0 && v < 1);
        u += v;
    }
    assert_true(fabs(s / n) < 0.01);
    assert_true(fabs(s2 / n - 1) < 0.02);
    assert_true(fabs(u / n - 0.5) < 0.005);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) counts[lf_rng_below(&r, 7)]++;
    for (int i = 0; i < 7; i++) assert_true(abs(counts[i] - 10000) < 500);
}

static void rng_permutation(void **state)
{
    (void)state;
    lf_rng r;
    lf_rng_seed(&r, 7);
    int64_t p[100];
    int seen[100] = {0};
    lf_rng_permutation(&r, p, 100);
    for (int i = 0; i < 100; i++) seen[p[i]]++;
    for (int i = 0; i < 100; i++) assert_int_equal(seen[i], 1);
    lf_rng a = lf_rng_fork(&r), b = r;
    assert_true(lf_rng_u64(&a) != lf_rng_u64(&b));
}

static void arena_settles(void **state)
{
    (void)state;
    lf_arena *a = lf_arena_new(128);
    assert_non_null(a);
    for (int step = 0; step < 3; step++) {
        for (int i = 0; i < 50; i++) {
            unsigned char *p = lf_arena_calloc(a, 1000);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 64, 0);
            assert_int_equal(p[999], 0);
            memset(p, 0xab, 1000);
        }
        assert_int_equal(lf_arena_used(a), 50 * 1024);
        lf_arena_reset(a);
    }
    lf_arena_free(a);
    lf_arena_free(NULL);
}

static void tensor_shapes(void **state)
{
    (void)state;
    lf_tensor t;
    int64_t ok[2] = {3, 4}, bad[2] = {3, 0}, huge[4] = {1LL << 40, 1LL << 40, 1, 1};
    TU_OK(lf_tensor_shape(&t, 2, ok));
    assert_int_equal(t.size, 12);
    TU_ERR(lf_tensor_shape(&t, 2, bad), LF_EINVAL, "dimension 1");
    TU_ERR(lf_tensor_shape(&t, 5, ok), LF_EINVAL, "5 dimensions");
    TU_ERR(lf_tensor_shape(&t, 4, huge), LF_ENOMEM, "overflow");
}

static void params_slab(void **state)
{
    (void)state;
    lf_params p = {0};
    int64_t w[2] = {4, 3}, b[1] = {4};
    assert_int_equal(lf_params_add(&p, "fc.weight", 2, w, 1), 0);
    assert_int_equal(lf_params_add(&p, "fc.bias", 1, b, 0), 1);
    assert_int_equal(lf_params_add(&p, "fc.bias", 1, b, 0), -1);
    assert_non_null(strstr(lf_last_error(), "duplicate"));
    TU_OK(lf_params_alloc(&p));
    assert_int_equal(p.size, 16);
    assert_ptr_equal(p.t[1].data, p.data + 12);
    assert_ptr_equal(p.t[1].grad, p.grad + 12);
    assert_int_equal(p.decay[0], 1);
    assert_int_equal(p.decay[1], 0);
    assert_int_equal(lf_params_find(&p, "fc.bias"), 1);
    assert_int_equal(lf_params_find(&p, "nope"), -1);
    assert_int_equal(lf_params_add(&p, "late", 1, b, 0), -1);
    lf_params_release(&p);
    lf_params_release(NULL);
}

static void error_messages(void **state)
{
    (void)state;
    assert_int_equal(lf_error(LF_EIO, "file %s: %d", "x.csv", 3), LF_EIO);
    assert_string_equal(lf_last_error(), "file x.csv: 3");
    assert_string_equal(lf_status_name(LF_ENUMERIC), "LF_ENUMERIC");
    int64_t out = -1;
    assert_true(lf_mul_overflows(INT64_MAX / 2, 3, &out));
    assert_int_equal(out, -1);
    assert_false(lf_mul_overflows(1 << 20, 1 << 20, &out));
    assert_int_equal(out, 1LL << 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_reference_values), cmocka_unit_test(rng_distributions),
        cmocka_unit_test(rng_permutation),      cmocka_unit_test(arena_settles),
        cmocka_unit_test(tensor_shapes),        cmocka_unit_test(params_slab),
        cmocka_unit_test(error_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
