/* test_vm_ops.c -- lang/vm_ops.c: the operators' slow paths called directly (lang_op_binary,
 * lang_op_unary, lang_op_compare, lang_op_contains, lang_op_inplace, lang_compare_values) and
 * through programs: strings, lists and tuples as in Python, number edge cases as errors with
 * messages, and a TypeError naming both types for any other mix. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

/* The repr of v, for comparisons (static buffer). */
static const char *repr(lang_value v)
{
    static char s[512];
    lang_buf b = {0};
    lang_value_write(&b, v, 1);
    snprintf(s, sizeof s, "%s", b.data ? b.data : "");
    lang_buf_free(&b);
    return s;
}

static lang_value str(tl_fixture *f, const char *s) { return lang_obj_val(lang_str_cstr(f->vm, s)); }

static void test_vm_ops_binary_direct(void **state)
{
    tl_fixture *f = *state;
    lang_error err;
    f->vm->err = &err;
    lang_value a = str(f, "ab"), b = str(f, "cd"), out;
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_ADD, a, b, NULL, &out), LANG_OK);
    assert_string_equal(repr(out), "'abcd'");
    lang_decref(f->vm, out);
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_MUL, a, lang_num(3), NULL, &out), LANG_OK);
    assert_string_equal(repr(out), "'ababab'");
    lang_decref(f->vm, out);
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_MUL, lang_num(0), a, NULL, &out), LANG_OK);
    assert_string_equal(repr(out), "''");
    lang_decref(f->vm, out);
    /* number op number also works here (the VM inlines it, builtins may not) */
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_FLOORDIV, lang_num(-7), lang_num(2), NULL, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == -4);
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_MOD, lang_num(-7), lang_num(3), NULL, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 2);
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_POW, lang_num(2), lang_num(10), NULL, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 1024);
    /* errors name the operator and both types */
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_SUB, a, b, NULL, &out), LANG_ERR_TYPE);
    assert_string_equal(err.msg, "unsupported operand types for -: str and str");
    assert_int_equal(lang_op_binary(f->vm, LANG_OP_DIV, lang_num(1), lang_num(0), NULL, &out), LANG_ERR_VALUE);
    assert_string_equal(err.msg, "division by zero");
    lang_decref(f->vm, a);
    lang_decref(f->vm, b);
    f->vm->err = NULL;
}

static void test_vm_ops_sequences(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(['a'] + ['b', 'c'], ('a',) + ('b',), 'x' + 'y')", "['a', 'b', 'c'] ('a', 'b') xy\n");
    tl_expect_out(f, "print(['a'] * 2, 2 * ('x', 'y'), 'ab' * 2, ['a'] * 0, 'ab' * -1 == '')", "['a', 'a'] ('x', 'y', 'x', 'y') abab [] True\n");
    tl_expect_out(f, "x = ['a']\nx += ('b',)\nprint(x)", "['a', 'b']\n");
    tl_expect_error(f, "print('a' * 2.5)", "TypeError: line 1, col 7: can only repeat a str a whole number of times");
    tl_expect_error(f, "print(['a'] + ('b',))", "TypeError: line 1, col 7: unsupported operand types for +: list and tuple");
    tl_expect_error(f, "print(('a',) - ('a',))", "TypeError: line 1, col 7: unsupported operand types for -: tuple and tuple");
    tl_expect_error(f, "print({} + {})", "TypeError: line 1, col 7: unsupported operand types for +: dict and dict");
    tl_expect_error(f, "print(None + 1)", "TypeError: line 1, col 7: unsupported operand types for +: NoneType and number");
    tl_expect_error(f, "x = 'a' * 10000000000000", "MemoryError: *");
    TL_DONE(f);
}

