/*
 * test_lib_autograd_check.c -- lang/lib_autograd_check.c: gradcheck's inputs (one tensor, a
 * number, a tuple or list of tensors, lists, tuples and dicts of them nested), outputs of any
 * shape, its tolerances, its verdicts (True, False, a ValueError naming the worst element by
 * its input and its path there) and its argument errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

static void test_gradcheck_inputs(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(gradcheck(lambda x: x * x, 1.5))", "True\n");
    tl_expect_out(f, "print(gradcheck(lambda x: x.sum() * 2, [1, 2, 3]))", "True\n");
    tl_expect_out(f, "print(gradcheck(lambda a, b: a * b, [tensor([1, 2]), tensor([3, 4])]))", "True\n");
    tl_expect_out(f, "print(gradcheck(lambda a, b, c: a @ b + c, (ones(2, 3), ones(3), 2.0)))", "True\n");
    /* the inputs are copied, never changed */
    tl_expect_out(f, "x = tensor([0.5, 1.5])\ngradcheck(lambda t: exp(t), x)\nprint(x)",
                  "tensor([0.5, 1.5])\n");
    /* an output that does not depend on the input: zero on both sides */
    tl_expect_out(f, "print(gradcheck(lambda t: 7, tensor([1.0])), gradcheck(lambda t: ones(3), tensor([1.0])))",
                  "True True\n");
    TL_DONE(f);
}

static void test_gradcheck_verdicts(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(gradcheck(lambda x: x.detach() * x, tensor([1.0, 2.0]), raise_exception=False))",
                  "False\n");
    tl_expect_error(f, "gradcheck(lambda x: x.detach() * x, tensor([1.0, 2.0]))",
                    "ValueError: line 1, col 1: gradcheck failed: Jacobian mismatch for output "
                    "element 1 with respect to input 0 element 1: backward gives 2, finite "
                    "differences 4 (error 2)");
    /* the worst element is named; a looser tolerance accepts it */
    tl_expect_error(f, "gradcheck(lambda a, b: a.detach() * b + a * b.detach() * 1.001, (tensor([1, 2]), tensor([3, 30])))",
                    "ValueError: line 1, col 1: gradcheck failed: Jacobian mismatch for output "
                    "element 1 with respect to input 0 element 1: *");
    tl_expect_out(f, "print(gradcheck(lambda x: x.detach() * x * 0.001 + x, tensor([1.0]), atol=0.01))",
                  "True\n");
    TL_DONE(f);
}

/* Containers as inputs (lib_autograd_tree.c wraps them): every tensor in them is checked. */
static void test_gradcheck_tree_inputs(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "seed(0)\nX = randn(4, 3)\n"
              "p = {'w1': randn(3, 5), 'b1': randn(5), 'w2': randn(5, 2), 'b2': zeros(2)}\n"
              "def net(q, x):\n    return tanh(x @ q['w1'] + q['b1']) @ q['w2'] + q['b2']");
    tl_expect_out(f, "print(gradcheck(lambda q: mean(net(q, X) ** 2), p))", "True\n");
    tl_expect_out(f, "print(gradcheck(net, (p, X)))", "True\n");
    /* a list of layers as one argument goes in a tuple; nested lists, tuples, dicts */
    tl_expect_out(f, "ls = [{'w': p['w1'], 'b': p['b1']}, ({'w': p['w2']}, p['b2'])]\n"
                     "print(gradcheck(lambda l: tanh(X @ l[0]['w'] + l[0]['b']) @ l[1][0]['w'] + l[1][1], (ls,)))",
                  "True\n");
    /* numbers and lists of numbers are leaves; None and empty containers have no leaves */
    tl_expect_out(f, "print(gradcheck(lambda q: q['s'] * sum(q['v'] ** 2), {'s': 1.5, 'v': [1, 2], 'n': None, 'e': []}))",
                  "True\n");
    tl_expect_out(f, "print(gradcheck(lambda q: 1, ({},)), gradcheck(lambda q: 1, []))", "True True\n");
    /* f changing what it receives moves neither the point checked nor the caller's values */
    tl_expect_out(f, "def grow(q):\n    q['x'] = 1\n    q['w'] += 1\n    q['w'] = q['w'] * 3\n"
                     "    return sum(q['w'] ** 2)\n"
                     "d = {'w': tensor([1.0, 2.0])}\nprint(gradcheck(grow, d), d)",
                  "True {'w': tensor([1., 2.])}\n");
    TL_DONE(f);
}

