/*
 * parse_literal.c -- literals for the parser: strings with Python's escapes, adjacent literals
 * joined, f-strings (each {field} parsed by a sub-parser over its text), numbers; and the
 * arena every syntax tree lives in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/parser_internal.h"

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
    char *out = lang_p_alloc(p, len + 1);
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
    lang_node *n = lang_p_node_at(p, LANG_N_STR, t);
    n->str = decode(p, body, len, raw, &n->slen);
    return n;
}

/* A literal piece as an f-string part list: plain text becomes one N_STR part. */
static void push_parts(parser *p, nodevec *parts, lang_node *piece)
{
    if (piece->kind == LANG_N_FSTR) {
        for (int i = 0; i < piece->n; i++) lang_p_vec_push(p, parts, piece->list[i]);
    } else if (piece->slen) {
        lang_p_vec_push(p, parts, piece);
    }
}

/* "a" f"b{x}" "c": adjacent literals join; with an f-string among them the whole is one. */
static lang_node *joined_fstring(parser *p, lang_node *first)
{
    lang_node *f = lang_p_node_at(p, LANG_N_FSTR, p->prev);
    f->line = first->line;
    f->col = first->col;
    nodevec parts = {0};
    push_parts(p, &parts, first);
    while (lang_p_check(p, LANG_TOK_STRING) || lang_p_check(p, LANG_TOK_FSTRING)) {
        lang_p_advance(p);
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

lang_node *lang_p_string_literal(parser *p)
{
    lang_token first = p->prev;
    if (first.type == LANG_TOK_FSTRING) {
        lang_node *f = parse_fstring(p, first);
        if (lang_p_check(p, LANG_TOK_STRING) || lang_p_check(p, LANG_TOK_FSTRING)) return joined_fstring(p, f);
        return f;
    }
    lang_node *n = plain_string(p, first);
    while (lang_p_check(p, LANG_TOK_STRING) || lang_p_check(p, LANG_TOK_FSTRING)) {
        if (lang_p_check(p, LANG_TOK_FSTRING)) return joined_fstring(p, n);
        lang_p_advance(p);
        lang_node *tail = plain_string(p, p->prev);
        char *joined = lang_p_alloc(p, n->slen + tail->slen + 1);
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
    char *src = lang_p_copy_str(p, text, len);
    lang_lexer_init(&sub.lx, src);
    sub.lx.depth = sub.lx.base_depth = 1;   /* a field may span lines like a bracket */
    sub.arena = p->arena;
    sub.err = p->err;
    sub.line_offset = t.line - 1 + p->line_offset;
    sub.col_offset = col - 1;
    memcpy(sub.fail, p->fail, sizeof(jmp_buf));
    lang_p_advance(&sub);
    if (lang_p_check(&sub, LANG_TOK_EOF)) lang_p_fail_at(p, t, "empty expression in f-string braces");
    lang_node *e = lang_p_expression(&sub);
    if (!lang_p_check(&sub, LANG_TOK_EOF)) lang_p_fail_at(&sub, sub.cur, "unexpected %s in f-string field",
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
    lang_node *n = lang_p_node_at(p, LANG_N_FSTR, t);
    nodevec parts = {0};
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        char *lit = lang_p_alloc(p, len + 1);
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
            lang_node *s = lang_p_node_at(p, LANG_N_STR, t);
            lit[litlen] = '\0';
            s->str = lit;
            s->slen = litlen;
            lang_p_vec_push(p, &parts, s);
        }
        i = j;
        if (i >= len || (body[i] != '{' && body[i] != '}')) continue;
        if (body[i] == '}') lang_p_fail_at(p, t, "single '}' is not allowed in an f-string: write '}}'");
        size_t start = ++i;
        int depth = 0;
        while (i < len && (depth > 0 || (body[i] != '}' && body[i] != ':' && body[i] != '!'))) {
            if (body[i] == '(' || body[i] == '[' || body[i] == '{') depth++;
            if (body[i] == ')' || body[i] == ']' || body[i] == '}') depth--;
            i++;
        }
        if (i >= len) lang_p_fail_at(p, t, "f-string: expected '}'");
        lang_node *f = lang_p_node_at(p, LANG_N_FORMAT, t);
        f->a = fstring_expr(p, t, body + start, i - start, t.col + (int)(body - t.start + start));
        if (body[i] == '!') {
            if (i + 1 < len && body[i + 1] == 'r') f->flag = 1;
            i += 2;
        }
        if (i < len && body[i] == ':') {
            size_t s0 = ++i;
            while (i < len && body[i] != '}') i++;
            f->str = lang_p_copy_str(p, body + s0, i - s0);
        }
        if (i >= len) lang_p_fail_at(p, t, "f-string: expected '}'");
        i++;
        lang_p_vec_push(p, &parts, f);
    }
    n->list = parts.items;
    n->n = parts.n;
    return n;
}

lang_node *lang_p_number_literal(parser *p)
{
    lang_token t = p->prev;
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i < t.len && k < sizeof buf - 1; i++)
        if (t.start[i] != '_') buf[k++] = t.start[i];
    buf[k] = '\0';
    lang_node *n = lang_p_node_at(p, LANG_N_NUM, t);
    n->num = (k > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
                 ? (double)strtoull(buf + 2, NULL, 16) : strtod(buf, NULL);
    return n;
}

