/* test_nn_summary.c -- engine/nn_summary.c: model.summary() byte for byte as Keras 2 prints it
 * (the tutorial MLP and the small CNN of edu.md 3.5, long names cut at the column), the HTML
 * table, and the Progbar lines of edu.md 3.6 (running, finished, verbose 2, ETA forms). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static const char tutorial_summary[] =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    "Layer (type)                 Output Shape              Param #   \n"
    "=================================================================\n"
    "flatten (Flatten)            (None, 784)               0         \n"
    "_________________________________________________________________\n"
    "dense (Dense)                (None, 128)               100480    \n"
    "_________________________________________________________________\n"
    "dense_1 (Dense)              (None, 10)                1290      \n"
    "=================================================================\n"
    "Total params: 101,770\n"
    "Trainable params: 101,770\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

static void test_nn_summary_tutorial(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_model *m = eng_model_new("sequential", &err);
    eng_layer_config c = nn_cfg(ENG_LAYER_FLATTEN, "flatten");
    c.input_ndim = 2;
    c.input_shape[0] = c.input_shape[1] = 28;
    nn_add(m, &c, &rng);
    c = nn_dense(128, ENG_ACT_RELU, "dense");
    nn_add(m, &c, &rng);
    c = nn_dense(10, ENG_ACT_LINEAR, "dense_1");
    nn_add(m, &c, &rng);
    char *s = eng_model_summary(m, 0, &err);
    assert_non_null(s);
    assert_string_equal(s, tutorial_summary);
    free(s);
    s = eng_model_summary(m, 1, &err);
    assert_non_null(strstr(s, "<td style=\"text-align:left\">dense_1 (Dense)</td>"));
    assert_non_null(strstr(s, "<td style=\"text-align:right\">100,480</td>"));
    assert_non_null(strstr(s, "Total params: 101,770<br>"));
    free(s);
    eng_model_release(m);
}

static void test_nn_summary_cnn_and_long_names(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_model *m = eng_model_new("sequential_1", &err);
    eng_layer_config c = nn_conv(32, 3, ENG_ACT_RELU, "conv2d");
    c.input_ndim = 3;
    c.input_shape[0] = c.input_shape[1] = 28;
    c.input_shape[2] = 1;
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, "max_pooling2d");
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_BATCHNORM, "batch_normalization");
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_FLATTEN, "flatten_1");
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_DROPOUT, "dropout");
    c.rate = 0.5;
    nn_add(m, &c, &rng);
    c = nn_dense(10, ENG_ACT_SOFTMAX, "dense_2");
    nn_add(m, &c, &rng);
    char *s = eng_model_summary(m, 0, &err);
    assert_string_equal(s,
        "Model: \"sequential_1\"\n"
        "_________________________________________________________________\n"
        "Layer (type)                 Output Shape              Param #   \n"
        "=================================================================\n"
        "conv2d (Conv2D)              (None, 26, 26, 32)        320       \n"
        "_________________________________________________________________\n"
        "max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0         \n"
        "_________________________________________________________________\n"
        "batch_normalization (BatchNo (None, 13, 13, 32)        128       \n"
        "_________________________________________________________________\n"
        "flatten_1 (Flatten)          (None, 5408)              0         \n"
        "_________________________________________________________________\n"
        "dropout (Dropout)            (None, 5408)              0         \n"
        "_________________________________________________________________\n"
        "dense_2 (Dense)              (None, 10)                54090     \n"
        "=================================================================\n"
        "Total params: 54,538\n"
        "Trainable params: 54,474\n"
        "Non-trainable params: 64\n"
        "_________________________________________________________________\n");
    free(s);
    eng_model_release(m);
}

static eng_progress prog(int64_t step, int64_t steps, double seconds, int n, const char *n0,
                         double v0, const char *n1, double v1)
{
    eng_progress p = { ENG_PROGRESS_STEP, 0, 5, step, steps, seconds, { 0 } };
    p.logs.n = n;
    p.logs.names[0] = n0;
    p.logs.values[0] = v0;
    p.logs.names[1] = n1;
    p.logs.values[1] = v1;
    return p;
}

static void test_nn_progbar(void **state)
{
    (void)state;
    char buf[256];
    eng_progress p = prog(1875, 1875, 3.2, 2, "loss", 0.49881, "accuracy", 0.82523);
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, "1875/1875 [==============================] - 3s 2ms/step - loss: "
                        "0.4988 - accuracy: 0.8252");
    p = prog(512, 1875, 512 * 0.0013, 2, "loss", 0.63104, "accuracy", 0.78125);
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, " 512/1875 [=======>......................] - ETA: 1s - loss: "
                        "0.6310 - accuracy: 0.7812");
    p = prog(938, 938, 0.9, 1, "loss", 0.0004, NULL, 0);
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, "938/938 [==============================] - 1s 959us/step - loss: "
                        "4.0000e-04");
    p = prog(1, 938, 0.2, 0, NULL, 0, NULL, 0);         /* ETA over a minute: m:ss */
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, "  1/938 [..............................] - ETA: 3:07");
    p = prog(1, 100, 40, 0, NULL, 0, NULL, 0);          /* over an hour: h:mm:ss */
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, "  1/100 [..............................] - ETA: 1:06:00");
    p = prog(1875, 1875, 2.4, 2, "loss", 0.49601, "accuracy", 0.82594);
    eng_progbar_format(buf, sizeof buf, &p, 2);
    assert_string_equal(buf, "1875/1875 - 2s - loss: 0.4960 - accuracy: 0.8259 - 2s/epoch - "
                        "1ms/step");
    p = prog(10, 10, 12, 0, NULL, 0, NULL, 0);          /* slow steps: s/step */
    eng_progbar_format(buf, sizeof buf, &p, 1);
    assert_string_equal(buf, "10/10 [==============================] - 12s 1s/step");
    char tiny[8];                                        /* truncation keeps a NUL */
    assert_int_equal(eng_progbar_format(tiny, sizeof tiny, &p, 1), 7);
    assert_string_equal(tiny, "10/10 [");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_summary_tutorial),
        cmocka_unit_test(test_nn_summary_cnn_and_long_names),
        cmocka_unit_test(test_nn_progbar),
    };
    return cmocka_run_group_tests_name("nn_summary", tests, NULL, NULL);
}
