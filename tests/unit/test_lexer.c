/* test_lexer.c -- lang/lexer.c: tokens, their positions, Python's NEWLINE/INDENT/DEDENT layout,
 * string and number literals, and lexical errors (with the `incomplete` flag). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lang/lexer.h"

#define MAX_TOKS 256

typedef struct toks {
    lang_token t[MAX_TOKS];
    int n;
    lang_lexer lx;
} toks;

/* Lexes src up to EOF or the first error (included). */
static void lex_all(toks *k, const char *src)
{
    lang_lexer_init(&k->lx, src);
    k->n = 0;
    for (;;) {
        lang_token t = lang_lexer_next(&k->lx);
        assert_true(k->n < MAX_TOKS);
        k->t[k->n++] = t;
        if (t.type == LANG_TOK_EOF || t.type == LANG_TOK_ERROR) break;
    }
}

/* The token types of src, as a space-separated string of lang_tok_name()s without quotes:
 * "name = number end-of-line". Easier to read in a failure than an array of enums. */
static const char *types_of(const char *src)
{
    static char out[4096];
    static toks k;
    lex_all(&k, src);
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < k.n; i++) {
        const char *name;
        switch (k.t[i].type) {
        case LANG_TOK_NEWLINE: name = "NL"; break;
        case LANG_TOK_INDENT: name = "INDENT"; break;
        case LANG_TOK_DEDENT: name = "DEDENT"; break;
        case LANG_TOK_EOF: name = "EOF"; break;
        case LANG_TOK_NAME: name = "NAME"; break;
        case LANG_TOK_NUMBER: name = "NUM"; break;
        case LANG_TOK_STRING: name = "STR"; break;
        case LANG_TOK_FSTRING: name = "FSTR"; break;
        case LANG_TOK_ERROR: name = "ERROR"; break;
        default: name = lang_tok_name(k.t[i].type); break;
        }
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", i ? " " : "", name);
    }
    return out;
}

static void check_tok(const lang_token *t, lang_tok_type type, const char *text, int line, int col)
{
    assert_int_equal(t->type, type);
    if (text) {
        assert_int_equal(t->len, strlen(text));
        assert_memory_equal(t->start, text, t->len);
    }
    assert_int_equal(t->line, line);
    assert_int_equal(t->col, col);
}

static void test_lexer_simple_line(void **state)
{
    toks k;
    lex_all(&k, "x = 3.5 + foo(1)");
    assert_int_equal(k.n, 10);
    check_tok(&k.t[0], LANG_TOK_NAME, "x", 1, 1);
    check_tok(&k.t[1], LANG_TOK_ASSIGN, "=", 1, 3);
    check_tok(&k.t[2], LANG_TOK_NUMBER, "3.5", 1, 5);
    check_tok(&k.t[3], LANG_TOK_PLUS, "+", 1, 9);
    check_tok(&k.t[4], LANG_TOK_NAME, "foo", 1, 11);
    check_tok(&k.t[5], LANG_TOK_LPAREN, "(", 1, 14);
    check_tok(&k.t[6], LANG_TOK_NUMBER, "1", 1, 15);
    check_tok(&k.t[7], LANG_TOK_RPAREN, ")", 1, 16);
    /* the last logical line is closed by a NEWLINE even without a trailing '\n' */
    check_tok(&k.t[8], LANG_TOK_NEWLINE, NULL, 1, 17);
    assert_int_equal(k.t[9].type, LANG_TOK_EOF);
}

static void test_lexer_indent_dedent(void **state)
{
    assert_string_equal(types_of("if x:\n    y\n        z\nw\n"),
                        "if NAME ':' NL INDENT NAME NL INDENT NAME NL DEDENT DEDENT NAME NL EOF");
    /* blocks still open at the end are closed by DEDENTs */
    assert_string_equal(types_of("def f():\n  return 1"),
                        "def NAME '(' ')' ':' NL INDENT return NUM NL DEDENT EOF");
    assert_string_equal(types_of("while a:\n    while b:\n        c\n"),
                        "while NAME ':' NL INDENT while NAME ':' NL INDENT NAME NL DEDENT DEDENT EOF");
    /* one dedent back to an intermediate level */
    assert_string_equal(types_of("a:\n  b:\n    c\n  d\ne\n"),
                        "NAME ':' NL INDENT NAME ':' NL INDENT NAME NL DEDENT NAME NL DEDENT NAME NL EOF");
}

