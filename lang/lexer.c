/*
 * lexer.c -- source text to tokens. Python's layout rules: a logical line ends with NEWLINE,
 * a deeper indentation opens a block with INDENT, a shallower one closes blocks with DEDENTs;
 * inside (), [] and {} line breaks and indentation mean nothing.
 */
#include <ctype.h>
#include <string.h>
#include "lang/lexer.h"

/* ORDER LANG_TOK: from LANG_TOK_AND to LANG_TOK_YIELD, alphabetical. */
const char *const lang_keywords[] = {
    "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else",
    "except", "False", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "None", "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while", "with",
    "yield", NULL
};

void lang_lexer_init(lang_lexer *lx, const char *src)
{
    memset(lx, 0, sizeof *lx);
    lx->src = lx->p = lx->line_start = src;
    lx->line = 1;
    lx->n_indent = 1;
    lx->at_line_start = 1;
}

static lang_token make(lang_lexer *lx, lang_tok_type type, const char *start)
{
    lang_token t = { type, start, (size_t)(lx->p - start), lx->line,
                     (int)(start - lx->line_start) + 1 };
    return t;
}

static lang_token error_tok(lang_lexer *lx, const char *msg, const char *at)
{
    lang_token t = { LANG_TOK_ERROR, msg, strlen(msg), lx->line, (int)(at - lx->line_start) + 1 };
    return t;
}

/* An error at a remembered position (a string's or a bracket's start). */
static lang_token error_at(const char *msg, int line, int col)
{
    lang_token t = { LANG_TOK_ERROR, msg, strlen(msg), line, col };
    return t;
}

static void newline_seen(lang_lexer *lx)
{
    lx->line++;
    lx->line_start = lx->p;
}

/* Skips spaces, comments and (inside brackets) line breaks and backslash continuations. */
static void skip_space(lang_lexer *lx)
{
    for (;;) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
            lx->p++;
        } else if (c == '#') {
            while (*lx->p && *lx->p != '\n') lx->p++;
        } else if (c == '\\' && lx->p[1] == '\n') {
            lx->p += 2;
            newline_seen(lx);
        } else if (c == '\\' && lx->p[1] == '\0') {   /* a continuation still to come */
            lx->p++;
            lx->incomplete = 1;
            return;
        } else if (c == '\n' && lx->depth > 0) {
            lx->p++;
            newline_seen(lx);
        } else {
            return;
        }
    }
}

/* Measures the indentation of the line at lx->p; returns -1 for a blank or comment-only line
 * (which never changes the indentation) and leaves p at its first token. */
static int measure_indent(lang_lexer *lx)
{
    int width = 0;
    const char *q = lx->p;
    for (;; q++) {
        if (*q == ' ') width++;
        else if (*q == '\t') width = (width / 8 + 1) * 8;
        else if (*q == '\r' || *q == '\f') continue;
        else break;
    }
    lx->p = q;
    if (*q == '#' || *q == '\n' || *q == '\0') return -1;
    return width;
}

/* At the start of a logical line: emit INDENT or DEDENTs as the indentation changed. Returns 1
 * and fills *out when a layout token is due. */
static int layout(lang_lexer *lx, lang_token *out)
{
    for (;;) {
        int w = measure_indent(lx);
        if (w < 0) {
            while (*lx->p && *lx->p != '\n') lx->p++;
            if (*lx->p == '\0') break;
            lx->p++;
            newline_seen(lx);
            continue;
        }
        lx->at_line_start = 0;
        int top = lx->indent[lx->n_indent - 1];
        if (w > top) {
            if (lx->n_indent == LANG_MAX_INDENT) {
                *out = error_tok(lx, "too many nested blocks", lx->p);
                return 1;
            }
            lx->indent[lx->n_indent++] = w;
            *out = make(lx, LANG_TOK_INDENT, lx->p);
            return 1;
        }
        while (w < lx->indent[lx->n_indent - 1]) {
            lx->n_indent--;
            lx->pending_dedents++;
        }
        if (w != lx->indent[lx->n_indent - 1]) {
            *out = error_tok(lx, "unindent does not match any outer indentation level", lx->p);
            return 1;
        }
        break;
    }
    lx->at_line_start = 0;
    return 0;
}

static lang_tok_type keyword_type(const char *s, size_t len)
{
    for (int i = 0; lang_keywords[i]; i++)
        if (strlen(lang_keywords[i]) == len && memcmp(lang_keywords[i], s, len) == 0)
            return (lang_tok_type)(LANG_TOK_AND + i);
    return LANG_TOK_NAME;
}

