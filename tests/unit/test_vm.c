/* test_vm.c -- lang/vm.c: the interpreter loop. The fused fast paths (number arithmetic,
 * in-place updates of locals and globals, compare-and-jump, for loops over ranges) agree with
 * the general ones; the stack and call frames are clean after every eval, also after errors;
 * the recursion limit is an error the VM recovers from; lang_call_value calls programs' functions
 * from C; interrupts stop loops and calls. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

/* After every eval, nothing is left on the value stack and no frame is active. */
static void expect_clean(tl_fixture *f)
{
    TL_CHECK(f, f->vm->sp == f->vm->stack);
    TL_CHECK(f, f->vm->nframes == 0);
}

static void test_vm_number_fast_paths(void **state)
{
    tl_fixture *f = *state;
    /* the same arithmetic through globals, locals, constants and loop variables */
    tl_expect_out(f, "a = 7\nb = -2\nprint(a + b, a - b, a * b, a / b, a // b, a % b, a ** b, a + 1, a - 1, 1 - a)",
                  "5 9 -14 -3.5 -4 -1 0.02040816326530612 8 6 -6\n");
    tl_expect_out(f, "def g(a, b):\n    return (a + b, a - b, a * b, a / b, a // b, a % b, a ** b, a + 1, a - 1, 1 - a)\nprint(g(7, -2))",
                  "(5, 9, -14, -3.5, -4, -1, 0.02040816326530612, 8, 6, -6)\n");
    /* compare-and-jump against constants and variables, both ways */
    tl_expect_out(f, "def cmp(x):\n    r = ''\n    if x < 3: r += 'a'\n    if x <= 3: r += 'b'\n    if x > 3: r += 'c'\n"
                     "    if x >= 3: r += 'd'\n    if x == 3: r += 'e'\n    if x != 3: r += 'f'\n    if 3 < x: r += 'g'\n    return r\n"
                     "print(cmp(2), cmp(3), cmp(4), cmp(3.5))", "abf bde cdfg cdfg\n");
    /* a comparison that is not of numbers goes the slow way */
    tl_expect_out(f, "def cmp2(x, y):\n    return 'lt' if x < y else 'ge'\nprint(cmp2('a', 'b'), cmp2('b', 'a'), cmp2(1, 2))", "lt ge lt\n");
    /* bools in arithmetic are numbers */
    tl_expect_out(f, "t = True\nprint(t + 1, t * 2.5, -t, t / 2)", "2 2.5 -1 0.5\n");
    expect_clean(f);
    TL_DONE(f);
}

static void test_vm_inplace_paths(void **state)
{
    tl_fixture *f = *state;
    /* globals and locals, numbers, strings, lists (in place: aliases see it), tuples (not) */
    tl_expect_out(f, "g = 0\nfor i in range(5):\n    g += i\nh = 2\nh *= h\nh -= 1\nh /= 2\nprint(g, i, h)", "10 4 1.5\n");
    tl_expect_out(f, "def loop():\n    tot = 0\n    for i in range(5):\n        tot += i\n    k = 1\n    while k < 100:\n"
                     "        k *= 3\n    s = 'a'\n    s += s\n    return tot, k, s\nprint(loop())", "(10, 243, 'aa')\n");
    tl_expect_out(f, "a = ['x']\nb = a\na += ['y']\nprint(a, b, a is b)", "['x', 'y'] ['x', 'y'] True\n");
    tl_expect_out(f, "def f():\n    c = ['x']\n    d = c\n    c += ['y']\n    return d\nprint(f())", "['x', 'y']\n");
    tl_expect_out(f, "x = (1,)\ny = x\nx += (2,)\nprint(x, y)", "(1, 2) (1,)\n");
    tl_expect_out(f, "s = 'a'\ns2 = s\ns += 'b'\nprint(s, s2)", "ab a\n");
    tl_expect_out(f, "t = zeros(2)\nu = t\nt += 1\nprint(u)", "tensor([1., 1.])\n");
    /* local op= local and global op= global */
    tl_expect_out(f, "def ll(a, b):\n    a += b\n    a *= b\n    return a\nprint(ll(2, 3), ll('x', 'y') if False else 0)", "15 0\n");
    tl_expect_out(f, "p = 2\nq = 5\np += q\np **= p\nprint(p)", "823543\n");
    /* a failed in-place update leaves the variable as it was */
    tl_expect_error(f, "v = 'a'\nv += 1", "TypeError: line 2, col 1: unsupported operand types for +: str and number");
    tl_expect_out(f, "print(v)", "a\n");
    expect_clean(f);
    TL_DONE(f);
}

static void test_vm_for_loops(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "for i in range(3, 0, -1):\n    print(i, end=' ')\nprint()", "3 2 1 \n");
    tl_expect_out(f, "for i in range(0):\n    print('never')\nprint('done')", "done\n");
    tl_expect_out(f, "def f():\n    out = []\n    for i in range(2):\n        for j in range(2):\n            out.append((i, j))\n    return out\nprint(f())",
                  "[(0, 0), (0, 1), (1, 0), (1, 1)]\n");
    /* the loop variable keeps its last value; a break leaves it where it was */
    tl_expect_out(f, "for k in range(10):\n    if k == 4:\n        break\nprint(k)", "4\n");
    /* a big loop runs (and is fast enough not to time out) */
    tl_expect_out(f, "n = 0\nfor i in range(1000000):\n    n += 1\nprint(n)", "1000000\n");
    expect_clean(f);
    TL_DONE(f);
}

