/*
 * test_lib_autograd.c -- lang/lib_autograd.c and the autograd routing of lib_tensor*.c, through
 * a real VM: param, backward, grad, value_and_grad (JAX style, also over a dict of params; the
 * container cases are in test_lib_autograd_tree.c), no_grad (also left by break, return and
 * errors), printing, in-place updates, which builtins record, errors, and the cost of the
 * plain path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "tests/unit/test_lang.h"
#include "lang/lib_tensor.h"

static void test_lib_autograd_param(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "w = param([1, 2])\nprint(w, w.grad, w.requires_grad, w.is_leaf)",
                  "tensor([1., 2.], requires_grad=True) None True True\n");
    tl_expect_out(f, "t = ones(2)\np = param(t)\np[0] = 5\nprint(t[0], p.is_leaf)", "1 True\n");
    tl_expect_out(f, "print(param(param(3)).is_leaf, repr(param(True)))",
                  "True tensor(1., requires_grad=True)\n");
    tl_expect_error(f, "param('a')", "TypeError: line 1, col 1: param() needs a tensor, a number or a list of numbers, got str");
    TL_DONE(f);
}

/* Every builtin and operator that has a gradient records on a param; the rest do not. */
static void test_lib_autograd_routing(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "w = param([[1.0, -2.0], [3.0, 0.5]])\nv = param([1.0, 2.0])");
    static const char *const recorded[] = {
        "w + 1", "1 - w", "w * v", "w / 2", "2 ** w", "w ** 2", "-w", "w @ v", "v @ w", "w @ w",
        "matmul(w, w)", "exp(w)", "log(v)", "sqrt(v)", "tanh(w)", "sigmoid(w)", "relu(w)", "abs(w)",
        "sin(w)", "cos(w)", "square(w)", "w.tanh()", "w.sigmoid()", "w.relu()", "w.square()",
        "w.exp()", "w.abs()", "sum(w)", "w.sum(axis=0)", "mean(w, axis=1)", "max(w)", "min(w, axis=0)",
        "std(w)", "var(w, axis=1, keepdims=True)", "w.max()", "w[0]", "w[:, 1]", "w[0, 1]",
        "w[w > 0]", "w[[1, 1]]", "w.T", "transpose(w)", "reshape(w, (4,))", "w.reshape(1, 4)",
        "flatten(w)", "concat([w, w])", "stack([v, v])", "softmax(w)", "log_softmax(w, axis=0)",
        "where(w > 0, w, 0)", "clip(w, 0, 1)", "w.clip(0)", "maximum(w, v)", "minimum(w, 1)",
        "w % 2", "sum([v, v])",
    };
    for (size_t i = 0; i < sizeof recorded / sizeof recorded[0]; i++) {
        char src[160];
        snprintf(src, sizeof src, "print((%s).requires_grad)", recorded[i]);
        tl_expect_out(f, src, "True\n");
    }
    static const char *const plain[] = {
        "w > 0", "w == v", "w // 2", "argmax(w, axis=0)", "w.argmin(axis=0)", "round(w)", "w.copy()",
        "tensor(w)", "w.detach()", "one_hot(tensor([0, 1]), 2)", "w.item() if False else w[0].detach()",
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        char src[160];
        snprintf(src, sizeof src, "print((%s).requires_grad)", plain[i]);
        tl_expect_out(f, src, "False\n");
    }
    /* plain tensors keep giving numbers for full reductions and full indexing */
    tl_expect_out(f, "t = tensor([[1, 2], [3, 4]])\nprint(sum(t), t[1, 1], t @ t[0] @ t[1])",
                  "10 4 59\n");
    TL_DONE(f);
}

static void test_lib_autograd_backward(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "w = param([1, 2, 3])\nl = sum(w ** 2)\nl.backward()\nprint(w.grad)\n"
                     "l = mean(w)\nl.backward()\nprint(w.grad)",
                  "tensor([2., 4., 6.])\ntensor([2.3333333, 4.3333335, 6.3333335])\n");
    tl_expect_out(f, "w.zero_grad()\nprint(w.grad)\n(w * 2).backward([1, 1, 2])\nprint(w.grad)",
                  "tensor([0., 0., 0.])\ntensor([2., 2., 4.])\n");
    /* a loop of training steps; every iteration builds and frees its own graph */
    tl_expect_out(f, "w = param(0.0)\nfor i in range(200):\n    l = (w - 3) ** 2\n"
                     "    l.backward()\n    w -= 0.1 * w.grad\n    w.zero_grad()\n"
                     "print(round(w.item(), 4), w.is_leaf)", "3 True\n");
    tl_expect_error(f, "param([1, 2]).sum().backward([1, 2])",
                    "ShapeError: line 1, col 1: backward() gradient has shape (2,) but the tensor has shape ()");
    tl_expect_error(f, "tensor([1]).backward()", "ValueError: line 1, col 1: backward() needs a "
                    "tensor that requires grad: this one was not computed from any param()");
    TL_DONE(f);
}

