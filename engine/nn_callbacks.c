/*
 * nn_callbacks.c -- Keras callbacks in C: EarlyStopping (keras/callbacks.py, TF 2.11+), and
 * the model-wide weight snapshots it restores from.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nn_internal.h"

typedef struct early_stopping {
    eng_callback cb;            /* first: the callback is the struct */
    eng_early_stopping_config cfg;
    int mode;                   /* -1 min, 1 max (resolved from auto) */
    int64_t wait, stopped_epoch, best_epoch;
    double best;
    float *best_weights;        /* every weight of the model, layer order; NULL until saved */
    int64_t nbest;
} early_stopping;

void eng_early_stopping_config_init(eng_early_stopping_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->monitor, "val_loss");
}

/* Every weight value of m (trainable or not) copied into / out of dst, in layer order. */
static void weights_copy(eng_model *m, float *buf, int to_model)
{
    for (int i = 0; i < m->nlayers; i++) {
        eng_layer *l = m->layers[i];
        for (int k = 0; k < eng_layer_weight_count(l); k++) {
            float *w = eng_tensor_data(l->w[k]);
            size_t bytes = (size_t)l->wsize[k] * sizeof(float);
            if (to_model) memcpy(w, buf, bytes);
            else memcpy(buf, w, bytes);
            buf += l->wsize[k];
        }
    }
}

static int save_best(early_stopping *es, eng_model *m, eng_error *err)
{
    int64_t n = eng_model_param_count(m, 0);
    if (n != es->nbest) {
        float *b = realloc(es->best_weights, (size_t)(n > 0 ? n : 1) * sizeof *b);
        if (!b) return eng_err(err, ENG_ERR_MEMORY, "out of memory saving the best weights");
        es->best_weights = b;
        es->nbest = n;
    }
    weights_copy(m, es->best_weights, 0);
    return ENG_OK;
}

static int es_begin(eng_callback *cb, eng_model *m, eng_error *err)
{
    early_stopping *es = (early_stopping *)cb;
    es->wait = 0;
    es->stopped_epoch = -1;
    es->best_epoch = 0;
    es->best = es->mode < 0 ? INFINITY : -INFINITY;
    free(es->best_weights);
    es->best_weights = NULL;
    es->nbest = 0;
    return ENG_OK;
}

static int improves(const early_stopping *es, double current)
{
    double d = fabs(es->cfg.min_delta);
    return es->mode < 0 ? current + d < es->best : current - d > es->best;
}

static int es_epoch_end(eng_callback *cb, eng_model *m, int64_t epoch, const eng_logs *logs,
                        int *stop, eng_error *err)
{
    early_stopping *es = (early_stopping *)cb;
    int k = -1;
    for (int i = 0; i < logs->n; i++)
        if (strcmp(logs->names[i], es->cfg.monitor) == 0) k = i;
    if (k < 0) return ENG_OK;       /* Keras warns and goes on; the caller warns up front */
    double current = logs->values[k];
    int st = ENG_OK;
    if (es->cfg.restore_best_weights && !es->best_weights) st = save_best(es, m, err);
    if (st != ENG_OK) return st;
    es->wait++;
    if (improves(es, current)) {
        es->best = current;
        es->best_epoch = epoch;
        es->wait = 0;
        return es->cfg.restore_best_weights ? save_best(es, m, err) : ENG_OK;
    }
    if (es->wait >= es->cfg.patience && epoch > 0) {
        es->stopped_epoch = epoch;
        *stop = 1;
        if (es->cfg.restore_best_weights && es->best_weights && es->nbest == eng_model_param_count(m, 0))
            weights_copy(m, es->best_weights, 1);
    }
    return ENG_OK;
}

static void es_free(eng_callback *cb)
{
    early_stopping *es = (early_stopping *)cb;
    free(es->best_weights);
    free(es);
}

eng_callback *eng_early_stopping_new(const eng_early_stopping_config *c, eng_error *err)
{
    if (c->patience < 0)
        return eng_err(err, ENG_ERR_VALUE, "EarlyStopping patience must be >= 0, got %lld",
                       (long long)c->patience), NULL;
    if (!c->monitor[0])
        return eng_err(err, ENG_ERR_VALUE, "EarlyStopping needs a monitor, e.g. \"val_loss\""),
               NULL;
    early_stopping *es = calloc(1, sizeof *es);
    if (!es) return eng_err(err, ENG_ERR_MEMORY, "out of memory making EarlyStopping"), NULL;
    es->cfg = *c;
    es->cfg.monitor[sizeof es->cfg.monitor - 1] = '\0';
    es->mode = c->mode ? (c->mode < 0 ? -1 : 1) : (strstr(c->monitor, "acc") ? 1 : -1);
    es->stopped_epoch = -1;
    es->cb.ud = es;
    es->cb.on_train_begin = es_begin;
    es->cb.on_epoch_end = es_epoch_end;
    es->cb.free = es_free;
    return &es->cb;
}

const eng_early_stopping_config *eng_early_stopping_get_config(const eng_callback *cb)
{
    return cb && cb->free == es_free ? &((const early_stopping *)cb)->cfg : NULL;
}

int64_t eng_early_stopping_stopped_epoch(const eng_callback *cb)
{
    return cb && cb->free == es_free ? ((const early_stopping *)cb)->stopped_epoch : -1;
}

void eng_callback_free(eng_callback *cb)
{
    if (cb && cb->free) cb->free(cb);
}