static void test_lexer_indent_positions(void **state)
{
    toks k;
    lex_all(&k, "if x:\n    y\nz\n");
    /* if x : NL INDENT y NL DEDENT z NL EOF */
    check_tok(&k.t[4], LANG_TOK_INDENT, NULL, 2, 5);
    check_tok(&k.t[5], LANG_TOK_NAME, "y", 2, 5);
    check_tok(&k.t[7], LANG_TOK_DEDENT, NULL, 3, 1);
    check_tok(&k.t[8], LANG_TOK_NAME, "z", 3, 1);
}

/* Blank lines, comment-only lines and lone comments never change the layout. */
static void test_lexer_blank_and_comment_lines(void **state)
{
    assert_string_equal(types_of("\n\n# comment\n   \nx = 1  # trailing\n\n"),
                        "NAME '=' NUM NL EOF");
    assert_string_equal(types_of("if a:\n    b\n\n        # deeper comment\n\n    c\n"),
                        "if NAME ':' NL INDENT NAME NL NAME NL DEDENT EOF");
    assert_string_equal(types_of(""), "EOF");
    assert_string_equal(types_of("# only a comment"), "EOF");
    assert_string_equal(types_of("a; b"), "NAME ';' NAME NL EOF");
}

/* Inside brackets newlines and indentation mean nothing. */
static void test_lexer_brackets_join_lines(void **state)
{
    assert_string_equal(types_of("x = [1,\n        2,\n  3]\ny\n"),
                        "NAME '=' '[' NUM ',' NUM ',' NUM ']' NL NAME NL EOF");
    assert_string_equal(types_of("f(a,\n# comment\n  b)\n"),
                        "NAME '(' NAME ',' NAME ')' NL EOF");
    assert_string_equal(types_of("d = {'a':\n 1}\n"), "NAME '=' '{' STR ':' NUM '}' NL EOF");
    /* a backslash continues a line outside brackets */
    assert_string_equal(types_of("x = 1 + \\\n    2\n"), "NAME '=' NUM '+' NUM NL EOF");
    toks k;
    lex_all(&k, "f(a,\n  b)");
    check_tok(&k.t[4], LANG_TOK_NAME, "b", 2, 3);
}

static void test_lexer_tabs(void **state)
{
    /* a tab advances to the next multiple of 8: one tab == eight spaces */
    assert_string_equal(types_of("if a:\n\tb\n        c\n"),
                        "if NAME ':' NL INDENT NAME NL NAME NL DEDENT EOF");
}

static void test_lexer_keywords(void **state)
{
    for (int i = 0; lang_keywords[i]; i++) {
        toks k;
        lex_all(&k, lang_keywords[i]);
        assert_int_equal(k.t[0].type, LANG_TOK_AND + i);
        assert_string_equal(lang_tok_name(k.t[0].type), lang_keywords[i]);
    }
    assert_int_equal(LANG_TOK_AND + 33, LANG_TOK_COUNT);
    /* names that merely start like keywords */
    assert_string_equal(types_of("iffy format none True_ _if"), "NAME NAME NAME NAME NAME NL EOF");
    assert_string_equal(types_of("None True False"), "None True False NL EOF");
}

static void test_lexer_operators(void **state)
{
    assert_string_equal(types_of("a **= b ** c * d"), "NAME '**=' NAME '**' NAME '*' NAME NL EOF");
    assert_string_equal(types_of("a //= b // c / d"), "NAME '//=' NAME '//' NAME '/' NAME NL EOF");
    assert_string_equal(types_of("a == b = c != d"), "NAME '==' NAME '=' NAME '!=' NAME NL EOF");
    assert_string_equal(types_of("a <= b < c << d"), "NAME '<=' NAME '<' NAME '<<' NAME NL EOF");
    assert_string_equal(types_of("a >= b > c >> d"), "NAME '>=' NAME '>' NAME '>>' NAME NL EOF");
    assert_string_equal(types_of("a += b -= c *= d /= e %= f @= g"),
                        "NAME '+=' NAME '-=' NAME '*=' NAME '/=' NAME '%=' NAME '@=' NAME NL EOF");
    assert_string_equal(types_of("-> @ & | ^ ~ % . ; :"),
                        "'->' '@' '&' '|' '^' '~' '%' '.' ';' ':' NL EOF");
    assert_string_equal(types_of("x.T @ w"), "NAME '.' NAME '@' NAME NL EOF");
}

