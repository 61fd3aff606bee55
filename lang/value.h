/*
 * value.h -- lang internal: values, heap objects, reference counting, builtins.
 *
 * A lang_value is 16 bytes: a tag and a payload (a double, a bool, or an object pointer).
 * Numbers, bools and None live in the value itself; everything else is a heap object with a
 * reference count. Ownership convention in lang/: a lang_value held in a variable, a stack slot,
 * a container or an `out` parameter owns one reference. lang_incref/lang_decref adjust it.
 *
 * Cycles: reference counting alone cannot free a list that contains itself or a closure that
 * refers to its own cell. Every container object (list, tuple, dict, function, cell, bound
 * method, native object) is linked into the VM's container list; lang_gc_collect() (gc.c) finds
 * groups of containers referenced only from inside the group (CPython's trial deletion) and
 * frees them. It runs between top-level evals and when the VM is freed.
 */
#ifndef LANG_VALUE_H
#define LANG_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "lang/nabla.h"
#include "engine/engine.h"

typedef enum lang_tag {
    LANG_VAL_UNDEF = 0,  /* an unbound variable slot; never visible to programs */
    LANG_VAL_NONE,
    LANG_VAL_BOOL,
    LANG_VAL_NUM,
    LANG_VAL_OBJ,
} lang_tag;

typedef struct lang_obj lang_obj;

typedef struct lang_value {
    uint32_t tag;
    union {
        double num;
        int boolean;
        lang_obj *obj;
    } as;
} lang_value;

/* ORDER LANG_OBJ: lang_type_name() in object.c */
typedef enum lang_obj_type {
    LANG_OBJ_STR,
    LANG_OBJ_LIST,
    LANG_OBJ_TUPLE,
    LANG_OBJ_DICT,
    LANG_OBJ_RANGE,
    LANG_OBJ_SLICE,
    LANG_OBJ_PROTO,     /* compiled code of a function (compiler.c) */
    LANG_OBJ_FUNC,      /* a closure: proto + defaults + captured cells */
    LANG_OBJ_CELL,      /* a boxed variable shared by closures */
    LANG_OBJ_BUILTIN,
    LANG_OBJ_METHOD,    /* a builtin bound to its receiver: t.sum */
    LANG_OBJ_TENSOR,
    LANG_OBJ_NATIVE,    /* engine objects: layers, models, optimizers (lang_native_class) */
    LANG_OBJ_TYPE_COUNT
} lang_obj_type;

struct lang_obj {
    int32_t refcount;
    uint8_t type;
    uint8_t gc_flags;          /* containers only: collector bookkeeping */
    int32_t gc_refs;           /* containers only */
    lang_obj *gc_prev, *gc_next;  /* containers only: the VM's container list */
};

typedef struct lang_str {
    lang_obj h;
    uint32_t hash;
    size_t len;                /* bytes of UTF-8 */
    size_t nchars;             /* characters (== len for ASCII text) */
    char chars[];              /* NUL-terminated */
} lang_str;

typedef struct lang_list {
    lang_obj h;
    size_t len, cap;
    lang_value *items;
} lang_list;

typedef struct lang_tuple {
    lang_obj h;
    size_t len;
    lang_value items[];
} lang_tuple;

typedef struct lang_dict_entry {
    lang_value key, val;       /* key.tag == LANG_VAL_UNDEF marks a deleted entry */
    uint32_t hash;
} lang_dict_entry;

/* Insertion-ordered, as Python's: entries in order, an open-addressing index over them. */
typedef struct lang_dict {
    lang_obj h;
    size_t len;                /* live entries */
    size_t n_entries, cap_entries;
    lang_dict_entry *entries;
    int32_t *index;            /* -1 empty; size index_cap (a power of two) */
    size_t index_cap;
} lang_dict;

typedef struct lang_range {
    lang_obj h;
    double start, stop, step;
} lang_range;

typedef struct lang_slice {
    lang_obj h;
    lang_value start, stop, step;   /* None when omitted */
} lang_slice;

typedef struct lang_tensor {
    lang_obj h;
    eng_tensor *t;             /* one reference */
} lang_tensor;

typedef struct lang_cell {
    lang_obj h;
    lang_value v;
} lang_cell;

typedef struct lang_vm lang_vm;

/* A builtin function. `a` holds the named parameters bound from positional and keyword
 * arguments (LANG_VAL_UNDEF for an omitted optional one); `va`/`nva` the extra positional
 * arguments of a "*name" parameter. The function stores an owned result in *out (None if it
 * has nothing to return) and returns LANG_OK, or returns lang_raise(...). Arguments are
 * borrowed. */
