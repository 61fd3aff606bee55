/*
 * nn_model.c -- the Sequential model: its layers, building (shape inference through the
 * chain, then one flat weight buffer and one flat gradient buffer for the layers it builds),
 * compile, the per-batch workspace, and the batched forward pass used by fit, evaluate and
 * predict (nn_fit.c).
 *
 * Every (re)build places the weights of the model's layers in one new pair of buffers, copying
 * the values of layers built before (model.add after a build; a layer called on its own
 * first). The exception is a layer whose weights live in ANOTHER model's buffers: it stays
 * there, so a layer shared by two models shares its weights, as in Keras (the optimizer then
 * updates a few runs of memory instead of one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

eng_model *eng_model_new(const char *name, eng_error *err)
{
    eng_model *m = calloc(1, sizeof *m);
    if (!m) return eng_err(err, ENG_ERR_MEMORY, "out of memory making a model"), NULL;
    m->refcount = 1;
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "sequential");
    m->in_ndim = -1;
    return m;
}

eng_model *eng_model_retain(eng_model *m)
{
    m->refcount++;
    return m;
}

void eng_model_release(eng_model *m)
{
    if (!m || --m->refcount > 0) return;
    for (int i = 0; i < m->nlayers; i++) {
        if (m->layers[i]->owner == m) m->layers[i]->owner = NULL;   /* its weights live on */
        eng_layer_release(m->layers[i]);
    }
    free(m->layers);
    eng_tensor_release(m->wbuf);
    eng_tensor_release(m->gbuf);
    eng_optimizer_release(m->opt);
    eng_loss_fn_release(m->loss.fn);
    nn_ws_free(&m->ws);
    free(m);
}

eng_loss_fn *eng_loss_fn_retain(eng_loss_fn *fn)
{
    if (fn) fn->refcount++;
    return fn;
}

void eng_loss_fn_release(eng_loss_fn *fn)
{
    if (fn && --fn->refcount == 0 && fn->free) fn->free(fn);
}

const char *eng_model_missing_loss(const eng_model *m)
{
    return m->compiled && m->missing_loss[0] ? m->missing_loss : NULL;
}

void eng_model_set_loss_fn(eng_model *m, eng_loss_fn *fn)
{
    eng_loss_fn_retain(fn);
    eng_loss_fn_release(m->loss.fn);
    m->loss.fn = fn;
    m->missing_loss[0] = '\0';
}

void eng_model_uncompile(eng_model *m)
{
    eng_loss_fn_release(m->loss.fn);
    eng_optimizer_release(m->opt);
    memset(&m->loss, 0, sizeof m->loss);
    memset(&m->metrics, 0, sizeof m->metrics);
    m->opt = NULL;
    m->missing_loss[0] = '\0';
    m->compiled = 0;
}

const char *eng_model_name(const eng_model *m) { return m->name; }
int eng_model_layer_count(const eng_model *m) { return m->nlayers; }
int eng_model_is_built(const eng_model *m) { return m->built; }
int eng_model_is_compiled(const eng_model *m) { return m->compiled; }
eng_optimizer *eng_model_optimizer(const eng_model *m) { return m->opt; }
const eng_loss *eng_model_loss(const eng_model *m) { return m->compiled ? &m->loss : NULL; }
const eng_metrics *eng_model_metrics(const eng_model *m) { return &m->metrics; }
eng_tensor *eng_model_weights_buffer(const eng_model *m) { return m->wbuf; }
eng_tensor *eng_model_grads_buffer(const eng_model *m) { return m->gbuf; }

eng_layer *eng_model_layer(const eng_model *m, int i)
{
    return i >= 0 && i < m->nlayers ? m->layers[i] : NULL;
}

int eng_model_input_shape(const eng_model *m, int64_t *shape)
{
    if (m->in_ndim < 0) return -1;
    if (m->in_ndim > 0) memcpy(shape, m->in_shape, (size_t)m->in_ndim * sizeof *shape);
    return m->in_ndim;
}

int eng_model_output_shape(const eng_model *m, int64_t *shape)
{
    if (!m->built) return -1;
    if (m->nlayers == 0) return eng_model_input_shape(m, shape);
    return eng_layer_output_shape(m->layers[m->nlayers - 1], shape);
}

int64_t eng_model_param_count(const eng_model *m, int trainable_only)
{
    int64_t n = 0;
    for (int i = 0; i < m->nlayers; i++) n += eng_layer_param_count(m->layers[i], trainable_only);
    return n;
}

int eng_model_params(const eng_model *m, eng_tensor **out, int cap)
{
    int n = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const eng_layer *l = m->layers[i];
        for (int k = 0; k < eng_layer_weight_count(l); k++)
            if (l->trainable[k]) {
                if (n < cap) out[n] = l->w[k];
                n++;
            }
    }
    return n;
}

