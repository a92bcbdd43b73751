/* Hostile sizes the reader tests elsewhere do not cover: model files whose metadata asks for
 * more than the file holds, a CSV whose first row claims more cells than the file has bytes,
 * and a parameter slab whose total overflows. Each must fail with a message naming the file
 * and field, before allocating what the file claims. */
#include "testutil.h"
#include "internal.h"
#include "lossforge/adversarial.h"

#include <stdlib.h>
#include <string.h>

/* A model file with the given metadata, norm.mean/norm.std of d floats and no parameters. */
static const char *model_file(const char *spec, const char *in_shape, const char *n_out,
                              int64_t d)
{
    static float norm[64];
    lf_st_entry e[2] = {{"norm.mean", LF_F32, 1, {d, 1, 1, 1}, norm},
                        {"norm.std", LF_F32, 1, {d, 1, 1, 1}, norm}};
    const char *meta[8] = {"format", "lossforge-model-1", "model", spec,
                           "in_shape", in_shape, "n_out", n_out};
    const char *path = tu_write_tmp("hostile_model.safetensors", "", 0);
    TU_OK(lf_st_write(path, e, 2, meta, 4));
    return path;
}

static void expect_model_error(const char *path, const char *needle)
{
    lf_model *m = (lf_model *)(uintptr_t)0x1;
    TU_ERR(lf_model_load(path, &m, NULL), LF_EFORMAT, needle);
    assert_ptr_equal(m, (lf_model *)(uintptr_t)0x1);
    if (!strstr(lf_last_error(), "hostile_model") && !strstr(lf_last_error(), "model \""))
        fail_msg("message \"%s\" names neither the file nor the model", lf_last_error());
}

static void model_file_sizes(void **state)
{
    (void)state;
    /* 2^40 parameters asked for by a file of 8 floats: refused before the slab is allocated. */
    expect_model_error(model_file("mlp:1048576,1048576", "4", "3", 4), "more than the 8 available");
    expect_model_error(model_file("mlp:8", "4294967296,4294967296,4294967296", "3", 4),
                       "\"in_shape\"");
    expect_model_error(model_file("mlp:8", "5", "3", 4), "\"norm.mean\" must be F32 [5]");
    expect_model_error(model_file("mlp:8", "4", "x", 4), "\"n_out\" is \"x\"");
    expect_model_error(model_file("mlp:8", "4", "0", 4), "\"n_out\" is \"0\"");
    expect_model_error(model_file("mlp:8", "4", "99999999999", 4), "\"n_out\"");
    expect_model_error(model_file("mlp:8", "4", "3junk", 4), "\"n_out\"");
    expect_model_error(model_file("mlp:8", "0", "3", 4), "\"in_shape\"");
}

/* One header row of 100001 columns over 100000 one-byte rows: 10^10 cells claimed by 300 kB. */
static void csv_cells_beyond_file(void **state)
{
    (void)state;
    const size_t cols = 100000, rows = 100000;
    size_t n = cols + 1 + 2 * rows;
    char *text = malloc(n);
    memset(text, ',', cols);
    text[cols] = '\n';
    for (size_t i = 0; i < rows; i++) memcpy(text + cols + 1 + 2 * i, "1\n", 2);
    const char *path = tu_write_tmp("wide.csv", text, n);
    free(text);
    lf_dataset ds;
    lf_csv_opts o = {0, -2, ','};
    TU_ERR(lf_read_csv(path, &o, &ds), LF_EFORMAT, "cannot fit");
    if (!strstr(lf_last_error(), "wide.csv"))
        fail_msg("message lacks the file: %s", lf_last_error());
}

/* Found by fuzz_libsvm: one row naming feature 385054554 asked for a 1.5 GB dense row. */
static void libsvm_dense_beyond_file(void **state)
{
    (void)state;
    const char *path = tu_write_tmp("wide.svm", "0 385054554:0.02\n", 17);
    lf_dataset ds;
    TU_ERR(lf_read_libsvm(path, 0, &ds), LF_EFORMAT, "features=385054554");
    /* Up to 2^24 cells stay allowed whatever the file's size. */
    path = tu_write_tmp("wide_ok.svm", "0 16000000:1\n", 13);
    TU_OK(lf_read_libsvm(path, 0, &ds));
    assert_int_equal(ds.d, 16000000);
    lf_dataset_release(&ds);
}

static void params_total_overflow(void **state)
{
    (void)state;
    lf_params p = {0};
    const int64_t big[2] = {(int64_t)1 << 31, (int64_t)1 << 30}; /* 2^61 floats each */
    assert_int_equal(lf_params_add(&p, "a", 2, big, 1), 0);
    assert_int_equal(lf_params_add(&p, "b", 2, big, 1), 1);
    assert_int_equal(lf_params_add(&p, "c", 2, big, 1), 2);
    assert_int_equal(lf_params_add(&p, "d", 2, big, 1), -1); /* 4 * 2^61 > INT64_MAX */
    if (!strstr(lf_last_error(), "overflows at \"d\"")) fail_msg("%s", lf_last_error());
    lf_params_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_file_sizes),
        cmocka_unit_test(csv_cells_beyond_file),
        cmocka_unit_test(libsvm_dense_beyond_file),
        cmocka_unit_test(params_total_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
