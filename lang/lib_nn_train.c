/*
 * lib_nn_train.c -- what training is made of, in the language: losses (functions and Keras's
 * loss objects), optimizers usable by compile or by hand, EarlyStopping, and the History fit
 * returns.
 *
 *     loss_fn = SparseCategoricalCrossentropy(from_logits=True);  l = loss_fn(y, logits)
 *     l = sparse_categorical_crossentropy(y, probs)        # the batch mean, a 0-d tensor
 *     opt = Adam(model.params, 0.001)                      # PyTorch style: params first ...
 *     opt.zero_grad(); l.backward(); opt.step()
 *     model.compile(optimizer=Adam(learning_rate=0.01), loss="mse")     # ... or Keras style
 *     early = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
 *     h = model.fit(x, y, callbacks=[early]);  h.history["loss"]
 *
 * The loss functions return the batch mean (like the loss objects and PyTorch's losses), not
 * Keras's one value per sample, so `loss.backward()` works on what they return.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_nn.h"
#include "lang/lib_tensor.h"
#include "lang/vm.h"

/* ---- losses -------------------------------------------------------------------------------- */

/* Keras's loss classes, one per kind; ORDER eng_loss_kind. */
static const char *const loss_class_names[ENG_LOSS_KIND_COUNT] = {
    "MeanSquaredError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
};

const eng_loss *lang_nn_loss_of(lang_value v)
{
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE)) return NULL;
    const lang_native_class *c = LANG_AS_NATIVE(v)->cls;
    if (c < lang_nn_loss_classes || c >= lang_nn_loss_classes + ENG_LOSS_KIND_COUNT) return NULL;
    return LANG_AS_NATIVE(v)->ptr;
}

/* loss(y_true, y_pred) for a loss config: a 0-d tensor (recording autograd when y_pred does). */
static lang_status call_loss(lang_vm *vm, const eng_loss *loss, lang_value yt, lang_value yp,
                             lang_value *out)
{
    eng_tensor *t, *p;
    lang_status st = lang_tensor_from_value(vm, yt, "loss y_true", &t);
    if (st != LANG_OK) return st;
    if ((st = lang_tensor_from_value(vm, yp, "loss y_pred", &p)) != LANG_OK) {
        eng_tensor_release(t);
        return st;
    }
    eng_error err;
    eng_tensor *l = eng_loss_call(loss, lang_vm_ag(vm), t, p, &err);
    eng_tensor_release(t);
    eng_tensor_release(p);
    return lang_tensor_result(vm, l, &err, 0, out);
}

static lang_status arg_from_logits(lang_vm *vm, lang_value v, int *out)
{
    *out = 0;
    return lang_nn_given(v) ? lang_arg_bool(vm, v, "from_logits", out) : LANG_OK;
}

static lang_status loss_fn(lang_vm *vm, eng_loss_kind kind, lang_value *a, int has_logits,
                           lang_value *out)
{
    eng_loss l = { kind, 0, NULL };
    lang_status st = has_logits ? arg_from_logits(vm, a[2], &l.from_logits) : LANG_OK;
    return st == LANG_OK ? call_loss(vm, &l, a[0], a[1], out) : st;
}

static lang_status bi_mse(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return loss_fn(vm, ENG_LOSS_MSE, a, 0, out);
}

static lang_status bi_bce(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return loss_fn(vm, ENG_LOSS_BCE, a, 1, out);
}

static lang_status bi_cce(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return loss_fn(vm, ENG_LOSS_CCE, a, 1, out);
}

static lang_status bi_scce(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return loss_fn(vm, ENG_LOSS_SPARSE_CCE, a, 1, out);
}

