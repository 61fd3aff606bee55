/*
 * nn_fit.c -- training and inference over whole data sets: fit (Keras's loop: shuffle, batch,
 * step, validate, History, callbacks, progress), evaluate and predict.
 *
 * The hot loop. One training step is: gather the batch's rows (and sample weights) into the
 * workspace, run every layer's forward kernel, compute the loss and its gradient in one pass
 * (fused with the last softmax/sigmoid when Keras would use logits) and add up the metrics,
 * run every layer's backward kernel in reverse (each writes its gradients, so nothing is
 * zeroed), and one optimizer step over the flat parameters. Nothing is allocated per step:
 * the workspace is made once for the batch size. A loss function of the caller's
 * (eng_loss_fn) is the exception: it gets fresh tensors of the batch, and its errors stop fit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/nn_internal.h"

double nn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void eng_fit_options_init(eng_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 1;
    o->batch_size = 32;
    o->shuffle = 1;
}

/* ---- History ------------------------------------------------------------------------------- */

void eng_history_free(eng_history *h)
{
    if (!h) return;
    free(h->values);
    free(h);
}

int eng_history_key(const eng_history *h, const char *key)
{
    for (int i = 0; i < h->nkeys; i++)
        if (strcmp(h->keys[i], key) == 0) return i;
    return -1;
}

static int history_append(eng_history *h, const eng_logs *logs, eng_error *err)
{
    double *v = realloc(h->values, (size_t)((h->nepochs + 1) * h->nkeys) * sizeof *v);
    if (!v) return eng_err(err, ENG_ERR_MEMORY, "out of memory recording the history");
    h->values = v;
    for (int k = 0; k < h->nkeys; k++) v[h->nepochs * h->nkeys + k] = logs->values[k];
    h->nepochs++;
    return ENG_OK;
}

/* ---- the data of one pass ------------------------------------------------------------------ */

/* Everything a pass over (x, y) needs, resolved once. */
typedef struct nn_data {
    const float *x, *y;         /* contiguous; y may be NULL (predict) */
    const float *w;             /* a loss weight per sample of x, or NULL */
    int64_t n;                  /* rows of x used */
    int64_t first;              /* first row of x used (validation_split takes the tail) */
    int64_t x_row, y_row;       /* floats per sample */
} nn_data;

typedef struct nn_pass {
    eng_model *m;
    int64_t K, rows_out;        /* last axis of the output; rows of it per sample */
    int64_t t_row;              /* target floats per sample */
    int t_ndim;                 /* the targets' per-sample shape (custom losses get it) */
    int64_t t_shape[ENG_MAX_DIMS];
    int nm;                     /* metrics */
    nn_metric_plan plan[ENG_METRICS_MAX];
    int fused;
} nn_pass;

/* Running sums of a pass: the (weighted) loss and each metric, over `rows` rows. */
typedef struct nn_sums {
    double loss, m[ENG_METRICS_MAX];
    int64_t rows;
} nn_sums;

static eng_act last_activation(const eng_model *m)
{
    const eng_layer *l = m->layers[m->nlayers - 1];
    switch (l->cfg.kind) {
    case ENG_LAYER_DENSE: case ENG_LAYER_CONV2D: case ENG_LAYER_ACTIVATION: case ENG_LAYER_SOFTMAX:
        return l->cfg.activation;
    default: return ENG_ACT_LINEAR;
    }
}

