/* test_nn_call.c -- engine/nn_call.c: calling layers and models on tensors. The outputs equal
 * predict's; backward through the recorded nodes gives the fast path's gradients (the same
 * kernels reached two ways) and input gradients that match finite differences for every
 * layer kind (Dropout with a fixed mask); convolutions over many samples run in chunks;
 * nothing is recorded without autograd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static eng_model *small_cnn(eng_rng *rng)
{
    eng_error err;
    eng_model *m = eng_model_new("cnn", &err);
    eng_layer_config c = nn_conv(3, 3, ENG_ACT_RELU, NULL);
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, NULL);
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_BATCHNORM, NULL);
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_FLATTEN, NULL);
    nn_add(m, &c, rng);
    c = nn_dense(4, ENG_ACT_TANH, NULL);
    nn_add(m, &c, rng);
    c = nn_dense(3, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, rng);
    return m;
}

static void test_nn_call_matches_predict(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_model *m = small_cnn(&rng);
    eng_tensor *x = nn_tensor(&rng, 4, SHAPE(5, 8, 7, 2), -1, 1);
    eng_tensor *y = eng_model_call(m, NULL, x, 0, &rng, &err);      /* builds the model */
    assert_non_null(y);
    assert_null(y->node);
    eng_tensor *p = eng_model_predict(m, x, 2, &rng, NULL, NULL, &err);
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[1], 3);
    nn_assert_close("call vs predict", eng_tensor_data(y), eng_tensor_data(p), 15, 1e-5, 1e-6);
    /* with autograd enabled the weights (parameters) make every layer record a node */
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *y2 = eng_model_call(m, &ag, x, 0, &rng, &err);
    assert_non_null(y2->node);
    assert_string_equal(y2->node->name, "dense");
    char *g = eng_graph_format(y2);
    assert_non_null(strstr(g, "conv2d"));
    free(g);
    eng_ag_set_enabled(&ag, 0);                                      /* no_grad */
    eng_tensor *y3 = eng_model_call(m, &ag, x, 0, &rng, &err);
    assert_null(y3->node);
    eng_tensor_release(y); eng_tensor_release(y2); eng_tensor_release(y3);
    eng_tensor_release(p); eng_tensor_release(x);
    eng_model_release(m);
}

/* loss(model(x)).backward() fills the same gradients as the fit loop's fast path. */
static void test_nn_call_backward_matches_fast_path(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_model *m = small_cnn(&rng);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_SPARSE_CCE, 1, 0);
    int64_t n = 6;
    eng_tensor *x = nn_tensor(&rng, 4, SHAPE(6, 8, 7, 2), -1, 1);
    eng_tensor *y = eng_tensor_randint(&rng, 0, 3, 1, &n, &err);
    double loss_fast;
    assert_int_equal(nn_model_grad(m, x, y, &rng, &loss_fast, &err), ENG_OK);
    eng_tensor *p[8];
    int np = eng_model_params(m, p, 8);
    float *fast[8];
    for (int i = 0; i < np; i++) fast[i] = nn_dup(eng_tensor_data(p[i]->grad), p[i]->size);
    eng_optimizer_zero_grad(eng_model_optimizer(m));
    eng_ag ag;
    eng_ag_init(&ag);
    eng_loss loss = { ENG_LOSS_SPARSE_CCE, 1, NULL };
    eng_tensor *logits = eng_model_call(m, &ag, x, 1, &rng, &err);
    eng_tensor *l = eng_loss_call(&loss, &ag, y, logits, &err);
    assert_float_equal(eng_tensor_item(l), loss_fast, 1e-5);
    assert_int_equal(eng_backward(l, NULL, &err), ENG_OK);
    for (int i = 0; i < np; i++) {
        nn_assert_close("grad", eng_tensor_data(p[i]->grad), fast[i], p[i]->size, 1e-4, 1e-6);
        free(fast[i]);
    }
    eng_tensor_release(l); eng_tensor_release(logits);
    eng_tensor_release(x); eng_tensor_release(y);
    eng_model_release(m);
}

typedef struct xgrad_ctx {
    eng_layer *l;
    int64_t shape[4];
    int ndim;
    const float *G;
} xgrad_ctx;

/* The same generator state for every evaluation: Dropout draws the same mask each time. */
static double layer_dot(const float *v, void *p)
{
    xgrad_ctx *c = p;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 77);
    eng_tensor *x = eng_tensor_from_data(c->ndim, c->shape, v, &err);
    eng_tensor *y = eng_layer_call(c->l, NULL, x, 1, &rng, &err);
    double s = nn_dot(eng_tensor_data(y), c->G, y->size);
    eng_tensor_release(x);
    eng_tensor_release(y);
    return s;
}

