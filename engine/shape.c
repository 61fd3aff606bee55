/*
 * shape.c -- ops that rearrange elements without computing on them: reshape, transpose,
 * flatten, expand_dims (views where possible), concat, stack and one_hot (copies).
 */
#include <math.h>
#include <string.h>

#include "engine/engine_internal.h"

/* ---- reshape ----------------------------------------------------------------------------- */

/* Resolves one -1 in shape against size into out. The message names the shape as given. */
static int reshape_target(const eng_tensor *t, int ndim, const int64_t *shape, int64_t *out,
                          eng_error *err)
{
    char buf[ENG_SHAPE_BUF];
    int unknown = -1;
    int64_t known = 1;
    if (ndim < 0 || ndim > ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "a tensor can have 0 to %d dimensions, not %d",
                       ENG_MAX_DIMS, ndim);
    for (int d = 0; d < ndim; d++) {
        out[d] = shape[d];
        if (shape[d] == -1 && unknown < 0) {
            unknown = d;
        } else if (shape[d] == -1) {
            return eng_err(err, ENG_ERR_VALUE, "can only specify one unknown dimension (-1) "
                           "in reshape %s", eng_shape_format(ndim, shape, buf, sizeof buf));
        } else if (shape[d] < 0) {
            return eng_err(err, ENG_ERR_VALUE, "negative dimensions are not allowed: %s",
                           eng_shape_format(ndim, shape, buf, sizeof buf));
        } else if (known > 0 && shape[d] > t->size / known + 1) {
            known = t->size + 1;          /* too big already: cannot match; avoid overflow */
        } else {
            known *= shape[d];
        }
    }
    if (unknown >= 0 && known > 0 && t->size % known == 0)
        out[unknown] = t->size / known;
    else if (unknown >= 0 || known != t->size)
        return eng_err(err, ENG_ERR_SHAPE, "cannot reshape a tensor of %lld element%s into "
                       "shape %s", (long long)t->size, t->size == 1 ? "" : "s",
                       eng_shape_format(ndim, shape, buf, sizeof buf));
    return ENG_OK;
}

eng_tensor *eng_reshape(eng_tensor *t, int ndim, const int64_t *shape, eng_error *err)
{
    int64_t target[ENG_MAX_DIMS];
    if (reshape_target(t, ndim, shape, target, err) != ENG_OK)
        return NULL;
    eng_tensor *r = eng_tensor_is_contiguous(t) ? eng_view_of(t, err) : eng_tensor_copy(t, err);
    if (!r)
        return NULL;
    r->ndim = ndim;
    memcpy(r->shape, target, (size_t)ndim * sizeof(int64_t));
    eng_contiguous_strides(ndim, target, r->strides);
    return r;
}

eng_tensor *eng_flatten(eng_tensor *t, eng_error *err)
{
    return eng_reshape(t, 1, &t->size, err);
}

/* ---- transpose and expand_dims ----------------------------------------------------------- */

eng_tensor *eng_transpose(eng_tensor *t, const int *perm, eng_error *err)
{
    int axes[ENG_MAX_DIMS], seen[ENG_MAX_DIMS] = { 0 };
    for (int d = 0; d < t->ndim; d++) {
        if (!perm) {
            axes[d] = t->ndim - 1 - d;
        } else if (eng_axis_normalize(perm[d], t->ndim, &axes[d], err) != ENG_OK) {
            return NULL;
        }
        if (seen[axes[d]]++)
            return eng_err(err, ENG_ERR_VALUE, "repeated axis %d in transpose", perm[d]), NULL;
    }
    eng_tensor *v = eng_view_of(t, err);
    if (!v)
        return NULL;
    for (int d = 0; d < t->ndim; d++) {
        v->shape[d] = t->shape[axes[d]];
        v->strides[d] = t->strides[axes[d]];
    }
    return v;
}

eng_tensor *eng_expand_dims(eng_tensor *t, int axis, eng_error *err)
{
    int ax;
    if (t->ndim >= ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "a tensor can have at most %d dimensions",
                       ENG_MAX_DIMS), NULL;
    if (eng_axis_normalize(axis, t->ndim + 1, &ax, err) != ENG_OK)
        return NULL;
    eng_tensor *v = eng_view_of(t, err);
    if (!v)
        return NULL;
    for (int d = t->ndim; d > ax; d--) {
        v->shape[d] = t->shape[d - 1];
        v->strides[d] = t->strides[d - 1];
    }
    v->shape[ax] = 1;
    v->strides[ax] = ax < t->ndim ? t->strides[ax] * t->shape[ax] : 1;
    v->ndim = t->ndim + 1;
    return v;
}

/* ---- concat and stack -------------------------------------------------------------------- */

