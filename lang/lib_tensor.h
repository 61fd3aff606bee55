/*
 * lib_tensor.h -- lang internal: the engine's tensors bound into the language.
 *
 * lib_tensor.c holds what the VM calls for operators on tensors (arithmetic, @, indexing,
 * attributes, `in`, bracket literals) and the conversions every tensor builtin shares;
 * lib_tensor_builtins.c registers the tensor builtins (zeros, sum, softmax ...) and the tensor
 * methods (t.sum(), t.reshape(2, 3) ...).
 *
 * Conventions are value.h's: arguments are borrowed, *out receives an owned reference, errors
 * are raised on the VM (lang_raise / lang_raise_eng) and their kind returned. A value that is a
 * whole-tensor result of a reduction or of indexing every dimension comes back as a number
 * (lang_num), never as a 0-d tensor.
 */
#ifndef LANG_LIB_TENSOR_H
#define LANG_LIB_TENSOR_H

#include "lang/value.h"

/* ---- called by the VM ---------------------------------------------------------------------- */

/* Arithmetic where at least one operand is a tensor; the other may be a tensor, number, bool, or a
   (nested) list/tuple of numbers. op is an eng_binop. *out owned. */
lang_status lang_tensor_binop(lang_vm *vm, eng_binop op, lang_value a, lang_value b, lang_value *out);
/* a @ b. `rhs_name` is the source name of the right operand when it was a plain variable (else NULL):
   on an inner-size mismatch where b's transpose would fit, the hint reads "w.T has shape (784, 10)". */
lang_status lang_tensor_matmul(lang_vm *vm, lang_value a, lang_value b, const char *rhs_name, lang_value *out);
lang_status lang_tensor_unary(lang_vm *vm, eng_unop op, lang_value a, lang_value *out);
/* t[index]: index is a number, None (new axis), a slice object (LANG_OBJ_SLICE, fields None when
   omitted), a tuple of those (t[1:, ::2], t[0, :]), a tensor (boolean mask when 0/1 and same shape,
   else integer indices) or a list of ints. Indexing every dimension gives a number (lang_num), not a
   0-d tensor. Ellipsis is not in the language. */
lang_status lang_tensor_get_index(lang_vm *vm, lang_value t, lang_value index, lang_value *out);
/* t[index] = v (v a tensor, number or list), in place; also used by augmented assignment t[i] += 1. */
lang_status lang_tensor_set_index(lang_vm *vm, lang_value t, lang_value index, lang_value v);
/* Attributes: shape (a list of numbers, e.g. [2, 3]), T, ndim, size, dtype ("float32" string).
   Returns LANG_ERR_NAME without raising when the name is not an attribute (the VM then tries methods
   and raises the AttributeError-style message itself). */
lang_status lang_tensor_get_attr(lang_vm *vm, lang_value t, const char *name, lang_value *out);
/* t.name = v: `grad` (None drops the gradient, a tensor of t's shape replaces it: a copy) and
   `requires_grad` (True/False, on tensors not computed by a recorded op). Anything else is a
   TypeError "cannot set attribute 'shape' on a tensor". */
lang_status lang_tensor_set_attr(lang_vm *vm, lang_value t, const char *name, lang_value v);
/* `x in t`: any element equal. */
lang_status lang_tensor_contains(lang_vm *vm, lang_value t, lang_value x, int *result);
/* Registers the tensor builtins and tensor methods; called once by lang_vm_new. */
lang_status lang_lib_tensor_open(lang_vm *vm);
/* Converts a bracket literal's items to a tensor when every item is a number (flag 1) or every
   item is a tensor of one shape (flag 2, a nested literal: stack them). Returns 1 and sets *out,
   or 0 when the items do not qualify (the VM then builds a list). *st is always set: LANG_OK, or
   an error kind (already raised; MemoryError) when 1 is returned without a tensor (*out None). */
int lang_tensor_from_literal(lang_vm *vm, const lang_value *items, int n, int flag, lang_value *out, lang_status *st);

/* ---- shared by the tensor builtins (and usable by other lib_*.c) --------------------------- */

/* A tensor from a tensor (retained, not copied), a number or bool (0-d), or a nested list/tuple
   whose leaves are numbers, bools or tensors (rectangular). New reference in *out. `what` names
   the caller in messages: "tensor()" -> "tensor() needs a rectangular list: row 1 has 3 items,
   row 0 has 2" (ValueError), "tensor() needs numbers, got str" (TypeError). */
lang_status lang_tensor_from_value(lang_vm *vm, lang_value v, const char *what, eng_tensor **out);
/* Wraps a fresh engine result into *out: t NULL -> raises *err (converted); a 0-d t becomes a
   number when `scalar_to_num` is set. Takes t. */
lang_status lang_tensor_result(lang_vm *vm, eng_tensor *t, const eng_error *err, int scalar_to_num,
                               lang_value *out);
/* A whole number from a number or bool, else TypeError "<what> must be a whole number, got 2.5"
   (ValueError "<what> is out of range, got 1e+300" beyond 2^53). */
lang_status lang_tensor_arg_int(lang_vm *vm, lang_value v, const char *what, int64_t *out);
/* A float32 element as a language number: the double nearest to the shortest decimal that reads
   back as f (0.1f gives 0.1, not 0.10000000149011612), so numbers taken out of tensors print as
   NumPy prints float32 scalars, and convert back to exactly f. */
double lang_tensor_f32_num(float f);
/* Shortest text of a double that reads back the same ("2.5", "1e+20"), into buf (>= 32 bytes). */
const char *lang_tensor_num_text(double d, char *buf, size_t cap);

/* NumPy-style text of a tensor (print and repr), with ", requires_grad=True" for a parameter
   and ", grad_fn=<multiply>" (the op's name) for a result recorded by autograd, as PyTorch shows
   them: "tensor([1., 2.], requires_grad=True)". malloc'd; NULL when out of memory. */
char *lang_tensor_format(const eng_tensor *t);
/* x op= y on a tensor x: nonzero when it may update x in place. It may not when autograd would
   lose track: x was computed from a param (not a leaf), or y requires grad, while gradients are
   on; the VM then computes x = x op y instead (recorded). A param itself (a leaf) is updated in
   place, recording nothing: `w -= lr * w.grad` is the hand-written SGD step. */
int lang_tensor_inplace_ok(lang_vm *vm, const eng_tensor *x, const eng_tensor *y);

/* ---- autograd (lib_autograd.c, lib_autograd_check.c) --------------------------------------- */

/* The VM's gradient mode, passed to the engine's eng_ag_* ops. */
eng_ag *lang_vm_ag(lang_vm *vm);
/* The gradcheck() builtin. */
lang_status lang_gradcheck(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out);

/* The tensor builtins (lib_tensor_builtins.c): registered by lang_lib_tensor_open. */
extern const lang_builtin_def lang_tensor_builtins[];
extern const lang_builtin_def lang_tensor_methods[];

#endif
