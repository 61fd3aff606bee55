/* test_nn_optim.c -- engine/nn_optim.c: Keras defaults, SGD (plain, momentum, Nesterov), Adam
 * and RMSprop against steps computed by hand, parameters adjacent in one buffer updated as
 * one run with the same result, skipping parameters without gradients, zero_grad, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

/* A parameter of n floats equal to v, with a gradient of g everywhere. */
static eng_tensor *param_with_grad(int64_t n, float v, float g)
{
    eng_error err;
    eng_tensor *p = eng_tensor_full(1, &n, v, &err);
    p->requires_grad = 1;
    p->grad = eng_tensor_full(1, &n, g, &err);
    return p;
}

static eng_optimizer *make_opt(eng_opt_kind kind, double lr, double momentum, int nesterov,
                               eng_tensor *p)
{
    eng_error err;
    eng_opt_config c;
    eng_opt_config_init(&c, kind);
    if (lr > 0) c.learning_rate = lr;
    c.momentum = momentum;
    c.nesterov = nesterov;
    eng_optimizer *o = eng_optimizer_new(&c, &err);
    assert_non_null(o);
    assert_int_equal(eng_optimizer_set_params(o, 1, &p, &err), ENG_OK);
    return o;
}

/* Two steps with gradient 0.5 from w = 1; returns w after each. */
static void two_steps(eng_opt_kind kind, double lr, double momentum, int nesterov, double *w1,
                      double *w2)
{
    eng_error err;
    eng_tensor *p = param_with_grad(3, 1, 0.5f);
    eng_optimizer *o = make_opt(kind, lr, momentum, nesterov, p);
    assert_int_equal(eng_optimizer_step(o, &err), ENG_OK);
    *w1 = eng_tensor_data(p)[2];
    assert_int_equal(eng_optimizer_step(o, &err), ENG_OK);
    *w2 = eng_tensor_data(p)[0];
    assert_int_equal(eng_optimizer_iterations(o), 2);
    eng_optimizer_release(o);
    eng_tensor_release(p);
}

static void test_nn_optim_defaults(void **state)
{
    (void)state;
    eng_opt_config c;
    eng_opt_config_init(&c, ENG_OPT_SGD);
    assert_float_equal(c.learning_rate, 0.01, 0);
    assert_float_equal(c.momentum, 0, 0);
    eng_opt_config_init(&c, ENG_OPT_ADAM);
    assert_float_equal(c.learning_rate, 0.001, 0);
    assert_float_equal(c.beta_1, 0.9, 0);
    assert_float_equal(c.beta_2, 0.999, 0);
    assert_float_equal(c.epsilon, 1e-7, 0);
    eng_opt_config_init(&c, ENG_OPT_RMSPROP);
    assert_float_equal(c.learning_rate, 0.001, 0);
    assert_float_equal(c.rho, 0.9, 0);
    assert_string_equal(eng_opt_kind_name(ENG_OPT_RMSPROP), "RMSprop");
}

static void test_nn_optim_sgd(void **state)
{
    (void)state;
    double w1, w2;
    two_steps(ENG_OPT_SGD, 0.1, 0, 0, &w1, &w2);
    assert_float_equal(w1, 0.95, 1e-7);
    assert_float_equal(w2, 0.90, 1e-7);
    /* momentum 0.9: v = -0.05, w = 0.95; v = 0.9 * -0.05 - 0.05 = -0.095, w = 0.855 */
    two_steps(ENG_OPT_SGD, 0.1, 0.9, 0, &w1, &w2);
    assert_float_equal(w1, 0.95, 1e-7);
    assert_float_equal(w2, 0.855, 1e-6);
    /* Nesterov: w += 0.9 v - 0.05 with the new v: 1 - 0.095 = 0.905, then 0.905 - 0.1355 */
    two_steps(ENG_OPT_SGD, 0.1, 0.9, 1, &w1, &w2);
    assert_float_equal(w1, 0.905, 1e-6);
    assert_float_equal(w2, 0.7695, 1e-6);
}

static void test_nn_optim_adam(void **state)
{
    (void)state;
    double w1, w2;
    two_steps(ENG_OPT_ADAM, 0, 0, 0, &w1, &w2);
    /* by hand, Keras's formula */
    double m = 0, v = 0, w = 1, g = 0.5;
    for (int t = 1; t <= 2; t++) {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        double lr_t = 0.001 * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
        w -= lr_t * m / (sqrt(v) + 1e-7);
        assert_float_equal(t == 1 ? w1 : w2, w, 1e-7);
    }
    assert_float_equal(w1, 1 - 0.001, 1e-6);      /* a first Adam step moves by about lr */
    /* the vector bodies (16, 8, 4 wide) and the scalar tail agree: 37 floats, mixed gradients */
    eng_error err;
    eng_tensor *p = param_with_grad(37, 1, 0);
    float *gd = eng_tensor_data(p->grad);
    for (int i = 0; i < 37; i++) gd[i] = (float)(i - 18) * 0.25f;
    eng_optimizer *o = make_opt(ENG_OPT_ADAM, 0.01, 0, 0, p);
    eng_optimizer_step(o, &err);
    for (int i = 0; i < 37; i++) {
        double gi = gd[i], mi = 0.1 * gi, vi = 0.001 * gi * gi;
        double want = 1 - 0.01 * sqrt(0.001) / 0.1 * mi / (sqrt(vi) + 1e-7);
        assert_float_equal(eng_tensor_data(p)[i], want, 1e-6);
    }
    eng_optimizer_release(o);
    eng_tensor_release(p);
}

