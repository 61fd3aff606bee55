/*
 * vm_ops.c -- the operators' slow paths: everything but number-op-number, which the VM does
 * inline. Tensors go to lib_tensor.c; strings, lists and tuples behave as in Python; any
 * other mix is a TypeError that names both types.
 */
#include <math.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_tensor.h"

static const char *op_symbol(lang_opcode op)
{
    switch (op) {
    case LANG_OP_ADD: return "+";
    case LANG_OP_SUB: return "-";
    case LANG_OP_MUL: return "*";
    case LANG_OP_DIV: return "/";
    case LANG_OP_FLOORDIV: return "//";
    case LANG_OP_MOD: return "%";
    case LANG_OP_POW: return "**";
    case LANG_OP_MATMUL: return "@";
    case LANG_OP_BITAND: return "&";
    case LANG_OP_BITOR: return "|";
    case LANG_OP_BITXOR: return "^";
    case LANG_OP_LSHIFT: return "<<";
    case LANG_OP_RSHIFT: return ">>";
    case LANG_OP_EQ: return "==";
    case LANG_OP_NE: return "!=";
    case LANG_OP_LT: return "<";
    case LANG_OP_LE: return "<=";
    case LANG_OP_GT: return ">";
    case LANG_OP_GE: return ">=";
    case LANG_OP_NEG: return "-";
    case LANG_OP_POS: return "+";
    case LANG_OP_INVERT: return "~";
    default: return "?";
    }
}

static int tensor_binop_of(lang_opcode op, eng_binop *out)
{
    switch (op) {
    case LANG_OP_ADD: *out = ENG_BIN_ADD; return 1;
    case LANG_OP_SUB: *out = ENG_BIN_SUB; return 1;
    case LANG_OP_MUL: *out = ENG_BIN_MUL; return 1;
    case LANG_OP_DIV: *out = ENG_BIN_DIV; return 1;
    case LANG_OP_FLOORDIV: *out = ENG_BIN_FLOORDIV; return 1;
    case LANG_OP_MOD: *out = ENG_BIN_MOD; return 1;
    case LANG_OP_POW: *out = ENG_BIN_POW; return 1;
    case LANG_OP_BITAND: *out = ENG_BIN_AND; return 1;
    case LANG_OP_BITOR: *out = ENG_BIN_OR; return 1;
    case LANG_OP_EQ: *out = ENG_BIN_EQ; return 1;
    case LANG_OP_NE: *out = ENG_BIN_NE; return 1;
    case LANG_OP_LT: *out = ENG_BIN_LT; return 1;
    case LANG_OP_LE: *out = ENG_BIN_LE; return 1;
    case LANG_OP_GT: *out = ENG_BIN_GT; return 1;
    case LANG_OP_GE: *out = ENG_BIN_GE; return 1;
    default: return 0;
    }
}

static lang_status type_error(lang_vm *vm, lang_opcode op, lang_value a, lang_value b)
{
    lang_raise(vm, LANG_ERR_TYPE, "unsupported operand types for %s: %s and %s", op_symbol(op),
               lang_type_name(a), lang_type_name(b));
    if (op == LANG_OP_ADD && (LANG_IS_STR(a) || LANG_IS_STR(b)))
        lang_hint(vm, "convert with str(x), or use an f-string: f\"loss {x}\"");
    else if (op == LANG_OP_MOD && LANG_IS_STR(a))
        lang_hint(vm, "format text with an f-string: f\"{x:.3f}\"");
    return LANG_ERR_TYPE;
}

static int as_number(lang_value v, double *d)
{
    if (LANG_IS_NUM(v)) { *d = v.as.num; return 1; }
    if (LANG_IS_BOOL(v)) { *d = v.as.boolean; return 1; }
    return 0;
}

