/*
 * ast.h -- lang internal: the syntax tree the parser builds and the compiler walks.
 *
 * Every node lives in the parser's arena (freed in one go after compiling), so nodes never
 * need freeing one by one. One node struct for all kinds keeps the parser short; the comment
 * on each kind says which fields it uses.
 */
#ifndef LANG_AST_H
#define LANG_AST_H

#include <stddef.h>
#include "lang/nabla.h"

typedef enum lang_node_kind {
    /* expressions */
    LANG_N_NUM,        /* num */
    LANG_N_STR,        /* str, slen (decoded) */
    LANG_N_FSTR,       /* list: parts (N_STR, or N_FORMAT: a = expr, str = spec or NULL) */
    LANG_N_FORMAT,
    LANG_N_NAME,       /* str */
    LANG_N_TRUE, LANG_N_FALSE, LANG_N_NONE,
    LANG_N_BINOP,      /* op (lang_tok_type), a, b; opcol = column of the operator */
    LANG_N_UNARY,      /* op: '-', '+', '~', 'not' */
    LANG_N_AND, LANG_N_OR,      /* a, b */
    LANG_N_COMPARE,    /* list: operands, ops: operators (a < b < c) */
    LANG_N_IFEXP,      /* a if b else c */
    LANG_N_CALL,       /* a = callee, list = positional args, list2 = keyword values, names */
    LANG_N_ATTR,       /* a . str */
    LANG_N_INDEX,      /* a [ b ] (b a N_TUPLE for t[1, :]) */
    LANG_N_SLICE,      /* a : b : c, each may be NULL */
    LANG_N_LIST,       /* list; flag 1 when it may be a tensor literal */
    LANG_N_TUPLE,      /* list */
    LANG_N_DICT,       /* list = keys, list2 = values */
    LANG_N_LAMBDA,     /* params (list of N_PARAM), a = body expression */
    LANG_N_LISTCOMP,   /* a = element, list = N_COMPFOR clauses; flag 1 for a dict comp (b = value) */
    LANG_N_COMPFOR,    /* a = target, b = iterable, list = conditions */
    LANG_N_PARAM,      /* str = name, a = default or NULL */
    LANG_N_STARRED,    /* *a: in call arguments (f(*xs)) and assignment targets (a, *rest = xs) */
    /* statements */
    LANG_N_EXPR,       /* a */
    LANG_N_ASSIGN,     /* list = targets (a = b = v), b = value */
    LANG_N_AUGASSIGN,  /* op, a = target, b = value */
    LANG_N_IF,         /* a = cond, list = body, c = else: an N_IF (elif) or N_BLOCK, or NULL */
    LANG_N_WHILE,      /* a = cond, list = body */
    LANG_N_FOR,        /* a = target, b = iterable, list = body */
    LANG_N_DEF,        /* str = name, list2 = params, list = body */
    LANG_N_RETURN,     /* a or NULL */
    LANG_N_BREAK, LANG_N_CONTINUE, LANG_N_PASS,
    LANG_N_GLOBAL, LANG_N_NONLOCAL,   /* names, n (list stays NULL) */
    LANG_N_DEL,        /* list = targets */
    LANG_N_ASSERT,     /* a = cond, b = message or NULL */
    LANG_N_WITH,       /* a = context expression, b = target or NULL, list = body */
    LANG_N_BLOCK,      /* list */
    LANG_N_KIND_COUNT
} lang_node_kind;

typedef struct lang_node lang_node;
struct lang_node {
    lang_node_kind kind;
    int op;                    /* operator token type */
    int flag;
    int line, col, opcol;      /* opcol: where the caret goes (operator, bracket); 0 = col */
    int end_col;               /* end column on `line` (exclusive), for the caret underline */
    lang_node *a, *b, *c;
    lang_node **list;  int n;
    lang_node **list2; int n2;
    const char **names;        /* keyword names (N_CALL) or declared names (N_GLOBAL) */
    int *ops;                  /* N_COMPARE operators */
    double num;
    const char *str;           /* NUL-terminated, in the arena */
    size_t slen;
    struct lang_scope *scope;  /* N_DEF, N_LAMBDA, N_LISTCOMP: filled by the compiler */
    int height;                /* of the expression tree under this node (the parser bounds it:
                                  the compiler walks trees recursively) */
};

/* The parser's arena. */
typedef struct lang_arena {
    struct lang_arena_block *head;
} lang_arena;

void *lang_arena_alloc(lang_arena *a, size_t size);   /* zeroed; NULL on OOM */
void lang_arena_free(lang_arena *a);

/* Parses a whole program into *out (an N_BLOCK). On failure fills err; LANG_ERR_INCOMPLETE
 * when more input could complete the program. */
lang_status lang_parse(const char *src, const char *file, lang_arena *arena, lang_node **out,
                       lang_error *err);

#endif
