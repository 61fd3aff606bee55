/*
 * elementwise.c -- binary ops with NumPy broadcasting, unary ops, clip, where, allclose.
 *
 * Speed plan. A result is always a fresh contiguous tensor (one malloc). Two fast paths skip the
 * broadcasting machinery entirely: same-shape contiguous operands, and tensor-with-scalar. Both
 * end in a plain loop over float arrays that the compiler vectorizes. Everything else (broadcast
 * shapes, views with strides) goes through eng_iter, which hands out 1-d rows, and each row
 * again lands in the contiguous loops when its strides are 1 (or 0 for a broadcast operand).
 */
/* GCC's -O2 uses the "very cheap" vectorizer cost model, which refuses loops that need a scalar
 * epilogue -- i.e. nearly all of ours. Enabling the full vectorizer for this file is what makes
 * the elementwise loops SIMD without touching the project's flags. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize")
#endif

#include <math.h>

#include "engine/engine_internal.h"

/* ---- names ------------------------------------------------------------------------------- */

/* ORDER eng_binop */
static const char *const binop_names[ENG_BIN_COUNT][2] = {
    [ENG_BIN_ADD] = { "add", "+" },           [ENG_BIN_SUB] = { "subtract", "-" },
    [ENG_BIN_MUL] = { "multiply", "*" },      [ENG_BIN_DIV] = { "divide", "/" },
    [ENG_BIN_FLOORDIV] = { "floor_divide", "//" }, [ENG_BIN_MOD] = { "remainder", "%" },
    [ENG_BIN_POW] = { "power", "**" },        [ENG_BIN_LT] = { "less", "<" },
    [ENG_BIN_LE] = { "less_equal", "<=" },    [ENG_BIN_GT] = { "greater", ">" },
    [ENG_BIN_GE] = { "greater_equal", ">=" }, [ENG_BIN_EQ] = { "equal", "==" },
    [ENG_BIN_NE] = { "not_equal", "!=" },     [ENG_BIN_MAXIMUM] = { "maximum", "maximum" },
    [ENG_BIN_MINIMUM] = { "minimum", "minimum" }, [ENG_BIN_AND] = { "logical_and", "and" },
    [ENG_BIN_OR] = { "logical_or", "or" },
};

/* ORDER eng_unop */
static const char *const unop_names[ENG_UN_COUNT] = {
    [ENG_UN_NEG] = "negative", [ENG_UN_ABS] = "abs",         [ENG_UN_EXP] = "exp",
    [ENG_UN_LOG] = "log",      [ENG_UN_SQRT] = "sqrt",       [ENG_UN_TANH] = "tanh",
    [ENG_UN_SIGMOID] = "sigmoid", [ENG_UN_RELU] = "relu",    [ENG_UN_SIN] = "sin",
    [ENG_UN_COS] = "cos",      [ENG_UN_FLOOR] = "floor",     [ENG_UN_CEIL] = "ceil",
    [ENG_UN_ROUND] = "round",  [ENG_UN_SIGN] = "sign",       [ENG_UN_SQUARE] = "square",
    [ENG_UN_NOT] = "logical_not",
};

const char *eng_binop_name(eng_binop op)
{
    return (unsigned)op < ENG_BIN_COUNT ? binop_names[op][0] : "?";
}

const char *eng_binop_symbol(eng_binop op)
{
    return (unsigned)op < ENG_BIN_COUNT ? binop_names[op][1] : "?";
}

const char *eng_unop_name(eng_unop op)
{
    return (unsigned)op < ENG_UN_COUNT ? unop_names[op] : "?";
}

/* ---- scalar semantics -------------------------------------------------------------------- */

/* NumPy's npy_divmodf: the quotient floored and the remainder carrying the divisor's sign,
 * with fmod doing the exact part so that a == q*b + r holds as closely as floats allow. */
static float divmod_f(float a, float b, float *mod)
{
    float m = fmodf(a, b);
    if (b == 0.0f) {
        *mod = m;
        return a / b;
    }
    float div = (a - m) / b;
    if (m != 0.0f) {
        if ((b < 0.0f) != (m < 0.0f)) {
            m += b;
            div -= 1.0f;
        }
    } else {
        m = copysignf(0.0f, b);
    }
    float q;
    if (div != 0.0f) {
        q = floorf(div);
        if (div - q > 0.5f)
            q += 1.0f;
    } else {
        q = copysignf(0.0f, a / b);
    }
    *mod = m;
    return q;
}

