/*
 * test_lib_tensor.c -- lang/lib_tensor.c and lib_tensor_builtins.c through a real VM: every tensor
 * builtin and method, the operators, indexing and index assignment, with exact outputs and
 * error messages. Expected tensors were produced with NumPy (float32) where the semantics agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lang/nabla.h"
#include "lang/lib_tensor.h"

/* A buffer host: print appends to `out`. */
typedef struct test_buf {
    char data[1 << 16];
    size_t len;
} test_buf;

static void buf_print(void *ud, const char *s, size_t n)
{
    test_buf *b = ud;
    if (b->len + n >= sizeof b->data) n = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

typedef struct fixture {
    lang_vm *vm;
    test_buf out;
    lang_error err;
    int failures;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    lang_host host = { .ud = &f->out, .print = buf_print, .warn = buf_print };
    if (!f) return -1;
    f->vm = lang_vm_new(&host);
    *state = f;
    return f->vm ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lang_vm_free(f->vm);
    free(f);
    return 0;
}

/* Runs src; returns its status, with the output in f->out and any error in f->err. */
static lang_status run(fixture *f, const char *src)
{
    f->out.len = 0;
    f->out.data[0] = '\0';
    memset(&f->err, 0, sizeof f->err);
    return lang_eval(f->vm, src, "<test>", 0, &f->err);
}

/* Each check reports a mismatch and counts it; a test fails at its end if any check failed, so
 * one run shows every wrong case of a group. */
static void expect_out(fixture *f, const char *src, const char *want)
{
    lang_status st = run(f, src);
    if (st != LANG_OK) {
        print_error("--- program:\n%s\n--- failed: %s: %s\n\n", src, lang_status_name(f->err.kind),
                    f->err.msg);
        f->failures++;
    } else if (strcmp(f->out.data, want) != 0) {
        print_error("--- program:\n%s\n--- printed:\n%s--- expected:\n%s\n", src, f->out.data, want);
        f->failures++;
    }
}

/* want is "Kind: message", or "Kind: *" to check the kind only. */
static void expect_error(fixture *f, const char *src, const char *want)
{
    char got[1024];
    size_t n = strlen(want);
    if (run(f, src) == LANG_OK) {
        print_error("--- program:\n%s\n--- succeeded, expected %s\n\n", src, want);
        f->failures++;
        return;
    }
    snprintf(got, sizeof got, "%s: %s", lang_status_name(f->err.kind), f->err.msg);
    int match = n >= 1 && want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 : strcmp(got, want) == 0;
    if (!match) {
        print_error("--- program:\n%s\n--- error:    %s\n--- expected: %s\n\n", src, got, want);
        f->failures++;
    }
}
/* bracket literals of numbers are tensors; other lists stay lists */
static void test_lib_tensor_literals(void **state)
{
    fixture *f = *state;
    expect_out(f, "print([1, 2, 3])",
               "tensor([1., 2., 3.])\n");
    expect_out(f, "print([[1, 2], [3, 4]])",
               "tensor([[1., 2.],\n        [3., 4.]])\n");
    expect_out(f, "print([[[1], [2]], [[3], [4]]])",
               "tensor([[[1.],\n         [2.]],\n\n        [[3.],\n         [4.]]])\n");
    expect_out(f, "print([[1, 2], [3]])",
               "[tensor([1., 2.]), tensor([3.])]\n");
    expect_out(f, "print([])",
               "[]\n");
    expect_out(f, "print([1, True])",
               "[1, True]\n");
    expect_out(f, "print([0.1, 2.5e-07])",
               "tensor([1.0e-01, 2.5e-07])\n");
    assert_int_equal(f->failures, 0);
}

/* tensor(): numbers, lists, tuples, copies; ragged lists */
static void test_lib_tensor_tensor(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(tensor(3))",
               "tensor(3.)\n");
    expect_out(f, "print(tensor((1, 2.5)))",
               "tensor([1. , 2.5])\n");
    expect_out(f, "print(tensor([[1, 2], [3, 4]]))",
               "tensor([[1., 2.],\n        [3., 4.]])\n");
    expect_out(f, "print(tensor(range(4)))",
               "tensor([0., 1., 2., 3.])\n");
    expect_out(f, "print(tensor(True))",
               "tensor(1.)\n");
    expect_out(f, "a = [1, 2]\nb = tensor(a)\nb[0] = 5\nprint(a, b)",
               "tensor([1., 2.]) tensor([5., 2.])\n");
    expect_out(f, "l = []\nl.append(1)\nl.append(2.5)\nprint(tensor(l))",
               "tensor([1. , 2.5])\n");
    expect_out(f, "print(tensor([(1, 2), (3, 4)]).shape)",
               "[2, 2]\n");
    expect_error(f, "tensor([[1, 2], [3, 4, 5]])",
               "ValueError: tensor() needs a rectangular list: row 1 has 3 items, row 0 has 2");
    expect_error(f, "tensor([[1, 2], 3])",
               "ValueError: tensor() needs a rectangular list: row 1 is a number, row 0 has 2 items");
    expect_error(f, "tensor([\"a\"])",
               "TypeError: tensor() needs numbers, got str");
    expect_error(f, "tensor(\"abc\")",
               "TypeError: tensor() needs a tensor, a number or a list of numbers, got str");
    assert_int_equal(f->failures, 0);
}

