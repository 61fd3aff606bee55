/*
 * vm_call.c -- binding arguments to parameters, for user functions and builtins alike:
 * positional arguments first, then keywords by name, then defaults; every mistake is a
 * TypeError that names the function and the parameter.
 */
#include <stdio.h>
#include <string.h>
#include "lang/vm.h"

const char *lang_local_name(const lang_proto *p, int slot)
{
    return p->local_names && p->local_names[slot] ? p->local_names[slot] : "?";
}

const char *lang_free_name(const lang_proto *p, int index)
{
    return p->free_names && p->free_names[index] ? p->free_names[index] : "?";
}

/* Index of keyword `name` among n parameter names, or -1. */
static int param_index(char *const *names, int n, const lang_str *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name->chars) == 0) return i;
    return -1;
}

static lang_status missing_args(lang_vm *vm, const char *fn, char *const *names, const lang_value *slots,
                                int n)
{
    char list[256] = "";
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (!LANG_IS_UNDEF(slots[i])) continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s'%s'", count ? ", " : "", names[i]);
        count++;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "%s() is missing %d required argument%s: %s", fn, count,
                      count == 1 ? "" : "s", list);
}

/* Binds a call of closure f into slots[0, nparams): owned references (args are borrowed). */
lang_status lang_bind_args(lang_vm *vm, lang_func *f, lang_value *args, int argc,
                           lang_tuple *kwnames, lang_value *slots)
{
    lang_proto *p = f->proto;
    int nkw = kwnames ? (int)kwnames->len : 0, npos = argc - nkw;
    const char *fn = p->name->chars;
    if (npos > p->nparams)
        return lang_raise(vm, LANG_ERR_TYPE, "%s() takes %d argument%s but %d %s given", fn,
                          p->nparams, p->nparams == 1 ? "" : "s", npos, npos == 1 ? "was" : "were");
    for (int i = 0; i < p->nparams; i++) slots[i] = lang_undef();
    for (int i = 0; i < npos; i++) slots[i] = args[i];
    for (int k = 0; k < nkw; k++) {
        lang_str *name = LANG_AS_STR(kwnames->items[k]);
        int i = param_index(p->local_names, p->nparams, name);
        if (i < 0)
            return lang_raise(vm, LANG_ERR_TYPE, "%s() got an unexpected keyword argument '%s'",
                              fn, name->chars);
        if (!LANG_IS_UNDEF(slots[i]))
            return lang_raise(vm, LANG_ERR_TYPE, "%s() got multiple values for argument '%s'",
                              fn, name->chars);
        slots[i] = args[npos + k];
    }
    int first_default = p->nparams - f->ndefaults;
    for (int i = first_default; i < p->nparams; i++)
        if (LANG_IS_UNDEF(slots[i])) slots[i] = f->defaults[i - first_default];
    for (int i = 0; i < p->nparams; i++)
        if (LANG_IS_UNDEF(slots[i])) return missing_args(vm, fn, p->local_names, slots, p->nparams);
    for (int i = 0; i < p->nparams; i++) lang_incref(slots[i]);
    return LANG_OK;
}

/* Builtins: named parameters in a[], extra positionals (for "*name") in va. */
static lang_status bind_builtin(lang_vm *vm, const lang_builtin *b, lang_value *self,
                                lang_value *args, int argc, lang_tuple *kwnames, lang_value *a,
                                lang_value **va, int *nva)
{
    int nkw = kwnames ? (int)kwnames->len : 0, npos = argc - nkw;
    const char *fn = b->def->name;
    int first = 0;   /* the receiver fills parameter 0 of a method */
    for (int i = 0; i < b->nparams; i++) a[i] = lang_undef();
    if (self) a[first++] = *self;
    *va = NULL;
    *nva = 0;
    if (b->varargs) {
        *va = args;
        *nva = npos;
        first++;     /* parameter `first` is the "*name" itself: never bound by name */
    } else {
        int room = b->nparams - first;
        if (npos > room)
            return lang_raise(vm, LANG_ERR_TYPE, "%s() takes at most %d argument%s but %d %s given",
                              fn, room, room == 1 ? "" : "s", npos, npos == 1 ? "was" : "were");
        for (int i = 0; i < npos; i++) a[first + i] = args[i];
    }
    for (int k = 0; k < nkw; k++) {
        lang_str *name = LANG_AS_STR(kwnames->items[k]);
        int i = -1;
        for (int j = 0; j < b->nparams; j++)
            if (b->plens[j] == name->len && memcmp(b->pnames[j], name->chars, name->len) == 0) i = j;
        if (i < 0 || (b->varargs && i == (self ? 1 : 0)))
            return lang_raise(vm, LANG_ERR_TYPE, "%s() got an unexpected keyword argument '%s'",
                              fn, name->chars);
        if (!LANG_IS_UNDEF(a[i]))
            return lang_raise(vm, LANG_ERR_TYPE, "%s() got multiple values for argument '%s'",
                              fn, name->chars);
        a[i] = args[npos + k];
    }
    for (int i = 0; i < b->nrequired; i++) {
        if (b->varargs && i == (self ? 1 : 0)) continue;
        if (LANG_IS_UNDEF(a[i]))
            return lang_raise(vm, LANG_ERR_TYPE, "%s() is missing required argument '%.*s'", fn,
                              (int)b->plens[i], b->pnames[i]);
    }
    return LANG_OK;
}

lang_status lang_call_builtin(lang_vm *vm, lang_builtin *b, lang_value *self, lang_value *args,
                              int argc, lang_tuple *kwnames, lang_value *out)
{
    lang_value a[LANG_MAX_PARAMS], *va;
    int nva;
    lang_status st = bind_builtin(vm, b, self, args, argc, kwnames, a, &va, &nva);
    if (st != LANG_OK) return st;
    *out = lang_none();
    st = b->def->fn(vm, a, va, nva, out);
    if (st != LANG_OK) {   /* a builtin may have made its result before failing */
        lang_decref(vm, *out);
        *out = lang_none();
    }
    return st;
}

/* Calling a native object (a layer): its class gives the parameters and the function; the
 * object itself is passed as the receiver. */
lang_status lang_call_native(lang_vm *vm, lang_native *n, lang_value *args, int argc,
                             lang_tuple *kwnames, lang_value *out)
{
    lang_builtin_def def = { n->cls->name, n->cls->call, n->cls->call_params, NULL };
    lang_builtin b;
    memset(&b, 0, sizeof b);
    if (lang_builtin_parse(&def, &b) != LANG_OK)
        return lang_raise(vm, LANG_ERR_TYPE, "%s objects cannot be called", n->cls->name);
    lang_value self = lang_obj_val(n);
    return lang_call_builtin(vm, &b, &self, args, argc, kwnames, out);
}
