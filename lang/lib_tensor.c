/*
 * lib_tensor.c -- tensors in the language: what the VM calls for operators on tensors
 * (arithmetic, @, unary ops, indexing and index assignment, attributes, `in`, bracket literals),
 * and the value -> tensor conversion every tensor builtin shares.
 *
 * Speed matters on the operator paths: `y = x + x` on a 10-element tensor is one engine call
 * (one malloc for the result) plus one wrapper object, nothing else. Indexing every dimension
 * with plain numbers (t[i], t[i, j]) reads or writes the element directly, with no view made.
 * Everything else goes through the engine, whose errors become lang errors via lang_raise_eng.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_tensor.h"

/* ---- small helpers ------------------------------------------------------------------------ */

/* A number from a number or a bool (True is 1); 0 when v is neither. */
static int as_number(lang_value v, double *x)
{
    if (LANG_IS_NUM(v)) { *x = v.as.num; return 1; }
    if (LANG_IS_BOOL(v)) { *x = v.as.boolean ? 1.0 : 0.0; return 1; }
    return 0;
}

static int is_seq(lang_value v) { return LANG_IS_LIST(v) || LANG_IS_TUPLE(v); }

/* Is v a (nested) list or tuple whose leaves are all bools? */
static int all_bools(lang_value v)
{
    if (LANG_IS_BOOL(v)) return 1;
    if (!LANG_IS_LIST(v) && !LANG_IS_TUPLE(v)) return 0;
    const lang_value *items = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
    size_t n = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
    for (size_t i = 0; i < n; i++)
        if (!all_bools(items[i])) return 0;
    return n > 0;
}

static size_t seq_len(lang_value v)
{
    return LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
}

static const lang_value *seq_items(lang_value v)
{
    return LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
}

const char *lang_tensor_num_text(double d, char *buf, size_t cap)
{
    /* The shortest %.*g that reads back to d, as the language prints numbers. */
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (isnan(d)) snprintf(buf, cap, "nan");
    return buf;
}

/* 10^k for 0 <= k <= 22: exactly representable doubles, so m / 10^k is correctly rounded. */
static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

double lang_tensor_f32_num(float f)
{
    double x = f;
    char buf[48];
    if (!isfinite(x) || (fabs(x) < 16777216.0 && x == nearbyint(x))) return x;  /* exact */
    /* The decimal with the fewest digits (at most 9) that reads back as f in float32, as the
     * double nearest to it: m / 10^s or m * 10^-s with m whole is correctly rounded when 10^|s|
     * is exact. */
    int e = (int)floor(log10(fabs(x)));
    for (int k = 1; k <= 9; k++) {
        int s = k - 1 - e;
        if (s > 22 || s < -22) break;
        double d = s >= 0 ? nearbyint(x * pow10_exact[s]) / pow10_exact[s]
                          : nearbyint(x / pow10_exact[-s]) * pow10_exact[-s];
        if ((float)d == f) return d;
    }
    for (int k = 1; k <= 9; k++) {          /* tiny or huge values: the slow, general way */
        snprintf(buf, sizeof buf, "%.*g", k, x);
        if (strtof(buf, NULL) == f) return strtod(buf, NULL);
    }
    return x;
}

lang_status lang_tensor_arg_int(lang_vm *vm, lang_value v, const char *what, int64_t *out)
{
    double x;
    char num[40];
    if (!as_number(v, &x))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a whole number, got %s", what,
                          lang_type_name(v));
    if (x != floor(x))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a whole number, got %s", what,
                          lang_tensor_num_text(x, num, sizeof num));
    /* 2^53: beyond it doubles are all whole but no longer exact counts or indices. */
    if (fabs(x) > 9007199254740992.0)
        return lang_raise(vm, LANG_ERR_VALUE, "%s is out of range, got %s", what,
                          lang_tensor_num_text(x, num, sizeof num));
    *out = (int64_t)x;
    return LANG_OK;
}

lang_status lang_tensor_result(lang_vm *vm, eng_tensor *t, const eng_error *err, int scalar_to_num,
                               lang_value *out)
{
    if (!t) return lang_raise_eng(vm, err);
    if (scalar_to_num && t->ndim == 0 && !t->requires_grad) {   /* a loss stays a tensor */
        *out = lang_num(lang_tensor_f32_num(eng_tensor_item(t)));
        eng_tensor_release(t);
        return LANG_OK;
    }
    *out = lang_tensor_wrap(vm, t);   /* takes t; raises MemoryError itself on failure */
    return LANG_IS_UNDEF(*out) ? LANG_ERR_MEMORY : LANG_OK;
}

