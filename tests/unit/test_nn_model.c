/* test_nn_model.c -- engine/nn_model.c: building eagerly (input_shape) and lazily, the flat
 * weight and gradient buffers, rebuilding after add, shared layers, compile, input checks,
 * and whole-model gradient checks of the fast path (every layer kind, fused and plain losses)
 * against finite differences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

/* Keras's beginner model: Flatten(input_shape=(28, 28)), Dense(128, relu), Dense(10). */
static eng_model *tutorial_model(eng_rng *rng)
{
    eng_error err;
    eng_model *m = eng_model_new("sequential", &err);
    eng_layer_config c = nn_cfg(ENG_LAYER_FLATTEN, "flatten");
    c.input_ndim = 2;
    c.input_shape[0] = c.input_shape[1] = 28;
    nn_add(m, &c, rng);
    c = nn_dense(128, ENG_ACT_RELU, "dense");
    nn_add(m, &c, rng);
    c = nn_dense(10, ENG_ACT_LINEAR, "dense_1");
    nn_add(m, &c, rng);
    return m;
}

static void test_nn_model_build_eager(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_model *m = tutorial_model(&rng);
    assert_true(eng_model_is_built(m));
    int64_t s[ENG_MAX_DIMS];
    assert_int_equal(eng_model_output_shape(m, s), 1);
    assert_int_equal(s[0], 10);
    assert_int_equal(eng_model_input_shape(m, s), 2);
    assert_int_equal(eng_model_param_count(m, 0), 101770);
    assert_int_equal(eng_model_param_count(m, 1), 101770);
    /* four trainable tensors, one after the other in one buffer; gradients likewise */
    eng_tensor *p[8];
    assert_int_equal(eng_model_params(m, p, 8), 4);
    const float *base = eng_tensor_data(eng_model_weights_buffer(m));
    const float *gbase = eng_tensor_data(eng_model_grads_buffer(m));
    int64_t off = 0;
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(eng_tensor_data(p[i]), base + off);
        assert_ptr_equal(eng_tensor_data(p[i]->grad), gbase + off);
        off += p[i]->size;
    }
    assert_int_equal(eng_model_weights_buffer(m)->size, 101770);
    eng_model_release(m);
}

static void test_nn_model_build_lazy_and_add(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_model *m = eng_model_new(NULL, &err);
    assert_string_equal(eng_model_name(m), "sequential");
    eng_layer_config c = nn_dense(4, ENG_ACT_TANH, "a");
    nn_add(m, &c, &rng);
    assert_false(eng_model_is_built(m));
    char *s = eng_model_summary(m, 0, &err);
    assert_null(s);
    assert_non_null(strstr(err.msg, "This model has not yet been built."));
    assert_int_equal(eng_model_build(m, 1, SHAPE(3), &rng, &err), ENG_OK);
    eng_tensor *k = eng_layer_weight(eng_model_layer(m, 0), 0);
    float k0 = eng_tensor_data(k)[0];
    /* adding to a built model rebuilds it: old weights kept, everything in one new buffer */
    c = nn_dense(2, ENG_ACT_LINEAR, "b");
    nn_add(m, &c, &rng);
    assert_true(eng_model_is_built(m));
    assert_int_equal(eng_model_param_count(m, 0), 16 + 10);
    k = eng_layer_weight(eng_model_layer(m, 0), 0);
    assert_float_equal(eng_tensor_data(k)[0], k0, 0);
    assert_ptr_equal(eng_tensor_data(k), eng_tensor_data(eng_model_weights_buffer(m)));
    assert_int_equal(eng_model_weights_buffer(m)->size, 26);
    /* a layer that does not fit is refused, the model stays usable */
    c = nn_conv(2, 3, ENG_ACT_LINEAR, "conv");
    eng_layer *bad = eng_layer_new(&c, &err);
    assert_int_equal(eng_model_add(m, bad, &rng, &err), ENG_ERR_SHAPE);
    assert_int_equal(eng_model_layer_count(m), 2);
    assert_true(eng_model_is_built(m));
    assert_int_equal(eng_model_add(m, eng_model_layer(m, 0), &rng, &err), ENG_ERR_VALUE);
    eng_layer_release(bad);
    /* a built model takes only its input shape */
    assert_int_equal(eng_model_build(m, 1, SHAPE(3), &rng, &err), ENG_OK);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(5, 4), 0, 1);
    assert_int_equal(nn_model_prepare(m, x, &rng, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "Input 0 of layer \"sequential\" is incompatible with the "
                        "layer: expected shape=(None, 3), found shape=(5, 4)");
    eng_tensor_release(x);
    eng_model_release(m);
}

