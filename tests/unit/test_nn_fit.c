/* test_nn_fit.c -- engine/nn_fit.c: fit learns (Playground circle and xor, a softmax
 * classifier), is repeatable under a seed, History keys and lengths, validation_split takes
 * the last rows, validation_data, progress events, Ctrl-C (poll) keeps the weights and the
 * History so far, predict and evaluate against hand computations, inference mode of Dropout
 * and BatchNormalization, and fit's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static eng_model *mlp(eng_rng *rng, int64_t hidden, eng_act out_act, int64_t out)
{
    eng_error err;
    eng_model *m = eng_model_new("mlp", &err);
    eng_layer_config c = nn_dense(hidden, ENG_ACT_TANH, NULL);
    nn_add(m, &c, rng);
    c = nn_dense(hidden, ENG_ACT_TANH, NULL);
    nn_add(m, &c, rng);
    c = nn_dense(out, out_act, NULL);
    nn_add(m, &c, rng);
    return m;
}

static eng_history *fit(eng_model *m, eng_tensor *x, eng_tensor *y, eng_fit_options *o)
{
    eng_error err;
    eng_history *h = eng_model_fit(m, x, y, o, &err);
    if (!h)
        fail_msg("fit: %s", err.msg);
    return h;
}

static double last(const eng_history *h, const char *key)
{
    int k = eng_history_key(h, key);
    if (k < 0)
        fail_msg("no history key %s", key);
    return h->values[(h->nepochs - 1) * h->nkeys + k];
}

static void test_nn_fit_learns_circle(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_tensor *x, *y;
    assert_int_equal(eng_playground_make(ENG_PLAYGROUND_CIRCLE, 400, 0, &rng, &x, &y, &err), ENG_OK);
    eng_model *m = mlp(&rng, 8, ENG_ACT_SIGMOID, 1);
    nn_compile(m, ENG_OPT_ADAM, 0.03, ENG_LOSS_BCE, 0, 1);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.epochs = 30;
    o.batch_size = 16;
    o.rng = &rng;
    eng_history *h = fit(m, x, y, &o);
    assert_int_equal(h->nepochs, 30);
    assert_int_equal(h->nkeys, 2);
    assert_string_equal(h->keys[0], "loss");
    assert_string_equal(h->keys[1], "accuracy");
    assert_int_equal(h->steps, 25);
    assert_true(last(h, "accuracy") >= 0.97);
    assert_true(last(h, "loss") < h->values[0] / 3);
    /* evaluate agrees with the model's own view of its accuracy */
    eng_logs logs;
    assert_int_equal(eng_model_evaluate(m, x, y, NULL, 32, &logs, NULL, NULL, &err), ENG_OK);
    assert_int_equal(logs.n, 2);
    assert_string_equal(logs.names[1], "accuracy");
    assert_true(logs.values[1] >= 0.97);
    eng_history_free(h);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

