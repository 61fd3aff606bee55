/* test_lib_seq.c -- lang/lib_seq.c: list, tuple, dict, enumerate, zip, sorted, reversed, any,
 * all, map, filter on every iterable kind (str, list, tuple, dict, range, tensor rows), with
 * Python's results, stable sorting, keys and errors raised inside callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

static void test_lib_seq_constructors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(list(), list('ab'), list(('a', 1)), list({'k': 1, 'j': 2}), list(range(3)), list([1, 2]))",
                  "[] ['a', 'b'] ['a', 1] ['k', 'j'] [0, 1, 2] [1, 2]\n");
    tl_expect_out(f, "xs = ['a']\nys = list(xs)\nys.append('b')\nprint(xs, ys, xs is ys)", "['a'] ['a', 'b'] False\n");
    tl_expect_out(f, "print(tuple(), tuple('ab'), tuple(['a']), tuple(range(2)), tuple(zeros(2)))", "() ('a', 'b') ('a',) (0, 1) (0, 0)\n");
    tl_expect_out(f, "print(dict(), dict([('a', 1), ('b', 2)]), dict(['ab', 'cd']), dict({'k': 'v'}), dict(zip('xy', (1, 2))))",
                  "{} {'a': 1, 'b': 2} {'a': 'b', 'c': 'd'} {'k': 'v'} {'x': 1, 'y': 2}\n");
    tl_expect_out(f, "d = {'a': 1}\ne = dict(d)\ne['b'] = 2\nprint(d, e)", "{'a': 1} {'a': 1, 'b': 2}\n");
    tl_expect_error(f, "list(5)", "TypeError: line 1, col 1: a number is not iterable");
    tl_expect_error(f, "dict([('a',)])", "ValueError: line 1, col 1: not enough values to unpack (expected 2, got 1)");
    TL_DONE(f);
}

static void test_lib_seq_enumerate_zip(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(list(enumerate('ab')), list(enumerate(['x'], 10)), list(enumerate([])))",
                  "[(0, 'a'), (1, 'b')] [(10, 'x')] []\n");
    tl_expect_out(f, "for i, row in enumerate(zeros(2, 3)):\n    print(i, row.shape)", "0 [3]\n1 [3]\n");
    tl_expect_out(f, "print(list(zip('abc', (1, 2))), list(zip()), list(zip('ab', 'cd', 'ef')), list(zip([], 'a')))",
                  "[('a', 1), ('b', 2)] [] [('a', 'c', 'e'), ('b', 'd', 'f')] []\n");
    tl_expect_out(f, "names = ['w', 'b']\nvals = [0.5, 0.25]\nfor n, v in zip(names, vals):\n    print(n, v)", "w 0.5\nb 0.25\n");
    TL_DONE(f);
}

static void test_lib_seq_sorted(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(sorted(['b', 'c', 'a']), sorted('cab'), sorted((3, 1, 2)), sorted({'b': 1, 'a': 2}), sorted([]))",
                  "['a', 'b', 'c'] ['a', 'b', 'c'] [1, 2, 3] ['a', 'b'] []\n");
    tl_expect_out(f, "print(sorted([3, 1, 2], reverse=True), sorted(['bb', 'a', 'ccc'], key=len))", "[3, 2, 1] ['a', 'bb', 'ccc']\n");
    /* stable: equal keys keep their order, also reversed */
    tl_expect_out(f, "ps = [('b', 2), ('a', 2), ('c', 1), ('d', 1)]\nprint(sorted(ps, key=lambda p: p[1]))\nprint(sorted(ps, key=lambda p: p[1], reverse=True))",
                  "[('c', 1), ('d', 1), ('b', 2), ('a', 2)]\n[('b', 2), ('a', 2), ('c', 1), ('d', 1)]\n");
    tl_expect_out(f, "print(sorted([(2, 'a'), (1, 'b'), (1, 'a')]))", "[(1, 'a'), (1, 'b'), (2, 'a')]\n");
    /* a larger sort agrees with a simple check */
    tl_expect_out(f, "xs = []\nv = 7\nfor i in range(5000):\n    v = (v * 1103515245 + 12345) % 2147483648\n    xs.append(v % 1000)\n"
                     "s = sorted(xs)\nok = True\nfor i in range(1, len(s)):\n    ok = ok and s[i - 1] <= s[i]\nprint(ok, len(s), sum(s) == sum(xs))",
                  "True 5000 True\n");
    tl_expect_error(f, "sorted([3, 'a'])", "TypeError: line 1, col 1: cannot compare number and str when sorting");
    tl_expect_error(f, "sorted(['b', 'a'], key=lambda s: 1 / 0)", "ValueError: line 1, col 34: division by zero");
    TL_DONE(f);
}

static void test_lib_seq_reversed_any_all(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(list(reversed('abc')), list(reversed((1, 2))), list(reversed(range(3))), list(reversed(['x'])))",
                  "['c', 'b', 'a'] [2, 1] [2, 1, 0] ['x']\n");
    tl_expect_out(f, "print(any([]), all([]), any([0, '', None]), any([0, 'x']), all(['a', 1]), all(['a', 0]))",
                  "False True False True True False\n");
    tl_expect_out(f, "print(any(zeros(3)), all(ones(2)), any('abc'), all(range(1, 4)), any(range(0)))", "False True True True False\n");
    tl_expect_out(f, "print(any(x > 2 for x in range(4)), all(x < 2 for x in range(4)))", "True False\n");
    TL_DONE(f);
}

static void test_lib_seq_map_filter(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(list(map(lambda x: x * 2, range(3))), list(map(str, (1, 2.5))), list(map(len, ['a', 'bb'])))",
                  "[0, 2, 4] ['1', '2.5'] [1, 2]\n");
    tl_expect_out(f, "print(list(filter(lambda s: len(s) > 1, ['a', 'bb', 'ccc'])), list(filter(None, [0, 1, '', 'a', None])))",
                  "['bb', 'ccc'] [1, 'a']\n");
    tl_expect_out(f, "def up(s):\n    return s.upper()\nprint(list(map(up, 'ab')))", "['A', 'B']\n");
    tl_expect_error(f, "list(map(lambda x: x + 1, ['a']))", "TypeError: line 1, col 20: unsupported operand types for +: str and number");
    tl_expect_error(f, "map(5, [1])", "TypeError: *");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_seq_constructors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_seq_enumerate_zip, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_seq_sorted, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_seq_reversed_any_all, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_seq_map_filter, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_seq", tests, NULL, NULL);
}
