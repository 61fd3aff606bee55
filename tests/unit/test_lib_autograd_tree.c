/*
 * test_lib_autograd_tree.c -- lang/lib_autograd_tree.c through grad() and value_and_grad():
 * list, tuple and dict arguments (nested) get gradients of the same structure; which values
 * are leaves; the caller's values are never changed; paths in errors; the depth limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

/* The gradient has the argument's containers: list, tuple, dict (keys in order, any key). */
static void test_lib_autograd_tree_structure(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "w = tensor([1.0, 2.0])\nv = tensor([3.0, 4.0])");
    tl_expect_out(f, "print(grad(lambda p: sum(p[0] * p[1]))([w, v]))",
                  "[tensor([3., 4.]), tensor([1., 2.])]\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p[0] * p[1]))((w, v)))",
                  "(tensor([3., 4.]), tensor([1., 2.]))\n");
    /* a deleted key leaves a hole in the dict's entries: skipped, order kept */
    tl_expect_out(f, "d = {'z': w, 'gone': 1, 'a': v}\ndel d['gone']\nd['m'] = 2.0\n"
                     "print(grad(lambda p: sum(p['z'] * p['a']) * p['m'])(d))",
                  "{'z': tensor([6., 8.]), 'a': tensor([2., 4.]), 'm': 11}\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p[1] * p[(2, 3)]))({1: w, (2, 3): v}))",
                  "{1: tensor([3., 4.]), (2, 3): tensor([1., 2.])}\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p['a'][0][1]['b'] ** 2))({'a': [(1.0, {'b': w})]}))",
                  "{'a': [(0, {'b': tensor([2., 4.])})]}\n");
    TL_DONE(f);
}

/* Leaves: tensors, numbers, bools, lists of numbers only (a tensor); None and empty stay. */
static void test_lib_autograd_tree_leaves(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "w = tensor([1.0, 2.0])\nr = list(range(3))");
    tl_expect_out(f, "print(grad(lambda p: p[0] * p[1] * 2)([3.0, w[0]]))", "tensor([2., 6.])\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p[0]) * p[1])([w, 3.0]))", "[tensor([3., 3.]), 3]\n");
    tl_expect_out(f, "print(grad(lambda p: p[1] * 2 + sum(p[0]))([w, True]))",
                  "[tensor([1., 1.]), 2]\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p['x'] * p['x']))({'x': r}), r)",
                  "{'x': tensor([0., 2., 4.])} [0, 1, 2]\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p))(r), grad(lambda p: sum(p))((1, 2)))",
                  "tensor([1., 1., 1.]) tensor([1., 1.])\n");
    tl_expect_out(f, "print(grad(lambda p: sum(p[0]))([w, None, [], (), {}]))",
                  "[tensor([1., 1.]), None, [], (), {}]\n");
    tl_expect_out(f, "print(grad(lambda p: 0)([]), grad(lambda p: 1)({'n': None}))", "[] {'n': None}\n");
    /* f sees params: fresh leaves that record */
    tl_expect_out(f, "print(grad(lambda p: p[0].is_leaf * p[0].requires_grad * sum(p[0]))([w]))",
                  "[tensor([1., 1.])]\n");
    TL_DONE(f);
}

/* Nothing of the caller's changes: not its containers, not its params' .grad. */
static void test_lib_autograd_tree_isolation(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "w = param([1.0, 2.0])\nps = [w, {'b': zeros(2)}]\nseen = []\n"
              "def f(p):\n    seen.append(p is ps)\n    p.append(1)\n    p[1]['b'] = p[1]['b'] * 4\n"
              "    p[0] = p[0] * 3\n    return sum(p[0]) + sum(p[1]['b'])");
    tl_expect_out(f, "print(grad(f)(ps))", "[tensor([3., 3.]), {'b': tensor([4., 4.])}]\n");
    tl_expect_out(f, "print(seen, len(ps), ps[0] is w, w.grad, ps[1]['b'])",
                  "[False] 2 True None tensor([0., 0.])\n");
    /* the caller changing its own container during f does not change the gradient */
    tl_run(f, "g = {'a': ones(2)}\ndef h(p):\n    g['new'] = 5\n    return sum(p['a'])");
    tl_expect_out(f, "print(grad(h)(g), len(g))", "{'a': tensor([1., 1.])} 2\n");
    /* many calls: every copy and param is released (asan checks) */
    tl_expect_out(f, "for i in range(50):\n    r = value_and_grad(lambda p: sum(p['a'][0]))({'a': [ones(3)]})\n"
                     "print(r)", "(3, {'a': [tensor([1., 1., 1.])]})\n");
    TL_DONE(f);
}

