/* test_nn_loss.c -- engine/nn_loss.c: Keras's loss values (hand-computed), every loss's
 * gradient against finite differences, the fused softmax/sigmoid cross-entropy against the
 * chain it replaces, per-sample weights, label checks and messages, and the differentiable
 * loss call under autograd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_nn.h"

static const eng_loss MSE = { ENG_LOSS_MSE, 0, NULL }, BCE = { ENG_LOSS_BCE, 0, NULL };
static const eng_loss BCE_LOGITS = { ENG_LOSS_BCE, 1, NULL }, CCE = { ENG_LOSS_CCE, 0, NULL };
static const eng_loss CCE_LOGITS = { ENG_LOSS_CCE, 1, NULL }, SCCE = { ENG_LOSS_SPARSE_CCE, 0, NULL };
static const eng_loss SCCE_LOGITS = { ENG_LOSS_SPARSE_CCE, 1, NULL };

static void test_nn_loss_values(void **state)
{
    (void)state;
    const float y[4] = { 1, 2, 3, 4 }, t[4] = { 1, 1, 1, 1 };
    float dz[4];
    /* mse: rows (0 + 1) / 2 and (4 + 9) / 2 */
    assert_float_equal(eng_k_loss(&MSE, 0, dz, y, t, NULL, 1, 2, 2, 0.5), 7, 1e-9);
    nn_assert_close("mse grad", dz, (const float[]){ 0, 0.5f, 1, 1.5f }, 4, 1e-6, 0);
    /* sparse cross-entropy from logits: logsumexp(z) - z[label] */
    const float z[3] = { 1, 2, 3 }, label[1] = { 2 };
    double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
    assert_float_equal(eng_k_loss(&SCCE_LOGITS, 0, NULL, z, label, NULL, 1, 1, 3, 1),
                       lse - 3, 1e-6);
    /* on probabilities: -log p[label], clipped at 1e-7 */
    const float p[3] = { 0.2f, 0.3f, 0.5f }, p0[3] = { 0, 0, 1 }, lab0[1] = { 0 };
    assert_float_equal(eng_k_loss(&SCCE, 0, NULL, p, label, NULL, 1, 1, 3, 1),
                       -log(0.5), 1e-6);
    assert_float_equal(eng_k_loss(&SCCE, 0, NULL, p0, lab0, NULL, 1, 1, 3, 1),
                       -log(1e-7), 1e-4);
    /* categorical: the same with one-hot targets; probabilities are normalised first */
    const float oh[3] = { 0, 0, 1 }, p2[3] = { 0.4f, 0.6f, 1.0f };
    assert_float_equal(eng_k_loss(&CCE, 0, NULL, p2, oh, NULL, 1, 1, 3, 1),
                       -log(0.5), 1e-6);
    assert_float_equal(eng_k_loss(&CCE_LOGITS, 0, NULL, z, oh, NULL, 1, 1, 3, 1),
                       lse - 3, 1e-6);
    /* binary: -(t log p + (1 - t) log(1 - p)), mean over the row; logits agree with sigmoid */
    const float pb[2] = { 0.8f, 0.3f }, tb[2] = { 1, 0 }, zb[2] = { 2, -1 };
    assert_float_equal(eng_k_loss(&BCE, 0, NULL, pb, tb, NULL, 1, 1, 2, 1),
                       -(log(0.8 + 1e-7) + log(0.7 + 1e-7)) / 2, 1e-6);
    float ps[2] = { (float)(1 / (1 + exp(-2.0))), (float)(1 / (1 + exp(1.0))) };
    assert_float_equal(eng_k_loss(&BCE_LOGITS, 0, NULL, zb, tb, NULL, 1, 1, 2, 1),
                       eng_k_loss(&BCE, 0, NULL, ps, tb, NULL, 1, 1, 2, 1), 1e-5);
}

typedef struct loss_ctx {
    const eng_loss *loss;
    const float *t;
    int64_t R, K;
    eng_act act;        /* applied to the input first (fused checks); LINEAR: none */
} loss_ctx;

static double loss_of(const float *y, void *p)
{
    loss_ctx *c = p;
    float *a = nn_zeros(c->R * c->K);
    eng_k_act_fwd(c->act, a, y, c->R, c->K);
    double s = eng_k_loss(c->loss, 0, NULL, a, c->t, NULL, 1, c->R, c->K, 1);
    free(a);
    return s / (double)c->R;
}