/* ---- building ------------------------------------------------------------------------------ */

/* Infers every layer's shapes from `in`; on failure the layers inferred by this call forget
 * their shapes again (so a later build with a fitting input can succeed). */
static int infer_chain(eng_model *m, int ndim, const int64_t *in, eng_error *err)
{
    int64_t shape[ENG_MAX_DIMS];
    memcpy(shape, in, (size_t)ndim * sizeof *shape);
    for (int i = 0; i < m->nlayers; i++) {
        eng_layer *l = m->layers[i];
        int fresh = l->in_ndim < 0;
        int st = nn_layer_infer(l, ndim, shape, err);
        if (st != ENG_OK) {
            for (int k = 0; k <= i; k++) {
                eng_layer *u = m->layers[k];
                if (!u->built && (k < i || fresh)) u->in_ndim = u->out_ndim = -1;
            }
            return st;
        }
        ndim = eng_layer_output_shape(l, shape);
    }
    return ENG_OK;
}

/* Whether the model (re)places layer l's weights in its buffers: layers it builds, layers it
 * placed before (a rebuild after add), and layers built on their own (adopted, values kept).
 * A layer whose weights live in another model's buffers stays there (shared weights). */
static int adopts(const eng_model *m, const eng_layer *l)
{
    return !l->built || l->owner == m || l->owner == NULL;
}

/* One new pair of buffers for every adopted layer's weights, trainable first. */
static int bind_layers(eng_model *m, eng_rng *rng, eng_error *err)
{
    int64_t n = 0, pos = 0;
    for (int i = 0; i < m->nlayers; i++)
        if (adopts(m, m->layers[i])) n += eng_layer_param_count(m->layers[i], 0);
    int64_t (*off)[NN_MAX_WEIGHTS] = calloc((size_t)m->nlayers + 1, sizeof *off);
    eng_tensor *wb = off ? eng_tensor_new(1, &n, err) : NULL;
    eng_tensor *gb = wb ? eng_tensor_new(1, &n, err) : NULL;
    int st = gb ? ENG_OK : (err && err->code ? err->code : ENG_ERR_MEMORY);
    for (int pass = 1; pass >= 0 && st == ENG_OK; pass--)
        for (int i = 0; i < m->nlayers; i++) {
            eng_layer *l = m->layers[i];
            for (int k = 0; k < l->nweights && adopts(m, l); k++)
                if (l->trainable[k] == pass) {
                    off[i][k] = pos;
                    pos += l->wsize[k];
                }
        }
    for (int i = 0; i < m->nlayers && st == ENG_OK; i++) {
        eng_layer *l = m->layers[i];
        if (!adopts(m, l)) continue;
        st = nn_layer_bind(l, wb, gb, off[i], off[i], l->built, rng, err);
        if (st == ENG_OK) l->owner = m;
    }
    if (st == ENG_OK) {
        eng_tensor_release(m->wbuf);
        eng_tensor_release(m->gbuf);
        m->wbuf = eng_tensor_retain(wb);
        m->gbuf = eng_tensor_retain(gb);
    }
    eng_tensor_release(wb);
    eng_tensor_release(gb);
    free(off);
    return st;
}

static int bind_optimizer(eng_model *m, eng_error *err)
{
    if (!m->opt || !m->built) return ENG_OK;
    int n = eng_model_params(m, NULL, 0);
    eng_tensor **ps = calloc((size_t)n + 1, sizeof *ps);
    if (!ps) return eng_err(err, ENG_ERR_MEMORY, "out of memory binding the optimizer");
    eng_model_params(m, ps, n);
    int same = eng_optimizer_param_count(m->opt) == n;
    for (int i = 0; i < n && same; i++) same = eng_optimizer_param(m->opt, i) == ps[i];
    int st = same ? ENG_OK : eng_optimizer_set_params(m->opt, n, ps, err);
    free(ps);
    return st;
}

int eng_model_build(eng_model *m, int ndim, const int64_t *in, eng_rng *rng, eng_error *err)
{
    if (ndim < 0 || ndim > ENG_MAX_DIMS - 1)
        return eng_err(err, ENG_ERR_SHAPE, "model \"%s\" cannot take inputs of %d dimensions",
                       m->name, ndim + 1);
    if (m->built && ndim == m->in_ndim && memcmp(in, m->in_shape, (size_t)ndim * 8) == 0)
        return ENG_OK;
    int st = infer_chain(m, ndim, in, err);
    if (st == ENG_OK) st = bind_layers(m, rng, err);
    if (st != ENG_OK) return st;
    m->in_ndim = ndim;
    memcpy(m->in_shape, in, (size_t)ndim * sizeof *in);
    m->built = 1;
    m->n_trainable = eng_model_param_count(m, 1);
    m->n_total = eng_model_param_count(m, 0);
    nn_ws_free(&m->ws);
    return bind_optimizer(m, err);
}