static lang_status num_binary(lang_vm *vm, lang_opcode op, double a, double b, lang_value *out)
{
    if ((op == LANG_OP_DIV || op == LANG_OP_FLOORDIV || op == LANG_OP_MOD) && b == 0)
        return lang_raise(vm, LANG_ERR_VALUE, "division by zero");
    if (op == LANG_OP_POW && a == 0 && b < 0)
        return lang_raise(vm, LANG_ERR_VALUE, "0 cannot be raised to a negative power");
    if (op >= LANG_OP_BITAND && op <= LANG_OP_RSHIFT) {
        if (a != floor(a) || b != floor(b) || fabs(a) > 9e15 || fabs(b) > 9e15)
            return lang_raise(vm, LANG_ERR_TYPE, "%s needs whole numbers", op_symbol(op));
        int64_t x = (int64_t)a, y = (int64_t)b;
        if ((op == LANG_OP_LSHIFT || op == LANG_OP_RSHIFT) && (y < 0 || y > 62))
            return lang_raise(vm, LANG_ERR_VALUE, "shift count %lld out of range", (long long)y);
        int64_t r = op == LANG_OP_BITAND ? (x & y) : op == LANG_OP_BITOR ? (x | y)
                  : op == LANG_OP_BITXOR ? (x ^ y) : op == LANG_OP_LSHIFT ? (x << y) : (x >> y);
        *out = lang_num((double)r);
        return LANG_OK;
    }
    double r = 0;
    switch (op) {
    case LANG_OP_ADD: r = a + b; break;
    case LANG_OP_SUB: r = a - b; break;
    case LANG_OP_MUL: r = a * b; break;
    case LANG_OP_DIV: r = a / b; break;
    case LANG_OP_FLOORDIV: r = floor(a / b); break;
    case LANG_OP_MOD: r = fmod(a, b); if (r != 0 && ((r < 0) != (b < 0))) r += b; break;
    case LANG_OP_POW: r = pow(a, b); break;
    default: return lang_raise(vm, LANG_ERR_TYPE, "%s is not defined for numbers", op_symbol(op));
    }
    *out = lang_num(r);
    return LANG_OK;
}

/* The items of a list or tuple (borrowed) */
static int seq_items(lang_value v, lang_value **items, size_t *n)
{
    if (LANG_IS_LIST(v)) { *items = LANG_AS_LIST(v)->items; *n = LANG_AS_LIST(v)->len; return 1; }
    if (LANG_IS_TUPLE(v)) { *items = LANG_AS_TUPLE(v)->items; *n = LANG_AS_TUPLE(v)->len; return 1; }
    return 0;
}

static lang_status make_seq(lang_vm *vm, int tuple, size_t n, lang_value *out, lang_value **items)
{
    if (tuple) {
        lang_tuple *t = lang_tuple_new(vm, n);
        if (!t) return LANG_ERR_MEMORY;
        *items = t->items;
        *out = lang_obj_val(t);
    } else {
        lang_list *l = lang_list_new(vm, n);
        if (!l) return LANG_ERR_MEMORY;
        l->len = n;
        *items = l->items;
        *out = lang_obj_val(l);
    }
    return LANG_OK;
}

/* list + list, tuple + tuple */
static lang_status seq_concat(lang_vm *vm, lang_value a, lang_value b, lang_value *out)
{
    lang_value *x = NULL, *y = NULL, *items;
    size_t nx = 0, ny = 0;
    seq_items(a, &x, &nx);
    seq_items(b, &y, &ny);
    lang_status st = make_seq(vm, LANG_IS_TUPLE(a), nx + ny, out, &items);
    if (st != LANG_OK) return st;
    for (size_t i = 0; i < nx; i++) items[i] = lang_incref(x[i]);
    for (size_t i = 0; i < ny; i++) items[nx + i] = lang_incref(y[i]);
    return LANG_OK;
}

