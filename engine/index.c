/*
 * index.c -- t[...] reads and writes with Python/NumPy semantics.
 *
 * Two stages. First the "basic" indices (ints, slices, newaxis, ellipsis) become a view V:
 * only shape, strides and offset change, no element moves. If there is a tensor index, the dims
 * it covers are kept in V as they are and then a selection is built: the list of element
 * offsets (within those dims) that the mask or integer array picks, plus the shape those picks
 * form in the result. Reading gathers, for every pick, the block of the remaining dims; writing
 * scatters the (broadcast) value the same way.
 *
 * NumPy's placement rule for the picked dims is kept: they replace the covered dims in place,
 * unless integer indices and the tensor index are separated by a slice/newaxis/ellipsis, in
 * which case they move to the front (x[0, :, [1, 2]] has shape (2, n1)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

/* The basic view, as plain fields (made into a tensor only when needed). */
typedef struct vhead {
    int     ndim;
    int64_t shape[ENG_MAX_DIMS], strides[ENG_MAX_DIMS], offset;
} vhead;

/* The selection made by the tensor index, if any. */
typedef struct selection {
    int      present;
    int      vpos, ncover;              /* covered dims of V: [vpos, vpos + ncover) */
    int      rpos;                      /* where the picked dims go in the result */
    int      ndim;                      /* picked dims: 1 for a mask, index ndim for an array */
    int64_t  shape[ENG_MAX_DIMS];
    int64_t  count;                     /* picks = product of shape */
    int64_t *offs;                      /* count offsets into V (from V's offset), malloc'd */
} selection;

/* ---- basic indices ----------------------------------------------------------------------- */

/* Python's slice.indices(): clamps start/stop to the dim and counts the elements. */
static int64_t slice_adjust(const eng_index *ix, int64_t len, int64_t *start, int64_t *step)
{
    int64_t st = ix->has_step ? ix->step : 1, a, b;
    if (st < -INT64_MAX)                            /* as Python: keep -step representable */
        st = -INT64_MAX;
    if (ix->has_start) {
        a = ix->start;
        if (a < 0 && (a += len) < 0)
            a = st < 0 ? -1 : 0;
        else if (a >= len)
            a = st < 0 ? len - 1 : len;
    } else {
        a = st < 0 ? len - 1 : 0;
    }
    if (ix->has_stop) {
        b = ix->stop;
        if (b < 0 && (b += len) < 0)
            b = st < 0 ? -1 : 0;
        else if (b >= len)
            b = st < 0 ? len - 1 : len;
    } else {
        b = st < 0 ? -1 : len;
    }
    *start = a;
    *step = st;
    if (st < 0)
        return b < a ? (a - b - 1) / (-st) + 1 : 0;
    return a < b ? (b - a - 1) / st + 1 : 0;
}

/* A tensor index is a mask when it holds truth values (is_bool: a comparison's result) that
 * are all 0/1, with at least one dim. Whether its shape matches the dims it covers is checked
 * where those dims are known. */
static int mask_candidate(const eng_tensor *m)
{
    if (m->ndim == 0 || !m->is_bool)
        return 0;
    int ok = 1;
    eng_iter it;
    eng_iter_init(&it, 1, m->ndim, m->shape, (const int64_t *const[]){ m->strides });
    const float *p = eng_tensor_data(m);
    while (ok && eng_iter_next(&it))
        for (int64_t i = 0; i < it.n && ok; i++) {
            float v = p[it.off[0] + i * it.stride[0]];
            ok = v == 0.0f || v == 1.0f;
        }
    return ok;
}

/* Dims consumed by the indices (ellipsis excluded); ENG_ERR_INDEX for a second ellipsis or a
 * second tensor index. */
static int count_consumed(int n, const eng_index *idx, int mask_ok, int *consumed, eng_error *err)
{
    int c = 0, ell = 0, tens = 0;
    for (int i = 0; i < n; i++) {
        switch (idx[i].kind) {
        case ENG_IDX_INT: case ENG_IDX_SLICE: c++; break;
        case ENG_IDX_NEWAXIS: break;
        case ENG_IDX_ELLIPSIS:
            if (ell++)
                return eng_err(err, ENG_ERR_INDEX, "an index can only have a single "
                               "ellipsis ('...')");
            break;
        case ENG_IDX_TENSOR:
            if (tens++)
                return eng_err(err, ENG_ERR_INDEX, "only one tensor index is supported per "
                               "indexing operation");
            c += mask_ok && mask_candidate(idx[i].t) ? idx[i].t->ndim : 1;
            break;
        default:
            return eng_err(err, ENG_ERR_INDEX, "unknown index kind %d", (int)idx[i].kind);
        }
    }
    *consumed = c;
    return ENG_OK;
}

