/*
 * autograd_ops.c -- differentiable elementwise ops and matmul: eng_ag_binary, _binary_scalar,
 * _unary, _clip, _where, _matmul. Each computes the plain op (elementwise.c, matmul.c) and, when
 * an input requires grad, records a node whose backward runs a kernel that adds into the
 * inputs' gradients (the derivative formulas are PyTorch's tools/autograd/derivatives.yaml).
 *
 * Broadcasting. A binary op's output may be larger than an input: the kernel then writes that
 * input's partial derivatives at the output's shape and eng_node_accum sums them down
 * (ag_out_grad / ag_out_grad_finish); when the shapes agree it adds into the gradient directly.
 */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "engine/autograd_internal.h"

/* ---- binary ------------------------------------------------------------------------------ */

/* g * d(x op y)/dx (which == 0) or g * d(x op y)/dy (which == 1) at one element. */
static inline float bin_partial(eng_binop op, int which, float g, float x, float y)
{
    switch (op) {
    case ENG_BIN_ADD: return g;
    case ENG_BIN_SUB: return which ? -g : g;
    case ENG_BIN_MUL: return which ? g * x : g * y;
    case ENG_BIN_DIV: return which ? -(g / y) * (x / y) : g / y;
    /* x ** y: y * x^(y-1) (0 where y == 0, so 0 ** 0 has slope 0), and x^y * log(x) (0 where
     * x == 0 and y >= 0, as PyTorch). */
    case ENG_BIN_POW:
        if (!which)
            return y == 0.0f ? 0.0f : g * y * powf(x, y - 1.0f);
        return (x == 0.0f && y >= 0.0f) ? 0.0f : g * powf(x, y) * logf(x);
    case ENG_BIN_MOD: return which ? -g * floorf(x / y) : g;    /* x - floor(x / y) * y */
    /* Ties split the gradient evenly, as torch.maximum / torch.minimum. */
    case ENG_BIN_MAXIMUM:
        return x == y ? 0.5f * g : ((which == 0) == (x > y || x != x) ? g : 0.0f);
    case ENG_BIN_MINIMUM:
        return x == y ? 0.5f * g : ((which == 0) == (x < y || x != x) ? g : 0.0f);
    default: return 0.0f;
    }
}

/* One row: d[i] += g * partial. The switch is outside the loops (one loop per op and
 * operand), so each loop is straight-line code the compiler can vectorize. */
#define BIN_LOOP(expr)                                                                     \
    for (int64_t i = 0; i < n; i++) {                                                     \
        float g = pg[i * sg], x = a[i * sa], y = b[i * sb];                                \
        (void)x; (void)y;                                                                  \
        d[i * sd] += (expr);                                                               \
    }                                                                                      \
    break

static void bin_grad_row(eng_binop op, int which, int64_t n, float *d, int64_t sd,
                         const float *pg, int64_t sg, const float *a, int64_t sa,
                         const float *b, int64_t sb)
{
    switch (op * 2 + which) {
    case ENG_BIN_ADD * 2:     BIN_LOOP(g);
    case ENG_BIN_ADD * 2 + 1: BIN_LOOP(g);
    case ENG_BIN_SUB * 2:     BIN_LOOP(g);
    case ENG_BIN_SUB * 2 + 1: BIN_LOOP(-g);
    case ENG_BIN_MUL * 2:     BIN_LOOP(g * y);
    case ENG_BIN_MUL * 2 + 1: BIN_LOOP(g * x);
    case ENG_BIN_DIV * 2:     BIN_LOOP(g / y);
    default:                  BIN_LOOP(bin_partial(op, which, g, x, y));
    }
}

#undef BIN_LOOP

/* d (contiguous, output shape) += partial wrt operand `which` of a op b, for every output
 * element; a and b are read through broadcast strides. */
