/* Global-norm clipping against torch.nn.utils.clip_grad_norm_'s rule. */
#include "testutil.h"
#include "internal.h"

#include <math.h>

static void clips_only_above(void **state)
{
    (void)state;
    float g[200000];
    tu_fill_uniform(g, 200000, -1, 1, 5);
    double ss = 0;
    for (int i = 0; i < 200000; i++) ss += (double)g[i] * g[i];
    float before = g[123];
    double norm = lf_clip_grad_norm(g, 200000, 10.0);
    assert_true(fabs(norm - sqrt(ss)) < 1e-9 * sqrt(ss));
    assert_true(fabsf(g[123] - before * (float)(10.0 / (sqrt(ss) + 1e-6))) < 1e-7f);
    double after = 0;
    for (int i = 0; i < 200000; i++) after += (double)g[i] * g[i];
    assert_true(fabs(sqrt(after) - 10.0) < 1e-4);
    float small[3] = {0.1f, -0.2f, 0.3f};
    lf_clip_grad_norm(small, 3, 1.0);
    assert_true(small[0] == 0.1f && small[1] == -0.2f && small[2] == 0.3f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(clips_only_above)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