static void test_lexer_numbers(void **state)
{
    const char *good[] = { "0", "42", "3.5", ".5", "5.", "1e10", "1E-3", "2.5e+07", "1_000_000",
                           "0x1F", "0XFF" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        toks k;
        lex_all(&k, good[i]);
        check_tok(&k.t[0], LANG_TOK_NUMBER, good[i], 1, 1);
        assert_int_equal(k.t[1].type, LANG_TOK_NEWLINE);
    }
    /* "1e" and "3abc" are not numbers followed by names */
    toks k;
    lex_all(&k, "x = 1e");
    check_tok(&k.t[2], LANG_TOK_ERROR, "invalid number literal", 1, 5);
    lex_all(&k, "3abc");
    check_tok(&k.t[0], LANG_TOK_ERROR, "invalid number literal", 1, 1);
    /* a method call on a number literal's name is still a dot */
    assert_string_equal(types_of("x.y1"), "NAME '.' NAME NL EOF");
}

static void test_lexer_strings(void **state)
{
    toks k;
    lex_all(&k, "s = 'a' + \"b\\\"c\" + r'\\n' + f\"{x}\"");
    check_tok(&k.t[2], LANG_TOK_STRING, "'a'", 1, 5);
    check_tok(&k.t[4], LANG_TOK_STRING, "\"b\\\"c\"", 1, 11);
    check_tok(&k.t[6], LANG_TOK_STRING, "r'\\n'", 1, 20);
    check_tok(&k.t[8], LANG_TOK_FSTRING, "f\"{x}\"", 1, 28);
    /* prefixes in either case and order */
    assert_string_equal(types_of("R'a' F'b' rf'c' Fr'd' b"), "STR FSTR FSTR FSTR NAME NL EOF");
    /* quotes of the other kind inside, and an embedded quote that is not three */
    lex_all(&k, "'''it's \"x\" ''' z");
    check_tok(&k.t[0], LANG_TOK_STRING, "'''it's \"x\" '''", 1, 1);
    check_tok(&k.t[1], LANG_TOK_NAME, "z", 1, 17);
    /* a '#' inside a string is not a comment */
    assert_string_equal(types_of("'# not a comment' x"), "STR NAME NL EOF");
}

/* A triple-quoted string spans lines: its token is where it starts; the count goes on after. */
static void test_lexer_multiline_string_position(void **state)
{
    toks k;
    lex_all(&k, "x = \"\"\"one\ntwo\nthree\"\"\"\ny\n");
    check_tok(&k.t[4], LANG_TOK_NAME, "y", 4, 1);
    check_tok(&k.t[3], LANG_TOK_NEWLINE, NULL, 3, 9);
    check_tok(&k.t[2], LANG_TOK_STRING, "\"\"\"one\ntwo\nthree\"\"\"", 1, 5);
}

static void test_lexer_errors(void **state)
{
    toks k;
    lex_all(&k, "print(\"abc\n");
    check_tok(&k.t[2], LANG_TOK_ERROR, "unterminated string (missing closing quote)", 1, 7);
    assert_int_equal(k.lx.incomplete, 0);

    lex_all(&k, "x = $");
    check_tok(&k.t[2], LANG_TOK_ERROR, "unexpected character", 1, 5);

    lex_all(&k, "a ! b");
    check_tok(&k.t[1], LANG_TOK_ERROR, "'!' is not an operator here: use 'not' or '!='", 1, 3);

    lex_all(&k, "x = \xc3\xa9");   /* a name may hold non-ASCII letters, as in Python: é */
    assert_int_equal(k.t[2].type, LANG_TOK_NAME);
    assert_int_equal(k.t[2].len, 2);

    lex_all(&k, "if a:\n    b\n  c\n");
    check_tok(&k.t[7], LANG_TOK_ERROR, "unindent does not match any outer indentation level", 3, 3);
}