static void bin_grad_pass(eng_binop op, int which, const eng_node *n, float *d,
                          const eng_tensor *g, const eng_tensor *a, const eng_tensor *b)
{
    int64_t sd[ENG_MAX_DIMS], sa[ENG_MAX_DIMS], sb[ENG_MAX_DIMS];
    eng_contiguous_strides(n->out_ndim, n->out_shape, sd);
    eng_broadcast_strides(a, n->out_ndim, n->out_shape, sa, NULL);
    eng_broadcast_strides(b, n->out_ndim, n->out_shape, sb, NULL);
    const float *pg = eng_tensor_data(g), *pa = eng_tensor_data(a), *pb = eng_tensor_data(b);
    eng_iter it;
    eng_iter_init(&it, 4, n->out_ndim, n->out_shape, (const int64_t *const[]){ sd, sd, sa, sb });
    while (eng_iter_next(&it))
        bin_grad_row(op, which, it.n, d + it.off[0], it.stride[0], pg + it.off[1], it.stride[1],
                     pa + it.off[2], it.stride[2], pb + it.off[3], it.stride[3]);
}

/* Gradient of input `slot` of node n, which is operand `which` of a op b. */
static int bin_grad_input(eng_node *n, int slot, int which, eng_binop op, const eng_tensor *g,
                          const eng_tensor *a, const eng_tensor *b, eng_error *err)
{
    eng_tensor *tmp;
    float *d = ag_out_grad(n, slot, &tmp, err);
    if (!d)
        return err ? err->code : ENG_OK;
    bin_grad_pass(op, which, n, d, g, a, b);
    return ag_out_grad_finish(n, slot, tmp, err);
}

/* node: in[0] a, in[1] b; iarg[0] the eng_binop. */
static int binary_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    eng_binop op = (eng_binop)n->iarg[0];
    int rc = bin_grad_input(n, 0, 0, op, g, n->in[0], n->in[1], err);
    if (rc == ENG_OK)
        rc = bin_grad_input(n, 1, 1, op, g, n->in[0], n->in[1], err);
    return rc;
}

/* node: in[0] a; iarg[0] op, iarg[1] scalar_left; farg[0] the scalar. */
static int binary_scalar_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    ag_scalar s;
    eng_tensor *st = ag_scalar_init(&s, (float)n->farg[0]);
    eng_binop op = (eng_binop)n->iarg[0];
    if (n->iarg[1])
        return bin_grad_input(n, 0, 1, op, g, st, n->in[0], err);
    return bin_grad_input(n, 0, 0, op, g, n->in[0], st, err);
}

/* Which operand values the partial derivatives read: bit 2 * which + i is set when the partial
 * wrt operand `which` reads operand i (0: a, 1: b). An operand no wanted partial reads is not
 * version-checked at backward: changing an addend in place is fine, as in PyTorch. */
static unsigned bin_reads(eng_binop op)
{
    switch (op) {
    case ENG_BIN_ADD: case ENG_BIN_SUB: return 0;
    case ENG_BIN_MUL: return 0x2 | 0x4;         /* g * b;  g * a */
    case ENG_BIN_DIV: return 0x2 | 0xC;         /* g / b;  -(g / b) * (a / b) */
    case ENG_BIN_MOD: return 0xC;               /* g;  -g * floor(a / b) */
    default:          return 0xF;               /* pow, maximum, minimum: both read both */
    }
}

/* Node inputs in[0] = a, in[1] = b: skip the check of those the backward will not read. */
static void bin_skip_unread(eng_node *n, eng_binop op)
{
    unsigned reads = bin_reads(op), read = 0;
    for (int which = 0; which < 2; which++)
        if (eng_node_wants(n, which))
            read |= (reads >> (2 * which)) & 0x3;
    for (int i = 0; i < 2; i++)
        if (!(read & (1u << i)))
            eng_node_skip_check(n, i);
}

/* Ops with a derivative; the others (comparisons, floor division, logic) give constants. */
static int binop_differentiable(eng_binop op)
{
    switch (op) {
    case ENG_BIN_ADD: case ENG_BIN_SUB: case ENG_BIN_MUL: case ENG_BIN_DIV: case ENG_BIN_POW:
    case ENG_BIN_MOD: case ENG_BIN_MAXIMUM: case ENG_BIN_MINIMUM:
        return 1;
    default:
        return 0;
    }
}