/* A failure names the leaf: its input, then its path there as grad()'s errors write paths. */
static void test_gradcheck_tree_verdicts(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "def half(t):\n    return t.detach() * t");
    tl_expect_error(f, "gradcheck(lambda q: half(q['a'][1]) + q['a'][0], {'a': [ones(1), tensor([1.0, 2.0])]})",
                    "ValueError: line 1, col 1: gradcheck failed: Jacobian mismatch for output "
                    "element 1 with respect to input 0['a'][1] element 1: backward gives 2, finite "
                    "differences 4 (error 2)");
    tl_expect_error(f, "gradcheck(lambda x, q: x * half(q[(1, 'k')]), (tensor([1.0]), {(1, 'k'): tensor([1.0, 2.0])}))",
                    "ValueError: line 1, col 1: gradcheck failed: Jacobian mismatch for output "
                    "element 1 with respect to input 1[(1, 'k')] element 1: *");
    tl_expect_out(f, "print(gradcheck(lambda q: half(q[0]), ([tensor([1.0, 2.0])],), raise_exception=False))",
                  "False\n");
    /* the plain inputs keep their messages: no path */
    tl_expect_error(f, "gradcheck(lambda a, b: a + half(b), (tensor([1.0]), tensor([1.0, 2.0])))",
                    "ValueError: line 1, col 1: gradcheck failed: Jacobian mismatch for output "
                    "element 1 with respect to input 1 element 1: *");
    TL_DONE(f);
}

static void test_gradcheck_tree_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "gradcheck(lambda q: 1, {'w': ones(2), 'b': [zeros(2), 'bias']})",
                    "TypeError: line 1, col 1: gradcheck() input 0['b'][1] is a str, not a tensor");
    TL_CHECK(f, strstr(f->err.hint, "through a closure") != NULL);
    tl_expect_error(f, "gradcheck(lambda a, q: 1, (ones(1), (ones(1), print)))",
                    "TypeError: line 1, col 1: gradcheck() input 1[1] is a builtin, not a tensor");
    tl_expect_error(f, "gradcheck(lambda x: x, 'a')",
                    "TypeError: line 1, col 1: gradcheck() input 0 is a str, not a tensor");
    tl_expect_error(f, "p = [ones(2)]\np.append(p)\ngradcheck(lambda q: 1, (p,))",
                    "RecursionError: line 3, col 1: gradcheck() input 0 nests containers more than "
                    "100 deep (does a container contain itself?)");
    /* an output that changes size between calls is an error, never a write out of bounds */
    tl_expect_error(f, "n = [0]\ndef shrink(q):\n    n[0] += 1\n    return q['w'] * ones(max(3 - n[0], 0))\n"
                       "gradcheck(shrink, {'w': tensor([1.0])})",
                    "ValueError: line 5, col 1: gradcheck(): f returned shape (1,), and another size before");
    /* grad()'s own hint is unchanged */
    tl_expect_error(f, "grad(lambda q: 1)(['a'])", "TypeError: *");
    TL_CHECK(f, strstr(f->err.hint, "argnums does not name") != NULL);
    TL_DONE(f);
}

static void test_gradcheck_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "gradcheck(lambda x: 'a', 1.0)", "TypeError: line 1, col 1: gradcheck() needs "
                    "f to return a tensor or a number, got str");
    tl_expect_error(f, "gradcheck(lambda x: x, 1.0, eps=0)", "ValueError: line 1, col 1: gradcheck() "
                    "eps must be a positive number");
    tl_expect_error(f, "gradcheck(lambda x: x, 1.0, atol=-1)", "ValueError: line 1, col 1: gradcheck() "
                    "atol must be a positive number");
    tl_expect_error(f, "gradcheck(lambda x: x, ())", "ValueError: line 1, col 1: gradcheck() needs 1 to 16 inputs");
    tl_expect_error(f, "gradcheck(lambda x: x, 'a')", "TypeError: *");
    tl_expect_error(f, "gradcheck(lambda x: x + undefined_name, 1.0)", "NameError: *");
    /* the gradient mode is restored after an error inside f */
    tl_expect_out(f, "print((param(1) * 2).requires_grad)", "True\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gradcheck_inputs, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_verdicts, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_tree_inputs, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_tree_verdicts, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_tree_errors, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_autograd_check", tests, NULL, NULL);
}
