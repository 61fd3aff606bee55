/*
 * object.c -- heap objects: construction, destruction, and the generic operations every
 * value supports (type name, truth, equality, text). Dicts are in dict.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_tensor.h"

/* ---- allocation ------------------------------------------------------------------------ */

static void *obj_alloc(lang_vm *vm, size_t size, lang_obj_type type)
{
    /* malloc and only the header zeroed: GCC turns malloc+memset of the whole block into
     * calloc, and glibc's calloc bypasses the thread cache, which costs the small-tensor
     * path (a wrapper per result) a slow free. Constructors set every field. */
    lang_obj *o = malloc(size);
    if (!o) {
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        return NULL;
    }
    memset(o, 0, sizeof *o);
    o->refcount = 1;
    o->type = (uint8_t)type;
    if (lang_is_container(o)) lang_gc_track(vm, o);
    return o;
}

uint32_t lang_hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

size_t lang_utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

size_t lang_str_offset(const lang_str *s, size_t char_index)
{
    if (s->nchars == s->len) return char_index;   /* ASCII */
    size_t i = 0;
    for (size_t c = 0; i < s->len; i++) {
        if (((unsigned char)s->chars[i] & 0xC0) == 0x80) continue;
        if (c++ == char_index) break;
    }
    return i;
}

lang_str *lang_str_new(lang_vm *vm, const char *s, size_t len)
{
    lang_str *str = obj_alloc(vm, sizeof *str + len + 1, LANG_OBJ_STR);
    if (!str) return NULL;
    memcpy(str->chars, s, len);
    str->chars[len] = '\0';
    str->len = len;
    str->nchars = lang_utf8_count(s, len);
    str->hash = lang_hash_bytes(s, len);
    return str;
}

lang_str *lang_str_cstr(lang_vm *vm, const char *s) { return lang_str_new(vm, s, strlen(s)); }

lang_str *lang_str_fmt(lang_vm *vm, const char *fmt, ...)
{
    lang_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n < sizeof tmp) return lang_str_new(vm, tmp, (size_t)n);
    b.data = malloc((size_t)n + 1);
    if (!b.data) {
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(b.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    lang_str *s = lang_str_new(vm, b.data, (size_t)n);
    free(b.data);
    return s;
}

lang_list *lang_list_new(lang_vm *vm, size_t cap)
{
    lang_list *l = obj_alloc(vm, sizeof *l, LANG_OBJ_LIST);
    if (!l) return NULL;
    l->len = l->cap = 0;
    l->items = NULL;
    if (cap) {
        l->items = malloc(cap * sizeof *l->items);
        if (!l->items) {
            lang_decref(vm, lang_obj_val(l));
            lang_raise(vm, LANG_ERR_MEMORY, "out of memory: a list of %zu items", cap);
            return NULL;
        }
        l->cap = cap;
    }
    return l;
}

lang_status lang_list_append(lang_vm *vm, lang_list *l, lang_value v)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        lang_value *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            lang_decref(vm, v);
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory growing a list");
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = v;
    return LANG_OK;
}

lang_tuple *lang_tuple_new(lang_vm *vm, size_t len)
{
    if (len > ((size_t)1 << 32)) {
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory: a tuple of %zu items", len);
        return NULL;
    }
    lang_tuple *t = obj_alloc(vm, sizeof *t + len * sizeof(lang_value), LANG_OBJ_TUPLE);
    if (!t) return NULL;
    t->len = len;
    for (size_t i = 0; i < len; i++) t->items[i] = lang_none();
    return t;
}

lang_range *lang_range_new(lang_vm *vm, double start, double stop, double step)
{
    lang_range *r = obj_alloc(vm, sizeof *r, LANG_OBJ_RANGE);
    if (!r) return NULL;
    r->start = start;
    r->stop = stop;
    r->step = step;
    return r;
}

double lang_range_len(const lang_range *r)
{
    double n = ceil((r->stop - r->start) / r->step);
    return n > 0 ? n : 0;
}

lang_slice *lang_slice_new(lang_vm *vm, lang_value start, lang_value stop, lang_value step)
{
    lang_slice *s = obj_alloc(vm, sizeof *s, LANG_OBJ_SLICE);
    if (!s) return NULL;
    s->start = lang_incref(start);
    s->stop = lang_incref(stop);
    s->step = lang_incref(step);
    return s;
}