/* zeros ones full eye arange linspace */
static void test_lib_tensor_creation(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(zeros(2, 3))",
               "tensor([[0., 0., 0.],\n        [0., 0., 0.]])\n");
    expect_out(f, "print(zeros((2, 3)).shape, zeros([2, 3]).shape, zeros(4).shape)",
               "[2, 3] [2, 3] [4]\n");
    expect_out(f, "print(zeros())",
               "tensor(0.)\n");
    expect_out(f, "print(ones(2))",
               "tensor([1., 1.])\n");
    expect_out(f, "print(ones((2, 1)))",
               "tensor([[1.],\n        [1.]])\n");
    expect_out(f, "print(full((2, 2), 7))",
               "tensor([[7., 7.],\n        [7., 7.]])\n");
    expect_out(f, "print(full(3, 0.5))",
               "tensor([0.5, 0.5, 0.5])\n");
    expect_out(f, "print(eye(2))",
               "tensor([[1., 0.],\n        [0., 1.]])\n");
    expect_out(f, "print(eye(2, 3))",
               "tensor([[1., 0., 0.],\n        [0., 1., 0.]])\n");
    expect_out(f, "print(arange(5))",
               "tensor([0., 1., 2., 3., 4.])\n");
    expect_out(f, "print(arange(1, 5, 0.5))",
               "tensor([1. , 1.5, 2. , 2.5, 3. , 3.5, 4. , 4.5])\n");
    expect_out(f, "print(arange(3, 0, -1))",
               "tensor([3., 2., 1.])\n");
    expect_out(f, "print(linspace(0, 1, 5))",
               "tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])\n");
    expect_out(f, "print(linspace(0, 1).shape)",
               "[50]\n");
    expect_error(f, "zeros(2.5)",
               "TypeError: zeros() shape must be whole numbers, got 2.5");
    expect_error(f, "zeros(2, -1)",
               "ValueError: zeros() shape cannot have negative sizes, got -1");
    expect_error(f, "zeros(\"a\")",
               "TypeError: zeros() shape must be whole numbers, got str");
    expect_error(f, "ones((2, \"a\"))",
               "TypeError: ones() shape must be whole numbers, got str");
    expect_error(f, "zeros(100000, 100000, 100000)",
               "MemoryError: *");
    expect_error(f, "eye(-1)",
               "ValueError: eye() n cannot be negative, got -1");
    expect_error(f, "zeros(1e20)",
               "MemoryError: zeros() shape has a size of 1e+20: too large to allocate");
    expect_error(f, "arange(0, 1, 0)",
               "ValueError: *");
    expect_error(f, "full((2, 2), \"x\")",
               "TypeError: full() fill_value must be a number, got str");
    expect_error(f, "linspace(0, 1, 2.5)",
               "TypeError: linspace() num must be a whole number, got 2.5");
    assert_int_equal(f->failures, 0);
}

