/*
 * nn_call.c -- calling a layer or a model on a tensor (h = layer(x), pred = model(x)) with
 * autograd: one graph node per layer, whose backward runs the layer's backward kernels. This
 * is what PyTorch-style loops use (pred = model(x); loss.backward(); opt.step()); fit does not
 * come here (nn_fit.c runs the kernels on preallocated buffers).
 *
 * Memory. A node keeps what its backward needs: the input (retained by the node), the output's
 * values (a detached view), and a context with the layer's per-call buffers (dropout mask,
 * pooling winners, batch statistics). A convolution's im2col matrix can be large (the whole
 * data set's patches), so it is never kept: the forward runs in chunks of samples through a
 * bounded buffer and the backward rebuilds the columns it needs, chunk by chunk.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

/* At most this many floats of im2col columns at a time (64 MB). */
#define NN_COL_BUDGET ((int64_t)16 << 20)

typedef struct call_ctx {
    eng_layer *layer;           /* retained */
    int64_t B;
    int training;
    nn_slot slot;               /* col unused (NULL); the rest owned by `mem` / `ints` */
    float *mem;
    int32_t *ints;
} call_ctx;

static void call_ctx_free(void *p)
{
    call_ctx *c = p;
    if (!c) return;
    eng_layer_release(c->layer);
    free(c->mem);
    free(c->ints);
    free(c);
}

/* A context with the slot buffers of B samples (col excluded). */
static call_ctx *call_ctx_new(eng_layer *l, int64_t B, int training, eng_error *err)
{
    nn_ws_need need;
    nn_layer_ws_need(l, B, &need);
    call_ctx *c = calloc(1, sizeof *c);
    int64_t nf = need.mask + need.stats;
    if (c) c->mem = malloc((size_t)(nf > 0 ? nf : 1) * sizeof(float));
    if (c && c->mem) c->ints = malloc((size_t)(need.arg > 0 ? need.arg : 1) * sizeof(int32_t));
    if (!c || !c->mem || !c->ints) {
        if (c) { free(c->mem); free(c); }
        return eng_err(err, ENG_ERR_MEMORY, "out of memory calling layer \"%s\"", l->cfg.name),
               NULL;
    }
    c->layer = eng_layer_retain(l);
    c->B = B;
    c->training = training;
    if (need.mask) c->slot.mask = c->mem;
    if (need.stats) { c->slot.mean = c->mem + need.mask; c->slot.rstd = c->slot.mean + need.stats / 2; }
    if (need.arg) c->slot.arg = c->ints;
    return c;
}

/* Samples per chunk so a convolution's columns stay within the budget (1 for other kinds:
 * no chunking needed, the caller runs them whole). */
static int64_t conv_chunk(const eng_layer *l, int64_t B)
{
    if (l->cfg.kind != ENG_LAYER_CONV2D) return B;
    const eng_conv_dims *d = &l->cd;
    int64_t per = d->OH * d->OW * d->KH * d->KW * d->C, n = per ? NN_COL_BUDGET / per : B;
    return n < 1 ? 1 : n > B ? B : n;
}

/* Forward of B samples; a convolution goes chunk by chunk through one column buffer. */
static int call_forward(eng_layer *l, call_ctx *c, float *out, const float *inp, eng_rng *rng,
                        eng_error *err)
{
    if (l->cfg.kind != ENG_LAYER_CONV2D) {
        nn_layer_fwd(l, &c->slot, out, inp, c->B, c->training, rng);
        return ENG_OK;
    }
    int64_t chunk = conv_chunk(l, c->B), per = l->cd.OH * l->cd.OW * l->cd.KH * l->cd.KW * l->cd.C;
    nn_slot s = c->slot;
    s.col = malloc((size_t)(chunk * per > 0 ? chunk * per : 1) * sizeof(float));
    if (!s.col) return eng_err(err, ENG_ERR_MEMORY, "out of memory for a convolution");
    for (int64_t b = 0; b < c->B; b += chunk) {
        int64_t n = c->B - b < chunk ? c->B - b : chunk;
        nn_layer_fwd(l, &s, out + b * l->out_size, inp + b * l->in_size, n, c->training, rng);
    }
    free(s.col);
    return ENG_OK;
}

/* Backward of a convolution, chunk by chunk: columns rebuilt from the input, then the kernel. */
static int conv_backward(eng_layer *l, call_ctx *c, float *dinp, const float *gout,
                         const float *out, const float *inp, eng_error *err)
{
    int64_t chunk = conv_chunk(l, c->B);
    nn_ws_need need;
    nn_layer_ws_need(l, chunk, &need);
    float *col = malloc((size_t)(need.col + need.scratch + 1) * sizeof(float));
    if (!col) return eng_err(err, ENG_ERR_MEMORY, "out of memory for a convolution's gradient");
    nn_slot s = c->slot;
    s.col = col;
    for (int64_t b = 0; b < c->B; b += chunk) {
        int64_t n = c->B - b < chunk ? c->B - b : chunk;
        eng_conv_dims d = l->cd;
        d.B = n;
        eng_k_im2col(col, inp + b * l->in_size, &d);
        nn_layer_bwd(l, &s, dinp ? dinp + b * l->in_size : NULL, gout + b * l->out_size,
                     out + b * l->out_size, inp + b * l->in_size, n, 0, c->training, 1,
                     col + need.col);
    }
    free(col);
    return ENG_OK;
}