/* Ten classes of Gaussian blobs; softmax + sparse cross-entropy, SGD with momentum. */
static void test_nn_fit_softmax_classifier(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    int64_t n = 500, k = 5;
    eng_tensor *x = eng_tensor_randn(&rng, 2, SHAPE(n, 4), &err);
    eng_tensor *y = eng_tensor_randint(&rng, 0, k, 1, &n, &err);
    float *xv = eng_tensor_data(x), *yv = eng_tensor_data(y);
    for (int64_t i = 0; i < n; i++) xv[i * 4 + (int)yv[i] % 4] += 3 * (yv[i] < 4 ? 1 : -1);
    eng_model *m = mlp(&rng, 16, ENG_ACT_SOFTMAX, k);
    eng_opt_config oc;
    eng_opt_config_init(&oc, ENG_OPT_SGD);
    oc.learning_rate = 0.05;
    oc.momentum = 0.9;
    eng_optimizer *opt = eng_optimizer_new(&oc, &err);
    eng_loss loss = { ENG_LOSS_SPARSE_CCE, 0, NULL };
    eng_metrics ms = { 1, { ENG_METRIC_ACCURACY } };
    eng_model_compile(m, opt, &loss, &ms, &err);
    eng_optimizer_release(opt);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.epochs = 15;
    o.rng = &rng;
    eng_history *h = fit(m, x, y, &o);
    assert_true(last(h, "accuracy") > 0.9);
    /* predictions are probabilities that sum to one */
    eng_tensor *p = eng_model_predict(m, x, 64, &rng, NULL, NULL, &err);
    assert_int_equal(p->ndim, 2);
    assert_int_equal(p->shape[1], k);
    double s = 0;
    for (int c = 0; c < k; c++) s += eng_tensor_data(p)[7 * k + c];
    assert_float_equal(s, 1, 1e-5);
    eng_tensor_release(p);
    eng_history_free(h);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

static void test_nn_fit_repeatable(void **state)
{
    (void)state;
    eng_error err;
    double v[2][8];
    for (int run = 0; run < 2; run++) {
        eng_rng rng;
        eng_rng_seed(&rng, 3);
        eng_tensor *x, *y;
        eng_playground_make(ENG_PLAYGROUND_XOR, 200, 0.1, &rng, &x, &y, &err);
        eng_model *m = mlp(&rng, 6, ENG_ACT_SIGMOID, 1);
        nn_compile(m, ENG_OPT_RMSPROP, 0.01, ENG_LOSS_BCE, 0, 1);
        eng_fit_options o;
        eng_fit_options_init(&o);
        o.epochs = 4;
        o.rng = &rng;
        eng_history *h = fit(m, x, y, &o);
        for (int i = 0; i < 8; i++) v[run][i] = h->values[i];
        eng_history_free(h);
        eng_model_release(m);
        eng_tensor_release(x);
        eng_tensor_release(y);
    }
    for (int i = 0; i < 8; i++) assert_true(v[0][i] == v[1][i]);
}

/* The last 25% are held out: val_loss after one epoch equals evaluate() of those rows. */
static void test_nn_fit_validation(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    int64_t n = 100;
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(n, 3), -1, 1);
    eng_tensor *y = nn_tensor(&rng, 2, SHAPE(n, 2), -1, 1);
    eng_model *m = mlp(&rng, 4, ENG_ACT_LINEAR, 2);
    nn_compile(m, ENG_OPT_SGD, 0, ENG_LOSS_MSE, 0, 0);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = &rng;
    o.validation_split = 0.25;
    o.batch_size = 10;
    eng_history *h = fit(m, x, y, &o);
    assert_int_equal(h->nkeys, 2);
    assert_string_equal(h->keys[1], "val_loss");
    assert_int_equal(h->steps, 8);                       /* 75 rows in batches of 10 */
    eng_index tail = { .kind = ENG_IDX_SLICE, .start = 75, .has_start = 1 };
    eng_tensor *xt = eng_index_get(x, 1, &tail, &err), *yt = eng_index_get(y, 1, &tail, &err);
    eng_logs logs;
    eng_model_evaluate(m, xt, yt, NULL, 7, &logs, NULL, NULL, &err);
    assert_float_equal(last(h, "val_loss"), logs.values[0], 1e-6);
    eng_history_free(h);
    /* validation_data overrides the split */
    o.x_val = xt;
    o.y_val = yt;
    o.validation_split = 0.5;
    h = fit(m, x, y, &o);
    assert_int_equal(h->steps, 10);
    eng_model_evaluate(m, xt, yt, NULL, 100, &logs, NULL, NULL, &err);
    assert_float_equal(last(h, "val_loss"), logs.values[0], 1e-6);
    eng_history_free(h);
    eng_tensor_release(xt); eng_tensor_release(yt);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

typedef struct events {
    int begin, step, end, polls, stop_after;
    int64_t last_steps;
    eng_logs end_logs;
} events;

static void on_progress(void *ud, const eng_progress *p)
{
    events *e = ud;
    if (p->kind == ENG_PROGRESS_EPOCH_BEGIN) e->begin++;
    if (p->kind == ENG_PROGRESS_STEP) e->step++;
    if (p->kind == ENG_PROGRESS_EPOCH_END) {
        e->end++;
        e->end_logs = p->logs;
    }
    e->last_steps = p->steps;
}

static int on_poll(void *ud)
{
    events *e = ud;
    return ++e->polls >= e->stop_after;
}

static void test_nn_fit_progress_and_interrupt(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(50, 3), -1, 1);
    eng_tensor *y = nn_tensor(&rng, 1, SHAPE(50), 0, 1);
    eng_model *m = mlp(&rng, 4, ENG_ACT_LINEAR, 1);         /* (N,) labels, (N, 1) output */
    nn_compile(m, ENG_OPT_ADAM, 0, ENG_LOSS_MSE, 0, 0);
    events e = { 0 };
    e.stop_after = 1000;
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = &rng;
    o.epochs = 3;
    o.batch_size = 16;                                       /* 4 steps, the last of 2 rows */
    o.validation_split = 0.1;
    o.progress = on_progress;
    o.progress_ud = &e;
    o.poll = on_poll;
    o.poll_ud = &e;
    eng_history *h = fit(m, x, y, &o);
    assert_int_equal(e.begin, 3);
    assert_int_equal(e.end, 3);
    assert_int_equal(e.step, 9);                             /* 45 rows: 3 steps per epoch */
    assert_int_equal(e.end_logs.n, 2);
    assert_string_equal(e.end_logs.names[1], "val_loss");
    assert_false(h->interrupted);
    eng_history_free(h);
    /* Ctrl-C after the 5th batch: epoch 2 is cut short, one epoch recorded, weights moved */
    eng_tensor *w = eng_layer_weight(eng_model_layer(m, 0), 0);
    float before = eng_tensor_data(w)[0];
    e = (events){ 0 };
    e.stop_after = 5;
    h = fit(m, x, y, &o);
    assert_true(h->interrupted);
    assert_int_equal(h->nepochs, 1);
    assert_int_equal(h->interrupted_step, 2);
    assert_int_equal(e.end, 1);
    assert_true(eng_tensor_data(w)[0] != before);
    eng_history_free(h);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

static void test_nn_predict_matches_dense(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 6);
    eng_model *m = eng_model_new("one", &err);
    eng_layer_config c = nn_dense(2, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, &rng);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(5, 3), -1, 1);
    eng_tensor *p = eng_model_predict(m, x, 2, &rng, NULL, NULL, &err);    /* builds lazily */
    assert_non_null(p);
    const eng_layer *l = eng_model_layer(m, 0);
    eng_tensor *ref = eng_matmul(x, eng_layer_weight(l, 0), &err);
    eng_tensor *refb = eng_binary(ENG_BIN_ADD, ref, eng_layer_weight(l, 1), &err);
    nn_assert_close("predict", eng_tensor_data(p), eng_tensor_data(refb), 10, 1e-6, 1e-6);
    eng_tensor_release(p);
    eng_tensor_release(ref);
    eng_tensor_release(refb);
    /* a non-contiguous x (a transposed view) is fine */
    eng_tensor *xt0 = nn_tensor(&rng, 2, SHAPE(3, 5), -1, 1);
    eng_tensor *xt = eng_transpose(xt0, NULL, &err);
    p = eng_model_predict(m, xt, 32, &rng, NULL, NULL, &err);
    assert_non_null(p);
    eng_tensor_release(p);
    eng_tensor_release(xt);
    eng_tensor_release(xt0);
    eng_tensor_release(x);
    eng_model_release(m);
}

