/* test_nn_layer.c -- engine/nn_layer.c: Keras defaults, argument checks and their messages,
 * shape inference and parameter counts of every kind, Glorot-uniform bounds and zero biases,
 * weights as views with preset gradients, set_weights, incompatible inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static eng_layer *layer_of(const eng_layer_config *c)
{
    eng_error err;
    eng_layer *l = eng_layer_new(c, &err);
    if (!l)
        fail_msg("eng_layer_new: %s", err.msg);
    return l;
}

/* Builds l on its own for per-sample shape `in` and checks output shape and param count. */
static void check_build(eng_layer *l, int ndim, const int64_t *in, int out_ndim,
                        const int64_t *out, int64_t params, int64_t trainable)
{
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    if (eng_layer_build(l, ndim, in, &rng, &err) != ENG_OK)
        fail_msg("build: %s", err.msg);
    int64_t got[ENG_MAX_DIMS];
    assert_int_equal(eng_layer_output_shape(l, got), out_ndim);
    for (int d = 0; d < out_ndim; d++) assert_int_equal(got[d], out[d]);
    assert_int_equal(eng_layer_param_count(l, 0), params);
    assert_int_equal(eng_layer_param_count(l, 1), trainable);
}

static void test_nn_layer_defaults(void **state)
{
    (void)state;
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_MAXPOOL2D);
    assert_int_equal(c.kernel[0], 2);
    assert_int_equal(c.padding_same, 0);
    eng_layer *l = layer_of(&c);
    assert_int_equal(eng_layer_get_config(l)->strides[1], 2);     /* strides=None: pool_size */
    assert_string_equal(eng_layer_get_config(l)->name, "max_pooling2d");
    eng_layer_release(l);
    eng_layer_config_init(&c, ENG_LAYER_BATCHNORM);
    assert_float_equal(c.momentum, 0.99, 0);
    assert_float_equal(c.epsilon, 0.001, 0);
    eng_layer_config_init(&c, ENG_LAYER_CONV2D);
    assert_int_equal(c.strides[0], 1);
    assert_int_equal(c.use_bias, 1);
    assert_int_equal(c.activation, ENG_ACT_LINEAR);
    assert_int_equal(c.input_ndim, -1);
    assert_string_equal(eng_layer_kind_name(ENG_LAYER_BATCHNORM), "BatchNormalization");
    assert_string_equal(eng_layer_kind_stem(ENG_LAYER_BATCHNORM), "batch_normalization");
}

static void test_nn_layer_bad_arguments(void **state)
{
    (void)state;
    eng_error err;
    eng_layer_config c = nn_dense(0, ENG_ACT_RELU, NULL);
    assert_null(eng_layer_new(&c, &err));
    assert_string_equal(err.msg, "Dense units must be a positive whole number, got 0");
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);
    c.rate = 1;
    assert_null(eng_layer_new(&c, &err));
    assert_string_equal(err.msg, "Dropout rate must be in [0, 1), got 1");
    c = nn_conv(8, 0, ENG_ACT_RELU, NULL);
    assert_null(eng_layer_new(&c, &err));
    assert_string_equal(err.msg, "Conv2D kernel_size must be positive whole numbers, got 0");
    c = nn_conv(8, 3, ENG_ACT_RELU, NULL);
    c.strides[0] = 0;
    assert_null(eng_layer_new(&c, &err));
    c = nn_cfg(ENG_LAYER_CONV2D, NULL);
    assert_null(eng_layer_new(&c, &err));       /* filters 0 */
}

