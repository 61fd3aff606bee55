/*
 * parser.c -- tokens to a syntax tree (ast.h). Statements by recursive descent, expressions by
 * precedence climbing over Python's precedence table. The first error ends the parse: a
 * longjmp back to lang_parse, the one protected entry point, which turns it into a status.
 * An error met at the end of the input is reported as LANG_ERR_INCOMPLETE, which is how the
 * REPL and the kernel know to ask for another line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/parser_internal.h"

/* ---- parser state -------------------------------------------------------------------- */



#define MAX_NESTING 200
void lang_p_fail_at(parser *p, lang_token t, const char *fmt, ...)
{
    lang_error *e = p->err;
    /* at the end of the input more lines could fix it -- but not inside an f-string field
     * (the blocks still open at the end close with DEDENTs before the EOF token) */
    int at_end = t.type == LANG_TOK_EOF || (t.type == LANG_TOK_DEDENT && *p->lx.p == '\0');
    e->kind = (at_end || p->lx.incomplete) && p->lx.base_depth == 0
                  ? LANG_ERR_INCOMPLETE : LANG_ERR_SYNTAX;
    e->line = t.line + p->line_offset;
    e->col = t.col + (t.line == 1 ? p->col_offset : 0);
    e->len = t.type == LANG_TOK_ERROR || t.len == 0 ? 1 : (int)t.len;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    longjmp(p->fail, 1);
}

#define MAX_HEIGHT 1000   /* a chain a + b + ... or f().g()... of this many operations */

/* Marks n as one level above `below` and stops trees too tall to compile recursively. */
static lang_node *above(parser *p, lang_node *n, const lang_node *below, const lang_node *other)
{
    int h = below ? below->height : 0;
    if (other && other->height > h) h = other->height;
    n->height = h + 1;
    if (n->height > MAX_HEIGHT) {
        lang_token t = p->cur;
        lang_p_fail_at(p, t, "expression too long: more than %d operations in one chain (split it into "
                      "several statements)", MAX_HEIGHT);
    }
    return n;
}

void lang_p_advance(parser *p)
{
    p->prev = p->cur;
    p->cur = lang_lexer_next(&p->lx);
    if (p->cur.type == LANG_TOK_ERROR) lang_p_fail_at(p, p->cur, "%.*s", (int)p->cur.len, p->cur.start);
}

int lang_p_check(parser *p, lang_tok_type t) { return p->cur.type == t; }

static int match(parser *p, lang_tok_type t)
{
    if (!lang_p_check(p, t)) return 0;
    lang_p_advance(p);
    return 1;
}

/* "found 'x'" for the current token. */
const char *lang_p_found(parser *p, char *buf, size_t cap)
{
    lang_token t = p->cur;
    if (t.type == LANG_TOK_EOF && p->lx.base_depth > 0)
        snprintf(buf, cap, "'}'");   /* the end of an f-string field is its closing brace */
    else if (t.type == LANG_TOK_NAME || t.type == LANG_TOK_NUMBER)
        snprintf(buf, cap, "'%.*s'", (int)(t.len > 40 ? 40 : t.len), t.start);
    else
        snprintf(buf, cap, "%s", lang_tok_name(t.type));
    return buf;
}

static void expect(parser *p, lang_tok_type t, const char *context)
{
    if (match(p, t)) return;
    char buf[64];
    lang_p_fail_at(p, p->cur, "expected %s %s, found %s", lang_tok_name(t), context, lang_p_found(p, buf, sizeof buf));
}

void *lang_p_alloc(parser *p, size_t size)
{
    void *m = lang_arena_alloc(p->arena, size);
    if (!m) {
        p->err->kind = LANG_ERR_MEMORY;
        snprintf(p->err->msg, sizeof p->err->msg, "out of memory while parsing");
        longjmp(p->fail, 1);
    }
    return m;
}

/* A token's column in the whole source (an f-string field's tokens sit inside its line). */
int lang_p_tok_col(const parser *p, lang_token t)
{
    return t.col + (t.line == 1 ? p->col_offset : 0);
}

lang_node *lang_p_node_at(parser *p, lang_node_kind kind, lang_token t)
{
    lang_node *n = lang_p_alloc(p, sizeof *n);
    n->kind = kind;
    n->line = t.line + p->line_offset;
    n->col = lang_p_tok_col(p, t);
    n->end_col = n->col + (int)t.len;
    return n;
}