static int index_int(const eng_tensor *t, int dim, int64_t i, vhead *v, eng_error *err)
{
    int64_t len = t->shape[dim], j = i < 0 ? i + len : i;
    if (j < 0 || j >= len)
        return eng_err(err, ENG_ERR_INDEX, "index %lld is out of bounds for axis %d with size "
                       "%lld", (long long)i, dim, (long long)len);
    v->offset += j * t->strides[dim];
    return ENG_OK;
}

static int push_dim(vhead *v, int64_t size, int64_t stride, eng_error *err)
{
    if (v->ndim >= ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_INDEX, "indexing would give more than %d dimensions",
                       ENG_MAX_DIMS);
    v->shape[v->ndim] = size;
    v->strides[v->ndim++] = stride;
    return ENG_OK;
}

/* Do the ints and the tensor index sit next to each other in the index list? */
static int advanced_adjacent(int n, const eng_index *idx)
{
    int first = -1, last = -1, count = 0;
    for (int i = 0; i < n; i++)
        if (idx[i].kind == ENG_IDX_INT || idx[i].kind == ENG_IDX_TENSOR) {
            if (first < 0)
                first = i;
            last = i;
            count++;
        }
    return last - first + 1 == count;
}

/* The dims a tensor index covers stay in V as they are; the selection is made later. A mask
 * covers as many dims as it has, an integer array one. ENG_ERR_SHAPE (no message) when a 0/1
 * tensor does not match the dims it would cover, so the caller retries it as integers. */
static int view_tensor_dims(const eng_tensor *t, const eng_tensor *m, int mask_ok, int *dim,
                            vhead *v, selection *sel, int *is_mask, eng_error *err)
{
    int rc = ENG_OK;
    *is_mask = mask_ok && mask_candidate(m);
    sel->present = 1;
    sel->vpos = v->ndim;
    sel->ncover = *is_mask ? m->ndim : 1;
    for (int k = 0; k < sel->ncover && *is_mask; k++)
        if (m->shape[k] != t->shape[*dim + k])
            return ENG_ERR_SHAPE;
    for (int k = 0; k < sel->ncover && rc == ENG_OK; k++, (*dim)++)
        rc = push_dim(v, t->shape[*dim], t->strides[*dim], err);
    return rc;
}

/* Builds V from the basic indices and records where the tensor index sits (sel->vpos, ncover,
 * and whether it is a mask, in *is_mask). Returns ENG_ERR_SHAPE (internally, no message) when a
 * mask candidate's shape does not match its dims: the caller retries it as an integer array. */
static int build_view(const eng_tensor *t, int n, const eng_index *idx, int mask_ok, vhead *v,
                      selection *sel, int *is_mask, eng_error *err)
{
    int consumed, rc = count_consumed(n, idx, mask_ok, &consumed, err), dim = 0;
    if (rc != ENG_OK)
        return rc;
    if (consumed > t->ndim)
        return eng_err(err, ENG_ERR_INDEX, "too many indices for a tensor of %d dimension%s: "
                       "%d were given", t->ndim, t->ndim == 1 ? "" : "s", consumed);
    v->ndim = 0;
    v->offset = t->offset;
    for (int i = 0; i < n && rc == ENG_OK; i++) {
        const eng_index *ix = &idx[i];
        if (ix->kind == ENG_IDX_INT) {
            rc = index_int(t, dim++, ix->i, v, err);
        } else if (ix->kind == ENG_IDX_SLICE) {
            int64_t start, step, len;
            if (ix->has_step && ix->step == 0)
                return eng_err(err, ENG_ERR_VALUE, "slice step cannot be zero");
            len = slice_adjust(ix, t->shape[dim], &start, &step);
            if (len > 0)
                v->offset += start * t->strides[dim];
            /* With len <= 1 the stride is never used (and stride * a huge step could overflow). */
            rc = push_dim(v, len, len > 1 ? t->strides[dim] * step : t->strides[dim], err);
            dim++;
        } else if (ix->kind == ENG_IDX_NEWAXIS) {
            rc = push_dim(v, 1, 0, err);
        } else if (ix->kind == ENG_IDX_ELLIPSIS) {
            for (int k = consumed; k < t->ndim && rc == ENG_OK; k++, dim++)
                rc = push_dim(v, t->shape[dim], t->strides[dim], err);
        } else {                                       /* ENG_IDX_TENSOR */
            rc = view_tensor_dims(t, ix->t, mask_ok, &dim, v, sel, is_mask, err);
        }
    }
    while (rc == ENG_OK && dim < t->ndim) {
        rc = push_dim(v, t->shape[dim], t->strides[dim], err);
        dim++;
    }
    if (sel->present)
        sel->rpos = advanced_adjacent(n, idx) ? sel->vpos : 0;
    return rc;
}