/* The kernel's gradient (scale 1/R) against finite differences of the mean loss. */
static void check_grad(const eng_loss *loss, int fused, eng_act act, const float *t, float *y,
                       int64_t R, int64_t K)
{
    float *dz = nn_zeros(R * K), *num = nn_zeros(R * K), *a = nn_zeros(R * K);
    eng_k_act_fwd(act, a, y, R, K);
    eng_k_loss(loss, fused, dz, a, t, NULL, 1, R, K, 1.0 / (double)R);
    if (!fused && act != ENG_ACT_LINEAR) {         /* chain through the activation */
        float *d2 = nn_zeros(R * K);
        eng_k_act_bwd(act, d2, dz, a, R, K, 0);
        memcpy(dz, d2, sizeof(float) * (size_t)(R * K));
        free(d2);
    }
    loss_ctx c = { loss, t, R, K, act };
    nn_numeric_grad(num, loss_of, y, R * K, &c, 1e-3);
    char what[96];
    snprintf(what, sizeof what, "%s%s%s", eng_loss_name(loss->kind),
             loss->from_logits ? " logits" : "", fused ? " fused" : "");
    nn_assert_close(what, dz, num, R * K, 5e-3, 5e-4);
    free(dz); free(num); free(a);
}

static void test_nn_loss_gradients(void **state)
{
    (void)state;
    eng_rng rng;
    eng_rng_seed(&rng, 30);
    int64_t R = 4, K = 3;
    float *y = nn_rand(&rng, R * K, -2, 2), *p = nn_rand(&rng, R * K, 0.05, 0.95);
    float *t = nn_rand(&rng, R * K, 0, 1), lab[4] = { 0, 2, 1, 2 }, onehot[12] = { 0 };
    for (int r = 0; r < 4; r++) onehot[r * 3 + (int)lab[r]] = 1;
    check_grad(&MSE, 0, ENG_ACT_LINEAR, t, y, R, K);
    check_grad(&BCE, 0, ENG_ACT_LINEAR, t, p, R, K);
    check_grad(&BCE_LOGITS, 0, ENG_ACT_LINEAR, t, y, R, K);
    check_grad(&CCE, 0, ENG_ACT_LINEAR, onehot, p, R, K);
    check_grad(&CCE_LOGITS, 0, ENG_ACT_LINEAR, onehot, y, R, K);
    check_grad(&SCCE, 0, ENG_ACT_LINEAR, lab, p, R, K);
    check_grad(&SCCE_LOGITS, 0, ENG_ACT_LINEAR, lab, y, R, K);
    /* fused: the gradient with respect to the logits under softmax / sigmoid */
    check_grad(&SCCE, 1, ENG_ACT_SOFTMAX, lab, y, R, K);
    check_grad(&CCE, 1, ENG_ACT_SOFTMAX, onehot, y, R, K);
    check_grad(&BCE, 1, ENG_ACT_SIGMOID, t, y, R, K);
    /* and the unfused chain through softmax gives the same */
    check_grad(&SCCE, 0, ENG_ACT_SOFTMAX, lab, y, R, K);
    assert_true(eng_loss_fusable(&SCCE, ENG_ACT_SOFTMAX));
    assert_true(eng_loss_fusable(&BCE, ENG_ACT_SIGMOID));
    assert_false(eng_loss_fusable(&SCCE_LOGITS, ENG_ACT_SOFTMAX));
    assert_false(eng_loss_fusable(&MSE, ENG_ACT_SIGMOID));
    free(y); free(p); free(t);
}

/* Sample weights scale each row's loss and gradient; the sum is still divided by the rows. */
static void test_nn_loss_weights(void **state)
{
    (void)state;
    const float y[4] = { 1, 2, 3, 4 }, t[4] = { 1, 1, 1, 1 }, w[2] = { 2, 0.5f };
    float dz[4];
    /* rows 0.5 and 6.5, weighted 2 and 0.5 */
    assert_float_equal(eng_k_loss(&MSE, 0, dz, y, t, w, 1, 2, 2, 0.5), 4.25, 1e-9);
    nn_assert_close("weighted mse grad", dz, (const float[]){ 0, 1, 0.5f, 0.75f }, 4, 1e-6, 0);
    /* two rows per sample share the sample's weight */
    const float w1[1] = { 3 };
    assert_float_equal(eng_k_loss(&MSE, 0, NULL, y, t, w1, 2, 2, 2, 1), 21, 1e-9);
}