static void test_nn_layer_shapes_and_counts(void **state)
{
    (void)state;
    eng_layer_config c = nn_dense(128, ENG_ACT_RELU, NULL);
    eng_layer *l = layer_of(&c);
    check_build(l, 1, SHAPE(784), 1, SHAPE(128), 100480, 100480);
    assert_int_equal(eng_layer_weight_count(l), 2);
    assert_string_equal(eng_layer_weight_name(l, 0), "kernel");
    assert_int_equal(eng_layer_weight(l, 0)->shape[0], 784);
    eng_layer_release(l);
    /* Dense on a 3-d input acts on the last axis */
    l = layer_of(&c);
    check_build(l, 2, SHAPE(5, 7), 2, SHAPE(5, 128), 7 * 128 + 128, 7 * 128 + 128);
    eng_layer_release(l);
    c.use_bias = 0;
    l = layer_of(&c);
    check_build(l, 1, SHAPE(10), 1, SHAPE(128), 1280, 1280);
    eng_layer_release(l);
    c = nn_conv(32, 3, ENG_ACT_RELU, NULL);
    l = layer_of(&c);
    check_build(l, 3, SHAPE(28, 28, 1), 3, SHAPE(26, 26, 32), 320, 320);
    assert_int_equal(eng_layer_weight(l, 0)->ndim, 4);
    eng_layer_release(l);
    c.padding_same = 1;
    c.strides[0] = c.strides[1] = 2;
    l = layer_of(&c);
    check_build(l, 3, SHAPE(28, 28, 3), 3, SHAPE(14, 14, 32), 3 * 3 * 3 * 32 + 32, 896);
    eng_layer_release(l);
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, NULL);
    l = layer_of(&c);
    check_build(l, 3, SHAPE(26, 26, 32), 3, SHAPE(13, 13, 32), 0, 0);
    eng_layer_release(l);
    c = nn_cfg(ENG_LAYER_FLATTEN, NULL);
    l = layer_of(&c);
    check_build(l, 3, SHAPE(13, 13, 32), 1, SHAPE(5408), 0, 0);
    eng_layer_release(l);
    c = nn_cfg(ENG_LAYER_BATCHNORM, NULL);
    l = layer_of(&c);
    check_build(l, 1, SHAPE(64), 1, SHAPE(64), 256, 128);   /* 2 trainable + 2 moving */
    assert_false(eng_layer_weight_trainable(l, 2));
    assert_float_equal(eng_tensor_data(eng_layer_weight(l, 3))[0], 1, 0);   /* moving var */
    assert_float_equal(eng_tensor_data(eng_layer_weight(l, 0))[0], 1, 0);   /* gamma */
    assert_float_equal(eng_tensor_data(eng_layer_weight(l, 1))[0], 0, 0);   /* beta */
    eng_layer_release(l);
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);
    c.rate = 0.5;
    l = layer_of(&c);
    check_build(l, 2, SHAPE(3, 4), 2, SHAPE(3, 4), 0, 0);
    eng_layer_release(l);
    /* Softmax: Keras's layers.Softmax, an activation layer under its own name */
    c = nn_cfg(ENG_LAYER_SOFTMAX, NULL);
    assert_int_equal(c.activation, ENG_ACT_SOFTMAX);
    l = layer_of(&c);
    assert_string_equal(eng_layer_get_config(l)->name, "softmax");
    assert_string_equal(eng_layer_kind_name(ENG_LAYER_SOFTMAX), "Softmax");
    eng_error err;
    eng_tensor *x = eng_tensor_from_data(2, SHAPE(1, 3), (const float[]){ 1, 1, 1 }, &err);
    eng_tensor *y = eng_layer_call(l, NULL, x, 0, NULL, &err);
    assert_float_equal(eng_tensor_data(y)[2], 1.0 / 3, 1e-6);
    eng_tensor_release(x);
    eng_tensor_release(y);
    eng_layer_release(l);
}

static void test_nn_layer_init(void **state)
{
    (void)state;
    eng_layer_config c = nn_dense(50, ENG_ACT_LINEAR, NULL);
    eng_layer *l = layer_of(&c);
    check_build(l, 1, SHAPE(100), 1, SHAPE(50), 5050, 5050);
    double limit = sqrt(6.0 / 150), lo = 1, hi = -1, sum = 0;
    const float *k = eng_tensor_data(eng_layer_weight(l, 0));
    for (int i = 0; i < 5000; i++) {
        lo = k[i] < lo ? k[i] : lo;
        hi = k[i] > hi ? k[i] : hi;
        sum += k[i];
    }
    assert_true(lo >= -limit && hi <= limit);
    assert_true(lo < -0.9 * limit && hi > 0.9 * limit);          /* spread over the range */
    assert_true(fabs(sum / 5000) < 0.02);
    const float *b = eng_tensor_data(eng_layer_weight(l, 1));
    for (int i = 0; i < 50; i++) assert_float_equal(b[i], 0, 0);
    /* weights are parameters whose gradients are preset views, zeroed */
    eng_tensor *w = eng_layer_weight(l, 0);
    assert_true(w->requires_grad);
    assert_non_null(w->grad);
    assert_int_equal(w->grad->size, 5000);
    assert_float_equal(eng_tensor_data(w->grad)[7], 0, 0);
    /* kernel and bias sit next to each other in one buffer */
    assert_ptr_equal(eng_tensor_data(w) + 5000, eng_tensor_data(eng_layer_weight(l, 1)));
    eng_layer_release(l);
    /* conv fans include the receptive field: limit sqrt(6 / (9 * 1 + 9 * 16)) */
    c = nn_conv(16, 3, ENG_ACT_LINEAR, NULL);
    l = layer_of(&c);
    check_build(l, 3, SHAPE(8, 8, 1), 3, SHAPE(6, 6, 16), 160, 160);
    k = eng_tensor_data(eng_layer_weight(l, 0));
    limit = sqrt(6.0 / (9 + 144));
    hi = 0;
    for (int i = 0; i < 144; i++) hi = fabs(k[i]) > hi ? fabs(k[i]) : hi;
    assert_true(hi <= limit && hi > 0.8 * limit);
    eng_layer_release(l);
}

