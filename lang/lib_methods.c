/*
 * lib_methods.c -- the methods of str, list, dict and tuple, as in Python. Each is a builtin
 * whose first parameter is the receiver.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_core.h"

#define SELF_LIST (LANG_AS_LIST(a[0]))
#define SELF_STR  (LANG_AS_STR(a[0]))
#define SELF_DICT (LANG_AS_DICT(a[0]))

static lang_status new_str(lang_vm *vm, const char *s, size_t n, lang_value *out)
{
    lang_str *r = lang_str_new(vm, s, n);
    if (!r) return LANG_ERR_MEMORY;
    *out = lang_obj_val(r);
    return LANG_OK;
}

static lang_status index_arg(lang_vm *vm, lang_value v, size_t len, int64_t dflt, int clamp, int64_t *out)
{
    int64_t i = dflt;
    if (!LANG_IS_UNDEF(v)) {
        lang_status st = lang_arg_int(vm, v, "an index", &i);
        if (st != LANG_OK) return st;
    }
    if (i < 0) i += (int64_t)len;
    if (clamp) i = i < 0 ? 0 : i > (int64_t)len ? (int64_t)len : i;
    *out = i;
    return LANG_OK;
}

/* ---- list ------------------------------------------------------------------------------ */

static lang_status l_append(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return lang_list_append(vm, SELF_LIST, lang_incref(a[1]));
}

static lang_status l_extend(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return lang_list_extend(vm, SELF_LIST, a[1]);
}

static lang_status l_pop(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST;
    int64_t i;
    if (l->len == 0) return lang_raise(vm, LANG_ERR_INDEX, "pop from an empty list");
    lang_status st = index_arg(vm, a[1], l->len, -1, 0, &i);
    if (st != LANG_OK) return st;
    if (i < 0 || i >= (int64_t)l->len)
        return lang_raise(vm, LANG_ERR_INDEX, "pop index out of range (length %zu)", l->len);
    *out = l->items[i];
    memmove(&l->items[i], &l->items[i + 1], (l->len - (size_t)i - 1) * sizeof *l->items);
    l->len--;
    return LANG_OK;
}

static lang_status l_insert(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST;
    int64_t i;
    lang_status st = index_arg(vm, a[1], l->len, 0, 1, &i);
    if (st != LANG_OK) return st;
    if ((st = lang_list_append(vm, l, lang_incref(a[2]))) != LANG_OK) return st;
    memmove(&l->items[i + 1], &l->items[i], (l->len - 1 - (size_t)i) * sizeof *l->items);
    l->items[i] = a[2];
    return LANG_OK;
}

static lang_status find_item(lang_vm *vm, lang_value *items, size_t n, lang_value x, const char *what,
                             size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (lang_equal(items[i], x)) { *at = i; return LANG_OK; }
    lang_buf b = {0};
    lang_value_write(&b, x, 1);
    lang_raise(vm, LANG_ERR_VALUE, "%s is not in the %s", b.data ? b.data : "?", what);
    lang_buf_free(&b);
    return LANG_ERR_VALUE;
}

static lang_status l_remove(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST;
    size_t i;
    lang_status st = find_item(vm, l->items, l->len, a[1], "list", &i);
    if (st != LANG_OK) return st;
    lang_value old = l->items[i];
    memmove(&l->items[i], &l->items[i + 1], (l->len - i - 1) * sizeof *l->items);
    l->len--;
    lang_decref(vm, old);
    return LANG_OK;
}

static lang_status seq_index(lang_vm *vm, lang_value *a, lang_value *items, size_t n, const char *what,
                             lang_value *out)
{
    size_t i;
    lang_status st = find_item(vm, items, n, a[1], what, &i);
    if (st == LANG_OK) *out = lang_num((double)i);
    return st;
}

static lang_status seq_count(lang_value x, lang_value *items, size_t n, lang_value *out)
{
    double c = 0;
    for (size_t i = 0; i < n; i++) c += lang_equal(items[i], x);
    *out = lang_num(c);
    return LANG_OK;
}

static lang_status l_index(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return seq_index(vm, a, SELF_LIST->items, SELF_LIST->len, "list", out);
}

static lang_status l_count(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return seq_count(a[1], SELF_LIST->items, SELF_LIST->len, out);
}

