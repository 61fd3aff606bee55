/*
 * lib_seq.c -- builtins over sequences: list, tuple, dict, enumerate, zip, sorted, reversed,
 * any, all, map, filter. They return lists (not lazy iterators): simpler to print and to
 * reason about, and learners' sequences are small.
 */
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_core.h"

/* Every item of an iterable value, as a new list (owned). */
static lang_status to_list(lang_vm *vm, lang_value v, lang_list **out)
{
    lang_value it, item;
    lang_status st = lang_op_iter(vm, v, &it);
    if (st != LANG_OK) return st;
    lang_list *l = lang_list_new(vm, 0);
    if (!l) { lang_decref(vm, it); return LANG_ERR_MEMORY; }
    double pos = LANG_IS_TYPE(it, LANG_OBJ_RANGE) ? ((lang_range *)it.as.obj)->start : 0;
    while (st == LANG_OK && lang_op_next(vm, it, &pos, &item, &st))
        st = lang_list_append(vm, l, item);
    lang_decref(vm, it);
    if (st != LANG_OK) {
        lang_decref(vm, lang_obj_val(l));
        return st;
    }
    *out = l;
    return LANG_OK;
}

static lang_status bi_list(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l;
    if (!LANG_IS_UNDEF(a[0])) {
        lang_status st = to_list(vm, a[0], &l);
        if (st != LANG_OK) return st;
    } else if (!(l = lang_list_new(vm, 0))) {
        return LANG_ERR_MEMORY;
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status bi_tuple(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l = NULL;
    if (!LANG_IS_UNDEF(a[0])) {
        lang_status st = to_list(vm, a[0], &l);
        if (st != LANG_OK) return st;
    }
    size_t n = l ? l->len : 0;
    lang_tuple *t = lang_tuple_new(vm, n);
    if (!t) {
        if (l) lang_decref(vm, lang_obj_val(l));
        return LANG_ERR_MEMORY;
    }
    for (size_t i = 0; i < n; i++) t->items[i] = lang_incref(l->items[i]);
    if (l) lang_decref(vm, lang_obj_val(l));
    *out = lang_obj_val(t);
    return LANG_OK;
}

/* dict() / dict(other_dict) / dict(list of (key, value) pairs) */
static lang_status bi_dict(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_dict *d = lang_dict_new(vm);
    if (!d) return LANG_ERR_MEMORY;
    *out = lang_obj_val(d);
    if (LANG_IS_UNDEF(a[0])) return LANG_OK;
    if (LANG_IS_DICT(a[0])) {
        lang_dict *src = LANG_AS_DICT(a[0]);
        for (size_t i = 0; i < src->n_entries; i++)
            if (!LANG_IS_UNDEF(src->entries[i].key)) {
                lang_status st = lang_dict_set(vm, d, src->entries[i].key, src->entries[i].val);
                if (st != LANG_OK) return st;
            }
        return LANG_OK;
    }
    lang_list *pairs;
    lang_status st = to_list(vm, a[0], &pairs);
    if (st != LANG_OK) return st;
    for (size_t i = 0; st == LANG_OK && i < pairs->len; i++) {
        lang_value kv[2];
        st = lang_op_unpack(vm, pairs->items[i], 2, kv);   /* kv[1] is the key (first on top) */
        if (st != LANG_OK) break;
        st = lang_dict_set(vm, d, kv[1], kv[0]);
        lang_decref(vm, kv[0]);
        lang_decref(vm, kv[1]);
    }
    lang_decref(vm, lang_obj_val(pairs));
    return st;
}

static lang_status bi_enumerate(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t start = 0;
    if (!LANG_IS_UNDEF(a[1])) {
        lang_status st = lang_arg_int(vm, a[1], "enumerate() start", &start);
        if (st != LANG_OK) return st;
    }
    lang_list *l;
    lang_status st = to_list(vm, a[0], &l);
    if (st != LANG_OK) return st;
    for (size_t i = 0; i < l->len; i++) {
        lang_tuple *t = lang_tuple_new(vm, 2);
        if (!t) { lang_decref(vm, lang_obj_val(l)); return LANG_ERR_MEMORY; }
        t->items[0] = lang_num((double)(start + (int64_t)i));
        t->items[1] = l->items[i];   /* moves the reference */
        l->items[i] = lang_obj_val(t);
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status bi_zip(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *lists[16];
    if (nva > 16) return lang_raise(vm, LANG_ERR_TYPE, "zip() takes at most 16 sequences");
    size_t n = (size_t)-1;
    lang_status st = LANG_OK;
    int k = 0;
    for (; k < nva && st == LANG_OK; k++) {
        st = to_list(vm, va[k], &lists[k]);
        if (st == LANG_OK && lists[k]->len < n) n = lists[k]->len;
    }
    if (st != LANG_OK) k--;
    lang_list *r = st == LANG_OK ? lang_list_new(vm, nva ? n : 0) : NULL;
    if (st == LANG_OK && !r) st = LANG_ERR_MEMORY;
    for (size_t i = 0; st == LANG_OK && nva && i < n; i++) {
        lang_tuple *t = lang_tuple_new(vm, (size_t)nva);
        if (!t) { st = LANG_ERR_MEMORY; break; }
        for (int j = 0; j < nva; j++) t->items[j] = lang_incref(lists[j]->items[i]);
        r->items[r->len++] = lang_obj_val(t);
    }
    for (int j = 0; j < k; j++) lang_decref(vm, lang_obj_val(lists[j]));
    if (st != LANG_OK) {
        if (r) lang_decref(vm, lang_obj_val(r));
        return st;
    }
    *out = lang_obj_val(r);
    return LANG_OK;
}

/* ---- sorting: a stable merge sort whose comparisons may fail ------------------------ */

typedef struct sorter {
    lang_vm *vm;
    lang_status st;
    int reverse;
} sorter;

/* 1 when a must come after b. */
static int after(sorter *s, lang_value a, lang_value b)
{
    if (s->st != LANG_OK) return 0;
    int c = lang_compare_values(a, b);
    if (c == 2) {
        s->st = lang_raise(s->vm, LANG_ERR_TYPE, "cannot compare %s and %s when sorting",
                           lang_type_name(a), lang_type_name(b));
        return 0;
    }
    return s->reverse ? c < 0 : c > 0;
}

static void merge_sort(sorter *s, lang_value *keys, lang_value *items, lang_value *tk,
                       lang_value *ti, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort(s, keys, items, tk, ti, h);
    merge_sort(s, keys + h, items + h, tk, ti, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (after(s, keys[i], keys[j])) { tk[k] = keys[j]; ti[k++] = items[j++]; }
        else { tk[k] = keys[i]; ti[k++] = items[i++]; }
    }
    while (i < h) { tk[k] = keys[i]; ti[k++] = items[i++]; }
    while (j < n) { tk[k] = keys[j]; ti[k++] = items[j++]; }
    memcpy(keys, tk, n * sizeof *keys);
    memcpy(items, ti, n * sizeof *items);
}

lang_status lang_sort_values(lang_vm *vm, lang_value *items, size_t n, lang_value key, int reverse)
{
    int has_key = !LANG_IS_UNDEF(key) && !LANG_IS_NONE(key);
    lang_value *keys = malloc((n ? n : 1) * 3 * sizeof *keys);
    if (!keys) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory sorting");
    size_t made = 0;
    lang_status st = LANG_OK;
    for (; made < n; made++) {
        if (!has_key) { keys[made] = items[made]; continue; }
        st = lang_call_value(vm, key, 1, &items[made], &keys[made]);
        if (st != LANG_OK) break;
    }
    if (st == LANG_OK) {
        sorter s = { vm, LANG_OK, reverse };
        merge_sort(&s, keys, items, keys + n, keys + 2 * n, n);
        st = s.st;
    }
    if (has_key) for (size_t i = 0; i < made; i++) lang_decref(vm, keys[i]);
    free(keys);
    return st;
}

static lang_status bi_sorted(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int reverse = 0;
    lang_status st = LANG_IS_UNDEF(a[2]) ? LANG_OK : lang_arg_bool(vm, a[2], "reverse", &reverse);
    if (st != LANG_OK) return st;
    lang_list *l;
    if ((st = to_list(vm, a[0], &l)) != LANG_OK) return st;
    st = lang_sort_values(vm, l->items, l->len, a[1], reverse);
    if (st != LANG_OK) {
        lang_decref(vm, lang_obj_val(l));
        return st;
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status bi_reversed(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_list *l;
    lang_status st = to_list(vm, a[0], &l);
    if (st != LANG_OK) return st;
    for (size_t i = 0; i < l->len / 2; i++) {
        lang_value t = l->items[i];
        l->items[i] = l->items[l->len - 1 - i];
        l->items[l->len - 1 - i] = t;
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

static lang_status any_all(lang_vm *vm, lang_value v, int want_any, lang_value *out)
{
    lang_list *l;
    lang_status st = to_list(vm, v, &l);
    if (st != LANG_OK) return st;
    int result = !want_any;
    for (size_t i = 0; i < l->len && st == LANG_OK; i++) {
        int t = lang_truthy(vm, l->items[i], &st);
        if (st == LANG_OK && t == want_any) { result = want_any; break; }
    }
    lang_decref(vm, lang_obj_val(l));
    *out = lang_bool(result);
    return st;
}

static lang_status bi_any(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return any_all(vm, a[0], 1, out);
}

static lang_status bi_all(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return any_all(vm, a[0], 0, out);
}

/* map(f, seq) and filter(f, seq) */
static lang_status map_filter(lang_vm *vm, lang_value f, lang_value seq, int filter, lang_value *out)
{
    lang_list *l;
    lang_status st = to_list(vm, seq, &l);
    if (st != LANG_OK) return st;
    lang_list *r = lang_list_new(vm, l->len);
    if (!r) { lang_decref(vm, lang_obj_val(l)); return LANG_ERR_MEMORY; }
    for (size_t i = 0; i < l->len && st == LANG_OK; i++) {
        lang_value v;
        if (filter && LANG_IS_NONE(f)) v = lang_incref(l->items[i]);
        else st = lang_call_value(vm, f, 1, &l->items[i], &v);
        if (st != LANG_OK) break;
        if (!filter) { r->items[r->len++] = v; continue; }
        int keep = lang_truthy(vm, v, &st);
        lang_decref(vm, v);
        if (keep) r->items[r->len++] = lang_incref(l->items[i]);
    }
    lang_decref(vm, lang_obj_val(l));
    if (st != LANG_OK) { lang_decref(vm, lang_obj_val(r)); return st; }
    *out = lang_obj_val(r);
    return LANG_OK;
}

static lang_status bi_map(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return map_filter(vm, a[0], a[1], 0, out);
}

static lang_status bi_filter(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return map_filter(vm, a[0], a[1], 1, out);
}

const lang_builtin_def lang_seq_builtins[] = {
    { "list", bi_list, "items=",
      "list(items)\nA new list of the items of a list, tuple, str, range, dict (its keys) or "
      "tensor (its rows); list() is [].\nExample: list(range(3))  is  [0, 1, 2]" },
    { "tuple", bi_tuple, "items=",
      "tuple(items)\nA new tuple of the items.\nExample: tuple([1, 2])  is  (1, 2)" },
    { "dict", bi_dict, "pairs=",
      "dict(pairs)\nA new dict from a dict or a list of (key, value) pairs; dict() is {}.\n"
      "Example: dict([(\"lr\", 0.1)])" },
    { "enumerate", bi_enumerate, "items, start=",
      "enumerate(items, start=0)\nA list of (index, item) pairs.\n"
      "Example: for i, x in enumerate([\"a\", \"b\"]): print(i, x)" },
    { "zip", bi_zip, "*sequences",
      "zip(*sequences)\nA list of tuples taking one item from each sequence, as long as the "
      "shortest.\nExample: for x, y in zip(xs, ys): ..." },
    { "sorted", bi_sorted, "items, key=, reverse=",
      "sorted(items, key=None, reverse=False)\nA new sorted list; key is a function giving "
      "what to compare.\nExample: sorted(words, key=len)" },
    { "reversed", bi_reversed, "items",
      "reversed(items)\nA new list of the items in reverse order.\nExample: reversed([1, 2, 3])" },
    { "any", bi_any, "items",
      "any(items)\nTrue when at least one item is true.\nExample: any([0, 0, 1])  is  True" },
    { "all", bi_all, "items",
      "all(items)\nTrue when every item is true.\nExample: all([1, 1, 0])  is  False" },
    { "map", bi_map, "f, items",
      "map(f, items)\nA list of f(item) for each item.\nExample: map(lambda x: x * 2, [1, 2])" },
    { "filter", bi_filter, "f, items",
      "filter(f, items)\nA list of the items for which f(item) is true (f None: the true "
      "items).\nExample: filter(lambda x: x > 0, [-1, 2])" },
    { NULL, NULL, NULL, NULL },
};
