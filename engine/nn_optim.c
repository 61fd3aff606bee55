/*
 * nn_optim.c -- SGD (momentum, Nesterov), Adam and RMSprop with Keras's update rules and
 * defaults (engine.h gives the formulas; Keras 2.11 optimizer sources).
 *
 * An optimizer updates a list of parameter tensors from their ->grad. Its state (velocity,
 * moments) is one flat buffer laid out like the parameters, so parameters that are adjacent in
 * memory -- all the weights of a model, which live in one flat buffer -- are updated by ONE
 * loop over n floats: the step of a whole model is one kernel call.
 */
/* GCC 12 at -O2 vectorizes only loops that need no remainder; the kernels' loops do. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NN_SSE 1
#endif

#include "engine/nn_internal.h"

struct eng_optimizer {
    int refcount;
    eng_opt_config cfg;
    int n;
    eng_tensor **params;        /* retained */
    int64_t *offset;            /* where param i's state starts, in each state slot */
    int64_t total;              /* floats of all parameters */
    int nslots;                 /* state slots of `total` floats each */
    float *state;               /* nslots * total floats, zero at start */
    int64_t t;                  /* steps taken */
};

/* ---- kernels ------------------------------------------------------------------------------- */

/* w, vel, g (n). Keras SGD: vel = momentum * vel - lr * g; w += vel, or with Nesterov
 * w += momentum * vel - lr * g. Without momentum, vel is unused (may be NULL). */
void eng_k_sgd(float *w, float *vel, const float *g, int64_t n, float lr, float momentum,
               int nesterov)
{
    if (momentum == 0.0f) {
        for (int64_t i = 0; i < n; i++) w[i] -= lr * g[i];
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        float v = momentum * vel[i] - lr * g[i];
        vel[i] = v;
        w[i] += nesterov ? momentum * v - lr * g[i] : v;
    }
}

/* Adam's update of n floats, four at a time, then one at a time: the portable body. */
static void adam_sse(float *w, float *m, float *v, const float *g, int64_t n, float lr_t,
                     float c1, float c2, float eps)
{
    int64_t i = 0;
#ifdef NN_SSE
    __m128 vc1 = _mm_set1_ps(c1), vc2 = _mm_set1_ps(c2), vlr = _mm_set1_ps(lr_t),
           veps = _mm_set1_ps(eps);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i), mi = _mm_loadu_ps(m + i), vi = _mm_loadu_ps(v + i);
        mi = _mm_add_ps(mi, _mm_mul_ps(_mm_sub_ps(gi, mi), vc1));
        vi = _mm_add_ps(vi, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(gi, gi), vi), vc2));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        __m128 step = _mm_div_ps(_mm_mul_ps(vlr, mi), _mm_add_ps(_mm_sqrt_ps(vi), veps));
        _mm_storeu_ps(w + i, _mm_sub_ps(_mm_loadu_ps(w + i), step));
    }
#endif
    for (; i < n; i++) {
        float mi = m[i] + (g[i] - m[i]) * c1;
        float vi = v[i] + (g[i] * g[i] - v[i]) * c2;
        m[i] = mi;
        v[i] = vi;
        w[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

#ifdef NN_SSE
/* The same sixteen floats at a time, for CPUs with AVX-512 (the step of a model is one call
 * over all its weights, so this loop is a visible part of a training step). The arithmetic is
 * the same as adam_sse's, operation for operation (no fused multiply-add), so results do not
 * depend on the CPU. */
__attribute__((target("avx512f")))
static void adam_avx512(float *w, float *m, float *v, const float *g, int64_t n, float lr_t,
                        float c1, float c2, float eps)
{
    __m512 vc1 = _mm512_set1_ps(c1), vc2 = _mm512_set1_ps(c2), vlr = _mm512_set1_ps(lr_t),
           veps = _mm512_set1_ps(eps);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i), mi = _mm512_loadu_ps(m + i), vi = _mm512_loadu_ps(v + i);
        mi = _mm512_add_ps(mi, _mm512_mul_ps(_mm512_sub_ps(gi, mi), vc1));
        vi = _mm512_add_ps(vi, _mm512_mul_ps(_mm512_sub_ps(_mm512_mul_ps(gi, gi), vi), vc2));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 step = _mm512_div_ps(_mm512_mul_ps(vlr, mi), _mm512_add_ps(_mm512_sqrt_ps(vi), veps));
        _mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_loadu_ps(w + i), step));
    }
    adam_sse(w + i, m + i, v + i, g + i, n - i, lr_t, c1, c2, eps);
}