/* Checks y against the model's output and fills the pass description. */
static int setup_pass(nn_pass *p, eng_model *m, const eng_tensor *y, int64_t n, eng_error *err)
{
    memset(p, 0, sizeof *p);
    p->m = m;
    int64_t shape[ENG_MAX_DIMS];
    shape[0] = n;
    int od = eng_model_output_shape(m, shape + 1);
    p->K = od > 0 ? shape[od] : 1;
    int64_t out_size = m->layers[m->nlayers - 1]->out_size;
    p->rows_out = p->K ? out_size / p->K : 0;
    if (!y) return ENG_OK;
    if (y->ndim < 1 || y->shape[0] != n)
        return eng_err(err, ENG_ERR_VALUE, "Data cardinality is ambiguous: x has %lld samples, "
                       "y has %lld", (long long)n, (long long)(y->ndim ? y->shape[0] : 0));
    if (eng_model_missing_loss(m))
        return eng_err(err, ENG_ERR_VALUE, "model \"%s\" was saved with the loss function '%s', "
                       "which was not given back when it was loaded", m->name, m->missing_loss);
    int st = eng_loss_check_targets(&m->loss, y, od + 1, shape, err);
    if (st != ENG_OK) return st;
    /* the labels' per-sample shape and floats: out_size, rows_out for sparse labels (as checked
     * above), or whatever a loss function of the caller's reads */
    p->t_ndim = y->ndim - 1;
    memcpy(p->t_shape, y->shape + 1, (size_t)p->t_ndim * sizeof *p->t_shape);
    p->t_row = 1;
    for (int d = 0; d < p->t_ndim; d++) p->t_row *= p->t_shape[d];
    if (m->loss.fn && y->ndim == od && shape[od] == 1)      /* (N,) labels for (N, 1): Keras */
        p->t_shape[p->t_ndim++] = 1;
    p->fused = eng_loss_fusable(&m->loss, last_activation(m));
    p->nm = m->metrics.n;
    if (p->nm && p->t_row != out_size && p->t_row != p->rows_out)
        return eng_err(err, ENG_ERR_SHAPE, "metrics need labels shaped like the model's output "
                       "or one label per sample; these have %lld values per sample",
                       (long long)p->t_row);
    int labels = p->t_row == p->rows_out && p->K > 1;
    return nn_metrics_plan(p->plan, &m->metrics, &m->loss, labels, od + 1, p->K, y, err);
}

/* Loads batch rows [start, start + nb) of d (through perm when not NULL) into the workspace. */
static void load_batch(eng_model *m, const nn_data *d, const int64_t *perm, int64_t start,
                       int64_t nb)
{
    nn_gather_rows(m->ws.x, d->x, d->x_row, perm, d->first + start, nb);
    if (d->y) nn_gather_rows(m->ws.y, d->y, d->y_row, perm, d->first + start, nb);
    if (d->w) nn_gather_rows(m->ws.w, d->w, 1, perm, d->first + start, nb);
}

/* A tensor of nb samples of per-sample shape (ndim, shape) holding a copy of src. */
static eng_tensor *batch_tensor(const float *src, int64_t nb, int ndim, const int64_t *shape,
                                eng_error *err)
{
    int64_t full[ENG_MAX_DIMS];
    full[0] = nb;
    memcpy(full + 1, shape, (size_t)ndim * sizeof *full);
    eng_tensor *t = eng_tensor_empty(ndim + 1, full, err);
    if (t) memcpy(eng_tensor_data(t), src, (size_t)t->size * sizeof(float));
    return t;
}

/* The caller's loss of the batch in the workspace: the batch mean in *mean, its gradient into
 * dz (when not NULL). Copies cross the boundary: the function gets tensors of its own. */
static int custom_loss(const nn_pass *p, const nn_data *d, int64_t nb, float *dz, double *mean,
                       eng_error *err)
{
    eng_model *m = p->m;
    int64_t out_shape[ENG_MAX_DIMS];
    int od = eng_model_output_shape(m, out_shape);
    eng_tensor *yp = batch_tensor(m->ws.act[m->nlayers - 1], nb, od, out_shape, err);
    eng_tensor *yt = yp ? batch_tensor(m->ws.y, nb, p->t_ndim, p->t_shape, err) : NULL;
    eng_tensor *g = yt && dz ? eng_tensor_new(yp->ndim, yp->shape, err) : NULL;
    int st = !yt || (dz && !g) ? (err && err->code ? err->code : ENG_ERR_MEMORY)
                               : m->loss.fn->call(m->loss.fn, yt, yp, d->w ? m->ws.w : NULL,
                                                  mean, g, err);
    if (st == ENG_OK && !isfinite(*mean))
        st = eng_err(err, ENG_ERR_VALUE, "the loss function '%s' returned %g", m->loss.fn->name,
                     *mean);
    if (st == ENG_OK && g) memcpy(dz, eng_tensor_data(g), (size_t)g->size * sizeof *dz);
    eng_tensor_release(g);
    eng_tensor_release(yt);
    eng_tensor_release(yp);
    return st;
}