eng_tensor *eng_ag_binary(eng_ag *ag, eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    eng_tensor *in[2] = { a, b };
    eng_node *n;
    eng_tensor *out = eng_binary(op, a, b, err);
    if (!binop_differentiable(op))
        return out;
    out = ag_record(ag, out, eng_binop_name(op), binary_backward, 2, in, &n, err);
    if (n) {
        n->iarg[0] = op;
        bin_skip_unread(n, op);
    }
    return out;
}

eng_tensor *eng_ag_binary_scalar(eng_ag *ag, eng_binop op, eng_tensor *a, float s, int scalar_left,
                                 eng_error *err)
{
    eng_node *n;
    eng_tensor *out = eng_binary_scalar(op, a, s, scalar_left, err);
    if (!binop_differentiable(op))
        return out;
    out = ag_record(ag, out, eng_binop_name(op), binary_scalar_backward, 1, &a, &n, err);
    if (n) {
        int which = scalar_left != 0;           /* the tensor is operand `which` */
        n->iarg[0] = op;
        n->iarg[1] = which;
        n->farg[0] = s;
        if (!(bin_reads(op) & (1u << (2 * which + which))))   /* does d/dx read x? */
            eng_node_skip_check(n, 0);          /* x * 2, x + 1, x / 2 keep nothing */
    }
    return out;
}

/* ---- unary ------------------------------------------------------------------------------- */

/* g * f'(x), given y = f(x). */
static inline float un_partial(eng_unop op, float g, float x, float y)
{
    switch (op) {
    case ENG_UN_NEG:     return -g;
    case ENG_UN_ABS:     return x > 0 ? g : x < 0 ? -g : 0.0f;
    case ENG_UN_EXP:     return g * y;
    case ENG_UN_LOG:     return g / x;
    case ENG_UN_SQRT:    return g / (2.0f * y);
    case ENG_UN_TANH:    return g * (1.0f - y * y);
    case ENG_UN_SIGMOID: return g * y * (1.0f - y);
    case ENG_UN_RELU:    return x > 0 ? g : 0.0f;
    case ENG_UN_SIN:     return g * cosf(x);
    case ENG_UN_COS:     return -g * sinf(x);
    case ENG_UN_SQUARE:  return 2.0f * g * x;
    default:             return 0.0f;   /* floor, ceil, round, sign: flat almost everywhere */
    }
}

/* d[i] += g * f'(x) over n elements, one loop per common op (vectorizable), the rest through
 * un_partial. */
#define UN_LOOP(expr)                                                                      \
    for (int64_t i = 0; i < n; i++) {                                                     \
        float g = pg[i], x = px[i], y = py[i];                                             \
        (void)x; (void)y;                                                                  \
        d[i] += (expr);                                                                    \
    }                                                                                      \
    break

static void un_grad_loop(eng_unop op, int64_t n, float *d, const float *pg, const float *px,
                         const float *py)
{
    switch (op) {
    case ENG_UN_RELU:    UN_LOOP(x > 0 ? g : 0.0f);
    case ENG_UN_TANH:    UN_LOOP(g * (1.0f - y * y));
    case ENG_UN_SIGMOID: UN_LOOP(g * y * (1.0f - y));
    case ENG_UN_EXP:     UN_LOOP(g * y);
    case ENG_UN_SQUARE:  UN_LOOP(2.0f * g * x);
    default:             UN_LOOP(un_partial(op, g, x, y));
    }
}

#undef UN_LOOP

/* What f' is computed from (see un_partial): the input x, the output y, or neither. */
enum { UN_READS_X = 1, UN_READS_Y = 2 };

static int un_reads(eng_unop op)
{
    switch (op) {
    case ENG_UN_ABS: case ENG_UN_LOG: case ENG_UN_RELU: case ENG_UN_SIN: case ENG_UN_COS:
    case ENG_UN_SQUARE:
        return UN_READS_X;
    case ENG_UN_EXP: case ENG_UN_SQRT: case ENG_UN_TANH: case ENG_UN_SIGMOID:
        return UN_READS_Y;
    default:
        return 0;                               /* neg; floor, ceil, round, sign: constants */
    }
}

