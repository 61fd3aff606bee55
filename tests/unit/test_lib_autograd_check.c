/*
 * test_lib_autograd_check.c -- lang/lib_autograd_check.c: gradcheck's inputs (one tensor, a
 * number, a tuple or list of tensors), outputs of any shape, its tolerances, its verdicts
 * (True, False, a ValueError naming the worst element) and its argument errors.
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
    };
    return cmocka_run_group_tests_name("lib_autograd_check", tests, NULL, NULL);
}
