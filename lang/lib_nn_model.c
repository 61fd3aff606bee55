/*
 * lib_nn_model.c -- Keras's Sequential model in the language:
 *
 *     model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation="relu"),
 *                         Dense(10)])
 *     model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True),
 *                   metrics=["accuracy"])
 *     history = model.fit(x_train, y_train, epochs=10)
 *     test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
 *     model.summary();  model.save("m.nabla");  m2 = load_model("m.nabla")
 *     pred = model(x)                 # autograd nodes: PyTorch-style loops
 *
 * Output. fit prints Keras's lines: "Epoch 1/5" through host->print, the progress bar through
 * lang_progress (a terminal redraws it in place, Jupyter updates one display, a file gets one
 * final line per epoch). Ctrl-C (the interrupt flag, or host->poll) stops training after the
 * current batch: the weights stay as they are and fit returns the History so far, with a
 * warning saying where it stopped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_nn.h"
#include "lang/lib_tensor.h"
#include "lang/vm.h"

eng_model *lang_nn_model_of(lang_value v)
{
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE) || LANG_AS_NATIVE(v)->cls != &lang_nn_model_class)
        return NULL;
    return LANG_AS_NATIVE(v)->ptr;
}

lang_status lang_nn_wrap_model(lang_vm *vm, eng_model *m, lang_value *out)
{
    lang_native *n = lang_native_new(vm, &lang_nn_model_class, m);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

static eng_model *self_model(lang_value *a) { return lang_nn_model_of(a[0]); }

/* Appends a layer, or every layer of a model: Sequential([model, Softmax()]) (the Keras
 * tutorial's probability model) runs model's layers -- the same layers, sharing their weights
 * -- then the softmax. (Keras nests the model as one layer; here its layers are listed.) */