char *lang_p_copy_str(parser *p, const char *s, size_t len)
{
    char *c = lang_p_alloc(p, len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}


void lang_p_vec_push(parser *p, nodevec *v, lang_node *n)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        lang_node **items = lang_p_alloc(p, (size_t)cap * sizeof *items);
        if (v->n) memcpy(items, v->items, (size_t)v->n * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = n;
}

static lang_node *statement_list(parser *p, nodevec *out);
static void block(parser *p, lang_node *owner, const char *what);

/* ---- expressions ----------------------------------------------------------------------- */

/* comp_for: 'for' targets 'in' or_expr ('if' or_expr)* ... */
static lang_node *target_list(parser *p);
static lang_node *or_expr(parser *p);
static lang_node *primary(parser *p);

static void comprehension(parser *p, lang_node *comp)
{
    nodevec clauses = {0};
    while (match(p, LANG_TOK_FOR)) {
        lang_node *c = lang_p_node_at(p, LANG_N_COMPFOR, p->prev);
        c->a = target_list(p);
        expect(p, LANG_TOK_IN, "in a comprehension");
        c->b = or_expr(p);
        nodevec conds = {0};
        while (match(p, LANG_TOK_IF)) lang_p_vec_push(p, &conds, or_expr(p));
        c->list = conds.items;
        c->n = conds.n;
        lang_p_vec_push(p, &clauses, c);
    }
    comp->list = clauses.items;
    comp->n = clauses.n;
}

/* A list literal may be a tensor: flag 1 when it has items and none is a starred, comp... */
static lang_node *list_display(parser *p, lang_token open)
{
    lang_node *n = lang_p_node_at(p, LANG_N_LIST, open);
    if (match(p, LANG_TOK_RBRACKET)) return n;
    lang_node *first = lang_p_expression(p);
    if (lang_p_check(p, LANG_TOK_FOR)) {
        lang_node *c = lang_p_node_at(p, LANG_N_LISTCOMP, open);
        c->a = first;
        comprehension(p, c);
        expect(p, LANG_TOK_RBRACKET, "to close the list comprehension");
        return c;
    }
    nodevec items = {0};
    lang_p_vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && !lang_p_check(p, LANG_TOK_RBRACKET))
        lang_p_vec_push(p, &items, lang_p_expression(p));
    expect(p, LANG_TOK_RBRACKET, "to close the list");
    n->list = items.items;
    n->n = items.n;
    n->flag = 1;
    return n;
}

static lang_node *dict_display(parser *p, lang_token open)
{
    lang_node *n = lang_p_node_at(p, LANG_N_DICT, open);
    nodevec keys = {0}, vals = {0};
    while (!lang_p_check(p, LANG_TOK_RBRACE)) {
        lang_node *k = lang_p_expression(p);
        expect(p, LANG_TOK_COLON, "between a dict key and its value");
        lang_node *v = lang_p_expression(p);
        if (keys.n == 0 && lang_p_check(p, LANG_TOK_FOR)) {
            lang_node *c = lang_p_node_at(p, LANG_N_LISTCOMP, open);
            c->flag = 1;
            c->a = k;
            c->b = v;
            comprehension(p, c);
            expect(p, LANG_TOK_RBRACE, "to close the dict comprehension");
            return c;
        }
        lang_p_vec_push(p, &keys, k);
        lang_p_vec_push(p, &vals, v);
        if (!match(p, LANG_TOK_COMMA)) break;
    }
    expect(p, LANG_TOK_RBRACE, "to close the dict");
    n->list = keys.items;
    n->n = keys.n;
    n->list2 = vals.items;
    n->n2 = vals.n;
    return n;
}

static lang_node *paren(parser *p, lang_token open)
{
    if (match(p, LANG_TOK_RPAREN)) return lang_p_node_at(p, LANG_N_TUPLE, open);
    lang_node *first = lang_p_expression(p);
    if (lang_p_check(p, LANG_TOK_FOR)) {   /* (x for x in ...) builds a list, as a learner expects */
        lang_node *c = lang_p_node_at(p, LANG_N_LISTCOMP, open);
        c->a = first;
        comprehension(p, c);
        expect(p, LANG_TOK_RPAREN, "to close the generator expression");
        return c;
    }
    if (match(p, LANG_TOK_RPAREN)) return first;
    lang_node *t = lang_p_node_at(p, LANG_N_TUPLE, open);
    nodevec items = {0};
    lang_p_vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && !lang_p_check(p, LANG_TOK_RPAREN))
        lang_p_vec_push(p, &items, lang_p_expression(p));
    expect(p, LANG_TOK_RPAREN, "to close the parenthesis");
    t->list = items.items;
    t->n = items.n;
    return t;
}