/* node: in[0] x (version-checked only when f' reads it); saved[0] the output, only when f'
 * reads it; iarg[0] the eng_unop. The loop reads x and y pointers for every op, so an unused
 * one points at g (same size; its values are ignored). */
static int unary_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    eng_unop op = (eng_unop)n->iarg[0];
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *x = un_reads(op) & UN_READS_X ? eng_tensor_contiguous(n->in[0], err) : NULL;
    if (!x && (un_reads(op) & UN_READS_X))
        return ag_fail(err);
    const float *pg = eng_tensor_data(g);
    un_grad_loop(op, g->size, eng_tensor_data(gx), pg, x ? eng_tensor_data(x) : pg,
                 n->saved[0] ? eng_tensor_data(n->saved[0]) : pg);
    eng_tensor_release(x);
    return ENG_OK;
}

eng_tensor *eng_ag_unary(eng_ag *ag, eng_unop op, eng_tensor *t, eng_error *err)
{
    eng_node *n;
    eng_tensor *out = eng_unary(op, t, err);
    if (op == ENG_UN_NOT)                       /* a truth value: no gradient */
        return out;
    out = ag_record(ag, out, eng_unop_name(op), unary_backward, 1, &t, &n, err);
    if (!n)
        return out;
    n->iarg[0] = op;
    if (!(un_reads(op) & UN_READS_X))
        eng_node_skip_check(n, 0);
    if ((un_reads(op) & UN_READS_Y) && eng_node_save(n, 0, out, err) != ENG_OK) {
        eng_tensor_release(out);
        return NULL;
    }
    return out;
}

/* ---- clip and where ---------------------------------------------------------------------- */

/* node: in[0] x; farg[0] lo, farg[1] hi. The gradient passes where lo <= x <= hi (PyTorch's
 * clamp: both bounds inclusive). */
static int clip_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    float lo = (float)n->farg[0], hi = (float)n->farg[1];
    eng_tensor *gx = eng_node_grad(n, 0, err);
    if (!gx)
        return err ? err->code : ENG_OK;
    eng_tensor *x = eng_tensor_contiguous(n->in[0], err);
    if (!x)
        return ag_fail(err);
    const float *px = eng_tensor_data(x), *pg = eng_tensor_data(g);
    float *d = eng_tensor_data(gx);
    for (int64_t i = 0; i < x->size; i++)
        if (px[i] >= lo && px[i] <= hi)
            d[i] += pg[i];
    eng_tensor_release(x);
    return ENG_OK;
}

eng_tensor *eng_ag_clip(eng_ag *ag, eng_tensor *t, float lo, float hi, eng_error *err)
{
    eng_node *n;
    eng_tensor *out = ag_record(ag, eng_clip(t, lo, hi, err), "clip", clip_backward, 1, &t, &n,
                                err);
    if (n) {
        n->farg[0] = lo;
        n->farg[1] = hi;
    }
    return out;
}

static void where_grad_row(int64_t n, float *d, int64_t sd, const float *g, int64_t sg,
                           const float *c, int64_t sc, int pick_true)
{
    for (int64_t i = 0; i < n; i++)
        if ((c[i * sc] != 0.0f) == pick_true)
            d[i * sd] += g[i * sg];
}

/* d (output shape) += g where cond is (pick_true) true / false. */
static void where_grad_pass(const eng_node *n, float *d, const eng_tensor *g,
                            const eng_tensor *cond, int pick_true)
{
    int64_t sd[ENG_MAX_DIMS], sc[ENG_MAX_DIMS];
    eng_contiguous_strides(n->out_ndim, n->out_shape, sd);
    eng_broadcast_strides(cond, n->out_ndim, n->out_shape, sc, NULL);
    const float *pg = eng_tensor_data(g), *pc = eng_tensor_data(cond);
    eng_iter it;
    eng_iter_init(&it, 3, n->out_ndim, n->out_shape, (const int64_t *const[]){ sd, sd, sc });
    while (eng_iter_next(&it))
        where_grad_row(it.n, d + it.off[0], it.stride[0], pg + it.off[1], it.stride[1],
                       pc + it.off[2], it.stride[2], pick_true);
}