static void test_vm_ops_number_edges(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(7.5 // 2, -7.5 % 2, -7 // 2.0, 7.0 % -2, 5.5 % 2)", "3 0.5 -4 -1 1.5\n");
    tl_expect_out(f, "print(1e300 * 1e300, 10 ** 400, (-8) ** 0.5, -0.0)", "inf inf nan 0\n");
    tl_expect_out(f, "print(5 & 3, 5 | 3, 5 ^ 3, ~5, ~-1, 1 << 10, 1024 >> 3, -1 >> 5)", "1 7 6 -6 0 1024 128 -1\n");
    tl_expect_error(f, "print(1 // 0)", "ValueError: line 1, col 7: division by zero");
    tl_expect_error(f, "print(5 % 0.0)", "ValueError: line 1, col 7: division by zero");
    tl_expect_error(f, "print(0 ** -1)", "ValueError: line 1, col 7: 0 cannot be raised to a negative power");
    tl_expect_error(f, "print(2.5 & 1)", "TypeError: line 1, col 7: & needs whole numbers");
    tl_expect_error(f, "print(~1.5)", "TypeError: line 1, col 7: ~ needs a whole number");
    tl_expect_error(f, "print(1 << 100)", "ValueError: line 1, col 7: shift count 100 out of range");
    tl_expect_error(f, "print(-'a')", "TypeError: line 1, col 7: bad operand type for unary -: str");
    tl_expect_error(f, "print(~None)", "TypeError: line 1, col 7: bad operand type for unary ~: NoneType");
    TL_DONE(f);
}

static void test_vm_ops_unary_direct(void **state)
{
    tl_fixture *f = *state;
    lang_value out;
    assert_int_equal(lang_op_unary(f->vm, LANG_OP_NEG, lang_bool(1), &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == -1);
    assert_int_equal(lang_op_unary(f->vm, LANG_OP_POS, lang_num(2.5), &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 2.5);
    assert_int_equal(lang_op_unary(f->vm, LANG_OP_INVERT, lang_num(0), &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == -1);
    assert_int_equal(lang_op_unary(f->vm, LANG_OP_NEG, lang_none(), &out), LANG_ERR_TYPE);
}

static void test_vm_ops_compare(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print('a' < 'b', 'B' < 'a', 'ab' < 'abc', ('a', 1) < ('a', 2), ['a'] <= ['a'], (1,) > ())",
                  "True True True True True True\n");
    tl_expect_out(f, "print(1 == 1.0, 1 == True, None == None, 'a' == 'a', ('a',) == ('a',), ['a'] != ['b'])",
                  "True True True True True True\n");
    tl_expect_out(f, "print(1 == '1', None == 0, [] == (), {} == [], 'a' != 1)", "False False False False True\n");
    tl_expect_out(f, "print(float('nan') == float('nan'), float('nan') < 1, -0.0 == 0.0)", "False False True\n");
    tl_expect_out(f, "print({'a': ['x']} == {'a': ['x']}, {'a': 1} == {'a': 2}, {'a': 1, 'b': 2} == {'b': 2, 'a': 1})",
                  "True False True\n");
    tl_expect_error(f, "print({'a': 1} < {'b': 2})", "TypeError: line 1, col 7: '<' is not supported between dict and dict");
    tl_expect_error(f, "print(None < 1)", "TypeError: line 1, col 7: '<' is not supported between NoneType and number");
    tl_expect_error(f, "print('a' >= 1)", "TypeError: line 1, col 7: '>=' is not supported between str and number");
    tl_expect_error(f, "print(('a', 1) < ('a', 'b'))", "TypeError: *");
    /* lang_compare_values: -1, 0, 1, or 2 when not comparable */
    lang_value a = str(f, "a"), b = str(f, "b");
    TL_CHECK(f, lang_compare_values(a, b) == -1);
    TL_CHECK(f, lang_compare_values(b, a) == 1);
    TL_CHECK(f, lang_compare_values(a, a) == 0);
    TL_CHECK(f, lang_compare_values(lang_num(2), lang_num(1)) == 1);
    TL_CHECK(f, lang_compare_values(lang_bool(1), lang_num(1)) == 0);
    TL_CHECK(f, lang_compare_values(a, lang_num(1)) == 2);
    TL_CHECK(f, lang_compare_values(lang_none(), lang_none()) == 2 || lang_compare_values(lang_none(), lang_none()) == 0);
    lang_value out;
    TL_CHECK(f, lang_op_compare(f->vm, LANG_OP_LE, a, b, &out) == LANG_OK && LANG_IS_BOOL(out) && out.as.boolean);
    TL_CHECK(f, lang_op_compare(f->vm, LANG_OP_EQ, a, lang_num(1), &out) == LANG_OK && LANG_IS_BOOL(out) && !out.as.boolean);
    lang_decref(f->vm, a);
    lang_decref(f->vm, b);
    TL_DONE(f);
}

static void test_vm_ops_contains(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print('b' in 'abc', 'bc' in 'abc', '' in 'abc', 'x' not in 'abc')", "True True True True\n");
    tl_expect_out(f, "print('a' in ['a'], 1 in ('x', 1.0), 'k' in {'k': 0}, 0 in {'k': 0}, None in [None])", "True True True False True\n");
    tl_expect_out(f, "print(3 in range(5), 5 in range(5), 4 in range(0, 9, 2), 3 in range(0, 9, 2), 2.5 in range(5))",
                  "True False True False False\n");
    tl_expect_out(f, "print(2 in [1, 2, 3], 7 in zeros(2))", "True False\n");
    tl_expect_error(f, "print(1 in 'abc')", "TypeError: line 1, col 7: 'in <str>' needs a str on the left, got number");
    tl_expect_error(f, "print(1 in 5)", "TypeError: line 1, col 7: 'in' needs a list, tuple, dict, str, range or tensor*");
    lang_value hay = str(f, "haystack"), needle = str(f, "st");
    int r = -1;
    assert_int_equal(lang_op_contains(f->vm, hay, needle, &r), LANG_OK);
    assert_int_equal(r, 1);
    lang_decref(f->vm, hay);
    lang_decref(f->vm, needle);
    TL_DONE(f);
}

static void test_vm_ops_inplace_direct(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "xs = ['a']"), LANG_OK);
    lang_value xs = f->vm->globals.values[lang_global_find(f->vm, "xs")];
    lang_value more = str(f, "bc"), out;
    /* list += str extends by its characters, in place */
    assert_int_equal(lang_op_inplace(f->vm, LANG_OP_ADD, xs, more, &out), LANG_OK);
    assert_ptr_equal(out.as.obj, xs.as.obj);
    lang_decref(f->vm, out);
    assert_string_equal(repr(xs), "['a', 'b', 'c']");
    /* str += str makes a new string */
    assert_int_equal(lang_op_inplace(f->vm, LANG_OP_ADD, more, more, &out), LANG_OK);
    assert_string_equal(repr(out), "'bcbc'");
    assert_ptr_not_equal(out.as.obj, more.as.obj);
    lang_decref(f->vm, out);
    lang_decref(f->vm, more);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_ops_binary_direct, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_sequences, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_number_edges, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_unary_direct, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_compare, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_contains, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_ops_inplace_direct, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("vm_ops", tests, NULL, NULL);
}
