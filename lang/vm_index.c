/*
 * vm_index.c -- indexing, attributes, methods, iteration and unpacking for every type.
 * Indexes follow Python: negative indices count from the end, slices clamp, an index out of
 * range is an IndexError that says the length.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_tensor.h"

static lang_status seq_index(lang_vm *vm, lang_value idx, size_t len, const char *what, size_t *out)
{
    int64_t i;
    if (!LANG_IS_NUM(idx) && !LANG_IS_BOOL(idx))
        return lang_raise(vm, LANG_ERR_TYPE, "%s indices must be whole numbers or slices, not %s",
                          what, lang_type_name(idx));
    lang_status st = lang_arg_int(vm, idx, "an index", &i);
    if (st != LANG_OK) return st;
    int64_t k = i < 0 ? i + (int64_t)len : i;
    if (k < 0 || k >= (int64_t)len)
        return lang_raise(vm, LANG_ERR_INDEX, "%s index %lld out of range (length %zu)", what,
                          (long long)i, len);
    *out = (size_t)k;
    return LANG_OK;
}

/* Python's slice.indices(len): start, step and the number of items selected; *stop_out, when
 * not NULL, gets the clamped stop. */
static lang_status slice_bounds(lang_vm *vm, const lang_slice *s, size_t len, int64_t *start,
                                int64_t *step, size_t *count, int64_t *stop_out);

static lang_status slice_indices(lang_vm *vm, const lang_slice *s, size_t len, int64_t *start,
                                 int64_t *step, size_t *count)
{
    return slice_bounds(vm, s, len, start, step, count, NULL);
}

static lang_status slice_bounds(lang_vm *vm, const lang_slice *s, size_t len, int64_t *start,
                                int64_t *step, size_t *count, int64_t *stop_out)
{
    int64_t n = (int64_t)len, lo, hi;
    *step = 1;
    if (!LANG_IS_NONE(s->step)) {
        lang_status st = lang_arg_int(vm, s->step, "a slice step", step);
        if (st != LANG_OK) return st;
        if (*step == 0) return lang_raise(vm, LANG_ERR_VALUE, "slice step cannot be zero");
    }
    int neg = *step < 0;
    lo = neg ? n - 1 : 0;
    hi = neg ? -1 : n;
    if (!LANG_IS_NONE(s->start)) {
        lang_status st = lang_arg_int(vm, s->start, "a slice start", &lo);
        if (st != LANG_OK) return st;
        if (lo < 0) lo += n;
        if (lo < 0) lo = neg ? -1 : 0;
        if (lo >= n) lo = neg ? n - 1 : n;
    }
    if (!LANG_IS_NONE(s->stop)) {
        lang_status st = lang_arg_int(vm, s->stop, "a slice stop", &hi);
        if (st != LANG_OK) return st;
        if (hi < 0) hi += n;
        if (hi < 0) hi = neg ? -1 : 0;
        if (hi >= n) hi = neg ? n - 1 : n;
    }
    *start = lo;
    if (stop_out) *stop_out = hi;
    if (neg) *count = hi < lo ? (size_t)((lo - hi - 1) / -*step + 1) : 0;
    else *count = lo < hi ? (size_t)((hi - lo - 1) / *step + 1) : 0;
    return LANG_OK;
}