/* ---- selections -------------------------------------------------------------------------- */

/* Offsets (relative to V) of the nonzero mask elements, in row-major order. */
static int select_mask(const eng_tensor *mask, const vhead *v, selection *sel, eng_error *err)
{
    eng_tensor *m = eng_tensor_contiguous((eng_tensor *)mask, err);
    if (!m)
        return ENG_ERR_MEMORY;
    const float *p = eng_tensor_data(m);
    int64_t count = 0, idx[ENG_MAX_DIMS] = { 0 };
    for (int64_t i = 0; i < m->size; i++)
        count += p[i] != 0.0f;
    sel->offs = malloc((size_t)(count ? count : 1) * sizeof(int64_t));
    if (!sel->offs) {
        eng_tensor_release(m);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory selecting with a mask");
    }
    int64_t off = 0, j = 0;
    for (int64_t i = 0; i < m->size; i++) {
        if (p[i] != 0.0f)
            sel->offs[j++] = off;
        for (int d = m->ndim - 1; d >= 0; d--) {       /* odometer over the mask dims */
            off += v->strides[sel->vpos + d];
            if (++idx[d] < m->shape[d])
                break;
            off -= v->strides[sel->vpos + d] * m->shape[d];
            idx[d] = 0;
        }
    }
    sel->ndim = 1;
    sel->shape[0] = sel->count = count;
    eng_tensor_release(m);
    return ENG_OK;
}

/* Offsets picked by an integer array along V's dim vpos (input axis `axis`). */
static int select_ints(const eng_tensor *ix, const vhead *v, int axis, selection *sel,
                       eng_error *err)
{
    eng_tensor *c = eng_tensor_contiguous((eng_tensor *)ix, err);
    if (!c)
        return ENG_ERR_MEMORY;
    sel->offs = malloc((size_t)(c->size ? c->size : 1) * sizeof(int64_t));
    if (!sel->offs) {
        eng_tensor_release(c);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory selecting with an index tensor");
    }
    const float *p = eng_tensor_data(c);
    int64_t len = v->shape[sel->vpos];
    int rc = ENG_OK;
    for (int64_t i = 0; i < c->size && rc == ENG_OK; i++) {
        float f = p[i];
        if (f != floorf(f) || fabsf(f) > 9.0e15f) {      /* NaN fails the first test */
            rc = eng_err(err, ENG_ERR_TYPE, "tensors used as indices must hold integers (or "
                         "be 0/1 masks), got %g", (double)f);
            break;
        }
        int64_t k = (int64_t)f, j = k < 0 ? k + len : k;
        if (j < 0 || j >= len)
            rc = eng_err(err, ENG_ERR_INDEX, "index %lld is out of bounds for axis %d with "
                         "size %lld", (long long)k, axis, (long long)len);
        else
            sel->offs[i] = j * v->strides[sel->vpos];
    }
    sel->ndim = c->ndim;
    memcpy(sel->shape, c->shape, sizeof sel->shape);
    sel->count = c->size;
    eng_tensor_release(c);
    return rc;
}

/* The input axis that V's dim vpos came from: count dims consumed before the tensor index. */
static int input_axis_of_tensor(const eng_tensor *t, int n, const eng_index *idx, int consumed)
{
    int dim = 0;
    for (int i = 0; i < n && idx[i].kind != ENG_IDX_TENSOR; i++) {
        if (idx[i].kind == ENG_IDX_INT || idx[i].kind == ENG_IDX_SLICE)
            dim++;
        else if (idx[i].kind == ENG_IDX_ELLIPSIS)
            dim += t->ndim - consumed;
    }
    return dim;
}

