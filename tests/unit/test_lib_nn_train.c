/* test_lib_nn_train.c -- lang/lib_nn_train.c: losses as functions and as objects (values
 * against hand computations), optimizers built from params and stepping them (SGD's exact
 * step), History's attributes, and EarlyStopping's arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tests/unit/test_lang.h"

static void test_lib_nn_train_losses(void **state)
{
    tl_fixture *f = *state;
    /* mse of (0 - 1)^2 and (2 - 2)^2: 0.5 */
    tl_expect_out(f, "print(mse(tensor([1, 2]), tensor([0, 2])))", "tensor(0.5)\n");   /* 0-d: backward works on it */
    tl_expect_out(f, "print(MeanSquaredError()(tensor([1, 2]), tensor([0, 2])))", "tensor(0.5)\n");
    /* sparse CE of uniform logits over 4 classes is log(4) */
    tl_expect_out(f, "l = sparse_categorical_crossentropy(tensor([1]), zeros(1, 4), from_logits=True)\n"
                     "print(round(float(l), 5))", "1.38629\n");
    tl_expect_out(f, "l = SparseCategoricalCrossentropy(from_logits=True)\n"
                     "print(round(float(l(tensor([1]), zeros(1, 4))), 5))", "1.38629\n");
    tl_expect_error(f, "mse(zeros(2), zeros(3))", "ShapeError: *");
    TL_DONE(f);
}

static void test_lib_nn_train_sgd_step(void **state)
{
    tl_fixture *f = *state;
    /* loss = sum(w * w): grad 2w; one SGD(0.1) step: w - 0.2 w = 0.8 w */
    tl_expect_out(f, "w = param(tensor([1, -2]))\nopt = SGD([w], 0.1)\nopt.zero_grad()\n"
                     "loss = (w * w).sum()\nloss.backward()\nopt.step()\nprint(w.detach())",
                  "tensor([ 0.8, -1.6])\n");
    tl_expect_out(f, "opt = Adam([param(zeros(2))])\nprint(opt.learning_rate)", "0.001\n");
    tl_expect_out(f, "opt = RMSprop([param(zeros(2))])\nprint(opt.learning_rate)", "0.001\n");
    TL_DONE(f);
}

static void test_lib_nn_train_history_and_early_stopping(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x, y = xor(64, seed=1)\n"
                     "m = Sequential([Dense(4, activation='tanh', input_shape=(2,)), Dense(1, activation='sigmoid')])\n"
                     "m.compile('sgd', 'binary_crossentropy')\n"
                     "h = m.fit(x, y, epochs=3, verbose=0)\n"
                     "print(list(h.history.keys()), len(h.history['loss']), h.epoch)",
                  "['loss'] 3 [0, 1, 2]\n");
    tl_expect_out(f, "e = EarlyStopping(monitor='loss', patience=2)\nprint(type(e))", "EarlyStopping\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_nn_train_losses, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_train_sgd_step, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_train_history_and_early_stopping, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_nn_train", tests, NULL, NULL);
}