static lang_token number(lang_lexer *lx, const char *start)
{
    const char *q = start;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
        q += 2;
        if (!isxdigit((unsigned char)*q)) {
            lx->p = q;
            return error_tok(lx, "invalid number literal", start);
        }
        while (isxdigit((unsigned char)*q) || *q == '_') q++;
    } else {
        while (isdigit((unsigned char)*q) || *q == '_') q++;
        if (*q == '.') {
            q++;
            while (isdigit((unsigned char)*q) || *q == '_') q++;
        }
        if ((*q == 'e' || *q == 'E') &&
            (isdigit((unsigned char)q[1]) ||
             ((q[1] == '+' || q[1] == '-') && isdigit((unsigned char)q[2])))) {
            q += 2;
            while (isdigit((unsigned char)*q)) q++;
        }
    }
    lx->p = q;
    if (isalpha((unsigned char)*q) || *q == '_')
        return error_tok(lx, "invalid number literal", start);
    return make(lx, LANG_TOK_NUMBER, start);
}

/* A string literal; the token spans the quotes and any f/r prefix (the parser decodes it). */
static lang_token string(lang_lexer *lx, const char *start, const char *quote, lang_tok_type type)
{
    char q = *quote;
    int triple = quote[1] == q && quote[2] == q;
    int line = lx->line, col = (int)(start - lx->line_start) + 1;
    lx->p = quote + (triple ? 3 : 1);
    for (;;) {
        char c = *lx->p;
        if (c == '\0') {
            lx->incomplete = triple;
            return error_at(triple ? "unterminated triple-quoted string"
                                   : "unterminated string (missing closing quote)", line, col);
        }
        if (c == '\n') {
            if (!triple) return error_tok(lx, "unterminated string (missing closing quote)", start);
            lx->p++;
            newline_seen(lx);
            continue;
        }
        if (c == '\\' && lx->p[1]) {
            if (lx->p[1] == '\n') {
                lx->p += 2;
                newline_seen(lx);
            } else {
                lx->p += 2;
            }
            continue;
        }
        if (c == q && (!triple || (lx->p[1] == q && lx->p[2] == q))) {
            lx->p += triple ? 3 : 1;
            lang_token t = make(lx, type, start);
            t.line = line;   /* a triple-quoted string may span lines: report where it starts */
            t.col = col;
            return t;
        }
        lx->p++;
    }
}

typedef struct punct { const char *text; lang_tok_type type; } punct;

/* Longest first, so that "**=" wins over "**" and "*". */
static const punct puncts[] = {
    {"**=", LANG_TOK_DSTAR_EQ}, {"//=", LANG_TOK_DSLASH_EQ},
    {"**", LANG_TOK_DSTAR}, {"//", LANG_TOK_DSLASH}, {"==", LANG_TOK_EQ}, {"!=", LANG_TOK_NE},
    {"<=", LANG_TOK_LE}, {">=", LANG_TOK_GE}, {"<<", LANG_TOK_LSHIFT}, {">>", LANG_TOK_RSHIFT},
    {"+=", LANG_TOK_PLUS_EQ}, {"-=", LANG_TOK_MINUS_EQ}, {"*=", LANG_TOK_STAR_EQ},
    {"/=", LANG_TOK_SLASH_EQ}, {"%=", LANG_TOK_PERCENT_EQ}, {"@=", LANG_TOK_AT_EQ},
    {"->", LANG_TOK_ARROW},
    {"(", LANG_TOK_LPAREN}, {")", LANG_TOK_RPAREN}, {"[", LANG_TOK_LBRACKET},
    {"]", LANG_TOK_RBRACKET}, {"{", LANG_TOK_LBRACE}, {"}", LANG_TOK_RBRACE},
    {",", LANG_TOK_COMMA}, {":", LANG_TOK_COLON}, {".", LANG_TOK_DOT}, {";", LANG_TOK_SEMI},
    {"+", LANG_TOK_PLUS}, {"-", LANG_TOK_MINUS}, {"*", LANG_TOK_STAR}, {"/", LANG_TOK_SLASH},
    {"%", LANG_TOK_PERCENT}, {"@", LANG_TOK_AT}, {"&", LANG_TOK_AMP}, {"|", LANG_TOK_PIPE},
    {"^", LANG_TOK_CARET}, {"~", LANG_TOK_TILDE}, {"<", LANG_TOK_LT}, {">", LANG_TOK_GT},
    {"=", LANG_TOK_ASSIGN},
};

