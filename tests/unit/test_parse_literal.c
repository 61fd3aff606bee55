/* test_parse_literal.c -- lang/parse_literal.c: string escapes, adjacent literals joined,
 * f-string parts and fields, numbers with underscores and hex, the arena, and the errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lang/ast.h"

/* The expression of the program's first statement. */
static lang_node *first_expr(lang_arena *a, const char *src)
{
    lang_node *prog;
    lang_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(lang_parse(src, "<t>", a, &prog, &err), LANG_OK);
    assert_true(prog->n >= 1 && prog->list[0]->kind == LANG_N_EXPR);
    return prog->list[0]->a;
}

static void test_parse_literal_strings(void **state)
{
    lang_arena a = {0};
    lang_node *n = first_expr(&a, "'a\\tb\\n\\x41\\u00e9\\U0001F600'");
    assert_int_equal(n->kind, LANG_N_STR);
    assert_string_equal(n->str, "a\tb\nA\xc3\xa9\xf0\x9f\x98\x80");
    n = first_expr(&a, "r'a\\n' \"b\" '''c'''");   /* raw, then joined */
    assert_string_equal(n->str, "a\\nbc");
    assert_int_equal(n->slen, 5);
    n = first_expr(&a, "'a\\x00b'");                /* a NUL inside a str is kept */
    assert_int_equal(n->slen, 3);
    lang_arena_free(&a);
}

static void test_parse_literal_fstrings(void **state)
{
    lang_arena a = {0};
    lang_node *n = first_expr(&a, "f'x={x + 1:.2f} {y!r} {{}}'");
    assert_int_equal(n->kind, LANG_N_FSTR);
    assert_int_equal(n->n, 5);   /* "x=", {x + 1:.2f}, " ", {y!r}, " {}" */
    assert_int_equal(n->list[1]->kind, LANG_N_FORMAT);
    assert_string_equal(n->list[1]->str, ".2f");
    assert_int_equal(n->list[1]->a->kind, LANG_N_BINOP);
    assert_int_equal(n->list[3]->flag, 1);
    assert_string_equal(n->list[4]->str, " {}");
    n = first_expr(&a, "'a' f'{b}' 'c'");           /* plain and f-strings join */
    assert_int_equal(n->kind, LANG_N_FSTR);
    assert_int_equal(n->n, 3);
    lang_arena_free(&a);
}

static void test_parse_literal_numbers(void **state)
{
    lang_arena a = {0};
    assert_true(first_expr(&a, "1_000_000")->num == 1e6);
    assert_true(first_expr(&a, "0x1F")->num == 31);
    assert_true(first_expr(&a, "2.5e-3")->num == 2.5e-3);
    assert_true(first_expr(&a, ".5")->num == 0.5);
    lang_arena_free(&a);
}

static void test_parse_literal_errors(void **state)
{
    const char *bad[][2] = {
        { "f'{}'", "empty expression in f-string braces" },
        { "f'a}'", "single '}' is not allowed in an f-string: write '}}'" },
        { "f'{x'", "f-string: expected '}'" },
        { "0x", "invalid number literal" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lang_arena a = {0};
        lang_node *prog;
        lang_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(lang_parse(bad[i][0], "<t>", &a, &prog, &err), LANG_ERR_SYNTAX);
        assert_string_equal(err.msg, bad[i][1]);
        lang_arena_free(&a);
    }
}

/* Big allocations get blocks of their own; everything is freed at once. */
static void test_parse_literal_arena(void **state)
{
    lang_arena a = {0};
    char *small = lang_arena_alloc(&a, 10), *big = lang_arena_alloc(&a, 100000);
    assert_non_null(small);
    assert_non_null(big);
    assert_int_equal(((uintptr_t)big) % 16, 0);
    for (int i = 0; i < 100000; i++) assert_int_equal(big[i], 0);   /* zeroed */
    lang_arena_free(&a);
    assert_null(a.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_literal_strings),
        cmocka_unit_test(test_parse_literal_fstrings),
        cmocka_unit_test(test_parse_literal_numbers),
        cmocka_unit_test(test_parse_literal_errors),
        cmocka_unit_test(test_parse_literal_arena),
    };
    return cmocka_run_group_tests_name("parse_literal", tests, NULL, NULL);
}