static void test_nn_optim_rmsprop(void **state)
{
    (void)state;
    double w1, w2;
    two_steps(ENG_OPT_RMSPROP, 0, 0, 0, &w1, &w2);
    double a = 0.1 * 0.25, w = 1 - 0.001 * 0.5 / sqrt(a + 1e-7);
    assert_float_equal(w1, w, 1e-7);
    a = 0.9 * a + 0.1 * 0.25;
    w -= 0.001 * 0.5 / sqrt(a + 1e-7);
    assert_float_equal(w2, w, 1e-7);
    two_steps(ENG_OPT_RMSPROP, 0, 0.5, 0, &w1, &w2);     /* with momentum */
    double u1 = 0.001 * 0.5 / sqrt(0.025 + 1e-7), u2 = 0.001 * 0.5 / sqrt(0.0475 + 1e-7);
    assert_float_equal(w1, 1 - u1, 1e-7);
    assert_float_equal(w2, 1 - u1 - (0.5 * u1 + u2), 1e-7);
}

/* Views into one buffer (a model's layout) step as one run with the same result as separate
 * tensors; a parameter without a gradient stays put. */
static void test_nn_optim_runs_and_skips(void **state)
{
    (void)state;
    eng_error err;
    int64_t n = 10;
    eng_tensor *buf = eng_tensor_full(1, &n, 2, &err), *gbuf = eng_tensor_full(1, &n, 0, &err);
    float *gv = eng_tensor_data(gbuf);
    for (int i = 0; i < 10; i++) gv[i] = (float)i * 0.1f;
    eng_tensor *p[3], *q[3];
    int64_t sizes[3] = { 4, 5, 1 }, off = 0;
    for (int i = 0; i < 3; i++) {
        p[i] = eng_tensor_view(buf, 1, &sizes[i], (int64_t[]){ 1 }, off, &err);
        p[i]->requires_grad = 1;
        p[i]->grad = eng_tensor_view(gbuf, 1, &sizes[i], (int64_t[]){ 1 }, off, &err);
        q[i] = eng_tensor_copy(p[i], &err);
        q[i]->requires_grad = 1;
        q[i]->grad = eng_tensor_copy(p[i]->grad, &err);
        off += sizes[i];
    }
    eng_opt_config c;
    eng_opt_config_init(&c, ENG_OPT_ADAM);
    eng_optimizer *a = eng_optimizer_new(&c, &err), *b = eng_optimizer_new(&c, &err);
    eng_optimizer_set_params(a, 3, p, &err);
    eng_optimizer_set_params(b, 3, q, &err);
    eng_tensor_release(q[2]->grad);          /* no gradient: skipped */
    q[2]->grad = NULL;
    for (int s = 0; s < 3; s++) {
        eng_optimizer_step(a, &err);
        eng_optimizer_step(b, &err);
    }
    for (int i = 0; i < 2; i++)
        nn_assert_close("runs", eng_tensor_data(p[i]), eng_tensor_data(q[i]), sizes[i], 0, 0);
    assert_float_equal(eng_tensor_data(q[2])[0], 2, 0);
    assert_true(eng_tensor_data(p[2])[0] < 2);
    eng_optimizer_zero_grad(a);
    for (int i = 0; i < 10; i++) assert_float_equal(gv[i], 0, 0);
    eng_optimizer_release(a);
    eng_optimizer_release(b);
    for (int i = 0; i < 3; i++) {
        eng_tensor_release(p[i]);
        eng_tensor_release(q[i]);
    }
    eng_tensor_release(buf);
    eng_tensor_release(gbuf);
}

static void test_nn_optim_errors(void **state)
{
    (void)state;
    eng_error err;
    eng_opt_config c;
    eng_opt_config_init(&c, ENG_OPT_SGD);
    c.learning_rate = -1;
    assert_null(eng_optimizer_new(&c, &err));
    assert_string_equal(err.msg, "SGD learning_rate must be a number >= 0, got -1");
    eng_opt_config_init(&c, ENG_OPT_ADAM);
    c.beta_1 = 1;
    assert_null(eng_optimizer_new(&c, &err));
    eng_opt_config_init(&c, ENG_OPT_SGD);
    c.momentum = 1.5;
    assert_null(eng_optimizer_new(&c, &err));
    eng_opt_config_init(&c, ENG_OPT_SGD);
    eng_optimizer *o = eng_optimizer_new(&c, &err);
    eng_tensor *t = eng_tensor_new(2, (int64_t[]){ 2, 3 }, &err);
    eng_tensor *tt = eng_transpose(t, NULL, &err);
    assert_int_equal(eng_optimizer_set_params(o, 1, &tt, &err), ENG_ERR_VALUE);
    /* a gradient of the wrong size is an error, not a wild write */
    eng_tensor *p = param_with_grad(3, 1, 1);
    eng_tensor_release(p->grad);
    p->grad = eng_tensor_full(1, (int64_t[]){ 2 }, 1, &err);
    eng_optimizer_set_params(o, 1, &p, &err);
    assert_int_equal(eng_optimizer_step(o, &err), ENG_ERR_SHAPE);
    eng_optimizer_release(o);
    eng_tensor_release(p);
    eng_tensor_release(tt);
    eng_tensor_release(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_optim_defaults),
        cmocka_unit_test(test_nn_optim_sgd),
        cmocka_unit_test(test_nn_optim_adam),
        cmocka_unit_test(test_nn_optim_rmsprop),
        cmocka_unit_test(test_nn_optim_runs_and_skips),
        cmocka_unit_test(test_nn_optim_errors),
    };
    return cmocka_run_group_tests_name("nn_optim", tests, NULL, NULL);
}