static lang_token punctuation(lang_lexer *lx, const char *start)
{
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        size_t n = strlen(puncts[i].text);
        if (strncmp(start, puncts[i].text, n) != 0) continue;
        lx->p = start + n;
        lang_tok_type t = puncts[i].type;
        if (t == LANG_TOK_LPAREN || t == LANG_TOK_LBRACKET || t == LANG_TOK_LBRACE) {
            if (lx->depth < 64) {
                lx->open[lx->depth].line = lx->line;
                lx->open[lx->depth].col = (int)(start - lx->line_start) + 1;
                lx->open[lx->depth].c = *start;
            }
            lx->depth++;
        }
        if ((t == LANG_TOK_RPAREN || t == LANG_TOK_RBRACKET || t == LANG_TOK_RBRACE) &&
            lx->depth > lx->base_depth)
            lx->depth--;
        return make(lx, t, start);
    }
    lx->p = start + 1;
    if (*start == '!') return error_tok(lx, "'!' is not an operator here: use 'not' or '!='", start);
    return error_tok(lx, "unexpected character", start);
}

static lang_token end_of_input(lang_lexer *lx)
{
    if (lx->base_depth > 0 && lx->depth <= lx->base_depth) return make(lx, LANG_TOK_EOF, lx->p);
    if (lx->depth > lx->base_depth) {   /* point at the bracket, as Python 3.10 does */
        lx->incomplete = lx->base_depth == 0;
        int k = lx->depth <= 64 ? lx->depth - 1 : 63;
        static const char *const msgs[] = { "'(' was never closed", "'[' was never closed",
                                             "'{' was never closed" };
        char c = lx->open[k].c;
        return error_at(msgs[c == '(' ? 0 : c == '[' ? 1 : 2], lx->open[k].line, lx->open[k].col);
    }
    if (lx->emitted_any) {   /* close the last logical line first */
        lx->emitted_any = 0;
        return make(lx, LANG_TOK_NEWLINE, lx->p);
    }
    if (lx->n_indent > 1) {
        lx->n_indent--;
        return make(lx, LANG_TOK_DEDENT, lx->p);
    }
    return make(lx, LANG_TOK_EOF, lx->p);
}

static int is_string_start(const char *s, const char **quote, lang_tok_type *type)
{
    const char *q = s;
    int f = 0;
    for (int i = 0; i < 2 && (*q == 'f' || *q == 'F' || *q == 'r' || *q == 'R'); i++, q++)
        if (*q == 'f' || *q == 'F') f = 1;
    if (*q != '"' && *q != '\'') return 0;
    *quote = q;
    *type = f ? LANG_TOK_FSTRING : LANG_TOK_STRING;
    return 1;
}

lang_token lang_lexer_next(lang_lexer *lx)
{
    if (lx->pending_dedents > 0) {
        lx->pending_dedents--;
        return make(lx, LANG_TOK_DEDENT, lx->p);
    }
    if (lx->at_line_start && lx->depth == 0) {
        lang_token t;
        if (layout(lx, &t)) return t;
        if (lx->pending_dedents > 0) {
            lx->pending_dedents--;
            return make(lx, LANG_TOK_DEDENT, lx->p);
        }
    }
    skip_space(lx);
    if (lx->incomplete) return error_tok(lx, "unexpected end of input after '\\'", lx->p);
    const char *start = lx->p;
    char c = *start;
    if (c == '\0') return end_of_input(lx);
    if (c == '\n') {
        lx->p++;
        lang_token t = make(lx, LANG_TOK_NEWLINE, start);
        newline_seen(lx);
        lx->at_line_start = 1;
        if (!lx->emitted_any) return lang_lexer_next(lx);  /* e.g. after a lone ';' */
        lx->emitted_any = 0;
        return t;
    }
    lx->emitted_any = 1;
    const char *quote;
    lang_tok_type stype;
    if (is_string_start(start, &quote, &stype)) return string(lx, start, quote, stype);
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)start[1])))
        return number(lx, start);
    if (isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80) {
        /* names may use any non-ASCII letters, as Python's do: a learning rate α or η */
        while (isalnum((unsigned char)*lx->p) || *lx->p == '_' || (unsigned char)*lx->p >= 0x80) lx->p++;
        return make(lx, keyword_type(start, (size_t)(lx->p - start)), start);
    }
    return punctuation(lx, start);
}

const char *lang_tok_name(lang_tok_type t)
{
    static const char *const names[LANG_TOK_AND] = {
        "end of input", "error", "end of line", "indented block", "end of block",
        "name", "number", "string", "f-string",
        "'('", "')'", "'['", "']'", "'{'", "'}'", "','", "':'", "'.'", "';'",
        "'+'", "'-'", "'*'", "'/'", "'//'", "'%'", "'**'", "'@'", "'&'", "'|'", "'^'", "'~'",
        "'<<'", "'>>'", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='",
        "'='", "'+='", "'-='", "'*='", "'/='", "'//='", "'%='", "'**='", "'@='", "'->'",
    };
    if (t < LANG_TOK_AND) return names[t];
    if (t < LANG_TOK_COUNT) return lang_keywords[t - LANG_TOK_AND];
    return "?";
}
