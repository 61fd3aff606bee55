/*
 * lib_nn.c -- Keras's layers in the language, and what every lib_nn*.c shares:
 *
 *     layer = Dense(128, activation="relu")      # Keras arguments and defaults
 *     h = layer(x)                               # builds on first use; records autograd nodes
 *     layer.kernel, layer.bias, layer.weights    # the weights themselves (parameters)
 *     layer.output_shape                         # (None, 128)
 *
 * Default names follow Keras: "dense", "dense_1", "dense_2" ... per kind, counted per VM. The
 * counters live in a hidden global (a native object named __nn_names__), since a VM has no
 * other place for library state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lib_nn.h"
#include "lang/lib_tensor.h"
#include "lang/vm.h"

int lang_nn_given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

/* ---- default names ------------------------------------------------------------------------- */

#define NN_MAX_STEMS 32

typedef struct nn_names {
    int n;
    char stem[NN_MAX_STEMS][40];
    int64_t count[NN_MAX_STEMS];
} nn_names;

static const lang_native_class names_class = { .name = "NameCounters", .free = free };

static nn_names *names_of(lang_vm *vm)
{
    static const char global[] = "__nn_names__";
    int g = lang_global_find(vm, global);
    if (g >= 0 && LANG_IS_TYPE(vm->globals.values[g], LANG_OBJ_NATIVE) &&
        LANG_AS_NATIVE(vm->globals.values[g])->cls == &names_class)
        return LANG_AS_NATIVE(vm->globals.values[g])->ptr;
    nn_names *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    lang_native *o = lang_native_new(vm, &names_class, n);
    if (!o || lang_set_global(vm, global, lang_obj_val(o)) != LANG_OK) return NULL;
    return n;
}

