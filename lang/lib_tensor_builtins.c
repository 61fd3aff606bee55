/*
 * lib_tensor_builtins.c -- the tensor builtins (tensor, zeros, sum, softmax, ...) and the tensor
 * methods (t.sum(), t.reshape(2, 3), ...), registered by lang_lib_tensor_open (lib_tensor.c).
 *
 * Names and parameters follow NumPy (axis=, keepdims=; zeros(2, 3), zeros((2, 3)) and
 * zeros([2, 3]) alike). sum, max, min, abs and round are also Python's builtins: on a list,
 * a range or several numbers they behave as Python's (sum([1, 2]) is 3, max(3, 7) is 7,
 * round(2.5) is 2), on a tensor as NumPy's. A reduction over every element gives a number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_tensor.h"

/* ---- argument helpers --------------------------------------------------------------------- */

static int as_number(lang_value v, double *x)
{
    if (LANG_IS_NUM(v)) { *x = v.as.num; return 1; }
    if (LANG_IS_BOOL(v)) { *x = v.as.boolean ? 1.0 : 0.0; return 1; }
    return 0;
}

static int is_seq(lang_value v) { return LANG_IS_LIST(v) || LANG_IS_TUPLE(v); }

/* An optional argument that was passed and is not None. */
static int given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

static size_t seq_len(lang_value v)
{
    return LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
}

static const lang_value *seq_items(lang_value v)
{
    return LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
}

static lang_status wrap(lang_vm *vm, eng_tensor *t, const eng_error *err, lang_value *out)
{
    return lang_tensor_result(vm, t, err, 0, out);
}

static lang_status arg_num(lang_vm *vm, lang_value v, const char *fname, const char *pname,
                           double *x)
{
    if (as_number(v, x)) return LANG_OK;
    return lang_raise(vm, LANG_ERR_TYPE, "%s %s must be a number, got %s", fname, pname,
                      lang_type_name(v));
}

/* A whole number >= 0 (a size or a count): "eye() n must be a whole number, got 2.5". */
static lang_status arg_count(lang_vm *vm, lang_value v, const char *fname, const char *pname,
                             int64_t *n)
{
    char what[96], num[40];
    snprintf(what, sizeof what, "%s %s", fname, pname);
    lang_status st = lang_tensor_arg_int(vm, v, what, n);
    if (st == LANG_OK && *n < 0)
        return lang_raise(vm, LANG_ERR_VALUE, "%s cannot be negative, got %s", what,
                          lang_tensor_num_text((double)*n, num, sizeof num));
    return st;
}

static lang_status arg_flag(lang_vm *vm, lang_value v, const char *fname, const char *pname,
                            int *flag)
{
    double x;
    *flag = 0;
    if (!given(v)) return LANG_OK;
    if (!as_number(v, &x))
        return lang_raise(vm, LANG_ERR_TYPE, "%s %s must be True or False, got %s", fname, pname,
                          lang_type_name(v));
    *flag = x != 0;
    return LANG_OK;
}

/* The numbers of a list, a tuple or a 1-d tensor (shapes and axes may come as any of them;
 * [2, 3] is a tensor because a bracket literal of numbers is one). Returns a count <= max and
 * fills vals, or -1 when v is not such a sequence, -2 when it is longer than max. */
static int small_seq(lang_value v, lang_value *vals, int max)
{
    if (LANG_IS_TENSOR(v)) {
        const eng_tensor *t = LANG_AS_TENSOR(v);
        if (t->ndim != 1) return -1;
        if (t->shape[0] > max) return -2;
        for (int64_t i = 0; i < t->shape[0]; i++)
            vals[i] = lang_num(eng_tensor_get(t, &i));
        return (int)t->shape[0];
    }
    if (!is_seq(v)) return -1;
    if (seq_len(v) > (size_t)max) return -2;
    if (seq_len(v)) memcpy(vals, seq_items(v), seq_len(v) * sizeof *vals);
    return (int)seq_len(v);
}

static lang_status shape_dim(lang_vm *vm, lang_value v, const char *fname, int allow_infer,
                             int64_t *dim)
{
    double x;
    char num[40];
    if (!as_number(v, &x))
        return lang_raise(vm, LANG_ERR_TYPE, "%s shape must be whole numbers, got %s", fname,
                          lang_type_name(v));
    if (x != floor(x))
        return lang_raise(vm, LANG_ERR_TYPE, "%s shape must be whole numbers, got %s", fname,
                          lang_tensor_num_text(x, num, sizeof num));
    if (x > (double)ENG_MAX_ELEMENTS)   /* whole, but no tensor that large can exist */
        return lang_raise(vm, LANG_ERR_MEMORY, "%s shape has a size of %s: too large to allocate",
                          fname, lang_tensor_num_text(x, num, sizeof num));
    if (x < 0 && !(allow_infer && x == -1))
        return lang_raise(vm, LANG_ERR_VALUE, "%s shape cannot have negative sizes, got %s", fname,
                          lang_tensor_num_text(x, num, sizeof num));
    *dim = (int64_t)x;
    return LANG_OK;
}

/* A shape from the arguments of zeros(2, 3), zeros((2, 3)), zeros([2, 3]) or zeros(5).
 * allow_infer permits one -1 (reshape). */
static lang_status arg_shape(lang_vm *vm, const lang_value *vals, int n, const char *fname,
                             int allow_infer, int *ndim, int64_t shape[ENG_MAX_DIMS])
{
    lang_value items[ENG_MAX_DIMS];
    if (n == 1 && !as_number(vals[0], &(double){ 0 })) {
        n = small_seq(vals[0], items, ENG_MAX_DIMS);
        if (n == -1)
            return lang_raise(vm, LANG_ERR_TYPE, "%s shape must be whole numbers, got %s", fname,
                              lang_type_name(vals[0]));
        vals = items;
    }
    if (n < 0 || n > ENG_MAX_DIMS)
        return lang_raise(vm, LANG_ERR_VALUE, "%s shape has more than %d dimensions", fname,
                          ENG_MAX_DIMS);
    for (int d = 0; d < n; d++) {
        lang_status st = shape_dim(vm, vals[d], fname, allow_infer, &shape[d]);
        if (st != LANG_OK) return st;
    }
    *ndim = n;
    return LANG_OK;
}

