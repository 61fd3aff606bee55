/*
 * matmul.c -- matrix products with NumPy's matmul rules, on cblas_sgemm, plus the naive
 * reference kernel the BLAS path is tested against.
 *
 * Shapes (numpy.matmul): a (..., n, k) @ b (..., k, m) -> (..., n, m), the leading "batch" dims
 * broadcast. A 1-d a (k,) is treated as (1, k) and a 1-d b (k,) as (k, 1); the added dim is
 * dropped from the result, so (k,) @ (k,) is a 0-d dot product.
 *
 * Strides: sgemm reads a matrix whose rows or columns are dense (row stride >= cols and col
 * stride 1, or the transpose), so a transposed view (w.T) goes to BLAS without a copy; any other
 * layout is copied to contiguous first.
 */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "engine/engine_internal.h"

/* Everything both kernels need: sizes, per-matrix strides and the batch layout. */
typedef struct mm_plan {
    int64_t n, k, m;
    int64_t a_rs, a_cs, b_rs, b_cs;             /* row / column strides of one matrix */
    int     batch_ndim;
    int64_t batch[ENG_MAX_DIMS];
    int64_t a_bs[ENG_MAX_DIMS], b_bs[ENG_MAX_DIMS], o_bs[ENG_MAX_DIMS];  /* batch strides */
    int     out_ndim;
    int64_t out_shape[ENG_MAX_DIMS];
    int64_t out_size;
} mm_plan;

static int inner_mismatch(const eng_tensor *a, const eng_tensor *b, int64_t ka, int64_t kb,
                          eng_error *err)
{
    char ba[ENG_SHAPE_BUF], bb[ENG_SHAPE_BUF], bt[ENG_SHAPE_BUF];
    int64_t ts[ENG_MAX_DIMS];
    eng_err(err, ENG_ERR_SHAPE, "cannot matmul %s @ %s: inner sizes %lld and %lld differ",
            eng_shape_format(a->ndim, a->shape, ba, sizeof ba),
            eng_shape_format(b->ndim, b->shape, bb, sizeof bb), (long long)ka, (long long)kb);
    if (b->ndim >= 2 && b->shape[b->ndim - 1] == ka) {
        memcpy(ts, b->shape, sizeof ts);
        ts[b->ndim - 1] = b->shape[b->ndim - 2];
        ts[b->ndim - 2] = b->shape[b->ndim - 1];
        eng_err_hint(err, "the right operand transposed has shape %s",
                     eng_shape_format(b->ndim, ts, bt, sizeof bt));
    } else if (a->ndim >= 2 && a->shape[a->ndim - 2] == kb) {
        memcpy(ts, a->shape, sizeof ts);
        ts[a->ndim - 1] = a->shape[a->ndim - 2];
        ts[a->ndim - 2] = a->shape[a->ndim - 1];
        eng_err_hint(err, "the left operand transposed has shape %s",
                     eng_shape_format(a->ndim, ts, bt, sizeof bt));
    }
    return ENG_ERR_SHAPE;
}

/* Batch dims of both operands broadcast together; strides 0 where an operand is broadcast. */
static int plan_batch(const eng_tensor *a, const eng_tensor *b, mm_plan *p, eng_error *err)
{
    int na = a->ndim > 2 ? a->ndim - 2 : 0, nb = b->ndim > 2 ? b->ndim - 2 : 0;
    if (eng_broadcast_shapes(na, a->shape, nb, b->shape, &p->batch_ndim, p->batch, NULL)
        != ENG_OK) {
        char ba[ENG_SHAPE_BUF], bb[ENG_SHAPE_BUF], x[ENG_SHAPE_BUF], y[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "cannot matmul %s @ %s: batch shapes %s and %s do "
                       "not broadcast", eng_shape_format(a->ndim, a->shape, ba, sizeof ba),
                       eng_shape_format(b->ndim, b->shape, bb, sizeof bb),
                       eng_shape_format(na, a->shape, x, sizeof x),
                       eng_shape_format(nb, b->shape, y, sizeof y));
    }
    int nd = p->batch_ndim;
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - na), db = d - (nd - nb);
        p->a_bs[d] = da >= 0 && a->shape[da] != 1 ? a->strides[da] : 0;
        p->b_bs[d] = db >= 0 && b->shape[db] != 1 ? b->strides[db] : 0;
    }
    return ENG_OK;
}