lang_status lang_nn_unique_name(lang_vm *vm, const char *stem, char *buf, size_t cap)
{
    nn_names *n = names_of(vm);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory naming a layer");
    int i = 0;
    while (i < n->n && strcmp(n->stem[i], stem) != 0) i++;
    if (i == n->n && n->n < NN_MAX_STEMS) snprintf(n->stem[n->n++], sizeof n->stem[0], "%s", stem);
    int64_t k = i < NN_MAX_STEMS ? n->count[i]++ : 0;
    if (k == 0) snprintf(buf, cap, "%s", stem);
    else snprintf(buf, cap, "%s_%lld", stem, (long long)k);
    return LANG_OK;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

void lang_nn_print(lang_vm *vm, const char *text)
{
    const lang_host *h = lang_vm_host(vm);
    if (h->print) h->print(h->ud, text, strlen(text));
}

lang_status lang_nn_arg_activation(lang_vm *vm, lang_value v, const char *what, eng_act *out)
{
    *out = ENG_ACT_LINEAR;
    if (!lang_nn_given(v)) return LANG_OK;
    const char *name = NULL;
    if (LANG_IS_STR(v)) name = LANG_AS_STR(v)->chars;
    else if (LANG_IS_TYPE(v, LANG_OBJ_BUILTIN)) name = ((lang_builtin *)v.as.obj)->def->name;
    int a = name ? eng_act_from_name(name) : -1;
    if (a >= 0) {
        *out = (eng_act)a;
        return LANG_OK;
    }
    if (name) lang_raise(vm, LANG_ERR_VALUE, "%s: unknown activation '%s'", what, name);
    else lang_raise(vm, LANG_ERR_TYPE, "%s must be an activation name, got %s", what,
                    lang_type_name(v));
    lang_hint(vm, "activations: \"relu\", \"sigmoid\", \"tanh\", \"softmax\", \"linear\" or None");
    return LANG_IS_STR(v) ? LANG_ERR_VALUE : LANG_ERR_TYPE;
}

lang_status lang_nn_arg_data(lang_vm *vm, lang_value v, const char *what, eng_tensor **out)
{
    return lang_tensor_from_value(vm, v, what, out);
}

lang_status lang_nn_arg_tensor_list(lang_vm *vm, lang_value v, const char *what,
                                    eng_tensor ***out, int *n)
{
    if (!LANG_IS_LIST(v) && !LANG_IS_TUPLE(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a list of tensors, got %s", what,
                          lang_type_name(v));
    size_t len = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
    const lang_value *items = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
    eng_tensor **ts = calloc(len + 1, sizeof *ts);
    if (!ts) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    for (size_t i = 0; i < len; i++) {
        if (!LANG_IS_TENSOR(items[i])) {
            free(ts);
            return lang_raise(vm, LANG_ERR_TYPE, "%s must hold tensors, item %zu is a %s", what,
                              i, lang_type_name(items[i]));
        }
        ts[i] = LANG_AS_TENSOR(items[i]);
    }
    *out = ts;
    *n = (int)len;
    return LANG_OK;
}

lang_status lang_nn_tensor_list(lang_vm *vm, eng_tensor *const *ts, int n, lang_value *out)
{
    lang_list *l = lang_list_new(vm, (size_t)n);
    if (!l) return LANG_ERR_MEMORY;
    for (int i = 0; i < n; i++) {
        lang_value t = lang_tensor_wrap(vm, eng_tensor_retain(ts[i]));
        if (LANG_IS_UNDEF(t) || lang_list_append(vm, l, t) != LANG_OK) {
            lang_decref(vm, lang_obj_val(l));
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
        }
    }
    *out = lang_obj_val(l);
    return LANG_OK;
}

lang_status lang_nn_shape_tuple(lang_vm *vm, int ndim, const int64_t *shape, lang_value *out)
{
    if (ndim < 0) {
        *out = lang_none();
        return LANG_OK;
    }
    lang_tuple *t = lang_tuple_new(vm, (size_t)ndim + 1);
    if (!t) return LANG_ERR_MEMORY;
    t->items[0] = lang_none();
    for (int d = 0; d < ndim; d++) t->items[d + 1] = lang_num((double)shape[d]);
    *out = lang_obj_val(t);
    return LANG_OK;
}

/* A whole number >= 1, or a pair of them (kernel_size=3, strides=(2, 2)). */
static lang_status arg_pair(lang_vm *vm, lang_value v, const char *what, int64_t out[2])
{
    char w[96];
    if (LANG_IS_LIST(v) || LANG_IS_TUPLE(v)) {
        size_t len = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
        const lang_value *it = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
        if (len != 2)
            return lang_raise(vm, LANG_ERR_VALUE, "%s must be a number or a pair of numbers, got "
                              "%zu of them", what, len);
        for (int i = 0; i < 2; i++) {
            snprintf(w, sizeof w, "%s[%d]", what, i);
            lang_status st = lang_tensor_arg_int(vm, it[i], w, &out[i]);
            if (st != LANG_OK) return st;
        }
        return LANG_OK;
    }
    lang_status st = lang_tensor_arg_int(vm, v, what, &out[0]);
    out[1] = out[0];
    return st;
}

/* input_shape=(28, 28), [784] or 784: the per-sample shape, batch excluded. */
static lang_status arg_input_shape(lang_vm *vm, lang_value v, const char *kind,
                                   eng_layer_config *c)
{
    char what[64];
    snprintf(what, sizeof what, "%s input_shape", kind);
    if (!lang_nn_given(v)) return LANG_OK;
    if (LANG_IS_NUM(v)) {
        c->input_ndim = 1;
        return lang_tensor_arg_int(vm, v, what, &c->input_shape[0]);
    }
    if (!LANG_IS_LIST(v) && !LANG_IS_TUPLE(v))
        return lang_raise(vm, LANG_ERR_TYPE, "%s must be a tuple of sizes such as (28, 28), got "
                          "%s", what, lang_type_name(v));
    size_t len = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->len : LANG_AS_TUPLE(v)->len;
    const lang_value *it = LANG_IS_LIST(v) ? LANG_AS_LIST(v)->items : LANG_AS_TUPLE(v)->items;
    if (len >= ENG_MAX_DIMS)
        return lang_raise(vm, LANG_ERR_VALUE, "%s has too many dimensions (%zu)", what, len);
    for (size_t i = 0; i < len; i++) {
        if (LANG_IS_NONE(it[i]))
            return lang_raise(vm, LANG_ERR_VALUE, "%s: leave the batch size out, e.g. "
                              "input_shape=(28, 28)", what);
        lang_status st = lang_tensor_arg_int(vm, it[i], what, &c->input_shape[i]);
        if (st != LANG_OK) return st;
    }
    c->input_ndim = (int)len;
    return LANG_OK;
}

static lang_status arg_padding(lang_vm *vm, lang_value v, const char *kind, int *same)
{
    const char *s;
    char what[64];
    snprintf(what, sizeof what, "%s padding", kind);
    *same = 0;
    if (!lang_nn_given(v)) return LANG_OK;
    lang_status st = lang_arg_str(vm, v, what, &s);
    if (st != LANG_OK) return st;
    if (strcmp(s, "valid") == 0 || strcmp(s, "same") == 0) {
        *same = s[0] == 's';
        return LANG_OK;
    }
    return lang_raise(vm, LANG_ERR_VALUE, "%s must be \"valid\" or \"same\", got \"%s\"", what, s);
}

/* ---- layer objects ------------------------------------------------------------------------- */

eng_layer *lang_nn_layer_of(lang_value v)
{
    if (!LANG_IS_TYPE(v, LANG_OBJ_NATIVE)) return NULL;
    const lang_native_class *c = LANG_AS_NATIVE(v)->cls;
    if (c < lang_nn_layer_classes || c >= lang_nn_layer_classes + ENG_LAYER_KIND_COUNT)
        return NULL;
    return LANG_AS_NATIVE(v)->ptr;
}

lang_status lang_nn_wrap_layer(lang_vm *vm, eng_layer *l, lang_value *out)
{
    const eng_layer_config *c = eng_layer_get_config(l);
    lang_native *n = lang_native_new(vm, &lang_nn_layer_classes[c->kind], l);
    if (!n) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    *out = lang_obj_val(n);
    return LANG_OK;
}

/* Makes the layer of config c (named by default when c->name is empty) and wraps it. */
static lang_status new_layer(lang_vm *vm, eng_layer_config *c, lang_value name, lang_value *out)
{
    lang_status st;
    if (lang_nn_given(name)) {
        const char *s;
        if ((st = lang_arg_str(vm, name, "name", &s)) != LANG_OK) return st;
        snprintf(c->name, sizeof c->name, "%s", s);
    } else if ((st = lang_nn_unique_name(vm, eng_layer_kind_stem(c->kind), c->name,
                                         sizeof c->name)) != LANG_OK) {
        return st;
    }
    eng_error err;
    eng_layer *l = eng_layer_new(c, &err);
    if (!l) return lang_raise_eng(vm, &err);
    return lang_nn_wrap_layer(vm, l, out);
}

static lang_status arg_count(lang_vm *vm, lang_value v, const char *what, int64_t *n)
{
    lang_status st = lang_tensor_arg_int(vm, v, what, n);
    if (st == LANG_OK && *n < 1)
        return lang_raise(vm, LANG_ERR_VALUE, "%s must be a positive whole number, got %lld",
                          what, (long long)*n);
    return st;
}

/* Dense(units, activation=None, use_bias=True, input_shape=None, name=None) */
static lang_status bi_dense(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_DENSE);
    lang_status st = arg_count(vm, a[0], "Dense units", &c.units);
    if (st == LANG_OK) st = lang_nn_arg_activation(vm, a[1], "Dense activation", &c.activation);
    if (st == LANG_OK && !LANG_IS_UNDEF(a[2])) st = lang_arg_bool(vm, a[2], "use_bias", &c.use_bias);
    if (st == LANG_OK) st = arg_input_shape(vm, a[3], "Dense", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[4], out) : st;
}

/* Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
 *        use_bias=True, input_shape=None, name=None) */
static lang_status bi_conv2d(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_CONV2D);
    lang_status st = arg_count(vm, a[0], "Conv2D filters", &c.filters);
    if (st == LANG_OK) st = arg_pair(vm, a[1], "Conv2D kernel_size", c.kernel);
    if (st == LANG_OK && lang_nn_given(a[2])) st = arg_pair(vm, a[2], "Conv2D strides", c.strides);
    if (st == LANG_OK) st = arg_padding(vm, a[3], "Conv2D", &c.padding_same);
    if (st == LANG_OK) st = lang_nn_arg_activation(vm, a[4], "Conv2D activation", &c.activation);
    if (st == LANG_OK && !LANG_IS_UNDEF(a[5])) st = lang_arg_bool(vm, a[5], "use_bias", &c.use_bias);
    if (st == LANG_OK) st = arg_input_shape(vm, a[6], "Conv2D", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[7], out) : st;
}

/* MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid", input_shape=None, name=None) */
static lang_status bi_maxpool(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_MAXPOOL2D);
    lang_status st = LANG_OK;
    if (lang_nn_given(a[0])) st = arg_pair(vm, a[0], "MaxPooling2D pool_size", c.kernel);
    if (st == LANG_OK && lang_nn_given(a[1])) st = arg_pair(vm, a[1], "MaxPooling2D strides", c.strides);
    if (st == LANG_OK) st = arg_padding(vm, a[2], "MaxPooling2D", &c.padding_same);
    if (st == LANG_OK) st = arg_input_shape(vm, a[3], "MaxPooling2D", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[4], out) : st;
}

/* Flatten(input_shape=None, name=None) */
static lang_status bi_flatten(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_FLATTEN);
    lang_status st = arg_input_shape(vm, a[0], "Flatten", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[1], out) : st;
}

/* Dropout(rate, input_shape=None, name=None) */
static lang_status bi_dropout(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_DROPOUT);
    lang_status st = lang_arg_num(vm, a[0], "Dropout rate", &c.rate);
    if (st == LANG_OK) st = arg_input_shape(vm, a[1], "Dropout", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[2], out) : st;
}

/* BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, input_shape=None, name=None) */
static lang_status bi_batchnorm(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_BATCHNORM);
    lang_status st = LANG_OK;
    if (lang_nn_given(a[0])) {
        int64_t axis;
        st = lang_tensor_arg_int(vm, a[0], "BatchNormalization axis", &axis);
        if (st == LANG_OK && axis != -1)
            return lang_raise(vm, LANG_ERR_VALUE, "BatchNormalization normalizes the last axis "
                              "(axis=-1, channels last); axis=%lld is not supported",
                              (long long)axis);
    }
    if (st == LANG_OK && lang_nn_given(a[1])) st = lang_arg_num(vm, a[1], "momentum", &c.momentum);
    if (st == LANG_OK && lang_nn_given(a[2])) st = lang_arg_num(vm, a[2], "epsilon", &c.epsilon);
    if (st == LANG_OK) st = arg_input_shape(vm, a[3], "BatchNormalization", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[4], out) : st;
}

