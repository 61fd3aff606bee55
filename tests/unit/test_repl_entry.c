/*
 * test_repl_entry.c -- repl/entry.c: how typed lines become entries (with the real
 * lang_is_complete() from libnabla.a).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "repl/entry.c"

static repl_entry_state feed(repl_entry *e, const char *const *lines, size_t n)
{
    repl_entry_state st = REPL_ENTRY_MORE;
    for (size_t i = 0; i < n; i++) st = repl_entry_add(e, lines[i]);
    return st;
}

#define FEED(e, ...) \
    feed((e), (const char *const[]){__VA_ARGS__}, \
         sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_entry_simple_statement_is_complete(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "x = 1"), REPL_ENTRY_COMPLETE);
    assert_string_equal(e.text, "x = 1\n");
    assert_false(repl_entry_is_blank(&e));
    repl_entry_free(&e);
}

static void test_entry_blank_line_is_blank(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "   "), REPL_ENTRY_COMPLETE);
    assert_true(repl_entry_is_blank(&e));
    repl_entry_free(&e);
}

static void test_entry_open_bracket_needs_more(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "x = [1,"), REPL_ENTRY_MORE);
    assert_int_equal(FEED(&e, "2]"), REPL_ENTRY_COMPLETE);   /* no blank line needed */
    assert_string_equal(e.text, "x = [1,\n2]\n");
    repl_entry_reset(&e);
    assert_int_equal(FEED(&e, "y = f(1,", "      2)"), REPL_ENTRY_COMPLETE);   /* aligned */
    repl_entry_free(&e);
}

static void test_entry_block_ends_at_blank_line(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "def f(n):"), REPL_ENTRY_MORE);
    assert_string_equal(e.indent, "    ");
    assert_int_equal(FEED(&e, "    y = n + 1"), REPL_ENTRY_MORE);
    assert_string_equal(e.indent, "    ");
    assert_int_equal(FEED(&e, "    return y"), REPL_ENTRY_MORE);
    assert_int_equal(FEED(&e, "    "), REPL_ENTRY_COMPLETE);   /* whitespace only: blank */
    assert_string_equal(e.text, "def f(n):\n    y = n + 1\n    return y\n\n");
    repl_entry_free(&e);
}

static void test_entry_one_line_block_waits_for_blank(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "if True: x = 1"), REPL_ENTRY_MORE);
    assert_int_equal(FEED(&e, ""), REPL_ENTRY_COMPLETE);
    repl_entry_free(&e);
}

static void test_entry_else_continues_the_block(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "if x > 1:", "    y = 1", "else:"), REPL_ENTRY_MORE);
    assert_int_equal(FEED(&e, "    y = 2", "# a comment", ""), REPL_ENTRY_COMPLETE);
    repl_entry_free(&e);
}

static void test_entry_dedented_line_splits(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "for i in range(3):", "    print(i)"), REPL_ENTRY_MORE);
    assert_int_equal(repl_entry_add(&e, "print(9)"), REPL_ENTRY_SPLIT);
    assert_string_equal(e.text, "for i in range(3):\n    print(i)\n");   /* not added */
    repl_entry_reset(&e);
    assert_int_equal(repl_entry_add(&e, "print(9)"), REPL_ENTRY_COMPLETE);
    repl_entry_free(&e);
}

static void test_entry_no_split_inside_brackets(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "def f():", "    return [1,"), REPL_ENTRY_MORE);
    assert_int_equal(repl_entry_add(&e, "2]"), REPL_ENTRY_MORE);
    assert_int_equal(repl_entry_add(&e, ""), REPL_ENTRY_COMPLETE);
    repl_entry_free(&e);
}

static void test_entry_syntax_error_is_invalid(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "x = )"), REPL_ENTRY_INVALID);
    repl_entry_free(&e);
}

static void test_entry_recalled_multiline_history(void **state)
{
    (void)state;
    repl_entry e;
    repl_entry_init(&e);
    assert_int_equal(FEED(&e, "def g():\n    return 2"), REPL_ENTRY_MORE);
    assert_int_equal(FEED(&e, ""), REPL_ENTRY_COMPLETE);
    assert_string_equal(e.text, "def g():\n    return 2\n\n");
    repl_entry_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_simple_statement_is_complete),
        cmocka_unit_test(test_entry_blank_line_is_blank),
        cmocka_unit_test(test_entry_open_bracket_needs_more),
        cmocka_unit_test(test_entry_block_ends_at_blank_line),
        cmocka_unit_test(test_entry_one_line_block_waits_for_blank),
        cmocka_unit_test(test_entry_else_continues_the_block),
        cmocka_unit_test(test_entry_dedented_line_splits),
        cmocka_unit_test(test_entry_no_split_inside_brackets),
        cmocka_unit_test(test_entry_syntax_error_is_invalid),
        cmocka_unit_test(test_entry_recalled_multiline_history),
    };
    return cmocka_run_group_tests_name("repl_entry", tests, NULL, NULL);
}
