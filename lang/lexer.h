/*
 * lexer.h -- lang internal: source text to tokens, with Python's INDENT/DEDENT/NEWLINE.
 *
 * Tokens point into the source (never copies). Inside brackets newlines and indentation are
 * ignored, as in Python. A lexical error is a LANG_TOK_ERROR token whose `start` is a static
 * message; `incomplete` is set when more input could fix it (an unterminated triple-quoted
 * string, open brackets at the end).
 */
#ifndef LANG_LEXER_H
#define LANG_LEXER_H

#include <stddef.h>

typedef enum lang_tok_type {
    LANG_TOK_EOF, LANG_TOK_ERROR, LANG_TOK_NEWLINE, LANG_TOK_INDENT, LANG_TOK_DEDENT,
    LANG_TOK_NAME, LANG_TOK_NUMBER, LANG_TOK_STRING, LANG_TOK_FSTRING,
    /* punctuation */
    LANG_TOK_LPAREN, LANG_TOK_RPAREN, LANG_TOK_LBRACKET, LANG_TOK_RBRACKET, LANG_TOK_LBRACE,
    LANG_TOK_RBRACE, LANG_TOK_COMMA, LANG_TOK_COLON, LANG_TOK_DOT, LANG_TOK_SEMI,
    LANG_TOK_PLUS, LANG_TOK_MINUS, LANG_TOK_STAR, LANG_TOK_SLASH, LANG_TOK_DSLASH,
    LANG_TOK_PERCENT, LANG_TOK_DSTAR, LANG_TOK_AT, LANG_TOK_AMP, LANG_TOK_PIPE, LANG_TOK_CARET,
    LANG_TOK_TILDE, LANG_TOK_LSHIFT, LANG_TOK_RSHIFT,
    LANG_TOK_EQ, LANG_TOK_NE, LANG_TOK_LT, LANG_TOK_LE, LANG_TOK_GT, LANG_TOK_GE,
    LANG_TOK_ASSIGN, LANG_TOK_PLUS_EQ, LANG_TOK_MINUS_EQ, LANG_TOK_STAR_EQ, LANG_TOK_SLASH_EQ,
    LANG_TOK_DSLASH_EQ, LANG_TOK_PERCENT_EQ, LANG_TOK_DSTAR_EQ, LANG_TOK_AT_EQ, LANG_TOK_ARROW,
    /* keywords: ORDER LANG_TOK keywords[] in lexer.c */
    LANG_TOK_AND, LANG_TOK_AS, LANG_TOK_ASSERT, LANG_TOK_BREAK, LANG_TOK_CLASS,
    LANG_TOK_CONTINUE, LANG_TOK_DEF, LANG_TOK_DEL, LANG_TOK_ELIF, LANG_TOK_ELSE,
    LANG_TOK_EXCEPT, LANG_TOK_FALSE, LANG_TOK_FINALLY, LANG_TOK_FOR, LANG_TOK_FROM,
    LANG_TOK_GLOBAL, LANG_TOK_IF, LANG_TOK_IMPORT, LANG_TOK_IN, LANG_TOK_IS, LANG_TOK_LAMBDA,
    LANG_TOK_NONE, LANG_TOK_NONLOCAL, LANG_TOK_NOT, LANG_TOK_OR, LANG_TOK_PASS, LANG_TOK_RAISE,
    LANG_TOK_RETURN, LANG_TOK_TRUE, LANG_TOK_TRY, LANG_TOK_WHILE, LANG_TOK_WITH, LANG_TOK_YIELD,
    LANG_TOK_COUNT
} lang_tok_type;

typedef struct lang_token {
    lang_tok_type type;
    const char *start;   /* into the source; for LANG_TOK_ERROR a static message */
    size_t len;
    int line, col;       /* 1-based; col counts bytes */
} lang_token;

#define LANG_MAX_INDENT 100

typedef struct lang_lexer {
    const char *src, *p, *line_start;
    int line;
    int depth;                     /* open brackets */
    struct { int line, col; char c; } open[64];   /* where the innermost brackets opened */
    int base_depth;                /* > 0 for an f-string field: a bracket context of its own */
    int indent[LANG_MAX_INDENT];   /* indentation stack, indent[0] == 0 */
    int n_indent;
    int pending_dedents;
    int at_line_start;
    int emitted_any;               /* a NEWLINE only follows a logical line with tokens */
    int incomplete;                /* the error could be fixed by more input */
} lang_lexer;

void lang_lexer_init(lang_lexer *lx, const char *src);
lang_token lang_lexer_next(lang_lexer *lx);
const char *lang_tok_name(lang_tok_type t);   /* "'('", "name", "end of input" ... */
/* The keyword list (for completion); NULL-terminated. */
extern const char *const lang_keywords[];

#endif