static lang_status l_sort(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int reverse = 0;
    if (!LANG_IS_UNDEF(a[2])) {
        lang_status st = lang_arg_bool(vm, a[2], "reverse", &reverse);
        if (st != LANG_OK) return st;
    }
    return lang_sort_values(vm, SELF_LIST->items, SELF_LIST->len, a[1], reverse);
}

static lang_status l_reverse(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST;
    for (size_t i = 0; i < l->len / 2; i++) {
        lang_value t = l->items[i];
        l->items[i] = l->items[l->len - 1 - i];
        l->items[l->len - 1 - i] = t;
    }
    return LANG_OK;
}

static lang_status l_copy(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST, *c = lang_list_new(vm, l->len);
    if (!c) return LANG_ERR_MEMORY;
    for (size_t i = 0; i < l->len; i++) c->items[i] = lang_incref(l->items[i]);
    c->len = l->len;
    *out = lang_obj_val(c);
    return LANG_OK;
}

static lang_status l_clear(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = SELF_LIST;
    while (l->len) lang_decref(vm, l->items[--l->len]);
    return LANG_OK;
}

static const lang_builtin_def list_methods[] = {
    { "append", l_append, "self, item", "list.append(item)\nAdds item at the end.\nExample: losses.append(0.5)" },
    { "extend", l_extend, "self, items", "list.extend(items)\nAdds every item of a list or tuple at the end.\nExample: xs.extend([4, 5])" },
    { "pop", l_pop, "self, index=", "list.pop(index=-1)\nRemoves and returns the item at index (the last by default).\nExample: last = xs.pop()" },
    { "insert", l_insert, "self, index, item", "list.insert(index, item)\nInserts item before index.\nExample: xs.insert(0, 'first')" },
    { "remove", l_remove, "self, item", "list.remove(item)\nRemoves the first item equal to item (ValueError if none).\nExample: xs.remove(3)" },
    { "index", l_index, "self, item", "list.index(item)\nThe position of the first item equal to item.\nExample: [5, 6].index(6)  is  1" },
    { "count", l_count, "self, item", "list.count(item)\nHow many items equal item.\nExample: [1, 1, 2].count(1)  is  2" },
    { "sort", l_sort, "self, key=, reverse=", "list.sort(key=None, reverse=False)\nSorts the list in place (stable).\nExample: xs.sort(reverse=True)" },
    { "reverse", l_reverse, "self", "list.reverse()\nReverses the list in place.\nExample: xs.reverse()" },
    { "copy", l_copy, "self", "list.copy()\nA shallow copy of the list.\nExample: ys = xs.copy()" },
    { "clear", l_clear, "self", "list.clear()\nRemoves every item.\nExample: xs.clear()" },
    { NULL, NULL, NULL, NULL },
};

/* ---- tuple ----------------------------------------------------------------------------- */

static lang_status t_index(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return seq_index(vm, a, LANG_AS_TUPLE(a[0])->items, LANG_AS_TUPLE(a[0])->len, "tuple", out);
}

static lang_status t_count(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return seq_count(a[1], LANG_AS_TUPLE(a[0])->items, LANG_AS_TUPLE(a[0])->len, out);
}

static const lang_builtin_def tuple_methods[] = {
    { "index", t_index, "self, item", "tuple.index(item)\nThe position of the first item equal to item.\nExample: (5, 6).index(6)  is  1" },
    { "count", t_count, "self, item", "tuple.count(item)\nHow many items equal item.\nExample: (1, 1).count(1)  is  2" },
    { NULL, NULL, NULL, NULL },
};

/* ---- dict ------------------------------------------------------------------------------ */