/* And eight at a time with AVX. */
__attribute__((target("avx")))
static void adam_avx(float *w, float *m, float *v, const float *g, int64_t n, float lr_t,
                     float c1, float c2, float eps)
{
    __m256 vc1 = _mm256_set1_ps(c1), vc2 = _mm256_set1_ps(c2), vlr = _mm256_set1_ps(lr_t),
           veps = _mm256_set1_ps(eps);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(_mm256_sub_ps(gi, mi), vc1));
        vi = _mm256_add_ps(vi, _mm256_mul_ps(_mm256_sub_ps(_mm256_mul_ps(gi, gi), vi), vc2));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
        _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_loadu_ps(w + i), step));
    }
    adam_sse(w + i, m + i, v + i, g + i, n - i, lr_t, c1, c2, eps);
}
#endif

/* w, m, v, g (n). Adam (Kingma & Ba, https://arxiv.org/abs/1412.6980) as Keras writes it:
 * the bias corrections folded into lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), epsilon "hat".
 * sqrtf in a loop is not vectorized by the compiler (errno), so the vector bodies are written
 * out, and the widest one the CPU has is picked at run time. */
void eng_k_adam(float *w, float *m, float *v, const float *g, int64_t n, float lr_t, float b1,
                float b2, float eps)
{
    float c1 = 1.0f - b1, c2 = 1.0f - b2;
#ifdef NN_SSE
    if (__builtin_cpu_supports("avx512f")) {
        adam_avx512(w, m, v, g, n, lr_t, c1, c2, eps);
        return;
    }
    if (__builtin_cpu_supports("avx")) {
        adam_avx(w, m, v, g, n, lr_t, c1, c2, eps);
        return;
    }
#endif
    adam_sse(w, m, v, g, n, lr_t, c1, c2, eps);
}

/* w, a, mom, g (n). Keras 2.11 RMSprop (Hinton's lecture 6e):
 * a = rho a + (1 - rho) g^2; u = lr g / sqrt(a + eps); w -= u, or with momentum
 * mom = momentum mom + u; w -= mom. mom may be NULL when momentum is 0. */
void eng_k_rmsprop(float *w, float *a, float *mom, const float *g, int64_t n, float lr,
                   float rho, float momentum, float eps)
{
    for (int64_t i = 0; i < n; i++) {
        float ai = rho * a[i] + (1.0f - rho) * g[i] * g[i];
        a[i] = ai;
        float u = lr * g[i] / sqrtf(ai + eps);
        if (momentum != 0.0f) {
            mom[i] = momentum * mom[i] + u;
            u = mom[i];
        }
        w[i] -= u;
    }
}

/* ---- configuration ------------------------------------------------------------------------- */

static const char *const opt_names[ENG_OPT_KIND_COUNT] = { "SGD", "Adam", "RMSprop" };

const char *eng_opt_kind_name(eng_opt_kind k)
{
    return (unsigned)k < ENG_OPT_KIND_COUNT ? opt_names[k] : "?";
}

void eng_opt_config_init(eng_opt_config *c, eng_opt_kind kind)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->learning_rate = kind == ENG_OPT_SGD ? 0.01 : 0.001;
    c->beta_1 = 0.9;
    c->beta_2 = 0.999;
    c->epsilon = 1e-7;
    c->rho = 0.9;
}