/* atom: NAME | NUMBER | STRING+ | True | False | None | '(' ... ')' | '[' ... ']' | '{' ... '}' */
static lang_node *atom(parser *p)
{
    lang_token t = p->cur;
    char buf[64];
    switch (t.type) {
    case LANG_TOK_NAME: lang_p_advance(p); {
        lang_node *n = lang_p_node_at(p, LANG_N_NAME, t);
        n->str = lang_p_copy_str(p, t.start, t.len);
        return n;
    }
    case LANG_TOK_NUMBER: lang_p_advance(p); return lang_p_number_literal(p);
    case LANG_TOK_STRING: case LANG_TOK_FSTRING: lang_p_advance(p); return lang_p_string_literal(p);
    case LANG_TOK_TRUE: lang_p_advance(p); return lang_p_node_at(p, LANG_N_TRUE, t);
    case LANG_TOK_FALSE: lang_p_advance(p); return lang_p_node_at(p, LANG_N_FALSE, t);
    case LANG_TOK_NONE: lang_p_advance(p); return lang_p_node_at(p, LANG_N_NONE, t);
    case LANG_TOK_LPAREN: lang_p_advance(p); return paren(p, t);
    case LANG_TOK_LBRACKET: lang_p_advance(p); return list_display(p, t);
    case LANG_TOK_LBRACE: lang_p_advance(p); return dict_display(p, t);
    default:
        if (t.type == LANG_TOK_ELSE || t.type == LANG_TOK_ELIF) {
            snprintf(p->err->hint, sizeof p->err->hint, "%s must line up with its if (same "
                     "indentation) and follow the if's block", t.type == LANG_TOK_ELSE ? "else" : "elif");
            lang_p_fail_at(p, t, "'%s' without an 'if' before it", t.type == LANG_TOK_ELSE ? "else" : "elif");
        }
        lang_p_fail_at(p, t, "expected an expression, found %s", lang_p_found(p, buf, sizeof buf));
        return NULL;
    }
}

static lang_node *call_args(parser *p, lang_node *callee, lang_token open)
{
    lang_node *n = lang_p_node_at(p, LANG_N_CALL, open);
    n->line = callee->line;
    n->col = callee->col;
    n->opcol = lang_p_tok_col(p, open);
    n->a = callee;
    nodevec pos = {0}, kw = {0};
    const char **names = NULL;
    int ncap = 0;
    while (!lang_p_check(p, LANG_TOK_RPAREN)) {
        if (lang_p_check(p, LANG_TOK_NAME)) {
            lang_lexer save = p->lx;
            lang_token name = p->cur, prev = p->prev;
            lang_p_advance(p);
            if (match(p, LANG_TOK_ASSIGN)) {
                if (kw.n == ncap) {
                    ncap = ncap ? ncap * 2 : 4;
                    const char **nn = lang_p_alloc(p, (size_t)ncap * sizeof *nn);
                    if (kw.n) memcpy(nn, names, (size_t)kw.n * sizeof *nn);
                    names = nn;
                }
                names[kw.n] = lang_p_copy_str(p, name.start, name.len);
                lang_p_vec_push(p, &kw, lang_p_expression(p));
                if (!match(p, LANG_TOK_COMMA)) break;
                continue;
            }
            p->lx = save;   /* not a keyword argument: back up one token */
            p->cur = name;
            p->prev = prev;
        }
        if (kw.n) lang_p_fail_at(p, p->cur, "a positional argument cannot follow keyword arguments");
        lang_token star = p->cur;
        if (match(p, LANG_TOK_STAR)) {   /* f(*xs): the items of xs as arguments */
            lang_node *s = lang_p_node_at(p, LANG_N_STARRED, star);
            s->a = lang_p_expression(p);
            n->flag = 1;
            lang_p_vec_push(p, &pos, s);
            if (!match(p, LANG_TOK_COMMA)) break;
            continue;
        }
        lang_node *arg = lang_p_expression(p);
        if (lang_p_check(p, LANG_TOK_FOR) && pos.n == 0) {   /* sum(x*x for x in xs) */
            lang_node *c = lang_p_node_at(p, LANG_N_LISTCOMP, open);
            c->a = arg;
            comprehension(p, c);
            arg = c;
        }
        lang_p_vec_push(p, &pos, arg);
        if (!match(p, LANG_TOK_COMMA)) break;
    }
    expect(p, LANG_TOK_RPAREN, "to close the call's arguments");
    n->end_col = p->prev.col + 1;
    n->list = pos.items; n->n = pos.n;
    n->list2 = kw.items; n->n2 = kw.n;
    n->names = names;
    return n;
}

/* subscript: expr | [expr] ':' [expr] [':' [expr]] */
static lang_node *subscript(parser *p)
{
    lang_token t = p->cur;
    lang_node *lo = NULL;
    if (!lang_p_check(p, LANG_TOK_COLON)) {
        lo = lang_p_expression(p);
        if (!lang_p_check(p, LANG_TOK_COLON)) return lo;
    }
    lang_node *s = lang_p_node_at(p, LANG_N_SLICE, t);
    s->a = lo;
    lang_p_advance(p);   /* ':' */
    if (!lang_p_check(p, LANG_TOK_COLON) && !lang_p_check(p, LANG_TOK_RBRACKET) && !lang_p_check(p, LANG_TOK_COMMA))
        s->b = lang_p_expression(p);
    if (match(p, LANG_TOK_COLON) && !lang_p_check(p, LANG_TOK_RBRACKET) && !lang_p_check(p, LANG_TOK_COMMA))
        s->c = lang_p_expression(p);
    return s;
}

