/* test_vm_index.c -- lang/vm_index.c: indexing, index assignment and deletion of lists, tuples,
 * strings, dicts and ranges (also directly through lang_op_get_index and friends); attributes
 * and methods (lang_find_method, lang_attr_names, the NameError for an unknown one); iteration
 * (lang_op_iter/lang_op_next) and unpacking. Slices are checked against Python exhaustively in
 * tests/lang/slice_exhaustive.nabla. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static lang_value global(tl_fixture *f, const char *name)
{
    int g = lang_global_find(f->vm, name);
    if (g < 0) fail_msg("no global %s", name);
    return f->vm->globals.values[g];
}

static const char *repr(lang_value v)
{
    static char s[512];
    lang_buf b = {0};
    lang_value_write(&b, v, 1);
    snprintf(s, sizeof s, "%s", b.data ? b.data : "");
    lang_buf_free(&b);
    return s;
}

static void test_vm_index_get(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "xs = ['a', 'b', 'c']\nprint(xs[0], xs[-1], xs[True], xs[-1.0], xs[2.0])", "a c b c c\n");
    tl_expect_out(f, "t = ('x', 'y')\nprint(t[1], t[-2])", "y x\n");
    tl_expect_out(f, "s = 'h\xc3\xa9\xe2\x88\x87o'\nprint(s[1], s[2], s[-1], len(s))", "\xc3\xa9 \xe2\x88\x87 o 4\n");
    tl_expect_out(f, "r = range(10, 20, 3)\nprint(r[0], r[-1], r[2], len(r))", "10 19 16 4\n");
    tl_expect_out(f, "d = {'k': 'v', 1: 'one', (1, 2): 'pair'}\nprint(d['k'], d[1], d[1.0], d[True], d[(1, 2)])", "v one one one pair\n");
    tl_expect_out(f, "nested = [['a', ['b']], {'k': ('c',)}]\nprint(nested[0][1][0], nested[1]['k'][0])", "b c\n");
    TL_DONE(f);
}

static void test_vm_index_errors(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "xs = ['a', 'b']\nt = ('a',)\ns = 'abc'\nd = {'a': 1}\nr = range(3)"), LANG_OK);
    tl_expect_error(f, "xs[2]", "IndexError: line 1, col 1: list index 2 out of range (length 2)");
    tl_expect_error(f, "xs[-3]", "IndexError: line 1, col 1: list index -3 out of range (length 2)");
    tl_expect_error(f, "t[1]", "IndexError: line 1, col 1: tuple index 1 out of range (length 1)");
    tl_expect_error(f, "s[3]", "IndexError: line 1, col 1: str index 3 out of range (length 3)");
    tl_expect_error(f, "r[3]", "IndexError: line 1, col 1: range index 3 out of range (length 3)");
    tl_expect_error(f, "xs[1.5]", "TypeError: line 1, col 1: an index must be a whole number, got 1.5");
    tl_expect_error(f, "xs['a']", "TypeError: line 1, col 1: list indices must be whole numbers or slices, not str");
    tl_expect_error(f, "d['b']", "KeyError: line 1, col 1: 'b' is not a key of this dict");
    tl_expect_error(f, "d[['x']]", "TypeError: line 1, col 1: a list cannot be a dict key*");
    tl_expect_error(f, "x = 5\nx[0]", "TypeError: line 2, col 1: a number cannot be indexed");
    tl_expect_error(f, "None[0]", "TypeError: line 1, col 1: a NoneType cannot be indexed");
    TL_DONE(f);
}

static void test_vm_index_set_and_del(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "xs = ['a', 'b', 'c']\nxs[0] = 'A'\nxs[-1] = 'C'\nprint(xs)", "['A', 'b', 'C']\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c', 'd']\nxs[1:3] = ['X', 'Y', 'Z']\nprint(xs)", "['a', 'X', 'Y', 'Z', 'd']\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c', 'd']\nxs[::2] = ['1', '2']\nprint(xs)", "['1', 'b', '2', 'd']\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c', 'd']\nxs[:] = []\nprint(xs)", "[]\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c', 'd', 'e']\ndel xs[::2]\nprint(xs)", "['b', 'd']\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c']\ndel xs[-1]\ndel xs[0]\nprint(xs)", "['b']\n");
    tl_expect_out(f, "d = {}\nd['a'] = 1\nd[2] = 'two'\nd['a'] += 1\ndel d[2]\nprint(d)", "{'a': 2}\n");
    tl_expect_error(f, "xs = ['a']\nxs[1] = 'b'", "IndexError: line 2, col 1: list index 1 out of range (length 1)");
    tl_expect_error(f, "xs = ['a', 'b', 'c', 'd']\nxs[::2] = ['1']", "ValueError: *");
    tl_expect_error(f, "t = ('a',)\nt[0] = 'b'", "TypeError: line 2, col 1: a tuple cannot be changed in place; build a new one");
    tl_expect_error(f, "s = 'abc'\ns[0] = 'x'", "TypeError: line 2, col 1: a str cannot be changed in place; build a new one");
    tl_expect_error(f, "r = range(5)\nr[0] = 1", "TypeError: line 2, col 1: a range does not support item assignment");
    tl_expect_error(f, "t = ('a',)\ndel t[0]", "TypeError: line 2, col 5: cannot delete items of a tuple");
    tl_expect_error(f, "d = {}\ndel d['x']", "KeyError: line 2, col 5: 'x' is not a key of this dict");
    TL_DONE(f);
}

/* The same operations through the C entry points the VM uses. */
static void test_vm_index_direct(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "xs = ['a', 'b', 'c']\nd = {'k': 1}"), LANG_OK);
    lang_value xs = global(f, "xs"), d = global(f, "d"), out;
    assert_int_equal(lang_op_get_index(f->vm, xs, lang_num(-1), &out), LANG_OK);
    assert_string_equal(repr(out), "'c'");
    lang_decref(f->vm, out);
    lang_value v = lang_obj_val(lang_str_cstr(f->vm, "new"));
    assert_int_equal(lang_op_set_index(f->vm, xs, lang_num(0), v), LANG_OK);
    assert_string_equal(repr(xs), "['new', 'b', 'c']");
    assert_int_equal(lang_op_set_index(f->vm, d, v, lang_num(2)), LANG_OK);
    assert_string_equal(repr(d), "{'k': 1, 'new': 2}");
    assert_int_equal(lang_op_del_index(f->vm, d, v), LANG_OK);
    assert_int_equal(lang_op_del_index(f->vm, xs, lang_num(1)), LANG_OK);
    assert_string_equal(repr(xs), "['new', 'c']");
    assert_int_equal(lang_op_get_index(f->vm, xs, lang_num(5), &out), LANG_ERR_INDEX);
    lang_decref(f->vm, v);
    /* a slice object */
    lang_slice *sl = lang_slice_new(f->vm, lang_none(), lang_none(), lang_num(-1));
    assert_int_equal(lang_op_get_index(f->vm, xs, lang_obj_val(sl), &out), LANG_OK);
    assert_string_equal(repr(out), "['c', 'new']");
    lang_decref(f->vm, out);
    lang_decref(f->vm, lang_obj_val(sl));
}