/* Copies t's elements in row-major order into dst (t->size floats), honouring strides. */
static void copy_elements(float *dst, const eng_tensor *t)
{
    const float *src = eng_tensor_data(t);
    int64_t idx[ENG_MAX_DIMS] = { 0 }, off = 0;
    if (t->size == 0) return;
    if (eng_tensor_is_contiguous(t)) {
        memcpy(dst, src, (size_t)t->size * sizeof *dst);
        return;
    }
    /* An odometer over the index: bump the last dim, carry into the ones before it. */
    for (int64_t n = 0; n < t->size; n++) {
        dst[n] = src[off];
        for (int d = t->ndim - 1; d >= 0; d--) {
            off += t->strides[d];
            if (++idx[d] < t->shape[d]) break;
            off -= t->strides[d] * t->shape[d];
            idx[d] = 0;
        }
    }
}

/* ---- value -> tensor ---------------------------------------------------------------------- */

/* One list -> tensor conversion. The shape is read off the first item at every depth
 * (infer_shape); fill() then walks every item, checks it against that shape and writes floats
 * in row-major order at dst. A tensor inside the list contributes its own dims ([t1, t2] with
 * t1, t2 of shape (3,) gives (2, 3)). */
typedef struct conv {
    lang_vm *vm;
    const char *what;
    int ndim;
    int64_t shape[ENG_MAX_DIMS];
    float *dst;
} conv;

static lang_status too_deep(conv *c)
{
    return lang_raise(c->vm, LANG_ERR_VALUE, "%s supports at most %d dimensions", c->what,
                      ENG_MAX_DIMS);
}

static lang_status not_numbers(conv *c, lang_value v)
{
    return lang_raise(c->vm, LANG_ERR_TYPE, "%s needs numbers, got %s", c->what,
                      lang_type_name(v));
}

static lang_status infer_shape(conv *c, lang_value v)
{
    c->ndim = 0;
    while (is_seq(v)) {
        size_t n = seq_len(v);
        if (c->ndim == ENG_MAX_DIMS) return too_deep(c);
        c->shape[c->ndim++] = (int64_t)n;
        if (n == 0) return LANG_OK;
        v = seq_items(v)[0];
    }
    if (LANG_IS_TENSOR(v)) {
        const eng_tensor *t = LANG_AS_TENSOR(v);
        if (c->ndim + t->ndim > ENG_MAX_DIMS) return too_deep(c);
        memcpy(c->shape + c->ndim, t->shape, (size_t)t->ndim * sizeof t->shape[0]);
        c->ndim += t->ndim;
        return LANG_OK;
    }
    if (LANG_IS_NUM(v) || LANG_IS_BOOL(v)) return LANG_OK;
    return not_numbers(c, v);
}

/* How an item looks, for the rectangular-list message: "is a number", "has 3 items" (or just
 * "has 3" for the row it is compared with), "has shape (2, 3)". */
static void describe(char *buf, size_t cap, int ndim, const int64_t *shape, int bare)
{
    char sh[128];
    if (ndim == 0) snprintf(buf, cap, "is a number");
    else if (ndim == 1 && bare) snprintf(buf, cap, "has %lld", (long long)shape[0]);
    else if (ndim == 1) snprintf(buf, cap, "has %lld item%s", (long long)shape[0],
                                 shape[0] == 1 ? "" : "s");
    else snprintf(buf, cap, "has shape %s", eng_shape_format(ndim, shape, sh, sizeof sh));
}

/* Row `row` (within its parent, at depth d) looks like (ndim, shape) where row 0 has the dims
 * c->shape[d..]. Lists are compared by their length only. */
static lang_status ragged(conv *c, int d, size_t row, int ndim, const int64_t *shape, int is_list)
{
    char mine[160], first[160];
    int first_ndim = c->ndim - d;
    if (is_list && first_ndim > 1) first_ndim = 1;
    describe(mine, sizeof mine, ndim, shape, 0);
    describe(first, sizeof first, first_ndim, c->shape + d, ndim == 1 && first_ndim == 1);
    return lang_raise(c->vm, LANG_ERR_VALUE, "%s needs a rectangular list: row %zu %s, row 0 %s",
                      c->what, row, mine, first);
}

static lang_status fill(conv *c, lang_value v, int d, size_t row);