static lang_node *index_args(parser *p, lang_node *obj, lang_token open)
{
    lang_node *n = lang_p_node_at(p, LANG_N_INDEX, open);
    n->line = obj->line;
    n->col = obj->col;
    n->opcol = lang_p_tok_col(p, open);
    n->a = obj;
    lang_node *first = subscript(p);
    if (lang_p_check(p, LANG_TOK_COMMA)) {
        lang_node *tup = lang_p_node_at(p, LANG_N_TUPLE, open);
        nodevec items = {0};
        lang_p_vec_push(p, &items, first);
        while (match(p, LANG_TOK_COMMA) && !lang_p_check(p, LANG_TOK_RBRACKET))
            lang_p_vec_push(p, &items, subscript(p));
        tup->list = items.items;
        tup->n = items.n;
        first = tup;
    }
    n->b = first;
    expect(p, LANG_TOK_RBRACKET, "to close the index");
    n->end_col = p->prev.col + 1;
    return n;
}

/* primary: atom ( '(' args ')' | '[' subscripts ']' | '.' NAME )* */
static lang_node *primary(parser *p)
{
    lang_node *e = atom(p);
    for (;;) {
        lang_token t = p->cur;
        if (match(p, LANG_TOK_LPAREN)) {
            e = above(p, call_args(p, e, t), e, NULL);
        } else if (match(p, LANG_TOK_LBRACKET)) {
            e = above(p, index_args(p, e, t), e, NULL);
        } else if (match(p, LANG_TOK_DOT)) {
            if (!lang_p_check(p, LANG_TOK_NAME)) {
                char buf[64];
                lang_p_fail_at(p, p->cur, "expected an attribute name after '.', found %s",
                        lang_p_found(p, buf, sizeof buf));
            }
            lang_node *a = lang_p_node_at(p, LANG_N_ATTR, p->cur);
            a->line = e->line;
            a->col = e->col;
            a->opcol = lang_p_tok_col(p, p->cur);
            a->a = e;
            a->str = lang_p_copy_str(p, p->cur.start, p->cur.len);
            lang_p_advance(p);
            e = above(p, a, e, NULL);
        } else {
            return e;
        }
    }
}

static lang_node *unary(parser *p);

static lang_node *binop(parser *p, lang_node *l, lang_token op, lang_node *r)
{
    lang_node *n = lang_p_node_at(p, LANG_N_BINOP, op);
    n->op = op.type;
    n->line = l->line;
    n->col = l->col;
    n->opcol = op.line + p->line_offset == l->line ? lang_p_tok_col(p, op) : 0;   /* the caret goes on the reported line */
    n->a = l;
    n->b = r;
    return above(p, n, l, r);
}

/* power: primary ['**' unary]   (right-associative; binds tighter than a unary minus on its left) */
static lang_node *power(parser *p)
{
    lang_node *base = primary(p);
    lang_token t = p->cur;
    if (match(p, LANG_TOK_DSTAR)) return binop(p, base, t, unary(p));
    return base;
}

/* unary: ('-' | '+' | '~') unary | power */
static lang_node *unary(parser *p)
{
    lang_token t = p->cur;
    if (++p->depth > MAX_NESTING) lang_p_fail_at(p, t, "expression nested too deeply (more than %d levels)", MAX_NESTING);
    if (match(p, LANG_TOK_MINUS) || match(p, LANG_TOK_PLUS) || match(p, LANG_TOK_TILDE)) {
        lang_node *operand = unary(p);
        if (t.type == LANG_TOK_MINUS && operand->kind == LANG_N_NUM && operand->col == t.col + 1) {
            operand->num = -operand->num;   /* fold "-3": keeps [[-1, 2]] a number literal */
            operand->col = t.col;
            p->depth--;
            return operand;
        }
        lang_node *n = lang_p_node_at(p, LANG_N_UNARY, t);
        n->op = t.type;
        n->a = operand;
        p->depth--;
        return n;
    }
    lang_node *e = power(p);
    p->depth--;
    return e;
}

/* Binary operator precedence, higher binds tighter (Python's table). 0: not a binary op. */
static int precedence(lang_tok_type t)
{
    switch (t) {
    case LANG_TOK_PIPE: return 1;
    case LANG_TOK_CARET: return 2;
    case LANG_TOK_AMP: return 3;
    case LANG_TOK_LSHIFT: case LANG_TOK_RSHIFT: return 4;
    case LANG_TOK_PLUS: case LANG_TOK_MINUS: return 5;
    case LANG_TOK_STAR: case LANG_TOK_SLASH: case LANG_TOK_DSLASH: case LANG_TOK_PERCENT:
    case LANG_TOK_AT: return 6;
    default: return 0;
    }
}

/* arith: unary (binop unary)* by precedence climbing; all these operators are left-assoc. */
static lang_node *arith(parser *p, int min_prec)
{
    lang_node *l = unary(p);
    for (;;) {
        int prec = precedence(p->cur.type);
        if (prec == 0 || prec < min_prec) return l;
        lang_token op = p->cur;
        lang_p_advance(p);
        l = binop(p, l, op, arith(p, prec + 1));
    }
}