/* Activation(activation, input_shape=None, name=None) */
static lang_status bi_activation(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_ACTIVATION);
    lang_status st = lang_nn_arg_activation(vm, a[0], "Activation", &c.activation);
    if (st == LANG_OK) st = arg_input_shape(vm, a[1], "Activation", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[2], out) : st;
}

/* Softmax(input_shape=None, name=None): Keras's layers.Softmax() over the last axis. */
static lang_status bi_softmax_layer(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                    lang_value *out)
{
    eng_layer_config c;
    eng_layer_config_init(&c, ENG_LAYER_SOFTMAX);
    lang_status st = arg_input_shape(vm, a[0], "Softmax", &c);
    return st == LANG_OK ? new_layer(vm, &c, a[1], out) : st;
}

/* ---- layer attributes and methods ---------------------------------------------------------- */

static lang_status str_value(lang_vm *vm, const char *s, lang_value *out)
{
    lang_str *o = lang_str_cstr(vm, s);
    if (!o) return LANG_ERR_MEMORY;
    *out = lang_obj_val(o);
    return LANG_OK;
}

static lang_status pair_value(lang_vm *vm, const int64_t p[2], lang_value *out)
{
    lang_tuple *t = lang_tuple_new(vm, 2);
    if (!t) return LANG_ERR_MEMORY;
    t->items[0] = lang_num((double)p[0]);
    t->items[1] = lang_num((double)p[1]);
    *out = lang_obj_val(t);
    return LANG_OK;
}

