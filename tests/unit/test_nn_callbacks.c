/* test_nn_callbacks.c -- engine/nn_callbacks.c: EarlyStopping as Keras runs it (mode auto,
 * min_delta, patience, never in the first epoch, restore_best_weights), and inside fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static eng_callback *early(const char *monitor, int64_t patience, double min_delta, int restore)
{
    eng_error err;
    eng_early_stopping_config c;
    eng_early_stopping_config_init(&c);
    assert_string_equal(c.monitor, "val_loss");
    snprintf(c.monitor, sizeof c.monitor, "%s", monitor);
    c.patience = patience;
    c.min_delta = min_delta;
    c.restore_best_weights = restore;
    eng_callback *cb = eng_early_stopping_new(&c, &err);
    assert_non_null(cb);
    return cb;
}

/* Feeds values as epoch logs; returns the epoch that asked to stop (-1: none). */
static int64_t feed(eng_callback *cb, eng_model *m, const char *key, const double *v, int n)
{
    eng_error err;
    cb->on_train_begin(cb, m, &err);
    for (int e = 0; e < n; e++) {
        eng_logs logs = { 1, { key }, { v[e] } };
        int stop = 0;
        assert_int_equal(cb->on_epoch_end(cb, m, e, &logs, &stop, &err), ENG_OK);
        if (stop) return e;
    }
    return -1;
}

static void test_nn_early_stopping_rules(void **state)
{
    (void)state;
    eng_error err;
    eng_model *m = eng_model_new("m", &err);
    /* Keras's doc example: loss never improves after epoch 0, patience 3: 4 epochs run */
    const double rising[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    eng_callback *cb = early("loss", 3, 0, 0);
    assert_int_equal(feed(cb, m, "loss", rising, 10), 3);
    assert_int_equal(eng_early_stopping_stopped_epoch(cb), 3);
    /* patience 0 stops at the first epoch without improvement, never at epoch 0 */
    eng_callback_free(cb);
    cb = early("loss", 0, 0, 0);
    const double dips[5] = { 5, 4, 4.5, 3, 2 };
    assert_int_equal(feed(cb, m, "loss", dips, 5), 2);
    /* min_delta: improvements smaller than it do not count */
    eng_callback_free(cb);
    cb = early("val_loss", 1, 0.5, 0);
    const double slow[5] = { 5, 4.8, 4.6, 4.4, 4.2 };
    assert_int_equal(feed(cb, m, "val_loss", slow, 5), 1);
    /* auto mode maximises accuracies */
    eng_callback_free(cb);
    cb = early("val_accuracy", 1, 0, 0);
    const double acc[5] = { 0.5, 0.6, 0.7, 0.65, 0.66 };
    assert_int_equal(feed(cb, m, "val_accuracy", acc, 5), 3);
    /* a monitor missing from the logs is ignored */
    assert_int_equal(feed(cb, m, "loss", acc, 5), -1);
    eng_callback_free(cb);
    eng_early_stopping_config c;
    eng_early_stopping_config_init(&c);
    c.patience = -1;
    assert_null(eng_early_stopping_new(&c, &err));
    eng_model_release(m);
}

static void test_nn_early_stopping_restores(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_model *m = eng_model_new("m", &err);
    eng_layer_config c = nn_dense(2, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, &rng);
    eng_model_build(m, 1, SHAPE(2), &rng, &err);
    eng_callback *cb = early("loss", 1, 0, 1);
    float *w = eng_tensor_data(eng_model_weights_buffer(m));
    cb->on_train_begin(cb, m, &err);
    const double v[4] = { 3, 1, 2, 2.5 };
    int stop = 0;
    for (int e = 0; e < 4 && !stop; e++) {
        w[0] = (float)(10 * e);                  /* the weights of epoch e */
        eng_logs logs = { 1, { "loss" }, { v[e] } };
        cb->on_epoch_end(cb, m, e, &logs, &stop, &err);
    }
    assert_true(stop);
    assert_float_equal(w[0], 10, 0);             /* back to epoch 1, the best */
    eng_callback_free(cb);
    eng_model_release(m);
}

/* In fit: validation loss on pure noise stops improving; training ends early. */
static void test_nn_early_stopping_in_fit(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_model *m = eng_model_new("m", &err);
    eng_layer_config c = nn_dense(32, ENG_ACT_RELU, NULL);
    nn_add(m, &c, &rng);
    c = nn_dense(1, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, &rng);
    nn_compile(m, ENG_OPT_ADAM, 0.01, ENG_LOSS_MSE, 0, 0);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(60, 4), -1, 1), *y = nn_tensor(&rng, 1, SHAPE(60), -1, 1);
    eng_callback *cb = early("val_loss", 2, 0, 1);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = &rng;
    o.epochs = 200;
    o.validation_split = 0.5;
    o.callbacks = &cb;
    o.ncallbacks = 1;
    eng_history *h = eng_model_fit(m, x, y, &o, &err);
    assert_non_null(h);
    assert_true(h->nepochs < 200);
    assert_int_equal(eng_early_stopping_stopped_epoch(cb), h->nepochs - 1);
    eng_history_free(h);
    eng_callback_free(cb);
    eng_tensor_release(x);
    eng_tensor_release(y);
    eng_model_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_early_stopping_rules),
        cmocka_unit_test(test_nn_early_stopping_restores),
        cmocka_unit_test(test_nn_early_stopping_in_fit),
    };
    return cmocka_run_group_tests_name("nn_callbacks", tests, NULL, NULL);
}