/* rand randn randint seed */
static void test_lib_tensor_random(void **state)
{
    fixture *f = *state;
    expect_out(f, "seed(3)\na = rand(2, 3)\nseed(3)\nb = rand(2, 3)\nprint(a.shape, allclose(a, b), min(a) >= 0, max(a) < 1)",
               "[2, 3] True True True\n");
    expect_out(f, "seed(1)\nx = randn(2000)\nprint(abs(mean(x)) < 0.1, abs(std(x) - 1) < 0.1)",
               "True True\n");
    expect_out(f, "seed(2)\nr = randint(0, 10, (100,))\nprint(r.shape, min(r), max(r), allclose(r, round(r)))",
               "[100] 0 9 True\n");
    expect_out(f, "seed(2)\nr = randint(3, size=50)\nprint(min(r), max(r))",
               "0 2\n");
    expect_out(f, "seed(5)\nx = randint(5)\nprint(x >= 0 and x < 5, x == round(x))",
               "True True\n");
    expect_out(f, "seed(7)\na = rand()\nb = randn()\nseed(7)\nprint(a == rand(), b == randn(), a < 1)",
               "True True True\n");
    expect_out(f, "seed(4)\na = randn(3)\nb = randn(3)\nprint(allclose(a, b))",
               "False\n");
    expect_error(f, "randint(5, 5)",
               "ValueError: *");
    expect_error(f, "seed(1.5)",
               "TypeError: seed() must be a whole number, got 1.5");
    expect_error(f, "seed(1e300)",
               "ValueError: seed() is out of range, got 1e+300");
    assert_int_equal(f->failures, 0);
}

/* shape reshape transpose flatten concat stack and the attributes */
static void test_lib_tensor_shape_ops(void **state)
{
    fixture *f = *state;
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.shape, m.ndim, m.size, m.dtype)",
               "[2, 3] 2 6 float32\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(shape(m), shape(5), shape([[1, 2]]))",
               "[2, 3] [] [1, 2]\n");
    expect_out(f, "t = arange(6)\nprint(reshape(t, (2, 3)))",
               "tensor([[0., 1., 2.],\n        [3., 4., 5.]])\n");
    expect_out(f, "t = arange(6)\nprint(t.reshape(3, 2))",
               "tensor([[0., 1.],\n        [2., 3.],\n        [4., 5.]])\n");
    expect_out(f, "t = arange(6)\nprint(t.reshape((3, 2)).shape, t.reshape(-1, 2).shape, reshape(t, [6, 1]).shape)",
               "[3, 2] [3, 2] [6, 1]\n");
    expect_error(f, "reshape(arange(6), (4, 2))",
               "ShapeError: cannot reshape a tensor of 6 elements into shape (4, 2)");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(transpose(m))",
               "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.T)",
               "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.transpose(1, 0).shape, transpose(zeros(2, 3, 4), (1, 0, 2)).shape, zeros(2, 3, 4).transpose().shape)",
               "[3, 2] [3, 2, 4] [4, 3, 2]\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\ntranspose(m, (0,))",
               "ValueError: transpose() axes must name each of the 2 dimensions once, got 1 axes");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(flatten(m))",
               "tensor([1., 2., 3., 4., 5., 6.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.flatten())",
               "tensor([1., 2., 3., 4., 5., 6.])\n");
    expect_out(f, "print(concat([ones(2, 2), zeros(1, 2)]))",
               "tensor([[1., 1.],\n        [1., 1.],\n        [0., 0.]])\n");
    expect_out(f, "print(concat([ones(2, 2), zeros(2, 1)], axis=1))",
               "tensor([[1., 1., 0.],\n        [1., 1., 0.]])\n");
    expect_out(f, "print(concat((tensor([1, 2]), tensor([3]))))",
               "tensor([1., 2., 3.])\n");
    expect_out(f, "print(stack([ones(2), zeros(2)]))",
               "tensor([[1., 1.],\n        [0., 0.]])\n");
    expect_out(f, "print(stack([ones(2), zeros(2)], axis=1))",
               "tensor([[1., 0.],\n        [1., 0.]])\n");
    expect_out(f, "print(stack([[1, 2], [3, 4]], axis=1))",
               "tensor([[1., 3.],\n        [2., 4.]])\n");
    expect_error(f, "concat([ones(2, 2), zeros(2, 3)])",
               "ShapeError: *");
    expect_error(f, "concat(5)",
               "TypeError: concat() needs a list of tensors, got number");
    expect_error(f, "stack([])",
               "ValueError: stack() needs a non-empty list of tensors");
    assert_int_equal(f->failures, 0);
}

