/*
 * engine_internal.h -- helpers shared by the engine's .c files. Not for use outside engine/.
 *
 * Error helpers, tensor allocation, broadcasting and the strided n-d iterator every kernel that
 * cannot assume contiguous data walks with.
 */
#ifndef NABLA_ENGINE_INTERNAL_H
#define NABLA_ENGINE_INTERNAL_H

#include "engine/engine.h"

#if defined(__GNUC__)
#define ENG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ENG_PRINTF(f, a)
/* ---- float digits (dragon4.c) ------------------------------------------------------------ */

/* Decimal digits of |x| (finite float32) by NumPy's Dragon4 in "unique" mode: the shortest
 * digits that read back as x, stopping at the cutoff (cutoff_max digits in all when
 * total_length, else digits after the decimal point; -1: none) and going on to at least
 * cutoff_min digits (same counting; -1: none), the last digit rounded. Writes the digits (no
 * dot, not NUL-terminated; room for 64) and the decimal exponent of the first digit; returns
 * the digit count. 0 gives "0" with exponent 0. */
int eng_dragon4_f32(float x, int total_length, int cutoff_max, int cutoff_min, char *digits,
                    int *exp10);

#endif

/* ---- errors (error.c) -------------------------------------------------------------------- */

/* Fills err (if not NULL) with code and the formatted message, clears the hint; returns code. */
int eng_err(eng_error *err, int code, const char *fmt, ...) ENG_PRINTF(3, 4);
/* Sets err->hint (if err is not NULL). */
void eng_err_hint(eng_error *err, const char *fmt, ...) ENG_PRINTF(2, 3);
/* Writes "ENG_OK" state into err (code 0, empty strings). */
void eng_err_clear(eng_error *err);

/* Enough room for any formatted shape: "(" + 8 * "-9223372036854775808, " + ")". */
#define ENG_SHAPE_BUF 200

/* ---- allocation (tensor.c) --------------------------------------------------------------- */

/* Checks 0 <= ndim <= ENG_MAX_DIMS and every shape[d] >= 0, computes the element count into
 * *size; ENG_ERR_VALUE for a bad ndim or negative size, ENG_ERR_MEMORY past ENG_MAX_ELEMENTS. */
int eng_shape_check(int ndim, const int64_t *shape, int64_t *size, eng_error *err);
/* A fresh contiguous tensor (header + storage + data in one block), data uninitialised.
 * shape must already be valid and size its element count (no checks: the fast path). */
eng_tensor *eng_alloc_unchecked(int ndim, const int64_t *shape, int64_t size, eng_error *err);
/* eng_binary_inplace / _scalar without the version bump (elementwise.c): for buffers only the
 * engine holds -- gradient accumulators, a result being filled -- which no graph keeps. */
int eng_binary_inplace_raw(eng_binop op, eng_tensor *dst, const eng_tensor *src, eng_error *err);
int eng_binary_inplace_scalar_raw(eng_binop op, eng_tensor *dst, float s, eng_error *err);
/* A new header sharing t's storage (retained), with t's ndim/shape/strides/offset copied. */
eng_tensor *eng_view_of(eng_tensor *t, eng_error *err);
/* Row-major strides for shape. */
void eng_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);

/* ---- broadcasting and iteration (iter.c) ------------------------------------------------- */

/* NumPy's broadcast of two shapes into out (ndim *nout). ENG_ERR_SHAPE
 * "cannot broadcast shapes (2, 3) and (4,)" when they do not fit. */
int eng_broadcast_shapes(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
                         int64_t *out, eng_error *err);
/* Strides that make t look like shape (ndim): 0 on broadcast dims. ENG_ERR_SHAPE
 * "cannot broadcast shapes (A) and (B)" (t's shape first) if t does not broadcast to shape. */
int eng_broadcast_strides(const eng_tensor *t, int ndim, const int64_t *shape, int64_t *strides,
                          eng_error *err);

#define ENG_ITER_MAX_OPS 4

/* Walks an n-d index space row by row for up to ENG_ITER_MAX_OPS strided operands. Dims are
 * coalesced where every operand allows it and size-1 dims are dropped, so a contiguous walk is
 * one long row. Usage:
 *
 *     eng_iter it;
 *     eng_iter_init(&it, 2, ndim, shape, (const int64_t *[]){ dst_strides, src_strides });
 *     while (eng_iter_next(&it))
 *         kernel(it.n, dst + it.off[0], it.stride[0], src + it.off[1], it.stride[1]);
 *
 * it.n is the row length and it.stride[k] operand k's stride along the row (elements); it.off[k]
 * is the offset of the row start relative to the operand's base pointer. */
typedef struct eng_iter {
    int     nops, ndim;                                /* ndim: outer dims (row dim excluded) */
    int64_t n;                                         /* row length */
    int64_t stride[ENG_ITER_MAX_OPS];                  /* along the row */
    int64_t off[ENG_ITER_MAX_OPS];                     /* row start offsets */
    int64_t shape[ENG_MAX_DIMS];                       /* outer dims */
    int64_t strides[ENG_ITER_MAX_OPS][ENG_MAX_DIMS];
    int64_t idx[ENG_MAX_DIMS];
    int64_t rows_left;                                 /* rows not yet returned */
    int     started;
} eng_iter;

void eng_iter_init(eng_iter *it, int nops, int ndim, const int64_t *shape,
                   const int64_t *const *strides);
int  eng_iter_next(eng_iter *it);

/* dst[...] = src[...] over shape, both strided (src strides may be 0 for broadcast). */
void eng_copy_strided(int ndim, const int64_t *shape, float *dst, const int64_t *dst_strides,
                      const float *src, const int64_t *src_strides);
/* Nonzero when a and b may share memory (same storage). */
int eng_may_overlap(const eng_tensor *a, const eng_tensor *b);

/* Normalises axis (negative counts from the end) into [0, ndim); ENG_ERR_INDEX
 * "axis 2 is out of bounds for a tensor of 2 dimensions" otherwise. */
int eng_axis_normalize(int axis, int ndim, int *out, eng_error *err);

/* ---- float digits (dragon4.c) ------------------------------------------------------------ */

/* Decimal digits of |x| (finite float32) by NumPy's Dragon4 in "unique" mode: the shortest
 * digits that read back as x, stopping at the cutoff (cutoff_max digits in all when
 * total_length, else digits after the decimal point; -1: none) and going on to at least
 * cutoff_min digits (same counting; -1: none), the last digit rounded. Writes the digits (no
 * dot, not NUL-terminated; room for 64) and the decimal exponent of the first digit; returns
 * the digit count. 0 gives "0" with exponent 0. */
int eng_dragon4_f32(float x, int total_length, int cutoff_max, int cutoff_min, char *digits,
                    int *exp10);

#endif
