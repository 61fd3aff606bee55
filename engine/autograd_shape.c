/*
 * autograd_shape.c -- differentiable shape ops and indexing: eng_ag_reshape, _flatten,
 * _expand_dims, _transpose, _concat, _stack, _index_get.
 *
 * These ops move elements without changing them, so their backward moves the gradient back:
 * reshape it, transpose it by the inverse permutation, cut it into the concatenated pieces,
 * or scatter-add it into the indexed positions (several picks of one element add up, as
 * PyTorch's index backward does).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/autograd_internal.h"

/* Records a node (ag_record) whose backward only moves the gradient: it reads no input's
 * values, so changing an input in place afterwards is fine and none is version-checked. */
static eng_tensor *record_mover(eng_ag *ag, eng_tensor *out, const char *name,
                                eng_backward_fn backward, int n_in, eng_tensor *const *in,
                                eng_node **node, eng_error *err)
{
    out = ag_record(ag, out, name, backward, n_in, in, node, err);
    for (int i = 0; *node && i < n_in; i++)
        eng_node_skip_check(*node, i);
    return out;
}

/* ---- reshape, flatten, expand_dims ------------------------------------------------------- */

/* node: in[0] x. The gradient is g with x's shape (same elements, row-major). */
static int reshape_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    const eng_tensor *x = n->in[0];
    eng_tensor *r = eng_reshape((eng_tensor *)g, x->ndim, x->shape, err);
    int rc = r ? eng_node_accum(n, 0, r, err) : ag_fail(err);
    eng_tensor_release(r);
    return rc;
}

eng_tensor *eng_ag_reshape(eng_ag *ag, eng_tensor *t, int ndim, const int64_t *shape, eng_error *err)
{
    eng_node *n;
    return record_mover(ag, eng_reshape(t, ndim, shape, err), "reshape", reshape_backward, 1,
                        &t, &n, err);
}

eng_tensor *eng_ag_flatten(eng_ag *ag, eng_tensor *t, eng_error *err)
{
    eng_node *n;
    return record_mover(ag, eng_flatten(t, err), "flatten", reshape_backward, 1, &t, &n, err);
}

eng_tensor *eng_ag_expand_dims(eng_ag *ag, eng_tensor *t, int axis, eng_error *err)
{
    eng_node *n;
    return record_mover(ag, eng_expand_dims(t, axis, err), "expand_dims", reshape_backward, 1,
                        &t, &n, err);
}

/* ---- transpose --------------------------------------------------------------------------- */

/* node: in[0] x; iarg[d] = the permutation (normalised). g transposed by its inverse. */
static int transpose_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    int inv[ENG_MAX_DIMS];
    for (int d = 0; d < n->out_ndim; d++)
        inv[n->iarg[d]] = d;
    eng_tensor *r = eng_transpose((eng_tensor *)g, inv, err);
    int rc = r ? eng_node_accum(n, 0, r, err) : ag_fail(err);
    eng_tensor_release(r);
    return rc;
}

eng_tensor *eng_ag_transpose(eng_ag *ag, eng_tensor *t, const int *perm, eng_error *err)
{
    eng_node *n;
    eng_tensor *out = record_mover(ag, eng_transpose(t, perm, err), "transpose",
                                   transpose_backward, 1, &t, &n, err);
    for (int d = 0; n && d < t->ndim; d++)   /* eng_transpose has validated perm */
        n->iarg[d] = !perm ? t->ndim - 1 - d : perm[d] < 0 ? perm[d] + t->ndim : perm[d];
    return out;
}

/* ---- concat and stack -------------------------------------------------------------------- */

/* The part of g (contiguous) that input i of a concat (stack: iarg[1] = 1) came from: a view of
 * in[i]'s shape. iarg[0] is the axis (normalised). */
static eng_tensor *piece_of(const eng_node *n, const eng_tensor *g, int i, eng_error *err)
{
    int axis = (int)n->iarg[0], stacked = (int)n->iarg[1];
    const eng_tensor *x = n->in[i];
    int64_t strides[ENG_MAX_DIMS], start = 0;
    if (stacked) {
        start = i;
        for (int d = 0, k = 0; d < g->ndim; d++)
            if (d != axis)
                strides[k++] = g->strides[d];
    } else {
        for (int j = 0; j < i; j++)
            start += n->in[j]->shape[axis];
        memcpy(strides, g->strides, sizeof strides);
    }
    return eng_tensor_view((eng_tensor *)g, x->ndim, x->shape, strides,
                           g->offset + start * g->strides[axis], err);
}

static int join_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    for (int i = 0; i < n->n_in; i++) {
        if (!eng_node_wants(n, i))
            continue;
        eng_tensor *p = piece_of(n, g, i, err);
        int rc = p ? eng_node_accum(n, i, p, err) : ag_fail(err);
        eng_tensor_release(p);
        if (rc != ENG_OK)
            return rc;
    }
    return ENG_OK;
}

static eng_tensor *record_join(eng_ag *ag, eng_tensor *out, int n_in, eng_tensor *const *ts,
                               int stacked, eng_error *err)
{
    eng_node *n;
    out = record_mover(ag, out, stacked ? "stack" : "concat", join_backward, n_in, ts, &n, err);
    if (n)
        n->iarg[1] = stacked;
    return out;
}

eng_tensor *eng_ag_concat(eng_ag *ag, int n, eng_tensor *const *ts, int axis, eng_error *err)
{
    eng_tensor *out = record_join(ag, eng_concat(n, ts, axis, err), n, ts, 0, err);
    if (out && out->node)
        out->node->iarg[0] = axis < 0 ? axis + ts[0]->ndim : axis;
    return out;
}