/* The layer's weights, all or only the trainable ones. */
static lang_status weight_list(lang_vm *vm, const eng_layer *l, int trainable, lang_value *out)
{
    eng_tensor *ts[8];
    int n = 0;
    for (int i = 0; i < eng_layer_weight_count(l) && n < 8; i++)
        if (!trainable || eng_layer_weight_trainable(l, i)) ts[n++] = eng_layer_weight(l, i);
    return lang_nn_tensor_list(vm, ts, n, out);
}

/* Attributes every kind has. LANG_ERR_NAME (not raised) when `name` is not one. */
static lang_status common_attr(lang_vm *vm, eng_layer *l, const char *name, lang_value *out)
{
    int64_t shape[ENG_MAX_DIMS];
    const eng_layer_config *c = eng_layer_get_config(l);
    if (strcmp(name, "name") == 0) return str_value(vm, c->name, out);
    if (strcmp(name, "built") == 0) { *out = lang_bool(eng_layer_is_built(l)); return LANG_OK; }
    if (strcmp(name, "input_shape") == 0)
        return lang_nn_shape_tuple(vm, eng_layer_input_shape(l, shape), shape, out);
    if (strcmp(name, "output_shape") == 0)
        return lang_nn_shape_tuple(vm, eng_layer_output_shape(l, shape), shape, out);
    if (strcmp(name, "weights") == 0) return weight_list(vm, l, 0, out);
    if (strcmp(name, "trainable_weights") == 0) return weight_list(vm, l, 1, out);
    for (int i = 0; i < eng_layer_weight_count(l); i++)
        if (strcmp(name, eng_layer_weight_name(l, i)) == 0) {
            *out = lang_tensor_wrap(vm, eng_tensor_retain(eng_layer_weight(l, i)));
            return LANG_IS_UNDEF(*out) ? LANG_ERR_MEMORY : LANG_OK;
        }
    return LANG_ERR_NAME;
}