static void test_nn_fit_inference_modes(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 7);
    eng_model *m = eng_model_new("bn", &err);
    eng_layer_config c = nn_cfg(ENG_LAYER_BATCHNORM, NULL);
    nn_add(m, &c, &rng);
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);
    c.rate = 0.5;
    nn_add(m, &c, &rng);
    c = nn_dense(1, ENG_ACT_LINEAR, NULL);
    nn_add(m, &c, &rng);
    nn_compile(m, ENG_OPT_SGD, 0.01, ENG_LOSS_MSE, 0, 0);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(64, 2), 4, 6), *y = nn_tensor(&rng, 1, SHAPE(64), 0, 1);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = &rng;
    o.epochs = 5;
    eng_history *h = fit(m, x, y, &o);
    /* the moving mean moved from 0 toward the data's mean of about 5 */
    float mm = eng_tensor_data(eng_layer_weight(eng_model_layer(m, 0), 2))[0];
    assert_true(mm > 0.2f && mm < 5);
    /* inference: no dropout, so two predictions agree */
    eng_tensor *p1 = eng_model_predict(m, x, 32, &rng, NULL, NULL, &err);
    eng_tensor *p2 = eng_model_predict(m, x, 7, &rng, NULL, NULL, &err);
    nn_assert_close("predict twice", eng_tensor_data(p1), eng_tensor_data(p2), 64, 1e-6, 1e-6);
    eng_tensor_release(p1);
    eng_tensor_release(p2);
    eng_history_free(h);
    eng_tensor_release(x);
    eng_tensor_release(y);
    eng_model_release(m);
}