static void test_nn_loss_names(void **state)
{
    (void)state;
    eng_loss l;
    eng_error err;
    assert_int_equal(eng_loss_from_name("mse", &l, &err), ENG_OK);
    assert_int_equal(l.kind, ENG_LOSS_MSE);
    assert_int_equal(eng_loss_from_name("sparse_categorical_crossentropy", &l, &err), ENG_OK);
    assert_int_equal(l.kind, ENG_LOSS_SPARSE_CCE);
    assert_int_equal(eng_loss_from_name("mean_squared_error", &l, &err), ENG_OK);
    assert_int_equal(eng_loss_from_name("hinge", &l, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "unknown loss 'hinge'");
    assert_non_null(strstr(err.hint, "\"binary_crossentropy\""));
}

static void test_nn_loss_targets(void **state)
{
    (void)state;
    eng_error err;
    eng_tensor *lab = eng_tensor_from_data(1, (int64_t[]){ 3 }, (const float[]){ 0, 9, 3 }, &err);
    eng_tensor *bad = eng_tensor_from_data(1, (int64_t[]){ 3 }, (const float[]){ 0, 10, 3 }, &err);
    eng_tensor *frac = eng_tensor_from_data(1, (int64_t[]){ 3 }, (const float[]){ 0, 1.5f, 3 }, &err);
    int64_t p10[2] = { 3, 10 }, p1[2] = { 3, 1 };
    assert_int_equal(eng_loss_check_targets(&SCCE, lab, 2, p10, &err), ENG_OK);
    assert_int_equal(eng_loss_check_targets(&MSE, lab, 2, p1, &err), ENG_OK);   /* (N,) vs (N, 1) */
    assert_int_equal(eng_loss_check_targets(&SCCE, bad, 2, p10, &err), ENG_ERR_VALUE);
    assert_string_equal(err.msg, "labels must be whole numbers in [0, 10) for "
                        "sparse_categorical_crossentropy: label 1 is 10");
    assert_string_equal(err.hint, "the last layer has 10 units: give it one per class");
    assert_int_equal(eng_loss_check_targets(&SCCE, frac, 2, p10, &err), ENG_ERR_VALUE);
    assert_int_equal(eng_loss_check_targets(&CCE, lab, 2, p10, &err), ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "labels of shape (3,) do not fit the model's output (3, 10) "
                        "for categorical_crossentropy");
    assert_non_null(strstr(err.hint, "sparse_categorical_crossentropy"));
    assert_int_equal(eng_loss_check_targets(&MSE, lab, 2, p10, &err), ENG_ERR_SHAPE);
    eng_tensor_release(lab);
    eng_tensor_release(bad);
    eng_tensor_release(frac);
}

static void test_nn_loss_call_autograd(void **state)
{
    (void)state;
    eng_error err;
    eng_ag ag;
    eng_ag_init(&ag);
    eng_tensor *y0 = eng_tensor_from_data(2, (int64_t[]){ 2, 3 },
                                          (const float[]){ 1, 2, 3, -1, 0, 1 }, &err);
    eng_tensor *lab = eng_tensor_from_data(1, (int64_t[]){ 2 }, (const float[]){ 2, 0 }, &err);
    eng_tensor *y = eng_param(y0, &err);
    eng_tensor *l = eng_loss_call(&SCCE_LOGITS, &ag, lab, y, &err);
    assert_non_null(l);
    assert_int_equal(l->ndim, 0);
    double l1 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3, l2 = log(exp(-1.0) + 1 + exp(1.0)) + 1;
    assert_float_equal(eng_tensor_item(l), (l1 + l2) / 2, 1e-6);
    assert_int_equal(eng_backward(l, NULL, &err), ENG_OK);
    const float *g = eng_tensor_data(y->grad);
    double s1 = exp(1.0) + exp(2.0) + exp(3.0);
    assert_float_equal(g[2], (exp(3.0) / s1 - 1) / 2, 1e-6);
    assert_float_equal(g[0], (exp(1.0) / s1) / 2, 1e-6);
    /* without autograd the loss is a plain number; mismatched labels are an error */
    eng_tensor *l0 = eng_loss_call(&SCCE_LOGITS, NULL, lab, y0, &err);
    assert_float_equal(eng_tensor_item(l0), (l1 + l2) / 2, 1e-6);
    assert_null(eng_loss_call(&CCE, NULL, lab, y0, &err));
    assert_int_equal(err.code, ENG_ERR_SHAPE);
    eng_tensor_release(l0);
    eng_tensor_release(l);
    eng_tensor_release(y);
    eng_tensor_release(y0);
    eng_tensor_release(lab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_loss_values),
        cmocka_unit_test(test_nn_loss_gradients),
        cmocka_unit_test(test_nn_loss_weights),
        cmocka_unit_test(test_nn_loss_names),
        cmocka_unit_test(test_nn_loss_targets),
        cmocka_unit_test(test_nn_loss_call_autograd),
    };
    return cmocka_run_group_tests_name("nn_loss", tests, NULL, NULL);
}