static void test_nn_layer_incompatible_input(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_layer_config c = nn_conv(8, 3, ENG_ACT_RELU, "conv2d");
    eng_layer *l = layer_of(&c);
    assert_int_equal(eng_layer_build(l, 2, SHAPE(28, 28), &rng, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "Input 0 of layer \"conv2d\" is incompatible with the layer: "
                        "expected ndim=4, found ndim=3. Full shape received: (None, 28, 28)");
    assert_string_equal(err.hint, "Conv2D wants images (N, height, width, channels): reshape x "
                        "to (-1, 28, 28, 1)");
    assert_int_equal(eng_layer_build(l, 3, SHAPE(2, 2, 1), &rng, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "Conv2D \"conv2d\": a 3x3 window does not fit an input of 2x2");
    assert_false(eng_layer_is_built(l));
    eng_layer_release(l);
    c = nn_dense(10, ENG_ACT_LINEAR, "dense");
    l = layer_of(&c);
    check_build(l, 1, SHAPE(784), 1, SHAPE(10), 7850, 7850);
    assert_int_equal(eng_layer_build(l, 1, SHAPE(100), &rng, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "Input 0 of layer \"dense\" is incompatible with the layer: "
                        "expected axis -1 of input shape to have value 784, but received input "
                        "with shape (None, 100)");
    eng_layer_release(l);
}

static void test_nn_layer_set_weights(void **state)
{
    (void)state;
    eng_error err;
    eng_layer_config c = nn_dense(2, ENG_ACT_LINEAR, NULL);
    eng_layer *l = layer_of(&c);
    assert_int_equal(eng_layer_set_weights(l, 0, NULL, &err), ENG_ERR_VALUE);
    check_build(l, 1, SHAPE(3), 1, SHAPE(2), 8, 8);
    eng_tensor *k = eng_tensor_full(2, SHAPE(3, 2), 0.5f, &err);
    eng_tensor *b = eng_tensor_full(1, SHAPE(2), -1, &err);
    eng_tensor *bad = eng_tensor_full(1, SHAPE(3), -1, &err);
    eng_tensor *ws[2] = { k, b }, *wbad[2] = { k, bad };
    assert_int_equal(eng_layer_set_weights(l, 2, ws, &err), ENG_OK);
    assert_float_equal(eng_tensor_data(eng_layer_weight(l, 0))[5], 0.5f, 0);
    assert_float_equal(eng_tensor_data(eng_layer_weight(l, 1))[1], -1, 0);
    assert_int_equal(eng_layer_set_weights(l, 2, wbad, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "layer \"dense\" weight bias has shape (2,), got (3,)");
    assert_int_equal(eng_layer_set_weights(l, 1, ws, &err), ENG_ERR_VALUE);
    eng_tensor_release(k);
    eng_tensor_release(b);
    eng_tensor_release(bad);
    eng_layer_release(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_layer_defaults),
        cmocka_unit_test(test_nn_layer_bad_arguments),
        cmocka_unit_test(test_nn_layer_shapes_and_counts),
        cmocka_unit_test(test_nn_layer_init),
        cmocka_unit_test(test_nn_layer_incompatible_input),
        cmocka_unit_test(test_nn_layer_set_weights),
    };
    return cmocka_run_group_tests_name("nn_layer", tests, NULL, NULL);
}