static float floordiv_f(float a, float b)
{
    float m;
    return b == 0.0f ? a / b : divmod_f(a, b, &m);
}

static float mod_f(float a, float b)
{
    float m;
    if (b == 0.0f)
        return fmodf(a, b);
    divmod_f(a, b, &m);
    return m;
}

/* One element of a binary op. Inlined with a constant op, the switch folds away and the loops
 * below become straight-line (vectorizable) code. */
static inline float bin_apply(eng_binop op, float x, float y)
{
    switch (op) {
    case ENG_BIN_ADD:      return x + y;
    case ENG_BIN_SUB:      return x - y;
    case ENG_BIN_MUL:      return x * y;
    case ENG_BIN_DIV:      return x / y;
    case ENG_BIN_FLOORDIV: return floordiv_f(x, y);
    case ENG_BIN_MOD:      return mod_f(x, y);
    case ENG_BIN_POW:      return powf(x, y);
    case ENG_BIN_LT:       return (float)(x < y);
    case ENG_BIN_LE:       return (float)(x <= y);
    case ENG_BIN_GT:       return (float)(x > y);
    case ENG_BIN_GE:       return (float)(x >= y);
    case ENG_BIN_EQ:       return (float)(x == y);
    case ENG_BIN_NE:       return (float)(x != y);
    case ENG_BIN_MAXIMUM:  return (x >= y || x != x) ? x : y;     /* NaN wins, as NumPy */
    case ENG_BIN_MINIMUM:  return (x <= y || x != x) ? x : y;
    case ENG_BIN_AND:      return (float)((x != 0.0f) & (y != 0.0f));
    case ENG_BIN_OR:       return (float)((x != 0.0f) | (y != 0.0f));
    default:               return NAN;
    }
}

/* Expands `LOOP(op)` once per op inside a switch, so each case is a loop with a constant op. */
#define EACH_BINOP(LOOP)                                                                    \
    case ENG_BIN_ADD: LOOP(ENG_BIN_ADD); break;           case ENG_BIN_SUB: LOOP(ENG_BIN_SUB); break; \
    case ENG_BIN_MUL: LOOP(ENG_BIN_MUL); break;           case ENG_BIN_DIV: LOOP(ENG_BIN_DIV); break; \
    case ENG_BIN_FLOORDIV: LOOP(ENG_BIN_FLOORDIV); break; case ENG_BIN_MOD: LOOP(ENG_BIN_MOD); break; \
    case ENG_BIN_POW: LOOP(ENG_BIN_POW); break;           case ENG_BIN_LT: LOOP(ENG_BIN_LT); break;   \
    case ENG_BIN_LE: LOOP(ENG_BIN_LE); break;             case ENG_BIN_GT: LOOP(ENG_BIN_GT); break;   \
    case ENG_BIN_GE: LOOP(ENG_BIN_GE); break;             case ENG_BIN_EQ: LOOP(ENG_BIN_EQ); break;   \
    case ENG_BIN_NE: LOOP(ENG_BIN_NE); break;             case ENG_BIN_MAXIMUM: LOOP(ENG_BIN_MAXIMUM); break; \
    case ENG_BIN_MINIMUM: LOOP(ENG_BIN_MINIMUM); break;   case ENG_BIN_AND: LOOP(ENG_BIN_AND); break; \
    case ENG_BIN_OR: LOOP(ENG_BIN_OR); break;             default: break;

/* ---- binary row kernels: o[i] = a[i] op b[i] over n elements ----------------------------- */

static void bin_vv(eng_binop op, int64_t n, float *o, const float *a, const float *b)
{
#define VV(OP) for (int64_t i = 0; i < n; i++) o[i] = bin_apply(OP, a[i], b[i])
    switch (op) { EACH_BINOP(VV) }
#undef VV
}

static void bin_vs(eng_binop op, int64_t n, float *o, const float *a, float s)
{
#define VS(OP) for (int64_t i = 0; i < n; i++) o[i] = bin_apply(OP, a[i], s)
    switch (op) { EACH_BINOP(VS) }
#undef VS
}

static void bin_sv(eng_binop op, int64_t n, float *o, float s, const float *b)
{
#define SV(OP) for (int64_t i = 0; i < n; i++) o[i] = bin_apply(OP, s, b[i])
    switch (op) { EACH_BINOP(SV) }
#undef SV
}