/* The loss objects: MeanSquaredError(), SparseCategoricalCrossentropy(from_logits=True) ... */
static lang_status new_loss_object(lang_vm *vm, eng_loss_kind kind, lang_value from_logits,
                                   lang_value *out)
{
    eng_loss *l = calloc(1, sizeof *l);
    if (!l) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    l->kind = kind;
    lang_status st = arg_from_logits(vm, from_logits, &l->from_logits);
    if (st != LANG_OK) {
        free(l);
        return st;
    }
    lang_native *n = lang_native_new(vm, &lang_nn_loss_classes[kind], l);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

static lang_status bi_mse_obj(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return new_loss_object(vm, ENG_LOSS_MSE, lang_undef(), out);
}

static lang_status bi_bce_obj(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return new_loss_object(vm, ENG_LOSS_BCE, a[0], out);
}

static lang_status bi_cce_obj(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return new_loss_object(vm, ENG_LOSS_CCE, a[0], out);
}

static lang_status bi_scce_obj(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return new_loss_object(vm, ENG_LOSS_SPARSE_CCE, a[0], out);
}

static lang_status loss_object_call(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                    lang_value *out)
{
    return call_loss(vm, lang_nn_loss_of(a[0]), a[1], a[2], out);
}

static lang_status loss_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    const eng_loss *l = ptr;
    if (strcmp(name, "from_logits") == 0) { *out = lang_bool(l->from_logits); return LANG_OK; }
    if (strcmp(name, "name") == 0) {
        lang_str *s = lang_str_cstr(vm, eng_loss_name(l->kind));
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    return LANG_ERR_NAME;
}

static char *loss_repr(void *ptr)
{
    const eng_loss *l = ptr;
    char *s = malloc(96);
    if (s)
        snprintf(s, 96, "%s(%s)", loss_class_names[l->kind],
                 l->kind == ENG_LOSS_MSE ? "" : l->from_logits ? "from_logits=True" : "from_logits=False");
    return s;
}

static const char *const loss_attrs[] = { "name", "from_logits", NULL };

#define LOSS_CLASS(NAME) { .name = NAME, .free = free, .get_attr = loss_get_attr, \
    .call = loss_object_call, .call_params = "self, y_true, y_pred", .repr = loss_repr, \
    .attrs = loss_attrs }

const lang_native_class lang_nn_loss_classes[ENG_LOSS_KIND_COUNT] = {
    LOSS_CLASS("MeanSquaredError"), LOSS_CLASS("BinaryCrossentropy"),
    LOSS_CLASS("CategoricalCrossentropy"), LOSS_CLASS("SparseCategoricalCrossentropy"),
};

lang_status lang_nn_arg_loss(lang_vm *vm, lang_value v, eng_loss *out)
{
    const eng_loss *l = lang_nn_loss_of(v);
    if (l) {
        *out = *l;
        return LANG_OK;
    }
    const char *name = NULL;
    if (LANG_IS_STR(v)) name = LANG_AS_STR(v)->chars;
    else if (LANG_IS_TYPE(v, LANG_OBJ_BUILTIN)) name = ((lang_builtin *)v.as.obj)->def->name;
    eng_error err;
    if (name && eng_loss_from_name(name, out, &err) == ENG_OK) return LANG_OK;
    if (name && LANG_IS_STR(v)) return lang_raise_eng(vm, &err);
    if (LANG_IS_TYPE(v, LANG_OBJ_FUNC)) {
        memset(out, 0, sizeof *out);
        return lang_nn_loss_fn_new(vm, v, &out->fn);
    }
    lang_raise(vm, LANG_ERR_TYPE, "compile() loss must be a loss name, a loss object or a "
               "function loss(y_true, y_pred), got %s", name ? name : lang_type_name(v));
    lang_hint(vm, "e.g. loss=\"mse\", loss=SparseCategoricalCrossentropy(from_logits=True), or "
              "def my_loss(y_true, y_pred): return mean((y_true - y_pred) ** 2, axis=-1)");
    return LANG_ERR_TYPE;
}

/* ---- optimizers ---------------------------------------------------------------------------- */

eng_optimizer *lang_nn_optimizer_of(lang_value v)
{
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE)) return NULL;
    const lang_native_class *c = LANG_AS_NATIVE(v)->cls;
    if (c < lang_nn_optimizer_classes || c >= lang_nn_optimizer_classes + ENG_OPT_KIND_COUNT)
        return NULL;
    return LANG_AS_NATIVE(v)->ptr;
}