static int compare_op(parser *p)
{
    switch (p->cur.type) {
    case LANG_TOK_EQ: case LANG_TOK_NE: case LANG_TOK_LT: case LANG_TOK_LE:
    case LANG_TOK_GT: case LANG_TOK_GE: case LANG_TOK_IN:
        lang_p_advance(p);
        return p->prev.type;
    case LANG_TOK_IS:
        lang_p_advance(p);
        return match(p, LANG_TOK_NOT) ? -LANG_TOK_IS : LANG_TOK_IS;
    case LANG_TOK_NOT: {
        lang_lexer save = p->lx;
        lang_token cur = p->cur, prev = p->prev;
        lang_p_advance(p);
        if (match(p, LANG_TOK_IN)) return -LANG_TOK_IN;   /* "not in" */
        p->lx = save; p->cur = cur; p->prev = prev;
        return 0;
    }
    default: return 0;
    }
}

/* comparison: arith (compop arith)*; a chain a < b < c is one N_COMPARE node. */
static lang_node *comparison(parser *p)
{
    lang_node *first = arith(p, 1);
    lang_token t = p->cur;
    int op = compare_op(p);
    if (!op) return first;
    lang_node *n = lang_p_node_at(p, LANG_N_COMPARE, t);
    n->line = first->line;
    n->col = first->col;
    n->opcol = lang_p_tok_col(p, t);
    nodevec operands = {0};
    int *ops = NULL, nops = 0, cap = 0;
    lang_p_vec_push(p, &operands, first);
    while (op) {
        if (nops == cap) {
            cap = cap ? cap * 2 : 4;
            int *o = lang_p_alloc(p, (size_t)cap * sizeof *o);
            if (nops) memcpy(o, ops, (size_t)nops * sizeof *o);
            ops = o;
        }
        ops[nops++] = op;
        lang_p_vec_push(p, &operands, arith(p, 1));
        op = compare_op(p);
    }
    n->list = operands.items;
    n->n = operands.n;
    n->ops = ops;
    return n;
}

static lang_node *not_expr(parser *p)
{
    lang_token t = p->cur;
    if (match(p, LANG_TOK_NOT)) {
        lang_node *n = lang_p_node_at(p, LANG_N_UNARY, t);
        n->op = LANG_TOK_NOT;
        n->a = not_expr(p);
        return n;
    }
    return comparison(p);
}

static lang_node *and_expr(parser *p)
{
    lang_node *l = not_expr(p);
    while (lang_p_check(p, LANG_TOK_AND)) {
        lang_token t = p->cur;
        lang_p_advance(p);
        lang_node *n = binop(p, l, t, not_expr(p));
        n->kind = LANG_N_AND;
        l = n;
    }
    return l;
}

static lang_node *or_expr(parser *p)
{
    lang_node *l = and_expr(p);
    while (lang_p_check(p, LANG_TOK_OR)) {
        lang_token t = p->cur;
        lang_p_advance(p);
        lang_node *n = binop(p, l, t, and_expr(p));
        n->kind = LANG_N_OR;
        l = n;
    }
    return l;
}

static void params(parser *p, lang_node *fn, lang_tok_type close);

/* expression: lambda | or_expr ['if' or_expr 'else' expression] */
lang_node *lang_p_expression(parser *p)
{
    lang_token t = p->cur;
    if (match(p, LANG_TOK_LAMBDA)) {
        lang_node *n = lang_p_node_at(p, LANG_N_LAMBDA, t);
        params(p, n, LANG_TOK_COLON);
        expect(p, LANG_TOK_COLON, "after the lambda's parameters");
        n->a = lang_p_expression(p);
        return n;
    }
    lang_node *e = or_expr(p);
    if (lang_p_check(p, LANG_TOK_IF)) {
        lang_token it = p->cur;
        lang_p_advance(p);
        lang_node *n = lang_p_node_at(p, LANG_N_IFEXP, it);
        n->line = e->line;
        n->col = e->col;
        n->a = e;
        n->b = or_expr(p);
        expect(p, LANG_TOK_ELSE, "in a conditional expression (x if cond else y)");
        n->c = lang_p_expression(p);
        return n;
    }
    return e;
}

/* exprlist: expression (',' expression)* [','] -- a bare tuple when there is a comma. */
/* An item of an expression list: an expression, or *target (a, *rest = xs). */
static lang_node *list_item(parser *p)
{
    lang_token t = p->cur;
    if (!match(p, LANG_TOK_STAR)) return lang_p_expression(p);
    lang_node *n = lang_p_node_at(p, LANG_N_STARRED, t);
    n->a = primary(p);
    return n;
}

/* Can an item follow a comma here? Not at the end of the statement, the `=` of an
 * assignment, a closing parenthesis, a block's ':' or the `in` of a for loop (trailing commas). */
static int list_goes_on(parser *p)
{
    static const lang_tok_type enders[] = {
        LANG_TOK_NEWLINE, LANG_TOK_ASSIGN, LANG_TOK_SEMI, LANG_TOK_EOF, LANG_TOK_RPAREN,
        LANG_TOK_COLON, LANG_TOK_IN,
    };
    for (size_t i = 0; i < sizeof enders / sizeof enders[0]; i++)
        if (lang_p_check(p, enders[i])) return 0;
    return 1;
}