/* Everything eng_index_get/set need: V, the selection, the result shape. */
typedef struct plan {
    vhead     v;
    selection sel;
    int       rndim;                    /* result dims */
    int64_t   rshape[ENG_MAX_DIMS];
    int       rest_ndim;                /* V dims not covered by the selection */
    int64_t   rest_shape[ENG_MAX_DIMS], rest_strides[ENG_MAX_DIMS];
} plan;

static void plan_free(plan *p)
{
    free(p->sel.offs);
}

/* Result shape: rest dims with the picked dims inserted at rpos. */
static int plan_result(plan *p, eng_error *err)
{
    const vhead *v = &p->v;
    const selection *s = &p->sel;
    p->rest_ndim = 0;
    for (int d = 0; d < v->ndim; d++)
        if (!s->present || d < s->vpos || d >= s->vpos + s->ncover) {
            p->rest_shape[p->rest_ndim] = v->shape[d];
            p->rest_strides[p->rest_ndim++] = v->strides[d];
        }
    if (!s->present) {
        p->rndim = v->ndim;
        memcpy(p->rshape, v->shape, sizeof p->rshape);
        return ENG_OK;
    }
    int r = 0;
    if (p->rest_ndim + s->ndim > ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_INDEX, "indexing would give more than %d dimensions",
                       ENG_MAX_DIMS);
    for (int d = 0; d <= p->rest_ndim; d++) {
        if (d == s->rpos)
            for (int k = 0; k < s->ndim; k++)
                p->rshape[r++] = s->shape[k];
        if (d < p->rest_ndim)
            p->rshape[r++] = p->rest_shape[d];
    }
    p->rndim = r;
    return ENG_OK;
}

static int make_plan(const eng_tensor *t, int n, const eng_index *idx, plan *p, eng_error *err)
{
    int is_mask = 0, rc;
    memset(p, 0, sizeof *p);
    if (n < 0)
        return eng_err(err, ENG_ERR_INDEX, "bad number of indices %d", n);
    rc = build_view(t, n, idx, 1, &p->v, &p->sel, &is_mask, err);
    if (rc == ENG_ERR_SHAPE) {                  /* 0/1 tensor of another shape: integers */
        memset(p, 0, sizeof *p);
        rc = build_view(t, n, idx, 0, &p->v, &p->sel, &is_mask, err);
    }
    if (rc != ENG_OK)
        return rc;
    if (p->sel.present) {
        const eng_tensor *ti = NULL;
        int consumed = 0;
        for (int i = 0; i < n; i++)
            if (idx[i].kind == ENG_IDX_TENSOR)
                ti = idx[i].t;
        count_consumed(n, idx, is_mask, &consumed, NULL);
        rc = is_mask ? select_mask(ti, &p->v, &p->sel, err)
                     : select_ints(ti, &p->v, input_axis_of_tensor(t, n, idx, consumed),
                                   &p->sel, err);
    }
    if (rc == ENG_OK)
        rc = plan_result(p, err);
    if (rc != ENG_OK)
        plan_free(p);
    return rc;
}

/* Strides of the result dims other than the picked ones, and the stride of one pick. */
static int64_t result_rest_strides(const plan *p, const int64_t *rstrides, int64_t *rest)
{
    const selection *s = &p->sel;
    for (int d = 0, k = 0; d < p->rndim; d++)
        if (d < s->rpos || d >= s->rpos + s->ndim)
            rest[k++] = rstrides[d];
    return s->ndim ? rstrides[s->rpos + s->ndim - 1] : 0;
}

/* ---- get --------------------------------------------------------------------------------- */

static eng_tensor *gather(eng_tensor *t, const plan *p, eng_error *err)
{
    int64_t size;
    if (eng_shape_check(p->rndim, p->rshape, &size, err) != ENG_OK)
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(p->rndim, p->rshape, size, err);
    if (!out || size == 0)
        return out;
    int64_t dst_rest[ENG_MAX_DIMS];
    int64_t pick = result_rest_strides(p, out->strides, dst_rest);
    const float *src = t->storage->data + p->v.offset;
    float *dst = out->storage->data;
    if (p->rest_ndim == 0) {                    /* t[mask]: one element per pick */
        for (int64_t j = 0; j < p->sel.count; j++)
            dst[j] = src[p->sel.offs[j]];
        return out;
    }
    for (int64_t j = 0; j < p->sel.count; j++)
        eng_copy_strided(p->rest_ndim, p->rest_shape, dst + j * pick, dst_rest,
                         src + p->sel.offs[j], p->rest_strides);
    return out;
}

