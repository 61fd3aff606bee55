/*
 * nn_metrics.c -- compile(metrics=[...]) for fit and evaluate: Keras's metric names, the check
 * of each metric against the labels and the loss (done once per pass), and one kernel that
 * adds up a batch's values.
 *
 * Every metric is a per-sample value averaged over the samples seen, as Keras's
 * MeanMetricWrapper does: the fit loop keeps a running sum per metric and divides by the rows.
 */
#include <math.h>
#include <string.h>

#include "engine/nn_internal.h"

typedef struct metric_info {
    const char *name, *val_name;
    nn_metric_kind kind;
} metric_info;

static const metric_info metric_table[ENG_METRIC_COUNT] = {
    [ENG_METRIC_ACCURACY] = { "accuracy", "val_accuracy", NN_M_ACCURACY },
    [ENG_METRIC_ACC] = { "acc", "val_acc", NN_M_ACCURACY },
    [ENG_METRIC_BINARY_ACCURACY] = { "binary_accuracy", "val_binary_accuracy", NN_M_BINARY_ACC },
    [ENG_METRIC_CATEGORICAL_ACCURACY] = { "categorical_accuracy", "val_categorical_accuracy",
                                          NN_M_CATEGORICAL_ACC },
    [ENG_METRIC_SPARSE_CATEGORICAL_ACCURACY] = { "sparse_categorical_accuracy",
                                                 "val_sparse_categorical_accuracy",
                                                 NN_M_SPARSE_ACC },
    [ENG_METRIC_MAE] = { "mae", "val_mae", NN_M_MAE },
    [ENG_METRIC_MEAN_ABSOLUTE_ERROR] = { "mean_absolute_error", "val_mean_absolute_error",
                                         NN_M_MAE },
    [ENG_METRIC_MSE] = { "mse", "val_mse", NN_M_MSE },
    [ENG_METRIC_MEAN_SQUARED_ERROR] = { "mean_squared_error", "val_mean_squared_error",
                                        NN_M_MSE },
    [ENG_METRIC_BINARY_CROSSENTROPY] = { "binary_crossentropy", "val_binary_crossentropy",
                                         NN_M_BCE },
    [ENG_METRIC_CATEGORICAL_CROSSENTROPY] = { "categorical_crossentropy",
                                              "val_categorical_crossentropy", NN_M_CCE },
    [ENG_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY] = { "sparse_categorical_crossentropy",
                                                     "val_sparse_categorical_crossentropy",
                                                     NN_M_SPARSE_CCE },
};

int eng_metric_from_name(const char *name, eng_metric_id *out, eng_error *err)
{
    for (int i = 0; i < ENG_METRIC_COUNT; i++)
        if (strcmp(name, metric_table[i].name) == 0) {
            *out = (eng_metric_id)i;
            return ENG_OK;
        }
    eng_err(err, ENG_ERR_VALUE, "unknown metric '%s'", name);
    eng_err_hint(err, "metrics: \"accuracy\", \"binary_accuracy\", \"categorical_accuracy\", "
                 "\"sparse_categorical_accuracy\", \"mae\", \"mse\", \"binary_crossentropy\", "
                 "\"categorical_crossentropy\", \"sparse_categorical_crossentropy\"");
    return ENG_ERR_VALUE;
}

const char *eng_metric_name(eng_metric_id id, int val)
{
    if ((unsigned)id >= ENG_METRIC_COUNT) return "?";
    return val ? metric_table[id].val_name : metric_table[id].name;
}