lang_status lang_nn_wrap_optimizer(lang_vm *vm, eng_optimizer *o, lang_value *out)
{
    lang_native *n = lang_native_new(vm, &lang_nn_optimizer_classes[eng_optimizer_get_config(o)->kind], o);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

/* Explicit parameters must be leaves that record gradients: param(t) or model.params. */
static lang_status set_params(lang_vm *vm, eng_optimizer *o, lang_value v, const char *kind)
{
    eng_tensor **ts;
    int n;
    char what[64];
    snprintf(what, sizeof what, "%s params", kind);
    lang_status st = lang_nn_arg_tensor_list(vm, v, what, &ts, &n);
    if (st != LANG_OK) return st;
    for (int i = 0; i < n && st == LANG_OK; i++)
        if (!ts[i]->requires_grad || ts[i]->node) {
            st = lang_raise(vm, LANG_ERR_VALUE, "%s params item %d is not a parameter (a tensor "
                            "that records gradients)", kind, i);
            lang_hint(vm, "give model.params, or tensors made with param(t)");
        }
    eng_error err;
    if (st == LANG_OK && eng_optimizer_set_params(o, n, ts, &err) != ENG_OK) st = lang_raise_eng(vm, &err);
    free(ts);
    return st;
}

/* The leading argument is the parameters (PyTorch: Adam(model.params, 0.001)) or, when it is
 * a number, the learning rate (Keras: Adam(0.001)); then Keras's positional order shifts by
 * one: SGD(0.1, 0.9) is learning_rate 0.1, momentum 0.9. */
typedef struct opt_args {
    lang_value params;
    int shifted;                /* the first argument was the learning rate */
} opt_args;

static lang_status read_lr(lang_vm *vm, lang_value *a, const char *kind, eng_opt_config *c,
                           opt_args *oa, lang_value lr_kw)
{
    char what[64];
    snprintf(what, sizeof what, "%s learning_rate", kind);
    oa->params = lang_undef();
    oa->shifted = 0;
    lang_status st = LANG_OK;
    if (LANG_IS_NUM(a[0])) {
        oa->shifted = 1;
        st = lang_arg_num(vm, a[0], what, &c->learning_rate);
    } else {
        oa->params = a[0];
        if (lang_nn_given(a[1])) st = lang_arg_num(vm, a[1], what, &c->learning_rate);
    }
    if (st == LANG_OK && lang_nn_given(lr_kw)) st = lang_arg_num(vm, lr_kw, what, &c->learning_rate);
    return st;
}

/* An optional number argument: a[i], or for a shifted call the slot before it. */
static lang_status opt_num(lang_vm *vm, lang_value v, const char *what, double *out)
{
    return lang_nn_given(v) ? lang_arg_num(vm, v, what, out) : LANG_OK;
}

static lang_status finish_optimizer(lang_vm *vm, eng_opt_config *c, const opt_args *oa,
                                    lang_value *out)
{
    eng_error err;
    const char *kind = eng_opt_kind_name(c->kind);
    eng_optimizer *o = eng_optimizer_new(c, &err);
    if (!o) return lang_raise_eng(vm, &err);
    lang_status st = lang_nn_given(oa->params) ? set_params(vm, o, oa->params, kind) : LANG_OK;
    if (st != LANG_OK) {
        eng_optimizer_release(o);
        return st;
    }
    return lang_nn_wrap_optimizer(vm, o, out);
}

/* SGD(params=None, learning_rate=0.01, momentum=0.0, nesterov=False, lr=None) */
static lang_status bi_sgd(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_opt_config c;
    opt_args oa;
    eng_opt_config_init(&c, ENG_OPT_SGD);
    lang_status st = read_lr(vm, a, "SGD", &c, &oa, a[4]);
    if (st == LANG_OK) st = opt_num(vm, oa.shifted && lang_nn_given(a[1]) ? a[1] : a[2],
                                    "SGD momentum", &c.momentum);
    if (st == LANG_OK && lang_nn_given(a[3])) st = lang_arg_bool(vm, a[3], "nesterov", &c.nesterov);
    return st == LANG_OK ? finish_optimizer(vm, &c, &oa, out) : st;
}

/* Adam(params=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, lr=None) */
static lang_status bi_adam(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_opt_config c;
    opt_args oa;
    eng_opt_config_init(&c, ENG_OPT_ADAM);
    lang_status st = read_lr(vm, a, "Adam", &c, &oa, a[5]);
    if (st == LANG_OK) st = opt_num(vm, oa.shifted && lang_nn_given(a[1]) ? a[1] : a[2],
                                    "Adam beta_1", &c.beta_1);
    if (st == LANG_OK) st = opt_num(vm, a[3], "Adam beta_2", &c.beta_2);
    if (st == LANG_OK) st = opt_num(vm, a[4], "Adam epsilon", &c.epsilon);
    return st == LANG_OK ? finish_optimizer(vm, &c, &oa, out) : st;
}

/* RMSprop(params=None, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07, lr=None) */
static lang_status bi_rmsprop(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_opt_config c;
    opt_args oa;
    eng_opt_config_init(&c, ENG_OPT_RMSPROP);
    lang_status st = read_lr(vm, a, "RMSprop", &c, &oa, a[5]);
    if (st == LANG_OK) st = opt_num(vm, oa.shifted && lang_nn_given(a[1]) ? a[1] : a[2],
                                    "RMSprop rho", &c.rho);
    if (st == LANG_OK) st = opt_num(vm, a[3], "RMSprop momentum", &c.momentum);
    if (st == LANG_OK) st = opt_num(vm, a[4], "RMSprop epsilon", &c.epsilon);
    return st == LANG_OK ? finish_optimizer(vm, &c, &oa, out) : st;
}

static lang_status m_step(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_optimizer *o = lang_nn_optimizer_of(a[0]);
    *out = lang_none();
    if (eng_optimizer_param_count(o) == 0) {
        lang_raise(vm, LANG_ERR_VALUE, "this %s has no parameters to update",
                   eng_opt_kind_name(eng_optimizer_get_config(o)->kind));
        lang_hint(vm, "give them when making it: %s(model.params, 0.001)",
                  eng_opt_kind_name(eng_optimizer_get_config(o)->kind));
        return LANG_ERR_VALUE;
    }
    eng_error err;
    return eng_optimizer_step(o, &err) == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

static lang_status m_zero_grad(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_optimizer_zero_grad(lang_nn_optimizer_of(a[0]));
    *out = lang_none();
    return LANG_OK;
}

static lang_status opt_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    eng_optimizer *o = ptr;
    const eng_opt_config *c = eng_optimizer_get_config(o);
    if (strcmp(name, "learning_rate") == 0 || strcmp(name, "lr") == 0) {
        *out = lang_num(c->learning_rate);
        return LANG_OK;
    }
    if (strcmp(name, "iterations") == 0) {
        *out = lang_num((double)eng_optimizer_iterations(o));
        return LANG_OK;
    }
    if (strcmp(name, "params") == 0) {
        int n = eng_optimizer_param_count(o);
        eng_tensor **ts = calloc((size_t)n + 1, sizeof *ts);
        if (!ts) return LANG_ERR_MEMORY;
        for (int i = 0; i < n; i++) ts[i] = eng_optimizer_param(o, i);
        lang_status st = lang_nn_tensor_list(vm, ts, n, out);
        free(ts);
        return st;
    }
    double v = NAN;
    if (strcmp(name, "momentum") == 0 && c->kind != ENG_OPT_ADAM) v = c->momentum;
    if (c->kind == ENG_OPT_ADAM && strcmp(name, "beta_1") == 0) v = c->beta_1;
    if (c->kind == ENG_OPT_ADAM && strcmp(name, "beta_2") == 0) v = c->beta_2;
    if (c->kind != ENG_OPT_SGD && strcmp(name, "epsilon") == 0) v = c->epsilon;
    if (c->kind == ENG_OPT_RMSPROP && strcmp(name, "rho") == 0) v = c->rho;
    if (c->kind == ENG_OPT_SGD && strcmp(name, "nesterov") == 0) {
        *out = lang_bool(c->nesterov);
        return LANG_OK;
    }
    if (isnan(v)) return LANG_ERR_NAME;
    *out = lang_num(v);
    return LANG_OK;
}

static lang_status opt_set_attr(lang_vm *vm, void *ptr, const char *name, lang_value v)
{
    if (strcmp(name, "learning_rate") != 0 && strcmp(name, "lr") != 0)
        return lang_raise(vm, LANG_ERR_NAME, "cannot set attribute '%s' of an optimizer (only "
                          "learning_rate)", name);
    double lr;
    lang_status st = lang_arg_num(vm, v, "learning_rate", &lr);
    if (st == LANG_OK && !(lr >= 0))
        return lang_raise(vm, LANG_ERR_VALUE, "learning_rate must be >= 0, got %g", lr);
    if (st == LANG_OK) eng_optimizer_set_learning_rate(ptr, lr);
    return st;
}

static char *opt_repr(void *ptr)
{
    const eng_opt_config *c = eng_optimizer_get_config(ptr);
    char *s = malloc(160);
    if (!s) return NULL;
    if (c->kind == ENG_OPT_SGD)
        snprintf(s, 160, "SGD(learning_rate=%g, momentum=%g%s)", c->learning_rate, c->momentum,
                 c->nesterov ? ", nesterov=True" : "");
    else if (c->kind == ENG_OPT_ADAM)
        snprintf(s, 160, "Adam(learning_rate=%g, beta_1=%g, beta_2=%g, epsilon=%g)",
                 c->learning_rate, c->beta_1, c->beta_2, c->epsilon);
    else
        snprintf(s, 160, "RMSprop(learning_rate=%g, rho=%g, momentum=%g, epsilon=%g)",
                 c->learning_rate, c->rho, c->momentum, c->epsilon);
    return s;
}

static void opt_free(void *ptr) { eng_optimizer_release(ptr); }

static const lang_builtin_def opt_methods[] = {
    { "step", m_step, "self",
      "opt.step()\nUpdates every parameter from its .grad (after loss.backward())." },
    { "zero_grad", m_zero_grad, "self",
      "opt.zero_grad()\nSets every parameter's .grad to zero: gradients add up across "
      "backward() calls until then." },
    { NULL, NULL, NULL, NULL },
};

static const char *const opt_attrs[] = {
    "learning_rate", "lr", "iterations", "params", "momentum", "nesterov", "beta_1", "beta_2",
    "epsilon", "rho", NULL,
};

#define OPT_CLASS(NAME) { .name = NAME, .free = opt_free, .get_attr = opt_get_attr, \
    .set_attr = opt_set_attr, .methods = opt_methods, .repr = opt_repr, .attrs = opt_attrs }

