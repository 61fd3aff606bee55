/* test_nn_metrics.c -- engine/nn_metrics.c: Keras's metric names, the plan of each metric
 * against the loss and labels (with the errors for labels a metric cannot read), and the
 * values of every metric on hand-computed batches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static const eng_loss MSE = { ENG_LOSS_MSE, 0, NULL }, BCE = { ENG_LOSS_BCE, 0, NULL };
static const eng_loss BCE_LOGITS = { ENG_LOSS_BCE, 1, NULL }, CCE = { ENG_LOSS_CCE, 0, NULL };
static const eng_loss SCCE = { ENG_LOSS_SPARSE_CCE, 0, NULL };

static void test_nn_metric_names(void **state)
{
    (void)state;
    eng_metric_id id;
    eng_error err;
    assert_int_equal(eng_metric_from_name("mae", &id, &err), ENG_OK);
    assert_int_equal(id, ENG_METRIC_MAE);
    assert_string_equal(eng_metric_name(id, 1), "val_mae");
    assert_int_equal(eng_metric_from_name("acc", &id, &err), ENG_OK);
    assert_string_equal(eng_metric_name(id, 0), "acc");
    for (int i = 0; i < ENG_METRIC_COUNT; i++) {       /* every name round-trips */
        assert_int_equal(eng_metric_from_name(eng_metric_name((eng_metric_id)i, 0), &id, &err),
                         ENG_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(eng_metric_from_name("f1", &id, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "unknown metric 'f1'");
    assert_non_null(strstr(err.hint, "\"sparse_categorical_accuracy\""));
    eng_metrics ms = { 0 };
    for (int i = 0; i < ENG_METRICS_MAX; i++)
        assert_int_equal(eng_metrics_add(&ms, (eng_metric_id)i, &err), ENG_OK);
    assert_int_equal(eng_metrics_add(&ms, ENG_METRIC_MSE, &err), ENG_ERR_VALUE);
    ms.n = 1;
    assert_int_equal(eng_metrics_add(&ms, ms.id[0], &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "metric 'accuracy' is given twice");
}

/* Plans metrics ids[n] for predictions (R, K) under loss against targets of shape y_shape. */
static int plan(nn_metric_plan *p, const eng_loss *loss, int64_t K, int t_ndim,
                const int64_t *t_shape, int n, const eng_metric_id *ids, eng_error *err)
{
    eng_metrics ms = { 0 };
    for (int i = 0; i < n; i++) ms.id[ms.n++] = ids[i];
    eng_tensor *y = eng_tensor_new(t_ndim, t_shape, err);
    int labels = loss->kind == ENG_LOSS_SPARSE_CCE && K > 1;
    int st = nn_metrics_plan(p, &ms, loss, labels, 2, K, y, err);
    eng_tensor_release(y);
    return st;
}

static void test_nn_metric_values(void **state)
{
    (void)state;
    nn_metric_plan p[4];
    eng_error err;
    double sums[4] = { 0 };
    /* two rows of three classes against labels 1 and 2: argmax is 1 and 0 */
    const float y[6] = { 0.1f, 0.7f, 0.2f, 0.5f, 0.4f, 0.1f }, lab[2] = { 1, 2 };
    const eng_metric_id sparse[3] = { ENG_METRIC_ACCURACY, ENG_METRIC_SPARSE_CATEGORICAL_ACCURACY,
                                      ENG_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY };
    assert_int_equal(plan(p, &SCCE, 3, 1, (int64_t[]){ 2 }, 3, sparse, &err), ENG_OK);
    nn_metrics_batch(p, 3, y, lab, 2, 3, sums);
    assert_float_equal(sums[0], 1, 0);
    assert_float_equal(sums[1], 1, 0);
    assert_float_equal(sums[2], -log(0.7) - log(0.1), 1e-5);
    /* one-hot labels: categorical accuracy, mae, mse */
    const float oh[6] = { 0, 1, 0, 1, 0, 0 };
    const eng_metric_id dense[4] = { ENG_METRIC_CATEGORICAL_ACCURACY, ENG_METRIC_MAE,
                                     ENG_METRIC_MEAN_SQUARED_ERROR, ENG_METRIC_ACC };
    memset(sums, 0, sizeof sums);
    assert_int_equal(plan(p, &CCE, 3, 2, (int64_t[]){ 2, 3 }, 4, dense, &err), ENG_OK);
    nn_metrics_batch(p, 4, y, oh, 2, 3, sums);
    assert_float_equal(sums[0], 2, 0);
    assert_float_equal(sums[1], (0.1 + 0.3 + 0.2) / 3 + (0.5 + 0.4 + 0.1) / 3, 1e-6);
    assert_float_equal(sums[2], (0.01 + 0.09 + 0.04) / 3 + (0.25 + 0.16 + 0.01) / 3, 1e-6);
    assert_float_equal(sums[3], 2, 0);
    /* one output: binary accuracy at 0.5 on probabilities, at 0 on logits */
    const float pb[4] = { 0.6f, 0.4f, 0.2f, 0.9f }, tb[4] = { 1, 1, 0, 0 };
    const eng_metric_id bin[2] = { ENG_METRIC_BINARY_ACCURACY, ENG_METRIC_ACCURACY };
    memset(sums, 0, sizeof sums);
    assert_int_equal(plan(p, &BCE, 1, 1, (int64_t[]){ 4 }, 2, bin, &err), ENG_OK);
    nn_metrics_batch(p, 2, pb, tb, 4, 1, sums);
    assert_float_equal(sums[0], 2, 0);
    assert_float_equal(sums[1], 2, 0);
    const float zb[2] = { 0.3f, -0.2f }, tz[2] = { 1, 1 };
    memset(sums, 0, sizeof sums);
    assert_int_equal(plan(p, &BCE_LOGITS, 1, 1, (int64_t[]){ 2 }, 2, bin, &err), ENG_OK);
    nn_metrics_batch(p, 2, zb, tz, 2, 1, sums);
    assert_float_equal(sums[0], 1, 0);
    /* binary cross-entropy as a metric reads logits when the loss does */
    const eng_metric_id bce[1] = { ENG_METRIC_BINARY_CROSSENTROPY };
    memset(sums, 0, sizeof sums);
    assert_int_equal(plan(p, &BCE_LOGITS, 1, 1, (int64_t[]){ 2 }, 1, bce, &err), ENG_OK);
    nn_metrics_batch(p, 1, zb, tz, 2, 1, sums);
    assert_float_equal(sums[0], log1p(exp(-0.3)) + log1p(exp(0.2)), 1e-5);
    assert_int_equal(eng_acc_kind(2, 10, 1, 60000), NN_ACC_SPARSE);
    assert_int_equal(eng_acc_kind(2, 10, 2, 1), NN_ACC_SPARSE);
    assert_int_equal(eng_acc_kind(2, 10, 2, 10), NN_ACC_CATEGORICAL);
    assert_int_equal(eng_acc_kind(2, 1, 1, 100), NN_ACC_BINARY);
}

static void test_nn_metric_layouts(void **state)
{
    (void)state;
    nn_metric_plan p[1];
    eng_error err;
    /* integer labels cannot feed mae or categorical accuracy, one-hot ones not the sparse */
    const eng_metric_id mae[1] = { ENG_METRIC_MAE }, cat[1] = { ENG_METRIC_CATEGORICAL_ACCURACY };
    const eng_metric_id sp[1] = { ENG_METRIC_SPARSE_CATEGORICAL_ACCURACY };
    assert_int_equal(plan(p, &SCCE, 3, 1, (int64_t[]){ 2 }, 1, mae, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "metric 'mae' needs labels shaped like the model's output, but "
                        "the loss reads integer class labels");
    assert_int_equal(plan(p, &SCCE, 3, 1, (int64_t[]){ 2 }, 1, cat, &err), ENG_ERR_VALUE);
    assert_int_equal(plan(p, &CCE, 3, 2, (int64_t[]){ 2, 3 }, 1, sp, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "metric 'sparse_categorical_accuracy' needs integer class "
                        "labels (one per sample), but the labels are shaped like the model's "
                        "output");
    assert_non_null(strstr(err.hint, "categorical_accuracy"));
    /* with one output both layouts are the same floats: everything reads them */
    assert_int_equal(plan(p, &MSE, 1, 1, (int64_t[]){ 4 }, 1, sp, &err), ENG_OK);
    assert_int_equal(plan(p, &MSE, 1, 2, (int64_t[]){ 4, 1 }, 1, mae, &err), ENG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_metric_names),
        cmocka_unit_test(test_nn_metric_values),
        cmocka_unit_test(test_nn_metric_layouts),
    };
    return cmocka_run_group_tests_name("nn_metrics", tests, NULL, NULL);
}