int eng_model_add(eng_model *m, eng_layer *l, eng_rng *rng, eng_error *err)
{
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i] == l)
            return eng_err(err, ENG_ERR_VALUE, "layer \"%s\" is already in model \"%s\"",
                           l->cfg.name, m->name);
    if (m->nlayers == m->cap) {
        int cap = m->cap ? 2 * m->cap : 8;
        eng_layer **ls = realloc(m->layers, (size_t)cap * sizeof *ls);
        if (!ls) return eng_err(err, ENG_ERR_MEMORY, "out of memory adding a layer");
        m->layers = ls;
        m->cap = cap;
    }
    m->layers[m->nlayers++] = eng_layer_retain(l);
    int ndim = m->in_ndim;
    const int64_t *in = m->in_shape;
    if (m->nlayers == 1 && l->cfg.input_ndim >= 0) {   /* Keras: input_shape= builds at once */
        ndim = l->cfg.input_ndim;
        in = l->cfg.input_shape;
    }
    if (ndim < 0) return ENG_OK;
    int64_t shape[ENG_MAX_DIMS];
    memcpy(shape, in, sizeof shape);
    m->built = 0;
    int st = eng_model_build(m, ndim, shape, rng, err);
    if (st != ENG_OK) {         /* the layer does not fit: the model stays as it was */
        eng_layer_release(m->layers[--m->nlayers]);
        if (m->nlayers > 0) {
            eng_error ignore;
            eng_model_build(m, m->in_ndim, m->in_shape, rng, &ignore);
        }
    }
    return st;
}