/* list * n, str * n */
static lang_status repeat(lang_vm *vm, lang_value seq, double times, lang_value *out)
{
    if (times != floor(times))
        return lang_raise(vm, LANG_ERR_TYPE, "can only repeat a %s a whole number of times",
                          lang_type_name(seq));
    size_t k = times > 0 ? (size_t)times : 0;
    if (LANG_IS_STR(seq)) {
        lang_str *s = LANG_AS_STR(seq);
        if (s->len && k > ((size_t)1 << 34) / s->len)
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory: the string would be too long");
        lang_buf b = {0};
        for (size_t i = 0; i < k && !b.oom; i++) lang_buf_add(&b, s->chars, s->len);
        lang_str *r = b.oom ? NULL : lang_str_new(vm, b.data ? b.data : "", b.len);
        lang_buf_free(&b);
        if (!r) return b.oom ? lang_raise(vm, LANG_ERR_MEMORY, "out of memory") : LANG_ERR_MEMORY;
        *out = lang_obj_val(r);
        return LANG_OK;
    }
    lang_value *x = NULL, *items;
    size_t n = 0;
    seq_items(seq, &x, &n);
    if (n && k > ((size_t)1 << 30) / n)
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory: the %s would be too long",
                          lang_type_name(seq));
    lang_status st = make_seq(vm, LANG_IS_TUPLE(seq), n * k, out, &items);
    if (st != LANG_OK) return st;
    for (size_t i = 0; i < n * k; i++) items[i] = lang_incref(x[i % n]);
    return LANG_OK;
}

lang_status lang_op_binary(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                           const char *rhs_name, lang_value *out)
{
    double x, y;
    if (LANG_IS_TENSOR(a) || LANG_IS_TENSOR(b)) {
        if (op == LANG_OP_MATMUL) return lang_tensor_matmul(vm, a, b, rhs_name, out);
        eng_binop eop;
        if (!tensor_binop_of(op, &eop)) return type_error(vm, op, a, b);
        return lang_tensor_binop(vm, eop, a, b, out);
    }
    if (as_number(a, &x) && as_number(b, &y) && op != LANG_OP_MATMUL)
        return num_binary(vm, op, x, y, out);
    if (op == LANG_OP_MOD && LANG_IS_STR(a)) return lang_op_percent(vm, LANG_AS_STR(a), b, out);
    if (op == LANG_OP_ADD && LANG_IS_STR(a) && LANG_IS_STR(b)) {
        lang_value parts[2] = { a, b };
        return lang_op_concat_strings(vm, parts, 2, out);
    }
    if (op == LANG_OP_ADD && ((LANG_IS_LIST(a) && LANG_IS_LIST(b)) || (LANG_IS_TUPLE(a) && LANG_IS_TUPLE(b))))
        return seq_concat(vm, a, b, out);
    if (op == LANG_OP_MUL) {
        if ((LANG_IS_STR(a) || LANG_IS_LIST(a) || LANG_IS_TUPLE(a)) && as_number(b, &y))
            return repeat(vm, a, y, out);
        if ((LANG_IS_STR(b) || LANG_IS_LIST(b) || LANG_IS_TUPLE(b)) && as_number(a, &x))
            return repeat(vm, b, x, out);
    }
    if (op == LANG_OP_MATMUL && (LANG_IS_LIST(a) || LANG_IS_LIST(b)))
        return lang_tensor_matmul(vm, a, b, rhs_name, out);
    return type_error(vm, op, a, b);
}

lang_status lang_op_unary(lang_vm *vm, lang_opcode op, lang_value a, lang_value *out)
{
    double x;
    if (LANG_IS_TENSOR(a)) {
        if (op == LANG_OP_POS) { *out = lang_incref(a); return LANG_OK; }
        return lang_tensor_unary(vm, op == LANG_OP_NEG ? ENG_UN_NEG : ENG_UN_NOT, a, out);
    }
    if (as_number(a, &x)) {
        if (op == LANG_OP_INVERT) {
            if (x != floor(x)) return lang_raise(vm, LANG_ERR_TYPE, "~ needs a whole number");
            *out = lang_num(-x - 1);
        } else {
            *out = lang_num(op == LANG_OP_NEG ? -x : x);
        }
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "bad operand type for unary %s: %s", op_symbol(op),
                      lang_type_name(a));
}

/* Orders two values of comparable types: -1, 0, 1; 2 when they cannot be ordered; 3 when
 * nested deeper than LANG_MAX_NESTING. */