/* no_grad is left whichever way the block ends: break, return, an error. */
static void test_lib_autograd_no_grad(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "w = param([1.0])");
    tl_expect_out(f, "with no_grad():\n    a = w * 2\n    with no_grad():\n        b = w * 2\n"
                     "    c = w * 2\nprint(a.requires_grad, b.requires_grad, c.requires_grad, (w * 2).requires_grad)",
                  "False False False True\n");
    tl_expect_out(f, "def g():\n    with no_grad():\n        return 1\ng()\nprint((w * 2).requires_grad)",
                  "True\n");
    tl_expect_error(f, "with no_grad():\n    x = 1 / tensor('a')", "TypeError: *");
    tl_expect_out(f, "print((w * 2).requires_grad)", "True\n");
    tl_expect_out(f, "print(no_grad())", "<no_grad>\n");
    tl_expect_out(f, "with no_grad() as n:\n    print(n)", "None\n");
    TL_DONE(f);
}

static void test_lib_autograd_grad(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(grad(lambda x: sum(exp(x)))(tensor([0, 1])))",
                  "tensor([1.       , 2.7182817])\n");
    tl_expect_out(f, "print(grad(lambda x, y: x * y + y, argnums=[1, 0])(2, 5))", "(3, 5)\n");
    tl_expect_out(f, "print(value_and_grad(lambda x: x[0] * x[1])(tensor([2, 3])))",
                  "(6, tensor([3., 2.]))\n");
    tl_expect_out(f, "print(value_and_grad(lambda x: x * 2)(tensor([1.5])))",
                  "(tensor([3.]), tensor([2.]))\n");
    /* f is kept alive by the function grad returns */
    tl_expect_out(f, "def h(x):\n    return x * x\ndh = grad(h)\ndel h\nprint(dh(3))", "6\n");
    /* a grad function in a reference cycle is collected */
    tl_expect_out(f, "cyc = ['x']\ncyc.append(grad(lambda x: len(cyc) * x))\nprint(cyc[1](2.0))\ncyc = None",
                  "2\n");
    tl_expect_error(f, "grad(lambda x: x, argnums=(0, 0))", "ValueError: line 1, col 1: grad() argnums repeats 0");
    tl_expect_error(f, "grad(lambda x: x, argnums=-1)", "ValueError: line 1, col 1: grad() argnums must "
                    "be argument positions (0, 1, ...), got -1");
    tl_expect_error(f, "grad(lambda x: x, argnums=1.5)", "TypeError: line 1, col 1: grad() argnums must "
                    "be a whole number, got 1.5");
    tl_expect_error(f, "value_and_grad(lambda x: 'a')(1)", "TypeError: line 1, col 1: "
                    "value_and_grad() needs f to return a number or a tensor, got str");
    tl_expect_error(f, "grad(lambda x: x)(1, y=2)", "TypeError: *");
    TL_DONE(f);
}

/* The JAX training step over a dict of parameters: grads come back as a dict. */
static void test_lib_autograd_grad_dict(void **state)
{
    tl_fixture *f = *state;
    tl_run(f, "x = tensor([[1.0, 2.0], [3.0, 4.0]])\ny = tensor([[1.0], [2.0]])\n"
              "params = {'w': zeros(2, 1), 'b': zeros(1)}\n"
              "def loss(p, x, y):\n    return mean((x @ p['w'] + p['b'] - y) ** 2)");
    /* dw = 2/n x^T (xw + b - y) = -(x^T y) = [-7, -10]; db = -mean(2y) = -3 */
    tl_expect_out(f, "g = grad(loss)(params, x, y)\nprint(g['w'].T, g['b'])",
                  "tensor([[ -7., -10.]]) tensor([-3.])\n");
    tl_expect_out(f, "for i in range(300):\n    l, g = value_and_grad(loss)(params, x, y)\n"
                     "    params = {k: params[k] - 0.05 * g[k] for k in params}\n"
                     "print(l < 1e-3, list(params.keys()))", "True ['w', 'b']\n");
    /* a list of tensors of one shape is a list of leaves, no longer stacked into one tensor */
    tl_expect_out(f, "print(grad(lambda p: sum(p[0] - p[1]))([ones(2), ones(2)]))",
                  "[tensor([1., 1.]), tensor([-1., -1.])]\n");
    TL_DONE(f);
}

