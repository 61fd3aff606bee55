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
#include "lang/ast.h"
#include "lang/lexer.h"

/* ---- arena --------------------------------------------------------------------------- */

typedef struct lang_arena_block {
    struct lang_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} lang_arena_block;

void *lang_arena_alloc(lang_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    lang_arena_block *b = a->head;
    if (!b || b->used + size > b->cap) {
        size_t cap = size > 16384 ? size : 16384;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void lang_arena_free(lang_arena *a)
{
    while (a->head) {
        lang_arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- parser state -------------------------------------------------------------------- */

typedef struct parser {
    lang_lexer lx;
    lang_token cur, prev;
    lang_arena *arena;
    lang_error *err;
    jmp_buf fail;
    int line_offset, col_offset;   /* for f-string sub-parsers: where the text sits */
    int depth;                     /* nesting of expressions, to stop before the C stack ends */
} parser;

#define MAX_NESTING 200
static void fail_at(parser *p, lang_token t, const char *fmt, ...)
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
        fail_at(p, t, "expression too long: more than %d operations in one chain (split it into "
                      "several statements)", MAX_HEIGHT);
    }
    return n;
}

static void advance(parser *p)
{
    p->prev = p->cur;
    p->cur = lang_lexer_next(&p->lx);
    if (p->cur.type == LANG_TOK_ERROR) fail_at(p, p->cur, "%.*s", (int)p->cur.len, p->cur.start);
}

static int check(parser *p, lang_tok_type t) { return p->cur.type == t; }

static int match(parser *p, lang_tok_type t)
{
    if (!check(p, t)) return 0;
    advance(p);
    return 1;
}

/* "found 'x'" for the current token. */
static const char *found(parser *p, char *buf, size_t cap)
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
    fail_at(p, p->cur, "expected %s %s, found %s", lang_tok_name(t), context, found(p, buf, sizeof buf));
}

static void *alloc(parser *p, size_t size)
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
static int tok_col(const parser *p, lang_token t)
{
    return t.col + (t.line == 1 ? p->col_offset : 0);
}

static lang_node *node_at(parser *p, lang_node_kind kind, lang_token t)
{
    lang_node *n = alloc(p, sizeof *n);
    n->kind = kind;
    n->line = t.line + p->line_offset;
    n->col = tok_col(p, t);
    n->end_col = n->col + (int)t.len;
    return n;
}

static char *copy_str(parser *p, const char *s, size_t len)
{
    char *c = alloc(p, len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

/* A growable list of node pointers, copied into the arena when done. */
typedef struct nodevec { lang_node **items; int n, cap; } nodevec;

static void vec_push(parser *p, nodevec *v, lang_node *n)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        lang_node **items = alloc(p, (size_t)cap * sizeof *items);
        if (v->n) memcpy(items, v->items, (size_t)v->n * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = n;
}

static lang_node *expression(parser *p);
static lang_node *statement_list(parser *p, nodevec *out);
static void block(parser *p, lang_node *owner, const char *what);

/* ---- literals -------------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12); out[1] = (char)(0x80 | ((cp >> 6) & 63));
        out[2] = (char)(0x80 | (cp & 63)); return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18); out[1] = (char)(0x80 | ((cp >> 12) & 63));
    out[2] = (char)(0x80 | ((cp >> 6) & 63)); out[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* Decodes one escape at s (after the backslash) into out; returns chars consumed. */
static size_t escape(const char *s, char *out, size_t *outlen)
{
    int n = 0;
    unsigned cp = 0;
    switch (*s) {
    case 'n': out[(*outlen)++] = '\n'; return 1;
    case 't': out[(*outlen)++] = '\t'; return 1;
    case 'r': out[(*outlen)++] = '\r'; return 1;
    case '0': out[(*outlen)++] = '\0'; return 1;
    case '\\': case '\'': case '"': out[(*outlen)++] = *s; return 1;
    case '\n': return 1;
    case 'x': n = 2; break;
    case 'u': n = 4; break;
    case 'U': n = 8; break;
    default: out[(*outlen)++] = '\\'; return 0;   /* unknown escapes stay, as in Python */
    }
    for (int i = 1; i <= n; i++) {
        int h = hexval(s[i]);
        if (h < 0) { out[(*outlen)++] = '\\'; return 0; }
        cp = cp * 16 + (unsigned)h;
    }
    if (cp > 0x10FFFF) { out[(*outlen)++] = '\\'; return 0; }
    *outlen += put_utf8(out + *outlen, cp);
    return (size_t)n + 1;
}

/* The body of a string token without prefix and quotes; *raw set for r"..." strings. */
static void string_body(lang_token t, const char **body, size_t *len, int *raw)
{
    const char *s = t.start;
    *raw = 0;
    while (*s != '"' && *s != '\'') {
        if (*s == 'r' || *s == 'R') *raw = 1;
        s++;
    }
    int q = (s[1] == *s && s[2] == *s && t.len - (size_t)(s - t.start) >= 6) ? 3 : 1;
    *body = s + q;
    *len = t.len - (size_t)(s - t.start) - 2 * (size_t)q;
}

static char *decode(parser *p, const char *s, size_t len, int raw, size_t *outlen)
{
    char *out = alloc(p, len + 1);
    *outlen = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && !raw && i + 1 < len) i += escape(s + i + 1, out, outlen);
        else out[(*outlen)++] = s[i];
    }
    out[*outlen] = '\0';
    return out;
}

static lang_node *parse_fstring(parser *p, lang_token t);

/* string: STRING+ (adjacent literals concatenate, as in Python) */
/* An N_STR node for one plain string token, escapes decoded. */
static lang_node *plain_string(parser *p, lang_token t)
{
    const char *body;
    size_t len;
    int raw;
    string_body(t, &body, &len, &raw);
    lang_node *n = node_at(p, LANG_N_STR, t);
    n->str = decode(p, body, len, raw, &n->slen);
    return n;
}

/* A literal piece as an f-string part list: plain text becomes one N_STR part. */
static void push_parts(parser *p, nodevec *parts, lang_node *piece)
{
    if (piece->kind == LANG_N_FSTR) {
        for (int i = 0; i < piece->n; i++) vec_push(p, parts, piece->list[i]);
    } else if (piece->slen) {
        vec_push(p, parts, piece);
    }
}

/* "a" f"b{x}" "c": adjacent literals join; with an f-string among them the whole is one. */
static lang_node *joined_fstring(parser *p, lang_node *first)
{
    lang_node *f = node_at(p, LANG_N_FSTR, p->prev);
    f->line = first->line;
    f->col = first->col;
    nodevec parts = {0};
    push_parts(p, &parts, first);
    while (check(p, LANG_TOK_STRING) || check(p, LANG_TOK_FSTRING)) {
        advance(p);
        lang_token t = p->prev;
        if (t.type == LANG_TOK_FSTRING) {
            push_parts(p, &parts, parse_fstring(p, t));
        } else {
            push_parts(p, &parts, plain_string(p, t));
        }
    }
    f->list = parts.items;
    f->n = parts.n;
    return f;
}

static lang_node *string_literal(parser *p)
{
    lang_token first = p->prev;
    if (first.type == LANG_TOK_FSTRING) {
        lang_node *f = parse_fstring(p, first);
        if (check(p, LANG_TOK_STRING) || check(p, LANG_TOK_FSTRING)) return joined_fstring(p, f);
        return f;
    }
    lang_node *n = plain_string(p, first);
    while (check(p, LANG_TOK_STRING) || check(p, LANG_TOK_FSTRING)) {
        if (check(p, LANG_TOK_FSTRING)) return joined_fstring(p, n);
        advance(p);
        lang_node *tail = plain_string(p, p->prev);
        char *joined = alloc(p, n->slen + tail->slen + 1);
        memcpy(joined, n->str, n->slen);
        memcpy(joined + n->slen, tail->str, tail->slen + 1);
        n->str = joined;
        n->slen += tail->slen;
    }
    return n;
}

/* Parses the expression text of one f-string field with a sub-parser. */
static lang_node *fstring_expr(parser *p, lang_token t, const char *text, size_t len, int col)
{
    parser sub;
    memset(&sub, 0, sizeof sub);
    char *src = copy_str(p, text, len);
    lang_lexer_init(&sub.lx, src);
    sub.lx.depth = sub.lx.base_depth = 1;   /* a field may span lines like a bracket */
    sub.arena = p->arena;
    sub.err = p->err;
    sub.line_offset = t.line - 1 + p->line_offset;
    sub.col_offset = col - 1;
    memcpy(sub.fail, p->fail, sizeof(jmp_buf));
    advance(&sub);
    if (check(&sub, LANG_TOK_EOF)) fail_at(p, t, "empty expression in f-string braces");
    lang_node *e = expression(&sub);
    if (!check(&sub, LANG_TOK_EOF)) fail_at(&sub, sub.cur, "unexpected %s in f-string field",
                                            lang_tok_name(sub.cur.type));
    return e;
}

/* f"text {expr!r:spec} text" -> N_FSTR with N_STR and N_FORMAT parts. */
static lang_node *parse_fstring(parser *p, lang_token t)
{
    const char *body;
    size_t len;
    int raw;
    string_body(t, &body, &len, &raw);
    lang_node *n = node_at(p, LANG_N_FSTR, t);
    nodevec parts = {0};
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        char *lit = alloc(p, len + 1);
        size_t litlen = 0;
        for (;;) {
            if (j + 1 < len && (body[j] == '{' || body[j] == '}') && body[j + 1] == body[j]) {
                lit[litlen++] = body[j];   /* {{ or }} */
                j += 2;
            } else if (j < len && body[j] != '{' && body[j] != '}') {
                if (body[j] == '\\' && !raw && j + 1 < len) j += escape(body + j + 1, lit, &litlen) + 1;
                else lit[litlen++] = body[j++];
            } else {
                break;
            }
        }
        if (litlen) {
            lang_node *s = node_at(p, LANG_N_STR, t);
            lit[litlen] = '\0';
            s->str = lit;
            s->slen = litlen;
            vec_push(p, &parts, s);
        }
        i = j;
        if (i >= len || (body[i] != '{' && body[i] != '}')) continue;
        if (body[i] == '}') fail_at(p, t, "single '}' is not allowed in an f-string: write '}}'");
        size_t start = ++i;
        int depth = 0;
        while (i < len && (depth > 0 || (body[i] != '}' && body[i] != ':' && body[i] != '!'))) {
            if (body[i] == '(' || body[i] == '[' || body[i] == '{') depth++;
            if (body[i] == ')' || body[i] == ']' || body[i] == '}') depth--;
            i++;
        }
        if (i >= len) fail_at(p, t, "f-string: expected '}'");
        lang_node *f = node_at(p, LANG_N_FORMAT, t);
        f->a = fstring_expr(p, t, body + start, i - start, t.col + (int)(body - t.start + start));
        if (body[i] == '!') {
            if (i + 1 < len && body[i + 1] == 'r') f->flag = 1;
            i += 2;
        }
        if (i < len && body[i] == ':') {
            size_t s0 = ++i;
            while (i < len && body[i] != '}') i++;
            f->str = copy_str(p, body + s0, i - s0);
        }
        if (i >= len) fail_at(p, t, "f-string: expected '}'");
        i++;
        vec_push(p, &parts, f);
    }
    n->list = parts.items;
    n->n = parts.n;
    return n;
}