/* Errors that more input could fix set `incomplete` (the REPL then asks for another line). */
static void test_lexer_incomplete(void **state)
{
    toks k;
    lex_all(&k, "x = (1, 2,\n   3");
    lang_token *e = &k.t[k.n - 1];
    assert_int_equal(e->type, LANG_TOK_ERROR);
    assert_string_equal(e->start, "'(' was never closed");
    assert_int_equal(k.lx.incomplete, 1);
    assert_int_equal(e->line, 1);   /* reported at the bracket, not at the end */
    assert_int_equal(e->col, 5);

    /* an unterminated triple-quoted string is incomplete, and is reported where it starts */
    lex_all(&k, "x = 1\ndoc = \"\"\"never closed\nmore text\n");
    e = &k.t[k.n - 1];
    assert_int_equal(e->type, LANG_TOK_ERROR);
    assert_string_equal(e->start, "unterminated triple-quoted string");
    assert_int_equal(k.lx.incomplete, 1);
    assert_int_equal(e->line, 2);
    assert_int_equal(e->col, 7);
}

static void test_lexer_tok_names(void **state)
{
    assert_string_equal(lang_tok_name(LANG_TOK_EOF), "end of input");
    assert_string_equal(lang_tok_name(LANG_TOK_NEWLINE), "end of line");
    assert_string_equal(lang_tok_name(LANG_TOK_INDENT), "indented block");
    assert_string_equal(lang_tok_name(LANG_TOK_NAME), "name");
    assert_string_equal(lang_tok_name(LANG_TOK_LPAREN), "'('");
    assert_string_equal(lang_tok_name(LANG_TOK_ARROW), "'->'");
    assert_string_equal(lang_tok_name(LANG_TOK_DEF), "def");
    assert_string_equal(lang_tok_name(LANG_TOK_YIELD), "yield");
    assert_string_equal(lang_tok_name(LANG_TOK_COUNT), "?");
}

/* Every token stays inside the source, and its position matches its offset. */
static void test_lexer_positions_match_offsets(void **state)
{
    const char *src = "def f(a, b=2):\n    \"\"\"doc\"\"\"\n    return [a,\n      b] @ w.T\nf(1)\n";
    toks k;
    lex_all(&k, src);
    for (int i = 0; i < k.n; i++) {
        const lang_token *t = &k.t[i];
        if (t->type == LANG_TOK_ERROR) fail_msg("unexpected error token: %s", t->start);
        assert_true(t->start >= src && t->start + t->len <= src + strlen(src));
        int line = 1;
        const char *ls = src;
        for (const char *p = src; p < t->start; p++)
            if (*p == '\n') {
                line++;
                ls = p + 1;
            }
        if (t->type == LANG_TOK_NEWLINE || t->type == LANG_TOK_DEDENT || t->type == LANG_TOK_EOF)
            continue;   /* layout tokens sit at line ends and starts */
        assert_int_equal(t->line, line);
        assert_int_equal(t->col, (int)(t->start - ls) + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_simple_line),
        cmocka_unit_test(test_lexer_indent_dedent),
        cmocka_unit_test(test_lexer_indent_positions),
        cmocka_unit_test(test_lexer_blank_and_comment_lines),
        cmocka_unit_test(test_lexer_brackets_join_lines),
        cmocka_unit_test(test_lexer_tabs),
        cmocka_unit_test(test_lexer_keywords),
        cmocka_unit_test(test_lexer_operators),
        cmocka_unit_test(test_lexer_numbers),
        cmocka_unit_test(test_lexer_strings),
        cmocka_unit_test(test_lexer_multiline_string_position),
        cmocka_unit_test(test_lexer_errors),
        cmocka_unit_test(test_lexer_incomplete),
        cmocka_unit_test(test_lexer_tok_names),
        cmocka_unit_test(test_lexer_positions_match_offsets),
    };
    return cmocka_run_group_tests_name("lexer", tests, NULL, NULL);
}
