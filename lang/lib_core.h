/*
 * lib_core.h -- lang internal: the core builtin library (lib_core.c, lib_seq.c,
 * lib_methods.c) and the help texts shared by help(), completion and inspection (help.c).
 */
#ifndef LANG_LIB_CORE_H
#define LANG_LIB_CORE_H

#include "lang/value.h"

extern const lang_builtin_def lang_core_builtins[];   /* print, len, range ... */
extern const lang_builtin_def lang_seq_builtins[];    /* list, dict, sorted, zip ... */

/* Registers the methods of str, list, dict and tuple. */
lang_status lang_lib_methods_open(lang_vm *vm);

/* help(x): the text for a value (malloc'd; NULL on OOM). */
char *lang_help_text(lang_vm *vm, lang_value v);
/* help(): the overview of every builtin, by topic (malloc'd; NULL on OOM). */
char *lang_help_overview(lang_vm *vm);

/* Sorts items in place (stable), comparing key(item) when key is not None/UNDEF. */
lang_status lang_sort_values(lang_vm *vm, lang_value *items, size_t n, lang_value key, int reverse);

#endif