/* item (',' item)* [','] -- a bare tuple when there is a comma. */
static lang_node *comma_list(parser *p, lang_node *(*item)(parser *p))
{
    lang_node *first = item(p);
    if (!lang_p_check(p, LANG_TOK_COMMA)) return first;
    lang_node *t = lang_p_node_at(p, LANG_N_TUPLE, p->cur);
    t->line = first->line;
    t->col = first->col;
    nodevec items = {0};
    lang_p_vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && list_goes_on(p)) lang_p_vec_push(p, &items, item(p));
    t->list = items.items;
    t->n = items.n;
    return t;
}

/* exprlist: the right side of an assignment, return values, assignment targets */
static lang_node *expr_list(parser *p) { return comma_list(p, list_item); }

/* target_list for 'for' and comprehensions: primaries (not full expressions: `for i in xs`
 * must not read `i in xs` as a comparison). */
static lang_node *target_list(parser *p) { return comma_list(p, primary); }

/* ---- statements ------------------------------------------------------------------------ */

static void check_target(parser *p, lang_node *t, const char *what)
{
    lang_error *e = p->err;
    switch (t->kind) {
    case LANG_N_NAME: case LANG_N_INDEX: case LANG_N_ATTR: return;
    case LANG_N_TUPLE: case LANG_N_LIST: {
        int stars = 0;
        for (int i = 0; i < t->n; i++) {
            if (t->list[i]->kind == LANG_N_STARRED) {
                if (++stars > 1) lang_p_fail_at(p, p->prev, "only one *name is allowed in an assignment");
                check_target(p, t->list[i]->a, what);
            } else {
                check_target(p, t->list[i], what);
            }
        }
        return;
    }
    default:
        e->kind = LANG_ERR_SYNTAX;
        e->line = t->line;
        e->col = t->col;
        e->len = 1;
        snprintf(e->msg, sizeof e->msg, "cannot %s this expression (only names, items t[i] and "
                 "attributes x.a can be assigned)", what);
        longjmp(p->fail, 1);
    }
}

/* params: [NAME ['=' expression] (',' NAME ['=' expression])*] */
static void params(parser *p, lang_node *fn, lang_tok_type close)
{
    nodevec ps = {0};
    int seen_default = 0;
    while (!lang_p_check(p, close)) {
        if (!lang_p_check(p, LANG_TOK_NAME)) {
            char buf[64];
            lang_p_fail_at(p, p->cur, "expected a parameter name, found %s", lang_p_found(p, buf, sizeof buf));
        }
        lang_node *prm = lang_p_node_at(p, LANG_N_PARAM, p->cur);
        prm->str = lang_p_copy_str(p, p->cur.start, p->cur.len);
        for (int i = 0; i < ps.n; i++)
            if (strcmp(ps.items[i]->str, prm->str) == 0)
                lang_p_fail_at(p, p->cur, "duplicate parameter '%s'", prm->str);
        lang_p_advance(p);
        if (match(p, LANG_TOK_ASSIGN)) {
            prm->a = lang_p_expression(p);
            seen_default = 1;
        } else if (seen_default) {
            lang_p_fail_at(p, p->prev, "parameter '%s' without a default follows one with a default",
                    prm->str);
        }
        lang_p_vec_push(p, &ps, prm);
        if (!match(p, LANG_TOK_COMMA)) break;
    }
    fn->list2 = ps.items;
    fn->n2 = ps.n;
}

static lang_node *def_stmt(parser *p, lang_token kw)
{
    lang_node *n = lang_p_node_at(p, LANG_N_DEF, kw);
    if (!lang_p_check(p, LANG_TOK_NAME)) {
        char buf[64];
        lang_p_fail_at(p, p->cur, "expected a function name after 'def', found %s", lang_p_found(p, buf, sizeof buf));
    }
    n->str = lang_p_copy_str(p, p->cur.start, p->cur.len);
    lang_p_advance(p);
    expect(p, LANG_TOK_LPAREN, "after the function name");
    params(p, n, LANG_TOK_RPAREN);
    expect(p, LANG_TOK_RPAREN, "to close the parameter list");
    if (match(p, LANG_TOK_ARROW)) lang_p_expression(p);   /* annotations are accepted and ignored */
    block(p, n, "function body");
    return n;
}

static lang_node *if_stmt(parser *p, lang_token kw)
{
    lang_node *n = lang_p_node_at(p, LANG_N_IF, kw);
    n->a = lang_p_expression(p);
    block(p, n, "if block");
    lang_token t = p->cur;
    if (match(p, LANG_TOK_ELIF)) {
        n->c = if_stmt(p, t);
    } else if (match(p, LANG_TOK_ELSE)) {
        n->c = lang_p_node_at(p, LANG_N_BLOCK, t);
        block(p, n->c, "else block");
    }
    return n;
}

