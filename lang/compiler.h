/*
 * compiler.h -- lang internal: source text to a compiled top-level function.
 */
#ifndef LANG_COMPILER_H
#define LANG_COMPILER_H

#include "lang/chunk.h"

/* Parses and compiles src. On success *out is a new proto (one reference, owned by the
 * caller) whose code runs the program; with `echo`, a final bare expression statement is
 * compiled to ECHO instead of POP. On failure err is filled (SyntaxError, or
 * LANG_ERR_INCOMPLETE when more input could complete the program). */
lang_status lang_compile(lang_vm *vm, const char *src, const char *file, int echo,
                         lang_proto **out, lang_error *err);

#endif