eng_tensor *eng_index_get(eng_tensor *t, int n, const eng_index *idx, eng_error *err)
{
    plan p;
    if (make_plan(t, n, idx, &p, err) != ENG_OK)
        return NULL;
    eng_tensor *r;
    if (p.sel.present) {
        r = gather(t, &p, err);
    } else if ((r = eng_view_of(t, err)) != NULL) {
        r->ndim = p.v.ndim;
        r->offset = p.v.offset;
        r->size = 1;
        for (int d = 0; d < p.v.ndim; d++) {
            r->shape[d] = p.v.shape[d];
            r->strides[d] = p.v.strides[d];
            r->size *= p.v.shape[d];
        }
    }
    plan_free(&p);
    return r;
}

/* ---- set --------------------------------------------------------------------------------- */

/* Offset into the broadcast value of pick j: j unravelled over the picked dims. */
static int64_t value_pick_offset(const plan *p, const int64_t *vstrides, int64_t j)
{
    int64_t off = 0;
    for (int k = p->sel.ndim - 1; k >= 0; k--) {
        off += (j % p->sel.shape[k]) * vstrides[p->sel.rpos + k];
        j /= p->sel.shape[k];
    }
    return off;
}

static void scatter(eng_tensor *t, const plan *p, const eng_tensor *value, const int64_t *vs)
{
    float *dst = t->storage->data + p->v.offset;
    const float *src = eng_tensor_data(value);
    if (!p->sel.present) {
        eng_copy_strided(p->v.ndim, p->v.shape, dst, p->v.strides, src, vs);
        return;
    }
    int64_t src_rest[ENG_MAX_DIMS];
    result_rest_strides(p, vs, src_rest);
    for (int64_t j = 0; j < p->sel.count; j++) {
        const float *s = src + value_pick_offset(p, vs, j);
        if (p->rest_ndim == 0)
            dst[p->sel.offs[j]] = *s;
        else
            eng_copy_strided(p->rest_ndim, p->rest_shape, dst + p->sel.offs[j],
                             p->rest_strides, s, src_rest);
    }
}

int eng_index_set(eng_tensor *t, int n, const eng_index *idx, const eng_tensor *value,
                  eng_error *err)
{
    plan p;
    int64_t vs[ENG_MAX_DIMS];
    int rc = make_plan(t, n, idx, &p, err);
    if (rc != ENG_OK)
        return rc;
    if (eng_broadcast_strides(value, p.rndim, p.rshape, vs, NULL) != ENG_OK) {
        char bv[ENG_SHAPE_BUF], br[ENG_SHAPE_BUF];
        rc = eng_err(err, ENG_ERR_SHAPE, "cannot assign a tensor of shape %s to a selection "
                     "of shape %s", eng_shape_format(value->ndim, value->shape, bv, sizeof bv),
                     eng_shape_format(p.rndim, p.rshape, br, sizeof br));
        plan_free(&p);
        return rc;
    }
    /* t[1:] = t[:-1]: read the value before any of it is overwritten. */
    eng_tensor *copy = NULL;
    if (eng_may_overlap(t, value)) {
        copy = eng_tensor_copy(value, err);
        if (!copy) {
            plan_free(&p);
            return ENG_ERR_MEMORY;
        }
        eng_broadcast_strides(copy, p.rndim, p.rshape, vs, NULL);
        value = copy;
    }
    scatter(t, &p, value, vs);
    eng_tensor_bump_version(t);         /* autograd's in-place check (engine.h) */
    eng_tensor_release(copy);
    plan_free(&p);
    return ENG_OK;
}

int eng_index_set_scalar(eng_tensor *t, int n, const eng_index *idx, float v, eng_error *err)
{
    /* A 0-d tensor on the stack: no allocation for `t[i] = v`. */
    float data = v;
    eng_storage st = { .refcount = 1, .size = 1, .data = &data, .block = NULL };
    eng_tensor s = { .refcount = 1, .ndim = 0, .size = 1, .offset = 0, .storage = &st };
    return eng_index_set(t, n, idx, &s, err);
}
