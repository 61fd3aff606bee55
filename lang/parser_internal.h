/*
 * parser_internal.h -- lang internal: the parser's state and the helpers parser.c (statements,
 * expressions) shares with parse_literal.c (strings, f-strings, numbers, the arena).
 */
#ifndef LANG_PARSER_INTERNAL_H
#define LANG_PARSER_INTERNAL_H

#include <setjmp.h>
#include "lang/ast.h"
#include "lang/lexer.h"

typedef struct parser {
    lang_lexer lx;
    lang_token cur, prev;
    lang_arena *arena;
    lang_error *err;
    jmp_buf fail;
    int line_offset, col_offset;   /* for f-string sub-parsers: where the text sits */
    int depth;                     /* nesting of expressions, to stop before the C stack ends */
} parser;

/* A growable list of node pointers, copied into the arena when done. */
typedef struct nodevec { lang_node **items; int n, cap; } nodevec;

/* Reports a syntax error at t (LANG_ERR_INCOMPLETE at the end of the input) and longjmps to
 * lang_parse. Never returns. */
void lang_p_fail_at(parser *p, lang_token t, const char *fmt, ...);
void lang_p_advance(parser *p);
int lang_p_check(parser *p, lang_tok_type t);
const char *lang_p_found(parser *p, char *buf, size_t cap);   /* "found 'x'" text */
void *lang_p_alloc(parser *p, size_t size);                   /* zeroed, in the arena */
int lang_p_tok_col(const parser *p, lang_token t);
lang_node *lang_p_node_at(parser *p, lang_node_kind kind, lang_token t);
char *lang_p_copy_str(parser *p, const char *s, size_t len);
void lang_p_vec_push(parser *p, nodevec *v, lang_node *n);
lang_node *lang_p_expression(parser *p);

/* parse_literal.c: the literal just consumed (p->prev) and any adjacent ones it joins. */
lang_node *lang_p_string_literal(parser *p);
lang_node *lang_p_number_literal(parser *p);

#endif