static void test_nn_fit_errors(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 8);
    eng_model *m = mlp(&rng, 4, ENG_ACT_SOFTMAX, 3);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(10, 2), -1, 1), *y = nn_tensor(&rng, 1, SHAPE(10), 0, 1);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = &rng;
    assert_null(eng_model_fit(m, x, y, &o, &err));
    assert_string_equal(err.msg, "You must compile your model before training it: "
                        "model.compile(optimizer=..., loss=...)");
    nn_compile(m, ENG_OPT_ADAM, 0, ENG_LOSS_SPARSE_CCE, 0, 1);
    assert_null(eng_model_fit(m, x, y, &o, &err));            /* 0.3 is not a class */
    assert_int_equal(err.code, ENG_ERR_VALUE);
    assert_non_null(strstr(err.msg, "labels must be whole numbers in [0, 3)"));
    eng_tensor *y5 = eng_tensor_new(1, SHAPE(5), &err);
    assert_null(eng_model_fit(m, x, y5, &o, &err));
    assert_string_equal(err.msg, "Data cardinality is ambiguous: x has 10 samples, y has 5");
    eng_tensor *y10 = eng_tensor_new(1, SHAPE(10), &err);
    o.batch_size = 0;
    assert_null(eng_model_fit(m, x, y10, &o, &err));
    o.batch_size = 4;
    o.validation_split = 1;
    assert_null(eng_model_fit(m, x, y10, &o, &err));
    assert_string_equal(err.msg, "validation_split must be in [0, 1), got 1");
    o.validation_split = 0.95;                                 /* nothing left to train on */
    assert_null(eng_model_fit(m, x, y10, &o, &err));
    o.validation_split = 0;
    eng_tensor *x3 = nn_tensor(&rng, 2, SHAPE(10, 3), -1, 1);
    assert_null(eng_model_fit(m, x3, y10, &o, &err));
    assert_int_equal(err.code, ENG_ERR_SHAPE);
    o.epochs = 0;                                              /* Keras: nothing happens */
    eng_history *h = fit(m, x, y10, &o);
    assert_int_equal(h->nepochs, 0);
    eng_history_free(h);
    eng_tensor_release(x3); eng_tensor_release(y5); eng_tensor_release(y10);
    eng_tensor_release(x); eng_tensor_release(y);
    eng_model_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_fit_learns_circle),
        cmocka_unit_test(test_nn_fit_softmax_classifier),
        cmocka_unit_test(test_nn_fit_repeatable),
        cmocka_unit_test(test_nn_fit_validation),
        cmocka_unit_test(test_nn_fit_progress_and_interrupt),
        cmocka_unit_test(test_nn_predict_matches_dense),
        cmocka_unit_test(test_nn_fit_inference_modes),
        cmocka_unit_test(test_nn_fit_errors),
    };
    return cmocka_run_group_tests_name("nn_fit", tests, NULL, NULL);
}
