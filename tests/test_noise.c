/* Label noise (src/data/noise.c): exact rates, the three conventions, seeded reproducibility,
 * and errors that name the kind or the rate. The CLI test tests/cli_noise.sh checks that
 * `train --label-noise` leaves the test split alone. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

enum { N = 1000, C = 10 };

static int32_t *clean_labels(void)
{
    int32_t *y = malloc(N * sizeof *y);
    assert_non_null(y);
    for (int i = 0; i < N; i++) y[i] = (int32_t)((i * 7) % C);
    return y;
}

static int64_t count_changed(const int32_t *a, const int32_t *b)
{
    int64_t c = 0;
    for (int i = 0; i < N; i++) c += a[i] != b[i];
    return c;
}

static void test_sym_exact_rate(void **state)
{
    (void)state;
    int32_t *y0 = clean_labels(), *y = clean_labels();
    int64_t flipped = -1;
    TU_OK(lf_label_noise(y, N, C, LF_NOISE_SYM, 0.4, 7, &flipped));
    /* Exactly 40% wrong: every picked row moved to another class. */
    assert_int_equal(flipped, 400);
    assert_int_equal(count_changed(y0, y), 400);
    /* Every other class is reachable and none is favoured much (~44 of each per source). */
    int64_t hits[C] = {0};
    for (int i = 0; i < N; i++)
        if (y[i] != y0[i]) hits[(y[i] - y0[i] + C) % C]++;
    assert_int_equal(hits[0], 0);
    for (int d = 1; d < C; d++) assert_true(hits[d] > 20 && hits[d] < 75);
    TU_OK(lf_label_noise(y, N, C, LF_NOISE_SYM, 1.0, 8, &flipped));
    assert_int_equal(flipped, N);
    free(y0);
    free(y);
}

static void test_uniform_convention(void **state)
{
    (void)state;
    int32_t *y0 = clean_labels(), *y = clean_labels();
    int64_t flipped = -1;
    TU_OK(lf_label_noise(y, N, C, LF_NOISE_UNIFORM, 0.4, 7, &flipped));
    /* 400 rows redrawn over all 10 classes: about 360 change (binomial sd ~6). */
    assert_int_equal(flipped, count_changed(y0, y));
    assert_true(flipped > 330 && flipped < 390);
    free(y0);
    free(y);
}

static void test_pair_flip(void **state)
{
    (void)state;
    int32_t *y0 = clean_labels(), *y = clean_labels();
    int64_t flipped = -1;
    TU_OK(lf_label_noise(y, N, C, LF_NOISE_PAIR, 0.4, 3, &flipped));
    assert_int_equal(flipped, 400);
    assert_int_equal(count_changed(y0, y), 400);
    for (int i = 0; i < N; i++)
        if (y[i] != y0[i]) assert_int_equal(y[i], (y0[i] + 1) % C);
    free(y0);
    free(y);
}

static void test_seeded(void **state)
{
    (void)state;
    int32_t *a = clean_labels(), *b = clean_labels(), *c = clean_labels();
    TU_OK(lf_label_noise(a, N, C, LF_NOISE_SYM, 0.2, 42, NULL));
    TU_OK(lf_label_noise(b, N, C, LF_NOISE_SYM, 0.2, 42, NULL));
    TU_OK(lf_label_noise(c, N, C, LF_NOISE_SYM, 0.2, 43, NULL));
    assert_memory_equal(a, b, N * sizeof *a);
    assert_true(memcmp(a, c, N * sizeof *a) != 0);
    /* Rate 0 and an empty set change nothing. */
    int64_t flipped = -1;
    TU_OK(lf_label_noise(b, N, C, LF_NOISE_PAIR, 0, 1, &flipped));
    assert_int_equal(flipped, 0);
    assert_memory_equal(a, b, N * sizeof *a);
    TU_OK(lf_label_noise(NULL, 0, C, LF_NOISE_SYM, 0.5, 1, &flipped));
    assert_int_equal(flipped, 0);
    free(a);
    free(b);
    free(c);
}

static void test_dataset_spec(void **state)
{
    (void)state;
    lf_dataset ds = {.n = N, .n_classes = C};
    ds.y = clean_labels();
    strcpy(ds.name, "toy");
    int32_t *y0 = clean_labels();
    int64_t flipped;
    TU_OK(lf_dataset_label_noise(&ds, "pair:0.25", 5, &flipped));
    assert_int_equal(flipped, 250);
    assert_int_equal(count_changed(y0, ds.y), 250);
    lf_noise_kind kind;
    double rate;
    TU_OK(lf_noise_parse("uniform:0.6", &kind, &rate));
    assert_int_equal(kind, LF_NOISE_UNIFORM);
    assert_true(rate == 0.6);
    free(y0);
    free(ds.y);
}

static void test_errors(void **state)
{
    (void)state;
    lf_noise_kind kind;
    double rate;
    TU_ERR(lf_noise_parse("sym", &kind, &rate), LF_EINVAL, "KIND:RATE");
    TU_ERR(lf_noise_parse("flip:0.2", &kind, &rate), LF_EINVAL, "unknown kind \"flip\"");
    TU_ERR(lf_noise_parse("sym:1.5", &kind, &rate), LF_EINVAL, "rate must be");
    TU_ERR(lf_noise_parse("pair:0.2x", &kind, &rate), LF_EINVAL, "\"0.2x\"");
    TU_ERR(lf_noise_parse("sym:nan", &kind, &rate), LF_EINVAL, "rate");
    int32_t y[3] = {0, 1, 3};
    TU_ERR(lf_label_noise(y, 3, 3, LF_NOISE_SYM, 0.5, 1, NULL), LF_EINVAL, "label 3 at row 2");
    int32_t one[2] = {0, 0};
    TU_ERR(lf_label_noise(one, 2, 1, LF_NOISE_SYM, 0.5, 1, NULL), LF_EINVAL, "2 classes");
    TU_ERR(lf_label_noise(one, 2, 2, LF_NOISE_PAIR, -0.1, 1, NULL), LF_EINVAL, "rate");
    lf_dataset nolabels = {.n = 3, .n_classes = 2};
    strcpy(nolabels.name, "unlabelled");
    TU_ERR(lf_dataset_label_noise(&nolabels, "sym:0.1", 1, NULL), LF_EINVAL, "no labels");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sym_exact_rate), cmocka_unit_test(test_uniform_convention),
        cmocka_unit_test(test_pair_flip),      cmocka_unit_test(test_seeded),
        cmocka_unit_test(test_dataset_spec),   cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