static void bin_strided(eng_binop op, int64_t n, float *o, int64_t so, const float *a, int64_t sa,
                        const float *b, int64_t sb)
{
#define ST(OP) for (int64_t i = 0; i < n; i++) o[i * so] = bin_apply(OP, a[i * sa], b[i * sb])
    switch (op) { EACH_BINOP(ST) }
#undef ST
}

/* One row of any binary op: picks the contiguous kernels when the strides allow. */
static void bin_row(eng_binop op, int64_t n, float *o, int64_t so, const float *a, int64_t sa,
                    const float *b, int64_t sb)
{
    if (so == 1 && sa == 1 && sb == 1)
        bin_vv(op, n, o, a, b);
    else if (so == 1 && sa == 1 && sb == 0)
        bin_vs(op, n, o, a, b[0]);
    else if (so == 1 && sa == 0 && sb == 1)
        bin_sv(op, n, o, a[0], b);
    else
        bin_strided(op, n, o, so, a, sa, b, sb);
}

/* ---- binary ops -------------------------------------------------------------------------- */

static int bad_binop(eng_binop op, eng_error *err)
{
    return eng_err(err, ENG_ERR_VALUE, "unknown binary op %d", (int)op);
}

/* Same shape and both dense row-major: the whole op is one bin_vv call. */
static int same_shape_contiguous(const eng_tensor *a, const eng_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    int64_t expect = 1;
    for (int d = a->ndim - 1; d >= 0; d--) {
        int64_t n = a->shape[d];
        if (n != b->shape[d])
            return 0;
        if (n != 1 && (a->strides[d] != expect || b->strides[d] != expect))
            return 0;
        expect *= n;
    }
    return 1;
}

/* The broadcasting path: out gets the broadcast shape, every operand is walked by strides. */
static eng_tensor *binary_general(eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    int ndim;
    int64_t shape[ENG_MAX_DIMS], sa[ENG_MAX_DIMS], sb[ENG_MAX_DIMS], size;
    if (eng_broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &ndim, shape, err) != ENG_OK
        || eng_shape_check(ndim, shape, &size, err) != ENG_OK)
        return NULL;
    eng_broadcast_strides(a, ndim, shape, sa, err);
    eng_broadcast_strides(b, ndim, shape, sb, err);
    eng_tensor *out = eng_alloc_unchecked(ndim, shape, size, err);
    if (!out)
        return NULL;
    float *po = out->storage->data;
    const float *pa = eng_tensor_data(a), *pb = eng_tensor_data(b);
    eng_iter it;
    eng_iter_init(&it, 3, ndim, shape, (const int64_t *const[]){ out->strides, sa, sb });
    while (eng_iter_next(&it))
        bin_row(op, it.n, po + it.off[0], it.stride[0], pa + it.off[1], it.stride[1],
                pb + it.off[2], it.stride[2]);
    return out;
}

/* Comparisons and logical ops give truth values (see eng_tensor.is_bool). */
static eng_tensor *mark_bool(eng_tensor *out, eng_binop op)
{
    if (out)
        out->is_bool = (op >= ENG_BIN_LT && op <= ENG_BIN_NE) || op == ENG_BIN_AND || op == ENG_BIN_OR;
    return out;
}

static eng_tensor *binary_values(eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err);
static eng_tensor *binary_scalar_values(eng_binop op, eng_tensor *a, float s, int scalar_left,
                                        eng_error *err);

eng_tensor *eng_binary(eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    return mark_bool(binary_values(op, a, b, err), op);
}

eng_tensor *eng_binary_scalar(eng_binop op, eng_tensor *a, float s, int scalar_left,
                              eng_error *err)
{
    return mark_bool(binary_scalar_values(op, a, s, scalar_left, err), op);
}

static eng_tensor *binary_values(eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    if ((unsigned)op >= ENG_BIN_COUNT)
        return bad_binop(op, err), NULL;
    if (same_shape_contiguous(a, b)) {
        eng_tensor *out = eng_alloc_unchecked(a->ndim, a->shape, a->size, err);
        if (out)
            bin_vv(op, a->size, out->storage->data, eng_tensor_data(a), eng_tensor_data(b));
        return out;
    }
    /* A size-1 operand that does not add dims is a scalar in disguise (x * lr, lr 0-d). */
    if (b->size == 1 && b->ndim <= a->ndim && eng_tensor_is_contiguous(a))
        return binary_scalar_values(op, a, eng_tensor_data(b)[0], 0, err);
    if (a->size == 1 && a->ndim <= b->ndim && eng_tensor_is_contiguous(b))
        return binary_scalar_values(op, b, eng_tensor_data(a)[0], 1, err);
    return binary_general(op, a, b, err);
}

