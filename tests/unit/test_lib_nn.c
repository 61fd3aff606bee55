/* test_lib_nn.c -- lang/lib_nn.c: the layer builtins and the argument helpers every nn
 * binding shares: Keras's defaults and names (dense, dense_1 ...), activation by name or
 * function, input_shape, padding, pairs for kernel sizes and strides, and the errors for bad
 * arguments. (Training is tested in test_lib_nn_model.c and tests/lang/nn_*.nabla.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tests/unit/test_lang.h"

static void test_lib_nn_layer_names_and_defaults(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "a = Dense(4)\nb = Dense(2)\nprint(a.name, b.name, a.units)", "dense dense_1 4\n");
    tl_expect_out(f, "c = Conv2D(8, 3)\nprint(c.name, c.filters, c.kernel_size, c.strides, c.padding)",
                  "conv2d 8 (3, 3) (1, 1) valid\n");
    tl_expect_out(f, "p = MaxPooling2D()\nprint(p.pool_size)", "(2, 2)\n");
    TL_DONE(f);
}

static void test_lib_nn_activation_and_input_shape(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "d = Dense(3, activation='relu', input_shape=(5,))\nm = Sequential([d])\n"
                     "print(m(ones(2, 5)).shape)", "[2, 3]\n");
    tl_expect_out(f, "d = Dense(3, activation=tanh)\nprint(d(ones(1, 2)).shape)", "[1, 3]\n");
    tl_expect_error(f, "Dense(3, activation='nope')", "ValueError: *");
    TL_DONE(f);
}

static void test_lib_nn_bad_arguments(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "Dense(0)", "ValueError: *");
    tl_expect_error(f, "Dense('a')", "TypeError: *");
    tl_expect_error(f, "Conv2D(8, 3, padding='full')", "ValueError: *");
    tl_expect_error(f, "Conv2D(8, (3, 3, 3))", "*");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_nn_layer_names_and_defaults, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_activation_and_input_shape, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_bad_arguments, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_nn", tests, NULL, NULL);
}
