/*
 * dict.c -- insertion-ordered hash maps (Python's layout): an array of entries in insertion
 * order plus an open-addressing index of int32 positions into it. Deleting leaves a hole in
 * the entries (key UNDEF) that the next resize squeezes out.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"

/* 1 hashable, 0 not, -1 nested past LANG_MAX_NESTING (hashing would recurse too deep). */
static int hashable_at(lang_value v, int depth)
{
    if (!LANG_IS_OBJ(v)) return !LANG_IS_UNDEF(v);
    if (LANG_IS_STR(v)) return 1;
    if (LANG_IS_TUPLE(v)) {
        if (depth > LANG_MAX_NESTING) return -1;
        lang_tuple *t = LANG_AS_TUPLE(v);
        for (size_t i = 0; i < t->len; i++) {
            int r = hashable_at(t->items[i], depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    return 0;
}

int lang_is_hashable(lang_value v) { return hashable_at(v, 0) == 1; }

uint32_t lang_hash(lang_value v)
{
    switch ((lang_tag)v.tag) {
    case LANG_VAL_NONE: case LANG_VAL_UNDEF: return 0x9e3779b9u;
    case LANG_VAL_BOOL: return (uint32_t)v.as.boolean;   /* True hashes as 1, as 1 == True */
    case LANG_VAL_NUM: {
        double d = v.as.num;
        if (d == 0) return 0;   /* 0.0 and -0.0 */
        uint64_t bits;
        if (d == floor(d) && fabs(d) < 4e9) return (uint32_t)(int64_t)d;
        memcpy(&bits, &d, sizeof bits);
        return (uint32_t)(bits ^ (bits >> 32));
    }
    case LANG_VAL_OBJ: break;
    }
    if (LANG_IS_STR(v)) return LANG_AS_STR(v)->hash;
    uint32_t h = 0x345678u;
    lang_tuple *t = LANG_AS_TUPLE(v);
    for (size_t i = 0; i < t->len; i++) h = (h ^ lang_hash(t->items[i])) * 1000003u;
    return h;
}

lang_dict *lang_dict_new(lang_vm *vm)
{
    lang_dict *d = calloc(1, sizeof *d);
    if (!d) {
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        return NULL;
    }
    d->h.refcount = 1;
    d->h.type = LANG_OBJ_DICT;
    lang_gc_track(vm, &d->h);
    return d;
}

/* Position in the index of key (or of the empty slot where it would go). */
static size_t probe(const lang_dict *d, lang_value key, uint32_t hash)
{
    size_t mask = d->index_cap - 1, i = hash & mask;
    for (;;) {
        int32_t e = d->index[i];
        if (e < 0) return i;
        const lang_dict_entry *en = &d->entries[e];
        if (en->hash == hash && lang_equal(en->key, key)) return i;
        i = (i + 1) & mask;
    }
}

static int rebuild(lang_dict *d, size_t need)
{
    size_t cap = 8;
    while (cap < need * 2) cap *= 2;
    /* squeeze out deleted entries */
    size_t k = 0;
    for (size_t i = 0; i < d->n_entries; i++)
        if (!LANG_IS_UNDEF(d->entries[i].key)) d->entries[k++] = d->entries[i];
    d->n_entries = k;
    int32_t *index = malloc(cap * sizeof *index);
    if (!index) return 0;
    free(d->index);
    d->index = index;
    d->index_cap = cap;
    memset(index, 0xff, cap * sizeof *index);
    for (size_t i = 0; i < d->n_entries; i++)
        index[probe(d, d->entries[i].key, d->entries[i].hash)] = (int32_t)i;
    return 1;
}

lang_value *lang_dict_get(lang_dict *d, lang_value key)
{
    if (d->len == 0) return NULL;
    int32_t e = d->index[probe(d, key, lang_hash(key))];
    return e < 0 ? NULL : &d->entries[e].val;
}

lang_status lang_dict_set(lang_vm *vm, lang_dict *d, lang_value key, lang_value val)
{
    int h = hashable_at(key, 0);
    if (h < 0)
        return lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded while hashing a dict key");
    if (!h)
        return lang_raise(vm, LANG_ERR_TYPE, "a %s cannot be a dict key (use a str, number or "
                          "tuple)", lang_type_name(key));
    uint32_t hash = lang_hash(key);
    if (d->index_cap) {
        int32_t e = d->index[probe(d, key, hash)];
        if (e >= 0) {
            lang_value old = d->entries[e].val;
            d->entries[e].val = lang_incref(val);
            lang_decref(vm, old);
            return LANG_OK;
        }
    }
    if (d->n_entries == d->cap_entries) {
        size_t cap = d->cap_entries ? d->cap_entries * 2 : 8;
        lang_dict_entry *en = realloc(d->entries, cap * sizeof *en);
        if (!en) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory growing a dict");
        d->entries = en;
        d->cap_entries = cap;
    }
    if ((d->n_entries + 1) * 2 > d->index_cap && !rebuild(d, d->n_entries + 1))
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory growing a dict");
    size_t slot = probe(d, key, hash);
    lang_dict_entry *en = &d->entries[d->n_entries];
    en->key = lang_incref(key);
    en->val = lang_incref(val);
    en->hash = hash;
    d->index[slot] = (int32_t)d->n_entries++;
    d->len++;
    return LANG_OK;
}

int lang_dict_del(lang_vm *vm, lang_dict *d, lang_value key)
{
    if (d->len == 0) return 0;
    size_t slot = probe(d, key, lang_hash(key));
    int32_t e = d->index[slot];
    if (e < 0) return 0;
    lang_value k = d->entries[e].key, v = d->entries[e].val;
    d->entries[e].key = lang_undef();
    d->entries[e].val = lang_none();
    d->len--;
    rebuild(d, d->len ? d->len : 1);   /* keeps probing chains intact; dicts are small */
    lang_decref(vm, k);
    lang_decref(vm, v);
    return 1;
}

void lang_dict_clear_entries(lang_vm *vm, lang_dict *d)
{
    lang_dict_entry *entries = d->entries;
    size_t n = d->n_entries;
    d->entries = NULL;
    d->n_entries = d->cap_entries = d->len = 0;
    free(d->index);
    d->index = NULL;
    d->index_cap = 0;
    for (size_t i = 0; i < n; i++) {
        lang_decref(vm, entries[i].key);
        lang_decref(vm, entries[i].val);
    }
    free(entries);
}