/* axis=: None (all axes), a whole number, or a tuple/list of them. */
static lang_status arg_axes(lang_vm *vm, lang_value v, const char *fname, int *naxes,
                            int axes[ENG_MAX_DIMS])
{
    lang_value items[ENG_MAX_DIMS];
    const lang_value *vals = &v;
    char what[64];
    int n = 1;
    *naxes = 0;
    if (!given(v)) return LANG_OK;
    if (!LANG_IS_NUM(v) && !LANG_IS_BOOL(v)) {
        if ((n = small_seq(v, items, ENG_MAX_DIMS)) == -2)
            return lang_raise(vm, LANG_ERR_VALUE, "%s axis has more than %d entries", fname,
                              ENG_MAX_DIMS);
        if (n > 0) vals = items;
        else if (n < 0) n = 1;   /* not a sequence: arg_int below names its type */
    }
    snprintf(what, sizeof what, "%s axis", fname);
    for (int i = 0; i < n; i++) {
        int64_t a;
        lang_status st = lang_tensor_arg_int(vm, vals[i], what, &a);
        if (st != LANG_OK) return st;
        axes[i] = a > 1000 ? 1000 : a < -1000 ? -1000 : (int)a;  /* the engine reports range */
    }
    *naxes = n;
    return LANG_OK;
}

/* A list of tensors for concat/stack: a list or tuple (items converted), or a tensor (its rows).
 * *ts is malloc'd and holds new references; free with free_tensors. */
static void free_tensors(eng_tensor **ts, int n)
{
    for (int i = 0; i < n; i++) eng_tensor_release(ts[i]);
    free(ts);
}

static lang_status rows_of(lang_vm *vm, eng_tensor *t, const char *fname, eng_tensor ***out, int *n)
{
    eng_error err;
    if (t->ndim == 0)
        return lang_raise(vm, LANG_ERR_TYPE, "%s needs a list of tensors, got a 0-d tensor", fname);
    eng_tensor **ts = calloc((size_t)t->shape[0] + 1, sizeof *ts);
    if (!ts) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    for (int64_t i = 0; i < t->shape[0]; i++) {
        eng_index ix = { .kind = ENG_IDX_INT, .i = i };
        if (!(ts[i] = eng_ag_index_get(lang_vm_ag(vm), t, 1, &ix, &err))) {
            free_tensors(ts, (int)i);
            return lang_raise_eng(vm, &err);
        }
    }
    *out = ts;
    *n = (int)t->shape[0];
    return LANG_OK;
}