/* sum mean max min argmax argmin std var, NumPy on tensors */
static void test_lib_tensor_reductions(void **state)
{
    fixture *f = *state;
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(sum(m), sum(m, axis=(0, 1)), m.sum())",
               "21 21 21\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(sum(m, axis=0))",
               "tensor([5., 7., 9.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(sum(m, 1))",
               "tensor([ 6., 15.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(sum(m, axis=1, keepdims=True))",
               "tensor([[ 6.],\n        [15.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.sum(axis=0))",
               "tensor([5., 7., 9.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(mean(m), m.mean())",
               "3.5 3.5\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(mean(m, axis=0))",
               "tensor([2.5, 3.5, 4.5])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(max(m), min(m), m.max(), m.min())",
               "6 1 6 1\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(max(m, axis=0))",
               "tensor([4., 5., 6.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(max(m, 1))",
               "tensor([3., 6.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(max(m, axis=1, keepdims=True))",
               "tensor([[3.],\n        [6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(min(m, axis=1))",
               "tensor([1., 4.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.min(axis=1))",
               "tensor([1., 4.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(argmax(m), argmin(m), m.argmax(), m.argmin())",
               "5 0 5 0\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(argmax(m, axis=1))",
               "tensor([2., 2.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(argmin(m, axis=0))",
               "tensor([0., 0., 0.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.argmax(axis=0))",
               "tensor([1., 1., 1.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(std(m), var(m), m.std(), m.var())",
               "1.7078252 2.9166667 1.7078252 2.9166667\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(std(m, axis=0))",
               "tensor([1.5, 1.5, 1.5])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(var(m, axis=1))",
               "tensor([0.6666667, 0.6666667])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.var(axis=1, keepdims=True))",
               "tensor([[0.6666667],\n        [0.6666667]])\n");
    expect_out(f, "print(sum(tensor([0.1, 0.2])), mean(tensor([0.1, 0.2])))",
               "0.3 0.15\n");
    expect_out(f, "print(sum(tensor([1, 2, 3]), axis=0))",
               "6\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nsum(m, axis=2)",
               "IndexError: *");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nsum(m, axis=0.5)",
               "TypeError: sum() axis must be a whole number, got 0.5");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm.sum(keepdims=\"yes\")",
               "TypeError: sum() keepdims must be True or False, got str");
    expect_error(f, "max(zeros(0))",
               "ValueError: *");
    assert_int_equal(f->failures, 0);
}

/* sum max min abs round on numbers, lists, tuples and ranges, as Python */
static void test_lib_tensor_python_builtins(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(sum([1, 2, 3]), sum((1, 2, 3)), sum(range(5)), sum(()))",
               "6 6 10 0\n");
    expect_out(f, "a = ones(2)\nprint(sum((a, a, a)))",
               "tensor([3., 3.])\n");
    expect_out(f, "print(max(3, 7), max((1, 5, 2)), max([1, 5, 2]), max(range(3, 9)))",
               "7 5 5 8\n");
    expect_out(f, "print(min(3, 7), min((4, 1, 2)), min(range(3, 9)), min(2, 1.5, 3))",
               "3 1 3 1.5\n");
    expect_out(f, "print(max(\"apple\", \"pear\"), min((\"b\", \"a\")))",
               "pear a\n");
    expect_out(f, "print(max(True, 0), min(-1, False))",
               "True -1\n");
    expect_error(f, "max(())",
               "ValueError: max() arg is an empty sequence");
    expect_error(f, "min()",
               "TypeError: min() expected at least 1 argument, got 0");
    expect_error(f, "max(3)",
               "TypeError: max() needs a tensor, a list or several numbers, got number");
    expect_error(f, "max(1, \"a\")",
               "TypeError: max() cannot compare str and number");
    expect_error(f, "sum((\"a\", \"b\"))",
               "TypeError: sum() cannot add number and str");
    expect_out(f, "print(abs(-2), abs(2.5), abs(tensor([-1, 2])))",
               "2 2.5 tensor([1., 2.])\n");
    expect_out(f, "print(round(2.567, 2), round(2.5), round(3.5), round(2.675, 2), round(1234.5, -2), round(7))",
               "2.57 2 4 2.67 1200 7\n");
    expect_out(f, "print(round(tensor([0.5, 1.5, 2.567])))",
               "tensor([0., 2., 3.])\n");
    expect_out(f, "print(round(tensor([2.567, 1.234]), 1))",
               "tensor([2.6, 1.2])\n");
    expect_error(f, "round(2.5, 0.5)",
               "TypeError: round() ndigits must be a whole number, got 0.5");
    expect_error(f, "abs(\"x\")",
               "TypeError: abs() needs a tensor, a number or a list of numbers, got str");
    assert_int_equal(f->failures, 0);
}