static int order_at(lang_value a, lang_value b, int depth);
static int order(lang_value a, lang_value b) { return order_at(a, b, 0); }

static int order_at(lang_value a, lang_value b, int depth)
{
    double x, y;
    if (as_number(a, &x) && as_number(b, &y)) return x < y ? -1 : x > y ? 1 : 0;
    if (LANG_IS_STR(a) && LANG_IS_STR(b)) {
        lang_str *s = LANG_AS_STR(a), *t = LANG_AS_STR(b);
        size_t n = s->len < t->len ? s->len : t->len;
        int c = memcmp(s->chars, t->chars, n);
        if (c) return c < 0 ? -1 : 1;
        return s->len < t->len ? -1 : s->len > t->len ? 1 : 0;
    }
    lang_value *p, *q;
    size_t np, nq;
    if (((LANG_IS_LIST(a) && LANG_IS_LIST(b)) || (LANG_IS_TUPLE(a) && LANG_IS_TUPLE(b))) &&
        seq_items(a, &p, &np) && seq_items(b, &q, &nq)) {
        if (depth > LANG_MAX_NESTING) return 3;
        for (size_t i = 0; i < np && i < nq; i++) {
            int e = lang_equal_checked(p[i], q[i]);
            if (e < 0) return 3;
            if (e) continue;
            return order_at(p[i], q[i], depth + 1);
        }
        return np < nq ? -1 : np > nq ? 1 : 0;
    }
    return 2;
}

int lang_compare_values(lang_value a, lang_value b) { return order(a, b); }

lang_status lang_op_compare(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                            lang_value *out)
{
    if (LANG_IS_TENSOR(a) || LANG_IS_TENSOR(b)) {
        eng_binop eop;
        tensor_binop_of(op, &eop);
        return lang_tensor_binop(vm, eop, a, b, out);
    }
    if (op == LANG_OP_EQ || op == LANG_OP_NE) {
        int eq = lang_equal_checked(a, b);
        if (eq < 0) return lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded in comparison");
        *out = lang_bool(op == LANG_OP_EQ ? eq : !eq);
        return LANG_OK;
    }
    int c = order(a, b);
    if (c == 3) return lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded in comparison");
    if (c == 2)
        return lang_raise(vm, LANG_ERR_TYPE, "'%s' is not supported between %s and %s",
                          op_symbol(op), lang_type_name(a), lang_type_name(b));
    int r = op == LANG_OP_LT ? c < 0 : op == LANG_OP_LE ? c <= 0 : op == LANG_OP_GT ? c > 0 : c >= 0;
    *out = lang_bool(r);
    return LANG_OK;
}

lang_status lang_op_contains(lang_vm *vm, lang_value container, lang_value x, int *result)
{
    lang_value *items;
    size_t n;
    *result = 0;
    if (seq_items(container, &items, &n)) {
        for (size_t i = 0; i < n; i++)
            if (lang_equal(items[i], x)) { *result = 1; break; }
        return LANG_OK;
    }
    if (LANG_IS_DICT(container)) {
        *result = lang_is_hashable(x) && lang_dict_get(LANG_AS_DICT(container), x) != NULL;
        return LANG_OK;
    }
    if (LANG_IS_STR(container)) {
        if (!LANG_IS_STR(x))
            return lang_raise(vm, LANG_ERR_TYPE, "'in <str>' needs a str on the left, got %s",
                              lang_type_name(x));
        lang_str *s = LANG_AS_STR(container), *sub = LANG_AS_STR(x);
        *result = sub->len == 0 || memmem(s->chars, s->len, sub->chars, sub->len) != NULL;
        return LANG_OK;
    }
    if (LANG_IS_TENSOR(container)) return lang_tensor_contains(vm, container, x, result);
    if (LANG_IS_TYPE(container, LANG_OBJ_RANGE)) {
        lang_range *r = (lang_range *)container.as.obj;
        double v;
        if (as_number(x, &v) && v == floor(v)) {
            double k = (v - r->start) / r->step;
            *result = k == floor(k) && k >= 0 && k < lang_range_len(r);
        }
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "'in' needs a list, tuple, dict, str, range or tensor "
                      "on the right, got %s", lang_type_name(container));
}