static void test_lib_autograd_printing(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "w = param(zeros(2, 2))\nprint(w)\nprint(w @ w)\nprint([w[0]])",
                  "tensor([[0., 0.],\n        [0., 0.]], requires_grad=True)\n"
                  "tensor([[0., 0.],\n        [0., 0.]], grad_fn=<matmul>)\n"
                  "[tensor([0., 0.], grad_fn=<index>)]\n");
    tl_expect_out(f, "print(f'{sum(w)}', str(w.sum()))",
                  "tensor(0., grad_fn=<sum>) tensor(0., grad_fn=<sum>)\n");
    TL_DONE(f);
}

/* x op= y: in place on plain tensors and params, x = x op y on recorded results. */
static void test_lib_autograd_inplace(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "w = param([1.0, 2.0])\nalias = w\nw += 1\nprint(alias is w, w.is_leaf, alias)",
                  "True True tensor([2., 3.], requires_grad=True)\n");
    tl_expect_out(f, "h = w * 1\nalias = h\nh *= w\nprint(alias is h, h)",
                  "False tensor([4., 9.], grad_fn=<multiply>)\n");
    tl_expect_out(f, "t = zeros(2)\nt += w\nprint(t.requires_grad, t)",
                  "True tensor([2., 3.], grad_fn=<add>)\n");
    tl_expect_out(f, "t = zeros(2)\nwith no_grad():\n    t += w\nprint(t.requires_grad, t)",
                  "False tensor([2., 3.])\n");
    TL_DONE(f);
}

/* w.grad = None / a tensor, w.requires_grad = True/False, t.graph(). */
static void test_lib_autograd_attributes(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "w = param([1.0, 2.0])\nsum(w * w).backward()\nw.grad = None\nprint(w.grad)\n"
                     "g = tensor([1, 1])\nw.grad = g\nsum(w).backward()\nprint(w.grad, g)",
                  "None\ntensor([2., 2.]) tensor([1., 1.])\n");
    tl_expect_out(f, "t = ones(2)\nt.requires_grad = True\nprint(t.is_leaf, (t * 2).requires_grad)\n"
                     "t.requires_grad = False\nprint(t)", "True True\ntensor([1., 1.])\n");
    tl_expect_out(f, "x = ones(4, 3)\nv = param(ones(3, 2))\nprint(mean(relu(x @ v)).graph())\n"
                     "print(repr(x.graph()))",
                  "mean () <- (4, 2)\nrelu (4, 2) <- (4, 2)\nmatmul (4, 2) <- (4, 3) (3, 2)*\n''\n");
    tl_expect_error(f, "w.grad = [1, 2, 3]", "ShapeError: line 1, col 1: grad must have the "
                    "tensor's shape (2,), got (3,)");
    tl_expect_error(f, "(w * 2).requires_grad = False", "ValueError: line 1, col 2: requires_grad "
                    "can only be set on a tensor that was not computed from a param() (use detach() first)");
    tl_expect_error(f, "w.requires_grad = 1", "TypeError: line 1, col 1: requires_grad must be True "
                    "or False, got number");
    tl_expect_error(f, "w.shape = 3", "TypeError: line 1, col 1: cannot set attribute 'shape' on a tensor");
    TL_DONE(f);
}

/* y = x + x on 10 floats: the plain path pays one requires_grad test, no more. */
static void test_lib_autograd_plain_speed(void **state)
{
    tl_fixture *f = *state;
    struct timespec a, b;
    tl_run(f, "x = ones(10)\ny = x");
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(tl_run(f, "for i in range(200000):\n    y = x + x"), LANG_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 2e5;
    print_message("y = x + x: %.0f ns per iteration\n", ns);
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(ns < 1000);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_autograd_param, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_routing, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_backward, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_no_grad, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_grad, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_grad_dict, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_printing, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_inplace, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_attributes, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_autograd_plain_speed, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_autograd", tests, NULL, NULL);
}
