/*
 * builtins.c -- registering builtin functions and methods, and the argument conversions
 * every builtin shares. A builtin's parameters come from its Python-like signature string
 * ("x, axis=, keepdims="), parsed once at registration.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lang/vm.h"
#include "lang/lib_tensor.h"

/* Parses def->params into b: names, how many are required, and the "*name" position. */
lang_status lang_builtin_parse(const lang_builtin_def *def, lang_builtin *b)
{
    const char *p = def->params ? def->params : "";
    b->def = def;
    b->nparams = b->nrequired = b->varargs = 0;
    int optional_seen = 0;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        if (b->nparams == LANG_MAX_PARAMS) return LANG_ERR_VALUE;
        int star = *p == '*';
        if (star) {
            if (b->nparams > 1 || b->varargs) return LANG_ERR_VALUE;   /* first, or after self */
            b->varargs = 1;
            p++;
        }
        const char *start = p;
        while (*p && *p != ',' && *p != '=' && *p != ' ') p++;
        b->pnames[b->nparams] = start;
        b->plens[b->nparams] = (size_t)(p - start);
        while (*p == ' ') p++;
        int optional = *p == '=';
        if (optional) p++;
        while (*p && *p != ',') p++;   /* a default's text is documentation only */
        if (optional) optional_seen = 1;
        else if (!star && optional_seen) return LANG_ERR_VALUE;
        if (!optional) b->nrequired = b->nparams + 1;
        b->nparams++;
    }
    return LANG_OK;
}

lang_builtin *lang_builtin_new(lang_vm *vm, const lang_builtin_def *def)
{
    lang_builtin *b = calloc(1, sizeof *b);
    if (!b) {
        lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        return NULL;
    }
    b->h.refcount = 1;
    b->h.type = LANG_OBJ_BUILTIN;
    if (lang_builtin_parse(def, b) != LANG_OK) {
        free(b);
        lang_raise(vm, LANG_ERR_VALUE, "internal: bad parameter list for %s(): %s", def->name,
                   def->params);
        return NULL;
    }
    return b;
}

lang_status lang_set_global(lang_vm *vm, const char *name, lang_value v)
{
    int g = lang_global_slot(vm, name, strlen(name));
    if (g < 0) {
        lang_decref(vm, v);
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    }
    lang_value old = vm->globals.values[g];
    vm->globals.values[g] = v;
    lang_decref(vm, old);
    return LANG_OK;
}

/* Does global g still hold the builtin registered under its own name? */
int lang_global_is_builtin(const lang_vm *vm, size_t g)
{
    lang_value v = vm->globals.values[g];
    return LANG_IS_TYPE(v, LANG_OBJ_BUILTIN) &&
           strcmp(((lang_builtin *)v.as.obj)->def->name, vm->globals.names[g]) == 0;
}

lang_status lang_register(lang_vm *vm, const lang_builtin_def *defs)
{
    for (const lang_builtin_def *d = defs; d->name; d++) {
        lang_builtin *b = lang_builtin_new(vm, d);
        if (!b) return LANG_ERR_MEMORY;
        lang_status st = lang_set_global(vm, d->name, lang_obj_val(b));
        if (st != LANG_OK) return st;
        int g = lang_global_find(vm, d->name);
        lang_decref(vm, vm->globals.builtins[g]);
        vm->globals.builtins[g] = lang_incref(lang_obj_val(b));
    }
    return LANG_OK;
}

lang_status lang_register_methods(lang_vm *vm, lang_method_table which, const lang_builtin_def *defs)
{
    size_t n = 0;
    while (defs[n].name) n++;
    size_t old = vm->nmethods[which];
    lang_builtin **arr = realloc(vm->methods[which], (old + n + 1) * sizeof *arr);
    if (!arr) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    vm->methods[which] = arr;
    for (size_t i = 0; i < n; i++) {
        arr[old + i] = lang_builtin_new(vm, &defs[i]);
        if (!arr[old + i]) {
            vm->nmethods[which] = old + i;
            arr[old + i] = NULL;
            return LANG_ERR_MEMORY;
        }
    }
    vm->nmethods[which] = old + n;
    arr[old + n] = NULL;
    return LANG_OK;
}

const lang_host *lang_vm_host(lang_vm *vm) { return &vm->host; }

