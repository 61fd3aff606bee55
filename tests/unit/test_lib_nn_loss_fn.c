/* test_lib_nn_loss_fn.c -- lang/lib_nn_loss_fn.c: compile(loss=f) with a function of the
 * user's. It trains to the same weights as the built-in loss it rewrites; per-sample losses
 * take sample weights, a mean does not; what the function returns is checked; an error inside
 * it stops fit with that error; the cycle model -> loss function -> model is collected (the
 * ASan build's leak check sees it otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

#define DATA "x = tensor([[1, 2], [0, -1], [2, 0.5], [-1, 1]])\n" \
             "y = tensor([[1], [0], [1], [1]])\n"

/* A model with fixed weights compiled with loss L (source text). */
#define MODEL(L) "m = Sequential([Dense(1, activation=\"sigmoid\", input_shape=(2,))])\n" \
                 "m.set_weights([tensor([[0.5], [-0.25]]), tensor([0.1])])\n" \
                 "m.compile(optimizer=SGD(0.5), loss=" L ")\n"

static void test_lib_nn_loss_fn_matches_builtin(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, DATA "def my_mse(t, p):\n    return mean((t - p) ** 2, axis=-1)\n"
                  MODEL("my_mse") "m.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)\n"
                  "a = m.get_weights()[0]\n"
                  MODEL("\"mse\"") "m.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0)\n"
                  "print(allclose(a, m.get_weights()[0], atol=1e-6))\n", "True\n");
    /* a scalar mean is fine too, without weights */
    tl_expect_out(f, DATA "def l(t, p):\n    return mean((t - p) ** 2)\n" MODEL("l")
                  "print(m.evaluate(x, y, verbose=0))\n", "0.26911017\n");
    /* per-sample losses are weighted as Keras weighs them: sum(w * l) / n, here
     * 2 * (1 - 0.52498)^2 / 4 */
    tl_expect_out(f, DATA "def l(t, p):\n    return mean((t - p) ** 2, axis=-1)\n" MODEL("l")
                  "print(m.evaluate(x, y, verbose=0, sample_weight=tensor([2, 0, 0, 0])))\n",
                  "0.11282239\n");
    TL_DONE(f);
}

static void test_lib_nn_loss_fn_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, DATA "def l(t, p):\n    return mean((t - p) ** 2)\n" MODEL("l")
                    "m.evaluate(x, y, verbose=0, sample_weight=ones(4))\n",
                    "ValueError: line 8, col 1: sample_weight and class_weight need the loss "
                    "function 'l' to return one loss per sample, not their mean");
    tl_expect_error(f, DATA "def l(t, p):\n    return \"low\"\n" MODEL("l") "m.fit(x, y, verbose=0)\n",
                    "TypeError: line 8, col 1: the loss function 'l' must return a number or one "
                    "loss per sample (shape (4,)), got str");
    tl_expect_error(f, DATA "def l(t, p):\n    return p[0] / zero\n" MODEL("l") "m.fit(x, y)\n",
                    "NameError: line 4, col 19: name 'zero' is not defined");
    tl_expect_error(f, DATA MODEL("print") "m.fit(x, y)\n",
                    "TypeError: line 5, col 1: compile() loss must be a loss name, a loss object "
                    "or a function loss(y_true, y_pred), got print");
    TL_DONE(f);
}

static void test_lib_nn_loss_fn_lifetime(void **state)
{
    tl_fixture *f = *state;
    /* the function refers to the model that holds it: a cycle the collector must see */
    tl_expect_out(f, DATA "def make():\n    m = Sequential([Dense(1, input_shape=(2,))])\n"
                  "    def l(t, p):\n        return mean((t - p) ** 2) + 0 * len(m.layers)\n"
                  "    m.compile(loss=l)\n    m.fit(x, y, verbose=0)\n"
                  "for i in range(3):\n    make()\nprint(\"ok\")\n", "ok\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_nn_loss_fn_matches_builtin, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_loss_fn_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_nn_loss_fn_lifetime, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_nn_loss_fn", tests, NULL, NULL);
}