static lang_node *number_literal(parser *p)
{
    lang_token t = p->prev;
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i < t.len && k < sizeof buf - 1; i++)
        if (t.start[i] != '_') buf[k++] = t.start[i];
    buf[k] = '\0';
    lang_node *n = node_at(p, LANG_N_NUM, t);
    n->num = (k > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
                 ? (double)strtoull(buf + 2, NULL, 16) : strtod(buf, NULL);
    return n;
}

/* ---- expressions ----------------------------------------------------------------------- */

/* comp_for: 'for' targets 'in' or_expr ('if' or_expr)* ... */
static lang_node *target_list(parser *p);
static lang_node *or_expr(parser *p);
static lang_node *primary(parser *p);

static void comprehension(parser *p, lang_node *comp)
{
    nodevec clauses = {0};
    while (match(p, LANG_TOK_FOR)) {
        lang_node *c = node_at(p, LANG_N_COMPFOR, p->prev);
        c->a = target_list(p);
        expect(p, LANG_TOK_IN, "in a comprehension");
        c->b = or_expr(p);
        nodevec conds = {0};
        while (match(p, LANG_TOK_IF)) vec_push(p, &conds, or_expr(p));
        c->list = conds.items;
        c->n = conds.n;
        vec_push(p, &clauses, c);
    }
    comp->list = clauses.items;
    comp->n = clauses.n;
}