static lang_status slice_seq(lang_vm *vm, lang_value obj, const lang_slice *s, lang_value *out)
{
    int64_t start, step;
    size_t count;
    if (LANG_IS_STR(obj)) {   /* by characters, not bytes */
        lang_str *str = LANG_AS_STR(obj);
        lang_status st = slice_indices(vm, s, str->nchars, &start, &step, &count);
        if (st != LANG_OK) return st;
        lang_buf b = {0};
        for (size_t i = 0; i < count; i++) {
            size_t at = lang_str_offset(str, (size_t)(start + (int64_t)i * step));
            size_t end = lang_str_offset(str, (size_t)(start + (int64_t)i * step) + 1);
            lang_buf_add(&b, &str->chars[at], end - at);
        }
        lang_str *r = lang_str_new(vm, b.data ? b.data : "", b.len);
        lang_buf_free(&b);
        if (!r) return LANG_ERR_MEMORY;
        *out = lang_obj_val(r);
        return LANG_OK;
    }
    int tuple = LANG_IS_TUPLE(obj);
    lang_value *items = tuple ? LANG_AS_TUPLE(obj)->items : LANG_AS_LIST(obj)->items;
    size_t len = tuple ? LANG_AS_TUPLE(obj)->len : LANG_AS_LIST(obj)->len;
    lang_status st = slice_indices(vm, s, len, &start, &step, &count);
    if (st != LANG_OK) return st;
    lang_value *dst;
    if (tuple) {
        lang_tuple *t = lang_tuple_new(vm, count);
        if (!t) return LANG_ERR_MEMORY;
        dst = t->items;
        *out = lang_obj_val(t);
    } else {
        lang_list *l = lang_list_new(vm, count);
        if (!l) return LANG_ERR_MEMORY;
        l->len = count;
        dst = l->items;
        *out = lang_obj_val(l);
    }
    for (size_t i = 0; i < count; i++) dst[i] = lang_incref(items[start + (int64_t)i * step]);
    return LANG_OK;
}

static lang_status key_error(lang_vm *vm, lang_dict *d, lang_value key)
{
    lang_buf b = {0};
    lang_value_write(&b, key, 1);
    lang_raise(vm, LANG_ERR_KEY, "%s is not a key of this dict", b.data ? b.data : "?");
    lang_buf_free(&b);
    if (d->len > 0 && d->len <= 12) {
        lang_buf keys = {0};
        int first = 1;
        for (size_t i = 0; i < d->n_entries; i++) {
            if (LANG_IS_UNDEF(d->entries[i].key)) continue;
            if (!first) lang_buf_add(&keys, ", ", 2);
            first = 0;
            lang_value_write(&keys, d->entries[i].key, 1);
        }
        lang_hint(vm, "its keys are %s", keys.data ? keys.data : "");
        lang_buf_free(&keys);
    }
    return LANG_ERR_KEY;
}

lang_status lang_op_get_index(lang_vm *vm, lang_value obj, lang_value idx, lang_value *out)
{
    if (LANG_IS_TYPE(obj, LANG_OBJ_FUNC) || LANG_IS_TYPE(obj, LANG_OBJ_BUILTIN)) {
        lang_raise(vm, LANG_ERR_TYPE, "a function cannot be indexed");
        lang_hint(vm, "call a function with parentheses: f(...)");
        return LANG_ERR_TYPE;
    }
    size_t i;
    lang_status st;
    if (LANG_IS_TENSOR(obj)) return lang_tensor_get_index(vm, obj, idx, out);
    if (LANG_IS_DICT(obj)) {
        if (!lang_is_hashable(idx))
            return lang_raise(vm, LANG_ERR_TYPE, "a %s cannot be a dict key", lang_type_name(idx));
        lang_value *v = lang_dict_get(LANG_AS_DICT(obj), idx);
        if (!v) return key_error(vm, LANG_AS_DICT(obj), idx);
        *out = lang_incref(*v);
        return LANG_OK;
    }
    if (LANG_IS_LIST(obj) || LANG_IS_TUPLE(obj) || LANG_IS_STR(obj)) {
        if (LANG_IS_TYPE(idx, LANG_OBJ_SLICE)) return slice_seq(vm, obj, (lang_slice *)idx.as.obj, out);
        if (LANG_IS_STR(obj)) {
            lang_str *s = LANG_AS_STR(obj);
            if ((st = seq_index(vm, idx, s->nchars, "str", &i)) != LANG_OK) return st;
            size_t at = lang_str_offset(s, i);
            lang_str *c = lang_str_new(vm, &s->chars[at], lang_str_offset(s, i + 1) - at);
            if (!c) return LANG_ERR_MEMORY;
            *out = lang_obj_val(c);
            return LANG_OK;
        }
        int tuple = LANG_IS_TUPLE(obj);
        size_t len = tuple ? LANG_AS_TUPLE(obj)->len : LANG_AS_LIST(obj)->len;
        if (LANG_IS_TUPLE(idx))
            return lang_raise(vm, LANG_ERR_TYPE, "a %s takes one index, not %zu: write x[i][j]",
                              lang_type_name(obj), LANG_AS_TUPLE(idx)->len);
        if ((st = seq_index(vm, idx, len, tuple ? "tuple" : "list", &i)) != LANG_OK) return st;
        *out = lang_incref(tuple ? LANG_AS_TUPLE(obj)->items[i] : LANG_AS_LIST(obj)->items[i]);
        return LANG_OK;
    }
    if (LANG_IS_TYPE(obj, LANG_OBJ_RANGE) && LANG_IS_TYPE(idx, LANG_OBJ_SLICE)) {
        /* range(10, 15)[1:3] is range(11, 13), as in Python */
        lang_range *r = (lang_range *)obj.as.obj;
        int64_t start, step, stop;
        size_t count;
        if ((st = slice_bounds(vm, (lang_slice *)idx.as.obj, (size_t)lang_range_len(r), &start,
                               &step, &count, &stop)) != LANG_OK)
            return st;
        double first = r->start + (double)start * r->step, by = r->step * (double)step;
        lang_range *sub_range = lang_range_new(vm, first, r->start + (double)stop * r->step, by);
        if (!sub_range) return LANG_ERR_MEMORY;
        *out = lang_obj_val(sub_range);
        return LANG_OK;
    }
    if (LANG_IS_TYPE(obj, LANG_OBJ_RANGE)) {
        lang_range *r = (lang_range *)obj.as.obj;
        if ((st = seq_index(vm, idx, (size_t)lang_range_len(r), "range", &i)) != LANG_OK) return st;
        *out = lang_num(r->start + (double)i * r->step);
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "a %s cannot be indexed", lang_type_name(obj));
}