static int check_config(const eng_opt_config *c, eng_error *err)
{
    const char *name = eng_opt_kind_name(c->kind);
    if ((unsigned)c->kind >= ENG_OPT_KIND_COUNT)
        return eng_err(err, ENG_ERR_VALUE, "unknown optimizer kind %d", (int)c->kind);
    if (!(c->learning_rate >= 0) || !isfinite(c->learning_rate))
        return eng_err(err, ENG_ERR_VALUE, "%s learning_rate must be a number >= 0, got %g",
                       name, c->learning_rate);
    if (!(c->momentum >= 0 && c->momentum <= 1))
        return eng_err(err, ENG_ERR_VALUE, "%s momentum must be in [0, 1], got %g", name,
                       c->momentum);
    if (!(c->beta_1 >= 0 && c->beta_1 < 1) || !(c->beta_2 >= 0 && c->beta_2 < 1))
        return eng_err(err, ENG_ERR_VALUE, "%s beta_1 and beta_2 must be in [0, 1), got %g "
                       "and %g", name, c->beta_1, c->beta_2);
    if (!(c->rho >= 0 && c->rho < 1))
        return eng_err(err, ENG_ERR_VALUE, "%s rho must be in [0, 1), got %g", name, c->rho);
    if (!(c->epsilon >= 0))
        return eng_err(err, ENG_ERR_VALUE, "%s epsilon must be >= 0, got %g", name, c->epsilon);
    return ENG_OK;
}

eng_optimizer *eng_optimizer_new(const eng_opt_config *c, eng_error *err)
{
    if (check_config(c, err) != ENG_OK) return NULL;
    eng_optimizer *o = calloc(1, sizeof *o);
    if (!o) return eng_err(err, ENG_ERR_MEMORY, "out of memory making an optimizer"), NULL;
    o->refcount = 1;
    o->cfg = *c;
    return o;
}

eng_optimizer *eng_optimizer_retain(eng_optimizer *o)
{
    o->refcount++;
    return o;
}

static void drop_params(eng_optimizer *o)
{
    for (int i = 0; i < o->n; i++) eng_tensor_release(o->params[i]);
    free(o->params);
    free(o->offset);
    free(o->state);
    o->params = NULL;
    o->offset = NULL;
    o->state = NULL;
    o->n = 0;
    o->total = 0;
    o->t = 0;
}

void eng_optimizer_release(eng_optimizer *o)
{
    if (!o || --o->refcount > 0) return;
    drop_params(o);
    free(o);
}

const eng_opt_config *eng_optimizer_get_config(const eng_optimizer *o)
{
    return &o->cfg;
}

static int state_slots(const eng_opt_config *c)
{
    switch (c->kind) {
    case ENG_OPT_SGD: return c->momentum != 0 ? 1 : 0;
    case ENG_OPT_ADAM: return 2;
    case ENG_OPT_RMSPROP: return c->momentum != 0 ? 2 : 1;
    case ENG_OPT_KIND_COUNT: break;
    }
    return 0;
}

int eng_optimizer_set_params(eng_optimizer *o, int n, eng_tensor *const *params, eng_error *err)
{
    eng_tensor **ps = calloc((size_t)(n > 0 ? n : 1), sizeof *ps);
    int64_t *off = calloc((size_t)(n > 0 ? n : 1), sizeof *off);
    if (!ps || !off) {
        free(ps);
        free(off);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory setting optimizer parameters");
    }
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (!eng_tensor_is_contiguous(params[i])) {
            free(ps);
            free(off);
            return eng_err(err, ENG_ERR_VALUE, "optimizer parameter %d is not contiguous "
                           "(a view with strides); use a param() tensor", i);
        }
        off[i] = total;
        total += params[i]->size;
    }
    int slots = state_slots(&o->cfg);
    float *state = calloc((size_t)(slots * total > 0 ? slots * total : 1), sizeof *state);
    if (!state) {
        free(ps);
        free(off);
        return eng_err(err, ENG_ERR_MEMORY, "out of memory for the optimizer's state");
    }
    for (int i = 0; i < n; i++) ps[i] = eng_tensor_retain(params[i]);
    drop_params(o);
    o->params = ps;
    o->offset = off;
    o->n = n;
    o->total = total;
    o->nslots = slots;
    o->state = state;
    return ENG_OK;
}