static lang_node *compound(parser *p)
{
    lang_token t = p->cur;
    lang_node *n;
    switch (t.type) {
    case LANG_TOK_IF: lang_p_advance(p); return if_stmt(p, t);
    case LANG_TOK_WHILE:
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_WHILE, t);
        n->a = lang_p_expression(p);
        block(p, n, "while loop body");
        return n;
    case LANG_TOK_FOR:
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_FOR, t);
        n->a = target_list(p);
        check_target(p, n->a, "assign to");
        expect(p, LANG_TOK_IN, "in a for loop (for x in ...)");
        n->b = expr_list(p);
        block(p, n, "for loop body");
        return n;
    case LANG_TOK_DEF: lang_p_advance(p); return def_stmt(p, t);
    case LANG_TOK_WITH:
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_WITH, t);
        n->a = lang_p_expression(p);
        if (match(p, LANG_TOK_AS)) {
            n->b = target_list(p);
            check_target(p, n->b, "assign to");
        }
        block(p, n, "with block");
        return n;
    case LANG_TOK_CLASS:
        lang_p_fail_at(p, t, "nabla has no classes; use functions, dicts and the built-in layers");
        return NULL;
    case LANG_TOK_TRY:
        lang_p_fail_at(p, t, "nabla has no try/except: errors stop the program with a message");
        return NULL;
    default:
        return NULL;
    }
}

static lang_node *names_stmt(parser *p, lang_node_kind kind, lang_token kw)
{
    lang_node *n = lang_p_node_at(p, kind, kw);
    const char **names = lang_p_alloc(p, 64 * sizeof *names);
    do {
        if (!lang_p_check(p, LANG_TOK_NAME)) lang_p_fail_at(p, p->cur, "expected a name after '%.*s'",
                                              (int)kw.len, kw.start);
        if (n->n == 64) lang_p_fail_at(p, p->cur, "too many names in one statement");
        names[n->n++] = lang_p_copy_str(p, p->cur.start, p->cur.len);
        lang_p_advance(p);
    } while (match(p, LANG_TOK_COMMA));
    n->names = names;
    return n;
}

static int is_augop(lang_tok_type t)
{
    return t == LANG_TOK_PLUS_EQ || t == LANG_TOK_MINUS_EQ || t == LANG_TOK_STAR_EQ ||
           t == LANG_TOK_SLASH_EQ || t == LANG_TOK_DSLASH_EQ || t == LANG_TOK_PERCENT_EQ ||
           t == LANG_TOK_DSTAR_EQ || t == LANG_TOK_AT_EQ;
}

/* expr_stmt: exprlist ('=' exprlist)* | target augop expression */
static lang_node *expr_stmt(parser *p)
{
    lang_token start = p->cur;
    lang_node *e = expr_list(p);
    if (is_augop(p->cur.type)) {
        lang_node *n = lang_p_node_at(p, LANG_N_AUGASSIGN, p->cur);
        n->op = p->cur.type;
        n->line = e->line;
        n->col = e->col;
        n->opcol = lang_p_tok_col(p, p->cur);
        if (e->kind != LANG_N_NAME && e->kind != LANG_N_INDEX && e->kind != LANG_N_ATTR)
            check_target(p, lang_p_node_at(p, LANG_N_NUM, start), "use augmented assignment on");
        lang_p_advance(p);
        n->a = e;
        n->b = expr_list(p);
        return n;
    }
    if (!lang_p_check(p, LANG_TOK_ASSIGN)) {
        lang_node *n = lang_p_node_at(p, LANG_N_EXPR, start);
        n->a = e;
        return n;
    }
    lang_node *n = lang_p_node_at(p, LANG_N_ASSIGN, p->cur);
    n->line = e->line;
    n->col = e->col;
    nodevec targets = {0};
    while (match(p, LANG_TOK_ASSIGN)) {
        check_target(p, e, "assign to");
        lang_p_vec_push(p, &targets, e);
        e = expr_list(p);
    }
    n->list = targets.items;
    n->n = targets.n;
    n->b = e;
    return n;
}