/* A list literal may be a tensor: flag 1 when it has items and none is a starred, comp... */
static lang_node *list_display(parser *p, lang_token open)
{
    lang_node *n = node_at(p, LANG_N_LIST, open);
    if (match(p, LANG_TOK_RBRACKET)) return n;
    lang_node *first = expression(p);
    if (check(p, LANG_TOK_FOR)) {
        lang_node *c = node_at(p, LANG_N_LISTCOMP, open);
        c->a = first;
        comprehension(p, c);
        expect(p, LANG_TOK_RBRACKET, "to close the list comprehension");
        return c;
    }
    nodevec items = {0};
    vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && !check(p, LANG_TOK_RBRACKET))
        vec_push(p, &items, expression(p));
    expect(p, LANG_TOK_RBRACKET, "to close the list");
    n->list = items.items;
    n->n = items.n;
    n->flag = 1;
    return n;
}

static lang_node *dict_display(parser *p, lang_token open)
{
    lang_node *n = node_at(p, LANG_N_DICT, open);
    nodevec keys = {0}, vals = {0};
    while (!check(p, LANG_TOK_RBRACE)) {
        lang_node *k = expression(p);
        expect(p, LANG_TOK_COLON, "between a dict key and its value");
        lang_node *v = expression(p);
        if (keys.n == 0 && check(p, LANG_TOK_FOR)) {
            lang_node *c = node_at(p, LANG_N_LISTCOMP, open);
            c->flag = 1;
            c->a = k;
            c->b = v;
            comprehension(p, c);
            expect(p, LANG_TOK_RBRACE, "to close the dict comprehension");
            return c;
        }
        vec_push(p, &keys, k);
        vec_push(p, &vals, v);
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
    if (match(p, LANG_TOK_RPAREN)) return node_at(p, LANG_N_TUPLE, open);
    lang_node *first = expression(p);
    if (check(p, LANG_TOK_FOR)) {   /* (x for x in ...) builds a list, as a learner expects */
        lang_node *c = node_at(p, LANG_N_LISTCOMP, open);
        c->a = first;
        comprehension(p, c);
        expect(p, LANG_TOK_RPAREN, "to close the generator expression");
        return c;
    }
    if (match(p, LANG_TOK_RPAREN)) return first;
    lang_node *t = node_at(p, LANG_N_TUPLE, open);
    nodevec items = {0};
    vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && !check(p, LANG_TOK_RPAREN))
        vec_push(p, &items, expression(p));
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
    case LANG_TOK_NAME: advance(p); {
        lang_node *n = node_at(p, LANG_N_NAME, t);
        n->str = copy_str(p, t.start, t.len);
        return n;
    }
    case LANG_TOK_NUMBER: advance(p); return number_literal(p);
    case LANG_TOK_STRING: case LANG_TOK_FSTRING: advance(p); return string_literal(p);
    case LANG_TOK_TRUE: advance(p); return node_at(p, LANG_N_TRUE, t);
    case LANG_TOK_FALSE: advance(p); return node_at(p, LANG_N_FALSE, t);
    case LANG_TOK_NONE: advance(p); return node_at(p, LANG_N_NONE, t);
    case LANG_TOK_LPAREN: advance(p); return paren(p, t);
    case LANG_TOK_LBRACKET: advance(p); return list_display(p, t);
    case LANG_TOK_LBRACE: advance(p); return dict_display(p, t);
    default:
        if (t.type == LANG_TOK_ELSE || t.type == LANG_TOK_ELIF) {
            snprintf(p->err->hint, sizeof p->err->hint, "%s must line up with its if (same "
                     "indentation) and follow the if's block", t.type == LANG_TOK_ELSE ? "else" : "elif");
            fail_at(p, t, "'%s' without an 'if' before it", t.type == LANG_TOK_ELSE ? "else" : "elif");
        }
        fail_at(p, t, "expected an expression, found %s", found(p, buf, sizeof buf));
        return NULL;
    }
}