lang_cell *lang_cell_new(lang_vm *vm, lang_value v)
{
    lang_cell *c = obj_alloc(vm, sizeof *c, LANG_OBJ_CELL);
    if (!c) {
        lang_decref(vm, v);
        return NULL;
    }
    c->v = v;
    return c;
}

lang_value lang_tensor_wrap(lang_vm *vm, eng_tensor *t)
{
    lang_tensor *o = obj_alloc(vm, sizeof *o, LANG_OBJ_TENSOR);
    if (!o) {
        eng_tensor_release(t);
        return lang_undef();
    }
    o->t = t;
    return lang_obj_val(o);
}

lang_native *lang_native_new(lang_vm *vm, const lang_native_class *cls, void *ptr)
{
    lang_native *n = obj_alloc(vm, sizeof *n, LANG_OBJ_NATIVE);
    if (!n) {
        if (cls->free) cls->free(ptr);
        return NULL;
    }
    n->cls = cls;
    n->ptr = ptr;
    return n;
}

lang_method *lang_method_new(lang_vm *vm, lang_value self, lang_builtin *fn)
{
    lang_method *m = obj_alloc(vm, sizeof *m, LANG_OBJ_METHOD);
    if (!m) return NULL;
    m->self = lang_incref(self);
    m->fn = fn;
    fn->h.refcount++;
    return m;
}

/* ---- destruction ----------------------------------------------------------------------- */

static void release_all(lang_vm *vm, lang_value *v, size_t n)
{
    for (size_t i = 0; i < n; i++) lang_decref(vm, v[i]);
}

static void proto_free(lang_vm *vm, lang_proto *p)
{
    release_all(vm, p->chunk.consts, p->chunk.nconsts);
    lang_chunk_free(&p->chunk);
    if (p->name) lang_decref(vm, lang_obj_val(p->name));
    if (p->doc) lang_decref(vm, lang_obj_val(p->doc));
    if (p->src) lang_decref(vm, lang_obj_val(p->src));
    for (int i = 0; p->local_names && i < p->nlocals; i++) free(p->local_names[i]);
    for (int i = 0; p->free_names && i < p->ncaptures; i++) free(p->free_names[i]);
    free(p->local_names);
    free(p->free_names);
    free(p->file);
    free(p->source);
}

static void func_free(lang_vm *vm, lang_func *f)
{
    lang_decref(vm, lang_obj_val(f->proto));
    release_all(vm, f->defaults, (size_t)f->ndefaults);
    free(f->defaults);
    for (int i = 0; i < f->ncells; i++) lang_decref(vm, lang_obj_val(f->cells[i]));
    free(f->cells);
}

/* Releases what the object holds, leaving a shell (the cycle collector calls this first on
 * every object of a garbage cycle, then frees the shells). */
void lang_obj_clear(lang_vm *vm, lang_obj *o)
{
    switch ((lang_obj_type)o->type) {
    case LANG_OBJ_LIST: {
        lang_list *l = (lang_list *)o;
        lang_value *items = l->items;
        size_t n = l->len;
        l->items = NULL;
        l->len = l->cap = 0;
        release_all(vm, items, n);
        free(items);
        break;
    }
    case LANG_OBJ_TUPLE: {
        lang_tuple *t = (lang_tuple *)o;
        size_t n = t->len;
        t->len = 0;
        release_all(vm, t->items, n);
        break;
    }
    case LANG_OBJ_DICT: lang_dict_clear_entries(vm, (lang_dict *)o); break;
    case LANG_OBJ_SLICE: {
        lang_slice *s = (lang_slice *)o;
        lang_value a = s->start, b = s->stop, c = s->step;
        s->start = s->stop = s->step = lang_none();
        lang_decref(vm, a); lang_decref(vm, b); lang_decref(vm, c);
        break;
    }
    case LANG_OBJ_PROTO: proto_free(vm, (lang_proto *)o); memset((char *)o + sizeof *o, 0, sizeof(lang_proto) - sizeof *o); break;
    case LANG_OBJ_FUNC: {
        lang_func *f = (lang_func *)o;
        lang_func copy = *f;
        f->proto = NULL; f->ndefaults = 0; f->defaults = NULL; f->ncells = 0; f->cells = NULL;
        if (copy.proto) func_free(vm, &copy);
        break;
    }
    case LANG_OBJ_CELL: {
        lang_value v = ((lang_cell *)o)->v;
        ((lang_cell *)o)->v = lang_none();
        lang_decref(vm, v);
        break;
    }
    case LANG_OBJ_METHOD: {
        lang_method *m = (lang_method *)o;
        lang_value self = m->self;
        lang_builtin *fn = m->fn;
        m->self = lang_none();
        m->fn = NULL;
        lang_decref(vm, self);
        if (fn) lang_decref(vm, lang_obj_val(fn));
        break;
    }
    case LANG_OBJ_TENSOR: eng_tensor_release(((lang_tensor *)o)->t); ((lang_tensor *)o)->t = NULL; break;
    case LANG_OBJ_NATIVE: {
        lang_native *n = (lang_native *)o;
        void *ptr = n->ptr;
        n->ptr = NULL;
        if (ptr && n->cls->free) n->cls->free(ptr);
        break;
    }
    default: break;
    }
}