static lang_status arg_tensor_list(lang_vm *vm, lang_value v, const char *fname, eng_tensor ***out,
                                   int *n)
{
    if (LANG_IS_TENSOR(v)) return rows_of(vm, LANG_AS_TENSOR(v), fname, out, n);
    if (!is_seq(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s needs a list of tensors, got %s", fname,
                          lang_type_name(v));
    size_t len = seq_len(v);
    const lang_value *items = seq_items(v);
    if (len == 0 || len > 1000000)
        return lang_raise(vm, LANG_ERR_VALUE, "%s needs a non-empty list of tensors", fname);
    eng_tensor **ts = calloc(len, sizeof *ts);
    if (!ts) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    for (size_t i = 0; i < len; i++) {
        lang_status st = lang_tensor_from_value(vm, items[i], fname, &ts[i]);
        if (st != LANG_OK) { free_tensors(ts, (int)i); return st; }
    }
    *out = ts;
    *n = (int)len;
    return LANG_OK;
}

/* ---- creation ----------------------------------------------------------------------------- */

static lang_status bi_tensor(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t;
    eng_error err;
    if (LANG_IS_TENSOR(a[0]))   /* like np.array(t): a copy that shares nothing */
        return wrap(vm, eng_tensor_copy(LANG_AS_TENSOR(a[0]), &err), &err, out);
    lang_status st = lang_tensor_from_value(vm, a[0], "tensor()", &t);
    return st != LANG_OK ? st : wrap(vm, t, NULL, out);
}

static lang_status filled(lang_vm *vm, const lang_value *dims, int n, const char *fname, float v,
                          lang_value *out)
{
    int ndim;
    int64_t shape[ENG_MAX_DIMS];
    eng_error err;
    lang_status st = arg_shape(vm, dims, n, fname, 0, &ndim, shape);
    if (st != LANG_OK) return st;
    return wrap(vm, eng_tensor_full(ndim, shape, v, &err), &err, out);
}

static lang_status bi_zeros(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return filled(vm, va, nva, "zeros()", 0.0f, out);
}

static lang_status bi_ones(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return filled(vm, va, nva, "ones()", 1.0f, out);
}

static lang_status bi_full(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double v = 0;
    lang_status st = arg_num(vm, a[1], "full()", "fill_value", &v);
    return st != LANG_OK ? st : filled(vm, &a[0], 1, "full()", (float)v, out);
}

static lang_status bi_eye(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t n, m;
    eng_error err;
    lang_status st = arg_count(vm, a[0], "eye()", "n", &n);
    m = n;
    if (st == LANG_OK && given(a[1])) st = arg_count(vm, a[1], "eye()", "m", &m);
    return st != LANG_OK ? st : wrap(vm, eng_tensor_eye(n, m, &err), &err, out);
}

static lang_status bi_arange(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double start = 0, stop, step = 1;
    eng_error err;
    lang_status st = arg_num(vm, a[0], "arange()", "start", &stop);
    if (st == LANG_OK && given(a[1])) {
        start = stop;
        st = arg_num(vm, a[1], "arange()", "stop", &stop);
    }
    if (st == LANG_OK && given(a[2])) st = arg_num(vm, a[2], "arange()", "step", &step);
    return st != LANG_OK ? st : wrap(vm, eng_tensor_arange(start, stop, step, &err), &err, out);
}

static lang_status bi_linspace(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double lo, hi;
    int64_t n = 50;
    eng_error err;
    lang_status st = arg_num(vm, a[0], "linspace()", "start", &lo);
    if (st == LANG_OK) st = arg_num(vm, a[1], "linspace()", "stop", &hi);
    if (st == LANG_OK && given(a[2])) st = arg_count(vm, a[2], "linspace()", "num", &n);
    return st != LANG_OK ? st : wrap(vm, eng_tensor_linspace(lo, hi, n, &err), &err, out);
}

/* rand(2, 3) / randn(2, 3); with no shape a single number, as NumPy's rand(). */
static lang_status random_fill(lang_vm *vm, lang_value *va, int nva, int normal, lang_value *out)
{
    const char *fname = normal ? "randn()" : "rand()";
    eng_rng *rng = lang_vm_rng(vm);
    int ndim;
    int64_t shape[ENG_MAX_DIMS];
    eng_error err;
    if (nva == 0) {
        *out = lang_num(normal ? eng_rng_normal(rng) : eng_rng_uniform(rng));
        return LANG_OK;
    }
    lang_status st = arg_shape(vm, va, nva, fname, 0, &ndim, shape);
    if (st != LANG_OK) return st;
    eng_tensor *t = normal ? eng_tensor_randn(rng, ndim, shape, &err)
                           : eng_tensor_rand(rng, ndim, shape, &err);
    return wrap(vm, t, &err, out);
}

static lang_status bi_rand(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return random_fill(vm, va, nva, 0, out);
}

static lang_status bi_randn(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return random_fill(vm, va, nva, 1, out);
}

/* randint(low, high=, size=): integers in [low, high), or [0, low) without high; a number
 * without size. */
static lang_status bi_randint(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t lo = 0, hi, shape[ENG_MAX_DIMS];
    int ndim = 0;
    eng_error err;
    lang_status st = lang_tensor_arg_int(vm, a[0], "randint() low", &hi);
    if (st == LANG_OK && given(a[1])) {
        lo = hi;
        st = lang_tensor_arg_int(vm, a[1], "randint() high", &hi);
    }
    if (st == LANG_OK && given(a[2])) st = arg_shape(vm, &a[2], 1, "randint()", 0, &ndim, shape);
    if (st != LANG_OK) return st;
    eng_tensor *t = eng_tensor_randint(lang_vm_rng(vm), lo, hi, ndim, shape, &err);
    return lang_tensor_result(vm, t, &err, !given(a[2]), out);
}

/* permutation(n): 0 .. n-1 shuffled, for minibatches in a loop of one's own. */
static lang_status bi_permutation(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                  lang_value *out)
{
    int64_t n;
    eng_error err;
    lang_status st = lang_tensor_arg_int(vm, a[0], "permutation() n", &n);
    if (st != LANG_OK) return st;
    return lang_tensor_result(vm, eng_tensor_permutation(lang_vm_rng(vm), n, &err), &err, 0, out);
}

static lang_status bi_seed(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t n;
    lang_status st = lang_tensor_arg_int(vm, a[0], "seed()", &n);
    if (st != LANG_OK) return st;
    eng_rng_seed(lang_vm_rng(vm), (uint64_t)n);
    *out = lang_none();
    return LANG_OK;
}

/* ---- shape -------------------------------------------------------------------------------- */

static lang_status bi_shape(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t;
    lang_status st = lang_tensor_from_value(vm, a[0], "shape()", &t);
    if (st != LANG_OK) return st;
    lang_value tv = lang_tensor_wrap(vm, t);
    if (LANG_IS_UNDEF(tv)) return LANG_ERR_MEMORY;
    st = lang_tensor_get_attr(vm, tv, "shape", out);
    lang_decref(vm, tv);
    return st;
}

static lang_status reshape(lang_vm *vm, lang_value x, const lang_value *dims, int n,
                           const char *fname, lang_value *out)
{
    eng_tensor *t;
    int ndim;
    int64_t shape[ENG_MAX_DIMS];
    eng_error err;
    lang_status st = arg_shape(vm, dims, n, fname, 1, &ndim, shape);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, x, fname, &t);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_ag_reshape(lang_vm_ag(vm), t, ndim, shape, &err);
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

static lang_status bi_reshape(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return reshape(vm, a[0], &a[1], 1, "reshape()", out);
}

/* transpose(x) reverses the dims; transpose(x, (1, 0, 2)) and t.transpose(1, 0, 2) permute
 * them (axes: n values, or one sequence). */
static lang_status transpose(lang_vm *vm, lang_value x, const lang_value *axes, int n,
                             const char *fname, lang_value *out)
{
    eng_tensor *t, *r = NULL;
    int perm[ENG_MAX_DIMS], nperm = 0;
    eng_error err;
    lang_status st = lang_tensor_from_value(vm, x, fname, &t);
    if (st != LANG_OK) return st;
    if (n == 1) {
        st = arg_axes(vm, axes[0], fname, &nperm, perm);
    } else if (n > ENG_MAX_DIMS) {
        nperm = n;
    } else {
        for (nperm = 0; nperm < n && st == LANG_OK; nperm++) {
            int64_t p;
            st = lang_tensor_arg_int(vm, axes[nperm], "transpose() axes", &p);
            perm[nperm] = p > 1000 ? 1000 : p < -1000 ? -1000 : (int)p;
        }
    }
    if (st == LANG_OK && n > 0 && nperm != t->ndim)
        st = lang_raise(vm, LANG_ERR_VALUE, "%s axes must name each of the %d dimensions once, "
                        "got %d axes", fname, t->ndim, nperm);
    if (st == LANG_OK) r = eng_ag_transpose(lang_vm_ag(vm), t, n > 0 ? perm : NULL, &err);
    eng_tensor_release(t);
    return st != LANG_OK ? st : wrap(vm, r, &err, out);
}

static lang_status bi_transpose(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return transpose(vm, a[0], &a[1], given(a[1]) ? 1 : 0, "transpose()", out);
}

static lang_status bi_flatten(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t;
    eng_error err;
    lang_status st = lang_tensor_from_value(vm, a[0], "flatten()", &t);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_ag_flatten(lang_vm_ag(vm), t, &err);
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

/* concat(tensors, axis=0) and stack(tensors, axis=0). */
static lang_status join(lang_vm *vm, lang_value *a, int is_stack, lang_value *out)
{
    const char *fname = is_stack ? "stack()" : "concat()";
    eng_tensor **ts = NULL, *r = NULL;
    int n = 0, naxes, axes[ENG_MAX_DIMS];
    eng_error err;
    lang_status st = arg_axes(vm, a[1], fname, &naxes, axes);
    if (st == LANG_OK && naxes > 1)
        st = lang_raise(vm, LANG_ERR_TYPE, "%s axis must be one whole number", fname);
    if (st == LANG_OK) st = arg_tensor_list(vm, a[0], fname, &ts, &n);
    if (st != LANG_OK) return st;
    int axis = naxes ? axes[0] : 0;
    eng_ag *ag = lang_vm_ag(vm);
    r = is_stack ? eng_ag_stack(ag, n, ts, axis, &err) : eng_ag_concat(ag, n, ts, axis, &err);
    free_tensors(ts, n);
    return wrap(vm, r, &err, out);
}

static lang_status bi_concat(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return join(vm, a, 0, out);
}

static lang_status bi_stack(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return join(vm, a, 1, out);
}

/* ---- reductions --------------------------------------------------------------------------- */

static lang_status reduce(lang_vm *vm, eng_redop op, const char *fname, lang_value x,
                          lang_value axis, lang_value keepdims, lang_value *out)
{
    eng_tensor *t;
    int naxes, axes[ENG_MAX_DIMS], keep;
    eng_error err;
    lang_status st = arg_axes(vm, axis, fname, &naxes, axes);
    if (st == LANG_OK) st = arg_flag(vm, keepdims, fname, "keepdims", &keep);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, x, fname, &t);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_ag_reduce(lang_vm_ag(vm), op, t, naxes, axes, keep, &err);
    eng_tensor_release(t);
    return lang_tensor_result(vm, r, &err, 1, out);
}

/* Python's sum/max/min work on lists, tuples and ranges; NumPy's on everything else. */
static int is_py_seq(lang_value v) { return is_seq(v) || LANG_IS_TYPE(v, LANG_OBJ_RANGE); }

/* Python's sum(items): 0 + items[0] + items[1] ... (tensors add elementwise). */
static lang_status py_sum(lang_vm *vm, lang_value seq, lang_value *out)
{
    if (LANG_IS_TYPE(seq, LANG_OBJ_RANGE)) {
        const lang_range *r = (const lang_range *)seq.as.obj;
        double n = lang_range_len(r);
        *out = lang_num(n * r->start + r->step * n * (n - 1) / 2);
        return LANG_OK;
    }
    const lang_value *items = seq_items(seq);
    lang_value acc = lang_num(0);
    for (size_t i = 0; i < seq_len(seq); i++) {
        double x;
        lang_value next;
        lang_status st = LANG_OK;
        if (LANG_IS_NUM(acc) && as_number(items[i], &x)) next = lang_num(acc.as.num + x);
        else if (LANG_IS_TENSOR(acc) || LANG_IS_TENSOR(items[i]))
            st = lang_tensor_binop(vm, ENG_BIN_ADD, acc, items[i], &next);
        else
            st = lang_raise(vm, LANG_ERR_TYPE, "sum() cannot add %s and %s", lang_type_name(acc),
                            lang_type_name(items[i]));
        lang_decref(vm, acc);
        if (st != LANG_OK) return st;
        acc = next;
    }
    *out = acc;
    return LANG_OK;
}

static lang_status bi_sum(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    if (is_py_seq(a[0]) && !given(a[1]) && !given(a[2])) return py_sum(vm, a[0], out);
    return reduce(vm, ENG_RED_SUM, "sum()", a[0], a[1], a[2], out);
}

/* Python's max/min over n values with sorted()'s ordering (numbers, strs, lists, tuples);
 * with a key function the keys are compared. The first of equal ones wins, as in Python. */
static lang_status py_extreme(lang_vm *vm, const lang_value *items, size_t n, int is_max,
                              lang_value key, lang_value *out)
{
    const char *fname = is_max ? "max()" : "min()";
    size_t best = 0;
    if (n == 0) return lang_raise(vm, LANG_ERR_VALUE, "%s arg is an empty sequence", fname);
    lang_value best_key = lang_none();
    lang_status st = LANG_OK;
    if (given(key) && (st = lang_call_value(vm, key, 1, &items[0], &best_key)) != LANG_OK) return st;
    for (size_t i = 0; i < n; i++) {
        lang_value k = items[i];
        if (given(key) && i > 0 && (st = lang_call_value(vm, key, 1, &items[i], &k)) != LANG_OK) break;
        if (given(key) && i == 0) k = lang_incref(best_key);
        int c = lang_compare_values(given(key) ? k : items[i], given(key) ? best_key : items[best]);
        if (c == 2 || c == 3 || LANG_IS_TENSOR(items[i])) {
            if (given(key)) lang_decref(vm, k);
            lang_decref(vm, best_key);
            return lang_raise(vm, LANG_ERR_TYPE, "%s cannot compare %s and %s%s", fname,
                              lang_type_name(items[i]), lang_type_name(items[best]),
                              LANG_IS_TENSOR(items[i]) ? " (maximum(a, b) and minimum(a, b) "
                              "compare tensors elementwise)" : "");
        }
        if (is_max ? c > 0 : c < 0) {
            best = i;
            if (given(key)) {
                lang_decref(vm, best_key);
                best_key = lang_incref(k);
            }
        }
        if (given(key)) lang_decref(vm, k);
    }
    lang_decref(vm, best_key);
    if (st != LANG_OK) return st;
    *out = lang_incref(items[best]);
    return LANG_OK;
}

static lang_status range_extreme(lang_vm *vm, const lang_range *r, int is_max, lang_value *out)
{
    double n = lang_range_len(r);
    if (n <= 0)
        return lang_raise(vm, LANG_ERR_VALUE, "%s arg is an empty sequence", is_max ? "max()" : "min()");
    double last = r->start + (n - 1) * r->step;
    *out = lang_num((r->step > 0) == (is_max != 0) ? last : r->start);
    return LANG_OK;
}

/* max(t), max(t, axis), max(t, axis=0, keepdims=True) as NumPy; max(3, 7), max([1, 5, 2])
 * and max(range(4)) as Python. */
static lang_status minmax(lang_vm *vm, lang_value *a, lang_value *va, int nva, int is_max,
                          lang_value *out)
{
    const char *fname = is_max ? "max()" : "min()";
    eng_redop op = is_max ? ENG_RED_MAX : ENG_RED_MIN;
    if (nva == 0)
        return lang_raise(vm, LANG_ERR_TYPE, "%s expected at least 1 argument, got 0", fname);
    /* a[0] is the "*args" slot itself; axis and keepdims are a[1] and a[2]. */
    if (LANG_IS_TENSOR(va[0]) || (nva == 1 && (given(a[1]) || given(a[2])))) {
        if (nva > 3)
            return lang_raise(vm, LANG_ERR_TYPE, "%s of a tensor takes (x, axis, keepdims), got %d "
                              "arguments", fname, nva);
        return reduce(vm, op, fname, va[0], nva > 1 ? va[1] : a[1], nva > 2 ? va[2] : a[2], out);
    }
    if (nva > 1) return py_extreme(vm, va, (size_t)nva, is_max, a[3], out);
    if (LANG_IS_TYPE(va[0], LANG_OBJ_RANGE) && !given(a[3]))
        return range_extreme(vm, (const lang_range *)va[0].as.obj, is_max, out);
    if (is_seq(va[0])) return py_extreme(vm, seq_items(va[0]), seq_len(va[0]), is_max, a[3], out);
    if (LANG_IS_STR(va[0]) || LANG_IS_DICT(va[0]) || LANG_IS_TYPE(va[0], LANG_OBJ_RANGE)) {
        lang_list *l = lang_list_new(vm, 0);   /* characters, keys: any other iterable */
        if (!l) return LANG_ERR_MEMORY;
        lang_status st = lang_list_extend(vm, l, va[0]);
        if (st == LANG_OK) st = py_extreme(vm, l->items, l->len, is_max, a[3], out);
        lang_decref(vm, lang_obj_val(l));
        return st;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "%s needs a tensor, a list or several numbers, got %s",
                      fname, lang_type_name(va[0]));
}

static lang_status bi_max(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return minmax(vm, a, va, nva, 1, out);
}

static lang_status bi_min(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return minmax(vm, a, va, nva, 0, out);
}

#define REDUCER(fn, op, fname) \
    static lang_status fn(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) \
    { return reduce(vm, op, fname, a[0], a[1], a[2], out); }

REDUCER(bi_mean, ENG_RED_MEAN, "mean()")
REDUCER(bi_std, ENG_RED_STD, "std()")
REDUCER(bi_var, ENG_RED_VAR, "var()")
REDUCER(bi_argmax, ENG_RED_ARGMAX, "argmax()")
REDUCER(bi_argmin, ENG_RED_ARGMIN, "argmin()")
REDUCER(m_sum, ENG_RED_SUM, "sum()")
REDUCER(m_max, ENG_RED_MAX, "max()")
REDUCER(m_min, ENG_RED_MIN, "min()")

/* ---- elementwise -------------------------------------------------------------------------- */

/* f(x) for a tensor, a list (made a tensor) or a number (computed in double). */
static lang_status unary(lang_vm *vm, eng_unop op, const char *fname, lang_value x, lang_value *out)
{
    eng_tensor *t;
    double d;
    if (LANG_IS_TENSOR(x) || as_number(x, &d)) return lang_tensor_unary(vm, op, x, out);
    lang_status st = lang_tensor_from_value(vm, x, fname, &t);
    if (st != LANG_OK) return st;
    lang_value tv = lang_tensor_wrap(vm, t);
    if (LANG_IS_UNDEF(tv)) return LANG_ERR_MEMORY;
    st = lang_tensor_unary(vm, op, tv, out);
    lang_decref(vm, tv);
    return st;
}

#define UNARY(fn, op, fname) \
    static lang_status fn(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) \
    { return unary(vm, op, fname, a[0], out); }

UNARY(bi_exp, ENG_UN_EXP, "exp()")
UNARY(bi_log, ENG_UN_LOG, "log()")
UNARY(bi_sqrt, ENG_UN_SQRT, "sqrt()")
UNARY(bi_tanh, ENG_UN_TANH, "tanh()")
UNARY(bi_sigmoid, ENG_UN_SIGMOID, "sigmoid()")
UNARY(bi_relu, ENG_UN_RELU, "relu()")
UNARY(bi_abs, ENG_UN_ABS, "abs()")
UNARY(bi_sin, ENG_UN_SIN, "sin()")
UNARY(bi_cos, ENG_UN_COS, "cos()")
UNARY(bi_square, ENG_UN_SQUARE, "square()")

/* Python's round(x, n): the decimal nearest to the exact binary value of x, which is what
 * printf's correctly rounded %.*f computes; round(x) is half to even. */
static double py_round(double x, int64_t nd)
{
    char buf[720];
    if (!isfinite(x) || nd > 330) return x;
    if (nd >= 0) {
        snprintf(buf, sizeof buf, "%.*f", (int)nd, x);
        return strtod(buf, NULL);
    }
    double p = pow(10.0, (double)-nd);
    return isinf(p) ? 0.0 * x : nearbyint(x / p) * p;
}

/* A tensor rounded to `nd` decimals, as NumPy: round(t * 10^nd) / 10^nd. */
static lang_status round_tensor(lang_vm *vm, lang_value x, int64_t nd, lang_value *out)
{
    eng_tensor *t, *s, *r;
    eng_error err;
    lang_status st = lang_tensor_from_value(vm, x, "round()", &t);
    if (st != LANG_OK) return st;
    if (nd == 0) {
        r = eng_unary(ENG_UN_ROUND, t, &err);
    } else {
        float scale = (float)pow(10.0, (double)(nd > 60 ? 60 : nd < -60 ? -60 : nd));
        s = eng_binary_scalar(ENG_BIN_MUL, t, scale, 0, &err);
        r = s ? eng_unary(ENG_UN_ROUND, s, &err) : NULL;
        eng_tensor_release(s);
        s = r;
        r = s ? eng_binary_scalar(ENG_BIN_DIV, s, scale, 0, &err) : NULL;
        eng_tensor_release(s);
    }
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

static lang_status bi_round(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t nd = 0;
    double x;
    lang_status st = given(a[1]) ? lang_tensor_arg_int(vm, a[1], "round() ndigits", &nd) : LANG_OK;
    if (st != LANG_OK) return st;
    if (as_number(a[0], &x)) {
        *out = lang_num(given(a[1]) ? py_round(x, nd) : nearbyint(x));
        return LANG_OK;
    }
    return round_tensor(vm, a[0], nd, out);
}

static lang_status softmax(lang_vm *vm, lang_value *a, int log_form, lang_value *out)
{
    const char *fname = log_form ? "log_softmax()" : "softmax()";
    eng_tensor *t;
    int64_t axis = -1;
    eng_error err;
    lang_status st = given(a[1]) ? lang_tensor_arg_int(vm, a[1], log_form ? "log_softmax() axis"
                                                       : "softmax() axis", &axis) : LANG_OK;
    if (st == LANG_OK) st = lang_tensor_from_value(vm, a[0], fname, &t);
    if (st != LANG_OK) return st;
    int ax = axis > 1000 ? 1000 : axis < -1000 ? -1000 : (int)axis;
    eng_ag *ag = lang_vm_ag(vm);
    eng_tensor *r = log_form ? eng_ag_log_softmax(ag, t, ax, &err) : eng_ag_softmax(ag, t, ax, &err);
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

static lang_status bi_softmax(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return softmax(vm, a, 0, out);
}

static lang_status bi_log_softmax(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return softmax(vm, a, 1, out);
}

static lang_status bi_where(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t[3] = { NULL, NULL, NULL }, *r = NULL;
    eng_error err;
    lang_status st = LANG_OK;
    for (int i = 0; i < 3 && st == LANG_OK; i++) st = lang_tensor_from_value(vm, a[i], "where()", &t[i]);
    if (st == LANG_OK) r = eng_ag_where(lang_vm_ag(vm), t[0], t[1], t[2], &err);
    for (int i = 0; i < 3; i++) eng_tensor_release(t[i]);
    return st != LANG_OK ? st : wrap(vm, r, &err, out);
}

/* clip(x, min, max), either bound None; a number stays a number. */
static lang_status clip(lang_vm *vm, lang_value x, lang_value lo_v, lang_value hi_v, lang_value *out)
{
    double lo = -INFINITY, hi = INFINITY, d;
    eng_tensor *t;
    eng_error err;
    lang_status st = given(lo_v) ? arg_num(vm, lo_v, "clip()", "min", &lo) : LANG_OK;
    if (st == LANG_OK && given(hi_v)) st = arg_num(vm, hi_v, "clip()", "max", &hi);
    if (st != LANG_OK) return st;
    if (as_number(x, &d)) {
        *out = lang_num(d < lo ? lo : d > hi ? hi : d);
        return LANG_OK;
    }
    if ((st = lang_tensor_from_value(vm, x, "clip()", &t)) != LANG_OK) return st;
    eng_tensor *r = eng_ag_clip(lang_vm_ag(vm), t, (float)lo, (float)hi, &err);
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

static lang_status bi_clip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return clip(vm, a[0], a[1], a[2], out);
}

static lang_status bi_matmul(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return lang_tensor_matmul(vm, a[0], a[1], NULL, out);
}

/* maximum(a, b) / minimum(a, b): elementwise, broadcast; two numbers give a number. */
static lang_status extreme2(lang_vm *vm, lang_value *a, int is_max, lang_value *out)
{
    double x, y;
    if (as_number(a[0], &x) && as_number(a[1], &y)) {
        *out = lang_num(isnan(x) || isnan(y) ? NAN : is_max ? fmax(x, y) : fmin(x, y));
        return LANG_OK;
    }
    return lang_tensor_binop(vm, is_max ? ENG_BIN_MAXIMUM : ENG_BIN_MINIMUM, a[0], a[1], out);
}

static lang_status bi_maximum(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return extreme2(vm, a, 1, out);
}

static lang_status bi_minimum(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return extreme2(vm, a, 0, out);
}

static lang_status bi_one_hot(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *t;
    int64_t n;
    eng_error err;
    lang_status st = arg_count(vm, a[1], "one_hot()", "num_classes", &n);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, a[0], "one_hot()", &t);
    if (st != LANG_OK) return st;
    eng_tensor *r = eng_one_hot(t, n, &err);
    eng_tensor_release(t);
    return wrap(vm, r, &err, out);
}

static lang_status bi_allclose(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *x = NULL, *y = NULL;
    double rtol = 1e-5, atol = 1e-8;
    int close = 0;
    eng_error err;
    lang_status st = given(a[2]) ? arg_num(vm, a[2], "allclose()", "rtol", &rtol) : LANG_OK;
    if (st == LANG_OK && given(a[3])) st = arg_num(vm, a[3], "allclose()", "atol", &atol);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, a[0], "allclose()", &x);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, a[1], "allclose()", &y);
    if (st == LANG_OK && eng_allclose(x, y, rtol, atol, &close, &err) != ENG_OK)
        st = lang_raise_eng(vm, &err);
    eng_tensor_release(x);
    eng_tensor_release(y);
    *out = lang_bool(close);
    return st;
}