/* After an error anywhere (deep in calls, in a loop, in a builtin), the VM is clean and usable. */
static void test_vm_clean_after_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "def a(x):\n    return b(x) + 1\ndef b(x):\n    return [x, 'y'] + x\nfor i in range(3):\n    print(a(i))",
                    "TypeError: line 4, col 12: unsupported operand types for +: list and number");
    expect_clean(f);
    tl_expect_error(f, "xs = ['a']\nfor i in range(5):\n    xs[i]", "IndexError: line 3, col 5: list index 1 out of range (length 1)");
    expect_clean(f);
    tl_expect_error(f, "print(1, 2, len(5))", "TypeError: *");
    expect_clean(f);
    tl_expect_out(f, "print(a(1) if False else 'usable')", "usable\n");
    expect_clean(f);
    /* the call trace of an error names the functions, innermost first */
    assert_int_equal(tl_run(f, "def inner():\n    return 1 / 0\ndef outer():\n    return inner()\nouter()"), LANG_ERR_VALUE);
    assert_string_equal(f->err.trace, "  in inner, called from line 4\n  in outer, called from line 5\n");
    TL_DONE(f);
}

static void test_vm_recursion_limit(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\nprint(depth(900))", "900\n");
    tl_expect_error(f, "print(depth(5000))", "RecursionError: line 2, col 33: maximum recursion depth exceeded (1000 nested calls)");
    assert_non_null(strstr(f->err.hint, "depth"));
    expect_clean(f);
    /* unbounded recursion through a builtin that calls back (sorted's key) */
    tl_expect_error(f, "def k(x):\n    return sorted(['a', 'b'], key=k)\nk(1)", "RecursionError: *");
    expect_clean(f);
    /* and the VM still works at full depth afterwards */
    tl_expect_out(f, "print(depth(900))", "900\n");
    /* many arguments and locals per frame still hit the limit, not the end of the stack */
    tl_expect_error(f, "def wide(a, b, c, d, e, f, g, h):\n    x1 = x2 = x3 = x4 = x5 = x6 = x7 = x8 = [a]\n"
                       "    return wide(a, b, c, d, e, f, g, h)\nwide(1, 2, 3, 4, 5, 6, 7, 8)", "RecursionError: *");
    expect_clean(f);
    TL_DONE(f);
}

/* lang_call_value: C calls a function the program defined (how sorted/map call keys). */
static void test_vm_call_value(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "def scale(x, k=10):\n    return x * k\ndef bad(x):\n    return x + 'a'"), LANG_OK);
    int g = lang_global_find(f->vm, "scale");
    assert_true(g >= 0);
    lang_value args[2] = { lang_num(4), lang_num(0.5) };
    lang_value out;
    lang_error err;
    memset(&err, 0, sizeof err);
    f->vm->err = &err;
    assert_int_equal(lang_call_value(f->vm, f->vm->globals.values[g], 1, args, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 40);
    assert_int_equal(lang_call_value(f->vm, f->vm->globals.values[g], 2, args, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 2);
    /* errors come back as a status */
    int b = lang_global_find(f->vm, "bad");
    assert_int_equal(lang_call_value(f->vm, f->vm->globals.values[b], 1, args, &out), LANG_ERR_TYPE);
    assert_int_equal(lang_call_value(f->vm, f->vm->globals.values[g], 0, args, &out), LANG_ERR_TYPE);
    /* builtins too */
    int l = lang_global_find(f->vm, "abs");
    lang_value neg = lang_num(-3);
    assert_int_equal(lang_call_value(f->vm, f->vm->globals.values[l], 1, &neg, &out), LANG_OK);
    assert_true(LANG_IS_NUM(out) && out.as.num == 3);
    /* a number is not callable */
    assert_int_equal(lang_call_value(f->vm, lang_num(1), 0, NULL, &out), LANG_ERR_TYPE);
    f->vm->err = NULL;
    assert_true(f->vm->sp == f->vm->stack);
}

static int polls;
static int stop_after_some(void *ud)
{
    (void)ud;
    return ++polls > 2;
}

/* An interrupt stops a long loop inside nested calls; the VM is clean and usable after it. */
static void test_vm_interrupt_in_calls(void **state)
{
    tl_fixture f = {0};
    lang_host h = tl_host(&f);
    h.poll = stop_after_some;
    f.vm = lang_vm_new(&h);
    polls = 0;
    lang_interrupt_clear();
    lang_status st = lang_eval(f.vm, "def spin():\n    while True:\n        pass\ndef outer():\n    return spin()\nouter()", "<t>", 0, &f.err);
    assert_int_equal(st, LANG_ERR_INTERRUPT);
    assert_true(f.vm->sp == f.vm->stack);
    assert_int_equal(f.vm->nframes, 0);
    lang_interrupt_clear();
    polls = -1000000;
    assert_int_equal(lang_eval(f.vm, "print('after')", "<t>", 0, &f.err), LANG_OK);
    assert_string_equal(f.out.data, "after\n");
    /* a loop of calls without backward jumps in the callee still polls */
    polls = 0;
    lang_interrupt_clear();
    st = lang_eval(f.vm, "def one():\n    return 1\nfor i in range(100000000):\n    one()", "<t>", 0, &f.err);
    assert_int_equal(st, LANG_ERR_INTERRUPT);
    lang_interrupt_clear();
    lang_vm_free(f.vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_number_fast_paths, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_inplace_paths, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_for_loops, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_clean_after_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_recursion_limit, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_call_value, tl_setup, tl_teardown),
        cmocka_unit_test(test_vm_interrupt_in_calls),
    };
    return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