int eng_optimizer_param_count(const eng_optimizer *o)
{
    return o->n;
}

eng_tensor *eng_optimizer_param(const eng_optimizer *o, int i)
{
    return i >= 0 && i < o->n ? o->params[i] : NULL;
}

int64_t eng_optimizer_iterations(const eng_optimizer *o)
{
    return o->t;
}

void eng_optimizer_set_learning_rate(eng_optimizer *o, double lr)
{
    o->cfg.learning_rate = lr;
}

int64_t nn_optimizer_state_size(const eng_optimizer *o)
{
    return (int64_t)o->nslots * o->total;
}

float *nn_optimizer_state(eng_optimizer *o)
{
    return o->state;
}

void nn_optimizer_set_iterations(eng_optimizer *o, int64_t t)
{
    o->t = t;
}

/* ---- stepping ------------------------------------------------------------------------------ */

/* One kernel call over a run of n floats: weights w, gradients g, state from offset off. */
static void update_run(eng_optimizer *o, float *w, const float *g, int64_t off, int64_t n)
{
    const eng_opt_config *c = &o->cfg;
    float *s0 = o->state + off, *s1 = o->state + o->total + off;
    float lr = (float)c->learning_rate;
    switch (c->kind) {
    case ENG_OPT_SGD:
        eng_k_sgd(w, o->nslots ? s0 : NULL, g, n, lr, (float)c->momentum, c->nesterov);
        break;
    case ENG_OPT_ADAM: {
        double t = (double)o->t;
        double lr_t = c->learning_rate * sqrt(1.0 - pow(c->beta_2, t)) / (1.0 - pow(c->beta_1, t));
        eng_k_adam(w, s0, s1, g, n, (float)lr_t, (float)c->beta_1, (float)c->beta_2,
                   (float)c->epsilon);
        break;
    }
    case ENG_OPT_RMSPROP:
        eng_k_rmsprop(w, s0, o->nslots > 1 ? s1 : NULL, g, n, lr, (float)c->rho,
                      (float)c->momentum, (float)c->epsilon);
        break;
    case ENG_OPT_KIND_COUNT: break;
    }
}

static const float *grad_data(const eng_tensor *p)
{
    const eng_tensor *g = p->grad;
    if (!g || g->size != p->size || !eng_tensor_is_contiguous(g)) return NULL;
    return eng_tensor_data(g);
}

int eng_optimizer_step(eng_optimizer *o, eng_error *err)
{
    for (int i = 0; i < o->n; i++) {
        const eng_tensor *p = o->params[i];
        if (p->grad && !grad_data(p))
            return eng_err(err, ENG_ERR_SHAPE, "the gradient of optimizer parameter %d does "
                           "not match the parameter's shape", i);
    }
    o->t++;
    for (int i = 0; i < o->n;) {
        float *w = eng_tensor_data(o->params[i]);
        const float *g = grad_data(o->params[i]);
        int64_t n = o->params[i]->size;
        int j = i + 1;
        /* extend the run while the next parameter, its gradient and its state follow on */
        while (g && j < o->n && eng_tensor_data(o->params[j]) == w + n &&
               grad_data(o->params[j]) == g + n) {
            n += o->params[j]->size;
            j++;
        }
        if (g) update_run(o, w, g, o->offset[i], n);
        for (int k = i; g && k < j; k++) eng_tensor_bump_version(o->params[k]);   /* as PyTorch */
        i = j;
    }
    return ENG_OK;
}

void eng_optimizer_zero_grad(eng_optimizer *o)
{
    for (int i = 0; i < o->n; i++) eng_tensor_zero_grad(o->params[i]);
}