/* xs[a:b] = items (any iterable; the list grows or shrinks), xs[a:b:k] = items of the same
 * count, del xs[a:b:k]. */
static lang_status list_slice_set(lang_vm *vm, lang_list *l, const lang_slice *s, lang_value v,
                                  int del)
{
    int64_t start, step;
    size_t count;
    lang_status st = slice_indices(vm, s, l->len, &start, &step, &count);
    if (st != LANG_OK) return st;
    lang_list *src = NULL;
    if (!del) {
        if ((src = lang_list_new(vm, 0)) == NULL) return LANG_ERR_MEMORY;
        if ((st = lang_list_extend(vm, src, v)) != LANG_OK) goto done;
    }
    if (step != 1 && !del && src->len != count) {
        st = lang_raise(vm, LANG_ERR_VALUE, "cannot assign %zu items to a slice of %zu items "
                        "with step %lld", src->len, count, (long long)step);
        goto done;
    }
    if (step != 1 && !del) {
        for (size_t i = 0; i < count; i++) {
            lang_value *slot = &l->items[start + (int64_t)i * step];
            lang_value old = *slot;
            *slot = lang_incref(src->items[i]);
            lang_decref(vm, old);
        }
        goto done;
    }
    /* remove the selected items (keeping the others in order), then insert src at start */
    lang_value *removed = malloc((count ? count : 1) * sizeof *removed);
    if (!removed) { st = lang_raise(vm, LANG_ERR_MEMORY, "out of memory"); goto done; }
    int64_t lo = step > 0 ? start : start + (int64_t)(count - 1) * step;   /* lowest index */
    int64_t astep = step > 0 ? step : -step;
    size_t w = (size_t)lo, k = 0;
    for (size_t r = (size_t)lo; r < l->len; r++) {
        int64_t rel = (int64_t)r - lo;
        if (k < count && rel % astep == 0 && rel / astep < (int64_t)count) removed[k++] = l->items[r];
        else l->items[w++] = l->items[r];
    }
    l->len = w;
    if (src && src->len) {
        for (size_t i = 0; i < src->len && st == LANG_OK; i++) st = lang_list_append(vm, l, lang_none());
        if (st == LANG_OK) {
            size_t at = (size_t)start;
            memmove(&l->items[at + src->len], &l->items[at], (l->len - src->len - at) * sizeof *l->items);
            for (size_t i = 0; i < src->len; i++) l->items[at + i] = lang_incref(src->items[i]);
        }
    }
    for (size_t i = 0; i < k; i++) lang_decref(vm, removed[i]);
    free(removed);
done:
    if (src) lang_decref(vm, lang_obj_val(src));
    return st;
}