static void test_nn_model_shared_layer(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 3);
    eng_model *a = eng_model_new("a", &err), *b = eng_model_new("b", &err);
    eng_layer_config c = nn_dense(3, ENG_ACT_LINEAR, "shared");
    eng_layer *l = eng_layer_new(&c, &err);
    eng_model_add(a, l, &rng, &err);
    eng_model_build(a, 1, SHAPE(2), &rng, &err);
    eng_model_add(b, l, &rng, &err);
    c = nn_dense(1, ENG_ACT_LINEAR, "head");
    nn_add(b, &c, &rng);
    assert_int_equal(eng_model_build(b, 1, SHAPE(2), &rng, &err), ENG_OK);
    /* the shared layer's weights stay in a's buffer: a change is seen by both */
    assert_ptr_equal(eng_tensor_data(eng_layer_weight(l, 0)),
                     eng_tensor_data(eng_model_weights_buffer(a)));
    assert_int_equal(eng_model_weights_buffer(b)->size, 4);
    eng_model_release(a);                   /* l lives on with b */
    assert_int_equal(eng_layer_weight(l, 0)->size, 6);
    eng_model_release(b);
    eng_layer_release(l);
}

static void test_nn_model_compile_binds_optimizer(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    eng_model *m = tutorial_model(&rng);
    nn_compile(m, ENG_OPT_ADAM, 0, ENG_LOSS_SPARSE_CCE, 1, 1);
    assert_true(eng_model_is_compiled(m));
    eng_optimizer *o = eng_model_optimizer(m);
    assert_int_equal(eng_optimizer_param_count(o), 4);
    assert_ptr_equal(eng_optimizer_param(o, 0), eng_layer_weight(eng_model_layer(m, 1), 0));
    assert_int_equal(eng_model_loss(m)->kind, ENG_LOSS_SPARSE_CCE);
    eng_model_release(m);
}

/* ---- whole-model gradient checks ---------------------------------------------------------- */

/* The fast path's gradient of every weight (a sample of at most 60 per tensor) against
 * central differences of the mean loss with step h (small enough that max pooling's winners
 * do not change under it). */
static void gradcheck(eng_model *m, eng_tensor *x, eng_tensor *y, double h, double tol)
{
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 99);
    double loss;
    if (nn_model_grad(m, x, y, &rng, &loss, &err) != ENG_OK)
        fail_msg("nn_model_grad: %s", err.msg);
    eng_tensor *p[16];
    int n = eng_model_params(m, p, 16);
    for (int i = 0; i < n; i++) {
        nn_model_grad(m, x, y, &rng, &loss, &err);     /* at the unperturbed weights */
        float *w = eng_tensor_data(p[i]);
        float *g = nn_dup(eng_tensor_data(p[i]->grad), p[i]->size);
        int64_t step = p[i]->size > 60 ? p[i]->size / 60 : 1;
        for (int64_t k = 0; k < p[i]->size; k += step) {
            float keep = w[k];
            double up, down;
            w[k] = (float)(keep + h);
            nn_model_grad(m, x, y, &rng, &up, &err);
            w[k] = (float)(keep - h);
            nn_model_grad(m, x, y, &rng, &down, &err);
            w[k] = keep;
            double num = (up - down) / (2 * h);
            if (!(fabs(num - g[k]) <= tol + tol * fabs(num)))
                fail_msg("parameter %d element %lld: backward %.7g, numeric %.7g", i,
                         (long long)k, (double)g[k], num);
        }
        free(g);
    }
}