/* The loss of the batch in the workspace (and its gradient into dz when not NULL), added to
 * the running sums with the metrics. */
static int add_loss(const nn_pass *p, const nn_data *d, int64_t nb, float *dz, nn_sums *sums,
                    eng_error *err)
{
    nn_ws *ws = &p->m->ws;
    const float *y = ws->act[p->m->nlayers - 1];
    int64_t R = nb * p->rows_out;
    if (p->m->loss.fn) {
        double mean = 0;
        int st = custom_loss(p, d, nb, dz, &mean, err);
        if (st != ENG_OK) return st;
        sums->loss += mean * (double)R;
    } else {
        sums->loss += eng_k_loss(&p->m->loss, p->fused, dz, y, ws->y, d->w ? ws->w : NULL,
                                 p->rows_out, R, p->K, R ? 1.0 / (double)R : 0.0);
    }
    nn_metrics_batch(p->plan, p->nm, y, ws->y, R, p->K, sums->m);
    sums->rows += R;
    return ENG_OK;
}

/* ---- one training step --------------------------------------------------------------------- */

/* Forward, loss, backward for the nb samples loaded: the gradients of the mean loss end up in
 * the layers' gradient buffers. The backward kernels run in write mode (accumulate 0): each
 * gradient buffer is written exactly once per step, so nothing is zeroed first. */
static int forward_backward(const nn_pass *p, const nn_data *d, int64_t nb, eng_rng *rng,
                            nn_sums *sums, eng_error *err)
{
    eng_model *m = p->m;
    nn_ws *ws = &m->ws;
    int L = m->nlayers;
    nn_model_forward(m, nb, 1, rng);
    int st = add_loss(p, d, nb, ws->dact[L - 1], sums, err);
    if (st != ENG_OK) return st;
    /* Gradients flow back only as far as the first layer with weights: the input gradient of
     * that layer (784 x 256 floats per sample for the MLP's first Dense) would go unused. */
    int first = 0;
    while (first < L - 1 && eng_layer_param_count(m->layers[first], 1) == 0) first++;
    for (int i = L - 1; i >= first; i--)
        nn_layer_bwd(m->layers[i], &ws->slot[i], i > first ? ws->dact[i - 1] : NULL,
                     ws->dact[i], ws->act[i], i ? ws->act[i - 1] : ws->x, nb,
                     i == L - 1 && p->fused, 1, 0, ws->scratch);
    return ENG_OK;
}

/* ---- inference passes ---------------------------------------------------------------------- */

typedef struct nn_report {
    eng_progress_fn fn;
    void *ud;
} nn_report;

static void report(const nn_report *r, eng_progress *pr)
{
    if (r && r->fn) r->fn(r->ud, pr);
}

/* Appends the loss and metric averages of sums (NaN when empty) to logs, val_ names when val. */
static void set_logs(eng_logs *logs, int val, const nn_pass *p, const nn_sums *sums)
{
    double rows = (double)sums->rows;
    logs->names[logs->n] = val ? "val_loss" : "loss";
    logs->values[logs->n++] = sums->rows ? sums->loss / rows : NAN;
    for (int i = 0; i < p->nm; i++) {
        logs->names[logs->n] = eng_metric_name(p->plan[i].id, val);
        logs->values[logs->n++] = sums->rows ? sums->m[i] / rows : NAN;
    }
}

/* Loss and metrics of d in inference mode, batches of B (workspace ready for B). Progress
 * steps are reported when r is not NULL (evaluate). */