lang_status lang_op_set_index(lang_vm *vm, lang_value obj, lang_value idx, lang_value v)
{
    if (LANG_IS_TENSOR(obj)) return lang_tensor_set_index(vm, obj, idx, v);
    if (LANG_IS_DICT(obj)) return lang_dict_set(vm, LANG_AS_DICT(obj), idx, v);
    if (LANG_IS_LIST(obj)) {
        lang_list *l = LANG_AS_LIST(obj);
        size_t i;
        if (LANG_IS_TYPE(idx, LANG_OBJ_SLICE))
            return list_slice_set(vm, l, (const lang_slice *)idx.as.obj, v, 0);
        lang_status st = seq_index(vm, idx, l->len, "list", &i);
        if (st != LANG_OK) return st;
        lang_value old = l->items[i];
        l->items[i] = lang_incref(v);
        lang_decref(vm, old);
        return LANG_OK;
    }
    if (LANG_IS_STR(obj) || LANG_IS_TUPLE(obj))
        return lang_raise(vm, LANG_ERR_TYPE, "a %s cannot be changed in place; build a new one",
                          lang_type_name(obj));
    return lang_raise(vm, LANG_ERR_TYPE, "a %s does not support item assignment", lang_type_name(obj));
}

lang_status lang_op_del_index(lang_vm *vm, lang_value obj, lang_value idx)
{
    if (LANG_IS_DICT(obj)) {
        if (!lang_is_hashable(idx) || !lang_dict_del(vm, LANG_AS_DICT(obj), idx))
            return key_error(vm, LANG_AS_DICT(obj), idx);
        return LANG_OK;
    }
    if (LANG_IS_LIST(obj)) {
        lang_list *l = LANG_AS_LIST(obj);
        size_t i;
        if (LANG_IS_TYPE(idx, LANG_OBJ_SLICE))
            return list_slice_set(vm, l, (const lang_slice *)idx.as.obj, lang_none(), 1);
        lang_status st = seq_index(vm, idx, l->len, "list", &i);
        if (st != LANG_OK) return st;
        lang_value old = l->items[i];
        memmove(&l->items[i], &l->items[i + 1], (l->len - i - 1) * sizeof *l->items);
        l->len--;
        lang_decref(vm, old);
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "cannot delete items of a %s", lang_type_name(obj));
}

/* ---- attributes and methods ---------------------------------------------------------- */

static lang_builtin *find_in(lang_builtin **table, const char *name)
{
    for (lang_builtin **m = table; m && *m; m++)
        if (strcmp((*m)->def->name, name) == 0) return *m;
    return NULL;
}

/* Native classes get their methods parsed into builtins once, on first use. */
static lang_builtin *native_method(lang_vm *vm, const lang_native_class *cls, const char *name)
{
    if (!cls->methods) return NULL;
    for (size_t i = 0; i < vm->n_native_methods; i++) {
        lang_builtin *b = vm->native_methods[i];
        if (b->def->name && strcmp(b->def->name, name) == 0 && vm->native_method_cls[i] == cls)
            return b;
    }
    for (const lang_builtin_def *d = cls->methods; d->name; d++) {
        if (strcmp(d->name, name) != 0) continue;
        if (vm->n_native_methods == vm->cap_native_methods) {
            size_t cap = vm->cap_native_methods ? vm->cap_native_methods * 2 : 32;
            lang_builtin **b = realloc(vm->native_methods, cap * sizeof *b);
            if (!b) return NULL;
            vm->native_methods = b;
            const lang_native_class **c = realloc(vm->native_method_cls, cap * sizeof *c);
            if (!c) return NULL;
            vm->native_method_cls = c;
            vm->cap_native_methods = cap;
        }
        lang_builtin *b = lang_builtin_new(vm, d);
        if (!b) return NULL;
        vm->native_methods[vm->n_native_methods] = b;
        vm->native_method_cls[vm->n_native_methods++] = cls;
        return b;
    }
    return NULL;
}