const lang_native_class lang_nn_optimizer_classes[ENG_OPT_KIND_COUNT] = {
    OPT_CLASS("SGD"), OPT_CLASS("Adam"), OPT_CLASS("RMSprop"),
};

lang_status lang_nn_arg_optimizer(lang_vm *vm, lang_value v, eng_optimizer **out)
{
    eng_optimizer *o = lang_nn_optimizer_of(v);
    if (o) {
        *out = eng_optimizer_retain(o);
        return LANG_OK;
    }
    if (!LANG_IS_STR(v))
        return lang_raise(vm, LANG_ERR_TYPE, "compile() optimizer must be a name such as "
                          "\"adam\" or an optimizer such as Adam(0.001), got %s", lang_type_name(v));
    char low[32] = "";
    const char *s = LANG_AS_STR(v)->chars;
    for (size_t i = 0; s[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)s[i]);
    eng_opt_config c;
    if (strcmp(low, "sgd") == 0) eng_opt_config_init(&c, ENG_OPT_SGD);
    else if (strcmp(low, "adam") == 0) eng_opt_config_init(&c, ENG_OPT_ADAM);
    else if (strcmp(low, "rmsprop") == 0) eng_opt_config_init(&c, ENG_OPT_RMSPROP);
    else {
        lang_raise(vm, LANG_ERR_VALUE, "unknown optimizer '%s'", s);
        lang_hint(vm, "optimizers: \"sgd\", \"adam\", \"rmsprop\"");
        return LANG_ERR_VALUE;
    }
    eng_error err;
    *out = eng_optimizer_new(&c, &err);
    return *out ? LANG_OK : lang_raise_eng(vm, &err);
}