static lang_status layer_get_attr(lang_vm *vm, void *ptr, const char *name, lang_value *out)
{
    eng_layer *l = ptr;
    const eng_layer_config *c = eng_layer_get_config(l);
    lang_status st = common_attr(vm, l, name, out);
    if (st != LANG_ERR_NAME) return st;
    switch (c->kind) {
    case ENG_LAYER_DENSE:
        if (strcmp(name, "units") == 0) { *out = lang_num((double)c->units); return LANG_OK; }
        break;
    case ENG_LAYER_CONV2D:
        if (strcmp(name, "filters") == 0) { *out = lang_num((double)c->filters); return LANG_OK; }
        if (strcmp(name, "kernel_size") == 0) return pair_value(vm, c->kernel, out);
        if (strcmp(name, "strides") == 0) return pair_value(vm, c->strides, out);
        break;
    case ENG_LAYER_MAXPOOL2D:
        if (strcmp(name, "pool_size") == 0) return pair_value(vm, c->kernel, out);
        if (strcmp(name, "strides") == 0) return pair_value(vm, c->strides, out);
        break;
    case ENG_LAYER_DROPOUT:
        if (strcmp(name, "rate") == 0) { *out = lang_num(c->rate); return LANG_OK; }
        break;
    case ENG_LAYER_BATCHNORM:
        if (strcmp(name, "momentum") == 0) { *out = lang_num(c->momentum); return LANG_OK; }
        if (strcmp(name, "epsilon") == 0) { *out = lang_num(c->epsilon); return LANG_OK; }
        break;
    default: break;
    }
    int has_act = c->kind == ENG_LAYER_DENSE || c->kind == ENG_LAYER_CONV2D ||
                  c->kind == ENG_LAYER_ACTIVATION || c->kind == ENG_LAYER_SOFTMAX;
    if (has_act && strcmp(name, "activation") == 0) return str_value(vm, eng_act_name(c->activation), out);
    int window = c->kind == ENG_LAYER_CONV2D || c->kind == ENG_LAYER_MAXPOOL2D;
    if (window && strcmp(name, "padding") == 0) return str_value(vm, c->padding_same ? "same" : "valid", out);
    if ((c->kind == ENG_LAYER_DENSE || c->kind == ENG_LAYER_CONV2D) && strcmp(name, "use_bias") == 0) {
        *out = lang_bool(c->use_bias);
        return LANG_OK;
    }
    return LANG_ERR_NAME;
}

static lang_status m_count_params(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                  lang_value *out)
{
    eng_layer *l = lang_nn_layer_of(a[0]);
    if (!eng_layer_is_built(l))
        return lang_raise(vm, LANG_ERR_VALUE, "You tried to call `count_params` on layer \"%s\", "
                          "but the layer isn't built. Call it on a batch of data first.",
                          eng_layer_get_config(l)->name);
    *out = lang_num((double)eng_layer_param_count(l, 0));
    return LANG_OK;
}

/* Copies of the weights (Keras get_weights returns arrays, not the variables). */
static lang_status m_get_weights(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    eng_layer *l = lang_nn_layer_of(a[0]);
    lang_list *list = lang_list_new(vm, 4);
    if (!list) return LANG_ERR_MEMORY;
    *out = lang_obj_val(list);
    for (int i = 0; i < eng_layer_weight_count(l); i++) {
        eng_error err;
        eng_tensor *c = eng_tensor_copy(eng_layer_weight(l, i), &err);
        lang_value v = c ? lang_tensor_wrap(vm, c) : lang_undef();
        if (LANG_IS_UNDEF(v) || lang_list_append(vm, list, v) != LANG_OK)
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    }
    return LANG_OK;
}

static lang_status m_set_weights(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                 lang_value *out)
{
    eng_tensor **ts;
    int n;
    lang_status st = lang_nn_arg_tensor_list(vm, a[1], "set_weights() weights", &ts, &n);
    if (st != LANG_OK) return st;
    eng_error err;
    int rc = eng_layer_set_weights(lang_nn_layer_of(a[0]), n, ts, &err);
    free(ts);
    *out = lang_none();
    return rc == ENG_OK ? LANG_OK : lang_raise_eng(vm, &err);
}

/* h = layer(x, training=False) */
static lang_status layer_call(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_tensor *x;
    int training = 0;
    lang_status st = lang_nn_arg_data(vm, a[1], "layer input", &x);
    if (st != LANG_OK) return st;
    if (lang_nn_given(a[2]) && (st = lang_arg_bool(vm, a[2], "training", &training)) != LANG_OK) {
        eng_tensor_release(x);
        return st;
    }
    eng_error err;
    eng_tensor *y = eng_layer_call(lang_nn_layer_of(a[0]), lang_vm_ag(vm), x, training,
                                   lang_vm_rng(vm), &err);
    eng_tensor_release(x);
    return lang_tensor_result(vm, y, &err, 0, out);
}