lang_builtin *lang_find_method(lang_vm *vm, lang_value obj, const char *name)
{
    if (!LANG_IS_OBJ(obj)) return NULL;
    switch ((lang_obj_type)obj.as.obj->type) {
    case LANG_OBJ_STR: return find_in(vm->methods[LANG_METHODS_STR], name);
    case LANG_OBJ_LIST: return find_in(vm->methods[LANG_METHODS_LIST], name);
    case LANG_OBJ_DICT: return find_in(vm->methods[LANG_METHODS_DICT], name);
    case LANG_OBJ_TUPLE: return find_in(vm->methods[LANG_METHODS_TUPLE], name);
    case LANG_OBJ_TENSOR: return find_in(vm->methods[LANG_METHODS_TENSOR], name);
    case LANG_OBJ_NATIVE: return native_method(vm, LANG_AS_NATIVE(obj)->cls, name);
    default: return NULL;
    }
}

/* Names of the attributes and methods of a value, for completion and error hints. */
int lang_attr_names(lang_vm *vm, lang_value obj, const char **names, int cap)
{
    static const char *const tensor_attrs[] = { "shape", "T", "ndim", "size", "dtype", "grad",
                                                "requires_grad", "is_leaf", NULL };
    int n = 0;
    if (LANG_IS_TENSOR(obj))
        for (int i = 0; tensor_attrs[i] && n < cap; i++) names[n++] = tensor_attrs[i];
    lang_method_table t = LANG_METHODS_COUNT;
    if (LANG_IS_STR(obj)) t = LANG_METHODS_STR;
    else if (LANG_IS_LIST(obj)) t = LANG_METHODS_LIST;
    else if (LANG_IS_DICT(obj)) t = LANG_METHODS_DICT;
    else if (LANG_IS_TUPLE(obj)) t = LANG_METHODS_TUPLE;
    else if (LANG_IS_TENSOR(obj)) t = LANG_METHODS_TENSOR;
    if (t != LANG_METHODS_COUNT)
        for (lang_builtin **m = vm->methods[t]; m && *m && n < cap; m++) names[n++] = (*m)->def->name;
    if (LANG_IS_TYPE(obj, LANG_OBJ_NATIVE)) {
        const lang_native_class *cls = LANG_AS_NATIVE(obj)->cls;
        for (const char *const *a = cls->attrs; a && *a && n < cap; a++) names[n++] = *a;
        for (const lang_builtin_def *d = cls->methods; d && d->name && n < cap; d++) names[n++] = d->name;
    }
    return n;
}

