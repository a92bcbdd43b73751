/* Evaluation metrics (src/learn/eval.c): the binary metrics of scores, AUC with ties against
 * the pair count, F1 / balanced accuracy by hand. */
#include "testutil.h"

#include "internal.h"

#include <math.h>

static void test_metrics(void **state)
{
    (void)state;
    const float s[8] = {2.0f, -1.0f, 0.5f, 0.5f, -0.3f, 3.0f, 0.5f, -2.0f};
    const int32_t y[8] = {1, 0, 1, 0, 1, 1, 0, 0};
    lf_binmetrics m;
    lf_binary_metrics(s, y, 8, &m);
    /* pred = s > 0: 1 0 1 1 0 1 1 0 -> TP 3, FP 2, FN 1, TN 2 */
    assert_true(fabs(m.acc - 5.0 / 8) < 1e-12);
    assert_true(fabs(m.f1 - 6.0 / 9) < 1e-12);
    assert_true(fabs(m.bacc - 0.5 * (3.0 / 4 + 2.0 / 4)) < 1e-12);
    /* AUC: the fraction of (positive, negative) pairs ordered right, ties one half. */
    double pairs = 0, good = 0;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            if (y[i] == 1 && y[j] == 0) {
                pairs++;
                good += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
    assert_true(fabs(m.auc - good / pairs) < 1e-12);
    /* One class only: F1 and AUC 0, no NaN. */
    const int32_t none[3] = {0, 0, 0};
    lf_binary_metrics(s, none, 3, &m);
    assert_true(m.f1 == 0 && m.auc == 0 && isfinite(m.bacc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