/* Every ts[i] must have ts[0]'s ndim and its sizes except along `axis` (-1: all sizes). */
static int check_same_dims(int n, eng_tensor *const *ts, int axis, const char *what,
                           eng_error *err)
{
    char b0[ENG_SHAPE_BUF], bi[ENG_SHAPE_BUF];
    const eng_tensor *t0 = ts[0];
    for (int i = 1; i < n; i++) {
        const eng_tensor *t = ts[i];
        int bad_dim = -1;
        for (int d = 0; d < t0->ndim && t->ndim == t0->ndim && bad_dim < 0; d++)
            if (d != axis && t->shape[d] != t0->shape[d])
                bad_dim = d;
        if (t->ndim == t0->ndim && bad_dim < 0)
            continue;
        eng_shape_format(t0->ndim, t0->shape, b0, sizeof b0);
        eng_shape_format(t->ndim, t->shape, bi, sizeof bi);
        if (t->ndim != t0->ndim)
            return eng_err(err, ENG_ERR_SHAPE, "cannot %s %s and %s: they have %d and %d "
                           "dimensions", what, b0, bi, t0->ndim, t->ndim);
        if (axis < 0)
            return eng_err(err, ENG_ERR_SHAPE, "cannot %s %s and %s: all shapes must be equal",
                           what, b0, bi);
        return eng_err(err, ENG_ERR_SHAPE, "cannot %s %s and %s along axis %d: dimension %d "
                       "has sizes %lld and %lld", what, b0, bi, axis, bad_dim,
                       (long long)t0->shape[bad_dim], (long long)t->shape[bad_dim]);
    }
    return ENG_OK;
}

eng_tensor *eng_concat(int n, eng_tensor *const *ts, int axis, eng_error *err)
{
    int ax;
    if (n < 1)
        return eng_err(err, ENG_ERR_VALUE, "concat needs at least one tensor"), NULL;
    if (ts[0]->ndim == 0)
        return eng_err(err, ENG_ERR_SHAPE, "cannot concat 0-d tensors (use stack)"), NULL;
    if (eng_axis_normalize(axis, ts[0]->ndim, &ax, err) != ENG_OK
        || check_same_dims(n, ts, ax, "concat", err) != ENG_OK)
        return NULL;
    int64_t shape[ENG_MAX_DIMS], size;
    memcpy(shape, ts[0]->shape, sizeof shape);
    shape[ax] = 0;
    for (int i = 0; i < n; i++)
        shape[ax] += ts[i]->shape[ax];
    if (eng_shape_check(ts[0]->ndim, shape, &size, err) != ENG_OK)
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(ts[0]->ndim, shape, size, err);
    if (!out)
        return NULL;
    /* Each input lands at its running position along ax. */
    int64_t pos = 0;
    for (int i = 0; i < n; i++) {
        const eng_tensor *t = ts[i];
        if (t->size)
            eng_copy_strided(t->ndim, t->shape, out->storage->data + pos * out->strides[ax],
                             out->strides, eng_tensor_data(t), t->strides);
        pos += t->shape[ax];
    }
    return out;
}

eng_tensor *eng_stack(int n, eng_tensor *const *ts, int axis, eng_error *err)
{
    int ax;
    if (n < 1)
        return eng_err(err, ENG_ERR_VALUE, "stack needs at least one tensor"), NULL;
    int ndim = ts[0]->ndim;
    if (ndim >= ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "a tensor can have at most %d dimensions",
                       ENG_MAX_DIMS), NULL;
    if (eng_axis_normalize(axis, ndim + 1, &ax, err) != ENG_OK
        || check_same_dims(n, ts, -1, "stack", err) != ENG_OK)
        return NULL;
    int64_t shape[ENG_MAX_DIMS], size;
    for (int d = 0, s = 0; d <= ndim; d++)
        shape[d] = d == ax ? n : ts[0]->shape[s++];
    if (eng_shape_check(ndim + 1, shape, &size, err) != ENG_OK)
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(ndim + 1, shape, size, err);
    if (!out)
        return NULL;
    int64_t dst_strides[ENG_MAX_DIMS];          /* out's strides without the new axis */
    for (int d = 0, s = 0; d <= ndim; d++)
        if (d != ax)
            dst_strides[s++] = out->strides[d];
    for (int i = 0; i < n; i++)        /* input i is the slice i along ax */
        if (ts[i]->size)
            eng_copy_strided(ndim, ts[i]->shape, out->storage->data + i * out->strides[ax],
                             dst_strides, eng_tensor_data(ts[i]), ts[i]->strides);
    return out;
}

/* ---- one_hot ----------------------------------------------------------------------------- */

eng_tensor *eng_one_hot(eng_tensor *labels, int64_t n_classes, eng_error *err)
{
    if (n_classes < 1)
        return eng_err(err, ENG_ERR_VALUE, "one_hot needs at least 1 class, got %lld",
                       (long long)n_classes), NULL;
    if (labels->ndim >= ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "a tensor can have at most %d dimensions",
                       ENG_MAX_DIMS), NULL;
    int64_t shape[ENG_MAX_DIMS];
    memcpy(shape, labels->shape, (size_t)labels->ndim * sizeof(int64_t));
    shape[labels->ndim] = n_classes;
    eng_tensor *lab = eng_tensor_contiguous(labels, err);
    eng_tensor *out = lab ? eng_tensor_new(labels->ndim + 1, shape, err) : NULL;
    if (!out) {
        eng_tensor_release(lab);
        return NULL;
    }
    const float *pl = eng_tensor_data(lab);
    for (int64_t i = 0; i < lab->size; i++) {
        float v = pl[i];
        if (v != floorf(v) || v < 0.0f || v >= (float)n_classes) {
            if (v != floorf(v))
                eng_err(err, ENG_ERR_VALUE, "one_hot: label %g is not an integer", (double)v);
            else
                eng_err(err, ENG_ERR_VALUE, "one_hot: label %g is out of range for %lld classes",
                        (double)v, (long long)n_classes);
            eng_tensor_release(out);
            eng_tensor_release(lab);
            return NULL;
        }
        out->storage->data[i * n_classes + (int64_t)v] = 1.0f;
    }
    eng_tensor_release(lab);
    return out;
}
