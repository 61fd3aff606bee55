/* test_vm_call.c -- lang/vm_call.c: binding arguments to parameters (positional, keyword,
 * defaults) for the program's functions and for builtins, the messages when they do not fit,
 * bound methods as values, and the names of locals and captured variables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/compiler.h"
#include "lang/vm.h"

static void test_vm_call_binding(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "def f(a, b=2, c='c'):\n    return (a, b, c)"), LANG_OK);
    tl_expect_out(f, "print(f(1))", "(1, 2, 'c')\n");
    tl_expect_out(f, "print(f(1, 'x'))", "(1, 'x', 'c')\n");
    tl_expect_out(f, "print(f(1, c=3))", "(1, 2, 3)\n");
    tl_expect_out(f, "print(f(c=None, b=0, a='a'))", "('a', 0, None)\n");
    /* defaults are evaluated once, when the def runs */
    tl_expect_out(f, "k = 1\ndef g(x=k):\n    return x\nk = 2\nprint(g())", "1\n");
    /* a lambda binds the same way */
    tl_expect_out(f, "h = lambda a, b=10: a - b\nprint(h(1), h(b=1, a=5))", "-9 4\n");
    /* keyword arguments reach a function stored in a container */
    tl_expect_out(f, "fs = {'f': f}\nprint(fs['f'](b=5, a=4))", "(4, 5, 'c')\n");
    TL_DONE(f);
}

static void test_vm_call_binding_errors(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "def f(a, b=2):\n    return a\ndef g(a, b, c):\n    return a"), LANG_OK);
    tl_expect_error(f, "f(1, 2, 3)", "TypeError: line 1, col 1: f() takes 2 arguments but 3 were given");
    tl_expect_error(f, "f()", "TypeError: line 1, col 1: f() is missing 1 required argument: 'a'");
    tl_expect_error(f, "g(1)", "TypeError: line 1, col 1: g() is missing 2 required arguments: 'b', 'c'");
    tl_expect_error(f, "f(1, a=2)", "TypeError: line 1, col 1: f() got multiple values for argument 'a'");
    tl_expect_error(f, "f(1, z=2)", "TypeError: line 1, col 1: f() got an unexpected keyword argument 'z'");
    tl_expect_error(f, "f(1, b=2, b=3)", "SyntaxError: line 1, col 13: keyword argument 'b' repeated");
    tl_expect_error(f, "(lambda: 0)(1)", "TypeError: line 1, col 2: <lambda>() takes 0 arguments but 1 was given");
    TL_DONE(f);
}

static void test_vm_call_builtins(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(sorted(['b', 'a', 'c'], reverse=True))", "['c', 'b', 'a']\n");
    tl_expect_out(f, "print(sorted(key=len, items=['ccc', 'a']))", "['a', 'ccc']\n");
    tl_expect_out(f, "print(round(2.567, ndigits=1), round(x=2.5))", "2.6 2\n");
    tl_expect_out(f, "print('a', 'b', sep='-', end='.\\n')", "a-b.\n");
    tl_expect_error(f, "len()", "TypeError: line 1, col 1: len() is missing required argument 'x'");
    tl_expect_error(f, "sorted(['a'], bad=1)", "TypeError: line 1, col 1: sorted() got an unexpected keyword argument 'bad'");
    tl_expect_error(f, "len('a', 'b')", "TypeError: line 1, col 1: len() takes at most 1 argument but 2 were given");
    tl_expect_error(f, "print(sep=1)", "TypeError: line 1, col 1: sep and end must be str, got number");
    TL_DONE(f);
}

static void test_vm_call_methods_as_values(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "xs = []\nadd = xs.append\nadd('a')\nadd('b')\nprint(xs, add)", "['a', 'b'] <built-in method append of list>\n");
    tl_expect_out(f, "split = 'a-b'.split\nprint(split('-'), split(sep='-'))", "['a', 'b'] ['a', 'b']\n");
    tl_expect_out(f, "fs = [str.upper for str in []]\nup = 'abc'.upper\nprint(list(map(lambda g: g(), [up])))", "['ABC']\n");
    tl_expect_error(f, "xs = []\nxs.append()", "TypeError: line 2, col 1: append() is missing required argument 'item'");
    tl_expect_error(f, "xs = []\nxs.append(1, 2)", "TypeError: line 2, col 1: append() takes at most 1 argument but 2 were given");
    TL_DONE(f);
}

static void test_vm_call_not_callable(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "x = 5\nx()", "TypeError: line 2, col 1: a number is not callable");
    tl_expect_error(f, "'abc'()", "TypeError: line 1, col 1: a str is not callable");
    tl_expect_error(f, "[]()", "TypeError: line 1, col 1: a list is not callable");
    tl_expect_error(f, "None()", "TypeError: line 1, col 1: a NoneType is not callable");
    TL_DONE(f);
}

static void test_vm_call_local_names(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = NULL;
    lang_error err;
    assert_int_equal(lang_compile(f->vm, "def outer(a):\n    b = 1\n    def inner(c):\n        return a + b + c\n    return inner\n",
                                  "<t>", 0, &p, &err), LANG_OK);
    lang_proto *outer = NULL, *inner = NULL;
    for (size_t i = 0; i < p->chunk.nconsts; i++)
        if (LANG_IS_TYPE(p->chunk.consts[i], LANG_OBJ_PROTO)) outer = (lang_proto *)p->chunk.consts[i].as.obj;
    assert_non_null(outer);
    for (size_t i = 0; i < outer->chunk.nconsts; i++)
        if (LANG_IS_TYPE(outer->chunk.consts[i], LANG_OBJ_PROTO)) inner = (lang_proto *)outer->chunk.consts[i].as.obj;
    assert_non_null(inner);
    assert_string_equal(lang_local_name(outer, 0), "a");
    assert_string_equal(lang_local_name(inner, 0), "c");
    assert_int_equal(inner->ncaptures, 2);
    const char *f0 = lang_free_name(inner, 0), *f1 = lang_free_name(inner, 1);
    assert_true((strcmp(f0, "a") == 0 && strcmp(f1, "b") == 0) || (strcmp(f0, "b") == 0 && strcmp(f1, "a") == 0));
    lang_decref(f->vm, lang_obj_val(p));
}

/* Many calls in a row (the inline call path) and deep argument lists bind correctly. */
static void test_vm_call_many(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "def add3(a, b, c=0):\n    return a + b + c\ns = 0\nfor i in range(10000):\n    s = add3(s, i, c=1)\nprint(s)",
                  "50005000\n");
    tl_expect_out(f, "def many(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p):\n    return a + p\n"
                     "print(many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))", "17\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_call_binding, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_binding_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_builtins, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_methods_as_values, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_not_callable, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_local_names, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_many, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("vm_call", tests, NULL, NULL);
}