/* ---- methods ------------------------------------------------------------------------------ */

static lang_status m_reshape(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return reshape(vm, a[0], va, nva, "reshape()", out);
}

static lang_status m_transpose(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return transpose(vm, a[0], va, nva, "transpose()", out);
}

static lang_status m_item(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const eng_tensor *t = LANG_AS_TENSOR(a[0]);
    char sh[128];
    if (t->size != 1)
        return lang_raise(vm, LANG_ERR_VALUE, "item() needs a tensor of one element, got shape %s",
                          eng_shape_format(t->ndim, t->shape, sh, sizeof sh));
    *out = lang_num(lang_tensor_f32_num(eng_tensor_item(t)));
    return LANG_OK;
}

/* Nested lists of numbers, dims from d on, starting at element pointer p (strided). */
static lang_status to_list(lang_vm *vm, const eng_tensor *t, int d, const float *p, lang_value *out)
{
    if (d == t->ndim) { *out = lang_num(lang_tensor_f32_num(*p)); return LANG_OK; }
    lang_list *l = lang_list_new(vm, (size_t)t->shape[d]);
    if (!l) return LANG_ERR_MEMORY;
    for (int64_t i = 0; i < t->shape[d]; i++) {
        lang_value item;
        lang_status st = to_list(vm, t, d + 1, p + i * t->strides[d], &item);
        if (st == LANG_OK) st = lang_list_append(vm, l, item);
        if (st != LANG_OK) { lang_decref(vm, lang_obj_val(l)); return st; }
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status m_tolist(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const eng_tensor *t = LANG_AS_TENSOR(a[0]);
    return to_list(vm, t, 0, eng_tensor_data(t), out);
}

static lang_status m_copy(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_error err;
    return wrap(vm, eng_tensor_copy(LANG_AS_TENSOR(a[0]), &err), &err, out);
}

static lang_status m_clip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return clip(vm, a[0], a[1], a[2], out);
}

/* ---- tables ------------------------------------------------------------------------------- */

const lang_builtin_def lang_tensor_builtins[] = {
    { "tensor", bi_tensor, "data",
      "tensor(data)\nA new float32 tensor from a number or a (nested) list or tuple of numbers; "
      "a tensor argument is copied.\nExample: tensor([[1, 2], [3, 4]])" },
    { "zeros", bi_zeros, "*shape",
      "zeros(*shape)\nA tensor of the given shape filled with 0; the shape is numbers or one "
      "tuple or list.\nExample: zeros(2, 3)" },
    { "ones", bi_ones, "*shape",
      "ones(*shape)\nA tensor of the given shape filled with 1; the shape is numbers or one "
      "tuple or list.\nExample: ones((2, 3))" },
    { "full", bi_full, "shape, fill_value",
      "full(shape, fill_value)\nA tensor of the given shape with every element fill_value.\n"
      "Example: full((2, 2), 7)" },
    { "eye", bi_eye, "n, m=",
      "eye(n, m=n)\nAn n x m tensor with ones on the diagonal and zeros elsewhere (the identity "
      "matrix when square).\nExample: eye(3)" },
    { "arange", bi_arange, "start, stop=, step=",
      "arange(stop) or arange(start, stop, step=1)\nEvenly spaced values from start up to, but "
      "not including, stop.\nExample: arange(1, 5, 0.5)" },
    { "linspace", bi_linspace, "start, stop, num=",
      "linspace(start, stop, num=50)\nnum evenly spaced values from start to stop, both "
      "included.\nExample: linspace(0, 1, 5)" },
    { "rand", bi_rand, "*shape",
      "rand(*shape)\nA tensor of uniform random numbers in [0, 1); with no shape, one number. "
      "seed(n) makes runs repeatable.\nExample: rand(2, 3)" },
    { "randn", bi_randn, "*shape",
      "randn(*shape)\nA tensor of standard normal random numbers (mean 0, std 1); with no shape, "
      "one number.\nExample: randn(3, 4) * 0.01" },
    { "permutation", bi_permutation, "n",
      "permutation(n)\nThe numbers 0 .. n-1 in a random order, as a tensor (NumPy's "
      "random.permutation): index data with it to shuffle in a training loop of your own.\n"
      "Example: idx = permutation(len(x)); xb, yb = x[idx[:64]], y[idx[:64]]" },
    { "randint", bi_randint, "low, high=, size=",
      "randint(low, high=None, size=None)\nRandom whole numbers in [low, high) (in [0, low) "
      "without high), as a tensor of shape size or one number.\nExample: randint(0, 10, (2, 3))" },
    { "seed", bi_seed, "n",
      "seed(n)\nResets the random generator used by rand, randn, randint, shuffling and weight "
      "initialisation, so a run can be repeated.\nExample: seed(42)" },
    { "shape", bi_shape, "x",
      "shape(x)\nThe shape of a tensor as a list of sizes, one per dimension (the same as "
      "x.shape).\nExample: shape(zeros(2, 3))   # [2, 3]" },
    { "reshape", bi_reshape, "x, shape",
      "reshape(x, shape)\nThe same elements arranged in a new shape; one size may be -1 to be "
      "worked out.\nExample: reshape(arange(6), (2, 3))" },
    { "transpose", bi_transpose, "x, axes=",
      "transpose(x, axes=None)\nThe tensor with its dimensions reversed, or permuted as axes "
      "says (x.T for short).\nExample: transpose(ones(2, 3))   # shape (3, 2)" },
    { "flatten", bi_flatten, "x",
      "flatten(x)\nThe elements of x in one dimension, in row-major order.\n"
      "Example: flatten(tensor([[1, 2], [3, 4]]))" },
    { "concat", bi_concat, "tensors, axis=",
      "concat(tensors, axis=0)\nJoins a list of tensors along an existing axis; the other sizes "
      "must agree.\nExample: concat([ones(2, 3), zeros(1, 3)])   # shape (3, 3)" },
    { "stack", bi_stack, "tensors, axis=",
      "stack(tensors, axis=0)\nJoins a list of tensors of one shape along a new axis.\n"
      "Example: stack([ones(3), zeros(3)])   # shape (2, 3)" },
    { "sum", bi_sum, "x, axis=, keepdims=",
      "sum(x, axis=None, keepdims=False)\nThe sum of the elements (over axis if given); on a list "
      "or range, Python's sum.\nExample: sum(tensor([[1, 2], [3, 4]]), axis=0)   # tensor([4., 6.])" },
    { "mean", bi_mean, "x, axis=, keepdims=",
      "mean(x, axis=None, keepdims=False)\nThe average of the elements, over axis if given.\n"
      "Example: mean(tensor([1, 2, 3, 4]))   # 2.5" },
    { "max", bi_max, "*args, axis=, keepdims=, key=",
      "max(x, axis=None, keepdims=False) or max(a, b, ..., key=None)\nThe largest element of a tensor (over "
      "axis if given); on a list, str, dict or several values, Python's max (key= compares key(item)).\nExample: max(tensor([[1, 5], "
      "[3, 2]]), axis=1)   # tensor([5., 3.])" },
    { "min", bi_min, "*args, axis=, keepdims=, key=",
      "min(x, axis=None, keepdims=False) or min(a, b, ..., key=None)\nThe smallest element of a tensor "
      "(over axis if given); on a list, str, dict or several values, Python's min (key= compares key(item)).\nExample: min(3, 7)   # 3" },
    { "argmax", bi_argmax, "x, axis=, keepdims=",
      "argmax(x, axis=None)\nThe index of the largest element (in the flattened tensor, or along "
      "axis); the first one on ties.\nExample: argmax(tensor([[1, 9], [8, 2]]), axis=1)   # tensor([1., 0.])" },
    { "argmin", bi_argmin, "x, axis=, keepdims=",
      "argmin(x, axis=None)\nThe index of the smallest element (in the flattened tensor, or along "
      "axis); the first one on ties.\nExample: argmin(tensor([3, 1, 2]))   # 1" },
    { "std", bi_std, "x, axis=, keepdims=",
      "std(x, axis=None, keepdims=False)\nThe standard deviation (population, ddof 0, as NumPy), "
      "over axis if given.\nExample: std(tensor([1, 2, 3, 4]))   # 1.118034" },
    { "var", bi_var, "x, axis=, keepdims=",
      "var(x, axis=None, keepdims=False)\nThe variance (population, ddof 0, as NumPy), over axis "
      "if given.\nExample: var(tensor([1, 2, 3, 4]))   # 1.25" },
    { "exp", bi_exp, "x",
      "exp(x)\ne to the power x, elementwise on a tensor.\nExample: exp(tensor([0, 1]))" },
    { "log", bi_log, "x",
      "log(x)\nThe natural logarithm, elementwise on a tensor (log(0) is -inf).\n"
      "Example: log(tensor([1, 10]))" },
    { "sqrt", bi_sqrt, "x",
      "sqrt(x)\nThe square root, elementwise on a tensor.\nExample: sqrt(tensor([4, 9]))" },
    { "tanh", bi_tanh, "x",
      "tanh(x)\nThe hyperbolic tangent, elementwise: an activation squashing values into (-1, 1).\n"
      "Example: tanh(tensor([-2, 0, 2]))" },
    { "sigmoid", bi_sigmoid, "x",
      "sigmoid(x)\n1 / (1 + exp(-x)) elementwise: an activation squashing values into (0, 1).\n"
      "Example: sigmoid(tensor([-1, 0, 1]))" },
    { "relu", bi_relu, "x",
      "relu(x)\nmax(x, 0) elementwise: the rectified linear unit activation.\n"
      "Example: relu(tensor([-1, 0, 2]))   # tensor([0., 0., 2.])" },
    { "sin", bi_sin, "x",
      "sin(x)\nThe sine (x in radians), elementwise on a tensor.\nExample: sin(linspace(0, 3.14159, 5))" },
    { "cos", bi_cos, "x",
      "cos(x)\nThe cosine (x in radians), elementwise on a tensor.\nExample: cos(tensor([0, 1]))" },
    { "square", bi_square, "x",
      "square(x)\nx * x, elementwise on a tensor.\nExample: square(tensor([1, -2, 3]))   # tensor([1., 4., 9.])" },
    { "softmax", bi_softmax, "x, axis=",
      "softmax(x, axis=-1)\nexp(x) normalised to sum to 1 along axis: turns scores into "
      "probabilities.\nExample: softmax(tensor([1, 2, 3]))" },
    { "log_softmax", bi_log_softmax, "x, axis=",
      "log_softmax(x, axis=-1)\nlog(softmax(x)) along axis, computed stably.\n"
      "Example: log_softmax(tensor([1, 2, 3]))" },
    { "where", bi_where, "condition, x, y",
      "where(condition, x, y)\nElementwise x where condition is nonzero, else y; all three "
      "broadcast together.\nExample: where(t > 0, t, 0)" },
    { "clip", bi_clip, "x, min=, max=",
      "clip(x, min=None, max=None)\nLimits every element to [min, max]; either bound may be None.\n"
      "Example: clip(tensor([-2, 0.5, 3]), 0, 1)   # tensor([0. , 0.5, 1. ])" },
    { "matmul", bi_matmul, "a, b",
      "matmul(a, b)\nThe matrix product a @ b (NumPy's matmul: 1-d operands act as vectors, "
      "extra leading dims are batches).\nExample: matmul(ones(2, 3), ones(3, 4))   # shape (2, 4)" },
    { "maximum", bi_maximum, "a, b",
      "maximum(a, b)\nThe larger of a and b elementwise, broadcast (max() reduces one tensor "
      "instead).\nExample: maximum(tensor([1, 5]), 3)   # tensor([3., 5.])" },
    { "minimum", bi_minimum, "a, b",
      "minimum(a, b)\nThe smaller of a and b elementwise, broadcast.\n"
      "Example: minimum(tensor([1, 5]), 3)   # tensor([1., 3.])" },
    { "one_hot", bi_one_hot, "labels, num_classes",
      "one_hot(labels, num_classes)\nWhole-number class labels to rows of 0s with a 1 at the "
      "label (Keras to_categorical).\nExample: one_hot(tensor([0, 2]), 3)" },
    { "allclose", bi_allclose, "a, b, rtol=, atol=",
      "allclose(a, b, rtol=1e-05, atol=1e-08)\nTrue when |a - b| <= atol + rtol * |b| for every "
      "element (broadcast).\nExample: allclose(tensor([1, 2]), tensor([1, 2.000001]))   # True" },
    { "abs", bi_abs, "x",
      "abs(x)\nThe absolute value of a number, or of every element of a tensor.\n"
      "Example: abs(-2)   # 2" },
    { "round", bi_round, "x, ndigits=",
      "round(x, ndigits=None)\nx rounded to ndigits decimals (to a whole number, halves to even, "
      "without ndigits); elementwise on a tensor.\nExample: round(2.567, 2)   # 2.57" },
    { NULL, NULL, NULL, NULL },
};

const lang_builtin_def lang_tensor_methods[] = {
    { "sum", m_sum, "self, axis=, keepdims=",
      "t.sum(axis=None, keepdims=False)\nThe sum of the elements, over axis if given.\n"
      "Example: t.sum(axis=0)" },
    { "mean", bi_mean, "self, axis=, keepdims=",
      "t.mean(axis=None, keepdims=False)\nThe average of the elements, over axis if given.\n"
      "Example: t.mean()" },
    { "max", m_max, "self, axis=, keepdims=",
      "t.max(axis=None, keepdims=False)\nThe largest element, over axis if given.\n"
      "Example: t.max(axis=1)" },
    { "min", m_min, "self, axis=, keepdims=",
      "t.min(axis=None, keepdims=False)\nThe smallest element, over axis if given.\n"
      "Example: t.min()" },
    { "argmax", bi_argmax, "self, axis=, keepdims=",
      "t.argmax(axis=None)\nThe index of the largest element (flattened, or along axis).\n"
      "Example: logits.argmax(axis=1)" },
    { "argmin", bi_argmin, "self, axis=, keepdims=",
      "t.argmin(axis=None)\nThe index of the smallest element (flattened, or along axis).\n"
      "Example: t.argmin()" },
    { "std", bi_std, "self, axis=, keepdims=",
      "t.std(axis=None, keepdims=False)\nThe standard deviation (ddof 0), over axis if given.\n"
      "Example: t.std(axis=0)" },
    { "var", bi_var, "self, axis=, keepdims=",
      "t.var(axis=None, keepdims=False)\nThe variance (ddof 0), over axis if given.\n"
      "Example: t.var()" },
    { "reshape", m_reshape, "self, *shape",
      "t.reshape(*shape)\nThe same elements in a new shape, given as numbers or one tuple; one "
      "size may be -1.\nExample: arange(6).reshape(2, 3)" },
    { "transpose", m_transpose, "self, *axes",
      "t.transpose(*axes)\nThe dims reversed (no axes, the same as t.T) or permuted.\n"
      "Example: zeros(2, 3, 4).transpose(1, 0, 2)   # shape (3, 2, 4)" },
    { "flatten", bi_flatten, "self",
      "t.flatten()\nThe elements in one dimension, row-major.\nExample: images.flatten()" },
    { "item", m_item, "self",
      "t.item()\nThe single element of a one-element tensor, as a number.\n"
      "Example: loss.item()" },
    { "tolist", m_tolist, "self",
      "t.tolist()\nThe elements as nested lists of numbers.\nExample: tensor([[1, 2]]).tolist()   "
      "# [[1, 2]]" },
    { "copy", m_copy, "self",
      "t.copy()\nA new tensor with the same elements that shares no memory with t.\n"
      "Example: backup = w.copy()" },
    { "abs", bi_abs, "self",
      "t.abs()\nThe absolute value of every element.\nExample: (a - b).abs().max()" },
    { "exp", bi_exp, "self",
      "t.exp()\ne to the power of every element.\nExample: t.exp()" },
    { "log", bi_log, "self",
      "t.log()\nThe natural logarithm of every element.\nExample: p.log()" },
    { "sqrt", bi_sqrt, "self",
      "t.sqrt()\nThe square root of every element.\nExample: t.var(axis=0).sqrt()" },
    { "tanh", bi_tanh, "self",
      "t.tanh()\nThe hyperbolic tangent of every element.\nExample: (x @ w).tanh()" },
    { "sigmoid", bi_sigmoid, "self",
      "t.sigmoid()\n1 / (1 + exp(-t)) for every element.\nExample: logits.sigmoid()" },
    { "relu", bi_relu, "self",
      "t.relu()\nmax(t, 0) for every element.\nExample: (x @ w + b).relu()" },
    { "square", bi_square, "self",
      "t.square()\nt * t for every element.\nExample: (pred - y).square().mean()" },
    { "clip", m_clip, "self, min=, max=",
      "t.clip(min=None, max=None)\nEvery element limited to [min, max]; either bound may be None.\n"
      "Example: p.clip(1e-7, 1 - 1e-7)" },
    { NULL, NULL, NULL, NULL },
};