static int plan_matmul(const eng_tensor *a, const eng_tensor *b, mm_plan *p, eng_error *err)
{
    memset(p, 0, sizeof *p);
    if (a->ndim == 0 || b->ndim == 0) {
        char ba[ENG_SHAPE_BUF], bb[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "cannot matmul %s @ %s: matmul needs tensors with "
                       "at least 1 dimension (use * for scalars)",
                       eng_shape_format(a->ndim, a->shape, ba, sizeof ba),
                       eng_shape_format(b->ndim, b->shape, bb, sizeof bb));
    }
    int ad = a->ndim, bd = b->ndim;
    p->n = ad == 1 ? 1 : a->shape[ad - 2];
    p->k = a->shape[ad - 1];
    p->a_rs = ad == 1 ? 0 : a->strides[ad - 2];
    p->a_cs = a->strides[ad - 1];
    int64_t kb = bd == 1 ? b->shape[0] : b->shape[bd - 2];
    p->m = bd == 1 ? 1 : b->shape[bd - 1];
    p->b_rs = bd == 1 ? b->strides[0] : b->strides[bd - 2];
    p->b_cs = bd == 1 ? 0 : b->strides[bd - 1];
    if (kb != p->k)
        return inner_mismatch(a, b, p->k, kb, err);
    if (plan_batch(a, b, p, err) != ENG_OK)
        return ENG_ERR_SHAPE;
    memcpy(p->out_shape, p->batch, sizeof p->batch);
    p->out_ndim = p->batch_ndim;
    if (ad > 1)
        p->out_shape[p->out_ndim++] = p->n;
    if (bd > 1)
        p->out_shape[p->out_ndim++] = p->m;
    if (eng_shape_check(p->out_ndim, p->out_shape, &p->out_size, err) != ENG_OK)
        return ENG_ERR_MEMORY;
    int64_t st = p->n * p->m;                   /* out is contiguous: batch i at i * n * m */
    for (int d = p->batch_ndim - 1; d >= 0; d--) {
        p->o_bs[d] = st;
        st *= p->batch[d];
    }
    return ENG_OK;
}

/* Calls fn for every matrix of the batch with the offsets of a, b and out. */
typedef void mm_fn(const mm_plan *p, const float *a, const float *b, float *o);

static void for_each_batch(const mm_plan *p, const float *a, const float *b, float *o, mm_fn *fn)
{
    eng_iter it;
    eng_iter_init(&it, 3, p->batch_ndim, p->batch,
                  (const int64_t *const[]){ p->a_bs, p->b_bs, p->o_bs });
    while (eng_iter_next(&it))
        for (int64_t j = 0; j < it.n; j++)
            fn(p, a + it.off[0] + j * it.stride[0], b + it.off[1] + j * it.stride[1],
               o + it.off[2] + j * it.stride[2]);
}

/* ---- naive reference --------------------------------------------------------------------- */

/* o (n, m) = a (n, k) @ b (k, m), each product summed in double: the specification. */
static void naive_one(const mm_plan *p, const float *a, const float *b, float *o)
{
    for (int64_t i = 0; i < p->n; i++)
        for (int64_t j = 0; j < p->m; j++) {
            double s = 0.0;
            for (int64_t q = 0; q < p->k; q++)
                s += (double)a[i * p->a_rs + q * p->a_cs] * b[q * p->b_rs + j * p->b_cs];
            o[i * p->m + j] = (float)s;
        }
}

eng_tensor *eng_matmul_naive(eng_tensor *a, eng_tensor *b, eng_error *err)
{
    mm_plan p;
    if (plan_matmul(a, b, &p, err) != ENG_OK)
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(p.out_ndim, p.out_shape, p.out_size, err);
    if (out && p.out_size)
        for_each_batch(&p, eng_tensor_data(a), eng_tensor_data(b), out->storage->data,
                       naive_one);
    return out;
}

/* ---- BLAS -------------------------------------------------------------------------------- */

/* How sgemm can read a (rows x cols) matrix with strides (rs, cs): as stored (NoTrans, ld rs),
 * as a transposed dense matrix (Trans, ld cs), or not at all (0). Size-1 dims have no stride. */