static void test_vm_index_attributes(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "up = 'abc'.upper\nprint(up(), type(up))", "ABC method\n");
    tl_expect_out(f, "t = zeros(2, 3)\nprint(t.shape, t.ndim, t.size, t.T.shape, t.dtype)", "[2, 3] 2 6 [3, 2] float32\n");
    tl_expect_error(f, "d = {'a': 1}\nprint(d.a)", "NameError: line 2, col 7: dict has no attribute or method 'a'");
    tl_expect_error(f, "xs = ['a']\nxs.foo = 1", "TypeError: line 2, col 1: cannot set attribute 'foo' on a list");
    tl_expect_error(f, "x = 5\nx.real", "NameError: line 2, col 1: number has no attribute or method 'real'");
    /* lang_find_method and lang_attr_names */
    assert_int_equal(tl_run(f, "s = 'x'\nl = []\nd = {}\nt = ()\nz = zeros(1)"), LANG_OK);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "s"), "split") != NULL);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "s"), "append") == NULL);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "l"), "append") != NULL);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "d"), "items") != NULL);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "t"), "count") != NULL);
    TL_CHECK(f, lang_find_method(f->vm, global(f, "z"), "reshape") != NULL);
    TL_CHECK(f, lang_find_method(f->vm, lang_num(1), "x") == NULL);
    const char *names[64];
    int n = lang_attr_names(f->vm, global(f, "z"), names, 64);
    int has_shape = 0, has_sum = 0;
    for (int i = 0; i < n; i++) {
        has_shape |= strcmp(names[i], "shape") == 0;
        has_sum |= strcmp(names[i], "sum") == 0;
    }
    TL_CHECK(f, has_shape && has_sum);
    TL_CHECK(f, lang_attr_names(f->vm, global(f, "l"), names, 2) == 2);   /* capped */
    TL_CHECK(f, lang_attr_names(f->vm, lang_num(1), names, 64) == 0);
    TL_DONE(f);
}