static lang_node *call_args(parser *p, lang_node *callee, lang_token open)
{
    lang_node *n = node_at(p, LANG_N_CALL, open);
    n->line = callee->line;
    n->col = callee->col;
    n->opcol = tok_col(p, open);
    n->a = callee;
    nodevec pos = {0}, kw = {0};
    const char **names = NULL;
    int ncap = 0;
    while (!check(p, LANG_TOK_RPAREN)) {
        if (check(p, LANG_TOK_NAME)) {
            lang_lexer save = p->lx;
            lang_token name = p->cur, prev = p->prev;
            advance(p);
            if (match(p, LANG_TOK_ASSIGN)) {
                if (kw.n == ncap) {
                    ncap = ncap ? ncap * 2 : 4;
                    const char **nn = alloc(p, (size_t)ncap * sizeof *nn);
                    if (kw.n) memcpy(nn, names, (size_t)kw.n * sizeof *nn);
                    names = nn;
                }
                names[kw.n] = copy_str(p, name.start, name.len);
                vec_push(p, &kw, expression(p));
                if (!match(p, LANG_TOK_COMMA)) break;
                continue;
            }
            p->lx = save;   /* not a keyword argument: back up one token */
            p->cur = name;
            p->prev = prev;
        }
        if (kw.n) fail_at(p, p->cur, "a positional argument cannot follow keyword arguments");
        lang_token star = p->cur;
        if (match(p, LANG_TOK_STAR)) {   /* f(*xs): the items of xs as arguments */
            lang_node *s = node_at(p, LANG_N_STARRED, star);
            s->a = expression(p);
            n->flag = 1;
            vec_push(p, &pos, s);
            if (!match(p, LANG_TOK_COMMA)) break;
            continue;
        }
        lang_node *arg = expression(p);
        if (check(p, LANG_TOK_FOR) && pos.n == 0) {   /* sum(x*x for x in xs) */
            lang_node *c = node_at(p, LANG_N_LISTCOMP, open);
            c->a = arg;
            comprehension(p, c);
            arg = c;
        }
        vec_push(p, &pos, arg);
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
    if (!check(p, LANG_TOK_COLON)) {
        lo = expression(p);
        if (!check(p, LANG_TOK_COLON)) return lo;
    }
    lang_node *s = node_at(p, LANG_N_SLICE, t);
    s->a = lo;
    advance(p);   /* ':' */
    if (!check(p, LANG_TOK_COLON) && !check(p, LANG_TOK_RBRACKET) && !check(p, LANG_TOK_COMMA))
        s->b = expression(p);
    if (match(p, LANG_TOK_COLON) && !check(p, LANG_TOK_RBRACKET) && !check(p, LANG_TOK_COMMA))
        s->c = expression(p);
    return s;
}

static lang_node *index_args(parser *p, lang_node *obj, lang_token open)
{
    lang_node *n = node_at(p, LANG_N_INDEX, open);
    n->line = obj->line;
    n->col = obj->col;
    n->opcol = tok_col(p, open);
    n->a = obj;
    lang_node *first = subscript(p);
    if (check(p, LANG_TOK_COMMA)) {
        lang_node *tup = node_at(p, LANG_N_TUPLE, open);
        nodevec items = {0};
        vec_push(p, &items, first);
        while (match(p, LANG_TOK_COMMA) && !check(p, LANG_TOK_RBRACKET))
            vec_push(p, &items, subscript(p));
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
            if (!check(p, LANG_TOK_NAME)) {
                char buf[64];
                fail_at(p, p->cur, "expected an attribute name after '.', found %s",
                        found(p, buf, sizeof buf));
            }
            lang_node *a = node_at(p, LANG_N_ATTR, p->cur);
            a->line = e->line;
            a->col = e->col;
            a->opcol = tok_col(p, p->cur);
            a->a = e;
            a->str = copy_str(p, p->cur.start, p->cur.len);
            advance(p);
            e = above(p, a, e, NULL);
        } else {
            return e;
        }
    }
}