/* ---- EarlyStopping ------------------------------------------------------------------------- */

eng_callback *lang_nn_callback_of(lang_value v)
{
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE) || LANG_AS_NATIVE(v)->cls != &lang_nn_callback_class)
        return NULL;
    return LANG_AS_NATIVE(v)->ptr;
}

/* EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
 *               restore_best_weights=False) */
static lang_status bi_early_stopping(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                     lang_value *out)
{
    eng_early_stopping_config c;
    eng_early_stopping_config_init(&c);
    lang_status st = LANG_OK;
    const char *s;
    int64_t verbose = 0;
    if (lang_nn_given(a[0]) && (st = lang_arg_str(vm, a[0], "monitor", &s)) == LANG_OK)
        snprintf(c.monitor, sizeof c.monitor, "%s", s);
    if (st == LANG_OK) st = opt_num(vm, a[1], "min_delta", &c.min_delta);
    if (st == LANG_OK && lang_nn_given(a[2])) st = lang_tensor_arg_int(vm, a[2], "patience", &c.patience);
    if (st == LANG_OK && lang_nn_given(a[3])) st = lang_tensor_arg_int(vm, a[3], "verbose", &verbose);
    if (st == LANG_OK && lang_nn_given(a[4]) && (st = lang_arg_str(vm, a[4], "mode", &s)) == LANG_OK) {
        if (strcmp(s, "min") == 0) c.mode = -1;
        else if (strcmp(s, "max") == 0) c.mode = 1;
        else if (strcmp(s, "auto") != 0)
            st = lang_raise(vm, LANG_ERR_VALUE, "EarlyStopping mode must be \"auto\", \"min\" or "
                            "\"max\", got \"%s\"", s);
    }
    if (st == LANG_OK && lang_nn_given(a[5]))
        st = lang_arg_bool(vm, a[5], "restore_best_weights", &c.restore_best_weights);
    if (st != LANG_OK) return st;
    c.verbose = verbose != 0;
    eng_error err;
    eng_callback *cb = eng_early_stopping_new(&c, &err);
    if (!cb) return lang_raise_eng(vm, &err);
    lang_native *n = lang_native_new(vm, &lang_nn_callback_class, cb);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

static lang_status es_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    const eng_early_stopping_config *c = eng_early_stopping_get_config(ptr);
    if (strcmp(name, "patience") == 0) { *out = lang_num((double)c->patience); return LANG_OK; }
    if (strcmp(name, "min_delta") == 0) { *out = lang_num(c->min_delta); return LANG_OK; }
    if (strcmp(name, "stopped_epoch") == 0) {
        int64_t e = eng_early_stopping_stopped_epoch(ptr);
        *out = lang_num(e < 0 ? 0 : (double)e);       /* Keras: 0 when it did not stop */
        return LANG_OK;
    }
    if (strcmp(name, "monitor") == 0) {
        lang_str *s = lang_str_cstr(vm, c->monitor);
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    return LANG_ERR_NAME;
}

static char *es_repr(void *ptr)
{
    const eng_early_stopping_config *c = eng_early_stopping_get_config(ptr);
    char *s = malloc(160);
    if (s)
        snprintf(s, 160, "EarlyStopping(monitor=\"%s\", patience=%lld%s)", c->monitor,
                 (long long)c->patience, c->restore_best_weights ? ", restore_best_weights=True" : "");
    return s;
}

static void es_free(void *ptr) { eng_callback_free(ptr); }

static const char *const es_attrs[] = { "monitor", "patience", "min_delta", "stopped_epoch", NULL };

const lang_native_class lang_nn_callback_class = {
    .name = "EarlyStopping", .free = es_free, .get_attr = es_get_attr, .repr = es_repr,
    .attrs = es_attrs,
};

/* ---- History ------------------------------------------------------------------------------- */

typedef struct history_obj {
    eng_history *h;
    int verbose;
} history_obj;

lang_status lang_nn_wrap_history(lang_vm *vm, eng_history *h, int verbose, lang_value *out)
{
    history_obj *o = malloc(sizeof *o);
    if (!o) {
        eng_history_free(h);
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    }
    o->h = h;
    o->verbose = verbose;
    lang_native *n = lang_native_new(vm, &lang_nn_history_class, o);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

static lang_status dict_put_num(lang_vm *vm, lang_dict *d, const char *key, double v)
{
    lang_str *k = lang_str_cstr(vm, key);
    if (!k) return LANG_ERR_MEMORY;
    lang_status st = lang_dict_set(vm, d, lang_obj_val(k), lang_num(v));
    lang_decref(vm, lang_obj_val(k));
    return st;
}

/* {"loss": [...], "accuracy": [...], ...}: a new dict each time it is asked for. */
static lang_status history_dict(lang_vm *vm, const eng_history *h, lang_value *out)
{
    lang_dict *d = lang_dict_new(vm);
    if (!d) return LANG_ERR_MEMORY;
    *out = lang_obj_val(d);
    for (int k = 0; k < h->nkeys; k++) {
        lang_list *l = lang_list_new(vm, (size_t)h->nepochs);
        lang_str *key = lang_str_cstr(vm, h->keys[k]);
        lang_status st = l && key ? LANG_OK : LANG_ERR_MEMORY;
        for (int64_t e = 0; e < h->nepochs && st == LANG_OK; e++)
            st = lang_list_append(vm, l, lang_num(lang_tensor_f32_num((float)h->values[e * h->nkeys + k])));
        if (st == LANG_OK) st = lang_dict_set(vm, d, lang_obj_val(key), lang_obj_val(l));
        if (l) lang_decref(vm, lang_obj_val(l));
        if (key) lang_decref(vm, lang_obj_val(key));
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static lang_status history_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    history_obj *o = ptr;
    const eng_history *h = o->h;
    if (strcmp(name, "history") == 0) return history_dict(vm, h, out);
    if (strcmp(name, "epoch") == 0) {
        lang_list *l = lang_list_new(vm, (size_t)h->nepochs);
        if (!l) return LANG_ERR_MEMORY;
        for (int64_t e = 0; e < h->nepochs; e++) lang_list_append(vm, l, lang_num((double)e));
        *out = lang_obj_val(l);
        return LANG_OK;
    }
    if (strcmp(name, "params") == 0) {
        lang_dict *d = lang_dict_new(vm);
        if (!d) return LANG_ERR_MEMORY;
        *out = lang_obj_val(d);
        lang_status st = dict_put_num(vm, d, "verbose", o->verbose);
        if (st == LANG_OK) st = dict_put_num(vm, d, "epochs", (double)h->epochs_asked);
        if (st == LANG_OK) st = dict_put_num(vm, d, "steps", (double)h->steps);
        return st;
    }
    if (strcmp(name, "interrupted") == 0) { *out = lang_bool(h->interrupted); return LANG_OK; }
    return LANG_ERR_NAME;
}

/* "<History: 5 epochs, loss 0.2991, accuracy 0.8893>" (the last epoch's values). */
static char *history_repr(void *ptr)
{
    const eng_history *h = ((history_obj *)ptr)->h;
    char *s = malloc(512);
    if (!s) return NULL;
    int n = snprintf(s, 512, "<History: %lld epoch%s", (long long)h->nepochs,
                     h->nepochs == 1 ? "" : "s");
    for (int k = 0; k < h->nkeys && h->nepochs > 0 && n < 400; k++) {
        double v = h->values[(h->nepochs - 1) * h->nkeys + k];
        n += isnan(v) ? snprintf(s + n, 512 - (size_t)n, ", %s nan", h->keys[k])
                      : snprintf(s + n, 512 - (size_t)n, ", %s %.4f", h->keys[k], v);
    }
    snprintf(s + n, 512 - (size_t)n, "%s>", h->interrupted ? ", interrupted" : "");
    return s;
}

/* An HTML table, one row per epoch, for notebooks. */
static char *history_html(void *ptr)
{
    const eng_history *h = ((history_obj *)ptr)->h;
    size_t cap = 256 + (size_t)(h->nepochs + 1) * (size_t)(h->nkeys + 1) * 48;
    char *s = malloc(cap);
    if (!s) return NULL;
    size_t n = (size_t)snprintf(s, cap, "<table>\n<thead><tr><th>epoch</th>");
    for (int k = 0; k < h->nkeys; k++) n += (size_t)snprintf(s + n, cap - n, "<th>%s</th>", h->keys[k]);
    n += (size_t)snprintf(s + n, cap - n, "</tr></thead>\n<tbody>\n");
    for (int64_t e = 0; e < h->nepochs; e++) {
        n += (size_t)snprintf(s + n, cap - n, "<tr><td>%lld</td>", (long long)e + 1);
        for (int k = 0; k < h->nkeys; k++) {
            double v = h->values[e * h->nkeys + k];
            n += (size_t)(isnan(v) ? snprintf(s + n, cap - n, "<td>nan</td>")
                                   : snprintf(s + n, cap - n, "<td>%.4f</td>", v));
        }
        n += (size_t)snprintf(s + n, cap - n, "</tr>\n");
    }
    snprintf(s + n, cap - n, "</tbody>\n</table>\n");
    return s;
}

static void history_free(void *ptr)
{
    history_obj *o = ptr;
    eng_history_free(o->h);
    free(o);
}

static const char *const history_attrs[] = { "history", "epoch", "params", "interrupted", NULL };

const lang_native_class lang_nn_history_class = {
    .name = "History", .free = history_free, .get_attr = history_get_attr,
    .repr = history_repr, .html = history_html, .attrs = history_attrs,
};

/* ---- registration -------------------------------------------------------------------------- */

#define LOSS_HELP(NAME, WHAT, EX) NAME "\n" WHAT " The mean over the batch, as a 0-d tensor " \
    "(backward() works on it). from_logits=True when y_pred holds raw scores rather than " \
    "probabilities.\nExample: " EX

const lang_builtin_def lang_nn_train_builtins[] = {
    { "mse", bi_mse, "y_true, y_pred",
      "mse(y_true, y_pred)\nMean squared error: mean((y_true - y_pred) ** 2), as a 0-d tensor "
      "(backward() works on it). Labels of shape (N,) fit predictions of shape (N, 1).\n"
      "Example: loss = mse(y, model(x))" },
    { "mean_squared_error", bi_mse, "y_true, y_pred",
      "mean_squared_error(y_true, y_pred)\nThe same as mse(y_true, y_pred)." },
    { "binary_crossentropy", bi_bce, "y_true, y_pred, from_logits=",
      LOSS_HELP("binary_crossentropy(y_true, y_pred, from_logits=False)",
                "Cross-entropy of 0/1 labels and predicted probabilities.",
                "loss = binary_crossentropy(y, model(x))") },
    { "categorical_crossentropy", bi_cce, "y_true, y_pred, from_logits=",
      LOSS_HELP("categorical_crossentropy(y_true, y_pred, from_logits=False)",
                "Cross-entropy of one-hot labels (N, classes) and predicted class probabilities.",
                "loss = categorical_crossentropy(one_hot(y, 10), model(x))") },
    { "sparse_categorical_crossentropy", bi_scce, "y_true, y_pred, from_logits=",
      LOSS_HELP("sparse_categorical_crossentropy(y_true, y_pred, from_logits=False)",
                "Cross-entropy of integer labels (N,) and predicted class probabilities (N, classes).",
                "loss = sparse_categorical_crossentropy(y, logits, from_logits=True)") },
    { "MeanSquaredError", bi_mse_obj, "",
      "MeanSquaredError()\nThe mse loss as an object (Keras): loss_fn(y_true, y_pred), or "
      "compile(loss=MeanSquaredError())." },
    { "BinaryCrossentropy", bi_bce_obj, "from_logits=",
      "BinaryCrossentropy(from_logits=False)\nbinary_crossentropy as an object (Keras)." },
    { "CategoricalCrossentropy", bi_cce_obj, "from_logits=",
      "CategoricalCrossentropy(from_logits=False)\ncategorical_crossentropy as an object (Keras)." },
    { "SparseCategoricalCrossentropy", bi_scce_obj, "from_logits=",
      "SparseCategoricalCrossentropy(from_logits=False)\nsparse_categorical_crossentropy as an "
      "object (Keras).\nExample: model.compile(optimizer=\"adam\", "
      "loss=SparseCategoricalCrossentropy(from_logits=True), metrics=[\"accuracy\"])" },
    { "SGD", bi_sgd, "params=, learning_rate=, momentum=, nesterov=, lr=",
      "SGD(params=None, learning_rate=0.01, momentum=0.0, nesterov=False)\nStochastic gradient "
      "descent (Keras's rule): v = momentum * v - lr * grad; w += v (Nesterov: w += momentum * v "
      "- lr * grad). Give the parameters first for an explicit loop (PyTorch style), or a "
      "learning rate for compile (Keras style).\n"
      "Example: opt = SGD(model.params, 0.1, momentum=0.9)" },
    { "Adam", bi_adam, "params=, learning_rate=, beta_1=, beta_2=, epsilon=, lr=",
      "Adam(params=None, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)\nAdam "
      "(Keras's rule, Kingma & Ba): running averages of the gradient and its square, "
      "bias-corrected. Give the parameters first for an explicit loop, or use it in compile.\n"
      "Example: opt = Adam(model.params, 0.001); opt.zero_grad(); loss.backward(); opt.step()" },
    { "RMSprop", bi_rmsprop, "params=, learning_rate=, rho=, momentum=, epsilon=, lr=",
      "RMSprop(params=None, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07)\n"
      "RMSprop (Keras's rule): divides each step by a running root mean square of the gradient.\n"
      "Example: model.compile(optimizer=RMSprop(0.01), loss=\"mse\")" },
    { "EarlyStopping", bi_early_stopping,
      "monitor=, min_delta=, patience=, verbose=, mode=, restore_best_weights=",
      "EarlyStopping(monitor=\"val_loss\", min_delta=0, patience=0, verbose=0, mode=\"auto\", "
      "restore_best_weights=False)\nA fit callback (Keras) that ends training once `monitor` has "
      "not improved by more than min_delta for `patience` epochs; restore_best_weights puts back "
      "the weights of the best epoch.\nExample: model.fit(x, y, epochs=50, validation_split=0.2, "
      "callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])" },
    { NULL, NULL, NULL, NULL },
};