void lang_progress(lang_vm *vm, const char *line, int final)
{
    if (!vm->host.progress) {
        if (final && vm->host.print) {
            vm->host.print(vm->host.ud, line, strlen(line));
            vm->host.print(vm->host.ud, "\n", 1);
        }
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    if (!final && now - vm->progress_last < 0.05) return;
    vm->progress_last = now;
    vm->host.progress(vm->host.ud, line, final);
}
eng_rng *lang_vm_rng(lang_vm *vm) { return &vm->rng; }

/* ---- argument conversions ---------------------------------------------------------------- */

lang_status lang_arg_num(lang_vm *vm, lang_value v, const char *what, double *out)
{
    if (LANG_IS_NUM(v)) { *out = v.as.num; return LANG_OK; }
    if (LANG_IS_BOOL(v)) { *out = v.as.boolean; return LANG_OK; }
    if (LANG_IS_TENSOR(v) && LANG_AS_TENSOR(v)->size == 1) {
        *out = lang_tensor_f32_num(eng_tensor_item(LANG_AS_TENSOR(v)));
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_TYPE, "%s must be a number, got %s", what, lang_type_name(v));
}

lang_status lang_arg_int(lang_vm *vm, lang_value v, const char *what, int64_t *out)
{
    double d;
    lang_status st = lang_arg_num(vm, v, what, &d);
    if (st != LANG_OK) return st;
    if (d != floor(d) || fabs(d) > 9e15) {
        char buf[64];
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a whole number, got %s", what,
                          lang_tensor_num_text(d, buf, sizeof buf));
    }
    *out = (int64_t)d;
    return LANG_OK;
}

lang_status lang_arg_bool(lang_vm *vm, lang_value v, const char *what, int *out)
{
    lang_status st;
    *out = lang_truthy(vm, v, &st);
    (void)what;
    return st;
}

lang_status lang_arg_str(lang_vm *vm, lang_value v, const char *what, const char **out)
{
    if (!LANG_IS_STR(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a str, got %s", what, lang_type_name(v));
    *out = LANG_AS_STR(v)->chars;
    return LANG_OK;
}

lang_status lang_arg_tensor(lang_vm *vm, lang_value v, const char *what, eng_tensor **out)
{
    return lang_tensor_from_value(vm, v, what, out);
}

/* One size of a shape: a whole number >= 0. */
static lang_status shape_dim(lang_vm *vm, lang_value v, const char *what, int64_t *out)
{
    lang_status st = lang_arg_int(vm, v, what, out);
    if (st != LANG_OK) return st;
    if (*out < 0) return lang_raise(vm, LANG_ERR_VALUE, "%s: negative size %lld", what, (long long)*out);
    return LANG_OK;
}

lang_status lang_arg_shape(lang_vm *vm, const lang_value *vals, int n, const char *what,
                           int *ndim, int64_t shape[ENG_MAX_DIMS])
{
    if (n == 1 && (LANG_IS_LIST(vals[0]) || LANG_IS_TUPLE(vals[0]))) {
        const lang_value *items = LANG_IS_LIST(vals[0]) ? LANG_AS_LIST(vals[0])->items
                                                       : LANG_AS_TUPLE(vals[0])->items;
        int len = (int)(LANG_IS_LIST(vals[0]) ? LANG_AS_LIST(vals[0])->len : LANG_AS_TUPLE(vals[0])->len);
        return lang_arg_shape(vm, items, len, what, ndim, shape);
    }
    if (n == 1 && LANG_IS_TENSOR(vals[0]) && LANG_AS_TENSOR(vals[0])->ndim == 1) {
        eng_tensor *t = LANG_AS_TENSOR(vals[0]);
        if (t->size > ENG_MAX_DIMS)
            return lang_raise(vm, LANG_ERR_VALUE, "%s: at most %d dimensions", what, ENG_MAX_DIMS);
        for (int64_t i = 0; i < t->size; i++) {
            float f = eng_tensor_get(t, &i);
            if (f < 0 || f != floorf(f))
                return lang_raise(vm, LANG_ERR_VALUE, "%s: sizes must be whole numbers >= 0", what);
            shape[i] = (int64_t)f;
        }
        *ndim = (int)t->size;
        return LANG_OK;
    }
    if (n > ENG_MAX_DIMS)
        return lang_raise(vm, LANG_ERR_VALUE, "%s: at most %d dimensions, got %d", what, ENG_MAX_DIMS, n);
    for (int i = 0; i < n; i++) {
        lang_status st = shape_dim(vm, vals[i], what, &shape[i]);
        if (st != LANG_OK) return st;
    }
    *ndim = n;
    return LANG_OK;
}
