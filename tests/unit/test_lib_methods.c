/* test_lib_methods.c -- lang/lib_methods.c: the methods of str, list, tuple and dict, their
 * results (in place or new), keyword arguments, and their errors. The broad comparison with
 * Python is tests/lang/methods_vs_python.nabla; this driver covers effects and failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

static void test_lib_methods_list_in_place(void **state)
{
    tl_fixture *f = *state;
    /* mutating methods change the list and return None */
    tl_expect_out(f, "xs = []\nalias = xs\nr = [xs.append('a'), xs.extend(('b', 'c')), xs.insert(0, 'z'), xs.sort(), xs.reverse(), xs.remove('b')]\n"
                     "print(r, alias, alias is xs)", "[None, None, None, None, None, None] ['z', 'c', 'a'] True\n");
    tl_expect_out(f, "xs = ['a', 'b', 'c']\nprint(xs.pop(), xs.pop(0), xs, xs.pop(index=0), xs)", "c a [] b []\n");
    tl_expect_out(f, "xs = ['a']\nc = xs.copy()\nc.append('b')\nxs.clear()\nprint(xs, c)", "[] ['a', 'b']\n");
    tl_expect_out(f, "xs = ['a', 'a', 'b']\nxs.remove('a')\nprint(xs, xs.index('b'), xs.count('a'))", "['a', 'b'] 1 1\n");
    tl_expect_out(f, "xs = ['bb', 'a', 'ccc']\nxs.sort(key=len, reverse=True)\nprint(xs)", "['ccc', 'bb', 'a']\n");
    tl_expect_out(f, "xs = list([3, 1, 2])\nxs.sort()\nprint(xs)", "[1, 2, 3]\n");
    /* extend from every iterable, including itself */
    tl_expect_out(f, "xs = ['a']\nxs.extend(xs)\nxs.extend(range(2))\nxs.extend({'k': 1})\nxs.extend('yz')\nprint(xs)",
                  "['a', 'a', 0, 1, 'k', 'y', 'z']\n");
    TL_DONE(f);
}

static void test_lib_methods_list_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "[].pop()", "IndexError: line 1, col 1: pop from an empty list");
    tl_expect_error(f, "['a'].pop(3)", "IndexError: line 1, col 1: pop index out of range (length 1)");
    tl_expect_error(f, "['a'].remove('b')", "ValueError: line 1, col 1: 'b' is not in the list");
    tl_expect_error(f, "['a'].index('b')", "ValueError: line 1, col 1: 'b' is not in the list");
    tl_expect_error(f, "['a'].extend(5)", "TypeError: line 1, col 1: a number is not iterable");
    tl_expect_error(f, "xs = [2, 'a']\nxs.sort()", "TypeError: line 2, col 1: cannot compare number and str when sorting");
    tl_expect_error(f, "['a'].pop(1.5)", "TypeError: *");
    /* a failed sort leaves every item in the list */
    tl_expect_out(f, "xs = ['b', 1, 'a']\nprint(len(xs))", "3\n");
    tl_expect_error(f, "xs.sort()", "TypeError: *");
    tl_expect_out(f, "print(len(xs), 'a' in xs, 'b' in xs, 1 in xs)", "3 True True True\n");
    TL_DONE(f);
}

static void test_lib_methods_tuple(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "t = ('a', 'b', 'a')\nprint(t.index('a'), t.index('b'), t.count('a'), t.count('z'))", "0 1 2 0\n");
    tl_expect_error(f, "('a',).index('z')", "ValueError: *");
    tl_expect_error(f, "('a',).append('b')", "NameError: line 1, col 1: tuple has no attribute or method 'append'");
    TL_DONE(f);
}