static int eval_pass(const nn_pass *p, const nn_data *d, int64_t B, eng_rng *rng,
                     const nn_report *r, nn_sums *sums, eng_error *err)
{
    eng_model *m = p->m;
    double t0 = nn_now();
    int64_t steps = (d->n + B - 1) / B;
    memset(sums, 0, sizeof *sums);
    for (int64_t s = 0; s < steps; s++) {
        int64_t nb = s == steps - 1 ? d->n - s * B : B;
        load_batch(m, d, NULL, s * B, nb);
        nn_model_forward(m, nb, 0, rng);
        int st = add_loss(p, d, nb, NULL, sums, err);
        if (st != ENG_OK) return st;
        eng_progress pr = { ENG_PROGRESS_STEP, 0, 0, s + 1, steps, nn_now() - t0, { 0 } };
        set_logs(&pr.logs, 0, p, sums);
        report(r, &pr);
    }
    return ENG_OK;
}

static int prepare_xy(eng_model *m, eng_tensor *x, eng_tensor *y, eng_rng *rng, eng_tensor **xc,
                      eng_tensor **yc, eng_error *err)
{
    *xc = *yc = NULL;
    int st = nn_model_prepare(m, x, rng, err);
    if (st != ENG_OK) return st;
    *xc = eng_tensor_contiguous(x, err);
    if (*xc && y) *yc = eng_tensor_contiguous(y, err);
    if (*xc && (!y || *yc)) return ENG_OK;
    eng_tensor_release(*xc);
    *xc = NULL;
    return err && err->code ? err->code : ENG_ERR_MEMORY;
}

static nn_data data_of(const eng_tensor *x, const eng_tensor *y, const float *w, int64_t first,
                       int64_t n)
{
    nn_data d = { eng_tensor_data(x), y ? eng_tensor_data(y) : NULL, w, n, first,
                  x->shape[0] ? x->size / x->shape[0] : 0,
                  y && y->shape[0] ? y->size / y->shape[0] : 0 };
    return d;
}

/* ---- sample weights ------------------------------------------------------------------------ */

/* Copies sample_weight, (n,) or (n, 1), into w[n]; what names it in errors. */
static int copy_sample_weight(float *w, const eng_tensor *sw, int64_t n, const char *what,
                              eng_error *err)
{
    if (!(sw->ndim == 1 || (sw->ndim == 2 && sw->shape[1] == 1)) || sw->shape[0] != n) {
        char b[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "%s must hold one weight per sample, shape (%lld,); "
                       "got %s", what, (long long)n, eng_shape_format(sw->ndim, sw->shape, b,
                                                                      sizeof b));
    }
    eng_tensor *c = eng_tensor_contiguous((eng_tensor *)sw, err);
    if (!c) return err && err->code ? err->code : ENG_ERR_MEMORY;
    memcpy(w, eng_tensor_data(c), (size_t)n * sizeof *w);
    eng_tensor_release(c);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return eng_err(err, ENG_ERR_VALUE, "%s of sample %lld is %g; weights must be finite",
                           what, (long long)i, (double)w[i]);
    return ENG_OK;
}

/* The class of sample i: its label, the argmax of its one-hot row, or y > 0.5 for one output. */
static int64_t class_of(const float *y, int64_t i, int64_t t_row, int64_t K)
{
    const float *t = y + i * t_row;
    if (t_row == 1) return K == 1 ? (t[0] > 0.5f) : (int64_t)t[0];
    return nn_argmax_row(t, t_row);
}

/* Multiplies w[n] by each sample's class weight (Keras: class_weight folds into sample_weight). */
static int apply_class_weight(float *w, const eng_fit_options *o, const nn_pass *p,
                              const float *y, int64_t n, eng_error *err)
{
    if (p->rows_out != 1)
        return eng_err(err, ENG_ERR_VALUE, "class_weight needs one label per sample; these "
                       "labels have %lld per sample (use sample_weight)", (long long)p->rows_out);
    for (int64_t i = 0; i < n; i++) {
        int64_t c = class_of(y, i, p->t_row, p->K);
        if (c < 0 || c >= o->n_class_weight)
            return eng_err(err, ENG_ERR_VALUE, "class_weight has no weight for class %lld (the "
                           "label of sample %lld); give one for every class 0..%lld",
                           (long long)c, (long long)i, (long long)(p->K > 1 ? p->K - 1 : 1));
        w[i] *= (float)o->class_weight[c];
    }
    return ENG_OK;
}