/* exp log sqrt tanh sigmoid relu softmax where clip maximum minimum */
static void test_lib_tensor_elementwise(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(exp(tensor([0, 1])))",
               "tensor([1.       , 2.7182817])\n");
    expect_out(f, "print(exp(1), log(1), sqrt(2), tanh(0.5), sigmoid(0), relu(-3), relu(2.5))",
               "2.718281828459045 0 1.4142135623730951 0.46211715726000974 0.5 0 2.5\n");
    expect_out(f, "print(log(tensor([1, 10])))",
               "tensor([0.       , 2.3025851])\n");
    expect_out(f, "print(sqrt(tensor([4, 9])))",
               "tensor([2., 3.])\n");
    expect_out(f, "print(tanh(tensor([-2, 0, 2])))",
               "tensor([-0.9640276,  0.       ,  0.9640276])\n");
    expect_out(f, "print(sigmoid(tensor([-1, 0, 1])))",
               "tensor([0.26894143, 0.5       , 0.7310586 ])\n");
    expect_out(f, "print(relu(tensor([-1, 0, 2])))",
               "tensor([0., 0., 2.])\n");
    expect_out(f, "print(relu([[-1, 2]]))",
               "tensor([[0., 2.]])\n");
    expect_error(f, "exp(\"a\")",
               "TypeError: exp() needs a tensor, a number or a list of numbers, got str");
    expect_out(f, "print(softmax(tensor([1, 2, 3])))",
               "tensor([0.09003057, 0.24472848, 0.66524094])\n");
    expect_out(f, "print(log_softmax(tensor([1, 2, 3])))",
               "tensor([-2.407606  , -1.407606  , -0.40760598])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(softmax(m, axis=0))",
               "tensor([[0.04742587, 0.04742587, 0.04742587],\n        [0.95257413, 0.95257413, 0.95257413]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(sum(softmax(m), axis=1))",
               "tensor([1., 1.])\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nsoftmax(m, axis=2)",
               "IndexError: *");
    expect_out(f, "print(where(tensor([1, 0, 1]), tensor([1, 2, 3]), 0))",
               "tensor([1., 0., 3.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(where(m > 2, m, -1))",
               "tensor([[-1., -1.,  3.],\n        [ 4.,  5.,  6.]])\n");
    expect_out(f, "print(clip(tensor([-2, 0.5, 3]), 0, 1))",
               "tensor([0. , 0.5, 1. ])\n");
    expect_out(f, "print(clip(5, 0, 3), clip(-1, 0, 3), clip(2, None, 1))",
               "3 0 1\n");
    expect_out(f, "print(clip(tensor([-2, 3]), None, 1))",
               "tensor([-2.,  1.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.clip(2, 5))",
               "tensor([[2., 2., 3.],\n        [4., 5., 5.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.clip(max=2))",
               "tensor([[1., 2., 2.],\n        [2., 2., 2.]])\n");
    expect_error(f, "clip(tensor([1]), \"a\", 2)",
               "TypeError: clip() min must be a number, got str");
    expect_out(f, "print(maximum(tensor([1, 5]), 3), minimum(tensor([1, 5]), 3), maximum(2, 3), minimum(2, 3))",
               "tensor([3., 5.]) tensor([1., 3.]) 3 2\n");
    expect_out(f, "print(maximum(tensor([1, 5]), tensor([[4], [0]])))",
               "tensor([[4., 5.],\n        [1., 5.]])\n");
    assert_int_equal(f->failures, 0);
}

/* matmul, one_hot, allclose */
static void test_lib_tensor_linalg(void **state)
{
    fixture *f = *state;
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(matmul(m, m.T))",
               "tensor([[14., 32.],\n        [32., 77.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m @ m.T)",
               "tensor([[14., 32.],\n        [32., 77.]])\n");
    expect_out(f, "print(matmul(tensor([1, 2, 3]), tensor([1, 1, 1])), tensor([1, 2]) @ tensor([3, 4]))",
               "6 11\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(tensor([1, 1]) @ m)",
               "tensor([5., 7., 9.])\n");
    expect_out(f, "print(one_hot(tensor([0, 2]), 3))",
               "tensor([[1., 0., 0.],\n        [0., 0., 1.]])\n");
    expect_out(f, "print(one_hot([1, 0], 2))",
               "tensor([[0., 1.],\n        [1., 0.]])\n");
    expect_error(f, "one_hot(tensor([0, 3]), 3)",
               "ValueError: *");
    expect_error(f, "one_hot(tensor([0]), -3)",
               "ValueError: one_hot() num_classes cannot be negative, got -3");
    expect_out(f, "print(allclose(tensor([1, 2]), tensor([1, 2.000001])), allclose(tensor([1, 2]), tensor([1, 2.1])))",
               "True False\n");
    expect_out(f, "print(allclose(tensor([1, 2]), tensor([1, 2.1]), atol=0.2), allclose(ones(3), 1))",
               "True True\n");
    expect_error(f, "allclose(ones(2), ones(3))",
               "ShapeError: *");
    assert_int_equal(f->failures, 0);
}

