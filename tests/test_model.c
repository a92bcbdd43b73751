/* Models: parameter names/shapes, PyTorch default init bounds, forward shapes, gradients through
 * the whole network, model files round trip. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int64_t img[3] = {1, 12, 12};

static void mlp_shapes_and_init(void **state)
{
    (void)state;
    lf_model *m;
    int64_t in[1] = {20};
    TU_OK(lf_model_create("mlp:8,6,act=tanh", 1, in, 3, 5, &m));
    lf_params *p = lf_model_params(m);
    assert_int_equal(p->n, 6);
    const char *names[6] = {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias"};
    const int64_t fan_in[3] = {20, 8, 6};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(p->t[i].name, names[i]);
        double bound = 1 / sqrt((double)fan_in[i / 2]), maxabs = 0;
        for (int64_t j = 0; j < p->t[i].size; j++) maxabs = fmax(maxabs, fabs(p->t[i].data[j]));
        assert_true(maxabs <= bound);
        if (i % 2 == 0) assert_true(maxabs > 0.5 * bound); /* really drawn, not zeros */
        assert_int_equal(p->decay[i], i % 2 == 0);
    }
    assert_int_equal(p->t[2].shape[0], 6);
    assert_int_equal(p->t[2].shape[1], 8);
    assert_string_equal(lf_model_spec(m), "mlp:8,6,act=tanh,dropout=0");
    lf_model_free(m);
    lf_model_free(NULL);
}

static void bad_specs(void **state)
{
    (void)state;
    lf_model *m = NULL;
    int64_t in[1] = {20};
    TU_ERR(lf_model_create("convnet", 1, in, 3, 1, &m), LF_EINVAL, "image input");
    TU_ERR(lf_model_create("convnet:k=4", 3, img, 3, 1, &m), LF_EINVAL, "odd");
    TU_ERR(lf_model_create("resnet", 1, in, 3, 1, &m), LF_ENOTFOUND, "mlp");
    TU_ERR(lf_model_create("mlp:0", 1, in, 3, 1, &m), LF_EINVAL, "hidden");
    assert_null(m);
}

typedef struct {
    lf_model *m;
    lf_loss *loss;
    int64_t n;
    int32_t y[4];
    float *x;
    int which; /* 0: d loss / d params, 1: d loss / d input */
} net_ctx;

/* Loss of the whole network as a function of either its parameters or its input. */
static double net_loss(void *vctx, const float *v, float *grad)
{
    net_ctx *c = vctx;
    lf_params *p = lf_model_params(c->m);
    if (c->which == 0) memcpy(p->data, v, (size_t)p->size * sizeof(float));
    else memcpy(c->x, v, (size_t)(c->n * 144) * sizeof(float));
    lf_tape *t = lf_tape_new();
    int64_t shape[4] = {c->n, 1, 12, 12};
    lf_tensor *x = lf_tape_tensor(t, 4, shape, c->x);
    x->requires_grad = c->which == 1;
    lf_batch b = {.label = c->y};
    lf_tensor *l = lf_op_loss(t, c->loss, lf_model_forward(c->m, t, x), &b);
    TU_OK(lf_tape_status(t));
    double v0 = l->data[0];
    if (grad) {
        lf_params_zero_grad(p);
        TU_OK(lf_backward(t, l));
        if (c->which == 0) memcpy(grad, p->grad, (size_t)p->size * sizeof(float));
        else memcpy(grad, lf_tensor_grad(t, x), (size_t)(c->n * 144) * sizeof(float));
    }
    lf_tape_free(t);
    return v0;
}

static void gradcheck_model(const char *spec)
{
    net_ctx c = {.n = 3, .y = {0, 2, 1}};
    TU_OK(lf_model_create(spec, 3, img, 3, 11, &c.m));
    TU_OK(lf_loss_create("ce", &c.loss));
    c.x = malloc(3 * 144 * sizeof(float));
    tu_fill_uniform(c.x, 3 * 144, -1, 1, 3);
    lf_params *p = lf_model_params(c.m);
    float *w0 = malloc((size_t)p->size * sizeof(float)), *x0 = malloc(3 * 144 * sizeof(float));
    memcpy(w0, p->data, (size_t)p->size * sizeof(float));
    memcpy(x0, c.x, 3 * 144 * sizeof(float));
    tu_gradcheck(net_loss, &c, w0, p->size, 1e-3, 2e-2);
    c.which = 1;
    tu_gradcheck(net_loss, &c, x0, 3 * 144, 1e-3, 2e-2);
    free(w0);
    free(x0);
    free(c.x);
    lf_loss_free(c.loss);
    lf_model_free(c.m);
}

static void gradcheck_mlp(void **state)
{
    (void)state;
    gradcheck_model("mlp:7,5,act=gelu");
}

static void gradcheck_convnet(void **state)
{
    (void)state;
    gradcheck_model("convnet:c1=3,c2=4,act=tanh");
}

static void model_file_round_trip(void **state)
{
    (void)state;
    lf_model *m, *back;
    TU_OK(lf_model_create("convnet:c1=2,c2=3", 3, img, 4, 9, &m));
    float nbuf[288];
    for (int i = 0; i < 288; i++) nbuf[i] = (float)i / 7.0f;
    const lf_norm norm = {.mean = nbuf, .std = nbuf + 144, .d = 144};
    char path[1024];
    snprintf(path, sizeof path, "%s/m.safetensors", tu_tmpdir());
    TU_OK(lf_model_save(m, &norm, path));
    lf_norm nb = {0};
    TU_OK(lf_model_load(path, &back, &nb));
    assert_string_equal(lf_model_spec(back), lf_model_spec(m));
    assert_int_equal(lf_model_n_out(back), 4);
    assert_int_equal(lf_model_in_ndim(back), 3);
    lf_params *a = lf_model_params(m), *b = lf_model_params(back);
    assert_int_equal(a->size, b->size);
    assert_memory_equal(a->data, b->data, (size_t)a->size * sizeof(float));
    assert_int_equal(nb.d, 144);
    assert_memory_equal(nb.mean, nbuf, 144 * sizeof(float));
    assert_memory_equal(nb.std, nbuf + 144, 144 * sizeof(float));
    lf_norm_release(&nb);
    lf_model_free(back);
    lf_model_free(m);
    /* A truncated model file is refused with its name. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(truncate(path, 100), 0);
    TU_ERR(lf_model_load(path, &back, NULL), LF_EFORMAT, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mlp_shapes_and_init), cmocka_unit_test(bad_specs),
        cmocka_unit_test(gradcheck_mlp),       cmocka_unit_test(gradcheck_convnet),
        cmocka_unit_test(model_file_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