/* Dense(128, activation="relu", name="dense") */
static char *layer_repr(void *ptr)
{
    const eng_layer_config *c = eng_layer_get_config(ptr);
    char args[160] = "", act[48] = "";
    if (c->activation != ENG_ACT_LINEAR)
        snprintf(act, sizeof act, ", activation=\"%s\"", eng_act_name(c->activation));
    switch (c->kind) {
    case ENG_LAYER_DENSE: snprintf(args, sizeof args, "%lld%s, ", (long long)c->units, act); break;
    case ENG_LAYER_CONV2D:
        snprintf(args, sizeof args, "%lld, (%lld, %lld)%s%s, ", (long long)c->filters,
                 (long long)c->kernel[0], (long long)c->kernel[1],
                 c->padding_same ? ", padding=\"same\"" : "", act);
        break;
    case ENG_LAYER_MAXPOOL2D:
        snprintf(args, sizeof args, "(%lld, %lld), ", (long long)c->kernel[0], (long long)c->kernel[1]);
        break;
    case ENG_LAYER_DROPOUT: snprintf(args, sizeof args, "%g, ", c->rate); break;
    case ENG_LAYER_ACTIVATION: snprintf(args, sizeof args, "\"%s\", ", eng_act_name(c->activation)); break;
    default: break;
    }
    size_t n = strlen(c->name) + strlen(args) + 64;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s(%sname=\"%s\")", eng_layer_kind_name(c->kind), args, c->name);
    return s;
}

static void layer_free(void *ptr) { eng_layer_release(ptr); }

static const lang_builtin_def layer_methods[] = {
    { "count_params", m_count_params, "self",
      "layer.count_params()\nThe number of weights of a built layer (the summary's Param #)." },
    { "get_weights", m_get_weights, "self",
      "layer.get_weights()\nCopies of the layer's weights as a list of tensors (kernel, bias ...)." },
    { "set_weights", m_set_weights, "self, weights",
      "layer.set_weights(weights)\nSets the weights from a list of tensors shaped like "
      "get_weights() returns them." },
    { "Softmax", bi_softmax_layer, "input_shape=, name=",
      "Softmax(input_shape=None, name=None)\nTurns the last axis into probabilities that sum to "
      "1 (Keras's layers.Softmax).\nExample: probability_model = Sequential([model, Softmax()])" },
    { NULL, NULL, NULL, NULL },
};

static char *layer_help(void *ptr);

/* For completion: what layer_get_attr answers (each kind answers its own subset). */
static const char *const layer_attrs[] = {
    "name", "built", "input_shape", "output_shape", "weights", "trainable_weights", "kernel",
    "bias", "gamma", "beta", "moving_mean", "moving_variance", "units", "filters",
    "kernel_size", "strides", "pool_size", "padding", "activation", "use_bias", "rate",
    "momentum", "epsilon", NULL,
};

#define LAYER_CLASS(NAME) { .name = NAME, .free = layer_free, .get_attr = layer_get_attr, \
    .methods = layer_methods, .call = layer_call, .call_params = "self, x, training=", \
    .repr = layer_repr, .help = layer_help, .attrs = layer_attrs }

const lang_native_class lang_nn_layer_classes[ENG_LAYER_KIND_COUNT] = {
    [ENG_LAYER_DENSE] = LAYER_CLASS("Dense"),
    [ENG_LAYER_CONV2D] = LAYER_CLASS("Conv2D"),
    [ENG_LAYER_MAXPOOL2D] = LAYER_CLASS("MaxPooling2D"),
    [ENG_LAYER_FLATTEN] = LAYER_CLASS("Flatten"),
    [ENG_LAYER_DROPOUT] = LAYER_CLASS("Dropout"),
    [ENG_LAYER_BATCHNORM] = LAYER_CLASS("BatchNormalization"),
    [ENG_LAYER_ACTIVATION] = LAYER_CLASS("Activation"),
    [ENG_LAYER_SOFTMAX] = LAYER_CLASS("Softmax"),
};

/* ---- registration -------------------------------------------------------------------------- */