/* arithmetic and comparison operators with broadcasting */
static void test_lib_tensor_operators(void **state)
{
    fixture *f = *state;
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t + 1)",
               "tensor([2., 3., 4.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(1 - t)",
               "tensor([ 0., -1., -2.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t * t)",
               "tensor([1., 4., 9.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t / 2)",
               "tensor([0.5, 1. , 1.5])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(2 ** t)",
               "tensor([2., 4., 8.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t ** 2)",
               "tensor([1., 4., 9.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t // 2)",
               "tensor([0., 1., 1.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t % 2)",
               "tensor([1., 0., 1.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(-t)",
               "tensor([-1., -2., -3.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t > 1)",
               "tensor([0., 1., 1.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t == 2)",
               "tensor([0., 1., 0.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t + True)",
               "tensor([2., 3., 4.])\n");
    expect_out(f, "t = tensor([1, 2, 3])\nprint(t + (1, 1, 1))",
               "tensor([2., 3., 4.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m + tensor([10, 20, 30]))",
               "tensor([[11., 22., 33.],\n        [14., 25., 36.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m * tensor([[1], [2]]))",
               "tensor([[ 1.,  2.,  3.],\n        [ 8., 10., 12.]])\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm + tensor([1, 2])",
               "ShapeError: cannot broadcast shapes (2, 3) and (2,)");
    expect_error(f, "t = tensor([1, 2, 3])\nt + \"a\"",
               "TypeError: *");
    expect_out(f, "t = tensor([1, 2, 3])\nt += 1\nprint(t)",
               "tensor([2., 3., 4.])\n");
    assert_int_equal(f->failures, 0);
}

/* numbers, slices, None, masks, integer arrays; every dimension gives a number */
static void test_lib_tensor_indexing(void **state)
{
    fixture *f = *state;
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[0])",
               "tensor([1., 2., 3.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[0, 1], m[-1, -1], m[1][2])",
               "2 6 6\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[:, 1])",
               "tensor([2., 5.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[:, -1])",
               "tensor([3., 6.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[1:, ::2])",
               "tensor([[4., 6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[::-1])",
               "tensor([[4., 5., 6.],\n        [1., 2., 3.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[None].shape, m[:, None].shape)",
               "[1, 2, 3] [2, 1, 3]\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[m > 2])",
               "tensor([3., 4., 5., 6.])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[[1, 1, 0]])",
               "tensor([[4., 5., 6.],\n        [4., 5., 6.],\n        [1., 2., 3.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m[tensor([1, 1, 0])])",
               "tensor([[4., 5., 6.],\n        [4., 5., 6.],\n        [1., 2., 3.]])\n");
    expect_out(f, "t = arange(5)\nprint(t[[0, 0, 4]], t[-2], t[1:3], t[3:], t[:-3])",
               "tensor([0., 0., 4.]) 3 tensor([1., 2.]) tensor([3., 4.]) tensor([0., 1.])\n");
    expect_out(f, "t = tensor([0.1, 0.25])\nprint(t[0], t[1], t.tolist())",
               "0.1 0.25 [0.1, 0.25]\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nr = m[0]\nr[0] = 100\nprint(m[0, 0])",
               "100\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[2]",
               "IndexError: index 2 is out of bounds for axis 0 with size 2");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0, 0, 0]",
               "IndexError: too many indices for a tensor of 2 dimensions: 3 were given");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0.5]",
               "TypeError: tensor indices must be whole numbers, got 0.5");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[\"a\"]",
               "TypeError: tensor indices must be whole numbers, slices, None, lists or tensors, got str");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[::0]",
               "ValueError: slice step cannot be zero");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[1e300]",
               "IndexError: index 1e+300 is out of bounds");
    expect_out(f, "print(arange(5)[-1e300:1e300], arange(5)[::-1e300])",
               "tensor([0., 1., 2., 3., 4.]) tensor([4.])\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0.5:]",
               "TypeError: slice bounds must be whole numbers, got 0.5");
    assert_int_equal(f->failures, 0);
}