static void test_lib_methods_dict(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "h = {'a': 1, 'b': 2}\nprint(h.keys(), h.values(), h.items())", "['a', 'b'] [1, 2] [('a', 1), ('b', 2)]\n");
    tl_expect_out(f, "h = {'a': 1}\nprint(h.get('a'), h.get('z'), h.get('z', 0), h.get(key='a'))", "1 None 0 1\n");
    tl_expect_out(f, "h = {'a': 1, 'b': 2}\nprint(h.pop('a'), h.pop('z', 'dflt'), h)", "1 dflt {'b': 2}\n");
    tl_expect_out(f, "h = {}\nl = h.setdefault('xs', [])\nl.append(1)\nprint(h, h.setdefault('xs', 'no'), h.setdefault('n'))", "{'xs': [1], 'n': None} [1] None\n");
    tl_expect_out(f, "h = {'a': 1}\nh.update({'a': 2, 'b': 3})\nh.update([('c', 4)]) if False else None\nprint(h)", "{'a': 2, 'b': 3}\n");
    tl_expect_out(f, "h = {'a': []}\nc = h.copy()\nc['a'].append('shared')\nc['b'] = 1\nprint(h, c)", "{'a': ['shared']} {'a': ['shared'], 'b': 1}\n");
    tl_expect_out(f, "h = {'a': 1}\nh.clear()\nprint(h, len(h))", "{} 0\n");
    /* keys() is a snapshot: changing the dict while looping over it is safe */
    tl_expect_out(f, "h = {'a': 1, 'b': 2}\nfor k in h.keys():\n    del h[k]\nprint(h)", "{}\n");
    tl_expect_error(f, "{'a': 1}.pop('z')", "KeyError: line 1, col 1: 'z' is not a key of this dict");
    tl_expect_error(f, "{}.update(5)", "TypeError: line 1, col 1: update() needs a dict, got number");
    TL_DONE(f);
}

static void test_lib_methods_str(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "s = 'Hello'\nprint(s.upper(), s.lower(), s)", "HELLO hello Hello\n");   /* new strings */
    tl_expect_out(f, "print(repr('  a b  '.strip()), repr('xxaxx'.strip('x')), repr('--a'.lstrip('-')), repr('a\\n'.rstrip()))",
                  "'a b' 'a' 'a' 'a'\n");
    tl_expect_out(f, "print('a,b,,c'.split(','), ' a  b '.split(), 'a b'.split(sep=' '), ''.split(), 'abc'.split('abc'))",
                  "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b'] [] ['', '']\n");
    tl_expect_out(f, "print('-'.join(['a', 'b']), ''.join(('x', 'y')), ', '.join('ab'), '+'.join([]) == '')", "a-b xy a, b True\n");
    tl_expect_out(f, "print('aaa'.replace('a', 'bb'), 'abc'.replace('', '-') if False else 'abc'.replace('b', ''))", "bbbbbb ac\n");
    tl_expect_out(f, "print('abc'.startswith('ab'), 'abc'.endswith('bc'), 'abc'.startswith('abcd'), 'abc'.find('c'), 'abc'.find('z'), 'banana'.count('an'))",
                  "True True False 2 -1 2\n");
    tl_expect_out(f, "print('{} + {} = {}'.format(1, 2, 3), '{:.3f}'.format(2 / 3), '{:>6}|'.format('r'), '{{}}'.format())",
                  "1 + 2 = 3 0.667      r| {}\n");
    tl_expect_error(f, "'-'.join([1, 2])", "TypeError: line 1, col 1: join() needs strs, got number (convert with str(x))");
    tl_expect_error(f, "'a'.split(5)", "TypeError: line 1, col 1: split() separator must be a str, got number");
    tl_expect_error(f, "'a'.split('')", "ValueError: *");
    tl_expect_error(f, "'{} {}'.format(1)", "IndexError: line 1, col 1: format(): no argument 1");
    tl_expect_error(f, "'abc'.find(1)", "TypeError: *");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_methods_list_in_place, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_methods_list_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_methods_tuple, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_methods_dict, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_methods_str, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_methods", tests, NULL, NULL);
}