/* x op= y: a tensor is updated in place when the result has its shape (NumPy's a += b), a list
 * is extended in place; anything else is x = x op y. */
lang_status lang_op_inplace(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                            lang_value *out)
{
    eng_binop eop;
    if (LANG_IS_TENSOR(a) && op != LANG_OP_MATMUL && tensor_binop_of(op, &eop)) {
        eng_tensor *t = LANG_AS_TENSOR(a), *rhs;
        lang_status st = lang_tensor_from_value(vm, b, "the right side of an augmented assignment", &rhs);
        if (st != LANG_OK) return st;
        eng_error err;
        if (!lang_tensor_inplace_ok(vm, t, rhs)) {   /* autograd must see x = x op y */
            eng_tensor_release(rhs);
            return lang_op_binary(vm, op, a, b, NULL, out);
        }
        int ok = eng_binary_inplace(eop, t, rhs, &err) == ENG_OK;
        eng_tensor_release(rhs);
        if (ok) {
            *out = lang_incref(a);
            return LANG_OK;
        }
        if (err.code != ENG_ERR_SHAPE) return lang_raise_eng(vm, &err);
        /* the result is bigger than t (t += matrix): an ordinary binary op, as Python falls back */
    }
    if (op == LANG_OP_ADD && LANG_IS_LIST(a)) {   /* xs += iterable extends xs, as in Python */
        lang_status st = lang_list_extend(vm, LANG_AS_LIST(a), b);
        if (st != LANG_OK) return st;
        *out = lang_incref(a);
        return LANG_OK;
    }
    return lang_op_binary(vm, op, a, b, NULL, out);
}

lang_status lang_list_extend(lang_vm *vm, lang_list *l, lang_value items)
{
    lang_value it, item;
    lang_status st = lang_op_iter(vm, items, &it);
    if (st != LANG_OK) return st;
    size_t n = l->len;   /* xs += xs: take only the items there at the start */
    double pos = LANG_IS_TYPE(it, LANG_OBJ_RANGE) ? ((lang_range *)it.as.obj)->start : 0;
    while (st == LANG_OK && (it.as.obj != &l->h || (size_t)pos < n) &&
           lang_op_next(vm, it, &pos, &item, &st))
        st = lang_list_append(vm, l, item);
    lang_decref(vm, it);
    return st;
}

lang_status lang_build_list(lang_vm *vm, lang_value *items, int n, int flag, lang_value *out)
{
    lang_status st = LANG_OK;
    if (flag && lang_tensor_from_literal(vm, items, n, flag, out, &st)) {
        if (st != LANG_OK) return st;   /* the items stay on the stack for the VM to release */
        for (int i = 0; i < n; i++) lang_decref(vm, items[i]);
        return LANG_OK;
    }
    if (st != LANG_OK) return st;
    lang_list *l = lang_list_new(vm, (size_t)n);
    if (!l) return LANG_ERR_MEMORY;
    if (n) memcpy(l->items, items, (size_t)n * sizeof *items);   /* takes the stack's references */
    l->len = (size_t)n;
    *out = lang_obj_val(l);
    return LANG_OK;
}

lang_status lang_build_dict(lang_vm *vm, lang_value *items, int n, lang_value *out)
{
    lang_dict *d = lang_dict_new(vm);
    if (!d) return LANG_ERR_MEMORY;
    lang_status st = LANG_OK;
    for (int i = 0; i < n && st == LANG_OK; i++) st = lang_dict_set(vm, d, items[2 * i], items[2 * i + 1]);
    if (st != LANG_OK) {
        lang_decref(vm, lang_obj_val(d));
        return st;
    }
    for (int i = 0; i < 2 * n; i++) lang_decref(vm, items[i]);
    *out = lang_obj_val(d);
    return LANG_OK;
}