static eng_tensor *labels(eng_rng *rng, int64_t n, int64_t classes)
{
    eng_error err;
    eng_tensor *t = eng_tensor_randint(rng, 0, classes, 1, &n, &err);
    return t;
}

static void test_nn_model_gradcheck_mlp(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_model *m = eng_model_new("mlp", &err);
    eng_layer_config c = nn_dense(6, ENG_ACT_TANH, NULL);
    nn_add(m, &c, &rng);
    c = nn_dense(5, ENG_ACT_SIGMOID, NULL);
    nn_add(m, &c, &rng);
    c = nn_dense(4, ENG_ACT_SOFTMAX, NULL);
    nn_add(m, &c, &rng);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_SPARSE_CCE, 0, 0);     /* fused softmax + CE */
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(7, 3), -1, 1), *y = labels(&rng, 7, 4);
    gradcheck(m, x, y, 1e-2, 2e-3);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_MSE, 0, 0);           /* softmax backward itself */
    eng_tensor *yo = nn_tensor(&rng, 2, SHAPE(7, 4), 0, 1);
    gradcheck(m, x, yo, 1e-2, 2e-3);
    eng_tensor_release(x); eng_tensor_release(y); eng_tensor_release(yo);
    eng_model_release(m);
}

static void test_nn_model_gradcheck_cnn(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 6);
    eng_model *m = eng_model_new("cnn", &err);
    eng_layer_config c = nn_conv(3, 3, ENG_ACT_TANH, NULL);
    c.padding_same = 1;
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, NULL);
    nn_add(m, &c, &rng);
    c = nn_conv(2, 2, ENG_ACT_LINEAR, NULL);
    c.strides[0] = 2;
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_BATCHNORM, NULL);
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_ACTIVATION, NULL);
    c.activation = ENG_ACT_TANH;
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_FLATTEN, NULL);
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);       /* rate 0: deterministic */
    nn_add(m, &c, &rng);
    c = nn_dense(3, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, &rng);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_SPARSE_CCE, 1, 1);
    eng_tensor *x = nn_tensor(&rng, 4, SHAPE(4, 9, 8, 2), -1, 1), *y = labels(&rng, 4, 3);
    gradcheck(m, x, y, 1e-3, 3e-3);
    int64_t s[ENG_MAX_DIMS];
    assert_int_equal(eng_layer_output_shape(eng_model_layer(m, 2), s), 3);
    assert_int_equal(s[0], 2);      /* 9x8 -same-> 9x8 -pool-> 4x4 -2x2 stride (2,1)-> 2x3 */
    assert_int_equal(s[1], 3);
    eng_tensor_release(x); eng_tensor_release(y);
    eng_model_release(m);
}

static void test_nn_model_gradcheck_binary(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 7);
    eng_model *m = eng_model_new("bin", &err);
    eng_layer_config c = nn_dense(5, ENG_ACT_TANH, NULL);
    nn_add(m, &c, &rng);
    c = nn_dense(1, ENG_ACT_SIGMOID, NULL);
    nn_add(m, &c, &rng);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_BCE, 0, 1);
    /* labels of shape (N,) against the output (N, 1), as Keras allows */
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(6, 2), -1, 1), *y = labels(&rng, 6, 2);
    gradcheck(m, x, y, 1e-2, 2e-3);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_MSE, 0, 0);
    gradcheck(m, x, y, 1e-2, 2e-3);
    eng_tensor_release(x); eng_tensor_release(y);
    eng_model_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_model_build_eager),
        cmocka_unit_test(test_nn_model_build_lazy_and_add),
        cmocka_unit_test(test_nn_model_shared_layer),
        cmocka_unit_test(test_nn_model_compile_binds_optimizer),
        cmocka_unit_test(test_nn_model_gradcheck_mlp),
        cmocka_unit_test(test_nn_model_gradcheck_cnn),
        cmocka_unit_test(test_nn_model_gradcheck_binary),
    };
    return cmocka_run_group_tests_name("nn_model", tests, NULL, NULL);
}