static lang_node *small_stmt(parser *p)
{
    lang_token t = p->cur;
    lang_node *n;
    switch (t.type) {
    case LANG_TOK_PASS: lang_p_advance(p); return lang_p_node_at(p, LANG_N_PASS, t);
    case LANG_TOK_BREAK: lang_p_advance(p); return lang_p_node_at(p, LANG_N_BREAK, t);
    case LANG_TOK_CONTINUE: lang_p_advance(p); return lang_p_node_at(p, LANG_N_CONTINUE, t);
    case LANG_TOK_RETURN:
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_RETURN, t);
        if (!lang_p_check(p, LANG_TOK_NEWLINE) && !lang_p_check(p, LANG_TOK_SEMI) && !lang_p_check(p, LANG_TOK_EOF) &&
            !lang_p_check(p, LANG_TOK_DEDENT))
            n->a = expr_list(p);
        return n;
    case LANG_TOK_GLOBAL: lang_p_advance(p); return names_stmt(p, LANG_N_GLOBAL, t);
    case LANG_TOK_NONLOCAL: lang_p_advance(p); return names_stmt(p, LANG_N_NONLOCAL, t);
    case LANG_TOK_DEL: {
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_DEL, t);
        lang_node *targets = expr_list(p);
        check_target(p, targets, "delete");
        n->a = targets;
        return n;
    }
    case LANG_TOK_ASSERT:
        lang_p_advance(p);
        n = lang_p_node_at(p, LANG_N_ASSERT, t);
        n->a = lang_p_expression(p);
        if (match(p, LANG_TOK_COMMA)) n->b = lang_p_expression(p);
        return n;
    case LANG_TOK_IMPORT: case LANG_TOK_FROM:
        lang_p_fail_at(p, t, "nabla has no modules to import: tensors, layers and data are built in "
                      "(zeros(...), not np.zeros(...)); try help()");
        return NULL;
    case LANG_TOK_RAISE: case LANG_TOK_YIELD:
        lang_p_fail_at(p, t, "'%.*s' is not supported in nabla", (int)t.len, t.start);
        return NULL;
    case LANG_TOK_INDENT:
        lang_p_fail_at(p, t, "unexpected indent");
        return NULL;
    default:
        return expr_stmt(p);
    }
}

/* simple_stmts: small (';' small)* [';'] NEWLINE */
static void simple_stmts(parser *p, nodevec *out)
{
    lang_node *last = NULL;
    do {
        if (lang_p_check(p, LANG_TOK_NEWLINE) || lang_p_check(p, LANG_TOK_EOF)) break;
        lang_p_vec_push(p, out, last = small_stmt(p));
    } while (match(p, LANG_TOK_SEMI));
    if (lang_p_check(p, LANG_TOK_EOF) || lang_p_check(p, LANG_TOK_DEDENT)) return;
    if (!match(p, LANG_TOK_NEWLINE)) {
        char buf[64];
        if (last && last->kind == LANG_N_EXPR && last->a->kind == LANG_N_NAME &&
            strcmp(last->a->str, "print") == 0)   /* Python 2's print "hello" */
            snprintf(p->err->hint, sizeof p->err->hint, "print is a function: print(...)");
        lang_p_fail_at(p, p->cur, "unexpected %s after the statement (one statement per line, or "
                           "separate them with ';')", lang_p_found(p, buf, sizeof buf));
    }
}

static lang_node *statement_list(parser *p, nodevec *out)
{
    lang_node *c = compound(p);
    if (c) lang_p_vec_push(p, out, c);
    else simple_stmts(p, out);
    return c;
}

/* block: ':' (simple_stmts | NEWLINE INDENT statement+ DEDENT) */
static void block(parser *p, lang_node *owner, const char *what)
{
    char buf[64];
    if (!lang_p_check(p, LANG_TOK_COLON)) {
        if (lang_p_check(p, LANG_TOK_ASSIGN) && (owner->kind == LANG_N_IF || owner->kind == LANG_N_WHILE))
            snprintf(p->err->hint, sizeof p->err->hint, "to compare two values write == (a single = assigns)");
        lang_p_fail_at(p, p->cur, "expected ':' to start the %s, found %s", what, lang_p_found(p, buf, sizeof buf));
    }
    lang_p_advance(p);
    nodevec body = {0};
    if (!match(p, LANG_TOK_NEWLINE)) {
        simple_stmts(p, &body);
    } else {
        if (!lang_p_check(p, LANG_TOK_INDENT))
            lang_p_fail_at(p, p->cur, "expected an indented block for the %s", what);
        lang_p_advance(p);
        while (!lang_p_check(p, LANG_TOK_DEDENT) && !lang_p_check(p, LANG_TOK_EOF)) statement_list(p, &body);
        if (!match(p, LANG_TOK_DEDENT)) lang_p_fail_at(p, p->cur, "expected the end of the %s", what);
    }
    owner->list = body.items;
    owner->n = body.n;
}

lang_status lang_parse(const char *src, const char *file, lang_arena *arena, lang_node **out,
                       lang_error *err)
{
    parser *p = calloc(1, sizeof *p);
    if (!p) {
        err->kind = LANG_ERR_MEMORY;
        snprintf(err->msg, sizeof err->msg, "out of memory while parsing");
        return LANG_ERR_MEMORY;
    }
    lang_lexer_init(&p->lx, src);
    p->arena = arena;
    p->err = err;
    lang_status st = LANG_OK;
    if (setjmp(p->fail) == 0) {
        lang_p_advance(p);
        lang_node *prog = lang_p_node_at(p, LANG_N_BLOCK, p->cur);
        nodevec body = {0};
        while (!lang_p_check(p, LANG_TOK_EOF)) {
            if (match(p, LANG_TOK_NEWLINE)) continue;
            statement_list(p, &body);
        }
        prog->list = body.items;
        prog->n = body.n;
        *out = prog;
    } else {
        st = err->kind;
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    }
    free(p);
    return st;
}