/* assignment into elements, rows, slices and masks, in place */
static void test_lib_tensor_set_index(void **state)
{
    fixture *f = *state;
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0, 0] = 10\nm[1] = [7, 8, 9]\nprint(m)",
               "tensor([[10.,  2.,  3.],\n        [ 7.,  8.,  9.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[:, 1] = 0\nm[m > 5] = -1\nprint(m)",
               "tensor([[ 1.,  0.,  3.],\n        [ 4.,  0., -1.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0] += 1\nm[0, 2] += 5\nprint(m)",
               "tensor([[2., 3., 9.],\n        [4., 5., 6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[:, 0] = tensor([1, 2])\nprint(m)",
               "tensor([[1., 2., 3.],\n        [2., 5., 6.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[-1, -1] = True\nprint(m)",
               "tensor([[1., 2., 3.],\n        [4., 5., 1.]])\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[[1, 1, 0], 1] = 9\nprint(m)",
               "tensor([[1., 9., 3.],\n        [4., 9., 6.]])\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0] = [1, 2]",
               "ShapeError: *");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[5] = 1",
               "IndexError: index 5 is out of bounds for axis 0 with size 2");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm[0] = \"a\"",
               "TypeError: tensor assignment needs a tensor, a number or a list of numbers, got str");
    assert_int_equal(f->failures, 0);
}

/* x in t */
static void test_lib_tensor_contains(void **state)
{
    fixture *f = *state;
    expect_out(f, "t = tensor([1, 2, 3])\nprint(2 in t, 5 in t, 2.0 in t, \"a\" in t, True in t, [1, 2, 3] in t)",
               "True False True False True True\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(6 in m.T, 0 in m)",
               "True False\n");
    assert_int_equal(f->failures, 0);
}

/* item tolist copy abs exp log sqrt */
static void test_lib_tensor_methods(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(tensor([5]).item(), tensor([[2.5]]).item())",
               "5 2.5\n");
    expect_error(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nm.item()",
               "ValueError: item() needs a tensor of one element, got shape (2, 3)");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nprint(m.tolist(), m.T.tolist(), tensor(3).tolist())",
               "[[1, 2, 3], [4, 5, 6]] [[1, 4], [2, 5], [3, 6]] 3\n");
    expect_out(f, "m = tensor([[1, 2, 3], [4, 5, 6]])\nc = m.copy()\nc[0, 0] = 99\nprint(m[0, 0], c[0, 0])",
               "1 99\n");
    expect_out(f, "print(tensor([-1, 2]).abs())",
               "tensor([1., 2.])\n");
    expect_out(f, "print(tensor([0, 1]).exp())",
               "tensor([1.       , 2.7182817])\n");
    expect_out(f, "print(tensor([1, 10]).log())",
               "tensor([0.       , 2.3025851])\n");
    expect_out(f, "print(tensor([4, 2]).sqrt())",
               "tensor([2.       , 1.4142135])\n");
    assert_int_equal(f->failures, 0);
}

/* NumPy-style repr, elided when large */
static void test_lib_tensor_printing(void **state)
{
    fixture *f = *state;
    expect_out(f, "print(arange(2000))",
               "tensor([0.000e+00, 1.000e+00, 2.000e+00, ..., 1.997e+03, 1.998e+03,\n        1.999e+03])\n");
    expect_out(f, "print(zeros(0))",
               "tensor([])\n");
    expect_out(f, "print(tensor([1e-05, 1]))",
               "tensor([1.e-05, 1.e+00])\n");
    expect_out(f, "print(tensor([1.5, -2.25]) * 1000000)",
               "tensor([ 1500000., -2250000.])\n");
    assert_int_equal(f->failures, 0);
}

