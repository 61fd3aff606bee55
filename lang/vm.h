/*
 * vm.h -- lang internal: the virtual machine's state. All interpreter state hangs off one
 * lang_vm (no globals but the interrupt flag), so several VMs can live in one process.
 */
#ifndef LANG_VM_H
#define LANG_VM_H

#include <signal.h>
#include "lang/chunk.h"

#define LANG_STACK_MAX  (1 << 16)   /* value slots */
#define LANG_FRAMES_MAX 1000        /* Python's default recursion limit */

typedef struct lang_frame {
    lang_func *fn;
    uint8_t *ip;
    lang_value *base;            /* slot 0 = first local */
} lang_frame;

/* Global variables: a name table fixed at compile time and a value array indexed by it. */
typedef struct lang_globals {
    lang_value *values;
    char **names;                /* malloc'd */
    lang_value *builtins;        /* the builtin registered under the name, or UNDEF: `del x`
                                    brings it back, as Python's builtins stay behind globals */
    size_t len, cap;
    int32_t *index;              /* open addressing over names; -1 empty */
    size_t index_cap;
} lang_globals;

struct lang_vm {
    lang_host host;
    lang_value *stack, *sp;
    lang_frame frames[LANG_FRAMES_MAX];
    int nframes;
    lang_globals globals;
    lang_builtin **methods[LANG_METHODS_COUNT];   /* NULL-terminated arrays */
    size_t nmethods[LANG_METHODS_COUNT];
    lang_obj gc_head;            /* sentinel of the container list */
    size_t gc_count, gc_threshold;
    eng_rng rng;
    eng_ag ag;                   /* gradient mode: no_grad() switches it (lib_autograd.c) */
    lang_error *err;             /* the error being raised (owned by lang_eval's caller) */
    int raised_pos;              /* the error being raised has its position already */
    const char *cur_source;      /* source of the running eval, for error lines */
    const char *cur_file;
    lang_error scratch_err;      /* used when no caller error is set */
    lang_value *capture;         /* when set, ECHO stores the value here (help.c) */
    int free_depth;              /* nesting of lang_obj_free; past 64 objects go to trash */
    struct { lang_value ctx; int frame; } withs[64];   /* open `with` blocks (vm.c) */
    int nwiths;
    unsigned display_count;      /* for display(x, display_id=True) ids */
    double progress_last;        /* when host->progress was last called (lang_progress) */
    lang_obj *trash;             /* objects waiting to be freed (object.c) */
    /* methods of native classes, parsed on first use (vm_index.c) */
    lang_builtin **native_methods;
    const lang_native_class **native_method_cls;
    size_t n_native_methods, cap_native_methods;
};

extern volatile sig_atomic_t lang_interrupted;

/* vm.c */
lang_status lang_vm_run(lang_vm *vm, lang_func *fn, lang_value *result);
lang_status lang_vm_check_interrupt(lang_vm *vm);

/* globals (vm_globals.c) */
int lang_global_slot(lang_vm *vm, const char *name, size_t len);   /* creates; -1 on OOM */
int lang_global_find(const lang_vm *vm, const char *name);          /* -1 when absent */
int lang_global_is_builtin(const lang_vm *vm, size_t g);

/* operators (vm_ops.c): slow paths for everything that is not number op number */
lang_status lang_op_binary(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                           const char *rhs_name, lang_value *out);
lang_status lang_op_unary(lang_vm *vm, lang_opcode op, lang_value a, lang_value *out);
lang_status lang_op_compare(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                            lang_value *out);
lang_status lang_op_contains(lang_vm *vm, lang_value container, lang_value x, int *result);
lang_status lang_op_get_index(lang_vm *vm, lang_value obj, lang_value idx, lang_value *out);
lang_status lang_op_set_index(lang_vm *vm, lang_value obj, lang_value idx, lang_value v);
lang_status lang_op_del_index(lang_vm *vm, lang_value obj, lang_value idx);
lang_status lang_op_get_attr(lang_vm *vm, lang_value obj, lang_str *name, lang_value *out);
lang_status lang_op_set_attr(lang_vm *vm, lang_value obj, lang_str *name, lang_value v);
lang_builtin *lang_find_method(lang_vm *vm, lang_value obj, const char *name);
int lang_attr_names(lang_vm *vm, lang_value obj, const char **names, int cap);
lang_status lang_op_iter(lang_vm *vm, lang_value v, lang_value *out);
/* Next item of an iteration state from lang_op_iter: 1 = *item set, 0 = done. */
int lang_op_next(lang_vm *vm, lang_value iter, double *pos, lang_value *item, lang_status *st);
lang_status lang_op_unpack(lang_vm *vm, lang_value seq, int n, lang_value *out);
lang_status lang_op_unpack_star(lang_vm *vm, lang_value seq, int before, int after, lang_value *out);

lang_status lang_op_inplace(lang_vm *vm, lang_opcode op, lang_value a, lang_value b,
                            lang_value *out);
lang_status lang_build_list(lang_vm *vm, lang_value *items, int n, int flag, lang_value *out);
lang_status lang_build_dict(lang_vm *vm, lang_value *items, int n, lang_value *out);
lang_status lang_op_format(lang_vm *vm, lang_value v, lang_str *spec, int repr, lang_value *out);
lang_status lang_op_concat_strings(lang_vm *vm, lang_value *items, int n, lang_value *out);
lang_status lang_op_percent(lang_vm *vm, lang_str *fmt, lang_value args, lang_value *out);
lang_status lang_echo(lang_vm *vm, lang_value v);

/* calls (vm_call.c) */
lang_status lang_call_native(lang_vm *vm, lang_native *n, lang_value *args, int argc,
                             lang_tuple *kwnames, lang_value *out);
const char *lang_local_name(const lang_proto *p, int slot);
const char *lang_free_name(const lang_proto *p, int index);
lang_status lang_call_builtin(lang_vm *vm, lang_builtin *b, lang_value *self, lang_value *args,
                              int argc, lang_tuple *kwnames, lang_value *out);
lang_status lang_bind_args(lang_vm *vm, lang_func *f, lang_value *args, int argc,
                           lang_tuple *kwnames, lang_value *slots);

/* builtins.c */
lang_builtin *lang_builtin_new(lang_vm *vm, const lang_builtin_def *def);
lang_status lang_builtin_parse(const lang_builtin_def *def, lang_builtin *b);

/* gc.c */
void lang_gc_track(lang_vm *vm, lang_obj *o);
void lang_gc_untrack(lang_obj *o);
void lang_gc_collect(lang_vm *vm);
int lang_is_container(const lang_obj *o);

/* report.c */
void lang_error_set_pos(lang_vm *vm, const lang_srcpos *pos, const char *file);
void lang_error_fill_line(lang_error *e, const char *source);
void lang_suggest_name(lang_vm *vm, const char *name);
int lang_edit_distance(const char *a, const char *b);   /* Levenshtein, 99 for long names */

/* library openers (libs.c lists them) */
lang_status lang_libs_open(lang_vm *vm);
lang_status lang_lib_core_open(lang_vm *vm);
lang_status lang_lib_tensor_open(lang_vm *vm);
lang_status lang_lib_autograd_open(lang_vm *vm);

#endif