static const lang_builtin_def layer_builtins[] = {
    { "Dense", bi_dense, "units, activation=, use_bias=, input_shape=, name=",
      "Dense(units, activation=None, use_bias=True, input_shape=None, name=None)\nA fully "
      "connected layer (Keras): output = activation(x @ kernel + bias), kernel of shape "
      "(inputs, units) Glorot-uniform, bias zeros. Acts on the last axis. activation: \"relu\", "
      "\"sigmoid\", \"tanh\", \"softmax\" or None.\n"
      "Example: Dense(128, activation=\"relu\")" },
    { "Conv2D", bi_conv2d,
      "filters, kernel_size, strides=, padding=, activation=, use_bias=, input_shape=, name=",
      "Conv2D(filters, kernel_size, strides=(1, 1), padding=\"valid\", activation=None, "
      "use_bias=True, input_shape=None, name=None)\nA 2-D convolution over images of shape "
      "(N, height, width, channels) (Keras's channels last). kernel_size and strides are a "
      "number or a pair; padding \"valid\" (no padding) or \"same\" (output size = input size / "
      "stride). Kernel (kh, kw, channels, filters) Glorot-uniform.\n"
      "Example: Conv2D(32, 3, activation=\"relu\", input_shape=(28, 28, 1))" },
    { "MaxPooling2D", bi_maxpool, "pool_size=, strides=, padding=, input_shape=, name=",
      "MaxPooling2D(pool_size=(2, 2), strides=None, padding=\"valid\", input_shape=None, "
      "name=None)\nThe maximum of each pool_size window of an image (N, height, width, "
      "channels); strides default to pool_size.\nExample: MaxPooling2D(2)" },
    { "Flatten", bi_flatten, "input_shape=, name=",
      "Flatten(input_shape=None, name=None)\nFlattens each sample: (N, 28, 28) -> (N, 784).\n"
      "Example: Flatten(input_shape=(28, 28))" },
    { "Dropout", bi_dropout, "rate, input_shape=, name=",
      "Dropout(rate, input_shape=None, name=None)\nWhile training, sets a fraction `rate` of the "
      "inputs to 0 and scales the rest by 1 / (1 - rate); does nothing in evaluate/predict.\n"
      "Example: Dropout(0.2)" },
    { "BatchNormalization", bi_batchnorm, "axis=, momentum=, epsilon=, input_shape=, name=",
      "BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, input_shape=None, name=None)\n"
      "Normalizes the last axis with the batch's mean and variance while training and with "
      "moving averages of them otherwise, then scales by gamma and shifts by beta. Its moving "
      "statistics are the summary's non-trainable params.\nExample: BatchNormalization()" },
    { "Activation", bi_activation, "activation, input_shape=, name=",
      "Activation(activation, input_shape=None, name=None)\nApplies an activation function: "
      "\"relu\", \"sigmoid\", \"tanh\", \"softmax\" or \"linear\".\n"
      "Example: Activation(\"softmax\")" },
    { "Softmax", bi_softmax_layer, "input_shape=, name=",
      "Softmax(input_shape=None, name=None)\nTurns the last axis into probabilities that sum to "
      "1 (Keras's layers.Softmax).\nExample: probability_model = Sequential([model, Softmax()])" },
    { NULL, NULL, NULL, NULL },
};

static char *layer_help(void *ptr)
{
    const eng_layer_config *c = eng_layer_get_config(ptr);
    for (const lang_builtin_def *d = layer_builtins; d->name; d++)
        if (strcmp(d->name, eng_layer_kind_name(c->kind)) == 0) return strdup(d->help);
    return NULL;
}

lang_status lang_lib_nn_open(lang_vm *vm)
{
    lang_status st = lang_register(vm, layer_builtins);
    if (st == LANG_OK) st = lang_register(vm, lang_nn_model_builtins);
    if (st == LANG_OK) st = lang_register(vm, lang_nn_train_builtins);
    return st;
}