int eng_metrics_add(eng_metrics *ms, eng_metric_id id, eng_error *err)
{
    if ((unsigned)id >= ENG_METRIC_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown metric id %d", (int)id);
    for (int i = 0; i < ms->n; i++)
        if (ms->id[i] == id)
            return eng_err(err, ENG_ERR_VALUE, "metric '%s' is given twice", eng_metric_name(id, 0));
    if (ms->n >= ENG_METRICS_MAX)
        return eng_err(err, ENG_ERR_VALUE, "at most %d metrics, got more", ENG_METRICS_MAX);
    ms->id[ms->n++] = id;
    return ENG_OK;
}

/* ---- planning ------------------------------------------------------------------------------ */

nn_acc_kind eng_acc_kind(int p_ndim, int64_t K, int t_ndim, int64_t t_last)
{
    if (K == 1) return NN_ACC_BINARY;
    if (t_ndim < p_ndim || t_last == 1) return NN_ACC_SPARSE;
    return NN_ACC_CATEGORICAL;
}

/* A metric that cannot read the labels the loss was given. */
static int layout_error(eng_metric_id id, int labels, eng_error *err)
{
    const char *name = eng_metric_name(id, 0);
    if (labels) {
        eng_err(err, ENG_ERR_VALUE, "metric '%s' needs labels shaped like the model's output, "
                "but the loss reads integer class labels", name);
        eng_err_hint(err, "for integer labels use \"accuracy\" or "
                     "\"sparse_categorical_accuracy\"");
    } else {
        eng_err(err, ENG_ERR_VALUE, "metric '%s' needs integer class labels (one per sample), "
                "but the labels are shaped like the model's output", name);
        eng_err_hint(err, "for one-hot labels use \"accuracy\" or \"categorical_accuracy\"");
    }
    return ENG_ERR_VALUE;
}

/* labels: the targets hold one class label per row (the loss is sparse); with K == 1 output
 * the two layouts are the same floats, so every metric reads them. */
static int plan_one(nn_metric_plan *p, eng_metric_id id, const eng_loss *loss, int labels,
                    int64_t K, nn_acc_kind acc, eng_error *err)
{
    p->id = id;
    p->kind = metric_table[id].kind;
    p->threshold = (loss->from_logits && loss->kind == ENG_LOSS_BCE) ? 0.0f : 0.5f;
    p->logits = loss->from_logits && loss->kind != ENG_LOSS_MSE;
    p->acc = acc;
    p->labels = labels;
    int wants_labels = 0;
    switch (p->kind) {
    case NN_M_ACCURACY: return ENG_OK;
    case NN_M_SPARSE_ACC: p->acc = NN_ACC_SPARSE; wants_labels = 1; break;
    case NN_M_SPARSE_CCE: wants_labels = 1; break;
    case NN_M_BINARY_ACC: p->acc = NN_ACC_BINARY; break;
    case NN_M_CATEGORICAL_ACC: p->acc = NN_ACC_CATEGORICAL; break;
    default: p->acc = NN_ACC_NONE; break;
    }
    if (K == 1 || wants_labels == labels) return ENG_OK;
    return layout_error(id, labels, err);
}

int nn_metrics_plan(nn_metric_plan *plan, const eng_metrics *ms, const eng_loss *loss,
                    int labels, int p_ndim, int64_t K, const eng_tensor *y, eng_error *err)
{
    nn_acc_kind acc = eng_acc_kind(p_ndim, K, y->ndim, y->shape[y->ndim - 1]);
    for (int i = 0; i < ms->n; i++) {
        int st = plan_one(&plan[i], ms->id[i], loss, labels, K, acc, err);
        if (st != ENG_OK) return st;
    }
    return ENG_OK;
}

/* ---- per-row values ------------------------------------------------------------------------ */

int64_t nn_argmax_row(const float *y, int64_t K)
{
    int64_t best = 0;
    for (int64_t k = 1; k < K; k++)
        if (y[k] > y[best]) best = k;
    return best;
}

/* Right predictions of one row, as a fraction of the row for binary accuracy. */
static double accuracy_row(nn_acc_kind acc, const float *y, const float *t, int64_t K,
                           float threshold)
{
    switch (acc) {
    case NN_ACC_BINARY: {
        int64_t c = 0;
        for (int64_t k = 0; k < K; k++) c += (y[k] > threshold) == (t[k] > 0.5f);
        return (double)c / (double)K;
    }
    case NN_ACC_CATEGORICAL: return nn_argmax_row(y, K) == nn_argmax_row(t, K);
    case NN_ACC_SPARSE: return (double)nn_argmax_row(y, K) == (double)t[0];
    case NN_ACC_NONE: break;
    }
    return 0;
}

static double error_row(const float *y, const float *t, int64_t K, int squared)
{
    double s = 0;
    for (int64_t k = 0; k < K; k++) {
        double d = (double)y[k] - t[k];
        s += squared ? d * d : fabs(d);
    }
    return K ? s / (double)K : 0;
}

/* The cross-entropies reuse the loss kernel, without gradient. */
static double crossentropy_rows(const nn_metric_plan *p, const float *y, const float *t,
                                int64_t R, int64_t K)
{
    eng_loss l = { p->kind == NN_M_BCE ? ENG_LOSS_BCE
                   : p->kind == NN_M_CCE ? ENG_LOSS_CCE : ENG_LOSS_SPARSE_CCE, p->logits, NULL };
    return eng_k_loss(&l, 0, NULL, y, t, NULL, 1, R, K, 1.0);
}

void nn_metrics_batch(const nn_metric_plan *plan, int n, const float *y, const float *t,
                      int64_t R, int64_t K, double *sums)
{
    for (int i = 0; i < n; i++) {
        const nn_metric_plan *p = &plan[i];
        int labels = p->labels;
        double s = 0;
        switch (p->kind) {
        case NN_M_BCE: case NN_M_CCE: case NN_M_SPARSE_CCE:
            s = crossentropy_rows(p, y, t, R, K);
            break;
        default:
            for (int64_t r = 0; r < R; r++) {
                const float *yr = y + r * K, *tr = labels ? t + r : t + r * K;
                if (p->kind == NN_M_MAE || p->kind == NN_M_MSE)
                    s += error_row(yr, tr, K, p->kind == NN_M_MSE);
                else
                    s += accuracy_row(p->acc, yr, tr, K, p->threshold);
            }
        }
        sums[i] += s;
    }
}