typedef lang_status (*lang_builtin_fn)(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                       lang_value *out);

#define LANG_MAX_PARAMS 16

/* A builtin's definition, from a registration table (immutable, static storage). `params` is
 * a Python-like signature: "x, axis=, keepdims=" or "*shape" or "*args, sep=, end=". Names
 * after "=" are optional; a leading "*name" collects extra positionals. For methods the
 * first parameter is the receiver ("self, axis="). */
typedef struct lang_builtin_def {
    const char *name;
    lang_builtin_fn fn;
    const char *params;
    const char *help;          /* the help() text: signature line, then a description */
} lang_builtin_def;

typedef struct lang_builtin {
    lang_obj h;
    const lang_builtin_def *def;
    int nparams, nrequired;    /* parsed from def->params */
    int varargs;               /* 1 when the first parameter is "*name" */
    const char *pnames[LANG_MAX_PARAMS];
    size_t plens[LANG_MAX_PARAMS];
} lang_builtin;

typedef struct lang_method {
    lang_obj h;
    lang_value self;
    lang_builtin *fn;
} lang_method;

/* Engine objects exposed to programs (layers, models, optimizers, History...). */
typedef struct lang_native_class {
    const char *name;                          /* type(x) prints this */
    void (*free)(void *ptr);
    /* Attribute read: LANG_OK with *out set, or LANG_ERR_NAME if unknown (the VM then looks
     * in `methods`). May be NULL. */
    lang_status (*get_attr)(lang_vm *vm, void *ptr, const char *name, lang_value *out);
    lang_status (*set_attr)(lang_vm *vm, void *ptr, const char *name, lang_value v);
    const lang_builtin_def *methods;           /* NULL-terminated table; receiver first */
    /* Calling the object (layers: h = layer(x)); NULL if not callable. */
    lang_builtin_fn call;
    const char *call_params;
    /* Text for repr; malloc'd. NULL -> "<Name object>". */
    char *(*repr)(void *ptr);
    /* Containers: visit every lang_value the object holds (for the cycle collector). */
    void (*traverse)(void *ptr, void (*visit)(lang_value *v, void *arg), void *arg);
    /* Rich text for notebooks (summary tables, History); malloc'd, or NULL. May be NULL. */
    char *(*html)(void *ptr);
    /* Text for help() and inspect; malloc'd or NULL. May be NULL. */
    char *(*help)(void *ptr);
    /* Context managers (`with no_grad():`): enter gives the value bound by `as` (owned; None
     * when there is nothing to bind); leave always runs when the block is left, by its end,
     * break, return or an error. NULL: the object cannot be used in `with`. */
    lang_status (*enter)(lang_vm *vm, void *ptr, lang_value *out);
    void (*leave)(lang_vm *vm, void *ptr);
    /* The attribute names get_attr answers, for completion (NULL-terminated); may be NULL. */
    const char *const *attrs;
} lang_native_class;

typedef struct lang_native {
    lang_obj h;
    const lang_native_class *cls;
    void *ptr;                 /* owned: cls->free(ptr) when the object dies */
} lang_native;

/* ---- value constructors and tests ---------------------------------------------------- */

static inline lang_value lang_none(void) { lang_value v; v.tag = LANG_VAL_NONE; v.as.obj = NULL; return v; }
static inline lang_value lang_undef(void) { lang_value v; v.tag = LANG_VAL_UNDEF; v.as.obj = NULL; return v; }
static inline lang_value lang_num(double d) { lang_value v; v.tag = LANG_VAL_NUM; v.as.num = d; return v; }
static inline lang_value lang_bool(int b) { lang_value v; v.tag = LANG_VAL_BOOL; v.as.obj = NULL; v.as.boolean = b != 0; return v; }
static inline lang_value lang_obj_val(void *o) { lang_value v; v.tag = LANG_VAL_OBJ; v.as.obj = (lang_obj *)o; return v; }