static int blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                       enum CBLAS_TRANSPOSE *tr, int64_t *ld)
{
    int64_t mc = cols > 1 ? cols : 1, mr = rows > 1 ? rows : 1;
    if ((cs == 1 || cols == 1) && (rs >= mc || rows == 1)) {
        *tr = CblasNoTrans;
        *ld = rows == 1 ? mc : rs;
        return 1;
    }
    if ((rs == 1 || rows == 1) && (cs >= mr || cols == 1)) {
        *tr = CblasTrans;
        *ld = cols == 1 ? mr : cs;
        return 1;
    }
    return 0;
}

static void blas_one(const mm_plan *p, const float *a, const float *b, float *o)
{
    enum CBLAS_TRANSPOSE ta, tb;
    int64_t lda, ldb;
    blas_layout(p->n, p->k, p->a_rs, p->a_cs, &ta, &lda);
    blas_layout(p->k, p->m, p->b_rs, p->b_cs, &tb, &ldb);
    cblas_sgemm(CblasRowMajor, ta, tb, (int)p->n, (int)p->m, (int)p->k, 1.0f, a, (int)lda, b,
                (int)ldb, 0.0f, o, (int)(p->m > 1 ? p->m : 1));
}

/* Copies t to contiguous when sgemm cannot read its matrices; *owned gets the copy. */
static eng_tensor *blas_ready(eng_tensor *t, int64_t rows, int64_t cols, int64_t rs, int64_t cs,
                              eng_tensor **owned, eng_error *err)
{
    enum CBLAS_TRANSPOSE tr;
    int64_t ld;
    *owned = NULL;
    if (blas_layout(rows, cols, rs, cs, &tr, &ld) && ld <= INT_MAX)
        return t;
    *owned = eng_tensor_copy(t, err);
    return *owned;
}

static int too_big_for_blas(const mm_plan *p, eng_error *err)
{
    if (p->n <= INT_MAX / 2 && p->m <= INT_MAX / 2 && p->k <= INT_MAX / 2)
        return 0;
    eng_err(err, ENG_ERR_MEMORY, "matmul sizes %lld x %lld x %lld are too large",
            (long long)p->n, (long long)p->k, (long long)p->m);
    return 1;
}

/* A batched a with a plain matrix b, a contiguous: the batch folds into the rows of one big
 * sgemm ((B*n, k) @ (k, m)), which is what a Dense layer on (batch, time, features) wants. */
static int fold_batch(const mm_plan *p, const eng_tensor *a, const eng_tensor *b)
{
    return p->batch_ndim > 0 && b->ndim <= 2 && a->ndim > 2 && eng_tensor_is_contiguous(a);
}

eng_tensor *eng_matmul(eng_tensor *a, eng_tensor *b, eng_error *err)
{
    mm_plan p;
    if (plan_matmul(a, b, &p, err) != ENG_OK || too_big_for_blas(&p, err))
        return NULL;
    eng_tensor *out = eng_alloc_unchecked(p.out_ndim, p.out_shape, p.out_size, err);
    if (!out || p.out_size == 0)
        return out;
    if (p.k == 0) {                              /* empty sums: zeros, and no BLAS call */
        memset(out->storage->data, 0, (size_t)p.out_size * sizeof(float));
        return out;
    }
    eng_tensor *ca, *cb;
    eng_tensor *ra = blas_ready(a, p.n, p.k, p.a_rs, p.a_cs, &ca, err);
    eng_tensor *rb = ra ? blas_ready(b, p.k, p.m, p.b_rs, p.b_cs, &cb, err) : NULL;
    if (!ra || !rb) {
        eng_tensor_release(ca);
        eng_tensor_release(out);
        return NULL;
    }
    if (ca || cb)                                /* copies have new strides: plan again */
        plan_matmul(ra, rb, &p, err);
    if (fold_batch(&p, ra, rb)) {
        mm_plan flat = p;
        flat.n = p.out_size / p.m;
        flat.a_rs = p.k;
        blas_one(&flat, eng_tensor_data(ra), eng_tensor_data(rb), out->storage->data);
    } else {
        for_each_batch(&p, eng_tensor_data(ra), eng_tensor_data(rb), out->storage->data,
                       blas_one);
    }
    eng_tensor_release(ca);
    eng_tensor_release(cb);
    return out;
}