static lang_node *unary(parser *p);

static lang_node *binop(parser *p, lang_node *l, lang_token op, lang_node *r)
{
    lang_node *n = node_at(p, LANG_N_BINOP, op);
    n->op = op.type;
    n->line = l->line;
    n->col = l->col;
    n->opcol = op.line + p->line_offset == l->line ? tok_col(p, op) : 0;   /* the caret goes on the reported line */
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
    if (++p->depth > MAX_NESTING) fail_at(p, t, "expression nested too deeply (more than %d levels)", MAX_NESTING);
    if (match(p, LANG_TOK_MINUS) || match(p, LANG_TOK_PLUS) || match(p, LANG_TOK_TILDE)) {
        lang_node *operand = unary(p);
        if (t.type == LANG_TOK_MINUS && operand->kind == LANG_N_NUM && operand->col == t.col + 1) {
            operand->num = -operand->num;   /* fold "-3": keeps [[-1, 2]] a number literal */
            operand->col = t.col;
            p->depth--;
            return operand;
        }
        lang_node *n = node_at(p, LANG_N_UNARY, t);
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
        advance(p);
        l = binop(p, l, op, arith(p, prec + 1));
    }
}

static int compare_op(parser *p)
{
    switch (p->cur.type) {
    case LANG_TOK_EQ: case LANG_TOK_NE: case LANG_TOK_LT: case LANG_TOK_LE:
    case LANG_TOK_GT: case LANG_TOK_GE: case LANG_TOK_IN:
        advance(p);
        return p->prev.type;
    case LANG_TOK_IS:
        advance(p);
        return match(p, LANG_TOK_NOT) ? -LANG_TOK_IS : LANG_TOK_IS;
    case LANG_TOK_NOT: {
        lang_lexer save = p->lx;
        lang_token cur = p->cur, prev = p->prev;
        advance(p);
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
    lang_node *n = node_at(p, LANG_N_COMPARE, t);
    n->line = first->line;
    n->col = first->col;
    n->opcol = tok_col(p, t);
    nodevec operands = {0};
    int *ops = NULL, nops = 0, cap = 0;
    vec_push(p, &operands, first);
    while (op) {
        if (nops == cap) {
            cap = cap ? cap * 2 : 4;
            int *o = alloc(p, (size_t)cap * sizeof *o);
            if (nops) memcpy(o, ops, (size_t)nops * sizeof *o);
            ops = o;
        }
        ops[nops++] = op;
        vec_push(p, &operands, arith(p, 1));
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
        lang_node *n = node_at(p, LANG_N_UNARY, t);
        n->op = LANG_TOK_NOT;
        n->a = not_expr(p);
        return n;
    }
    return comparison(p);
}

static lang_node *and_expr(parser *p)
{
    lang_node *l = not_expr(p);
    while (check(p, LANG_TOK_AND)) {
        lang_token t = p->cur;
        advance(p);
        lang_node *n = binop(p, l, t, not_expr(p));
        n->kind = LANG_N_AND;
        l = n;
    }
    return l;
}

static lang_node *or_expr(parser *p)
{
    lang_node *l = and_expr(p);
    while (check(p, LANG_TOK_OR)) {
        lang_token t = p->cur;
        advance(p);
        lang_node *n = binop(p, l, t, and_expr(p));
        n->kind = LANG_N_OR;
        l = n;
    }
    return l;
}

static void params(parser *p, lang_node *fn, lang_tok_type close);

/* expression: lambda | or_expr ['if' or_expr 'else' expression] */
static lang_node *expression(parser *p)
{
    lang_token t = p->cur;
    if (match(p, LANG_TOK_LAMBDA)) {
        lang_node *n = node_at(p, LANG_N_LAMBDA, t);
        params(p, n, LANG_TOK_COLON);
        expect(p, LANG_TOK_COLON, "after the lambda's parameters");
        n->a = expression(p);
        return n;
    }
    lang_node *e = or_expr(p);
    if (check(p, LANG_TOK_IF)) {
        lang_token it = p->cur;
        advance(p);
        lang_node *n = node_at(p, LANG_N_IFEXP, it);
        n->line = e->line;
        n->col = e->col;
        n->a = e;
        n->b = or_expr(p);
        expect(p, LANG_TOK_ELSE, "in a conditional expression (x if cond else y)");
        n->c = expression(p);
        return n;
    }
    return e;
}

/* exprlist: expression (',' expression)* [','] -- a bare tuple when there is a comma. */
/* An item of an expression list: an expression, or *target (a, *rest = xs). */
static lang_node *list_item(parser *p)
{
    lang_token t = p->cur;
    if (!match(p, LANG_TOK_STAR)) return expression(p);
    lang_node *n = node_at(p, LANG_N_STARRED, t);
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
        if (check(p, enders[i])) return 0;
    return 1;
}

/* item (',' item)* [','] -- a bare tuple when there is a comma. */
static lang_node *comma_list(parser *p, lang_node *(*item)(parser *p))
{
    lang_node *first = item(p);
    if (!check(p, LANG_TOK_COMMA)) return first;
    lang_node *t = node_at(p, LANG_N_TUPLE, p->cur);
    t->line = first->line;
    t->col = first->col;
    nodevec items = {0};
    vec_push(p, &items, first);
    while (match(p, LANG_TOK_COMMA) && list_goes_on(p)) vec_push(p, &items, item(p));
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
                if (++stars > 1) fail_at(p, p->prev, "only one *name is allowed in an assignment");
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
    while (!check(p, close)) {
        if (!check(p, LANG_TOK_NAME)) {
            char buf[64];
            fail_at(p, p->cur, "expected a parameter name, found %s", found(p, buf, sizeof buf));
        }
        lang_node *prm = node_at(p, LANG_N_PARAM, p->cur);
        prm->str = copy_str(p, p->cur.start, p->cur.len);
        for (int i = 0; i < ps.n; i++)
            if (strcmp(ps.items[i]->str, prm->str) == 0)
                fail_at(p, p->cur, "duplicate parameter '%s'", prm->str);
        advance(p);
        if (match(p, LANG_TOK_ASSIGN)) {
            prm->a = expression(p);
            seen_default = 1;
        } else if (seen_default) {
            fail_at(p, p->prev, "parameter '%s' without a default follows one with a default",
                    prm->str);
        }
        vec_push(p, &ps, prm);
        if (!match(p, LANG_TOK_COMMA)) break;
    }
    fn->list2 = ps.items;
    fn->n2 = ps.n;
}

static lang_node *def_stmt(parser *p, lang_token kw)
{
    lang_node *n = node_at(p, LANG_N_DEF, kw);
    if (!check(p, LANG_TOK_NAME)) {
        char buf[64];
        fail_at(p, p->cur, "expected a function name after 'def', found %s", found(p, buf, sizeof buf));
    }
    n->str = copy_str(p, p->cur.start, p->cur.len);
    advance(p);
    expect(p, LANG_TOK_LPAREN, "after the function name");
    params(p, n, LANG_TOK_RPAREN);
    expect(p, LANG_TOK_RPAREN, "to close the parameter list");
    if (match(p, LANG_TOK_ARROW)) expression(p);   /* annotations are accepted and ignored */
    block(p, n, "function body");
    return n;
}

static lang_node *if_stmt(parser *p, lang_token kw)
{
    lang_node *n = node_at(p, LANG_N_IF, kw);
    n->a = expression(p);
    block(p, n, "if block");
    lang_token t = p->cur;
    if (match(p, LANG_TOK_ELIF)) {
        n->c = if_stmt(p, t);
    } else if (match(p, LANG_TOK_ELSE)) {
        n->c = node_at(p, LANG_N_BLOCK, t);
        block(p, n->c, "else block");
    }
    return n;
}

static lang_node *compound(parser *p)
{
    lang_token t = p->cur;
    lang_node *n;
    switch (t.type) {
    case LANG_TOK_IF: advance(p); return if_stmt(p, t);
    case LANG_TOK_WHILE:
        advance(p);
        n = node_at(p, LANG_N_WHILE, t);
        n->a = expression(p);
        block(p, n, "while loop body");
        return n;
    case LANG_TOK_FOR:
        advance(p);
        n = node_at(p, LANG_N_FOR, t);
        n->a = target_list(p);
        check_target(p, n->a, "assign to");
        expect(p, LANG_TOK_IN, "in a for loop (for x in ...)");
        n->b = expr_list(p);
        block(p, n, "for loop body");
        return n;
    case LANG_TOK_DEF: advance(p); return def_stmt(p, t);
    case LANG_TOK_WITH:
        advance(p);
        n = node_at(p, LANG_N_WITH, t);
        n->a = expression(p);
        if (match(p, LANG_TOK_AS)) {
            n->b = target_list(p);
            check_target(p, n->b, "assign to");
        }
        block(p, n, "with block");
        return n;
    case LANG_TOK_CLASS:
        fail_at(p, t, "nabla has no classes; use functions, dicts and the built-in layers");
        return NULL;
    case LANG_TOK_TRY:
        fail_at(p, t, "nabla has no try/except: errors stop the program with a message");
        return NULL;
    default:
        return NULL;
    }
}

static lang_node *names_stmt(parser *p, lang_node_kind kind, lang_token kw)
{
    lang_node *n = node_at(p, kind, kw);
    const char **names = alloc(p, 64 * sizeof *names);
    do {
        if (!check(p, LANG_TOK_NAME)) fail_at(p, p->cur, "expected a name after '%.*s'",
                                              (int)kw.len, kw.start);
        if (n->n == 64) fail_at(p, p->cur, "too many names in one statement");
        names[n->n++] = copy_str(p, p->cur.start, p->cur.len);
        advance(p);
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
        lang_node *n = node_at(p, LANG_N_AUGASSIGN, p->cur);
        n->op = p->cur.type;
        n->line = e->line;
        n->col = e->col;
        n->opcol = tok_col(p, p->cur);
        if (e->kind != LANG_N_NAME && e->kind != LANG_N_INDEX && e->kind != LANG_N_ATTR)
            check_target(p, node_at(p, LANG_N_NUM, start), "use augmented assignment on");
        advance(p);
        n->a = e;
        n->b = expr_list(p);
        return n;
    }
    if (!check(p, LANG_TOK_ASSIGN)) {
        lang_node *n = node_at(p, LANG_N_EXPR, start);
        n->a = e;
        return n;
    }
    lang_node *n = node_at(p, LANG_N_ASSIGN, p->cur);
    n->line = e->line;
    n->col = e->col;
    nodevec targets = {0};
    while (match(p, LANG_TOK_ASSIGN)) {
        check_target(p, e, "assign to");
        vec_push(p, &targets, e);
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
    case LANG_TOK_PASS: advance(p); return node_at(p, LANG_N_PASS, t);
    case LANG_TOK_BREAK: advance(p); return node_at(p, LANG_N_BREAK, t);
    case LANG_TOK_CONTINUE: advance(p); return node_at(p, LANG_N_CONTINUE, t);
    case LANG_TOK_RETURN:
        advance(p);
        n = node_at(p, LANG_N_RETURN, t);
        if (!check(p, LANG_TOK_NEWLINE) && !check(p, LANG_TOK_SEMI) && !check(p, LANG_TOK_EOF) &&
            !check(p, LANG_TOK_DEDENT))
            n->a = expr_list(p);
        return n;
    case LANG_TOK_GLOBAL: advance(p); return names_stmt(p, LANG_N_GLOBAL, t);
    case LANG_TOK_NONLOCAL: advance(p); return names_stmt(p, LANG_N_NONLOCAL, t);
    case LANG_TOK_DEL: {
        advance(p);
        n = node_at(p, LANG_N_DEL, t);
        lang_node *targets = expr_list(p);
        check_target(p, targets, "delete");
        n->a = targets;
        return n;
    }
    case LANG_TOK_ASSERT:
        advance(p);
        n = node_at(p, LANG_N_ASSERT, t);
        n->a = expression(p);
        if (match(p, LANG_TOK_COMMA)) n->b = expression(p);
        return n;
    case LANG_TOK_IMPORT: case LANG_TOK_FROM:
        fail_at(p, t, "nabla has no modules to import: tensors, layers and data are built in "
                      "(zeros(...), not np.zeros(...)); try help()");
        return NULL;
    case LANG_TOK_RAISE: case LANG_TOK_YIELD:
        fail_at(p, t, "'%.*s' is not supported in nabla", (int)t.len, t.start);
        return NULL;
    case LANG_TOK_INDENT:
        fail_at(p, t, "unexpected indent");
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
        if (check(p, LANG_TOK_NEWLINE) || check(p, LANG_TOK_EOF)) break;
        vec_push(p, out, last = small_stmt(p));
    } while (match(p, LANG_TOK_SEMI));
    if (check(p, LANG_TOK_EOF) || check(p, LANG_TOK_DEDENT)) return;
    if (!match(p, LANG_TOK_NEWLINE)) {
        char buf[64];
        if (last && last->kind == LANG_N_EXPR && last->a->kind == LANG_N_NAME &&
            strcmp(last->a->str, "print") == 0)   /* Python 2's print "hello" */
            snprintf(p->err->hint, sizeof p->err->hint, "print is a function: print(...)");
        fail_at(p, p->cur, "unexpected %s after the statement (one statement per line, or "
                           "separate them with ';')", found(p, buf, sizeof buf));
    }
}

static lang_node *statement_list(parser *p, nodevec *out)
{
    lang_node *c = compound(p);
    if (c) vec_push(p, out, c);
    else simple_stmts(p, out);
    return c;
}

/* block: ':' (simple_stmts | NEWLINE INDENT statement+ DEDENT) */
static void block(parser *p, lang_node *owner, const char *what)
{
    char buf[64];
    if (!check(p, LANG_TOK_COLON)) {
        if (check(p, LANG_TOK_ASSIGN) && (owner->kind == LANG_N_IF || owner->kind == LANG_N_WHILE))
            snprintf(p->err->hint, sizeof p->err->hint, "to compare two values write == (a single = assigns)");
        fail_at(p, p->cur, "expected ':' to start the %s, found %s", what, found(p, buf, sizeof buf));
    }
    advance(p);
    nodevec body = {0};
    if (!match(p, LANG_TOK_NEWLINE)) {
        simple_stmts(p, &body);
    } else {
        if (!check(p, LANG_TOK_INDENT))
            fail_at(p, p->cur, "expected an indented block for the %s", what);
        advance(p);
        while (!check(p, LANG_TOK_DEDENT) && !check(p, LANG_TOK_EOF)) statement_list(p, &body);
        if (!match(p, LANG_TOK_DEDENT)) fail_at(p, p->cur, "expected the end of the %s", what);
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
        advance(p);
        lang_node *prog = node_at(p, LANG_N_BLOCK, p->cur);
        nodevec body = {0};
        while (!check(p, LANG_TOK_EOF)) {
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