/* Frees o and, through lang_obj_clear, whatever only it referenced. Freeing a list nested a
 * million deep would recurse a million C frames, so past a depth the objects are queued on
 * vm->trash and freed by the outermost call, as CPython's "trashcan" does. */
void lang_obj_free(lang_vm *vm, lang_obj *o)
{
    if (lang_is_container(o)) lang_gc_untrack(o);
    if (vm->free_depth >= 64) {
        o->gc_next = vm->trash;   /* untracked: the link is free to use */
        vm->trash = o;
        return;
    }
    vm->free_depth++;
    o->refcount = 1;   /* keep it alive while its children are released */
    lang_obj_clear(vm, o);
    free(o);
    while (vm->free_depth == 1 && vm->trash) {
        lang_obj *t = vm->trash;
        vm->trash = t->gc_next;
        t->gc_next = NULL;
        t->refcount = 1;
        lang_obj_clear(vm, t);
        free(t);
    }
    vm->free_depth--;
}

/* ---- generic operations ---------------------------------------------------------------- */

/* ORDER LANG_OBJ */
static const char *const obj_type_names[LANG_OBJ_TYPE_COUNT] = {
    "str", "list", "tuple", "dict", "range", "slice", "code", "function", "cell",
    "builtin", "method", "tensor", "object",
};

const char *lang_type_name(lang_value v)
{
    switch ((lang_tag)v.tag) {
    case LANG_VAL_UNDEF: return "undefined";
    case LANG_VAL_NONE: return "NoneType";
    case LANG_VAL_BOOL: return "bool";
    case LANG_VAL_NUM: return "number";
    case LANG_VAL_OBJ: break;
    }
    if (v.as.obj->type == LANG_OBJ_NATIVE) return LANG_AS_NATIVE(v)->cls->name;
    return obj_type_names[v.as.obj->type];
}

int lang_truthy(lang_vm *vm, lang_value v, lang_status *st)
{
    *st = LANG_OK;
    switch ((lang_tag)v.tag) {
    case LANG_VAL_NONE: case LANG_VAL_UNDEF: return 0;
    case LANG_VAL_BOOL: return v.as.boolean;
    case LANG_VAL_NUM: return v.as.num != 0;
    case LANG_VAL_OBJ: break;
    }
    switch ((lang_obj_type)v.as.obj->type) {
    case LANG_OBJ_STR: return LANG_AS_STR(v)->len != 0;
    case LANG_OBJ_LIST: return LANG_AS_LIST(v)->len != 0;
    case LANG_OBJ_TUPLE: return LANG_AS_TUPLE(v)->len != 0;
    case LANG_OBJ_DICT: return LANG_AS_DICT(v)->len != 0;
    case LANG_OBJ_RANGE: return lang_range_len((lang_range *)v.as.obj) > 0;
    case LANG_OBJ_TENSOR: {
        eng_tensor *t = LANG_AS_TENSOR(v);
        if (t->size != 1) {
            *st = lang_raise(vm, LANG_ERR_VALUE, "the truth value of a tensor with %lld elements "
                             "is ambiguous", (long long)t->size);
            lang_hint(vm, "use (t > 0).sum() > 0 or t.max() > 0 to ask about its elements");
            return 0;
        }
        return eng_tensor_item(t) != 0;
    }
    default: return 1;
    }
}

/* Equality recurses into lists, tuples and dicts; past LANG_MAX_NESTING levels it gives up
 * (-1) instead of running the C stack out, as Python raises a RecursionError. */
static int equal_at(lang_value a, lang_value b, int depth);

static int seq_equal(const lang_value *a, size_t na, const lang_value *b, size_t nb, int depth)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++) {
        int r = equal_at(a[i], b[i], depth + 1);
        if (r != 1) return r;
    }
    return 1;
}

