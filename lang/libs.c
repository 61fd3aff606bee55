/*
 * libs.c -- the builtin libraries a new VM loads, in order. Each lang/lib_*.c binds one part
 * of the engine (or the viz, or the lessons) to the language and exports one opener.
 */
#include "lang/vm.h"

typedef lang_status (*lib_opener)(lang_vm *vm);

lang_status lang_lib_data_open(lang_vm *vm);     /* lib_data.c */
lang_status lang_lib_nn_open(lang_vm *vm);       /* lib_nn.c */

static const lib_opener openers[] = {
    lang_lib_core_open,     /* print, len, range, str, list, dict ... (lib_core.c, lib_seq.c) */
    lang_lib_tensor_open,   /* tensors (lib_tensor.c, lib_tensor_builtins.c) */
    lang_lib_autograd_open, /* param, grad, no_grad, backward ... (lib_autograd*.c) */
    lang_lib_data_open,     /* data sets and files (lib_data.c) */
    lang_lib_nn_open,       /* layers, models, losses, optimizers, fit (lib_nn*.c) */
};

lang_status lang_libs_open(lang_vm *vm)
{
    for (size_t i = 0; i < sizeof openers / sizeof openers[0]; i++) {
        lang_status st = openers[i](vm);
        if (st != LANG_OK) return st;
    }
    return LANG_OK;
}