/* *out: n loss weights (malloc'd, caller frees), or NULL when sw and the class weights are
 * both absent. */
static int make_weights(float **out, const eng_tensor *sw, const eng_fit_options *o,
                        const nn_pass *p, const float *y, int64_t n, const char *what,
                        eng_error *err)
{
    *out = NULL;
    int cw = o && o->class_weight;
    if (!sw && !cw) return ENG_OK;
    float *w = malloc((size_t)(n > 0 ? n : 1) * sizeof *w);
    if (!w) return eng_err(err, ENG_ERR_MEMORY, "out of memory for %lld sample weights",
                           (long long)n);
    int st = ENG_OK;
    if (sw) st = copy_sample_weight(w, sw, n, what, err);
    else
        for (int64_t i = 0; i < n; i++) w[i] = 1.0f;
    if (st == ENG_OK && cw) st = apply_class_weight(w, o, p, y, n, err);
    if (st != ENG_OK) {
        free(w);
        return st;
    }
    *out = w;
    return ENG_OK;
}

int eng_model_evaluate(eng_model *m, eng_tensor *x, eng_tensor *y, eng_tensor *sample_weight,
                       int64_t batch_size, eng_logs *logs, eng_progress_fn progress, void *ud,
                       eng_error *err)
{
    if (!m->compiled)
        return eng_err(err, ENG_ERR_VALUE, "You must compile your model before evaluating it: "
                       "model.compile(optimizer=..., loss=...)");
    if (batch_size < 1)
        return eng_err(err, ENG_ERR_VALUE, "batch_size must be at least 1, got %lld",
                       (long long)batch_size);
    eng_rng rng;
    eng_rng_seed(&rng, 0);
    eng_tensor *xc, *yc;
    int st = prepare_xy(m, x, y, &rng, &xc, &yc, err);
    nn_pass p;
    if (st == ENG_OK) st = setup_pass(&p, m, yc, xc->shape[0], err);
    int64_t n = xc ? xc->shape[0] : 0, B = batch_size < n ? batch_size : (n ? n : 1);
    if (st == ENG_OK) st = nn_model_ws(m, B, p.t_row, err);
    float *w = NULL;
    if (st == ENG_OK)
        st = make_weights(&w, sample_weight, NULL, &p, eng_tensor_data(yc), n,
                          "evaluate() sample_weight", err);
    if (st == ENG_OK) {
        nn_data d = data_of(xc, yc, w, 0, n);
        nn_report r = { progress, ud };
        nn_sums sums;
        st = eval_pass(&p, &d, B, &rng, &r, &sums, err);
        logs->n = 0;
        if (st == ENG_OK) set_logs(logs, 0, &p, &sums);
    }
    free(w);
    eng_tensor_release(xc);
    eng_tensor_release(yc);
    return st;
}

eng_tensor *eng_model_predict(eng_model *m, eng_tensor *x, int64_t batch_size, eng_rng *rng,
                              eng_progress_fn progress, void *ud, eng_error *err)
{
    if (batch_size < 1)
        return eng_err(err, ENG_ERR_VALUE, "batch_size must be at least 1, got %lld",
                       (long long)batch_size), NULL;
    eng_tensor *xc, *yc, *out = NULL;
    if (prepare_xy(m, x, NULL, rng, &xc, &yc, err) != ENG_OK) return NULL;
    int64_t shape[ENG_MAX_DIMS], n = xc->shape[0];
    shape[0] = n;
    int od = eng_model_output_shape(m, shape + 1);
    int64_t B = batch_size < n ? batch_size : (n ? n : 1), steps = (n + B - 1) / B;
    int64_t row = m->layers[m->nlayers - 1]->out_size;
    if (nn_model_ws(m, B, 0, err) == ENG_OK) out = eng_tensor_empty(od + 1, shape, err);
    nn_data d = data_of(xc, NULL, NULL, 0, n);
    double t0 = nn_now();
    for (int64_t s = 0; out && s < steps; s++) {
        int64_t nb = s == steps - 1 ? n - s * B : B;
        load_batch(m, &d, NULL, s * B, nb);
        nn_model_forward(m, nb, 0, rng);
        memcpy(eng_tensor_data(out) + s * B * row, m->ws.act[m->nlayers - 1],
               (size_t)(nb * row) * sizeof(float));
        eng_progress pr = { ENG_PROGRESS_STEP, 0, 0, s + 1, steps, nn_now() - t0, { 0 } };
        if (progress) progress(ud, &pr);
    }
    eng_tensor_release(xc);
    return out;
}