int eng_model_compile(eng_model *m, eng_optimizer *opt, const eng_loss *loss,
                      const eng_metrics *metrics, eng_error *err)
{
    if ((unsigned)loss->kind >= ENG_LOSS_KIND_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown loss kind %d", (int)loss->kind);
    eng_metrics ms = { 0 };
    for (int i = 0; metrics && i < metrics->n; i++)
        if (eng_metrics_add(&ms, metrics->id[i], err) != ENG_OK) return ENG_ERR_VALUE;
    eng_optimizer_retain(opt);
    eng_optimizer_release(m->opt);
    m->opt = opt;
    eng_loss_fn_retain(loss->fn);
    eng_loss_fn_release(m->loss.fn);
    m->loss = *loss;
    m->missing_loss[0] = '\0';
    m->metrics = ms;
    m->compiled = 1;
    return bind_optimizer(m, err);
}

int nn_model_prepare(eng_model *m, const eng_tensor *x, eng_rng *rng, eng_error *err)
{
    if (x->ndim < 1)
        return eng_err(err, ENG_ERR_SHAPE, "model \"%s\" needs a batch of inputs (N, ...), got "
                       "a single number", m->name);
    if (m->nlayers == 0)
        return eng_err(err, ENG_ERR_VALUE, "model \"%s\" has no layers", m->name);
    if (!m->built) return eng_model_build(m, x->ndim - 1, x->shape + 1, rng, err);
    if (x->ndim - 1 == m->in_ndim &&
        memcmp(x->shape + 1, m->in_shape, (size_t)m->in_ndim * sizeof *m->in_shape) == 0)
        return ENG_OK;
    char want[ENG_SHAPE_BUF], got[ENG_SHAPE_BUF];
    int64_t full[ENG_MAX_DIMS];
    full[0] = -1;
    memcpy(full + 1, m->in_shape, (size_t)m->in_ndim * sizeof *full);
    eng_shape_format(m->in_ndim + 1, full, want, sizeof want);
    eng_err(err, ENG_ERR_SHAPE, "Input 0 of layer \"%s\" is incompatible with the layer: "
            "expected shape=(None%s, found shape=%s", m->name, want + 3,
            eng_shape_format(x->ndim, x->shape, got, sizeof got));
    if (x->ndim >= 2 && x->size / x->shape[0] == m->layers[0]->in_size)
        eng_err_hint(err, "reshape the inputs: x.reshape(-1%s", want + 3);
    return ENG_ERR_SHAPE;
}

/* ---- workspace ----------------------------------------------------------------------------- */

void nn_ws_free(nn_ws *ws)
{
    free(ws->floats);
    free(ws->ints);
    free(ws->act);
    free(ws->slot);
    memset(ws, 0, sizeof *ws);
}

/* Sizes in floats of everything, in the order nn_ws_alloc carves them. */
typedef struct ws_plan {
    int64_t floats, ints, dact, scratch;
} ws_plan;

static ws_plan plan_ws(eng_layer *const *layers, int n, int64_t in_size, int64_t B,
                       int64_t t, int want_dx)
{
    ws_plan p = { 0, 0, 0, 0 };
    p.floats = B * in_size * (want_dx ? 2 : 1) + B * t + B;
    for (int i = 0; i < n; i++) {
        nn_ws_need need;
        nn_layer_ws_need(layers[i], B, &need);
        p.dact += B * layers[i]->out_size;
        p.floats += B * layers[i]->out_size + need.col + need.mask + need.stats;
        p.ints += need.arg;
        if (need.scratch > p.scratch) p.scratch = need.scratch;
    }
    p.floats += p.dact + p.scratch;
    return p;
}

int nn_ws_alloc(nn_ws *ws, eng_layer *const *layers, int n, int64_t in_size, int64_t B,
                int64_t t, int want_dx, eng_error *err)
{
    nn_ws_free(ws);
    ws_plan p = plan_ws(layers, n, in_size, B, t, want_dx);
    if (p.floats > ENG_MAX_ELEMENTS || p.ints > ENG_MAX_ELEMENTS)
        return eng_err(err, ENG_ERR_MEMORY, "a batch of %lld needs too much memory", (long long)B);
    ws->floats = malloc((size_t)(p.floats > 0 ? p.floats : 1) * sizeof(float));
    ws->ints = malloc((size_t)(p.ints > 0 ? p.ints : 1) * sizeof(int32_t));
    ws->act = calloc((size_t)(2 * n + 1), sizeof *ws->act);
    ws->slot = calloc((size_t)(n + 1), sizeof *ws->slot);
    if (!ws->floats || !ws->ints || !ws->act || !ws->slot) {
        nn_ws_free(ws);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory for a batch of %lld", (long long)B);
    }
    ws->dact = ws->act + n;
    float *f = ws->floats;
    int32_t *k = ws->ints;
    ws->x = f; f += B * in_size;
    if (want_dx) { ws->dx = f; f += B * in_size; }
    ws->y = f; f += B * t;
    ws->w = f; f += B;
    ws->dact_base = f;
    ws->dact_n = p.dact;
    for (int i = 0; i < n; i++) { ws->dact[i] = f; f += B * layers[i]->out_size; }
    for (int i = 0; i < n; i++) {
        nn_ws_need need;
        nn_layer_ws_need(layers[i], B, &need);
        if (layers[i]->cfg.kind == ENG_LAYER_FLATTEN) {
            /* a flattened batch is the same floats: share the input's buffers (the forward
             * and backward see out == inp, dinp == dout, and copy nothing) */
            ws->act[i] = i ? ws->act[i - 1] : ws->x;
            if (i) ws->dact[i] = ws->dact[i - 1];
            f += B * layers[i]->out_size;
            continue;
        }
        ws->act[i] = f; f += B * layers[i]->out_size;
        if (need.col) { ws->slot[i].col = f; f += need.col; }
        if (need.mask) { ws->slot[i].mask = f; f += need.mask; }
        if (need.stats) { ws->slot[i].mean = f; ws->slot[i].rstd = f + need.stats / 2; f += need.stats; }
        if (need.arg) { ws->slot[i].arg = k; k += need.arg; }
    }
    ws->scratch = f;
    ws->B = B;
    ws->nlayers = n;
    return ENG_OK;
}

int nn_model_ws(eng_model *m, int64_t B, int64_t t, eng_error *err)
{
    if (m->ws.B >= B && m->ws_t >= t && m->ws.nlayers == m->nlayers) return ENG_OK;
    if (m->ws.B > B && m->ws.nlayers == m->nlayers) B = m->ws.B;
    if (m->ws_t > t && m->ws.nlayers == m->nlayers) t = m->ws_t;
    m->ws_t = t;
    return nn_ws_alloc(&m->ws, m->layers, m->nlayers, m->layers[0]->in_size, B, t, 0, err);
}

void nn_gather_rows(float *dst, const float *x, int64_t row_size, const int64_t *idx,
                    int64_t first, int64_t n)
{
    if (!idx) {
        memcpy(dst, x + first * row_size, (size_t)(n * row_size) * sizeof *dst);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy(dst + i * row_size, x + idx[first + i] * row_size, (size_t)row_size * sizeof *dst);
}

void nn_model_forward(eng_model *m, int64_t n, int training, eng_rng *rng)
{
    const float *in = m->ws.x;
    for (int i = 0; i < m->nlayers; i++) {
        nn_layer_fwd(m->layers[i], &m->ws.slot[i], m->ws.act[i], in, n, training, rng);
        in = m->ws.act[i];
    }
}