static lang_status add_layer(lang_vm *vm, eng_model *m, lang_value v, size_t i)
{
    eng_error err;
    eng_model *inner = lang_nn_model_of(v);
    if (inner == m) return lang_raise(vm, LANG_ERR_VALUE, "a model cannot contain itself");
    for (int k = 0; inner && k < eng_model_layer_count(inner); k++)
        if (eng_model_add(m, eng_model_layer(inner, k), lang_vm_rng(vm), &err) != ENG_OK)
            return lang_raise_eng(vm, &err);
    if (inner) return LANG_OK;
    eng_layer *l = lang_nn_layer_of(v);
    if (!l)
        return lang_raise(vm, LANG_ERR_TYPE, "Sequential takes layers; item %zu is a %s", i,
                          lang_type_name(v));
    return eng_model_add(m, l, lang_vm_rng(vm), &err) == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

/* Sequential(layers=None, name=None) */
static lang_status bi_sequential(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    char name[64];
    const char *given_name;
    lang_status st;
    if (lang_nn_given(a[1])) {
        if ((st = lang_arg_str(vm, a[1], "Sequential name", &given_name)) != LANG_OK) return st;
        snprintf(name, sizeof name, "%s", given_name);
    } else if ((st = lang_nn_unique_name(vm, "sequential", name, sizeof name)) != LANG_OK) {
        return st;
    }
    if (lang_nn_given(a[0]) && !LANG_IS_LIST(a[0]) && !LANG_IS_TUPLE(a[0]))
        return lang_raise(vm, LANG_ERR_TYPE, "Sequential takes a list of layers, got %s",
                          lang_type_name(a[0]));
    eng_error err;
    eng_model *m = eng_model_new(name, &err);
    if (!m) return lang_raise_eng(vm, &err);
    if ((st = lang_nn_wrap_model(vm, m, out)) != LANG_OK) return st;
    if (!lang_nn_given(a[0])) return LANG_OK;
    size_t n = LANG_IS_LIST(a[0]) ? LANG_AS_LIST(a[0])->len : LANG_AS_TUPLE(a[0])->len;
    for (size_t i = 0; i < n && st == LANG_OK; i++)
        st = add_layer(vm, m, LANG_IS_LIST(a[0]) ? LANG_AS_LIST(a[0])->items[i]
                                                 : LANG_AS_TUPLE(a[0])->items[i], i);
    if (st != LANG_OK) {
        lang_decref(vm, *out);
        *out = lang_none();
    }
    return st;
}

static lang_status m_add(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    *out = lang_none();
    return add_layer(vm, self_model(a), a[1], 0);
}

/* model.build(input_shape): the full shape, batch first (None or a number). */
static lang_status m_build(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t shape[ENG_MAX_DIMS];
    if (!LANG_IS_LIST(a[1]) && !LANG_IS_TUPLE(a[1]))
        return lang_raise(vm, LANG_ERR_TYPE, "build() takes input_shape as a tuple with the batch "
                          "size first, e.g. (None, 784)");
    size_t n = LANG_IS_LIST(a[1]) ? LANG_AS_LIST(a[1])->len : LANG_AS_TUPLE(a[1])->len;
    const lang_value *it = LANG_IS_LIST(a[1]) ? LANG_AS_LIST(a[1])->items : LANG_AS_TUPLE(a[1])->items;
    if (n < 1 || n > ENG_MAX_DIMS)
        return lang_raise(vm, LANG_ERR_VALUE, "build() input_shape needs 1 to %d sizes",
                          ENG_MAX_DIMS);
    for (size_t i = 1; i < n; i++) {
        lang_status st = lang_tensor_arg_int(vm, it[i], "build() input_shape", &shape[i - 1]);
        if (st != LANG_OK) return st;
    }
    eng_error err;
    *out = lang_none();
    if (eng_model_build(self_model(a), (int)n - 1, shape, lang_vm_rng(vm), &err) != ENG_OK)
        return lang_raise_eng(vm, &err);
    return LANG_OK;
}

/* metrics=["accuracy", "mae"]: Keras's names (eng_metric_from_name), in order. */
static lang_status arg_metrics(lang_vm *vm, lang_value v, eng_metrics *metrics)
{
    metrics->n = 0;
    if (!lang_nn_given(v)) return LANG_OK;
    if (!LANG_IS_STR(v) && !LANG_IS_LIST(v) && !LANG_IS_TUPLE(v))     /* one name is fine too */
        return lang_raise(vm, LANG_ERR_TYPE, "compile() metrics must be a list of names such as "
                          "[\"accuracy\"], got %s", lang_type_name(v));
    size_t n = LANG_IS_STR(v) ? 1 : LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
    for (size_t i = 0; i < n; i++) {
        lang_value m = LANG_IS_STR(v) ? v : LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items[i]
                                                            : LANG_AS_TUPLE(v)->items[i];
        const char *s;
        eng_metric_id id;
        eng_error err;
        lang_status st = lang_arg_str(vm, m, "compile() metrics item", &s);
        if (st != LANG_OK) return st;
        if (eng_metric_from_name(s, &id, &err) != ENG_OK ||
            eng_metrics_add(metrics, id, &err) != ENG_OK)
            return lang_raise_eng(vm, &err);
    }
    return LANG_OK;
}

/* compile(optimizer="rmsprop", loss=None, metrics=None) */
static lang_status m_compile(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_loss loss = { 0 };
    eng_metrics metrics;
    eng_optimizer *opt = NULL;
    if (!lang_nn_given(a[2])) {
        lang_raise(vm, LANG_ERR_VALUE, "compile() needs a loss");
        lang_hint(vm, "e.g. model.compile(optimizer=\"adam\", loss=\"sparse_categorical_"
                  "crossentropy\", metrics=[\"accuracy\"])");
        return LANG_ERR_VALUE;
    }
    lang_status st = lang_nn_arg_loss(vm, a[2], &loss);
    if (st == LANG_OK) st = arg_metrics(vm, a[3], &metrics);
    if (st == LANG_OK) {
        lang_value o = lang_nn_given(a[1]) ? a[1] : lang_undef();
        if (LANG_IS_UNDEF(o)) {
            lang_str *s = lang_str_cstr(vm, "rmsprop");     /* Keras's default */
            if (!s) return LANG_ERR_MEMORY;
            st = lang_nn_arg_optimizer(vm, lang_obj_val(s), &opt);
            lang_decref(vm, lang_obj_val(s));
        } else {
            st = lang_nn_arg_optimizer(vm, o, &opt);
        }
    }
    if (st != LANG_OK) {
        eng_loss_fn_release(loss.fn);
        return st;
    }
    eng_error err;
    int rc = eng_model_compile(self_model(a), opt, &loss, &metrics, &err);
    eng_loss_fn_release(loss.fn);
    eng_optimizer_release(opt);
    *out = lang_none();
    return rc == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

/* ---- progress -------------------------------------------------------------------------------- */

typedef struct progress_ctx {
    lang_vm *vm;
    int verbose;
    int warned_nan;
    int have_last;
    eng_progress last;          /* the newest step, to finish the bar after an interrupt */
} progress_ctx;

static void show_bar(progress_ctx *c, const eng_progress *p, int final)
{
    char line[512];
    eng_progbar_format(line, sizeof line, p, c->verbose);
    lang_progress(c->vm, line, final);
}

static void warn_nan(progress_ctx *c, const eng_progress *p)
{
    if (c->warned_nan || p->logs.n == 0 || !isnan(p->logs.values[0])) return;
    char msg[256];
    snprintf(msg, sizeof msg, "warning: the loss is nan in epoch %lld: the learning rate may be "
             "too high, or the inputs need scaling (x / 255)\n", (long long)p->epoch + 1);
    const lang_host *h = lang_vm_host(c->vm);
    if (h->warn) h->warn(h->ud, msg, strlen(msg));
    c->warned_nan = 1;
}

static void on_progress(void *ud, const eng_progress *p)
{
    progress_ctx *c = ud;
    if (p->kind == ENG_PROGRESS_EPOCH_END) warn_nan(c, p);
    if (p->kind == ENG_PROGRESS_STEP) {
        c->last = *p;
        c->have_last = 1;
    }
    if (c->verbose == 0) return;
    char head[64];
    switch (p->kind) {
    case ENG_PROGRESS_EPOCH_BEGIN:
        snprintf(head, sizeof head, "Epoch %lld/%lld\n", (long long)p->epoch + 1,
                 (long long)p->epochs);
        lang_nn_print(c->vm, head);
        c->have_last = 0;
        break;
    case ENG_PROGRESS_STEP:
        if (c->verbose == 1) show_bar(c, p, 0);
        break;
    case ENG_PROGRESS_EPOCH_END:
        show_bar(c, p, 1);
        c->have_last = 0;
        break;
    case ENG_PROGRESS_STOPPED: break;
    }
}

/* Ctrl-C: the VM's interrupt flag, or the host (Jupyter's interrupt, a window's events),
 * asked after every batch (a batch takes far longer than a poll). */
static int on_poll(void *ud)
{
    progress_ctx *c = ud;
    if (lang_interrupted) return 1;
    const lang_host *h = lang_vm_host(c->vm);
    if (h->poll && h->poll(h->ud)) lang_interrupted = 1;
    return lang_interrupted != 0;
}

/* After evaluate/predict: the bar's final line. */
static void finish_pass(progress_ctx *c, const eng_logs *logs)
{
    if (c->verbose == 0 || !c->have_last) return;
    eng_progress p = c->last;
    if (logs) p.logs = *logs;
    show_bar(c, &p, 1);
}

/* ---- fit --------------------------------------------------------------------------------- */

/* A function in callbacks=[...]: called as f(epoch, logs) after every epoch. */
typedef struct user_callback {
    eng_callback cb;
    lang_vm *vm;
    lang_value fn;              /* borrowed from fit's arguments */
    lang_status st;             /* the error it raised, LANG_OK otherwise */
} user_callback;

static lang_status logs_dict(lang_vm *vm, const eng_logs *logs, lang_value *out)
{
    lang_dict *d = lang_dict_new(vm);
    if (!d) return LANG_ERR_MEMORY;
    *out = lang_obj_val(d);
    for (int i = 0; i < logs->n; i++) {
        lang_str *k = lang_str_cstr(vm, logs->names[i]);
        if (!k) return LANG_ERR_MEMORY;
        lang_status st = lang_dict_set(vm, d, lang_obj_val(k),
                                       lang_num(lang_tensor_f32_num((float)logs->values[i])));
        lang_decref(vm, lang_obj_val(k));
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static int user_epoch_end(eng_callback *cb, eng_model *m, int64_t epoch, const eng_logs *logs,
                          int *stop, eng_error *err)
{
    user_callback *u = (user_callback *)cb;
    lang_value args[2] = { lang_num((double)epoch), lang_none() }, res = lang_none();
    u->st = logs_dict(u->vm, logs, &args[1]);
    if (u->st == LANG_OK) u->st = lang_call_value(u->vm, u->fn, 2, args, &res);
    lang_decref(u->vm, args[1]);
    lang_decref(u->vm, res);
    if (u->st == LANG_OK) return ENG_OK;
    snprintf(err->msg, sizeof err->msg, "a callback raised an error");
    err->code = ENG_ERR_VALUE;
    return ENG_ERR_VALUE;
}

/* callbacks=[EarlyStopping(...), f]: engine callbacks (borrowed) and user functions (each
 * wrapped in users[i], owned by the caller). */
typedef struct fit_callbacks {
    int n;
    eng_callback **list;
    user_callback *users;
} fit_callbacks;

static void free_callbacks(fit_callbacks *f)
{
    free(f->list);
    free(f->users);
}

static lang_status arg_callbacks(lang_vm *vm, lang_value v, fit_callbacks *f)
{
    memset(f, 0, sizeof *f);
    if (!lang_nn_given(v)) return LANG_OK;
    if (!LANG_IS_LIST(v) && !LANG_IS_TUPLE(v))
        return lang_raise(vm, LANG_ERR_TYPE, "fit() callbacks must be a list, got %s",
                          lang_type_name(v));
    size_t n = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
    const lang_value *it = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
    f->list = calloc(n + 1, sizeof *f->list);
    f->users = calloc(n + 1, sizeof *f->users);
    if (!f->list || !f->users) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    for (size_t i = 0; i < n; i++) {
        eng_callback *cb = lang_nn_callback_of(it[i]);
        int callable = LANG_IS_TYPE(it[i], LANG_OBJ_FUNC) || LANG_IS_TYPE(it[i], LANG_OBJ_BUILTIN);
        if (!cb && !callable)
            return lang_raise(vm, LANG_ERR_TYPE, "fit() callbacks item %zu is a %s; give "
                              "EarlyStopping(...) or a function f(epoch, logs)", i,
                              lang_type_name(it[i]));
        if (!cb) {
            user_callback *u = &f->users[i];
            u->cb.ud = u;
            u->cb.on_epoch_end = user_epoch_end;
            u->vm = vm;
            u->fn = it[i];
            cb = &u->cb;
        }
        f->list[f->n++] = cb;
    }
    return LANG_OK;
}

/* EarlyStopping on a key fit will not log: Keras warns and trains on. */
static int logs_metric(const eng_metrics *ms, const char *name)
{
    for (int i = 0; i < ms->n; i++)
        if (strcmp(eng_metric_name(ms->id[i], 0), name) == 0) return 1;
    return 0;
}

static void check_monitors(lang_vm *vm, const fit_callbacks *f, const eng_metrics *metrics,
                           int has_val)
{
    for (int i = 0; i < f->n; i++) {
        const eng_early_stopping_config *c = eng_early_stopping_get_config(f->list[i]);
        if (!c) continue;
        const char *m = c->monitor;
        int val = strncmp(m, "val_", 4) == 0;
        const char *base = val ? m + 4 : m;
        int known = strcmp(base, "loss") == 0 || logs_metric(metrics, base);
        if (known && (!val || has_val)) continue;
        char msg[256];
        snprintf(msg, sizeof msg, "warning: EarlyStopping monitors '%s', which fit does not "
                 "report%s\n", m, val && !has_val ? " (no validation data)" : "");
        const lang_host *h = lang_vm_host(vm);
        if (h->warn) h->warn(h->ud, msg, strlen(msg));
    }
}

typedef struct fit_args {
    eng_fit_options o;
    eng_tensor *x, *y, *xv, *yv, *sw, *swv;
    double *cw;                 /* class_weight by class */
    fit_callbacks cbs;
    int verbose;
} fit_args;

static void free_fit_args(fit_args *f)
{
    eng_tensor_release(f->x);
    eng_tensor_release(f->y);
    eng_tensor_release(f->xv);
    eng_tensor_release(f->yv);
    eng_tensor_release(f->sw);
    eng_tensor_release(f->swv);
    free(f->cw);
    free_callbacks(&f->cbs);
}

/* class_weight={0: 1.0, 1: 5.0}: a weight for every class from 0 up (Keras's rule). */
static lang_status arg_class_weight(lang_vm *vm, lang_value v, fit_args *f)
{
    enum { MAX_CLASSES = 1 << 20 };
    if (!lang_nn_given(v)) return LANG_OK;
    if (!LANG_IS_DICT(v))
        return lang_raise(vm, LANG_ERR_TYPE, "fit() class_weight must be a dict {class: "
                          "weight}, got %s", lang_type_name(v));
    lang_dict *d = LANG_AS_DICT(v);
    f->cw = malloc((d->len ? d->len : 1) * sizeof *f->cw);
    if (!f->cw) return LANG_ERR_MEMORY;
    for (size_t i = 0; i < d->len; i++) f->cw[i] = NAN;
    for (size_t e = 0; e < d->n_entries; e++) {
        const lang_dict_entry *en = &d->entries[e];
        if (LANG_IS_UNDEF(en->key)) continue;
        int64_t c;
        double w;
        lang_status st = lang_tensor_arg_int(vm, en->key, "fit() class_weight key", &c);
        if (st == LANG_OK) st = lang_arg_num(vm, en->val, "fit() class_weight value", &w);
        if (st != LANG_OK) return st;
        if (c < 0 || (size_t)c >= d->len || c >= MAX_CLASSES) {
            lang_raise(vm, LANG_ERR_VALUE, "fit() class_weight has class %lld, but its %zu keys "
                       "should be the classes 0 to %zu", (long long)c, d->len, d->len - 1);
            lang_hint(vm, "give a weight for every class, e.g. class_weight={0: 1.0, 1: 5.0}");
            return LANG_ERR_VALUE;
        }
        f->cw[c] = w;
    }
    f->o.class_weight = f->cw;
    f->o.n_class_weight = (int64_t)d->len;
    return LANG_OK;
}

/* validation_data=(x_val, y_val) or (x_val, y_val, sample_weight_val) */
static lang_status arg_validation_data(lang_vm *vm, lang_value v, fit_args *f)
{
    if (!lang_nn_given(v)) return LANG_OK;
    size_t n = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->len : LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : 0;
    if (n != 2 && n != 3)
        return lang_raise(vm, LANG_ERR_TYPE, "fit() validation_data must be a pair (x_val, "
                          "y_val) or a triple (x_val, y_val, sample_weight_val)");
    const lang_value *it = LANG_IS_TUPLE(v) ? LANG_AS_TUPLE(v)->items : LANG_AS_LIST(v)->items;
    lang_status st = lang_nn_arg_data(vm, it[0], "validation_data x", &f->xv);
    if (st == LANG_OK) st = lang_nn_arg_data(vm, it[1], "validation_data y", &f->yv);
    if (st == LANG_OK && n == 3 && lang_nn_given(it[2]))
        st = lang_nn_arg_data(vm, it[2], "validation_data sample_weight", &f->swv);
    f->o.x_val = f->xv;
    f->o.y_val = f->yv;
    f->o.sw_val = f->swv;
    return st;
}

static lang_status arg_int_opt(lang_vm *vm, lang_value v, const char *what, int64_t *out)
{
    return lang_nn_given(v) ? lang_tensor_arg_int(vm, v, what, out) : LANG_OK;
}

/* self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
 * class_weight, sample_weight */
static lang_status parse_fit(lang_vm *vm, lang_value *a, fit_args *f)
{
    memset(f, 0, sizeof *f);
    eng_fit_options_init(&f->o);
    int64_t verbose = 1;
    if (!lang_nn_given(a[2]))
        return lang_raise(vm, LANG_ERR_TYPE, "fit() needs the labels y: model.fit(x, y)");
    lang_status st = lang_nn_arg_data(vm, a[1], "fit() x", &f->x);
    if (st == LANG_OK) st = lang_nn_arg_data(vm, a[2], "fit() y", &f->y);
    if (st == LANG_OK) st = arg_int_opt(vm, a[3], "fit() batch_size", &f->o.batch_size);
    if (st == LANG_OK) st = arg_int_opt(vm, a[4], "fit() epochs", &f->o.epochs);
    if (st == LANG_OK) st = arg_int_opt(vm, a[5], "fit() verbose", &verbose);
    if (st == LANG_OK) st = arg_callbacks(vm, a[6], &f->cbs);
    if (st == LANG_OK && lang_nn_given(a[7]))
        st = lang_arg_num(vm, a[7], "fit() validation_split", &f->o.validation_split);
    if (st == LANG_OK) st = arg_validation_data(vm, a[8], f);
    if (st == LANG_OK && lang_nn_given(a[9])) st = lang_arg_bool(vm, a[9], "shuffle", &f->o.shuffle);
    if (st == LANG_OK) st = arg_class_weight(vm, a[10], f);
    if (st == LANG_OK && lang_nn_given(a[11]))
        st = lang_nn_arg_data(vm, a[11], "fit() sample_weight", &f->sw);
    f->o.sample_weight = f->sw;
    if (st == LANG_OK && (verbose < 0 || verbose > 2))
        st = lang_raise(vm, LANG_ERR_VALUE, "fit() verbose must be 0, 1 or 2, got %lld",
                        (long long)verbose);
    f->verbose = (int)verbose;
    f->o.callbacks = f->cbs.list;
    f->o.ncallbacks = f->cbs.n;
    f->o.rng = lang_vm_rng(vm);
    return st;
}

/* The error a compiled loss function raised, if any (it is already on the VM). */
static lang_status loss_fn_error(const eng_model *m)
{
    const eng_loss *l = eng_model_loss(m);
    return l ? lang_nn_loss_fn_error(l->fn) : LANG_OK;
}

/* The error a user callback raised, if any (it is already on the VM). */
static lang_status callback_error(const fit_callbacks *f)
{
    for (int i = 0; i < f->n; i++)
        if (f->list[i] == &f->users[i].cb && f->users[i].st != LANG_OK) return f->users[i].st;
    return LANG_OK;
}

static void report_interrupt(lang_vm *vm, progress_ctx *pc, const eng_history *h)
{
    if (pc->verbose == 1 && pc->have_last) show_bar(pc, &pc->last, 1);
    lang_interrupted = 0;
    char msg[256];
    snprintf(msg, sizeof msg, "KeyboardInterrupt: training stopped in epoch %lld after batch "
             "%lld of %lld; the model keeps its weights, the History has %lld epoch%s\n",
             (long long)h->nepochs + 1, (long long)h->interrupted_step, (long long)h->steps,
             (long long)h->nepochs, h->nepochs == 1 ? "" : "s");
    const lang_host *host = lang_vm_host(vm);
    if (host->warn) host->warn(host->ud, msg, strlen(msg));
}

/* Keras prints "Epoch 5: early stopping" for EarlyStopping(verbose=1). */
static void report_early_stops(lang_vm *vm, const fit_callbacks *f)
{
    for (int i = 0; i < f->n; i++) {
        int64_t e = eng_early_stopping_stopped_epoch(f->list[i]);
        const eng_early_stopping_config *c = eng_early_stopping_get_config(f->list[i]);
        if (e < 0 || !c || !c->verbose) continue;
        char msg[96];
        snprintf(msg, sizeof msg, "Epoch %lld: early stopping\n", (long long)e + 1);
        lang_nn_print(vm, msg);
    }
}

static lang_status m_fit(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_model *m = self_model(a);
    fit_args f;
    lang_status st = parse_fit(vm, a, &f);
    if (st != LANG_OK) {
        free_fit_args(&f);
        return st;
    }
    progress_ctx pc = { vm, f.verbose, 0, 0, { 0 } };
    f.o.progress = on_progress;
    f.o.progress_ud = &pc;
    f.o.poll = on_poll;
    f.o.poll_ud = &pc;
    check_monitors(vm, &f.cbs, eng_model_metrics(m),
                   f.xv != NULL || f.o.validation_split > 0);
    eng_error err;
    eng_history *h = eng_model_fit(m, f.x, f.y, &f.o, &err);
    if (!h) {
        st = callback_error(&f.cbs);
        if (st == LANG_OK) st = loss_fn_error(m);
        if (st == LANG_OK) st = lang_raise_eng(vm, &err);
    } else {
        if (h->interrupted) report_interrupt(vm, &pc, h);
        report_early_stops(vm, &f.cbs);
        st = lang_nn_wrap_history(vm, h, f.verbose, out);
    }
    free_fit_args(&f);
    return st;
}

/* ---- evaluate, predict, call ---------------------------------------------------------------- */

static lang_status arg_verbose(lang_vm *vm, lang_value v, const char *what, int *out)
{
    int64_t n = 1;
    lang_status st = arg_int_opt(vm, v, what, &n);
    if (st == LANG_OK && (n < 0 || n > 2))
        return lang_raise(vm, LANG_ERR_VALUE, "%s must be 0, 1 or 2, got %lld", what, (long long)n);
    *out = (int)n;
    return st;
}

/* evaluate(x, y, batch_size=32, verbose=1, sample_weight=None, return_dict=False): the loss,
 * or [loss, metric...] with metrics, or {"loss": ..., "accuracy": ...} with return_dict. */
static lang_status m_evaluate(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *x = NULL, *y = NULL, *sw = NULL;
    int64_t batch = 32;
    int verbose;
    lang_status st = lang_nn_arg_data(vm, a[1], "evaluate() x", &x);
    if (st == LANG_OK) st = lang_nn_arg_data(vm, a[2], "evaluate() y", &y);
    if (st == LANG_OK) st = arg_int_opt(vm, a[3], "evaluate() batch_size", &batch);
    if (st == LANG_OK) st = arg_verbose(vm, a[4], "evaluate() verbose", &verbose);
    if (st == LANG_OK && lang_nn_given(a[5]))
        st = lang_nn_arg_data(vm, a[5], "evaluate() sample_weight", &sw);
    int as_dict = 0;
    if (st == LANG_OK && lang_nn_given(a[6])) st = lang_arg_bool(vm, a[6], "return_dict", &as_dict);
    eng_logs logs;
    eng_error err;
    if (st == LANG_OK) {
        progress_ctx pc = { vm, verbose, 1, 0, { 0 } };
        pc.verbose = verbose == 2 ? 2 : verbose;
        if (eng_model_evaluate(self_model(a), x, y, sw, batch, &logs, on_progress, &pc, &err) !=
            ENG_OK) {
            st = loss_fn_error(self_model(a));
            if (st == LANG_OK) st = lang_raise_eng(vm, &err);
        }
        else
            finish_pass(&pc, &logs);
    }
    eng_tensor_release(x);
    eng_tensor_release(y);
    eng_tensor_release(sw);
    if (st != LANG_OK) return st;
    if (as_dict) return logs_dict(vm, &logs, out);
    if (logs.n == 1) {          /* float32 values, printed as Keras prints them */
        *out = lang_num(lang_tensor_f32_num((float)logs.values[0]));
        return LANG_OK;
    }
    lang_list *l = lang_list_new(vm, (size_t)logs.n);
    if (!l) return LANG_ERR_MEMORY;
    for (int i = 0; i < logs.n; i++)
        lang_list_append(vm, l, lang_num(lang_tensor_f32_num((float)logs.values[i])));
    *out = lang_obj_val(l);
    return LANG_OK;
}

/* predict(x, batch_size=32, verbose=1) */
static lang_status m_predict(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *x;
    int64_t batch = 32;
    int verbose;
    lang_status st = lang_nn_arg_data(vm, a[1], "predict() x", &x);
    if (st != LANG_OK) return st;
    st = arg_int_opt(vm, a[2], "predict() batch_size", &batch);
    if (st == LANG_OK) st = arg_verbose(vm, a[3], "predict() verbose", &verbose);
    if (st != LANG_OK) {
        eng_tensor_release(x);
        return st;
    }
    eng_error err;
    progress_ctx pc = { vm, verbose, 1, 0, { 0 } };
    eng_tensor *y = eng_model_predict(self_model(a), x, batch, lang_vm_rng(vm), on_progress, &pc,
                                      &err);
    eng_tensor_release(x);
    if (y) finish_pass(&pc, NULL);
    return lang_tensor_result(vm, y, &err, 0, out);
}

/* model(x, training=False) */
static lang_status model_call(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *x;
    int training = 0;
    lang_status st = lang_nn_arg_data(vm, a[1], "model input", &x);
    if (st != LANG_OK) return st;
    if (lang_nn_given(a[2]) && (st = lang_arg_bool(vm, a[2], "training", &training)) != LANG_OK) {
        eng_tensor_release(x);
        return st;
    }
    eng_error err;
    eng_tensor *y = eng_model_call(self_model(a), lang_vm_ag(vm), x, training, lang_vm_rng(vm), &err);
    eng_tensor_release(x);
    return lang_tensor_result(vm, y, &err, 0, out);
}

/* ---- summary, weights, files ---------------------------------------------------------------- */

static lang_status m_summary(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_error err;
    char *s = eng_model_summary(self_model(a), 0, &err);
    if (!s) return lang_raise_eng(vm, &err);
    /* A notebook shows the table as HTML (a display with both forms); a terminal prints it. */
    const lang_host *h = lang_vm_host(vm);
    char *html = h->display ? eng_model_summary(self_model(a), 1, NULL) : NULL;
    if (html) {
        size_t n = strlen(s);
        if (n && s[n - 1] == '\n') s[n - 1] = '\0';   /* a display is a block of its own */
        lang_mime_bundle b = { .text_plain = s, .text_html = html };
        h->display(h->ud, &b, NULL);
    } else {
        lang_nn_print(vm, s);
    }
    free(html);
    free(s);
    *out = lang_none();
    return LANG_OK;
}

static lang_status m_count_params(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                  lang_value *out)
{
    eng_model *m = self_model(a);
    if (!eng_model_is_built(m))
        return lang_raise(vm, LANG_ERR_VALUE, "You tried to call `count_params` on model \"%s\", "
                          "but the model isn't built. Fit it or call it on a batch first.",
                          eng_model_name(m));
    *out = lang_num((double)eng_model_param_count(m, 0));
    return LANG_OK;
}

/* Every weight of the model, layer by layer: all of them or the trainable ones. */
static lang_status model_weights(lang_vm *vm, eng_model *m, int trainable, int copy,
                                 lang_value *out)
{
    lang_list *list = lang_list_new(vm, 8);
    if (!list) return LANG_ERR_MEMORY;
    *out = lang_obj_val(list);
    for (int i = 0; i < eng_model_layer_count(m); i++) {
        eng_layer *l = eng_model_layer(m, i);
        for (int k = 0; k < eng_layer_weight_count(l); k++) {
            if (trainable && !eng_layer_weight_trainable(l, k)) continue;
            eng_error err;
            eng_tensor *w = copy ? eng_tensor_copy(eng_layer_weight(l, k), &err)
                                 : eng_tensor_retain(eng_layer_weight(l, k));
            lang_value v = w ? lang_tensor_wrap(vm, w) : lang_undef();
            if (LANG_IS_UNDEF(v) || lang_list_append(vm, list, v) != LANG_OK)
                return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        }
    }
    return LANG_OK;
}

static lang_status m_get_weights(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    return model_weights(vm, self_model(a), 0, 1, out);
}

static lang_status m_set_weights(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    eng_model *m = self_model(a);
    eng_tensor **ts;
    int n, used = 0;
    lang_status st = lang_nn_arg_tensor_list(vm, a[1], "set_weights() weights", &ts, &n);
    if (st != LANG_OK) return st;
    int total = 0;
    for (int i = 0; i < eng_model_layer_count(m); i++) total += eng_layer_weight_count(eng_model_layer(m, i));
    eng_error err;
    if (n != total) {
        free(ts);
        return lang_raise(vm, LANG_ERR_VALUE, "model \"%s\" has %d weights, %d were given",
                          eng_model_name(m), total, n);
    }
    for (int i = 0; i < eng_model_layer_count(m) && st == LANG_OK; i++) {
        eng_layer *l = eng_model_layer(m, i);
        int k = eng_layer_weight_count(l);
        if (k && eng_layer_set_weights(l, k, ts + used, &err) != ENG_OK) st = lang_raise_eng(vm, &err);
        used += k;
    }
    free(ts);
    *out = lang_none();
    return st;
}

static lang_status m_save(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *path;
    lang_status st = lang_arg_str(vm, a[1], "save() path", &path);
    if (st != LANG_OK) return st;
    eng_error err;
    *out = lang_none();
    return eng_model_save(self_model(a), path, &err) == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

/* A loaded model's loss function, found by name in custom_objects (Keras's rule). */
static lang_status give_back_loss(lang_vm *vm, eng_model *m, lang_value objects)
{
    const char *name = eng_model_missing_loss(m);
    lang_value *f = NULL;
    if (lang_nn_given(objects)) {
        lang_str *key = lang_str_cstr(vm, name);
        if (!key) return LANG_ERR_MEMORY;
        f = lang_dict_get(LANG_AS_DICT(objects), lang_obj_val(key));
        lang_decref(vm, lang_obj_val(key));
    }
    if (!f) {
        lang_raise(vm, LANG_ERR_VALUE, "Unknown loss function: '%s'. The model was compiled with "
                   "it; give it back to load_model", name);
        lang_hint(vm, "load_model(path, custom_objects={\"%s\": %s}), or "
                  "load_model(path, compile=False) to load the layers and weights only", name, name);
        return LANG_ERR_VALUE;
    }
    eng_loss loss = { 0 };
    lang_status st = lang_nn_arg_loss(vm, *f, &loss);
    if (st == LANG_OK && !loss.fn)
        st = lang_raise(vm, LANG_ERR_TYPE, "custom_objects['%s'] must be a function "
                        "loss(y_true, y_pred)", name);
    if (st == LANG_OK) eng_model_set_loss_fn(m, loss.fn);
    eng_loss_fn_release(loss.fn);
    return st;
}

static lang_status bi_load_model(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    const char *path;
    int compile = 1;
    lang_status st = lang_arg_str(vm, a[0], "load_model() path", &path);
    if (st == LANG_OK && lang_nn_given(a[2])) st = lang_arg_bool(vm, a[2], "compile", &compile);
    if (st == LANG_OK && lang_nn_given(a[1]) && !LANG_IS_DICT(a[1]))
        st = lang_raise(vm, LANG_ERR_TYPE, "load_model() custom_objects must be a dict {name: "
                        "function}, got %s", lang_type_name(a[1]));
    if (st != LANG_OK) return st;
    eng_error err;
    eng_model *m = eng_model_load(path, &err);
    if (!m) return lang_raise_eng(vm, &err);
    if (!compile) eng_model_uncompile(m);
    if (eng_model_missing_loss(m)) st = give_back_loss(vm, m, a[1]);
    if (st != LANG_OK) {
        eng_model_release(m);
        return st;
    }
    return lang_nn_wrap_model(vm, m, out);
}

/* ---- attributes ------------------------------------------------------------------------------ */

static lang_status layers_list(lang_vm *vm, eng_model *m, lang_value *out)
{
    lang_list *list = lang_list_new(vm, (size_t)eng_model_layer_count(m));
    if (!list) return LANG_ERR_MEMORY;
    *out = lang_obj_val(list);
    for (int i = 0; i < eng_model_layer_count(m); i++) {
        lang_value v;
        lang_status st = lang_nn_wrap_layer(vm, eng_layer_retain(eng_model_layer(m, i)), &v);
        if (st != LANG_OK) return st;
        if (lang_list_append(vm, list, v) != LANG_OK) return LANG_ERR_MEMORY;
    }
    return LANG_OK;
}

/* Keras's model.metrics_names: "loss" and the compiled metrics, in evaluate's order ([] before
 * compile). */
static lang_status metrics_names(lang_vm *vm, const eng_model *m, lang_value *out)
{
    const eng_metrics *ms = eng_model_metrics(m);
    int n = eng_model_is_compiled(m) ? 1 + ms->n : 0;
    lang_list *l = lang_list_new(vm, (size_t)n);
    if (!l) return LANG_ERR_MEMORY;
    *out = lang_obj_val(l);
    for (int i = 0; i < n; i++) {
        lang_str *s = lang_str_cstr(vm, i ? eng_metric_name(ms->id[i - 1], 0) : "loss");
        if (!s) return LANG_ERR_MEMORY;
        lang_status st = lang_list_append(vm, l, lang_obj_val(s));     /* takes s */
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}

static lang_status model_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    eng_model *m = ptr;
    int64_t shape[ENG_MAX_DIMS];
    if (strcmp(name, "name") == 0) {
        lang_str *s = lang_str_cstr(vm, eng_model_name(m));
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    if (strcmp(name, "layers") == 0) return layers_list(vm, m, out);
    if (strcmp(name, "params") == 0 || strcmp(name, "trainable_weights") == 0)
        return model_weights(vm, m, 1, 0, out);
    if (strcmp(name, "weights") == 0) return model_weights(vm, m, 0, 0, out);
    if (strcmp(name, "built") == 0) { *out = lang_bool(eng_model_is_built(m)); return LANG_OK; }
    if (strcmp(name, "input_shape") == 0)
        return lang_nn_shape_tuple(vm, eng_model_input_shape(m, shape), shape, out);
    if (strcmp(name, "output_shape") == 0)
        return lang_nn_shape_tuple(vm, eng_model_output_shape(m, shape), shape, out);
    if (strcmp(name, "optimizer") == 0) {
        eng_optimizer *o = eng_model_optimizer(m);
        if (!o) { *out = lang_none(); return LANG_OK; }
        return lang_nn_wrap_optimizer(vm, eng_optimizer_retain(o), out);
    }
    if (strcmp(name, "stop_training") == 0) { *out = lang_bool(0); return LANG_OK; }
    if (strcmp(name, "metrics_names") == 0) return metrics_names(vm, m, out);
    return LANG_ERR_NAME;
}

static lang_status model_set_attr(lang_vm *vm, void *ptr, const char *name, lang_value v)
{
    if (strcmp(name, "stop_training") != 0)
        return lang_raise(vm, LANG_ERR_NAME, "cannot set attribute '%s' of a Sequential model",
                          name);
    int stop;
    lang_status st = lang_arg_bool(vm, v, "stop_training", &stop);
    if (st == LANG_OK && stop) eng_model_request_stop(ptr);
    return st;
}

static char *model_repr(void *ptr)
{
    eng_model *m = ptr;
    char *s = malloc(160);
    if (s)
        snprintf(s, 160, "<Sequential name=\"%s\", %d layer%s%s>", eng_model_name(m),
                 eng_model_layer_count(m), eng_model_layer_count(m) == 1 ? "" : "s",
                 eng_model_is_built(m) ? "" : ", not built");
    return s;
}

static char *model_html(void *ptr)
{
    return eng_model_is_built(ptr) ? eng_model_summary(ptr, 1, NULL) : NULL;
}

static void model_free(void *ptr) { eng_model_release(ptr); }

/* A model compiled with a loss function holds it (each model has one native). */
static void model_traverse(void *ptr, void (*visit)(lang_value *v, void *arg), void *arg)
{
    const eng_loss *l = eng_model_loss(ptr);
    if (l) lang_nn_loss_fn_traverse(l->fn, visit, arg);
}

static const lang_builtin_def model_methods[] = {
    { "add", m_add, "self, layer", "model.add(layer)\nAppends a layer." },
    { "build", m_build, "self, input_shape",
      "model.build(input_shape)\nBuilds the model for inputs of input_shape, batch size first: "
      "model.build((None, 784))." },
    { "compile", m_compile, "self, optimizer=, loss=, metrics=",
      "model.compile(optimizer=\"rmsprop\", loss=None, metrics=None)\nSets how fit trains: an "
      "optimizer (\"sgd\", \"adam\", \"rmsprop\" or an object such as Adam(0.01)), a loss (\"mse\", "
      "\"binary_crossentropy\", \"categorical_crossentropy\", \"sparse_categorical_crossentropy\" or "
      "an object such as SparseCategoricalCrossentropy(from_logits=True)) and metrics "
      "(\"accuracy\", \"binary_accuracy\", \"categorical_accuracy\", "
      "\"sparse_categorical_accuracy\", \"mae\", \"mse\", or a cross-entropy by name; "
      "up to 4).\nExample: model.compile(optimizer=\"adam\", loss=\"sparse_categorical_"
      "crossentropy\", metrics=[\"accuracy\"])" },
    { "fit", m_fit,
      "self, x, y=, batch_size=, epochs=, verbose=, callbacks=, validation_split=, "
      "validation_data=, shuffle=, class_weight=, sample_weight=",
      "model.fit(x, y, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0, "
      "validation_data=None, shuffle=True, class_weight=None, sample_weight=None)\nTrains the "
      "model: each epoch shuffles the samples, "
      "runs them in batches, then validates. validation_split holds out the LAST fraction of "
      "x, y (before shuffling); validation_data=(x_val, y_val) gives the validation set instead. "
      "sample_weight (one number per sample) and class_weight ({class: weight}) scale each "
      "sample's loss; metrics stay unweighted. "
      "verbose 0 is silent, 1 shows a progress bar, 2 one line per epoch. callbacks: "
      "EarlyStopping(...) objects or functions f(epoch, logs). Returns a History (its .history "
      "dict holds the per-epoch loss and metrics). Ctrl-C stops after the current batch and "
      "returns the History so far.\nExample: history = model.fit(x_train, y_train, epochs=5, "
      "validation_split=0.1)" },
    { "evaluate", m_evaluate, "self, x, y, batch_size=, verbose=, sample_weight=, return_dict=",
      "model.evaluate(x, y, batch_size=32, verbose=1, sample_weight=None, return_dict=False)\n"
      "The loss (and metrics) on x, y, without training: a number, or [loss, metric, ...] when "
      "compiled with metrics, e.g. [loss, accuracy] for metrics=[\"accuracy\"] (the names are "
      "model.metrics_names); return_dict=True gives {\"loss\": ..., \"accuracy\": ...}.\n"
      "Example: test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)" },
    { "predict", m_predict, "self, x, batch_size=, verbose=",
      "model.predict(x, batch_size=32, verbose=1)\nThe model's outputs for x, computed in "
      "batches (Dropout off, BatchNormalization on its moving statistics).\n"
      "Example: probs = model.predict(x_test)" },
    { "summary", m_summary, "self",
      "model.summary()\nPrints Keras's table of the layers, their output shapes and parameter "
      "counts." },
    { "count_params", m_count_params, "self", "model.count_params()\nThe number of weights." },
    { "get_weights", m_get_weights, "self",
      "model.get_weights()\nCopies of every weight, layer by layer, as a list of tensors." },
    { "set_weights", m_set_weights, "self, weights",
      "model.set_weights(weights)\nSets every weight from a list like get_weights() returns." },
    { "save", m_save, "self, path",
      "model.save(path)\nWrites the model (layers, weights, optimizer state) to a file; "
      "load_model(path) reads it back.\nExample: model.save(\"fashion.nabla-model\")" },
    { NULL, NULL, NULL, NULL },
};

static const char *const model_attrs[] = {
    "name", "layers", "params", "weights", "trainable_weights", "built", "input_shape",
    "output_shape", "optimizer", "stop_training", "metrics_names", NULL,
};

const lang_native_class lang_nn_model_class = {
    .name = "Sequential",
    .attrs = model_attrs,
    .free = model_free,
    .traverse = model_traverse,
    .get_attr = model_get_attr,
    .set_attr = model_set_attr,
    .methods = model_methods,
    .call = model_call,
    .call_params = "self, x, training=",
    .repr = model_repr,
    .html = model_html,
};

const lang_builtin_def lang_nn_model_builtins[] = {
    { "Sequential", bi_sequential, "layers=, name=",
      "Sequential(layers=None, name=None)\nA model that runs its layers one after the other "
      "(Keras). Give the first layer input_shape= to build it at once; otherwise it is built on "
      "the first data it sees. model.params lists its weights for explicit training loops.\n"
      "Example: model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation=\"relu\"), "
      "Dense(10)])" },
    { "load_model", bi_load_model, "path, custom_objects=, compile=",
      "load_model(path, custom_objects=None, compile=True)\nReads a model written by "
      "model.save(path): layers, weights and, when it was compiled, loss and optimizer state. "
      "A model compiled with a loss function of your own needs it back by name: "
      "custom_objects={\"my_loss\": my_loss}. compile=False loads layers and weights only.\n"
      "Example: model = load_model(\"fashion.nabla-model\")" },
    { NULL, NULL, NULL, NULL },
};