/* ---- fit ----------------------------------------------------------------------------------- */

typedef struct fit_state {
    nn_pass p;
    nn_data train, val;
    int has_val;
    int64_t B, steps;
    int64_t *perm;
    eng_tensor *xc, *yc, *xv, *yv;      /* contiguous data (owned) */
    float *w, *wv;                      /* loss weights of x and of x_val, or NULL (owned) */
    eng_history *h;
} fit_state;

static int check_fit_args(const eng_model *m, const eng_fit_options *o, eng_error *err)
{
    if (!m->compiled)
        return eng_err(err, ENG_ERR_VALUE, "You must compile your model before training it: "
                       "model.compile(optimizer=..., loss=...)");
    if (o->epochs < 0)
        return eng_err(err, ENG_ERR_VALUE, "epochs must be a whole number >= 0, got %lld",
                       (long long)o->epochs);
    if (o->batch_size < 1)
        return eng_err(err, ENG_ERR_VALUE, "batch_size must be at least 1, got %lld",
                       (long long)o->batch_size);
    if (!(o->validation_split >= 0 && o->validation_split < 1))
        return eng_err(err, ENG_ERR_VALUE, "validation_split must be in [0, 1), got %g",
                       o->validation_split);
    if (!o->rng) return eng_err(err, ENG_ERR_VALUE, "fit needs a random generator");
    if ((o->x_val == NULL) != (o->y_val == NULL))
        return eng_err(err, ENG_ERR_VALUE, "validation_data must be a pair (x_val, y_val)");
    for (int64_t c = 0; o->class_weight && c < o->n_class_weight; c++)
        if (!isfinite(o->class_weight[c]))
            return eng_err(err, ENG_ERR_VALUE, "class_weight of class %lld is %g; weights must "
                           "be finite", (long long)c, o->class_weight[c]);
    return ENG_OK;
}

/* Training and validation sets: validation_data, or the last validation_split of x, y. */
static int split_data(fit_state *f, eng_model *m, const eng_fit_options *o, eng_error *err)
{
    int64_t n = f->xc->shape[0], n_train = n;
    if (o->x_val) {
        int st = nn_model_prepare(m, o->x_val, o->rng, err);
        if (st != ENG_OK) return st;
        nn_pass pv;
        if ((st = setup_pass(&pv, m, o->y_val, o->x_val->shape[0], err)) != ENG_OK) return st;
        f->xv = eng_tensor_contiguous(o->x_val, err);
        f->yv = f->xv ? eng_tensor_contiguous(o->y_val, err) : NULL;
        if (!f->yv) return err && err->code ? err->code : ENG_ERR_MEMORY;
        st = make_weights(&f->wv, o->sw_val, NULL, &pv, eng_tensor_data(f->yv), f->xv->shape[0],
                          "validation_data sample_weight", err);
        if (st != ENG_OK) return st;
        f->val = data_of(f->xv, f->yv, f->wv, 0, f->xv->shape[0]);
        f->has_val = f->val.n > 0;
    } else if (o->validation_split > 0) {
        n_train = (int64_t)floor((double)n * (1.0 - o->validation_split));
        f->val = data_of(f->xc, f->yc, f->w, n_train, n - n_train);
        f->has_val = f->val.n > 0;
    }
    if (n_train < 1)
        return eng_err(err, ENG_ERR_VALUE, "no training samples left: x has %lld and "
                       "validation_split %g holds out the rest", (long long)n, o->validation_split);
    f->train = data_of(f->xc, f->yc, f->w, 0, n_train);
    return ENG_OK;
}