static int equal_at(lang_value a, lang_value b, int depth)
{
    /* bools compare as numbers, as in Python (True == 1) */
    if ((a.tag == LANG_VAL_NUM || a.tag == LANG_VAL_BOOL) &&
        (b.tag == LANG_VAL_NUM || b.tag == LANG_VAL_BOOL)) {
        double x = a.tag == LANG_VAL_NUM ? a.as.num : a.as.boolean;
        double y = b.tag == LANG_VAL_NUM ? b.as.num : b.as.boolean;
        return x == y;
    }
    if (a.tag != b.tag) return 0;
    if (a.tag != LANG_VAL_OBJ) return 1;   /* None == None */
    if (a.as.obj == b.as.obj) return 1;
    if (a.as.obj->type != b.as.obj->type) return 0;
    if (depth > LANG_MAX_NESTING) return -1;
    switch ((lang_obj_type)a.as.obj->type) {
    case LANG_OBJ_STR: {
        lang_str *x = LANG_AS_STR(a), *y = LANG_AS_STR(b);
        return x->len == y->len && x->hash == y->hash && memcmp(x->chars, y->chars, x->len) == 0;
    }
    case LANG_OBJ_LIST:
        return seq_equal(LANG_AS_LIST(a)->items, LANG_AS_LIST(a)->len, LANG_AS_LIST(b)->items,
                         LANG_AS_LIST(b)->len, depth);
    case LANG_OBJ_TUPLE:
        return seq_equal(LANG_AS_TUPLE(a)->items, LANG_AS_TUPLE(a)->len,
                         LANG_AS_TUPLE(b)->items, LANG_AS_TUPLE(b)->len, depth);
    case LANG_OBJ_DICT: {
        lang_dict *x = LANG_AS_DICT(a), *y = LANG_AS_DICT(b);
        if (x->len != y->len) return 0;
        for (size_t i = 0; i < x->n_entries; i++) {
            if (LANG_IS_UNDEF(x->entries[i].key)) continue;
            lang_value *v = lang_dict_get(y, x->entries[i].key);
            if (!v) return 0;
            int r = equal_at(*v, x->entries[i].val, depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    case LANG_OBJ_RANGE: {
        lang_range *x = (lang_range *)a.as.obj, *y = (lang_range *)b.as.obj;
        return x->start == y->start && x->stop == y->stop && x->step == y->step;
    }
    default: return 0;
    }
}

int lang_equal_checked(lang_value a, lang_value b) { return equal_at(a, b, 0); }
int lang_equal(lang_value a, lang_value b) { return equal_at(a, b, 0) == 1; }

/* ---- text ------------------------------------------------------------------------------ */

void lang_buf_add(lang_buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void lang_buf_addf(lang_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        lang_buf_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    lang_buf_add(b, big, (size_t)n);
    free(big);
}

void lang_buf_free(lang_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* printf rounds a tie to even, but near a power of two the shortest string that reads back
 * can be the other neighbour (2**-24 is 5.960464477539063e-08, not ...062e-08): adds one to
 * the last mantissa digit of "-d.ddde-XX" in place. Returns 0 when a carry would ripple. */
static int bump_last_digit(char *s)
{
    char *e = strchr(s, 'e');
    if (!e || e == s) return 0;
    char *p = e - 1;
    if (*p == '.') p--;
    if (*p < '0' || *p >= '9') return 0;
    (*p)++;
    return 1;
}

/* Python's repr of a double, except that integral values print without ".0": the shortest
 * digit string that reads back to the same double, in positional notation when the decimal
 * exponent is in [-4, 16), else as d.ddde+XX. */
void lang_num_write(lang_buf *b, double d)
{
    char digits[40], out[64];
    if (isnan(d)) { lang_buf_add(b, "nan", 3); return; }
    if (isinf(d)) { lang_buf_add(b, d > 0 ? "inf" : "-inf", d > 0 ? 3 : 4); return; }
    if (d == floor(d) && fabs(d) < 1e16) {
        int n = snprintf(out, sizeof out, "%.0f", d == 0 ? 0.0 : d);   /* no "-0": round(-0.4) is 0 */
        lang_buf_add(b, out, (size_t)n);
        return;
    }
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(digits, sizeof digits, "%.*e", prec - 1, d);
        if (strtod(digits, NULL) == d) break;
        if (bump_last_digit(digits) && strtod(digits, NULL) == d) break;
    }
    /* digits is "-d.ddde[+-]XX": split mantissa digits and exponent */
    char *e = strchr(digits, 'e');
    int exp10 = atoi(e + 1);
    *e = '\0';
    char mant[32];
    size_t m = 0;
    int neg = digits[0] == '-';
    for (char *q = digits + neg; *q; q++)
        if (*q != '.') mant[m++] = *q;
    mant[m] = '\0';
    size_t k = 0;
    if (neg) out[k++] = '-';
    if (exp10 < -4 || exp10 >= 16) {
        out[k++] = mant[0];
        if (m > 1) {
            out[k++] = '.';
            for (size_t i = 1; i < m; i++) out[k++] = mant[i];
        }
        k += (size_t)snprintf(out + k, sizeof out - k, "e%c%02d", exp10 < 0 ? '-' : '+',
                              exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -exp10 - 1; i++) out[k++] = '0';
        for (size_t i = 0; i < m; i++) out[k++] = mant[i];
    } else {
        for (size_t i = 0; i < m || (int)i <= exp10; i++) {
            if ((int)i == exp10 + 1) out[k++] = '.';
            out[k++] = i < m ? mant[i] : '0';
        }
    }
    lang_buf_add(b, out, k);
}

static void write_str_repr(lang_buf *b, const lang_str *s)
{
    char q = (memchr(s->chars, '\'', s->len) && !memchr(s->chars, '"', s->len)) ? '"' : '\'';
    lang_buf_add(b, &q, 1);
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->chars[i];
        if (c == '\\') lang_buf_add(b, "\\\\", 2);
        else if (c == '\n') lang_buf_add(b, "\\n", 2);
        else if (c == '\t') lang_buf_add(b, "\\t", 2);
        else if (c == '\r') lang_buf_add(b, "\\r", 2);
        else if (c == (unsigned char)q) { lang_buf_add(b, "\\", 1); lang_buf_add(b, (char *)&c, 1); }
        else if (c < 0x20 || c == 0x7f) lang_buf_addf(b, "\\x%02x", c);
        else lang_buf_add(b, (char *)&c, 1);
    }
    lang_buf_add(b, &q, 1);
}

/* The containers being printed, innermost first: a list that contains itself prints as
 * [...], as in Python. */
typedef struct printing {
    const lang_obj *obj;
    const struct printing *outer;
    int depth;
} printing;

static void write_seq(lang_buf *b, const lang_value *items, size_t n, const char *open,
                      const char *close, const printing *pr);

/* Is o already being printed (a cycle)? Also stops very deep nesting. */
static int seen(const printing *pr, const lang_obj *o)
{
    if (pr && pr->depth > 200) return 1;
    for (; pr; pr = pr->outer)
        if (pr->obj == o) return 1;
    return 0;
}

static void write_value(lang_buf *b, lang_value v, int repr, const printing *outer)
{
    switch ((lang_tag)v.tag) {
    case LANG_VAL_UNDEF: lang_buf_add(b, "<undefined>", 11); return;
    case LANG_VAL_NONE: lang_buf_add(b, "None", 4); return;
    case LANG_VAL_BOOL: v.as.boolean ? lang_buf_add(b, "True", 4) : lang_buf_add(b, "False", 5); return;
    case LANG_VAL_NUM: lang_num_write(b, v.as.num); return;
    case LANG_VAL_OBJ: break;
    }
    lang_obj *o = v.as.obj;
    switch ((lang_obj_type)o->type) {
    case LANG_OBJ_STR:
        if (repr) write_str_repr(b, (lang_str *)o);
        else lang_buf_add(b, ((lang_str *)o)->chars, ((lang_str *)o)->len);
        return;
    case LANG_OBJ_LIST: case LANG_OBJ_TUPLE: case LANG_OBJ_DICT:
        if (seen(outer, o)) {
            const char *cut = o->type == LANG_OBJ_LIST ? "[...]" : o->type == LANG_OBJ_DICT ? "{...}" : "(...)";
            lang_buf_add(b, cut, 5);
            return;
        }
        break;
    default:
        break;
    }
    printing pr = { o, outer, outer ? outer->depth + 1 : 0 };
    switch ((lang_obj_type)o->type) {
    case LANG_OBJ_STR: return;   /* written above */
    case LANG_OBJ_LIST:
        write_seq(b, ((lang_list *)o)->items, ((lang_list *)o)->len, "[", "]", &pr);
        return;
    case LANG_OBJ_TUPLE: {
        lang_tuple *t = (lang_tuple *)o;
        write_seq(b, t->items, t->len, "(", t->len == 1 ? ",)" : ")", &pr);
        return;
    }
    case LANG_OBJ_DICT: {
        lang_dict *d = (lang_dict *)o;
        lang_buf_add(b, "{", 1);
        int first = 1;
        for (size_t i = 0; i < d->n_entries; i++) {
            if (LANG_IS_UNDEF(d->entries[i].key)) continue;
            if (!first) lang_buf_add(b, ", ", 2);
            first = 0;
            write_value(b, d->entries[i].key, 1, &pr);
            lang_buf_add(b, ": ", 2);
            write_value(b, d->entries[i].val, 1, &pr);
        }
        lang_buf_add(b, "}", 1);
        return;
    }
    case LANG_OBJ_RANGE: {
        lang_range *r = (lang_range *)o;
        lang_buf_add(b, "range(", 6);
        lang_num_write(b, r->start);
        lang_buf_add(b, ", ", 2);
        lang_num_write(b, r->stop);
        if (r->step != 1) { lang_buf_add(b, ", ", 2); lang_num_write(b, r->step); }
        lang_buf_add(b, ")", 1);
        return;
    }
    case LANG_OBJ_SLICE: {
        lang_slice *s = (lang_slice *)o;
        lang_buf_add(b, "slice(", 6);
        write_value(b, s->start, 1, &pr); lang_buf_add(b, ", ", 2);
        write_value(b, s->stop, 1, &pr); lang_buf_add(b, ", ", 2);
        write_value(b, s->step, 1, &pr); lang_buf_add(b, ")", 1);
        return;
    }
    case LANG_OBJ_PROTO: lang_buf_addf(b, "<code %s>", ((lang_proto *)o)->name->chars); return;
    case LANG_OBJ_FUNC: lang_buf_addf(b, "<function %s>", ((lang_func *)o)->proto->name->chars); return;
    case LANG_OBJ_CELL: lang_buf_add(b, "<cell>", 6); return;
    case LANG_OBJ_BUILTIN: lang_buf_addf(b, "<built-in function %s>", ((lang_builtin *)o)->def->name); return;
    case LANG_OBJ_METHOD: {
        lang_method *m = (lang_method *)o;
        lang_buf_addf(b, "<built-in method %s of %s>", m->fn->def->name, lang_type_name(m->self));
        return;
    }
    case LANG_OBJ_TENSOR: {
        char *s = lang_tensor_format(((lang_tensor *)o)->t);   /* lib_tensor.c */
        if (!s) { b->oom = 1; return; }
        lang_buf_add(b, s, strlen(s));
        free(s);
        return;
    }
    case LANG_OBJ_NATIVE: {
        lang_native *n = (lang_native *)o;
        char *s = n->cls->repr ? n->cls->repr(n->ptr) : NULL;
        if (s) { lang_buf_add(b, s, strlen(s)); free(s); }
        else lang_buf_addf(b, "<%s object>", n->cls->name);
        return;
    }
    case LANG_OBJ_TYPE_COUNT: return;
    }
}

static void write_seq(lang_buf *b, const lang_value *items, size_t n, const char *open,
                      const char *close, const printing *pr)
{
    lang_buf_add(b, open, strlen(open));
    for (size_t i = 0; i < n; i++) {
        if (i) lang_buf_add(b, ", ", 2);
        write_value(b, items[i], 1, pr);
    }
    lang_buf_add(b, close, strlen(close));
}

void lang_value_write(lang_buf *b, lang_value v, int repr) { write_value(b, v, repr, NULL); }

lang_str *lang_value_str(lang_vm *vm, lang_value v, int repr)
{
    if (!repr && LANG_IS_STR(v)) {
        v.as.obj->refcount++;
        return LANG_AS_STR(v);
    }
    lang_buf b = {0};
    lang_value_write(&b, v, repr);
    if (b.oom) {
        lang_buf_free(&b);
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory formatting a value");
        return NULL;
    }
    lang_str *s = lang_str_new(vm, b.data ? b.data : "", b.len);
    lang_buf_free(&b);
    return s;
}

char *lang_value_html(lang_vm *vm, lang_value v)
{
    (void)vm;
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE)) return NULL;
    lang_native *n = LANG_AS_NATIVE(v);
    return n->cls->html && n->ptr ? n->cls->html(n->ptr) : NULL;
}