/* d sum(layer(x) * G) / dx through the node, against finite differences. */
static void check_input_grad(eng_layer_config *cfg, int ndim, const int64_t *shape)
{
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 3);
    eng_ag ag;
    eng_ag_init(&ag);
    eng_layer *l = eng_layer_new(cfg, &err);
    eng_tensor *x0 = nn_tensor(&rng, ndim, shape, -1, 1);
    eng_tensor *x = eng_param(x0, &err);
    eng_tensor *warm = eng_layer_call(l, NULL, x0, 1, &rng, &err);      /* builds the layer */
    eng_tensor_release(warm);
    eng_rng mask_rng;
    eng_rng_seed(&mask_rng, 77);
    eng_tensor *y = eng_layer_call(l, &ag, x, 1, &mask_rng, &err);
    assert_non_null(y);
    float *G = nn_rand(&rng, y->size, -1, 1);
    eng_tensor *gt = eng_tensor_from_data(y->ndim, y->shape, G, &err);
    assert_int_equal(eng_backward(y, gt, &err), ENG_OK);
    xgrad_ctx c = { l, { 0 }, ndim, G };
    memcpy(c.shape, shape, (size_t)ndim * sizeof *shape);
    float *num = nn_zeros(x->size), *xv = nn_dup(eng_tensor_data(x0), x->size);
    nn_numeric_grad(num, layer_dot, xv, x->size, &c, 1e-3);
    nn_assert_close(eng_layer_kind_name(cfg->kind), eng_tensor_data(x->grad), num, x->size, 5e-3,
                    5e-3);
    free(G); free(num); free(xv);
    eng_tensor_release(gt); eng_tensor_release(y); eng_tensor_release(x); eng_tensor_release(x0);
    eng_layer_release(l);
}

static void test_nn_call_input_gradients(void **state)
{
    (void)state;
    eng_layer_config c = nn_dense(3, ENG_ACT_TANH, NULL);
    check_input_grad(&c, 2, SHAPE(4, 5));
    c = nn_conv(2, 3, ENG_ACT_SIGMOID, NULL);
    c.padding_same = 1;
    check_input_grad(&c, 4, SHAPE(2, 5, 4, 2));
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, NULL);
    check_input_grad(&c, 4, SHAPE(2, 4, 4, 3));
    c = nn_cfg(ENG_LAYER_BATCHNORM, NULL);
    check_input_grad(&c, 2, SHAPE(6, 3));
    c = nn_cfg(ENG_LAYER_ACTIVATION, NULL);
    c.activation = ENG_ACT_SOFTMAX;
    check_input_grad(&c, 2, SHAPE(3, 4));
    c = nn_cfg(ENG_LAYER_FLATTEN, NULL);
    check_input_grad(&c, 3, SHAPE(2, 3, 2));
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);
    c.rate = 0.4;
    check_input_grad(&c, 2, SHAPE(5, 6));
}

/* A convolution over more samples than one column buffer holds runs chunk by chunk. */
static void test_nn_call_conv_chunks(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    eng_layer_config c = nn_conv(2, 5, ENG_ACT_LINEAR, NULL);
    eng_layer *l = eng_layer_new(&c, &err);
    int64_t B = 50;             /* 60x60 outputs of 5x5x8 patches: 23 samples per chunk */
    eng_tensor *x = nn_tensor(&rng, 4, SHAPE(50, 64, 64, 8), -1, 1);
    eng_tensor *y = eng_layer_call(l, NULL, x, 0, &rng, &err);
    assert_non_null(y);
    eng_conv_dims d = { B, 64, 64, 8, 2, 5, 5, 1, 1, 0, 0, 60, 60 };
    float *ref = nn_zeros(y->size);
    eng_k_conv2d_fwd_naive(ref, eng_tensor_data(x), eng_tensor_data(eng_layer_weight(l, 0)),
                           eng_tensor_data(eng_layer_weight(l, 1)), &d);
    nn_assert_close("chunked conv", eng_tensor_data(y), ref, y->size, 1e-4, 1e-4);
    free(ref);
    eng_tensor_release(y);
    eng_tensor_release(x);
    eng_layer_release(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_call_matches_predict),
        cmocka_unit_test(test_nn_call_backward_matches_fast_path),
        cmocka_unit_test(test_nn_call_input_gradients),
        cmocka_unit_test(test_nn_call_conv_chunks),
    };
    return cmocka_run_group_tests_name("nn_call", tests, NULL, NULL);
}