/* node: in[0] cond (never differentiated), in[1] a, in[2] b. */
static int where_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    for (int i = 1; i <= 2; i++) {
        eng_tensor *tmp;
        float *d = ag_out_grad(n, i, &tmp, err);
        if (!d && err && err->code)
            return err->code;
        if (!d)
            continue;
        where_grad_pass(n, d, g, n->in[0], i == 1);
        int rc = ag_out_grad_finish(n, i, tmp, err);
        if (rc != ENG_OK)
            return rc;
    }
    return ENG_OK;
}

eng_tensor *eng_ag_where(eng_ag *ag, eng_tensor *cond, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    eng_tensor *in[3] = { cond, a, b };
    eng_node *n;
    eng_tensor *out = eng_where(cond, a, b, err);
    if (!eng_ag_wants(ag, 2, in + 1))           /* a condition alone carries no gradient */
        return out;
    out = ag_record(ag, out, "where", where_backward, 3, in, &n, err);
    if (n) {                                    /* backward reads only the condition */
        eng_node_skip_check(n, 1);
        eng_node_skip_check(n, 2);
    }
    return out;
}

/* ---- matmul ------------------------------------------------------------------------------ */

/* How sgemm reads a 2-d tensor: as stored (NoTrans) or as a dense transpose (Trans). */
static int blas_mat(const eng_tensor *t, enum CBLAS_TRANSPOSE *tr, int *ld)
{
    int64_t rows = t->shape[0], cols = t->shape[1], rs = t->strides[0], cs = t->strides[1];
    if ((cs == 1 || cols == 1) && (rs >= cols || rows == 1) && rs <= INT_MAX) {
        *tr = CblasNoTrans;
        *ld = (int)(rows == 1 ? (cols > 1 ? cols : 1) : rs);
        return 1;
    }
    if ((rs == 1 || rows == 1) && (cs >= rows || cols == 1) && cs <= INT_MAX) {
        *tr = CblasTrans;
        *ld = (int)(cols == 1 ? (rows > 1 ? rows : 1) : cs);
        return 1;
    }
    return 0;
}

static enum CBLAS_TRANSPOSE flip(enum CBLAS_TRANSPOSE t)
{
    return t == CblasNoTrans ? CblasTrans : CblasNoTrans;
}

/* The 2-d case straight into the accumulators with beta = 1 (no temporaries):
 * a (M, K) @ b (K, N) = out (M, N); ga (M, K) += g @ b^T; gb (K, N) += a^T @ g.
 * Returns 0 (nothing done) when a layout does not suit sgemm. */
static int matmul2d_backward(eng_node *n, const eng_tensor *g, eng_error *err, int *rc)
{
    const eng_tensor *a = n->in[0], *b = n->in[1];
    enum CBLAS_TRANSPOSE ta, tb;
    int lda, ldb;
    int64_t M = a->shape[0], K = a->shape[1], N = b->shape[1];
    if (a->ndim != 2 || b->ndim != 2 || !blas_mat(a, &ta, &lda) || !blas_mat(b, &tb, &ldb)
        || M > INT_MAX / 2 || K > INT_MAX / 2 || N > INT_MAX / 2)
        return 0;
    *rc = ENG_OK;
    if (M == 0 || K == 0 || N == 0)
        return 1;
    eng_tensor *ga = eng_node_grad(n, 0, err);
    if (!ga && err && err->code)
        return *rc = err->code, 1;
    if (ga)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, flip(tb), (int)M, (int)K, (int)N, 1.0f,
                    eng_tensor_data(g), (int)N, eng_tensor_data(b), ldb, 1.0f,
                    eng_tensor_data(ga), (int)K);
    eng_tensor *gb = eng_node_grad(n, 1, err);
    if (!gb && err && err->code)
        return *rc = err->code, 1;
    if (gb)
        cblas_sgemm(CblasRowMajor, flip(ta), CblasNoTrans, (int)K, (int)N, (int)M, 1.0f,
                    eng_tensor_data(a), lda, eng_tensor_data(g), (int)N, 1.0f,
                    eng_tensor_data(gb), (int)N);
    return 1;
}