static eng_tensor *binary_scalar_values(eng_binop op, eng_tensor *a, float s, int scalar_left,
                                        eng_error *err)
{
    if ((unsigned)op >= ENG_BIN_COUNT)
        return bad_binop(op, err), NULL;
    eng_tensor *out = eng_alloc_unchecked(a->ndim, a->shape, a->size, err);
    if (!out)
        return NULL;
    float *po = out->storage->data;
    const float *pa = eng_tensor_data(a);
    if (eng_tensor_is_contiguous(a)) {
        if (scalar_left)
            bin_sv(op, a->size, po, s, pa);
        else
            bin_vs(op, a->size, po, pa, s);
        return out;
    }
    eng_iter it;
    eng_iter_init(&it, 2, a->ndim, a->shape, (const int64_t *const[]){ out->strides, a->strides });
    while (eng_iter_next(&it)) {
        if (scalar_left)
            bin_row(op, it.n, po + it.off[0], it.stride[0], &s, 0, pa + it.off[1], it.stride[1]);
        else
            bin_row(op, it.n, po + it.off[0], it.stride[0], pa + it.off[1], it.stride[1], &s, 0);
    }
    return out;
}

/* dst and src are the very same elements (x += x): safe to run in place without a copy. */
static int same_view(const eng_tensor *a, const eng_tensor *b)
{
    if (a->storage != b->storage || a->offset != b->offset || !eng_shape_equal(a, b))
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != 1 && a->strides[d] != b->strides[d])
            return 0;
    return 1;
}

int eng_binary_inplace_raw(eng_binop op, eng_tensor *dst, const eng_tensor *src, eng_error *err)
{
    int64_t ss[ENG_MAX_DIMS];
    if ((unsigned)op >= ENG_BIN_COUNT)
        return bad_binop(op, err);
    if (eng_broadcast_strides(src, dst->ndim, dst->shape, ss, err) != ENG_OK) {
        char bd[ENG_SHAPE_BUF], bs[ENG_SHAPE_BUF];
        return eng_err(err, ENG_ERR_SHAPE, "cannot apply %s in place: shape %s does not "
                       "broadcast to %s", eng_binop_name(op),
                       eng_shape_format(src->ndim, src->shape, bs, sizeof bs),
                       eng_shape_format(dst->ndim, dst->shape, bd, sizeof bd));
    }
    /* A partly overlapping src (x[1:] += x[:-1]) must be read before it is overwritten. */
    eng_tensor *copy = NULL;
    if (eng_may_overlap(dst, src) && !same_view(dst, src)) {
        copy = eng_tensor_copy(src, err);
        if (!copy)
            return ENG_ERR_MEMORY;
        eng_broadcast_strides(copy, dst->ndim, dst->shape, ss, err);
        src = copy;
    }
    float *pd = eng_tensor_data(dst);
    const float *ps = eng_tensor_data(src);
    eng_iter it;
    eng_iter_init(&it, 2, dst->ndim, dst->shape, (const int64_t *const[]){ dst->strides, ss });
    while (eng_iter_next(&it))
        bin_row(op, it.n, pd + it.off[0], it.stride[0], pd + it.off[0], it.stride[0],
                ps + it.off[1], it.stride[1]);
    eng_tensor_release(copy);
    return ENG_OK;
}

int eng_binary_inplace_scalar_raw(eng_binop op, eng_tensor *dst, float s, eng_error *err)
{
    if ((unsigned)op >= ENG_BIN_COUNT)
        return bad_binop(op, err);
    float *pd = eng_tensor_data(dst);
    eng_iter it;
    eng_iter_init(&it, 1, dst->ndim, dst->shape, (const int64_t *const[]){ dst->strides });
    while (eng_iter_next(&it))
        bin_row(op, it.n, pd + it.off[0], it.stride[0], pd + it.off[0], it.stride[0], &s, 0);
    return ENG_OK;
}

/* The public in-place ops are the raw ones plus a bump of dst's version counter, so autograd
 * notices a write into a tensor a graph keeps (engine.h, "version counter"). */