#define LANG_IS_NUM(v)   ((v).tag == LANG_VAL_NUM)
#define LANG_IS_BOOL(v)  ((v).tag == LANG_VAL_BOOL)
#define LANG_IS_NONE(v)  ((v).tag == LANG_VAL_NONE)
#define LANG_IS_UNDEF(v) ((v).tag == LANG_VAL_UNDEF)
#define LANG_IS_OBJ(v)   ((v).tag == LANG_VAL_OBJ)
#define LANG_IS_TYPE(v, t) (LANG_IS_OBJ(v) && (v).as.obj->type == (t))
#define LANG_IS_STR(v)    LANG_IS_TYPE(v, LANG_OBJ_STR)
#define LANG_IS_LIST(v)   LANG_IS_TYPE(v, LANG_OBJ_LIST)
#define LANG_IS_TUPLE(v)  LANG_IS_TYPE(v, LANG_OBJ_TUPLE)
#define LANG_IS_DICT(v)   LANG_IS_TYPE(v, LANG_OBJ_DICT)
#define LANG_IS_TENSOR(v) LANG_IS_TYPE(v, LANG_OBJ_TENSOR)
#define LANG_AS_STR(v)    ((lang_str *)(v).as.obj)
#define LANG_AS_LIST(v)   ((lang_list *)(v).as.obj)
#define LANG_AS_TUPLE(v)  ((lang_tuple *)(v).as.obj)
#define LANG_AS_DICT(v)   ((lang_dict *)(v).as.obj)
#define LANG_AS_TENSOR(v) (((lang_tensor *)(v).as.obj)->t)
#define LANG_AS_NATIVE(v) ((lang_native *)(v).as.obj)

/* ---- reference counting -------------------------------------------------------------- */

void lang_obj_free(lang_vm *vm, lang_obj *o);   /* object.c: frees o and releases its children */
/* Releases what o holds, leaving an empty shell (the cycle collector frees shells). */
void lang_obj_clear(lang_vm *vm, lang_obj *o);

static inline lang_value lang_incref(lang_value v)
{
    if (v.tag == LANG_VAL_OBJ) v.as.obj->refcount++;
    return v;
}

static inline void lang_decref(lang_vm *vm, lang_value v)
{
    if (v.tag == LANG_VAL_OBJ && --v.as.obj->refcount == 0) lang_obj_free(vm, v.as.obj);
}

/* ---- objects (object.c, dict.c) ------------------------------------------------------ */
/* Constructors return a new reference, or NULL after raising MemoryError on vm. */

lang_str *lang_str_new(lang_vm *vm, const char *s, size_t len);
lang_str *lang_str_cstr(lang_vm *vm, const char *s);
lang_str *lang_str_fmt(lang_vm *vm, const char *fmt, ...);
uint32_t lang_hash_bytes(const char *s, size_t len);
size_t lang_utf8_count(const char *s, size_t len);                   /* characters */
size_t lang_str_offset(const lang_str *s, size_t char_index);        /* byte offset of a character */

lang_list *lang_list_new(lang_vm *vm, size_t cap);
lang_status lang_list_append(lang_vm *vm, lang_list *l, lang_value v);  /* takes ownership of v */
/* Appends every item of an iterable (list, tuple, str, range, dict keys, tensor rows). */
lang_status lang_list_extend(lang_vm *vm, lang_list *l, lang_value items);
/* sorted()'s order: -1, 0, 1; 2 when a and b cannot be ordered; 3 when nested too deep. */
int lang_compare_values(lang_value a, lang_value b);
lang_tuple *lang_tuple_new(lang_vm *vm, size_t len);                    /* items None */

lang_dict *lang_dict_new(lang_vm *vm);
/* get: borrowed value or NULL. set: copies references (both key and val are increfd). */
lang_value *lang_dict_get(lang_dict *d, lang_value key);
lang_status lang_dict_set(lang_vm *vm, lang_dict *d, lang_value key, lang_value val);
int lang_dict_del(lang_vm *vm, lang_dict *d, lang_value key);           /* 1 if removed */
void lang_dict_clear_entries(lang_vm *vm, lang_dict *d);
int lang_is_hashable(lang_value v);
uint32_t lang_hash(lang_value v);

lang_range *lang_range_new(lang_vm *vm, double start, double stop, double step);
lang_slice *lang_slice_new(lang_vm *vm, lang_value start, lang_value stop, lang_value step);
lang_cell *lang_cell_new(lang_vm *vm, lang_value v);                    /* takes v */
lang_value lang_tensor_wrap(lang_vm *vm, eng_tensor *t);                /* takes t; UNDEF on OOM */
lang_native *lang_native_new(lang_vm *vm, const lang_native_class *cls, void *ptr);
lang_method *lang_method_new(lang_vm *vm, lang_value self, lang_builtin *fn);
double lang_range_len(const lang_range *r);