/* t with its last two dims swapped (a view). */
static eng_tensor *swap_last(eng_tensor *t, eng_error *err)
{
    int perm[ENG_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++)
        perm[d] = d;
    perm[t->ndim - 2] = t->ndim - 1;
    perm[t->ndim - 1] = t->ndim - 2;
    return eng_transpose(t, perm, err);
}

/* Input i's gradient x @ y, with the dim `drop` (-1 or -2; 0: none) removed again when input i
 * was a promoted 1-d operand; eng_node_accum sums broadcast batch dims away. */
static int mm_accum(eng_node *n, int i, eng_tensor *x, eng_tensor *y, int drop, eng_error *err)
{
    eng_tensor *q = x && y ? eng_matmul(x, y, err) : NULL, *r = q;
    if (q && drop) {
        int64_t sh[ENG_MAX_DIMS];
        int k = 0;
        for (int d = 0; d < q->ndim; d++)
            if (d != q->ndim + drop)
                sh[k++] = q->shape[d];
        r = eng_reshape(q, k, sh, err);
        eng_tensor_release(q);
    }
    int rc = r ? eng_node_accum(n, i, r, err) : ag_fail(err);
    eng_tensor_release(r);
    return rc;
}

/* The general case (batches, broadcasting, 1-d operands): promote 1-d operands to matrices as
 * NumPy does (a (K,) -> (1, K), b (K,) -> (K, 1), g to match), then ga = g @ b^T and
 * gb = a^T @ g. */
static int matmul_general_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    eng_tensor *a = n->in[0], *b = n->in[1];
    int a1 = a->ndim == 1, b1 = b->ndim == 1, rc = ENG_OK;
    int64_t gshape[ENG_MAX_DIMS + 2];
    int gnd = n->out_ndim;
    memcpy(gshape, n->out_shape, sizeof n->out_shape);
    if (a1) {                                   /* (..., N) -> (..., 1, N) */
        gshape[gnd] = gnd ? gshape[gnd - 1] : 1;
        if (gnd)
            gshape[gnd - 1] = 1;
        gnd++;
    }
    if (b1)                                     /* (..., M) -> (..., M, 1) */
        gshape[gnd++] = 1;
    eng_tensor *a2 = a1 ? eng_expand_dims(a, 0, err) : eng_tensor_retain(a);
    eng_tensor *b2 = b1 ? eng_expand_dims(b, 1, err) : eng_tensor_retain(b);
    eng_tensor *g2 = eng_reshape((eng_tensor *)g, gnd, gshape, err);
    if (!a2 || !b2 || !g2)
        rc = ag_fail(err);
    if (rc == ENG_OK && eng_node_wants(n, 0)) {
        eng_tensor *bt = swap_last(b2, err);
        rc = mm_accum(n, 0, g2, bt, a1 ? -2 : 0, err);
        eng_tensor_release(bt);
    }
    if (rc == ENG_OK && eng_node_wants(n, 1)) {
        eng_tensor *at = swap_last(a2, err);
        rc = mm_accum(n, 1, at, g2, b1 ? -1 : 0, err);
        eng_tensor_release(at);
    }
    eng_tensor_release(a2);
    eng_tensor_release(b2);
    eng_tensor_release(g2);
    return rc;
}

/* node: in[0] a, in[1] b. */
static int matmul_backward(eng_node *n, const eng_tensor *g, eng_error *err)
{
    int rc;
    if (matmul2d_backward(n, g, err, &rc))
        return rc;
    return matmul_general_backward(n, g, err);
}

eng_tensor *eng_ag_matmul(eng_ag *ag, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    eng_tensor *in[2] = { a, b };
    eng_node *n;
    eng_tensor *out = ag_record(ag, eng_matmul(a, b, err), "matmul", matmul_backward, 2, in, &n,
                                err);
    if (n)          /* reads as a * b does: d/da = g @ b^T needs b, d/db = a^T @ g needs a */
        bin_skip_unread(n, ENG_BIN_MUL);
    return out;
}
