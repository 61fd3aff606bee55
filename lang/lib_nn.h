/*
 * lib_nn.h -- lang internal: the Keras-like engine (engine.h, section "neural networks") bound
 * into the language, shared by lib_nn*.c:
 *
 *   lib_nn.c        layers (Dense, Conv2D ...), their objects, default names, registration
 *   lib_nn_model.c  Sequential: compile, fit (progress bars), evaluate, predict, summary, save
 *   lib_nn_train.c  losses, optimizers, EarlyStopping, History
 *   lib_nn_loss_fn.c  compile(loss=f): losses written in the language
 *
 * Every engine object becomes a native object (value.h lang_native) holding ONE reference to
 * it (layers, models, optimizers are refcounted in the engine; a model's `layers` attribute
 * makes new natives over the same layers). Conventions are value.h's: arguments borrowed,
 * *out owned, errors raised on the VM and their kind returned.
 */
#ifndef LANG_LIB_NN_H
#define LANG_LIB_NN_H

#include "lang/value.h"

/* ---- native classes (one per layer kind, defined in lib_nn.c) ------------------------------ */

extern const lang_native_class lang_nn_layer_classes[ENG_LAYER_KIND_COUNT];
extern const lang_native_class lang_nn_model_class;        /* lib_nn_model.c */
extern const lang_native_class lang_nn_optimizer_classes[ENG_OPT_KIND_COUNT];
extern const lang_native_class lang_nn_loss_classes[ENG_LOSS_KIND_COUNT];  /* lib_nn_train.c */
extern const lang_native_class lang_nn_callback_class;
extern const lang_native_class lang_nn_history_class;

/* The engine object of a native of the given class family, or NULL when v is something else. */
eng_layer *lang_nn_layer_of(lang_value v);
eng_model *lang_nn_model_of(lang_value v);
eng_optimizer *lang_nn_optimizer_of(lang_value v);
const eng_loss *lang_nn_loss_of(lang_value v);
eng_callback *lang_nn_callback_of(lang_value v);

/* New natives over engine objects; each takes one reference (released on failure). */
lang_status lang_nn_wrap_layer(lang_vm *vm, eng_layer *l, lang_value *out);
lang_status lang_nn_wrap_model(lang_vm *vm, eng_model *m, lang_value *out);
lang_status lang_nn_wrap_optimizer(lang_vm *vm, eng_optimizer *o, lang_value *out);
/* A History object owning h (freed on failure). verbose as given to fit. */
lang_status lang_nn_wrap_history(lang_vm *vm, eng_history *h, int verbose, lang_value *out);

/* ---- shared argument helpers (lib_nn.c) ---------------------------------------------------- */

/* An optional argument that was passed and is not None. */
int lang_nn_given(lang_value v);
/* The next default name for a stem, Keras-style, per VM: "dense", "dense_1", "dense_2" ...
 * Written into buf (cap bytes). */
lang_status lang_nn_unique_name(lang_vm *vm, const char *stem, char *buf, size_t cap);
/* An activation from None, a name ("relu"), or one of the builtins relu/sigmoid/tanh/softmax. */
lang_status lang_nn_arg_activation(lang_vm *vm, lang_value v, const char *what, eng_act *out);
/* A tensor for x or y (a tensor, or numbers in nested lists): new reference. */
lang_status lang_nn_arg_data(lang_vm *vm, lang_value v, const char *what, eng_tensor **out);
/* A list of tensors (borrowed from their values) into a malloc'd array (*out, caller frees). */
lang_status lang_nn_arg_tensor_list(lang_vm *vm, lang_value v, const char *what,
                                    eng_tensor ***out, int *n);
/* A list of borrowed tensors as a language list (each wrapped with a new reference). */
lang_status lang_nn_tensor_list(lang_vm *vm, eng_tensor *const *ts, int n, lang_value *out);
/* A tuple (None, d0, d1 ...) for a per-sample shape: Keras's input_shape / output_shape. */
lang_status lang_nn_shape_tuple(lang_vm *vm, int ndim, const int64_t *shape, lang_value *out);
/* Prints text through the host (print callback; nothing when there is none). */
void lang_nn_print(lang_vm *vm, const char *text);

/* ---- losses and optimizers for compile (lib_nn_train.c) ----------------------------------- */

/* A loss from a name ("mse"), a loss object (SparseCategoricalCrossentropy(from_logits=True)),
 * one of the loss builtins (sparse_categorical_crossentropy), or a function of the user's
 * (then out->fn holds one reference, which the caller releases). */
lang_status lang_nn_arg_loss(lang_vm *vm, lang_value v, eng_loss *out);

/* ---- losses written in the language (lib_nn_loss_fn.c) ------------------------------------- */

/* An engine loss calling f(y_true, y_pred) (compile(loss=f)): one reference in *out. */
lang_status lang_nn_loss_fn_new(lang_vm *vm, lang_value f, eng_loss_fn **out);
/* Visits the function a loss made by lang_nn_loss_fn_new holds (nothing for other losses). */
void lang_nn_loss_fn_traverse(eng_loss_fn *fn, void (*visit)(lang_value *v, void *arg), void *arg);
/* The error the function raised during the last fit or evaluate (already on the VM), once;
 * LANG_OK when it raised none. */
lang_status lang_nn_loss_fn_error(eng_loss_fn *fn);
/* An optimizer from a name ("adam": Keras defaults; a new one) or an optimizer object
 * (retained). New reference in *out. */
lang_status lang_nn_arg_optimizer(lang_vm *vm, lang_value v, eng_optimizer **out);

/* The builtins of each file, registered by lang_lib_nn_open (lib_nn.c). */
extern const lang_builtin_def lang_nn_model_builtins[];
extern const lang_builtin_def lang_nn_train_builtins[];

/* Registers every nn builtin; listed in libs.c. */
lang_status lang_lib_nn_open(lang_vm *vm);

#endif
