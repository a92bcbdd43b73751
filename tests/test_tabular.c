/* The committed tabular datasets load by name with the documented shapes and class counts, the
 * binary ones with the minority class as 1; a wrong dir= names the fix. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static void test_tabular_shapes(void **state)
{
    (void)state;
    const struct {
        const char *name;
        int64_t n, d, positives;
        int32_t classes;
    } t[] = {
        {"breast-cancer", 569, 30, 212, 2}, {"pima", 768, 8, 268, 2},
        {"sonar", 208, 60, 97, 2},          {"ionosphere", 351, 34, 126, 2},
        {"wine", 178, 13, 71, 3},           {"iris", 150, 4, 50, 3},
        {"digits", 1797, 64, 182, 10},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lf_dataset tr, te;
        TU_OK(lf_dataset_load(t[i].name, &tr, &te));
        assert_string_equal(tr.name, t[i].name);
        assert_int_equal(tr.n, t[i].n);
        assert_int_equal(tr.d, t[i].d);
        assert_int_equal(tr.n_classes, t[i].classes);
        assert_int_equal(te.n, 0);
        int64_t ones = 0;
        for (int64_t r = 0; r < tr.n; r++) ones += tr.y[r] == 1;
        assert_int_equal(ones, t[i].positives); /* binary: the minority class is 1 */
        if (t[i].classes == 2) assert_true(2 * ones < tr.n);
        TU_OK(lf_dataset_validate(&tr));
        lf_dataset_release(&tr);
    }
    /* A spot value: the first row of pima is 6,148,72,35,0,33.6,0.627,50 -> 1. */
    lf_dataset tr, te;
    TU_OK(lf_dataset_load("pima", &tr, &te));
    assert_true(tr.x[0] == 6 && tr.x[5] == 33.6f && tr.x[7] == 50 && tr.y[0] == 1);
    lf_dataset_release(&tr);
}

static void test_tabular_dir(void **state)
{
    (void)state;
    lf_dataset tr, te;
    TU_ERR(lf_dataset_load("sonar:dir=/nonexistent", &tr, &te), LF_ENOTFOUND, "sonar:dir=DIR");
    assert_non_null(strstr(lf_last_error(), "/nonexistent/sonar.csv"));
    /* dir= points at another copy: the wine file under a scratch directory. */
    const char *csv = "a,b,label\n1,2,0\n3,4,1\n5,6,2\n";
    const char *path = tu_write_tmp("wine.csv", csv, strlen(csv));
    char spec[600];
    snprintf(spec, sizeof spec, "wine:dir=%.*s", (int)(strrchr(path, '/') - path), path);
    TU_OK(lf_dataset_load(spec, &tr, &te));
    assert_int_equal(tr.n, 3);
    lf_dataset_release(&tr);
    /* The class count guards against a different file under the name. */
    csv = "a,label\n1,0\n2,1\n";
    path = tu_write_tmp("iris.csv", csv, strlen(csv));
    snprintf(spec, sizeof spec, "iris:dir=%.*s", (int)(strrchr(path, '/') - path), path);
    TU_ERR(lf_dataset_load(spec, &tr, &te), LF_EFORMAT, "2 classes, expected 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tabular_shapes),
        cmocka_unit_test(test_tabular_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