/* argnums: containers anywhere, a tuple of gradients, value_and_grad's value first. */
static void test_lib_autograd_tree_argnums(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "def f(a, p, c):\n    return sum(p[0] * a) + p[1]['k'] * c");
    tl_expect_out(f, "print(grad(f, argnums=1)(tensor([1, 2]), [tensor([3, 4]), {'k': 2.0}], 5))",
                  "[tensor([1., 2.]), {'k': 5}]\n");
    tl_expect_out(f, "print(value_and_grad(f, argnums=(1, 0))(tensor([1, 2]), [tensor([3, 4]), {'k': 2.0}], 5))",
                  "(21, ([tensor([1., 2.]), {'k': 5}], tensor([3., 4.])))\n");
    TL_DONE(f);
}

static void test_lib_autograd_tree_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "grad(lambda p: 1)({'w': ones(2), 'b': [zeros(2), 'bias']})",
                    "TypeError: line 1, col 1: grad() argument 0['b'][1] is a str, not a tensor");
    TL_CHECK(f, strstr(f->err.hint, "argnums does not name") != NULL);
    tl_expect_error(f, "value_and_grad(lambda a, p: 1, argnums=1)(0, (ones(1), print))",
                    "TypeError: line 1, col 1: value_and_grad() argument 1[1] is a builtin, not a tensor");
    tl_expect_error(f, "grad(lambda p: 1)([Dense(2)])",
                    "TypeError: line 1, col 1: grad() argument 0[0] is a Dense, not a tensor");
    tl_expect_error(f, "grad(lambda p: 1)({(1, 'k'): range(3)})",
                    "TypeError: line 1, col 1: grad() argument 0[(1, 'k')] is a range, not a tensor");
    tl_expect_error(f, "grad(lambda p: 1)('abc')",
                    "TypeError: line 1, col 1: grad() argument 0 is a str, not a tensor");
    tl_expect_error(f, "grad(lambda p: 1)({'x': [list(range(2)), list(range(3))]})",
                    "ValueError: line 1, col 1: grad() argument 0['x'] needs a rectangular list: "
                    "row 1 has 3 items, row 0 has 2");
    tl_expect_error(f, "p = [ones(2)]\np.append(p)\ngrad(lambda q: 1)(p)",
                    "RecursionError: line 3, col 1: grad() argument 0 nests containers more than "
                    "100 deep (does a container contain itself?)");
    tl_expect_error(f, "d = {}\nd['me'] = [d]\ngrad(lambda q: 1)(d)", "RecursionError: *");
    /* 100 containers deep is fine, 101 is not */
    tl_expect_out(f, "p = ones(1)\nfor i in range(100):\n    p = [p]\ng = grad(lambda q: 1)(p)\n"
                     "for i in range(100):\n    g = g[0]\nprint(g)", "tensor([0.])\n");
    tl_expect_error(f, "grad(lambda q: 1)([p])", "RecursionError: *");
    /* an error in the second argument releases what the first made */
    tl_expect_error(f, "grad(lambda a, b: 1, argnums=(0, 1))([ones(2)], {'s': 'x'})",
                    "TypeError: line 1, col 1: grad() argument 1['s'] is a str, not a tensor");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_autograd_tree_structure, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_tree_leaves, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_tree_isolation, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_tree_argnums, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_tree_errors, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_autograd_tree", tests, NULL, NULL);
}