/* ---- generic operations (object.c) --------------------------------------------------- */

const char *lang_type_name(lang_value v);     /* "number", "str", "tensor", "Dense" ... */
int lang_truthy(lang_vm *vm, lang_value v, lang_status *st);   /* tensors: size-1 only */
int lang_equal(lang_value a, lang_value b);    /* Python ==, tensors by identity */
/* 1 equal, 0 not, -1 nested deeper than LANG_MAX_NESTING (a RecursionError for the caller). */
int lang_equal_checked(lang_value a, lang_value b);
#define LANG_MAX_NESTING 1000   /* containers in containers: comparing, hashing, isinstance */
/* Text of a value: str() when repr == 0, repr() otherwise. Appends to a growable buffer. */
typedef struct lang_buf { char *data; size_t len, cap; int oom; } lang_buf;
void lang_buf_add(lang_buf *b, const char *s, size_t n);
void lang_buf_addf(lang_buf *b, const char *fmt, ...);
void lang_buf_free(lang_buf *b);
void lang_value_write(lang_buf *b, lang_value v, int repr);
void lang_num_write(lang_buf *b, double d);   /* shortest round-trip form, "42", "2.5e-07" */
lang_str *lang_value_str(lang_vm *vm, lang_value v, int repr);  /* NULL after MemoryError */
char *lang_value_html(lang_vm *vm, lang_value v);  /* malloc'd HTML view, or NULL if none */

/* ---- errors raised by builtins (report.c) -------------------------------------------- */

/* Records an error of `kind` on the VM and returns kind; the VM adds the position. */
lang_status lang_raise(lang_vm *vm, lang_status kind, const char *fmt, ...);
/* Sets the hint of the error being raised (call after lang_raise). */
void lang_hint(lang_vm *vm, const char *fmt, ...);
/* Converts an engine error into a lang error (ShapeError, IndexError ...). */
lang_status lang_raise_eng(lang_vm *vm, const eng_error *e);

/* ---- registering builtins (builtins.c) ----------------------------------------------- */

/* Defines every entry of a NULL-terminated table as a global. */
lang_status lang_register(lang_vm *vm, const lang_builtin_def *defs);
/* Methods of the built-in types, looked up by name. */
typedef enum lang_method_table {
    LANG_METHODS_STR, LANG_METHODS_LIST, LANG_METHODS_DICT, LANG_METHODS_TENSOR,
    LANG_METHODS_TUPLE, LANG_METHODS_COUNT
} lang_method_table;
lang_status lang_register_methods(lang_vm *vm, lang_method_table which, const lang_builtin_def *defs);
/* Sets a global (not a builtin) by name; takes ownership of v. */
lang_status lang_set_global(lang_vm *vm, const char *name, lang_value v);
/* The host of the VM (for builtins that print, display, ask for input). */
const lang_host *lang_vm_host(lang_vm *vm);
/* Reports a progress line (training bars) through host->progress, throttling non-final
 * redraws to ~20 a second; without that callback, prints final lines only. */
void lang_progress(lang_vm *vm, const char *line, int final);
/* The seeded generator shared by every random builtin (seed(n) resets it). */
eng_rng *lang_vm_rng(lang_vm *vm);

/* Calls any callable value (function, builtin, native) from C. Borrowed args, owned *out. */
lang_status lang_call_value(lang_vm *vm, lang_value fn, int nargs, const lang_value *args,
                            lang_value *out);

/* ---- argument helpers for builtins (builtins.c) -------------------------------------- */

/* Each converts or raises TypeError naming the builtin parameter: "zeros() shape must be ...". */
lang_status lang_arg_num(lang_vm *vm, lang_value v, const char *what, double *out);
lang_status lang_arg_int(lang_vm *vm, lang_value v, const char *what, int64_t *out);
lang_status lang_arg_bool(lang_vm *vm, lang_value v, const char *what, int *out);
lang_status lang_arg_str(lang_vm *vm, lang_value v, const char *what, const char **out);
/* A tensor from a tensor, a number, or a (nested) list/tuple of numbers: new reference. */
lang_status lang_arg_tensor(lang_vm *vm, lang_value v, const char *what, eng_tensor **out);
/* A shape from ints, a list or tuple of ints (args of zeros(2, 3) or zeros((2, 3))). */
lang_status lang_arg_shape(lang_vm *vm, const lang_value *vals, int n, const char *what,
                           int *ndim, int64_t shape[ENG_MAX_DIMS]);

#endif