static lang_status no_attribute(lang_vm *vm, lang_value obj, const char *name)
{
    lang_raise(vm, LANG_ERR_NAME, "%s has no attribute or method '%s'", lang_type_name(obj), name);
    const char *names[128], *best = NULL;
    int n = lang_attr_names(vm, obj, names, 128), best_d = strlen(name) <= 3 ? 2 : 3;
    for (int i = 0; i < n; i++) {
        int d = lang_edit_distance(name, names[i]);
        if (d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    /* habits from other languages */
    int sized = LANG_IS_LIST(obj) || LANG_IS_TUPLE(obj) || LANG_IS_STR(obj) || LANG_IS_DICT(obj);
    if (sized && (strcmp(name, "length") == 0 || strcmp(name, "len") == 0 || strcmp(name, "size") == 0 ||
                  strcmp(name, "count") == 0))
        lang_hint(vm, "the number of items is len(x), a builtin function");
    else if (LANG_IS_LIST(obj) && (strcmp(name, "push") == 0 || strcmp(name, "add") == 0))
        lang_hint(vm, "did you mean 'append'?");
    else if ((strcmp(name, "includes") == 0 || strcmp(name, "contains") == 0) && sized)
        lang_hint(vm, "to test membership write: item in x");
    else if (best) lang_hint(vm, "did you mean '%s'?", best);
    else if (LANG_IS_TENSOR(obj) && strcmp(name, "append") == 0)
        lang_hint(vm, "a bracket of numbers is a tensor; start from [] for a list: xs = []");
    return LANG_ERR_NAME;
}

lang_status lang_op_get_attr(lang_vm *vm, lang_value obj, lang_str *name, lang_value *out)
{
    lang_status st;
    if (LANG_IS_TENSOR(obj)) {
        st = lang_tensor_get_attr(vm, obj, name->chars, out);
        if (st != LANG_ERR_NAME) return st;
    } else if (LANG_IS_TYPE(obj, LANG_OBJ_NATIVE) && LANG_AS_NATIVE(obj)->cls->get_attr) {
        lang_native *n = LANG_AS_NATIVE(obj);
        st = n->cls->get_attr(vm, n->ptr, name->chars, out);
        if (st != LANG_ERR_NAME) return st;
    }
    lang_builtin *m = lang_find_method(vm, obj, name->chars);
    if (!m) return no_attribute(vm, obj, name->chars);
    lang_method *bound = lang_method_new(vm, obj, m);
    if (!bound) return LANG_ERR_MEMORY;
    *out = lang_obj_val(bound);
    return LANG_OK;
}

lang_status lang_op_set_attr(lang_vm *vm, lang_value obj, lang_str *name, lang_value v)
{
    if (LANG_IS_TENSOR(obj)) return lang_tensor_set_attr(vm, obj, name->chars, v);   /* w.grad = None */
    if (LANG_IS_TYPE(obj, LANG_OBJ_NATIVE) && LANG_AS_NATIVE(obj)->cls->set_attr) {
        lang_native *n = LANG_AS_NATIVE(obj);
        return n->cls->set_attr(vm, n->ptr, name->chars, v);
    }
    return lang_raise(vm, LANG_ERR_TYPE, "cannot set attribute '%s' on a %s", name->chars,
                      lang_type_name(obj));
}

/* ---- iteration ----------------------------------------------------------------------- */

lang_status lang_op_iter(lang_vm *vm, lang_value v, lang_value *out)
{
    if (LANG_IS_DICT(v)) {   /* iterate over a snapshot of the keys, as a list */
        lang_dict *d = LANG_AS_DICT(v);
        lang_list *keys = lang_list_new(vm, d->len);
        if (!keys) return LANG_ERR_MEMORY;
        for (size_t i = 0; i < d->n_entries; i++)
            if (!LANG_IS_UNDEF(d->entries[i].key)) keys->items[keys->len++] = lang_incref(d->entries[i].key);
        *out = lang_obj_val(keys);
        return LANG_OK;
    }
    if (LANG_IS_TENSOR(v) && LANG_AS_TENSOR(v)->ndim == 0)
        return lang_raise(vm, LANG_ERR_TYPE, "cannot iterate over a 0-d tensor");
    if (LANG_IS_LIST(v) || LANG_IS_TUPLE(v) || LANG_IS_STR(v) || LANG_IS_TENSOR(v) ||
        LANG_IS_TYPE(v, LANG_OBJ_RANGE)) {
        *out = lang_incref(v);
        return LANG_OK;
    }
    lang_raise(vm, LANG_ERR_TYPE, "a %s is not iterable", lang_type_name(v));
    if (LANG_IS_NUM(v)) lang_hint(vm, "to count, write: for i in range(n)");
    return LANG_ERR_TYPE;
}

int lang_op_next(lang_vm *vm, lang_value it, double *pos, lang_value *item, lang_status *st)
{
    size_t i = (size_t)*pos;
    *st = LANG_OK;
    if (LANG_IS_LIST(it) || LANG_IS_TUPLE(it)) {
        size_t len = LANG_IS_LIST(it) ? LANG_AS_LIST(it)->len : LANG_AS_TUPLE(it)->len;
        if (i >= len) return 0;
        *item = lang_incref(LANG_IS_LIST(it) ? LANG_AS_LIST(it)->items[i] : LANG_AS_TUPLE(it)->items[i]);
    } else if (LANG_IS_STR(it)) {
        lang_str *s = LANG_AS_STR(it);
        if (i >= s->len) return 0;
        size_t n = 1;   /* one UTF-8 character */
        while (i + n < s->len && ((unsigned char)s->chars[i + n] & 0xC0) == 0x80) n++;
        lang_str *c = lang_str_new(vm, &s->chars[i], n);
        if (!c) { *st = LANG_ERR_MEMORY; return 0; }
        *item = lang_obj_val(c);
        *pos += (double)n;
        return 1;
    } else if (LANG_IS_TENSOR(it)) {
        if ((int64_t)i >= LANG_AS_TENSOR(it)->shape[0]) return 0;
        *st = lang_tensor_get_index(vm, it, lang_num((double)i), item);
        if (*st != LANG_OK) return 0;
    } else if (LANG_IS_TYPE(it, LANG_OBJ_RANGE)) {
        lang_range *r = (lang_range *)it.as.obj;
        double v = *pos;
        if (!(r->step > 0 ? v < r->stop : v > r->stop)) return 0;
        *item = lang_num(v);
        *pos += r->step;
        return 1;
    } else {
        return 0;
    }
    *pos += 1;
    return 1;
}

/* a, *rest, z = seq: out gets before + 1 + after values, first on top (out[0] deepest). */
lang_status lang_op_unpack_star(lang_vm *vm, lang_value seq, int before, int after, lang_value *out)
{
    lang_list *all = lang_list_new(vm, 0);
    if (!all) return LANG_ERR_MEMORY;
    lang_status st = lang_list_extend(vm, all, seq);
    if (st == LANG_OK && all->len < (size_t)(before + after))
        st = lang_raise(vm, LANG_ERR_VALUE, "not enough values to unpack (expected at least %d, got %zu)",
                        before + after, all->len);
    if (st != LANG_OK) {
        lang_decref(vm, lang_obj_val(all));
        return st;
    }
    size_t mid = all->len - (size_t)(before + after);
    lang_list *rest = lang_list_new(vm, mid);
    if (!rest) {
        lang_decref(vm, lang_obj_val(all));
        return LANG_ERR_MEMORY;
    }
    for (size_t i = 0; i < mid; i++) rest->items[rest->len++] = lang_incref(all->items[before + i]);
    int n = before + 1 + after;
    for (int i = 0; i < n; i++) {   /* item i of the targets goes to out[n - 1 - i] */
        lang_value v = i < before ? lang_incref(all->items[i])
                     : i == before ? lang_obj_val(rest)
                     : lang_incref(all->items[mid + (size_t)i - 1]);
        out[n - 1 - i] = v;
    }
    lang_decref(vm, lang_obj_val(all));
    return LANG_OK;
}

lang_status lang_op_unpack(lang_vm *vm, lang_value seq, int n, lang_value *out)
{
    lang_value it;
    lang_status st = lang_op_iter(vm, seq, &it);
    if (st != LANG_OK) {
        lang_raise(vm, LANG_ERR_TYPE, "cannot unpack a %s into %d names", lang_type_name(seq), n);
        return LANG_ERR_TYPE;
    }
    lang_value items[256];
    double pos = LANG_IS_TYPE(it, LANG_OBJ_RANGE) ? ((lang_range *)it.as.obj)->start : 0;
    int got = 0;
    lang_value item;
    while (lang_op_next(vm, it, &pos, &item, &st)) {
        if (got == n) {
            lang_decref(vm, item);
            got++;
            break;
        }
        items[got++] = item;
    }
    lang_decref(vm, it);
    if (st == LANG_OK && got != n)
        st = lang_raise(vm, LANG_ERR_VALUE, got > n ? "too many values to unpack (expected %d)"
                                                   : "not enough values to unpack (expected %d, got %d)",
                        n, got);
    if (st != LANG_OK) {
        for (int i = 0; i < got && i < n; i++) lang_decref(vm, items[i]);
        return st;
    }
    for (int i = 0; i < n; i++) out[i] = items[n - 1 - i];
    return LANG_OK;
}