static int setup_fit(fit_state *f, eng_model *m, eng_tensor *x, eng_tensor *y,
                     const eng_fit_options *o, eng_error *err)
{
    int st = prepare_xy(m, x, y, o->rng, &f->xc, &f->yc, err);
    if (st == ENG_OK) st = setup_pass(&f->p, m, f->yc, f->xc->shape[0], err);
    if (st == ENG_OK)
        st = make_weights(&f->w, o->sample_weight, o, &f->p, eng_tensor_data(f->yc),
                          f->xc->shape[0], "fit() sample_weight", err);
    if (st == ENG_OK) st = split_data(f, m, o, err);
    if (st != ENG_OK) return st;
    f->B = o->batch_size < f->train.n ? o->batch_size : f->train.n;
    f->steps = (f->train.n + f->B - 1) / f->B;
    f->perm = malloc((size_t)f->train.n * sizeof *f->perm);
    f->h = calloc(1, sizeof *f->h);
    if (!f->perm || !f->h) return eng_err(err, ENG_ERR_MEMORY, "out of memory starting fit");
    eng_logs keys = { 0 };
    nn_sums none = { 0 };
    set_logs(&keys, 0, &f->p, &none);
    if (f->has_val) set_logs(&keys, 1, &f->p, &none);
    f->h->nkeys = keys.n;
    memcpy(f->h->keys, keys.names, sizeof keys.names);
    f->h->epochs_asked = o->epochs;
    f->h->steps = f->steps;
    return nn_model_ws(m, f->B, f->p.t_row, err);
}

static void free_fit(fit_state *f)
{
    free(f->perm);
    free(f->w);
    free(f->wv);
    eng_tensor_release(f->xc);
    eng_tensor_release(f->yc);
    eng_tensor_release(f->xv);
    eng_tensor_release(f->yv);
}

/* One epoch of training; *stopped is set when poll interrupted it (after *step batches). */
static int train_epoch(fit_state *f, const eng_fit_options *o, int64_t epoch, eng_logs *logs,
                       int64_t *step, int *stopped, eng_error *err)
{
    const nn_pass *p = &f->p;
    double t0 = nn_now();
    nn_sums sums = { 0 };
    if (o->shuffle) eng_permutation(o->rng, f->train.n, f->perm);
    for (int64_t s = 0; s < f->steps; s++) {
        int64_t nb = s == f->steps - 1 ? f->train.n - s * f->B : f->B;
        load_batch(p->m, &f->train, o->shuffle ? f->perm : NULL, s * f->B, nb);
        int st = forward_backward(p, &f->train, nb, o->rng, &sums, err);
        if (st != ENG_OK) return st;
        eng_optimizer_step(p->m->opt, NULL);
        eng_progress pr = { ENG_PROGRESS_STEP, epoch, o->epochs, s + 1, f->steps,
                            nn_now() - t0, { 0 } };
        set_logs(&pr.logs, 0, p, &sums);
        *logs = pr.logs;
        if (o->progress) o->progress(o->progress_ud, &pr);
        *step = s + 1;
        if (o->poll && o->poll(o->poll_ud)) {
            *stopped = 1;
            break;
        }
    }
    return ENG_OK;
}

static int run_callbacks_end(const eng_fit_options *o, eng_model *m, int64_t epoch,
                             const eng_logs *logs, int *stop, eng_error *err)
{
    for (int i = 0; i < o->ncallbacks; i++) {
        eng_callback *cb = o->callbacks[i];
        int st = cb->on_epoch_end ? cb->on_epoch_end(cb, m, epoch, logs, stop, err) : ENG_OK;
        if (st != ENG_OK) return st;
    }
    return ENG_OK;
}