static lang_status fill_seq(conv *c, lang_value v, int d, size_t row)
{
    int64_t n = (int64_t)seq_len(v);
    const lang_value *items = seq_items(v);
    if (d == c->ndim || n != c->shape[d]) return ragged(c, d, row, 1, &n, 1);
    for (int64_t i = 0; i < n; i++) {
        lang_status st = fill(c, items[i], d + 1, (size_t)i);
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static lang_status fill(conv *c, lang_value v, int d, size_t row)
{
    double x;
    if (is_seq(v)) return fill_seq(c, v, d, row);
    if (LANG_IS_TENSOR(v)) {
        const eng_tensor *t = LANG_AS_TENSOR(v);
        if (t->ndim != c->ndim - d ||
            memcmp(t->shape, c->shape + d, (size_t)t->ndim * sizeof t->shape[0]) != 0)
            return ragged(c, d, row, t->ndim, t->shape, 0);
        copy_elements(c->dst, t);
        c->dst += t->size;
        return LANG_OK;
    }
    if (!as_number(v, &x)) return not_numbers(c, v);
    if (d != c->ndim) return ragged(c, d, row, 0, NULL, 0);
    *c->dst++ = (float)x;
    return LANG_OK;
}

static lang_status tensor_from_range(lang_vm *vm, const lang_range *r, eng_tensor **out)
{
    eng_error err;
    *out = eng_tensor_arange(r->start, r->stop, r->step, &err);
    return *out ? LANG_OK : lang_raise_eng(vm, &err);
}

lang_status lang_tensor_from_value(lang_vm *vm, lang_value v, const char *what, eng_tensor **out)
{
    eng_error err;
    conv c;
    double x;
    lang_status st;
    *out = NULL;
    if (LANG_IS_TENSOR(v)) { *out = eng_tensor_retain(LANG_AS_TENSOR(v)); return LANG_OK; }
    if (as_number(v, &x)) {
        *out = eng_tensor_scalar((float)x, &err);
        return *out ? LANG_OK : lang_raise_eng(vm, &err);
    }
    if (LANG_IS_TYPE(v, LANG_OBJ_RANGE)) return tensor_from_range(vm, (const lang_range *)v.as.obj, out);
    if (!is_seq(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s needs a tensor, a number or a list of numbers, got %s",
                          what, lang_type_name(v));
    c.vm = vm;
    c.what = what;
    if ((st = infer_shape(&c, v)) != LANG_OK) return st;
    eng_tensor *t = eng_tensor_empty(c.ndim, c.shape, &err);
    if (!t) return lang_raise_eng(vm, &err);
    c.dst = eng_tensor_data(t);
    if ((st = fill(&c, v, 0, 0)) != LANG_OK) {
        eng_tensor_release(t);
        return st;
    }
    *out = t;
    return LANG_OK;
}

/* ---- arithmetic --------------------------------------------------------------------------- */

/* An operand of a tensor operator that is not a tensor or a number: a bool or a list. */
static lang_status operand(lang_vm *vm, lang_value v, const char *sym, lang_value other,
                           int left, eng_tensor **out)
{
    double x;
    *out = NULL;
    if (LANG_IS_TENSOR(v) || as_number(v, &x) || is_seq(v)) {
        char what[64];
        snprintf(what, sizeof what, "an operand of %s", sym);
        return lang_tensor_from_value(vm, v, what, out);
    }
    return lang_raise(vm, LANG_ERR_TYPE, "unsupported operand types for %s: %s and %s", sym,
                      lang_type_name(left ? v : other), lang_type_name(left ? other : v));
}

/* The slow path of lang_tensor_binop: bools, lists, or an operand of the wrong type. */
static lang_status binop_general(lang_vm *vm, eng_binop op, lang_value a, lang_value b,
                                 lang_value *out)
{
    eng_tensor *ta = NULL, *tb = NULL, *r = NULL;
    eng_error err;
    const char *sym = eng_binop_symbol(op);
    lang_status st = operand(vm, a, sym, b, 1, &ta);
    if (st == LANG_OK) st = operand(vm, b, sym, a, 0, &tb);
    if (st == LANG_OK) {
        r = eng_ag_binary(lang_vm_ag(vm), op, ta, tb, &err);
        st = lang_tensor_result(vm, r, &err, 0, out);
    }
    eng_tensor_release(ta);
    eng_tensor_release(tb);
    return st;
}

lang_status lang_tensor_binop(lang_vm *vm, eng_binop op, lang_value a, lang_value b, lang_value *out)
{
    eng_error err;
    eng_tensor *r;
    /* The hot paths: tensor op tensor, tensor op number, number op tensor. Autograd costs one
     * test of requires_grad when no operand is a parameter. */
    if (LANG_IS_TENSOR(a) && LANG_IS_TENSOR(b)) {
        eng_tensor *x = LANG_AS_TENSOR(a), *y = LANG_AS_TENSOR(b);
        r = (x->requires_grad | y->requires_grad) ? eng_ag_binary(lang_vm_ag(vm), op, x, y, &err)
                                                  : eng_binary(op, x, y, &err);
    } else if (LANG_IS_TENSOR(a) && LANG_IS_NUM(b)) {
        eng_tensor *x = LANG_AS_TENSOR(a);
        float s = (float)b.as.num;
        r = x->requires_grad ? eng_ag_binary_scalar(lang_vm_ag(vm), op, x, s, 0, &err)
                             : eng_binary_scalar(op, x, s, 0, &err);
    } else if (LANG_IS_NUM(a) && LANG_IS_TENSOR(b)) {
        eng_tensor *y = LANG_AS_TENSOR(b);
        float s = (float)a.as.num;
        r = y->requires_grad ? eng_ag_binary_scalar(lang_vm_ag(vm), op, y, s, 1, &err)
                             : eng_binary_scalar(op, y, s, 1, &err);
    } else
        return binop_general(vm, op, a, b, out);
    if (!r) return lang_raise_eng(vm, &err);
    *out = lang_tensor_wrap(vm, r);
    return LANG_IS_UNDEF(*out) ? LANG_ERR_MEMORY : LANG_OK;
}

/* After a failed a @ b: when b's last two dims swapped would fit a, point at name.T. */
static void matmul_hint(lang_vm *vm, const eng_tensor *a, const eng_tensor *b, const char *name)
{
    char sh[128];
    int64_t t_shape[ENG_MAX_DIMS];
    if (!name || a->ndim < 1 || b->ndim < 2) return;
    int64_t k = a->shape[a->ndim - 1];
    if (b->shape[b->ndim - 1] != k || b->shape[b->ndim - 2] == k) return;
    memcpy(t_shape, b->shape, (size_t)b->ndim * sizeof t_shape[0]);
    t_shape[b->ndim - 1] = b->shape[b->ndim - 2];
    t_shape[b->ndim - 2] = k;
    lang_hint(vm, "%s.T has shape %s", name, eng_shape_format(b->ndim, t_shape, sh, sizeof sh));
}

lang_status lang_tensor_matmul(lang_vm *vm, lang_value a, lang_value b, const char *rhs_name, lang_value *out)
{
    eng_tensor *ta = NULL, *tb = NULL;
    eng_error err;
    lang_status st = operand(vm, a, "@", b, 1, &ta);
    if (st == LANG_OK) st = operand(vm, b, "@", a, 0, &tb);
    if (st == LANG_OK) {
        eng_tensor *r = eng_ag_matmul(lang_vm_ag(vm), ta, tb, &err);
        if (!r) {
            st = lang_raise_eng(vm, &err);
            if (err.code == ENG_ERR_SHAPE) matmul_hint(vm, ta, tb, rhs_name);
        } else {
            st = lang_tensor_result(vm, r, &err, 1, out);   /* 1-d @ 1-d is a number */
        }
    }
    eng_tensor_release(ta);
    eng_tensor_release(tb);
    return st;
}

/* The unary ops on a plain number, in double precision (exp(1) is 2.718281828459045). */
static double unop_num(eng_unop op, double x)
{
    switch (op) {
    case ENG_UN_NEG: return -x;
    case ENG_UN_ABS: return fabs(x);
    case ENG_UN_EXP: return exp(x);
    case ENG_UN_LOG: return log(x);
    case ENG_UN_SQRT: return sqrt(x);
    case ENG_UN_TANH: return tanh(x);
    case ENG_UN_SIGMOID: return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    case ENG_UN_RELU: return x > 0 ? x : (isnan(x) ? x : 0.0);
    case ENG_UN_SIN: return sin(x);
    case ENG_UN_COS: return cos(x);
    case ENG_UN_FLOOR: return floor(x);
    case ENG_UN_CEIL: return ceil(x);
    case ENG_UN_ROUND: return nearbyint(x);   /* the default rounding mode: half to even */
    case ENG_UN_SIGN: return isnan(x) ? x : (double)((x > 0) - (x < 0));
    case ENG_UN_SQUARE: return x * x;
    case ENG_UN_NOT: return x == 0 ? 1.0 : 0.0;
    default: return NAN;
    }
}

lang_status lang_tensor_unary(lang_vm *vm, eng_unop op, lang_value a, lang_value *out)
{
    eng_error err;
    eng_tensor *t;
    double x;
    if (LANG_IS_TENSOR(a))
        return lang_tensor_result(vm, eng_ag_unary(lang_vm_ag(vm), op, LANG_AS_TENSOR(a), &err),
                                  &err, 0, out);
    if (as_number(a, &x)) {
        *out = lang_num(unop_num(op, x));
        return LANG_OK;
    }
    char what[64];
    snprintf(what, sizeof what, "%s()", eng_unop_name(op));
    lang_status st = lang_tensor_from_value(vm, a, what, &t);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_ag_unary(lang_vm_ag(vm), op, t, &err);
    eng_tensor_release(t);
    return lang_tensor_result(vm, r, &err, 0, out);
}

/* ---- indexing ----------------------------------------------------------------------------- */

#define MAX_INDEX (2 * ENG_MAX_DIMS)

/* An index expression converted for the engine. Lists inside it become tensors owned here
 * (released by index_free); tensors given directly are borrowed. */
typedef struct index_list {
    int n, nowned;
    eng_index ix[MAX_INDEX];
    eng_tensor *owned[MAX_INDEX];
} index_list;

static void index_free(index_list *il)
{
    for (int i = 0; i < il->nowned; i++) eng_tensor_release(il->owned[i]);
    il->nowned = 0;
}

static lang_status bad_index(lang_vm *vm, lang_value v)
{
    char num[40];
    if (LANG_IS_NUM(v) && v.as.num == floor(v.as.num))   /* whole, but beyond any size */
        return lang_raise(vm, LANG_ERR_INDEX, "index %s is out of bounds",
                          lang_tensor_num_text(v.as.num, num, sizeof num));
    if (LANG_IS_NUM(v))
        return lang_raise(vm, LANG_ERR_TYPE, "tensor indices must be whole numbers, got %s",
                          lang_tensor_num_text(v.as.num, num, sizeof num));
    return lang_raise(vm, LANG_ERR_TYPE,
                      "tensor indices must be whole numbers, slices, None, lists or tensors, got %s",
                      lang_type_name(v));
}

/* A whole number that fits an int64 index (bounds are the engine's business). */
static int index_number(lang_value v, int64_t *i)
{
    if (!LANG_IS_NUM(v)) return 0;
    double x = v.as.num;
    if (x != floor(x) || fabs(x) > 4.0e18) return 0;
    *i = (int64_t)x;
    return 1;
}

/* One bound of a slice: None (omitted) or a whole number. */
static lang_status slice_bound(lang_vm *vm, lang_value v, int64_t *val, int *has)
{
    *has = !LANG_IS_NONE(v) && !LANG_IS_UNDEF(v);
    *val = 0;
    if (*has && LANG_IS_NUM(v) && v.as.num == floor(v.as.num) && fabs(v.as.num) > 4.0e18) {
        *val = v.as.num > 0 ? INT64_C(4000000000000000000) : -INT64_C(4000000000000000000);
        return LANG_OK;   /* beyond any size: clamped, as Python clamps slice bounds */
    }
    if (*has && !index_number(v, val)) {
        char num[40];
        if (LANG_IS_NUM(v))
            return lang_raise(vm, LANG_ERR_TYPE, "slice bounds must be whole numbers, got %s",
                              lang_tensor_num_text(v.as.num, num, sizeof num));
        return lang_raise(vm, LANG_ERR_TYPE, "slice bounds must be whole numbers or None, got %s",
                          lang_type_name(v));
    }
    return LANG_OK;
}

static lang_status index_one(lang_vm *vm, lang_value v, index_list *il)
{
    if (il->n == MAX_INDEX)
        return lang_raise(vm, LANG_ERR_INDEX, "too many indices (at most %d)", MAX_INDEX);
    eng_index *ix = &il->ix[il->n++];
    memset(ix, 0, sizeof *ix);
    if (LANG_IS_NUM(v)) {
        ix->kind = ENG_IDX_INT;
        return index_number(v, &ix->i) ? LANG_OK : bad_index(vm, v);
    }
    if (LANG_IS_NONE(v)) { ix->kind = ENG_IDX_NEWAXIS; return LANG_OK; }
    if (LANG_IS_TENSOR(v)) { ix->kind = ENG_IDX_TENSOR; ix->t = LANG_AS_TENSOR(v); return LANG_OK; }
    if (LANG_IS_TYPE(v, LANG_OBJ_SLICE)) {
        const lang_slice *s = (const lang_slice *)v.as.obj;
        lang_status st;
        ix->kind = ENG_IDX_SLICE;
        if ((st = slice_bound(vm, s->start, &ix->start, &ix->has_start)) != LANG_OK) return st;
        if ((st = slice_bound(vm, s->stop, &ix->stop, &ix->has_stop)) != LANG_OK) return st;
        return slice_bound(vm, s->step, &ix->step, &ix->has_step);
    }
    if (is_seq(v)) {
        eng_tensor *t;
        lang_status st = lang_tensor_from_value(vm, v, "a tensor index", &t);
        if (st != LANG_OK) return st;
        t->is_bool = all_bools(v);   /* t[[True, False]] is a mask, t[[1, 0]] picks rows */
        il->owned[il->nowned++] = t;
        ix->kind = ENG_IDX_TENSOR;
        ix->t = t;
        return LANG_OK;
    }
    return bad_index(vm, v);
}

/* t[a, b, c] arrives as one tuple index; anything else is a single index. */
static lang_status index_parse(lang_vm *vm, lang_value index, index_list *il)
{
    il->n = il->nowned = 0;
    if (!LANG_IS_TUPLE(index)) return index_one(vm, index, il);
    const lang_tuple *tu = LANG_AS_TUPLE(index);
    for (size_t i = 0; i < tu->len; i++) {
        lang_status st = index_one(vm, tu->items[i], il);
        if (st != LANG_OK) { index_free(il); return st; }
    }
    return LANG_OK;
}

/* The storage offset of t[i0, i1, ...] when the index is one whole number per dimension, all
 * in range (negative counting from the end); 0 otherwise, and the general path then handles
 * it, errors included. This is the loop-friendly path: no view, no allocation. */
static int direct_offset(const eng_tensor *t, const lang_value *v, int n, int64_t *off)
{
    int64_t o = t->offset;
    if (n != t->ndim) return 0;
    for (int d = 0; d < n; d++) {
        double x, size = (double)t->shape[d];
        if (!LANG_IS_NUM(v[d])) return 0;
        x = v[d].as.num;
        if (!(x >= -size && x < size)) return 0;
        int64_t i = (int64_t)x;
        if ((double)i != x) return 0;
        if (i < 0) i += t->shape[d];
        o += i * t->strides[d];
    }
    *off = o;
    return 1;
}

static int fast_offset(const eng_tensor *t, lang_value index, int64_t *off)
{
    if (LANG_IS_NUM(index)) return direct_offset(t, &index, 1, off);
    if (LANG_IS_TUPLE(index))
        return direct_offset(t, LANG_AS_TUPLE(index)->items, (int)LANG_AS_TUPLE(index)->len, off);
    return 0;
}

lang_status lang_tensor_get_index(lang_vm *vm, lang_value tv, lang_value index, lang_value *out)
{
    eng_tensor *t = LANG_AS_TENSOR(tv);
    index_list il;
    eng_error err;
    int64_t off;
    eng_ag *ag = lang_vm_ag(vm);
    int record = t->requires_grad && ag->enabled;   /* w[0, 1] of a param: a 0-d tensor */
    if (!record && fast_offset(t, index, &off)) {
        *out = lang_num(lang_tensor_f32_num(t->storage->data[off]));
        return LANG_OK;
    }
    lang_status st = index_parse(vm, index, &il);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_ag_index_get(ag, t, il.n, il.ix, &err);
    index_free(&il);
    return lang_tensor_result(vm, r, &err, 1, out);
}

/* t[i] = v on a tensor computed from a param would change values its graph has saved. */
static lang_status assign_to_graph(lang_vm *vm)
{
    lang_status st = lang_raise(vm, LANG_ERR_VALUE, "cannot assign into a tensor computed from a "
                                "param(): its gradient would be wrong");
    lang_hint(vm, "build a new tensor instead (e.g. where(mask, a, b)), or assign inside "
              "`with no_grad():`");
    return st;
}

lang_status lang_tensor_set_index(lang_vm *vm, lang_value tv, lang_value index, lang_value v)
{
    eng_tensor *t = LANG_AS_TENSOR(tv), *src = NULL;
    index_list il;
    eng_error err;
    int64_t off;
    double x;
    int is_num = as_number(v, &x);
    if (t->node && lang_vm_ag(vm)->enabled) return assign_to_graph(vm);
    if (is_num && fast_offset(t, index, &off)) {
        t->storage->data[off] = (float)x;
        eng_tensor_bump_version(t);             /* autograd's in-place check (engine.h) */
        return LANG_OK;
    }
    lang_status st = index_parse(vm, index, &il);
    if (st != LANG_OK) return st;
    if (!is_num) st = lang_tensor_from_value(vm, v, "tensor assignment", &src);
    if (st == LANG_OK) {
        int rc = is_num ? eng_index_set_scalar(t, il.n, il.ix, (float)x, &err)
                        : eng_index_set(t, il.n, il.ix, src, &err);
        if (rc != ENG_OK) st = lang_raise_eng(vm, &err);
    }
    eng_tensor_release(src);
    index_free(&il);
    return st;
}

/* ---- attributes and `in` ------------------------------------------------------------------ */

static lang_status shape_list(lang_vm *vm, const eng_tensor *t, lang_value *out)
{
    lang_list *l = lang_list_new(vm, (size_t)t->ndim);
    if (!l) return LANG_ERR_MEMORY;
    for (int d = 0; d < t->ndim; d++) {
        lang_status st = lang_list_append(vm, l, lang_num((double)t->shape[d]));
        if (st != LANG_OK) { lang_decref(vm, lang_obj_val(l)); return st; }
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

lang_status lang_tensor_get_attr(lang_vm *vm, lang_value tv, const char *name, lang_value *out)
{
    eng_tensor *t = LANG_AS_TENSOR(tv);
    eng_error err;
    if (strcmp(name, "shape") == 0) return shape_list(vm, t, out);
    if (strcmp(name, "T") == 0)
        return lang_tensor_result(vm, eng_ag_transpose(lang_vm_ag(vm), t, NULL, &err), &err, 0, out);
    if (strcmp(name, "grad") == 0) {            /* None until a backward() reaches t */
        *out = t->grad ? lang_tensor_wrap(vm, eng_tensor_retain(t->grad)) : lang_none();
        return LANG_IS_UNDEF(*out) ? LANG_ERR_MEMORY : LANG_OK;
    }
    if (strcmp(name, "requires_grad") == 0) { *out = lang_bool(t->requires_grad); return LANG_OK; }
    if (strcmp(name, "is_leaf") == 0) { *out = lang_bool(t->node == NULL); return LANG_OK; }
    if (strcmp(name, "ndim") == 0) { *out = lang_num(t->ndim); return LANG_OK; }
    if (strcmp(name, "size") == 0) { *out = lang_num((double)t->size); return LANG_OK; }
    if (strcmp(name, "dtype") == 0) {
        lang_str *s = lang_str_cstr(vm, "float32");
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    return LANG_ERR_NAME;
}

static lang_status set_grad(lang_vm *vm, eng_tensor *t, lang_value v)
{
    char a[128], b[128];
    eng_error err;
    eng_tensor *g = NULL, *copy = NULL;
    if (!LANG_IS_NONE(v)) {
        lang_status st = lang_tensor_from_value(vm, v, "grad", &g);
        if (st != LANG_OK) return st;
        if (!eng_shape_equal(g, t)) {
            st = lang_raise(vm, LANG_ERR_SHAPE, "grad must have the tensor's shape %s, got %s",
                            eng_shape_format(t->ndim, t->shape, a, sizeof a),
                            eng_shape_format(g->ndim, g->shape, b, sizeof b));
            eng_tensor_release(g);
            return st;
        }
        copy = eng_tensor_copy(g, &err);     /* backward adds into it: never share */
        eng_tensor_release(g);
        if (!copy) return lang_raise_eng(vm, &err);
    }
    eng_tensor_release(t->grad);
    t->grad = copy;
    return LANG_OK;
}

lang_status lang_tensor_set_attr(lang_vm *vm, lang_value tv, const char *name, lang_value v)
{
    eng_tensor *t = LANG_AS_TENSOR(tv);
    if (strcmp(name, "grad") == 0) return set_grad(vm, t, v);
    if (strcmp(name, "requires_grad") == 0) {
        if (!LANG_IS_BOOL(v))
            return lang_raise(vm, LANG_ERR_TYPE, "requires_grad must be True or False, got %s",
                              lang_type_name(v));
        if (t->node)
            return lang_raise(vm, LANG_ERR_VALUE, "requires_grad can only be set on a tensor that "
                              "was not computed from a param() (use detach() first)");
        t->requires_grad = v.as.boolean;
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "cannot set attribute '%s' on a tensor", name);
}

/* Nonzero when any element of t (any layout) is nonzero, or equals `x` when match is set. */
static int any_element(const eng_tensor *t, int match, float x)
{
    const float *p = eng_tensor_data(t);
    int64_t idx[ENG_MAX_DIMS] = { 0 }, off = 0;
    for (int64_t n = 0; n < t->size; n++) {
        if (match ? p[off] == x : p[off] != 0) return 1;
        for (int d = t->ndim - 1; d >= 0; d--) {
            off += t->strides[d];
            if (++idx[d] < t->shape[d]) break;
            off -= t->strides[d] * t->shape[d];
            idx[d] = 0;
        }
    }
    return 0;
}

lang_status lang_tensor_contains(lang_vm *vm, lang_value tv, lang_value x, int *result)
{
    eng_tensor *t = LANG_AS_TENSOR(tv), *tx = NULL;
    eng_error err;
    double d;
    *result = 0;
    if (as_number(x, &d)) { *result = any_element(t, 1, (float)d); return LANG_OK; }
    /* NumPy: `x in t` is (t == x).any() for an array x; anything else is simply not there. */
    if (!LANG_IS_TENSOR(x) && !is_seq(x)) return LANG_OK;
    lang_status st = lang_tensor_from_value(vm, x, "in", &tx);
    if (st != LANG_OK) return st;
    eng_tensor *eq = eng_binary(ENG_BIN_EQ, t, tx, &err);
    eng_tensor_release(tx);
    if (!eq) return lang_raise_eng(vm, &err);
    *result = any_element(eq, 0, 0.0f);
    eng_tensor_release(eq);
    return LANG_OK;
}

/* ---- autograd's view of printing and in-place updates ----------------------------------- */

char *lang_tensor_format(const eng_tensor *t)
{
    char *s = eng_tensor_format(t, "tensor"), suffix[96];
    if (!s || !t->requires_grad) return s;
    if (t->node) snprintf(suffix, sizeof suffix, ", grad_fn=<%s>)", t->node->name);
    else snprintf(suffix, sizeof suffix, ", requires_grad=True)");
    size_t len = strlen(s);
    char *r = realloc(s, len + strlen(suffix) + 1);
    if (!r) { free(s); return NULL; }
    strcpy(r + len - 1, suffix);                /* replaces the closing ')' */
    return r;
}

int lang_tensor_inplace_ok(lang_vm *vm, const eng_tensor *x, const eng_tensor *y)
{
    if (!lang_vm_ag(vm)->enabled) return 1;
    return !x->node && !y->requires_grad;
}

/* ---- bracket literals ----------------------------------------------------------------------- */

/* [1, 2, 3]: every item a number. */
static int literal_numbers(lang_vm *vm, const lang_value *items, int n, lang_value *out,
                           lang_status *st)
{
    eng_error err;
    int64_t len = n;
    for (int i = 0; i < n; i++)
        if (!LANG_IS_NUM(items[i])) return 0;
    eng_tensor *t = eng_tensor_empty(1, &len, &err);
    if (t) {
        float *p = eng_tensor_data(t);
        for (int i = 0; i < n; i++) p[i] = (float)items[i].as.num;
    }
    *st = lang_tensor_result(vm, t, &err, 0, out);
    return 1;
}

/* [[1, 2], [3, 4]]: the inner literals are already tensors of one shape; stack them. */
static int literal_stack(lang_vm *vm, const lang_value *items, int n, lang_value *out,
                         lang_status *st)
{
    eng_tensor *small[16] = { NULL }, **ts = small;
    eng_error err;
    for (int i = 0; i < n; i++)
        if (!LANG_IS_TENSOR(items[i]) || !eng_shape_equal(LANG_AS_TENSOR(items[i]), LANG_AS_TENSOR(items[0])))
            return 0;
    if (LANG_AS_TENSOR(items[0])->ndim >= ENG_MAX_DIMS) return 0;
    if (n > 16 && !(ts = malloc((size_t)n * sizeof *ts))) {
        *st = lang_raise(vm, LANG_ERR_MEMORY, "out of memory building a %d-row tensor", n);
        return 1;
    }
    for (int i = 0; i < n; i++) ts[i] = LANG_AS_TENSOR(items[i]);
    eng_tensor *t = eng_ag_stack(lang_vm_ag(vm), n, ts, 0, &err);
    if (ts != small) free(ts);
    *st = lang_tensor_result(vm, t, &err, 0, out);
    return 1;
}

int lang_tensor_from_literal(lang_vm *vm, const lang_value *items, int n, int flag, lang_value *out, lang_status *st)
{
    int done = 0;
    *st = LANG_OK;
    if (n <= 0) return 0;
    if (flag == 1) done = literal_numbers(vm, items, n, out, st);
    else if (flag == 2) done = literal_stack(vm, items, n, out, st);
    if (done && *st != LANG_OK) *out = lang_none();
    return done;
}

/* ---- registration --------------------------------------------------------------------------- */

lang_status lang_lib_tensor_open(lang_vm *vm)
{
    lang_status st = lang_register(vm, lang_tensor_builtins);
    if (st != LANG_OK) return st;
    return lang_register_methods(vm, LANG_METHODS_TENSOR, lang_tensor_methods);
}