/* a @ w with w's transpose fitting: the hint names the variable; matmul() keeps the engine's. */
static void test_lib_tensor_matmul_hint(void **state)
{
    fixture *f = *state;
    assert_int_equal(run(f, "x = zeros(64, 784)\nw = zeros(10, 784)\nh = x @ w"), LANG_ERR_SHAPE);
    assert_string_equal(f->err.msg, "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ");
    assert_string_equal(f->err.hint, "w.T has shape (784, 10)");
    assert_int_equal(f->err.line, 3);
    assert_int_equal(run(f, "h = x @ zeros(3, 5)"), LANG_ERR_SHAPE);
    assert_string_equal(f->err.hint, "");
    assert_int_equal(run(f, "h = matmul(x, w)"), LANG_ERR_SHAPE);
    assert_string_equal(f->err.hint, "the right operand transposed has shape (784, 10)");
}

/* Every builtin and method has a help text: signature line, description, one-line example. */
static void check_help(const lang_builtin_def *defs, const char *prefix)
{
    for (const lang_builtin_def *d = defs; d->name; d++) {
        char sig[64];
        snprintf(sig, sizeof sig, "%s%s(", prefix, d->name);
        assert_non_null(d->help);
        if (strncmp(d->help, sig, strlen(sig)) != 0) print_error("help of %s\n", d->name);
        assert_memory_equal(d->help, sig, strlen(sig));
        const char *ex = strstr(d->help, "\nExample: ");
        assert_non_null(ex);
        assert_null(strchr(ex + 1, '\n'));                 /* the example is the last line */
        assert_true(strchr(d->help, '\n') < ex);            /* a description before it */
    }
}

static void test_lib_tensor_help_texts(void **state)
{
    (void)state;
    check_help(lang_tensor_builtins, "");
    check_help(lang_tensor_methods, "t.");
}

/* Float32 elements become the double nearest their shortest float32 decimal. */
static void test_lib_tensor_f32_num(void **state)
{
    (void)state;
    assert_true(lang_tensor_f32_num(0.1f) == 0.1);
    assert_true(lang_tensor_f32_num(0.3f) == 0.3);
    assert_true(lang_tensor_f32_num(2.5e-7f) == 2.5e-7);
    assert_true(lang_tensor_f32_num(3.0f) == 3.0);
    assert_true(lang_tensor_f32_num(-1234.5f) == -1234.5);
    assert_true(lang_tensor_f32_num(1e20f) == 1e20);
    assert_true(lang_tensor_f32_num(1e-40f) == 1e-40);
    assert_true(lang_tensor_f32_num(16777217.0f) == 16777216.0);
    float third = 1.0f / 3.0f;
    assert_true(lang_tensor_f32_num(third) == 0.33333334);
    assert_true((float)lang_tensor_f32_num(third) == third);
}

/* Many temporaries in a loop: results stay right (refcounts balance; ASan checks the rest). */
static void test_lib_tensor_loop(void **state)
{
    fixture *f = *state;
    expect_out(f, "x = ones(10)\ns = 0\nfor i in range(1000):\n    y = x + x * 2\n    s = s + y[i % 10] + sum(y[1:3])\nprint(s)",
               "9000\n");
    expect_out(f, "t = zeros(3, 4)\nfor i in range(3):\n    for j in range(4):\n        t[i, j] = i * 4 + j\nprint(t.sum(), t[2, 3], t[-1][-1])",
               "66 11 11\n");
    assert_int_equal(f->failures, 0);
}

/* y = x + x on 10 elements: the figure DESIGN.md 8 asks under 100 ns (release build; about
 * 60 ns measured). The bound asserted here is loose, for loaded machines, and sanitizer builds
 * (30x slower) only print the figure. */
static void test_lib_tensor_add_speed(void **state)
{
    fixture *f = *state;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(f, "x = ones(10)\nfor i in range(200000):\n    pass\n"), LANG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(run(f, "x = ones(10)\nfor i in range(200000):\n    y = x + x\n"), LANG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double empty = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    double full = (t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) * 1e-9;
    double ns = (full - empty) / 200000 * 1e9;
    print_message("    y = x + x (10 elements): %.0f ns per op\n", ns);
#if defined(__SANITIZE_ADDRESS__)
    (void)ns;
#else
    assert_true(ns < 1000);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_tensor_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_tensor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_creation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_shape_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_reductions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_python_builtins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_elementwise, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_linalg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_indexing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_set_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_contains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_printing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_matmul_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_help_texts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_f32_num, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_add_speed, setup, teardown),
    };
    return cmocka_run_group_tests_name("lib_tensor", tests, NULL, NULL);
}