static int run_epochs(fit_state *f, eng_model *m, const eng_fit_options *o, eng_error *err)
{
    for (int64_t e = 0; e < o->epochs; e++) {
        eng_progress pr = { ENG_PROGRESS_EPOCH_BEGIN, e, o->epochs, 0, f->steps, 0, { 0 } };
        if (o->progress) o->progress(o->progress_ud, &pr);
        double t0 = nn_now();
        int64_t step = 0;
        eng_logs logs = { 0 };
        int stopped = 0, st = train_epoch(f, o, e, &logs, &step, &stopped, err);
        if (st != ENG_OK) return st;
        if (stopped) {
            f->h->interrupted = 1;
            f->h->interrupted_step = step;
            return ENG_OK;
        }
        if (f->has_val) {
            nn_sums vs;
            if ((st = eval_pass(&f->p, &f->val, f->B, o->rng, NULL, &vs, err)) != ENG_OK)
                return st;
            set_logs(&logs, 1, &f->p, &vs);
        }
        st = history_append(f->h, &logs, err);
        int stop = 0;
        m->stop_requested = 0;
        if (st == ENG_OK) st = run_callbacks_end(o, m, e, &logs, &stop, err);
        if (st != ENG_OK) return st;
        stop |= m->stop_requested;
        eng_progress end = { ENG_PROGRESS_EPOCH_END, e, o->epochs, f->steps, f->steps,
                             nn_now() - t0, logs };
        if (o->progress) o->progress(o->progress_ud, &end);
        if (stop) {
            eng_progress sp = { ENG_PROGRESS_STOPPED, e, o->epochs, f->steps, f->steps, 0, logs };
            if (o->progress) o->progress(o->progress_ud, &sp);
            return ENG_OK;
        }
    }
    return ENG_OK;
}

void eng_model_request_stop(eng_model *m)
{
    m->stop_requested = 1;
}

eng_history *eng_model_fit(eng_model *m, eng_tensor *x, eng_tensor *y, const eng_fit_options *o,
                           eng_error *err)
{
    fit_state f;
    memset(&f, 0, sizeof f);
    int st = check_fit_args(m, o, err);
    if (st == ENG_OK) st = setup_fit(&f, m, x, y, o, err);
    for (int i = 0; i < o->ncallbacks && st == ENG_OK; i++)
        if (o->callbacks[i]->on_train_begin)
            st = o->callbacks[i]->on_train_begin(o->callbacks[i], m, err);
    if (st == ENG_OK) st = run_epochs(&f, m, o, err);
    for (int i = 0; i < o->ncallbacks && st == ENG_OK; i++)
        if (o->callbacks[i]->on_train_end) st = o->callbacks[i]->on_train_end(o->callbacks[i], m, err);
    free_fit(&f);
    if (st != ENG_OK) {
        eng_history_free(f.h);
        return NULL;
    }
    return f.h;
}

/* ---- one batch, for tests -------------------------------------------------------------------- */

int nn_model_grad(eng_model *m, eng_tensor *x, eng_tensor *y, eng_rng *rng, double *loss,
                  eng_error *err)
{
    if (!m->compiled) return eng_err(err, ENG_ERR_VALUE, "the model is not compiled");
    eng_tensor *xc, *yc;
    int st = prepare_xy(m, x, y, rng, &xc, &yc, err);
    nn_pass p;
    if (st == ENG_OK) st = setup_pass(&p, m, yc, xc->shape[0], err);
    int64_t n = xc ? xc->shape[0] : 0;
    if (st == ENG_OK) st = nn_model_ws(m, n > 0 ? n : 1, p.t_row, err);
    if (st == ENG_OK) {
        nn_data d = data_of(xc, yc, NULL, 0, n);
        nn_sums sums = { 0 };
        load_batch(m, &d, NULL, 0, n);
        st = forward_backward(&p, &d, n, rng, &sums, err);
        *loss = sums.loss / (double)(n * p.rows_out);
    }
    eng_tensor_release(xc);
    eng_tensor_release(yc);
    return st;
}