int eng_binary_inplace(eng_binop op, eng_tensor *dst, const eng_tensor *src, eng_error *err)
{
    int rc = eng_binary_inplace_raw(op, dst, src, err);
    if (rc == ENG_OK)
        eng_tensor_bump_version(dst);
    return rc;
}

int eng_binary_inplace_scalar(eng_binop op, eng_tensor *dst, float s, eng_error *err)
{
    int rc = eng_binary_inplace_scalar_raw(op, dst, s, err);
    if (rc == ENG_OK)
        eng_tensor_bump_version(dst);
    return rc;
}

/* ---- unary ops --------------------------------------------------------------------------- */

/* Logistic function without overflow: exp of a non-positive argument only. */
static float sigmoid_f(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

static float sign_f(float x)
{
    return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x == 0.0f ? 0.0f : x;   /* NaN stays NaN */
}

static inline float un_apply(eng_unop op, float x)
{
    switch (op) {
    case ENG_UN_NEG:     return -x;
    case ENG_UN_ABS:     return fabsf(x);
    case ENG_UN_EXP:     return expf(x);
    case ENG_UN_LOG:     return logf(x);
    case ENG_UN_SQRT:    return sqrtf(x);
    case ENG_UN_TANH:    return tanhf(x);
    case ENG_UN_SIGMOID: return sigmoid_f(x);
    case ENG_UN_RELU:    return x > 0.0f ? x : 0.0f;
    case ENG_UN_SIN:     return sinf(x);
    case ENG_UN_COS:     return cosf(x);
    case ENG_UN_FLOOR:   return floorf(x);
    case ENG_UN_CEIL:    return ceilf(x);
    case ENG_UN_ROUND:   return rintf(x);         /* half to even, as numpy.round */
    case ENG_UN_SIGN:    return sign_f(x);
    case ENG_UN_SQUARE:  return x * x;
    case ENG_UN_NOT:     return (float)(x == 0.0f);
    default:             return NAN;
    }
}

#define EACH_UNOP(LOOP)                                                                      \
    case ENG_UN_NEG: LOOP(ENG_UN_NEG); break;         case ENG_UN_ABS: LOOP(ENG_UN_ABS); break;   \
    case ENG_UN_EXP: LOOP(ENG_UN_EXP); break;         case ENG_UN_LOG: LOOP(ENG_UN_LOG); break;   \
    case ENG_UN_SQRT: LOOP(ENG_UN_SQRT); break;       case ENG_UN_TANH: LOOP(ENG_UN_TANH); break; \
    case ENG_UN_SIGMOID: LOOP(ENG_UN_SIGMOID); break; case ENG_UN_RELU: LOOP(ENG_UN_RELU); break; \
    case ENG_UN_SIN: LOOP(ENG_UN_SIN); break;         case ENG_UN_COS: LOOP(ENG_UN_COS); break;   \
    case ENG_UN_FLOOR: LOOP(ENG_UN_FLOOR); break;     case ENG_UN_CEIL: LOOP(ENG_UN_CEIL); break; \
    case ENG_UN_ROUND: LOOP(ENG_UN_ROUND); break;     case ENG_UN_SIGN: LOOP(ENG_UN_SIGN); break; \
    case ENG_UN_SQUARE: LOOP(ENG_UN_SQUARE); break;   case ENG_UN_NOT: LOOP(ENG_UN_NOT); break;   \
    default: break;

static void un_row(eng_unop op, int64_t n, float *o, int64_t so, const float *a, int64_t sa)
{
#define UV(OP) for (int64_t i = 0; i < n; i++) o[i] = un_apply(OP, a[i])
#define US(OP) for (int64_t i = 0; i < n; i++) o[i * so] = un_apply(OP, a[i * sa])
    if (so == 1 && sa == 1) {
        switch (op) { EACH_UNOP(UV) }
    } else {
        switch (op) { EACH_UNOP(US) }
    }
#undef UV
#undef US
}

eng_tensor *eng_unary(eng_unop op, eng_tensor *t, eng_error *err)
{
    if ((unsigned)op >= ENG_UN_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown unary op %d", (int)op), NULL;
    eng_tensor *out = eng_alloc_unchecked(t->ndim, t->shape, t->size, err);
    if (!out)
        return NULL;
    out->is_bool = op == ENG_UN_NOT;
    float *po = out->storage->data;
    const float *pt = eng_tensor_data(t);
    if (eng_tensor_is_contiguous(t)) {
        un_row(op, t->size, po, 1, pt, 1);
        return out;
    }
    eng_iter it;
    eng_iter_init(&it, 2, t->ndim, t->shape, (const int64_t *const[]){ out->strides, t->strides });
    while (eng_iter_next(&it))
        un_row(op, it.n, po + it.off[0], it.stride[0], pt + it.off[1], it.stride[1]);
    return out;
}

/* ---- clip, where, allclose --------------------------------------------------------------- */

/* numpy.clip is minimum(maximum(x, lo), hi): NaN passes through, lo > hi gives hi. */
eng_tensor *eng_clip(eng_tensor *t, float lo, float hi, eng_error *err)
{
    eng_tensor *out = eng_binary_scalar(ENG_BIN_MAXIMUM, t, lo, 0, err);
    if (out)
        eng_binary_inplace_scalar_raw(ENG_BIN_MINIMUM, out, hi, err);
    return out;
}

static void where_row(int64_t n, float *o, int64_t so, const float *c, int64_t sc,
                      const float *a, int64_t sa, const float *b, int64_t sb)
{
    for (int64_t i = 0; i < n; i++)
        o[i * so] = c[i * sc] != 0.0f ? a[i * sa] : b[i * sb];
}

eng_tensor *eng_where(eng_tensor *cond, eng_tensor *a, eng_tensor *b, eng_error *err)
{
    int n1, ndim;
    int64_t s1[ENG_MAX_DIMS], shape[ENG_MAX_DIMS], size;
    int64_t sc[ENG_MAX_DIMS], sa[ENG_MAX_DIMS], sb[ENG_MAX_DIMS];
    if (eng_broadcast_shapes(cond->ndim, cond->shape, a->ndim, a->shape, &n1, s1, err) != ENG_OK
        || eng_broadcast_shapes(n1, s1, b->ndim, b->shape, &ndim, shape, err) != ENG_OK
        || eng_shape_check(ndim, shape, &size, err) != ENG_OK)
        return NULL;
    eng_broadcast_strides(cond, ndim, shape, sc, err);
    eng_broadcast_strides(a, ndim, shape, sa, err);
    eng_broadcast_strides(b, ndim, shape, sb, err);
    eng_tensor *out = eng_alloc_unchecked(ndim, shape, size, err);
    if (!out)
        return NULL;
    const float *pc = eng_tensor_data(cond), *pa = eng_tensor_data(a), *pb = eng_tensor_data(b);
    float *po = out->storage->data;
    eng_iter it;
    eng_iter_init(&it, 4, ndim, shape, (const int64_t *const[]){ out->strides, sc, sa, sb });
    while (eng_iter_next(&it))
        where_row(it.n, po + it.off[0], it.stride[0], pc + it.off[1], it.stride[1],
                  pa + it.off[2], it.stride[2], pb + it.off[3], it.stride[3]);
    return out;
}

/* numpy.isclose: |a - b| <= atol + rtol * |b| (not symmetric), equal infinities are close. */
static int close_row(int64_t n, const float *a, int64_t sa, const float *b, int64_t sb,
                     double rtol, double atol)
{
    for (int64_t i = 0; i < n; i++) {
        double x = a[i * sa], y = b[i * sb];
        if (!(x == y || fabs(x - y) <= atol + rtol * fabs(y)))
            return 0;
    }
    return 1;
}

int eng_allclose(eng_tensor *a, eng_tensor *b, double rtol, double atol, int *result,
                 eng_error *err)
{
    int ndim;
    int64_t shape[ENG_MAX_DIMS], sa[ENG_MAX_DIMS], sb[ENG_MAX_DIMS];
    int rc = eng_broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &ndim, shape, err);
    if (rc != ENG_OK)
        return rc;
    eng_broadcast_strides(a, ndim, shape, sa, err);
    eng_broadcast_strides(b, ndim, shape, sb, err);
    const float *pa = eng_tensor_data(a), *pb = eng_tensor_data(b);
    int close = 1;
    eng_iter it;
    eng_iter_init(&it, 2, ndim, shape, (const int64_t *const[]){ sa, sb });
    while (close && eng_iter_next(&it))
        close = close_row(it.n, pa + it.off[0], it.stride[0], pb + it.off[1], it.stride[1],
                          rtol, atol);
    *result = close;
    return ENG_OK;
}