/* keys (0), values (1) or items (2) as a list */
static lang_status dict_view(lang_vm *vm, lang_dict *d, int which, lang_value *out)
{
    lang_list *l = lang_list_new(vm, d->len);
    if (!l) return LANG_ERR_MEMORY;
    for (size_t i = 0; i < d->n_entries; i++) {
        lang_dict_entry *e = &d->entries[i];
        if (LANG_IS_UNDEF(e->key)) continue;
        if (which < 2) {
            l->items[l->len++] = lang_incref(which == 0 ? e->key : e->val);
            continue;
        }
        lang_tuple *t = lang_tuple_new(vm, 2);
        if (!t) { lang_decref(vm, lang_obj_val(l)); return LANG_ERR_MEMORY; }
        t->items[0] = lang_incref(e->key);
        t->items[1] = lang_incref(e->val);
        l->items[l->len++] = lang_obj_val(t);
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status d_keys(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return dict_view(vm, SELF_DICT, 0, out); }
static lang_status d_values(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return dict_view(vm, SELF_DICT, 1, out); }
static lang_status d_items(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return dict_view(vm, SELF_DICT, 2, out); }

static lang_status d_get(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_value *v = lang_is_hashable(a[1]) ? lang_dict_get(SELF_DICT, a[1]) : NULL;
    *out = v ? lang_incref(*v) : LANG_IS_UNDEF(a[2]) ? lang_none() : lang_incref(a[2]);
    return LANG_OK;
}

static lang_status d_pop(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_value *v = lang_is_hashable(a[1]) ? lang_dict_get(SELF_DICT, a[1]) : NULL;
    if (!v) {
        if (!LANG_IS_UNDEF(a[2])) { *out = lang_incref(a[2]); return LANG_OK; }
        return lang_op_get_index(vm, a[0], a[1], out);   /* raises the KeyError */
    }
    *out = lang_incref(*v);
    lang_dict_del(vm, SELF_DICT, a[1]);
    return LANG_OK;
}

static lang_status d_update(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    if (!LANG_IS_DICT(a[1])) return lang_raise(vm, LANG_ERR_TYPE, "update() needs a dict, got %s", lang_type_name(a[1]));
    lang_dict *src = LANG_AS_DICT(a[1]);
    for (size_t i = 0; i < src->n_entries; i++) {
        if (LANG_IS_UNDEF(src->entries[i].key)) continue;
        lang_status st = lang_dict_set(vm, SELF_DICT, src->entries[i].key, src->entries[i].val);
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static lang_status d_copy(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_dict *d = lang_dict_new(vm);
    if (!d) return LANG_ERR_MEMORY;
    *out = lang_obj_val(d);
    lang_value args[2] = { *out, a[0] };
    return d_update(vm, args, NULL, 0, NULL);
}

static lang_status d_clear(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_dict_clear_entries(vm, SELF_DICT);
    return LANG_OK;
}

static lang_status d_setdefault(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_value dflt = LANG_IS_UNDEF(a[2]) ? lang_none() : a[2];
    lang_value *v = lang_is_hashable(a[1]) ? lang_dict_get(SELF_DICT, a[1]) : NULL;
    if (v) { *out = lang_incref(*v); return LANG_OK; }
    lang_status st = lang_dict_set(vm, SELF_DICT, a[1], dflt);
    if (st == LANG_OK) *out = lang_incref(dflt);
    return st;
}

static const lang_builtin_def dict_methods[] = {
    { "keys", d_keys, "self", "dict.keys()\nA list of the keys, in insertion order.\nExample: for k in h.keys(): ..." },
    { "values", d_values, "self", "dict.values()\nA list of the values.\nExample: sum(h.values())" },
    { "items", d_items, "self", "dict.items()\nA list of (key, value) pairs.\nExample: for k, v in h.items(): print(k, v)" },
    { "get", d_get, "self, key, default=", "dict.get(key, default=None)\nThe value of key, or default when it is missing.\nExample: h.get(\"lr\", 0.01)" },
    { "pop", d_pop, "self, key, default=", "dict.pop(key, default)\nRemoves key and returns its value (default, or KeyError, when missing).\nExample: h.pop(\"lr\")" },
    { "update", d_update, "self, other", "dict.update(other)\nCopies every key and value of other into the dict.\nExample: h.update({\"lr\": 0.1})" },
    { "copy", d_copy, "self", "dict.copy()\nA shallow copy.\nExample: h2 = h.copy()" },
    { "clear", d_clear, "self", "dict.clear()\nRemoves every key.\nExample: h.clear()" },
    { "setdefault", d_setdefault, "self, key, default=", "dict.setdefault(key, default=None)\nThe value of key; when missing, sets it to default first.\nExample: counts.setdefault(w, 0)" },
    { NULL, NULL, NULL, NULL },
};

/* ---- str ------------------------------------------------------------------------------- */

/* The other case of a code point written in two UTF-8 bytes, for the alphabets learners'
 * labels use (Latin-1 letters, Greek, Cyrillic); cp itself when it has none. Both cases of
 * these take two bytes, so a string is converted in place. */
static unsigned other_case(unsigned cp, int upper)
{
    struct { unsigned lo, hi, delta; } ranges[] = {
        {0xE0, 0xFE, 0x20}, {0x3B1, 0x3C9, 0x20}, {0x430, 0x44F, 0x20}, {0x450, 0x45F, 0x50},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        unsigned lo = ranges[i].lo, hi = ranges[i].hi, d = ranges[i].delta;
        if (cp == 0xF7 || cp == 0xD7 || cp == 0x3C2) return cp;   /* ÷ × and final sigma */
        if (upper && cp >= lo && cp <= hi) return cp - d;
        if (!upper && cp >= lo - d && cp <= hi - d) return cp + d;
    }
    return cp;
}

static lang_status s_case(lang_vm *vm, lang_value *a, lang_value *out, int upper)
{
    lang_str *s = SELF_STR;
    lang_str *r = lang_str_new(vm, s->chars, s->len);
    if (!r) return LANG_ERR_MEMORY;
    unsigned char *c = (unsigned char *)r->chars;
    for (size_t i = 0; i < r->len; i++) {
        if (c[i] < 0x80) {
            c[i] = (unsigned char)(upper ? toupper(c[i]) : tolower(c[i]));
        } else if ((c[i] & 0xE0) == 0xC0 && i + 1 < r->len) {
            unsigned cp = other_case(((c[i] & 0x1Fu) << 6) | (c[i + 1] & 0x3Fu), upper);
            c[i] = (unsigned char)(0xC0 | (cp >> 6));
            c[i + 1] = (unsigned char)(0x80 | (cp & 0x3F));
            i++;
        }
    }
    r->hash = lang_hash_bytes(r->chars, r->len);
    *out = lang_obj_val(r);
    return LANG_OK;
}

static lang_status s_upper(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_case(vm, a, out, 1); }
static lang_status s_lower(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_case(vm, a, out, 0); }

/* A str argument as counted bytes: a str may hold NUL characters. */
static lang_status str_arg(lang_vm *vm, lang_value v, const char *what, const char **s, size_t *n)
{
    if (!LANG_IS_STR(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a str, got %s", what, lang_type_name(v));
    *s = LANG_AS_STR(v)->chars;
    *n = LANG_AS_STR(v)->len;
    return LANG_OK;
}

static lang_status s_strip_side(lang_vm *vm, lang_value *a, lang_value *out, int left, int right)
{
    const char *set = " \t\n\r\f\v";
    size_t nset = 6;
    if (!LANG_IS_UNDEF(a[1]) && !LANG_IS_NONE(a[1])) {
        lang_status st = str_arg(vm, a[1], "strip() chars", &set, &nset);
        if (st != LANG_OK) return st;
    }
    const char *s = SELF_STR->chars;
    size_t lo = 0, hi = SELF_STR->len;
    while (left && lo < hi && memchr(set, s[lo], nset)) lo++;
    while (right && hi > lo && memchr(set, s[hi - 1], nset)) hi--;
    return new_str(vm, s + lo, hi - lo, out);
}

static lang_status s_strip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_strip_side(vm, a, out, 1, 1); }
static lang_status s_lstrip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_strip_side(vm, a, out, 1, 0); }
static lang_status s_rstrip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_strip_side(vm, a, out, 0, 1); }

static lang_status s_split(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_str *s = SELF_STR;
    const char *sep = NULL;
    size_t nsep = 0;
    if (!LANG_IS_UNDEF(a[1]) && !LANG_IS_NONE(a[1])) {
        lang_status st = str_arg(vm, a[1], "split() separator", &sep, &nsep);
        if (st != LANG_OK) return st;
        if (!nsep) return lang_raise(vm, LANG_ERR_VALUE, "empty separator");
    }
    lang_list *l = lang_list_new(vm, 0);
    if (!l) return LANG_ERR_MEMORY;
    *out = lang_obj_val(l);
    const char *p = s->chars, *end = s->chars + s->len;
    while (p <= end) {
        const char *q;
        if (!sep) {   /* runs of whitespace separate; no empty strings */
            while (p < end && isspace((unsigned char)*p)) p++;
            if (p == end) break;
            q = p;
            while (q < end && !isspace((unsigned char)*q)) q++;
        } else {
            q = memmem(p, (size_t)(end - p), sep, nsep);
            if (!q) q = end;
        }
        lang_str *part = lang_str_new(vm, p, (size_t)(q - p));
        if (!part) return LANG_ERR_MEMORY;
        lang_status st = lang_list_append(vm, l, lang_obj_val(part));
        if (st != LANG_OK) return st;
        p = q + (sep && q < end ? nsep : 0);
        if (sep && q == end) break;
    }
    return LANG_OK;
}

static lang_status s_join(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_value it, item;
    lang_status st = lang_op_iter(vm, a[1], &it);
    if (st != LANG_OK) return st;
    lang_buf b = {0};
    double pos = LANG_IS_TYPE(it, LANG_OBJ_RANGE) ? ((lang_range *)it.as.obj)->start : 0;
    int first = 1;
    while (st == LANG_OK && lang_op_next(vm, it, &pos, &item, &st)) {
        if (!LANG_IS_STR(item))
            st = lang_raise(vm, LANG_ERR_TYPE, "join() needs strs, got %s (convert with str(x))",
                            lang_type_name(item));
        else {
            if (!first) lang_buf_add(&b, SELF_STR->chars, SELF_STR->len);
            lang_buf_add(&b, LANG_AS_STR(item)->chars, LANG_AS_STR(item)->len);
        }
        first = 0;
        lang_decref(vm, item);
    }
    lang_decref(vm, it);
    if (st == LANG_OK) st = new_str(vm, b.data ? b.data : "", b.len, out);
    lang_buf_free(&b);
    return st;
}

static lang_status s_replace(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *old = "", *new_ = "";
    size_t lo = 0, ln = 0;
    lang_status st = str_arg(vm, a[1], "replace() old", &old, &lo);
    if (st == LANG_OK) st = str_arg(vm, a[2], "replace() new", &new_, &ln);
    if (st != LANG_OK) return st;
    if (!lo) return new_str(vm, SELF_STR->chars, SELF_STR->len, out);
    lang_buf b = {0};
    const char *p = SELF_STR->chars, *end = p + SELF_STR->len, *q;
    while ((q = memmem(p, (size_t)(end - p), old, lo))) {
        lang_buf_add(&b, p, (size_t)(q - p));
        lang_buf_add(&b, new_, ln);
        p = q + lo;
    }
    lang_buf_add(&b, p, (size_t)(end - p));
    st = new_str(vm, b.data ? b.data : "", b.len, out);
    lang_buf_free(&b);
    return st;
}

static lang_status s_affix(lang_vm *vm, lang_value *a, lang_value *out, int prefix)
{
    const char *x = "";
    size_t n = 0, len = SELF_STR->len;
    lang_status st = str_arg(vm, a[1], prefix ? "startswith() prefix" : "endswith() suffix", &x, &n);
    if (st != LANG_OK) return st;
    int r = n <= len && memcmp(prefix ? SELF_STR->chars : SELF_STR->chars + len - n, x, n) == 0;
    *out = lang_bool(r);
    return LANG_OK;
}

static lang_status s_startswith(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_affix(vm, a, out, 1); }
static lang_status s_endswith(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out) { return s_affix(vm, a, out, 0); }

static lang_status s_find(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *x = "";
    size_t n = 0;
    lang_status st = str_arg(vm, a[1], "find() argument", &x, &n);
    if (st != LANG_OK) return st;
    const char *q = memmem(SELF_STR->chars, SELF_STR->len, x, n);
    *out = lang_num(q ? (double)lang_utf8_count(SELF_STR->chars, (size_t)(q - SELF_STR->chars)) : -1);
    return LANG_OK;
}

static lang_status s_count(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *x = "";
    size_t n = 0, c = 0;
    lang_status st = str_arg(vm, a[1], "count() argument", &x, &n);
    if (st != LANG_OK) return st;
    const char *p = SELF_STR->chars, *end = p + SELF_STR->len, *q;
    if (!n) { *out = lang_num((double)SELF_STR->nchars + 1); return LANG_OK; }
    while ((q = memmem(p, (size_t)(end - p), x, n))) { c++; p = q + n; }
    *out = lang_num((double)c);
    return LANG_OK;
}

/* "{} {:.2f} {0}".format(...): positional fields with optional format specs. */
static lang_status s_format(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *s = SELF_STR->chars, *end = s + SELF_STR->len;
    lang_buf b = {0};
    int next = 0;
    lang_status st = LANG_OK;
    while (s < end && st == LANG_OK) {
        if ((*s == '{' || *s == '}') && s + 1 < end && s[1] == *s) { lang_buf_add(&b, s, 1); s += 2; continue; }
        if (*s != '{') { lang_buf_add(&b, s++, 1); continue; }
        const char *close = memchr(s, '}', (size_t)(end - s));
        if (!close) { st = lang_raise(vm, LANG_ERR_VALUE, "format(): '{' without a closing '}'"); break; }
        const char *colon = memchr(s, ':', (size_t)(close - s));
        int idx = next++;
        if (s + 1 < (colon ? colon : close)) idx = atoi(s + 1);
        if (idx < 0 || idx >= nva) { st = lang_raise(vm, LANG_ERR_INDEX, "format(): no argument %d", idx); break; }
        lang_str *spec = colon ? lang_str_new(vm, colon + 1, (size_t)(close - colon - 1)) : NULL;
        lang_value r;
        st = lang_op_format(vm, va[idx], spec, 0, &r);
        if (spec) lang_decref(vm, lang_obj_val(spec));
        if (st == LANG_OK) {
            lang_buf_add(&b, LANG_AS_STR(r)->chars, LANG_AS_STR(r)->len);
            lang_decref(vm, r);
        }
        s = close + 1;
    }
    if (st == LANG_OK) st = new_str(vm, b.data ? b.data : "", b.len, out);
    lang_buf_free(&b);
    return st;
}

static const lang_builtin_def str_methods[] = {
    { "upper", s_upper, "self", "str.upper()\nThe text in capitals.\nExample: 'relu'.upper()  is  'RELU'" },
    { "lower", s_lower, "self", "str.lower()\nThe text in small letters.\nExample: 'Adam'.lower()  is  'adam'" },
    { "strip", s_strip, "self, chars=", "str.strip(chars=None)\nThe text without leading and trailing spaces (or chars).\nExample: ' a '.strip()  is  'a'" },
    { "lstrip", s_lstrip, "self, chars=", "str.lstrip(chars=None)\nThe text without leading spaces (or chars).\nExample: ' a'.lstrip()" },
    { "rstrip", s_rstrip, "self, chars=", "str.rstrip(chars=None)\nThe text without trailing spaces (or chars).\nExample: 'a\\n'.rstrip()" },
    { "split", s_split, "self, sep=", "str.split(sep=None)\nA list of the parts between separators (runs of spaces when sep is None).\nExample: '1,2'.split(',')  is  ['1', '2']" },
    { "join", s_join, "self, items", "str.join(items)\nThe strs of items joined with this str between them.\nExample: ', '.join(['a', 'b'])  is  'a, b'" },
    { "replace", s_replace, "self, old, new", "str.replace(old, new)\nThe text with every old replaced by new.\nExample: 'a-b'.replace('-', '+')" },
    { "startswith", s_startswith, "self, prefix", "str.startswith(prefix)\nTrue when the text begins with prefix.\nExample: 'dense_1'.startswith('dense')" },
    { "endswith", s_endswith, "self, suffix", "str.endswith(suffix)\nTrue when the text ends with suffix.\nExample: 'model.nabla'.endswith('.nabla')" },
    { "find", s_find, "self, sub", "str.find(sub)\nThe position of the first sub, or -1.\nExample: 'abc'.find('c')  is  2" },
    { "count", s_count, "self, sub", "str.count(sub)\nHow many times sub occurs (without overlaps).\nExample: 'banana'.count('a')  is  3" },
    { "format", s_format, "self, *args", "str.format(*args)\nFills {} fields with the arguments; {:.2f} takes a format spec.\nExample: 'loss {:.3f}'.format(0.12345)" },
    { NULL, NULL, NULL, NULL },
};

lang_status lang_lib_methods_open(lang_vm *vm)
{
    lang_status st = lang_register_methods(vm, LANG_METHODS_LIST, list_methods);
    if (st == LANG_OK) st = lang_register_methods(vm, LANG_METHODS_TUPLE, tuple_methods);
    if (st == LANG_OK) st = lang_register_methods(vm, LANG_METHODS_DICT, dict_methods);
    if (st == LANG_OK) st = lang_register_methods(vm, LANG_METHODS_STR, str_methods);
    return st;
}
