/*
 * autograd_internal.h -- helpers shared by engine/autograd*.c. Not for use outside engine/.
 */
#ifndef NABLA_AUTOGRAD_INTERNAL_H
#define NABLA_AUTOGRAD_INTERNAL_H

#include "engine/engine_internal.h"

/* A 0-d tensor on the stack (no allocation), for a scalar operand of a kernel. Valid while
 * `s` is in scope; never retain it. */
typedef struct ag_scalar {
    eng_storage s;
    eng_tensor  t;
    float       v;
} ag_scalar;

eng_tensor *ag_scalar_init(ag_scalar *s, float v);

/* A backward that writes input i's gradient at the OUTPUT's shape (broadcasting ops) gets its
 * target here: input i's accumulator itself when input i has the output's shape, else a zeroed
 * temporary (*tmp) that ag_out_grad_finish sums down into the accumulator. Returns NULL with
 * err->code ENG_OK when input i wants no gradient (skip it), NULL + error when out of memory. */
float *ag_out_grad(eng_node *n, int i, eng_tensor **tmp, eng_error *err);
int    ag_out_grad_finish(eng_node *n, int i, eng_tensor *tmp, eng_error *err);

/* Records a node on out when ag wants it for in[0..n_in-1]; on failure releases out and
 * returns NULL (err filled). *node receives the node or NULL when nothing was recorded. */
eng_tensor *ag_record(eng_ag *ag, eng_tensor *out, const char *name, eng_backward_fn backward,
                      int n_in, eng_tensor *const *in, eng_node **node, eng_error *err);

#define AG_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* An error code to return from a backward after a NULL result (err may be NULL). */
static inline int ag_fail(const eng_error *err)
{
    return err && err->code ? err->code : ENG_ERR_MEMORY;
}

#endif