/* in[0]: x; in[1..]: the trainable weights (their gradients are the layer's gradient views,
 * where the kernels accumulate directly); saved[0]: the output's values. */
static int layer_backward(eng_node *n, const eng_tensor *gout, eng_error *err)
{
    call_ctx *c = n->ctx;
    eng_layer *l = c->layer;
    eng_tensor *gx = eng_node_wants(n, 0) ? eng_node_grad(n, 0, err) : NULL;
    if (eng_node_wants(n, 0) && !gx) return err && err->code ? err->code : ENG_ERR_MEMORY;
    eng_tensor *xc = eng_tensor_contiguous(n->in[0], err);
    if (!xc) return err && err->code ? err->code : ENG_ERR_MEMORY;
    const float *go = eng_tensor_data(gout), *out = eng_tensor_data(n->saved[0]);
    float *dinp = gx ? eng_tensor_data(gx) : NULL;
    int st = ENG_OK;
    if (l->cfg.kind == ENG_LAYER_CONV2D) {
        st = conv_backward(l, c, dinp, go, out, eng_tensor_data(xc), err);
    } else {
        nn_ws_need need;
        nn_layer_ws_need(l, c->B, &need);
        float *scratch = malloc((size_t)(need.scratch + 1) * sizeof(float));
        if (!scratch) st = eng_err(err, ENG_ERR_MEMORY, "out of memory for a layer's gradient");
        else nn_layer_bwd(l, &c->slot, dinp, go, out, eng_tensor_data(xc), c->B, 0, c->training,
                          1, scratch);
        free(scratch);
    }
    eng_tensor_release(xc);
    return st;
}

/* Records the node of one layer call on y. Takes c (freed on failure). */
static int record(eng_layer *l, eng_tensor *x, eng_tensor *y, call_ctx *c, eng_error *err)
{
    eng_tensor *in[1 + NN_MAX_WEIGHTS];
    int n_in = 0;
    in[n_in++] = x;
    for (int k = 0; k < l->nweights; k++)
        if (l->trainable[k]) in[n_in++] = l->w[k];
    eng_node *n = eng_node_new(y, eng_layer_kind_stem(l->cfg.kind), layer_backward, n_in, in, err);
    if (!n) {
        call_ctx_free(c);
        return err && err->code ? err->code : ENG_ERR_MEMORY;
    }
    n->ctx = c;
    n->ctx_free = call_ctx_free;
    return eng_node_save(n, 0, y, err);         /* an in-place change to y is caught */
}

static int wants_grad(eng_ag *ag, const eng_layer *l, eng_tensor *x)
{
    if (eng_ag_wants(ag, 1, &x)) return 1;
    for (int k = 0; k < l->nweights; k++)
        if (l->trainable[k] && eng_ag_wants(ag, 1, (eng_tensor *const *)&l->w[k])) return 1;
    return 0;
}

eng_tensor *eng_layer_call(eng_layer *l, eng_ag *ag, eng_tensor *x, int training, eng_rng *rng,
                           eng_error *err)
{
    if (x->ndim < 1)
        return eng_err(err, ENG_ERR_SHAPE, "layer \"%s\" needs a batch of inputs (N, ...), got "
                       "a single number", l->cfg.name), NULL;
    int st = l->built ? nn_layer_infer(l, x->ndim - 1, x->shape + 1, err)
                      : eng_layer_build(l, x->ndim - 1, x->shape + 1, rng, err);
    if (st != ENG_OK) return NULL;
    int64_t shape[ENG_MAX_DIMS], B = x->shape[0];
    shape[0] = B;
    memcpy(shape + 1, l->out_shape, (size_t)l->out_ndim * sizeof *shape);
    call_ctx *c = call_ctx_new(l, B, training, err);
    eng_tensor *xc = c ? eng_tensor_contiguous(x, err) : NULL;
    eng_tensor *y = xc ? eng_tensor_empty(l->out_ndim + 1, shape, err) : NULL;
    if (y && call_forward(l, c, eng_tensor_data(y), eng_tensor_data(xc), rng, err) != ENG_OK) {
        eng_tensor_release(y);
        y = NULL;
    }
    eng_tensor_release(xc);
    if (!y || !wants_grad(ag, l, x)) {
        call_ctx_free(c);
        return y;
    }
    if (record(l, x, y, c, err) != ENG_OK) {
        eng_tensor_release(y);
        return NULL;
    }
    return y;
}

eng_tensor *eng_model_call(eng_model *m, eng_ag *ag, eng_tensor *x, int training, eng_rng *rng,
                           eng_error *err)
{
    if (nn_model_prepare(m, x, rng, err) != ENG_OK) return NULL;
    eng_tensor *h = eng_tensor_retain(x);
    for (int i = 0; i < m->nlayers && h; i++) {
        eng_tensor *next = eng_layer_call(m->layers[i], ag, h, training, rng, err);
        eng_tensor_release(h);
        h = next;
    }
    return h;
}