eng_tensor *eng_ag_stack(eng_ag *ag, int n, eng_tensor *const *ts, int axis, eng_error *err)
{
    eng_tensor *out = record_join(ag, eng_stack(n, ts, axis, err), n, ts, 1, err);
    if (out && out->node)
        out->node->iarg[0] = axis < 0 ? axis + ts[0]->ndim + 1 : axis;
    return out;
}

/* ---- indexing ---------------------------------------------------------------------------- */

/* The index of a recorded t[...]: copied, tensor indices included (a program may change its
 * index tensor before calling backward). */
typedef struct index_ctx {
    int       n, advanced;
    eng_index idx[];
} index_ctx;

static void index_ctx_free(void *p)
{
    index_ctx *c = p;
    for (int i = 0; i < c->n; i++)
        if (c->idx[i].kind == ENG_IDX_TENSOR)
            eng_tensor_release((eng_tensor *)c->idx[i].t);
    free(c);
}

static index_ctx *index_ctx_new(int n, const eng_index *idx, eng_error *err)
{
    index_ctx *c = calloc(1, sizeof *c + (size_t)n * sizeof c->idx[0]);
    if (!c)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory recording an index"), NULL;
    c->n = n;
    for (int i = 0; i < n; i++) {
        c->idx[i] = idx[i];
        if (idx[i].kind != ENG_IDX_TENSOR)
            continue;
        c->advanced = 1;
        if (!(c->idx[i].t = eng_tensor_copy(idx[i].t, err))) {
            c->n = i;
            index_ctx_free(c);
            return NULL;
        }
    }
    return c;
}

/* Ints, slices, newaxis: the result was a view, so the same index applied to the (contiguous)
 * gradient buffer is a view of exactly the positions to add g into. */
static int index_basic_backward(eng_node *n, const index_ctx *c, const eng_tensor *g, eng_error *err)
{
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *v = eng_index_get(gx, c->n, c->idx, err);
    int rc = v ? eng_binary_inplace_raw(ENG_BIN_ADD, v, g, err) : ag_fail(err);
    eng_tensor_release(v);
    return rc;
}

/* 0, 1, ..., size-1 over shape, divided by `div` and reduced mod 2^24 (exact in float32). */
static eng_tensor *flat_positions(int ndim, const int64_t *shape, int64_t div, eng_error *err)
{
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t)
        return NULL;
    float *p = eng_tensor_data(t);
    for (int64_t i = 0; i < t->size; i++)
        p[i] = (float)((i / div) & ((1 << 24) - 1));
    return t;
}

/* Where each element of x[idx] came from, as flat row-major positions in x: the index applied
 * to a tensor of positions. float32 holds integers exactly up to 2^24, so larger tensors are
 * indexed twice (high and low 24 bits). *pos is malloc'd, out-sized. */
static int source_positions(const eng_tensor *x, const index_ctx *c, int64_t **pos, eng_error *err)
{
    int rc = ENG_OK;
    *pos = NULL;
    for (int part = 0; part < 2 && rc == ENG_OK; part++) {
        int64_t div = part ? (int64_t)1 << 24 : 1;
        if (part && x->size <= ((int64_t)1 << 24))
            break;
        eng_tensor *p = flat_positions(x->ndim, x->shape, div, err);
        eng_tensor *picked = p ? eng_index_get(p, c->n, c->idx, err) : NULL;
        eng_tensor_release(p);
        if (picked && !*pos && !(*pos = calloc((size_t)picked->size + 1, sizeof **pos)))
            eng_err(err, ENG_ERR_MEMORY, "out of memory in an index backward");
        if (!picked || !*pos) {
            eng_tensor_release(picked);
            return ag_fail(err);
        }
        const float *v = eng_tensor_data(picked);      /* a gather: fresh and contiguous */
        for (int64_t j = 0; j < picked->size; j++)
            (*pos)[j] += (int64_t)v[j] * div;
        eng_tensor_release(picked);
    }
    return rc;
}

/* A mask or integer array: scatter-add, g[j] into gx[pos[j]]. */
static int index_advanced_backward(eng_node *n, const index_ctx *c, const eng_tensor *g,
                                   eng_error *err)
{
    int64_t *pos;
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    int rc = source_positions(n->in[0], c, &pos, err);
    if (rc != ENG_OK)
        return rc;
    float *d = eng_tensor_data(gx);
    const float *pg = eng_tensor_data(g);
    for (int64_t j = 0; j < g->size; j++)
        d[pos[j]] += pg[j];
    free(pos);
    return ENG_OK;
}

/* node: in[0] x; ctx an index_ctx. */
static int index_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    const index_ctx *c = n->ctx;
    return c->advanced ? index_advanced_backward(n, c, g, err)
                       : index_basic_backward(n, c, g, err);
}

eng_tensor *eng_ag_index_get(eng_ag *ag, eng_tensor *t, int n, const eng_index *idx, eng_error *err)
{
    eng_node *node;
    eng_tensor *out = record_mover(ag, eng_index_get(t, n, idx, err), "index", index_backward,
                                   1, &t, &node, err);
    if (node && !(node->ctx = index_ctx_new(n, idx, err))) {
        eng_tensor_release(out);
        return NULL;
    }
    if (node)
        node->ctx_free = index_ctx_free;
    return out;
}