static void test_vm_index_attribute_hints(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "print('abc'.uper())"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "did you mean 'upper'?");
    assert_int_equal(tl_run(f, "xs = []\nxs.apend(1)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "did you mean 'append'?");
}

static void test_vm_index_iteration(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "for c in 'h\xc3\xa9!':\n    print(c, end='|')\nprint()", "h|\xc3\xa9|!|\n");
    tl_expect_out(f, "d = {'a': 1, 'b': 2}\nfor k in d:\n    d[k + k] = 0\nprint(len(d))", "4\n");   /* a snapshot of the keys */
    tl_expect_out(f, "for x in ('t', None):\n    print(x)", "t\nNone\n");
    tl_expect_out(f, "for i in range(10, 0, -4):\n    print(i)", "10\n6\n2\n");
    tl_expect_error(f, "for x in 5:\n    pass", "TypeError: line 1, col 10: a number is not iterable");
    assert_string_equal(f->err.hint, "to count, write: for i in range(n)");
    tl_expect_error(f, "for x in None:\n    pass", "TypeError: line 1, col 10: a NoneType is not iterable");
    tl_expect_error(f, "t = zeros(2).sum()\nfor x in tensor(3):\n    pass", "TypeError: line 2, col 10: cannot iterate over a 0-d tensor");
    /* through the C entry points */
    assert_int_equal(tl_run(f, "xs = ['p', 'q']"), LANG_OK);
    lang_value it, item;
    assert_int_equal(lang_op_iter(f->vm, global(f, "xs"), &it), LANG_OK);
    double pos = 0;
    lang_status st;
    int n = 0;
    while (lang_op_next(f->vm, it, &pos, &item, &st)) {
        TL_CHECK(f, LANG_IS_STR(item));
        lang_decref(f->vm, item);
        n++;
    }
    TL_CHECK(f, st == LANG_OK && n == 2);
    lang_decref(f->vm, it);
    TL_DONE(f);
}

static void test_vm_index_unpack(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "a, b = 'xy'\nc, d = ['p', 'q']\ne, g = {'k': 1, 'j': 2}\nh, i = range(2)\nprint(a, b, c, d, e, g, h, i)",
                  "x y p q k j 0 1\n");
    tl_expect_out(f, "r1, r2 = zeros(2, 3)\nprint(r1.shape)", "[3]\n");
    tl_expect_error(f, "a, b = 5", "TypeError: line 1, col 1: cannot unpack a number into 2 names");
    tl_expect_error(f, "a, b = ('x',)", "ValueError: line 1, col 1: not enough values to unpack (expected 2, got 1)");
    tl_expect_error(f, "a, b = 'xyz'", "ValueError: line 1, col 1: too many values to unpack (expected 2)");
    lang_value out[2];
    lang_value s = lang_obj_val(lang_str_cstr(f->vm, "ab"));
    assert_int_equal(lang_op_unpack(f->vm, s, 2, out), LANG_OK);
    TL_CHECK(f, LANG_IS_STR(out[0]) && LANG_IS_STR(out[1]));
    lang_decref(f->vm, out[0]);
    lang_decref(f->vm, out[1]);
    lang_decref(f->vm, s);
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_index_get, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_set_and_del, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_direct, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_attributes, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_attribute_hints, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_iteration, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_index_unpack, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("vm_index", tests, NULL, NULL);
}
