/*
 * iter.c -- broadcasting and the strided n-d iterator.
 *
 * Every kernel that may see views (transposes, slices, broadcast operands with stride 0) walks
 * its operands with eng_iter: the index space is cut into rows along the innermost dimension,
 * and the kernel runs a plain 1-d loop per row. Coalescing adjacent dimensions first means a
 * contiguous tensor of any shape is a single row, so the 1-d loops see long runs.
 */
#include <string.h>

#include "engine/engine_internal.h"

int eng_broadcast_shapes(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
                         int64_t *out, eng_error *err)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {              /* i counts from the right */
        int64_t da = i < na ? sa[na - 1 - i] : 1, db = i < nb ? sb[nb - 1 - i] : 1;
        if (da != db && da != 1 && db != 1) {
            char ba[ENG_SHAPE_BUF], bb[ENG_SHAPE_BUF];
            return eng_err(err, ENG_ERR_SHAPE, "cannot broadcast shapes %s and %s",
                           eng_shape_format(na, sa, ba, sizeof ba),
                           eng_shape_format(nb, sb, bb, sizeof bb));
        }
        out[n - 1 - i] = da == 1 ? db : da;
    }
    *nout = n;
    return ENG_OK;
}

int eng_broadcast_strides(const eng_tensor *t, int ndim, const int64_t *shape, int64_t *strides,
                          eng_error *err)
{
    int lead = ndim - t->ndim;
    int ok = lead >= 0;
    for (int d = 0; d < ndim && ok; d++) {
        int td = d - lead;
        if (td < 0)
            strides[d] = 0;
        else if (t->shape[td] == shape[d])
            strides[d] = t->shape[td] == 1 ? 0 : t->strides[td];
        else if (t->shape[td] == 1)
            strides[d] = 0;
        else
            ok = 0;
    }
    if (!ok) {
        char ba[ENG_SHAPE_BUF], bb[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "cannot broadcast shapes %s and %s",
                       eng_shape_format(t->ndim, t->shape, ba, sizeof ba),
                       eng_shape_format(ndim, shape, bb, sizeof bb));
    }
    return ENG_OK;
}

/* Dims whose size is 1 are dropped; dim d merges into the dim before it when every operand
 * steps over that dim exactly as far as over the whole of d. Returns the dims left (into sh, st)
 * and the total element count in *total. */
static int coalesce(int nops, int ndim, const int64_t *shape, const int64_t *const *strides,
                    int64_t *sh, int64_t (*st)[ENG_MAX_DIMS], int64_t *total)
{
    int n = 0;
    *total = 1;
    for (int d = 0; d < ndim; d++) {
        *total *= shape[d];
        if (shape[d] == 1)
            continue;
        int merge = n > 0;
        for (int k = 0; k < nops && merge; k++)
            merge = st[k][n - 1] == strides[k][d] * shape[d];
        if (merge) {
            sh[n - 1] *= shape[d];
            for (int k = 0; k < nops; k++)
                st[k][n - 1] = strides[k][d];
        } else {
            sh[n] = shape[d];
            for (int k = 0; k < nops; k++)
                st[k][n] = strides[k][d];
            n++;
        }
    }
    return n;
}

void eng_iter_init(eng_iter *it, int nops, int ndim, const int64_t *shape,
                   const int64_t *const *strides)
{
    int64_t sh[ENG_MAX_DIMS], st[ENG_ITER_MAX_OPS][ENG_MAX_DIMS], total;
    int n = coalesce(nops, ndim, shape, strides, sh, st, &total);
    memset(it, 0, sizeof *it);
    it->nops = nops;
    if (n == 0) {                              /* a scalar, or all dims of size 1 */
        it->n = 1;
        it->rows_left = total;                 /* 1, or 0 for an empty tensor */
        return;
    }
    /* The innermost remaining dim is the row; the others are walked by eng_iter_next. */
    it->n = sh[n - 1];
    for (int k = 0; k < nops; k++)
        it->stride[k] = st[k][n - 1];
    it->ndim = n - 1;
    int64_t rows = 1;
    for (int d = 0; d < n - 1; d++) {
        it->shape[d] = sh[d];
        rows *= sh[d];
        for (int k = 0; k < nops; k++)
            it->strides[k][d] = st[k][d];
    }
    it->rows_left = total == 0 ? 0 : rows;
}

/* Moves to the next row: an odometer over the outer dims, offsets updated incrementally. */
static void iter_advance(eng_iter *it)
{
    for (int d = it->ndim - 1; d >= 0; d--) {
        if (++it->idx[d] < it->shape[d]) {
            for (int k = 0; k < it->nops; k++)
                it->off[k] += it->strides[k][d];
            return;
        }
        it->idx[d] = 0;
        for (int k = 0; k < it->nops; k++)
            it->off[k] -= it->strides[k][d] * (it->shape[d] - 1);
    }
}

int eng_iter_next(eng_iter *it)
{
    if (it->rows_left <= 0)
        return 0;
    if (it->started)
        iter_advance(it);
    it->started = 1;
    it->rows_left--;
    return 1;
}

static void copy_row(int64_t n, float *dst, int64_t ds, const float *src, int64_t ss)
{
    if (ds == 1 && ss == 1) {
        memmove(dst, src, (size_t)n * sizeof(float));
    } else if (ds == 1 && ss == 0) {
        float v = src[0];
        for (int64_t i = 0; i < n; i++)
            dst[i] = v;
    } else {
        for (int64_t i = 0; i < n; i++)
            dst[i * ds] = src[i * ss];
    }
}

void eng_copy_strided(int ndim, const int64_t *shape, float *dst, const int64_t *dst_strides,
                      const float *src, const int64_t *src_strides)
{
    eng_iter it;
    eng_iter_init(&it, 2, ndim, shape, (const int64_t *const[]){ dst_strides, src_strides });
    while (eng_iter_next(&it))
        copy_row(it.n, dst + it.off[0], it.stride[0], src + it.off[1], it.stride[1]);
}

int eng_may_overlap(const eng_tensor *a, const eng_tensor *b)
{
    return a->storage == b->storage;
}

int eng_axis_normalize(int axis, int ndim, int *out, eng_error *err)
{
    if (axis < -ndim || axis >= ndim)
        return eng_err(err, ENG_ERR_INDEX, "axis %d is out of bounds for a tensor of %d "
                       "dimension%s", axis, ndim, ndim == 1 ? "" : "s");
    *out = axis < 0 ? axis + ndim : axis;
    return ENG_OK;
}
