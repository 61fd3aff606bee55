/*
 * engine.h -- the nabla engine: float32 n-d tensors and the ops on them (the tensor core).
 *
 * The engine is a plain C library. It knows no language: lang/ binds these functions, and
 * tests call them directly. It needs only libc, libm and OpenBLAS (cblas_sgemm for matmul).
 *
 * Usage:
 *
 *     eng_error err;
 *     int64_t shape[2] = { 2, 3 };
 *     eng_tensor *x = eng_tensor_full(2, shape, 1.5f, &err);      // refcount 1, we own it
 *     eng_tensor *y = eng_binary_scalar(ENG_BIN_MUL, x, 2.0f, 0, &err);   // x * 2
 *     eng_tensor *w = eng_tensor_eye(3, 4, &err);
 *     eng_tensor *z = eng_matmul(y, w, &err);                      // (2, 3) @ (3, 4) -> (2, 4)
 *     if (!z) fprintf(stderr, "%s\nhint: %s\n", err.msg, err.hint);
 *     char *s = eng_tensor_format(z, "tensor");                    // NumPy-style repr
 *     puts(s); free(s);
 *     eng_tensor_release(x); eng_tensor_release(y);                // release(NULL) is fine
 *     eng_tensor_release(w); eng_tensor_release(z);
 *
 * Data model. A tensor is a header (shape, strides, offset, all counted in elements, not bytes)
 * over a refcounted storage (a flat float array). Row-major: a fresh tensor of shape (2, 3) has
 * strides (3, 1). Views -- reshape of a contiguous tensor, transpose, slicing with steps, integer
 * indexing -- make a new header over the same storage, so a write through a view is visible in
 * the base. A fresh tensor is ONE malloc: header, storage record and data side by side (this is
 * what makes small-tensor ops cheap); views are one malloc for the header.
 *
 * Ownership. Every function that returns an eng_tensor * returns a NEW REFERENCE: the caller owns
 * it (refcount 1 for a fresh tensor) and must call eng_tensor_release() once. A view holds a
 * reference to the storage, so releasing the base while a view is alive is fine.
 * eng_tensor_retain() adds a reference. Input tensors are borrowed: ops never release or keep
 * their arguments (a later autograd issue will retain inputs it records, through these same
 * functions). eng_tensor_format() returns malloc'd text the caller free()s.
 *
 * Errors. Functions that make a tensor return NULL on failure and fill *err (caller-owned; err
 * may be NULL if the caller does not care). Functions that only act return an eng_status:
 * ENG_OK (0) or an error code, again with *err filled. err->msg says what went wrong in the
 * learner's terms, shapes formatted like Python tuples: "(64, 784)", "(3,)", "()"; err->hint,
 * when non-empty, says what to try. Nothing here aborts or exits on anything a caller passes:
 * an impossible size (overflow, > 2^40 elements, malloc failure) is ENG_ERR_MEMORY.
 *
 * Threads: one tensor must not be used from two threads at once (refcounts are plain ints).
 * There is no global mutable state; random numbers come from an explicit eng_rng.
 */
#ifndef NABLA_ENGINE_H
#define NABLA_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#define ENG_MAX_DIMS 8                          /* most dimensions a tensor can have */
#define ENG_MAX_ELEMENTS ((int64_t)1 << 40)     /* larger tensors are ENG_ERR_MEMORY */

/* ---- errors ------------------------------------------------------------------------------ */

typedef enum eng_status {
    ENG_OK = 0,
    ENG_ERR_SHAPE,      /* shapes do not fit the op (matmul, broadcasting, reshape, concat) */
    ENG_ERR_INDEX,      /* an index or axis out of range */
    ENG_ERR_VALUE,      /* a bad argument value (step 0, label out of range, empty max) */
    ENG_ERR_TYPE,       /* a value of the wrong kind (e.g. a non-integral index tensor) */
    ENG_ERR_MEMORY,     /* a tensor too large to allocate, or malloc failed */
    ENG_ERR_IO,         /* file errors (used by the file formats) */
    ENG_ERR_COUNT
} eng_status;

typedef struct eng_error {
    int  code;          /* an eng_status */
    char msg[256];      /* "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ" */
    char hint[256];     /* "" or "the right operand transposed has shape (784, 10)" */
} eng_error;

/* "ShapeError", "IndexError", "ValueError", "TypeError", "MemoryError", "IOError", "OK". */
const char *eng_status_name(int code);

/* ---- the tensor -------------------------------------------------------------------------- */

typedef struct eng_storage eng_storage;
typedef struct eng_tensor eng_tensor;
typedef struct eng_node eng_node;   /* autograd graph node: defined by the autograd module */

/* A flat, refcounted float array shared by a tensor and its views. `block` is the malloc'd
 * pointer that is freed when refcount drops to 0: for a fresh tensor it is the tensor itself
 * (header, storage and data live in one block), so a base header outlives its own release
 * while views still use its data. */
struct eng_storage {
    int      refcount;
    int64_t  size;          /* floats in data */
    float   *data;
    void    *block;
    uint64_t version;       /* in-place writes so far: see "version counter" below */
};

/* Fields are public for speed; treat them as read-only outside the engine. Element (i0, i1, ..)
 * lives at storage->data[offset + i0*strides[0] + i1*strides[1] + ...]. A 0-d tensor (a scalar)
 * has ndim 0 and size 1. */
struct eng_tensor {
    int          refcount;
    int          ndim;
    int64_t      size;                      /* element count: product of shape (1 for 0-d) */
    int64_t      offset;                    /* in elements, into storage->data */
    eng_storage *storage;
    int64_t      shape[ENG_MAX_DIMS];
    int64_t      strides[ENG_MAX_DIMS];     /* in elements; may be 0 or negative in views */
    /* Autograd (reserved; the autograd issue fills these in, the tensor core leaves them 0):
     * requires_grad -- nonzero for a parameter (param(t)), ops record a node when any input has it;
     * grad          -- the accumulated gradient, same shape, owned by this tensor (released with it);
     * node          -- the graph node that produced this tensor, NULL for leaves. */
    int          requires_grad;
    eng_tensor  *grad;
    eng_node    *node;
    /* 1 when the values are truth values: results of comparisons, logical ops and literals of
     * bools. Only such a tensor used as an index is a boolean mask (float32 has no bool type,
     * and t[[0, 1]] must stay an integer index). Views and copies keep it. */
    int          is_bool;
};

/* The version counter (PyTorch's t._version). Autograd keeps some tensors for the backward pass
 * (a multiply keeps both factors, exp its result); writing into one of them before backward()
 * would make the gradient silently wrong. So every in-place write bumps a counter that lives
 * with the storage -- views share it, so writing through any view of the data counts -- and a
 * node records the versions of what it keeps; eng_backward() compares them before it runs the
 * node and fails with ENG_ERR_VALUE when they differ (see the autograd section).
 *
 * Who bumps: eng_binary_inplace, eng_binary_inplace_scalar, eng_index_set, _set_scalar,
 * eng_tensor_zero_grad. Code that writes into an EXISTING tensor through eng_tensor_data()
 * calls eng_tensor_bump_version() once after the write (filling a fresh result before anyone
 * else has seen it needs nothing). Autograd's own accumulation into gradient buffers does not
 * bump: a .grad is not a value the graph keeps. */
static inline uint64_t eng_tensor_version(const eng_tensor *t) { return t->storage->version; }
static inline void eng_tensor_bump_version(eng_tensor *t) { t->storage->version++; }

/* ---- random numbers ---------------------------------------------------------------------- */

/* xoshiro256** state, seeded through splitmix64. Pass it explicitly; there is no global RNG. */
typedef struct eng_rng { uint64_t s[4]; } eng_rng;

void     eng_rng_seed(eng_rng *rng, uint64_t seed);
uint64_t eng_rng_next_u64(eng_rng *rng);
double   eng_rng_uniform(eng_rng *rng);         /* in [0, 1), 53 random bits */
double   eng_rng_normal(eng_rng *rng);          /* standard normal (Box-Muller) */

/* ---- creation (each returns a new reference or NULL + *err) ------------------------------- */

/* shape has ndim entries (0 <= ndim <= ENG_MAX_DIMS, each >= 0). Zero-filled. */
eng_tensor *eng_tensor_new(int ndim, const int64_t *shape, eng_error *err);
/* Like eng_tensor_new, but the data is uninitialised (the caller fills every element). */
eng_tensor *eng_tensor_empty(int ndim, const int64_t *shape, eng_error *err);
eng_tensor *eng_tensor_full(int ndim, const int64_t *shape, float v, eng_error *err);
/* Copies size floats from data (row-major). */
eng_tensor *eng_tensor_from_data(int ndim, const int64_t *shape, const float *data, eng_error *err);
eng_tensor *eng_tensor_scalar(float v, eng_error *err);              /* 0-d */
eng_tensor *eng_tensor_eye(int64_t n, int64_t m, eng_error *err);    /* (n, m), ones on diagonal */
/* NumPy arange: length ceil((stop - start) / step), values start + i*step (computed in double).
 * step 0 is ENG_ERR_VALUE. */
eng_tensor *eng_tensor_arange(double start, double stop, double step, eng_error *err);
/* NumPy linspace with endpoint: n values from a to b inclusive (n >= 0). */
eng_tensor *eng_tensor_linspace(double a, double b, int64_t n, eng_error *err);
eng_tensor *eng_tensor_rand(eng_rng *rng, int ndim, const int64_t *shape, eng_error *err);  /* U[0,1) */
eng_tensor *eng_tensor_randn(eng_rng *rng, int ndim, const int64_t *shape, eng_error *err); /* N(0,1) */
/* Integers uniform in [lo, hi); hi <= lo is ENG_ERR_VALUE. */
eng_tensor *eng_tensor_randint(eng_rng *rng, int64_t lo, int64_t hi, int ndim,
                               const int64_t *shape, eng_error *err);
/* A view of t's storage with the given shape, strides (elements) and offset (absolute, into
 * t->storage->data). Every reachable element must lie inside the storage (else ENG_ERR_INDEX).
 * Used to carve layers' parameters out of one flat buffer. */
eng_tensor *eng_tensor_view(eng_tensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                            int64_t offset, eng_error *err);

/* ---- references -------------------------------------------------------------------------- */

eng_tensor *eng_tensor_retain(eng_tensor *t);  /* returns t; t must not be NULL */
void        eng_tensor_release(eng_tensor *t); /* NULL is fine; frees at refcount 0 */

/* ---- access ------------------------------------------------------------------------------ */

/* Pointer to the first element (storage data + offset). Only a contiguous tensor's elements
 * are data[0 .. size-1] in order; otherwise walk the strides. */
float *eng_tensor_data(const eng_tensor *t);
/* Nonzero when the elements are dense and row-major (strides of size-1 dims are ignored). */
int         eng_tensor_is_contiguous(const eng_tensor *t);
/* t itself (retained) when contiguous, else a contiguous copy. */
eng_tensor *eng_tensor_contiguous(eng_tensor *t, eng_error *err);
/* A fresh contiguous copy that shares nothing with t. */
eng_tensor *eng_tensor_copy(const eng_tensor *t, eng_error *err);
/* Element at idx[0..ndim-1]; each 0 <= idx[d] < shape[d] (the caller checks). */
float       eng_tensor_get(const eng_tensor *t, const int64_t *idx);
/* The single element of a size-1 tensor (any ndim); NaN if t->size != 1. */
float       eng_tensor_item(const eng_tensor *t);
/* Nonzero when a and b have the same ndim and shape. */
int         eng_shape_equal(const eng_tensor *a, const eng_tensor *b);
/* Writes "(2, 3)", "(3,)" or "()" into buf (truncated to cap, always NUL-terminated); returns buf. */
char       *eng_shape_format(int ndim, const int64_t *shape, char *buf, size_t cap);

/* ---- elementwise ------------------------------------------------------------------------- */

/* Binary ops. Broadcasting is NumPy's: shapes are aligned on the right; sizes must be equal or
 * one of them 1. Comparisons and AND/OR give 0/1 tensors (any nonzero, NaN included, is true).
 * FLOORDIV and MOD follow Python/NumPy floor semantics: the remainder has the divisor's sign,
 * a == (a // b) * b + a % b. Division by zero gives inf/nan as IEEE (NumPy warns, we do not).
 * MAXIMUM/MINIMUM propagate NaN. ORDER eng_binop: keep eng_binop_name in step. */
typedef enum eng_binop {
    ENG_BIN_ADD, ENG_BIN_SUB, ENG_BIN_MUL, ENG_BIN_DIV, ENG_BIN_FLOORDIV, ENG_BIN_MOD, ENG_BIN_POW,
    ENG_BIN_LT, ENG_BIN_LE, ENG_BIN_GT, ENG_BIN_GE, ENG_BIN_EQ, ENG_BIN_NE,
    ENG_BIN_MAXIMUM, ENG_BIN_MINIMUM, ENG_BIN_AND, ENG_BIN_OR,
    ENG_BIN_COUNT
} eng_binop;

/* "add", "subtract", "multiply", ... (NumPy ufunc names); "?" when out of range. */
const char *eng_binop_name(eng_binop op);
/* "+", "-", "*", "/", "//", "%", "**", "<", ..., "maximum", "minimum", "and", "or". */
const char *eng_binop_symbol(eng_binop op);

/* a op b, broadcast. Error: ENG_ERR_SHAPE "cannot broadcast shapes (2, 3) and (4,)". */
eng_tensor *eng_binary(eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err);
/* a op s (scalar_left == 0) or s op a (scalar_left != 0), without making a tensor of s. */
eng_tensor *eng_binary_scalar(eng_binop op, eng_tensor *a, float s, int scalar_left, eng_error *err);
/* dst = dst op src in place, src broadcast to dst's shape (dst's shape never changes): `x += y`,
 * optimizer updates. Writes through views. ENG_ERR_SHAPE if src does not broadcast to dst.
 * If src overlaps dst in memory other than exactly (same view), src is copied first. Bumps
 * dst's version on success. */
int eng_binary_inplace(eng_binop op, eng_tensor *dst, const eng_tensor *src, eng_error *err);
/* dst = dst op s in place; bumps dst's version. */
int eng_binary_inplace_scalar(eng_binop op, eng_tensor *dst, float s, eng_error *err);

/* Unary ops. ROUND is NumPy's (half to even); SIGN(0) = 0, SIGN(nan) = nan; NOT gives 1 where
 * the element is 0, else 0; SIGMOID is computed stably for large |x|. ORDER eng_unop. */
typedef enum eng_unop {
    ENG_UN_NEG, ENG_UN_ABS, ENG_UN_EXP, ENG_UN_LOG, ENG_UN_SQRT, ENG_UN_TANH, ENG_UN_SIGMOID,
    ENG_UN_RELU, ENG_UN_SIN, ENG_UN_COS, ENG_UN_FLOOR, ENG_UN_CEIL, ENG_UN_ROUND, ENG_UN_SIGN,
    ENG_UN_SQUARE, ENG_UN_NOT,
    ENG_UN_COUNT
} eng_unop;

const char *eng_unop_name(eng_unop op);    /* "negative", "abs", "exp", ... */

eng_tensor *eng_unary(eng_unop op, eng_tensor *t, eng_error *err);
/* min(max(t, lo), hi) elementwise (NumPy clip). */
eng_tensor *eng_clip(eng_tensor *t, float lo, float hi, eng_error *err);
/* cond != 0 ? a : b, all three broadcast together. */
eng_tensor *eng_where(eng_tensor *cond, eng_tensor *a, eng_tensor *b, eng_error *err);
/* *result = 1 when |a - b| <= atol + rtol * |b| everywhere (broadcast; NaN is never close),
 * else 0. Returns ENG_OK or ENG_ERR_SHAPE. */
int eng_allclose(eng_tensor *a, eng_tensor *b, double rtol, double atol, int *result, eng_error *err);

/* ---- matmul ------------------------------------------------------------------------------ */

/* NumPy matmul: 1-d x 1-d is a dot product (0-d result); a 1-d left operand is a row (its
 * dimension dropped from the result), a 1-d right operand a column; for ndim > 2 the leading
 * dims are batch dims, broadcast against each other. 0-d operands are ENG_ERR_SHAPE. Mismatch:
 * "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ", hint
 * "the right operand transposed has shape (784, 10)" when that would fit. Runs cblas_sgemm. */
eng_tensor *eng_matmul(eng_tensor *a, eng_tensor *b, eng_error *err);
/* The same contract with a plain triple loop (accumulating in double): the specification the
 * BLAS path is tested against. */
eng_tensor *eng_matmul_naive(eng_tensor *a, eng_tensor *b, eng_error *err);

/* ---- reductions -------------------------------------------------------------------------- */

/* ORDER eng_redop. STD and VAR are population (ddof 0). ARGMAX/ARGMIN take one axis (or all:
 * then the result is a 0-d tensor holding the flat index) and return indices as floats. */
typedef enum eng_redop {
    ENG_RED_SUM, ENG_RED_MEAN, ENG_RED_MAX, ENG_RED_MIN, ENG_RED_PROD, ENG_RED_STD, ENG_RED_VAR,
    ENG_RED_ARGMAX, ENG_RED_ARGMIN,
    ENG_RED_COUNT
} eng_redop;

const char *eng_redop_name(eng_redop op);  /* "sum", "mean", "max", ... */

/* Reduce over axes[0..naxes-1] (naxes == 0: all axes; negative axes count from the end).
 * keepdims keeps reduced axes as size 1. Sums accumulate in double. Errors: ENG_ERR_INDEX
 * "axis 2 is out of bounds for a tensor of 2 dimensions"; ENG_ERR_VALUE for a repeated axis,
 * for max/min/argmax/argmin of an empty tensor, and for argmax/argmin over several axes.
 * The mean of an empty tensor is NaN, as in NumPy. */
eng_tensor *eng_reduce(eng_redop op, eng_tensor *t, int naxes, const int *axes, int keepdims,
                       eng_error *err);
/* Sum t down to `shape` (the inverse of broadcasting shape to t's shape): leading dims are
 * summed away and dims where shape has 1 are summed with keepdims. Used by autograd to reduce
 * a broadcast gradient. Returns t itself (retained) when nothing needs summing. ENG_ERR_SHAPE
 * if shape does not broadcast to t's shape. */
eng_tensor *eng_sum_to(eng_tensor *t, int ndim, const int64_t *shape, eng_error *err);
/* exp(x - max) / sum(exp(x - max)) along axis (negative allowed); numerically stable. */
eng_tensor *eng_softmax(eng_tensor *t, int axis, eng_error *err);
/* x - max - log(sum(exp(x - max))) along axis. */
eng_tensor *eng_log_softmax(eng_tensor *t, int axis, eng_error *err);

/* ---- shape ------------------------------------------------------------------------------- */

/* One entry of shape may be -1 (inferred). A view when t is contiguous, else a copy.
 * Error: ENG_ERR_SHAPE "cannot reshape a tensor of 6 elements into shape (4, 2)". */
eng_tensor *eng_reshape(eng_tensor *t, int ndim, const int64_t *shape, eng_error *err);
/* A view with dims permuted: result dim i is t's dim perm[i]; perm NULL reverses the dims
 * (t.T). perm must be a permutation of 0..ndim-1 (negative entries count from the end). */
eng_tensor *eng_transpose(eng_tensor *t, const int *perm, eng_error *err);
/* 1-d, size elements (a view when contiguous). */
eng_tensor *eng_flatten(eng_tensor *t, eng_error *err);
/* Join n >= 1 tensors of equal ndim >= 1 along an existing axis; other dims must match. */
eng_tensor *eng_concat(int n, eng_tensor *const *ts, int axis, eng_error *err);
/* Join n >= 1 tensors of identical shape along a new axis (0 <= axis <= ndim, or negative). */
eng_tensor *eng_stack(int n, eng_tensor *const *ts, int axis, eng_error *err);
/* labels of any shape holding integers in [0, n_classes) -> shape + (n_classes,) of 0/1.
 * A non-integral label or one out of range is ENG_ERR_VALUE. */
eng_tensor *eng_one_hot(eng_tensor *labels, int64_t n_classes, eng_error *err);
/* Insert a size-1 dim at axis (view). */
eng_tensor *eng_expand_dims(eng_tensor *t, int axis, eng_error *err);

/* ---- indexing ---------------------------------------------------------------------------- */

typedef enum eng_index_kind {
    ENG_IDX_INT,        /* i: picks one element along the axis, the axis disappears */
    ENG_IDX_SLICE,      /* start:stop:step, each optional (has_*), Python semantics */
    ENG_IDX_NEWAXIS,    /* None: inserts a size-1 axis */
    ENG_IDX_ELLIPSIS,   /* ...: as many full slices as needed (at most one per index) */
    ENG_IDX_TENSOR      /* a mask (truth values shaped like the dims it covers) or integer array */
} eng_index_kind;

typedef struct eng_index {
    eng_index_kind   kind;
    int64_t          i;                         /* ENG_IDX_INT */
    int64_t          start, stop, step;         /* ENG_IDX_SLICE */
    int              has_start, has_stop, has_step;
    const eng_tensor *t;                        /* ENG_IDX_TENSOR (borrowed) */
} eng_index;

/* t[idx0, idx1, ...]. Ints, slices, newaxis and ellipsis give a view (negative indices count
 * from the end, slice bounds are clamped, steps may be negative). A TENSOR index holding truth
 * values (is_bool, e.g. t > 2) with the same shape as the dims it covers is a boolean mask: the selected elements
 * (row-major order, as NumPy t[t > 2]) become one dim of the result, a copy. Any other tensor
 * index is an integer array (integral values, negative allowed) along one axis: the result
 * replaces that axis with the index's shape, a copy. At most one TENSOR index per call.
 * Placement follows NumPy: the picked dims replace the covered ones, or go first when ints and
 * the tensor index are separated by a slice/newaxis/ellipsis. A 0/1 tensor that is not marked
 * is_bool is an integer array: t[[0, 1]] on a (2, n) tensor picks both rows, as in NumPy.
 * Errors: ENG_ERR_INDEX "index 5 is out of bounds for axis 0 with size 3", "too many indices
 * for a tensor of 2 dimensions: 3 were given"; ENG_ERR_VALUE "slice step cannot be zero";
 * ENG_ERR_TYPE for an index tensor holding a non-integer. */
eng_tensor *eng_index_get(eng_tensor *t, int n, const eng_index *idx, eng_error *err);
/* t[idx...] = value, in place: value is broadcast to the shape eng_index_get would return
 * (for a mask: (count,)). ENG_ERR_SHAPE when it does not broadcast. Both bump t's version on
 * success. */
int eng_index_set(eng_tensor *t, int n, const eng_index *idx, const eng_tensor *value,
                  eng_error *err);
int eng_index_set_scalar(eng_tensor *t, int n, const eng_index *idx, float v, eng_error *err);

/* ---- printing ---------------------------------------------------------------------------- */

/* NumPy's repr of a float32 array with `prefix` in place of "array", e.g. for prefix "tensor":
 * "tensor([[1., 2.],\n        [3., 4.]])", "tensor(3.)", "tensor([])". Same float rules as
 * NumPy (precision 8, shortest repr, scientific for wide ranges), line width 75, "..." for
 * size > 1000 (3 edge items). Zero-size tensors other than (0,) print as NumPy's
 * "tensor([], shape=(2, 0))". prefix NULL means "tensor". Returns malloc'd text (caller
 * frees) or NULL if out of memory. */
char *eng_tensor_format(const eng_tensor *t, const char *prefix);

/* ---- data: data sets and files (engine/data_*.c) ------------------------------------------ */

/* Every loader returns new references (NULL + *err on failure, nothing left allocated); file
 * problems are ENG_ERR_IO and their message names the path. Generators take an explicit rng, so
 * a seeded rng gives the same data on every machine. */

/* IDX (the MNIST format, data_idx.c): big-endian header -- magic 00 00 TYPE NDIM, one 4-byte size
 * per dim -- then the elements row-major. Gzip'd or plain (zlib reads both). Element types u8,
 * i8, i16, i32, f32, f64 become float32; the result has the file's shape. ENG_ERR_IO when the
 * file cannot be opened, the magic is wrong, the data is shorter or longer than the header says,
 * or the gzip stream is damaged (CRC, truncation). */
eng_tensor *eng_idx_load(const char *path, eng_error *err);

/* Where Debian's package dataset-fashion-mnist puts the four .gz files. */
#define ENG_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* The folder load_fashion_mnist reads: $NABLA_DATA/fashion-mnist when that folder exists, else
 * $NABLA_DATA when set and non-empty, else ENG_FASHION_MNIST_DIR. Written into buf; returns buf. */
char *eng_fashion_mnist_dir(char *buf, size_t cap);

/* Fashion-MNIST as Keras's fashion_mnist.load_data(): from dir (NULL: eng_fashion_mnist_dir())
 * reads train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
 * t10k-labels-idx1-ubyte.gz (or the uncompressed file, without ".gz", when that exists) into
 * out[0] x_train (60000, 28, 28), out[1] y_train (60000,), out[2] x_test (10000, 28, 28),
 * out[3] y_test (10000,): pixels 0..255 and labels 0..9 as floats. Images must be N x 28 x 28
 * with N labels in 0..9. On error every out[i] is NULL and err (ENG_ERR_IO) names the file; its
 * hint says to install the Debian package dataset-fashion-mnist. */
int eng_fashion_mnist_load(const char *dir, eng_tensor *out[4], eng_error *err);

/* TensorFlow Playground's classification sets (src/dataset.ts, data_playground.c). ORDER
 * eng_playground_set: eng_playground_name. */
typedef enum eng_playground_set {
    ENG_PLAYGROUND_CIRCLE, ENG_PLAYGROUND_XOR, ENG_PLAYGROUND_GAUSS, ENG_PLAYGROUND_SPIRAL,
    ENG_PLAYGROUND_COUNT
} eng_playground_set;

const char *eng_playground_name(eng_playground_set set);   /* "circle", "xor", ... */

/* n points of a Playground set, generated exactly as dataset.ts does with rng in place of
 * Math.random (uniforms from eng_rng_uniform, normals by the Marsaglia polar method), then
 * shuffled as Playground's shuffle (Fisher-Yates from the end). *x (n, 2) holds the points,
 * *y (n,) the labels: Playground's +1 is 1, -1 is 0. noise is Playground's slider / 100, in
 * [0, 0.5] (else ENG_ERR_VALUE). The two-class sets (circle, gauss, spiral) make n / 2 points
 * per class; for odd n the positive class has the extra one (Playground would make n + 1).
 *   circle: class 1 at radius U(0, 2.5), class 0 at U(3.5, 5), angle U(0, 2pi); the label is
 *           taken at the point moved by U(-5, 5) * noise in x and y (noise flips labels, the
 *           stored point is not moved).
 *   xor:    x, y ~ U(-5, 5), each pushed 0.3 away from 0; label (x + nx) * (y + ny) >= 0 with
 *           nx, ny ~ U(-5, 5) * noise.
 *   gauss:  class 1 ~ N((2, 2), v), class 0 ~ N((-2, -2), v), variance v = 0.5 + 7 * noise.
 *   spiral: arm i of n/2 points: r = i / (n/2) * 5, t = 1.75 * i / (n/2) * 2pi (+ pi for class 0),
 *           (r sin t, r cos t) + U(-1, 1) * noise in each coordinate. */
int eng_playground_make(eng_playground_set set, int64_t n, double noise, eng_rng *rng,
                        eng_tensor **x, eng_tensor **y, eng_error *err);

/* scikit-learn's make_moons: n // 2 points on the outer half circle (label 0), the rest on the
 * inner one (label 1), shuffled, then Gaussian noise of standard deviation noise (>= 0) added
 * to every coordinate. *x (n, 2), *y (n,). */
int eng_make_moons(int64_t n, double noise, eng_rng *rng, eng_tensor **x, eng_tensor **y,
                   eng_error *err);

/* Writes a random permutation of 0 .. n-1 into perm (Fisher-Yates, data_split.c). */
void eng_permutation(eng_rng *rng, int64_t n, int64_t *perm);
/* The same as a tensor (n,) of whole numbers (NumPy's random.permutation(n)); n >= 0, and
 * below 2^24 so every index is exact in float32 (ENG_ERR_VALUE otherwise). New reference. */
eng_tensor *eng_tensor_permutation(eng_rng *rng, int64_t n, eng_error *err);

/* scikit-learn's train_test_split of n_arrays tensors (ndim >= 1) with the same first size N:
 * test_size in (0, 1) is a fraction (ceil(test_size * N) test rows), a whole number >= 1 a
 * count. With shuffle the test rows are the first of a random permutation and the train rows
 * the rest (in permutation order); without, the train rows are the first N - n_test. Writes
 * 2 * n_arrays new tensors: out[2i] array i's train rows, out[2i + 1] its test rows (copies).
 * ENG_ERR_SHAPE for differing first sizes, ENG_ERR_VALUE for a bad test_size or an empty
 * train or test set. */
int eng_train_test_split(int n_arrays, eng_tensor *const *arrays, double test_size, int shuffle,
                         eng_rng *rng, eng_tensor **out, eng_error *err);

/* CSV of numbers (data_csv.c): one row per line, cells separated by delimiter, blanks around a
 * cell and "quotes" ignored; blank lines and lines starting with '#' are skipped. header: 1 skips
 * the first line, 0 reads it as data, -1 skips it when one of its cells is not a number. Cells
 * are parsed as C doubles ("nan", "inf", "1e-3" work). Returns (rows, cols), always 2-d.
 * ENG_ERR_VALUE "data.csv, line 3, column 2: 'abc' is not a number" (an empty cell too), "data.csv,
 * line 4: 2 cells, but line 1 has 3"; ENG_ERR_IO when the file cannot be read. */
eng_tensor *eng_csv_load(const char *path, int header, char delimiter, eng_error *err);

/* NumPy .npy files (data_npy.c), https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
 * eng_npy_save writes format 1.0, descr '<f4', C order, the header laid out byte for byte as
 * numpy.save does, through a temporary file renamed over path (so a failed save never leaves a
 * half-written file). eng_npy_load reads versions 1.0-3.0 in C order holding float32, float64,
 * signed or unsigned integers of 1, 2, 4 or 8 bytes ('<f4', '<f8', '<i8', '|u1', '>i4', ...) or
 * '|b1', converting to float32 ('|b1' gives a truth-valued tensor, is_bool). ENG_ERR_IO names the path
 * for a bad magic, a damaged header, a data size that does not match the shape, fortran_order
 * True or an unsupported dtype. */
int eng_npy_save(const char *path, const eng_tensor *t, eng_error *err);
eng_tensor *eng_npy_load(const char *path, eng_error *err);

/* ---- autograd (engine/autograd*.c) ------------------------------------------------------- */

/*
 * Reverse-mode automatic differentiation, "backward runs kernels directly" (kann/llm.c style):
 * every differentiable op records one eng_node on its result; eng_backward() walks the nodes in
 * reverse topological order and each node's backward function runs plain kernels that ADD (+=)
 * into its inputs' gradients. There are no higher-order gradients (backward records nothing).
 *
 * Usage:
 *
 *     eng_ag ag;  eng_ag_init(&ag);                  // gradients on; the VM owns one of these
 *     eng_tensor *w = eng_param(w0, &err);           // a copy of w0 with requires_grad = 1
 *     eng_tensor *h = eng_ag_matmul(&ag, x, w, &err);          // records a node (w needs grad)
 *     eng_tensor *l = eng_ag_reduce(&ag, ENG_RED_MEAN, h, 0, NULL, 0, &err);
 *     if (eng_backward(l, NULL, &err) != ENG_OK) ...           // w->grad += dl/dw; graph freed
 *     eng_tensor_release(h); eng_tensor_release(l);            // w->grad lives on with w
 *     eng_tensor_zero_grad(w);                                 // before the next step
 *
 *     int was = eng_ag_set_enabled(&ag, 0);          // `with no_grad():` ... nothing records
 *     eng_ag_set_enabled(&ag, was);
 *
 * When an op records. The eng_ag_* wrappers below compute the plain op (same contract, same
 * errors as the op without the prefix) and record a node only when gradients are enabled in
 * `ag` AND at least one input has requires_grad (eng_ag_wants). Otherwise the result is exactly
 * the plain op's: callers on the hot path may test eng_ag_wants first and call the plain op.
 * ag NULL means "never record". A recorded result has requires_grad = 1 and node != NULL (a
 * non-leaf); a parameter is a leaf (node NULL) with requires_grad = 1; only leaves get .grad.
 *
 * The graph and ownership (no cycles, so plain refcounting frees it):
 *   - a result OWNS its node (t->node, freed when the tensor is freed; eng_tensor_release
 *     calls eng_node_free);
 *   - a node RETAINS its inputs (in[0..n_in-1]) and its saved tensors (saved[]) and owns `ctx`
 *     (freed by ctx_free) until the graph is freed. A node never retains its own output: to
 *     keep the output's values (exp, tanh, softmax...) eng_node_save(n, k, out, err) keeps a
 *     detached view (same storage, no autograd state) and records its version;
 *   - eng_backward() frees the graph it walked (releases every node's inputs, saved tensors and
 *     ctx, marks the node spent), as PyTorch does without retain_graph: a second backward
 *     through the same nodes is ENG_ERR_VALUE. Freeing is iterative: a chain of a million ops
 *     does not recurse.
 *   - a leaf's grad is owned by the leaf. Its owner may preset it (e.g. a view into a model's
 *     flat gradient buffer): it must then be contiguous with the leaf's shape, and is used as
 *     is; otherwise autograd allocates it, zero-filled, on the first accumulation.
 *
 * Writing a differentiable op (how engine/nn*.c registers conv2d, pooling, the losses ...):
 *
 *     static int square_backward(eng_node *n, const eng_tensor *gout, eng_error *err)
 *     {   // gout: contiguous, shaped like the op's output; n->in[0] is x (any strides)
 *         eng_tensor *gx = eng_node_grad(n, 0, err);     // x's gradient buffer, contiguous
 *         if (!gx) return err ? err->code : ENG_ERR_MEMORY;
 *         eng_tensor *xc = eng_tensor_contiguous(n->in[0], err); ...
 *         for (i ...) eng_tensor_data(gx)[i] += 2 * x[i] * eng_tensor_data(gout)[i];  // +=
 *         ...
 *         return ENG_OK;
 *     }
 *     eng_tensor *my_square(eng_ag *ag, eng_tensor *x, eng_error *err)
 *     {
 *         eng_tensor *y = ...forward...;
 *         if (!y || !eng_ag_wants(ag, 1, &x)) return y;
 *         eng_node *n = eng_node_new(y, "square", square_backward, 1, &x, err);
 *         if (!n) { eng_tensor_release(y); return NULL; }
 *         n->iarg[0] = axis;  n->farg[0] = eps;          // scalars the backward needs
 *         // eng_node_save(n, 0, y, err) if the backward reads y; eng_node_skip_check(n, i)
 *         // for an input whose values it never reads
 *         return y;
 *     }
 *
 * A backward function is only called when the node's output received a gradient; it skips
 * inputs with !eng_node_wants(n, i) (their eng_node_grad is NULL with err->code ENG_OK).
 * Gradients are float32 and contiguous; broadcasting is undone with eng_node_accum (which runs
 * eng_sum_to) or by the kernel itself.
 *
 * In-place changes (PyTorch's "one of the variables needed for gradient computation has been
 * modified by an inplace operation"). eng_node_new records the version (tensor section) of
 * every input, eng_node_save that of a saved tensor; before running a node's backward,
 * eng_backward compares them with the versions now and stops with ENG_ERR_VALUE:
 *
 *     w = param(ones(3)); y = w * x;  x += 1  (or x[0] = 5, or x viewed and changed) ...
 *     "a tensor of shape (3,) needed for the gradient of multiply was modified in place after
 *      it was used (version 1, expected 0)"   hint: "call backward() before changing ..."
 *
 * An input the backward never reads (an addend, a reshape's source: only its shape matters)
 * should be marked with eng_node_skip_check, so changing it is fine, as in PyTorch. The usual
 * loops are unaffected: forward, backward(), then the in-place update (w -= lr * w.grad,
 * opt.step()), then a new forward that records the new versions. Changing a parameter between
 * the forward and the backward is the error, as in PyTorch. Cost: one integer store per input
 * at record time, one compare per input and saved tensor at backward.
 */

typedef struct eng_ag {
    int enabled;        /* 1: ops record nodes when an input requires grad (the default) */
} eng_ag;

/* A node's backward: add (+=) the gradient of each input that wants one, given gout = dL/d(out)
 * (contiguous, the output's shape; borrowed). Returns ENG_OK or an error code (err filled). */
typedef int (*eng_backward_fn)(eng_node *node, const eng_tensor *gout, eng_error *err);

#define ENG_NODE_MAX_SAVED 4
#define ENG_VERSION_UNCHECKED UINT64_MAX    /* a node slot whose version is not checked */
#define ENG_NODE_MAX_ARGS  (2 * ENG_MAX_DIMS)

struct eng_node {
    const char      *name;          /* the op's name ("matmul"), static string, for messages */
    eng_backward_fn  backward;
    /* saved state, released/freed with the graph; all zero from eng_node_new */
    eng_tensor      *saved[ENG_NODE_MAX_SAVED];      /* retained tensors (never the output) */
    /* versions recorded by eng_node_new / eng_node_save, checked before backward runs;
     * ENG_VERSION_UNCHECKED for a slot filled by plain assignment or an input marked with
     * eng_node_skip_check. in_version has n_in entries (in the node's own allocation). */
    uint64_t         saved_version[ENG_NODE_MAX_SAVED];
    uint64_t        *in_version;
    int64_t          iarg[ENG_NODE_MAX_ARGS];        /* axes, shapes, strides, flags ... */
    double           farg[4];                        /* eps, scalar operands ... */
    void            *ctx;                            /* anything else; freed by ctx_free */
    void           (*ctx_free)(void *ctx);
    /* bookkeeping (autograd.c; read-only for ops) */
    int              out_ndim;
    int64_t          out_shape[ENG_MAX_DIMS];
    eng_tensor      *grad;          /* dL/d(out) while backward runs, else NULL */
    eng_node        *next;          /* work lists (topological sort, freeing) */
    int              mark;          /* visit mark for the sort */
    int              spent;         /* 1 once backward freed this node's graph */
    int              n_in;
    eng_tensor      *in[];          /* retained inputs */
};

/* Gradients on (enabled = 1). */
void eng_ag_init(eng_ag *ag);
/* Sets whether ops record (torch.set_grad_enabled); returns the previous setting, so a
 * no_grad region is `int was = eng_ag_set_enabled(ag, 0); ... eng_ag_set_enabled(ag, was);`. */
int  eng_ag_set_enabled(eng_ag *ag, int enabled);

/* Nonzero when an op on in[0..n-1] must record: ag non-NULL and enabled and any input (NULL
 * entries skipped) has requires_grad. Inline: this is the only autograd cost of a plain op. */
static inline int eng_ag_wants(const eng_ag *ag, int n, eng_tensor *const *in)
{
    if (!ag || !ag->enabled)
        return 0;
    for (int i = 0; i < n; i++)
        if (in[i] && in[i]->requires_grad)
            return 1;
    return 0;
}

/* Attaches a new node to out (out->node, out->requires_grad = 1; out must have no node yet):
 * in[0..n_in-1] retained and their versions recorded (checked at backward), every other field
 * zero (saved_version: unchecked). Returns the node (owned by out) or NULL on ENG_ERR_MEMORY,
 * in which case out is unchanged (the caller releases it). */
eng_node *eng_node_new(eng_tensor *out, const char *name, eng_backward_fn backward, int n_in,
                       eng_tensor *const *in, eng_error *err);
/* Input i's values are not read by the backward (only its shape, or nothing): an in-place
 * change to it after the op does not make the gradient wrong, so backward does not check it. */
void eng_node_skip_check(eng_node *node, int i);
/* Keeps t's values for the backward: node->saved[k] becomes a detached view of t (same
 * storage, no autograd state, so saving the op's own output makes no cycle), and t's version
 * is recorded so backward fails if t is changed in place before. Replaces what slot k held.
 * Returns ENG_OK or ENG_ERR_MEMORY (the slot is then empty). */
int eng_node_save(eng_node *node, int k, eng_tensor *t, eng_error *err);
/* Frees a node and, iteratively, the graph only it kept alive. Called by eng_tensor_release;
 * NULL is fine. */
void eng_node_free(eng_node *node);

/* In a backward function: nonzero when input i needs a gradient (in[i]->requires_grad). */
int eng_node_wants(const eng_node *node, int i);
/* In a backward function: input i's gradient accumulator (borrowed; contiguous, input i's
 * shape, zero-filled when first made): the leaf's .grad, or for a non-leaf its node's pending
 * gradient. NULL with err->code ENG_OK when input i wants no gradient; NULL with
 * ENG_ERR_MEMORY (err filled) when it cannot be allocated. */
eng_tensor *eng_node_grad(eng_node *node, int i, eng_error *err);
/* grad(in[i]) += g, where g has in[i]'s shape or broadcasts to it from it (g is summed down
 * with eng_sum_to: the gradient of a broadcast input). g is borrowed, any strides. A no-op
 * returning ENG_OK when input i wants no gradient. */
int eng_node_accum(eng_node *node, int i, const eng_tensor *g, eng_error *err);

/* Backpropagates from t: gout is dL/dt (t's shape; borrowed), or NULL to seed 1 when t has one
 * element (a scalar loss). Every leaf reached gets .grad += dL/dleaf; then the walked graph is
 * freed (t->node stays, spent). Errors (ENG_ERR_VALUE): t does not require grad ("element 0 of
 * tensors does not require grad and does not have a grad_fn" in PyTorch's words); t has more
 * than one element and gout is NULL ("grad can be implicitly created only for scalar outputs,
 * got shape (2, 3)"); gout's shape differs from t's; the graph was already freed by an earlier
 * backward; a tensor a node needs was changed in place after the node recorded it ("... was
 * modified in place after it was used (version 1, expected 0)"). Such an error or a kernel
 * error (ENG_ERR_MEMORY) stops the walk and frees the graph; gradients already accumulated
 * into leaves stay. */
int eng_backward(eng_tensor *t, const eng_tensor *gout, eng_error *err);
/* Zeroes t->grad in place when t has one (keeps the buffer: views into flat gradient buffers
 * stay valid; bumps the grad's version, as PyTorch's zero_()); nothing otherwise. */
void eng_tensor_zero_grad(eng_tensor *t);
/* A fresh contiguous copy of t with requires_grad = 1 and no grad: a parameter (param(t)). */
eng_tensor *eng_param(const eng_tensor *t, eng_error *err);
/* A view of t (same storage, same shape) without autograd state: requires_grad 0, no node. */
eng_tensor *eng_tensor_detach(eng_tensor *t, eng_error *err);
/* Text of the graph that produced t, one node per line, outputs first:
 * "matmul (64, 10) <- (64, 784) (784, 10)" (malloc'd; caller frees; NULL when out of memory). */
char *eng_graph_format(const eng_tensor *t);

/* Differentiable ops: the same contracts as the plain ops (engine.h above), plus recording.
 * Each returns a new reference or NULL + *err. Derivatives follow PyTorch: maximum/minimum split
 * ties evenly, max/min reductions send the gradient to the first maximum (the argmax), clip
 * passes it where lo <= x <= hi, abs and relu have slope 0 at 0, pow's exponent gradient is 0
 * where the base is 0. Results without a derivative never record (they are constants):
 * comparisons, floor division, AND/OR, NOT, argmax/argmin; floor/ceil/round/sign record a zero
 * gradient. Indexing with masks or integer arrays scatter-adds (repeated picks add up). */
eng_tensor *eng_ag_binary(eng_ag *ag, eng_binop op, eng_tensor *a, eng_tensor *b, eng_error *err);
eng_tensor *eng_ag_binary_scalar(eng_ag *ag, eng_binop op, eng_tensor *a, float s, int scalar_left,
                                 eng_error *err);
eng_tensor *eng_ag_unary(eng_ag *ag, eng_unop op, eng_tensor *t, eng_error *err);
eng_tensor *eng_ag_clip(eng_ag *ag, eng_tensor *t, float lo, float hi, eng_error *err);
eng_tensor *eng_ag_where(eng_ag *ag, eng_tensor *cond, eng_tensor *a, eng_tensor *b, eng_error *err);
eng_tensor *eng_ag_matmul(eng_ag *ag, eng_tensor *a, eng_tensor *b, eng_error *err);
eng_tensor *eng_ag_reduce(eng_ag *ag, eng_redop op, eng_tensor *t, int naxes, const int *axes,
                          int keepdims, eng_error *err);
eng_tensor *eng_ag_softmax(eng_ag *ag, eng_tensor *t, int axis, eng_error *err);
eng_tensor *eng_ag_log_softmax(eng_ag *ag, eng_tensor *t, int axis, eng_error *err);
eng_tensor *eng_ag_reshape(eng_ag *ag, eng_tensor *t, int ndim, const int64_t *shape, eng_error *err);
eng_tensor *eng_ag_transpose(eng_ag *ag, eng_tensor *t, const int *perm, eng_error *err);
eng_tensor *eng_ag_flatten(eng_ag *ag, eng_tensor *t, eng_error *err);
eng_tensor *eng_ag_expand_dims(eng_ag *ag, eng_tensor *t, int axis, eng_error *err);
eng_tensor *eng_ag_concat(eng_ag *ag, int n, eng_tensor *const *ts, int axis, eng_error *err);
eng_tensor *eng_ag_stack(eng_ag *ag, int n, eng_tensor *const *ts, int axis, eng_error *err);
eng_tensor *eng_ag_index_get(eng_ag *ag, eng_tensor *t, int n, const eng_index *idx, eng_error *err);

/* ---- neural networks: layers, losses, optimizers, models (engine/nn*.c) -------------------- */

/*
 * Keras's Sequential model in C: layers with Keras's arguments and defaults, built lazily on
 * their first input; losses; optimizers on flat buffers; a fit loop that reports progress
 * through a callback (the engine never prints); the summary table; model files.
 *
 * Usage (the Fashion-MNIST MLP):
 *
 *     eng_model *m = eng_model_new("sequential", &err);
 *     eng_layer_config c;
 *     eng_layer_config_init(&c, ENG_LAYER_FLATTEN);   c.input_ndim = 2;
 *     c.input_shape[0] = 28;  c.input_shape[1] = 28;  strcpy(c.name, "flatten");
 *     eng_layer *l = eng_layer_new(&c, &err);  eng_model_add(m, l, &err);  eng_layer_release(l);
 *     eng_layer_config_init(&c, ENG_LAYER_DENSE);  c.units = 10;  strcpy(c.name, "dense"); ...
 *     eng_model_build(m, 2, (int64_t[]){ 28, 28 }, &rng, &err);  // or lazily by fit/predict
 *     eng_opt_config oc;  eng_opt_config_init(&oc, ENG_OPT_ADAM);
 *     eng_optimizer *opt = eng_optimizer_new(&oc, &err);
 *     eng_loss loss = { ENG_LOSS_SPARSE_CCE, 1, NULL };             // from_logits
 *     eng_metrics ms = { 1, { ENG_METRIC_ACCURACY } };
 *     eng_model_compile(m, opt, &loss, &ms, &err);  eng_optimizer_release(opt);
 *     eng_fit_options fo;  eng_fit_options_init(&fo);  fo.epochs = 10;  fo.rng = &rng;
 *     eng_history *h = eng_model_fit(m, x, y, &fo, &err);          // x (N, 28, 28), y (N,)
 *     ...  eng_history_free(h);  eng_model_release(m);
 *
 * Parameters. A built model keeps every weight of its layers in ONE flat buffer (trainable
 * weights first, in layer order, then the non-trainable ones: BatchNormalization's moving
 * statistics) and every gradient in a second one of the same layout, so an optimizer step is
 * one flat loop. Layers hold views into them: each weight tensor has requires_grad = 1 and its
 * ->grad preset to the matching view of the gradient buffer (autograd accumulates there). A
 * layer built on its own (called on a tensor before joining a model) has its own two buffers;
 * a model that takes it copies the values into the model's buffers and re-points the views
 * (tensors fetched from the layer before that keep the old values).
 *
 * Fast path. fit/evaluate/predict do not go through generic autograd: each layer has forward
 * and backward kernels (engine/nn_kernels.c, nn_conv.c) that run on buffers the model
 * allocates once per batch size (no allocation per step); matmul and convolution (im2col) run
 * on cblas_sgemm. Backward kernels accumulate (+=) into gradient buffers, as autograd needs;
 * the fit loop runs them in write mode instead (each buffer is written once per step, so
 * nothing is zeroed), fuses a last softmax/sigmoid with its cross-entropy, and stops the
 * backward pass at the first layer with weights. Calling a layer or a model on a tensor
 * (eng_layer_call, eng_model_call) records one autograd node per layer, so PyTorch-style
 * loops work too.
 *
 * Ownership: layers, models and optimizers are refcounted (_retain / _release, NULL is fine);
 * a model retains its layers and its optimizer. Tensors returned by the accessors below are
 * borrowed unless the comment says "new reference". History and callbacks have one owner.
 * Errors: as everywhere in engine.h (NULL or an eng_status, *err filled).
 */

typedef struct eng_layer eng_layer;
typedef struct eng_model eng_model;
typedef struct eng_optimizer eng_optimizer;
typedef struct eng_history eng_history;
typedef struct eng_callback eng_callback;

/* Activations by Keras name. ORDER eng_act: eng_act_name. */
typedef enum eng_act {
    ENG_ACT_LINEAR, ENG_ACT_RELU, ENG_ACT_SIGMOID, ENG_ACT_TANH, ENG_ACT_SOFTMAX, ENG_ACT_COUNT
} eng_act;

const char *eng_act_name(eng_act a);             /* "linear", "relu", ... */
/* "linear" (also "" for None), "relu", "sigmoid", "tanh", "softmax"; -1 when unknown. */
int eng_act_from_name(const char *name);

/* ORDER eng_layer_kind: eng_layer_kind_name. Softmax is Keras's layers.Softmax(): an
 * Activation("softmax") under its own name (the tutorial's probability model). */
typedef enum eng_layer_kind {
    ENG_LAYER_DENSE, ENG_LAYER_CONV2D, ENG_LAYER_MAXPOOL2D, ENG_LAYER_FLATTEN, ENG_LAYER_DROPOUT,
    ENG_LAYER_BATCHNORM, ENG_LAYER_ACTIVATION, ENG_LAYER_SOFTMAX, ENG_LAYER_KIND_COUNT
} eng_layer_kind;

/* "Dense", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "BatchNormalization", "Activation",
 * "Softmax". */
const char *eng_layer_kind_name(eng_layer_kind k);
/* Keras's default name stem: "dense", "conv2d", "max_pooling2d", "flatten", "dropout",
 * "batch_normalization", "activation", "softmax" (then "_1", "_2" ... per class: the caller
 * counts). */
const char *eng_layer_kind_stem(eng_layer_kind k);

/* A layer's Keras arguments. eng_layer_config_init sets Keras's defaults for the kind:
 * Dense(units, activation=None, use_bias=True); Conv2D(filters, kernel_size, strides=(1, 1),
 * padding="valid", activation=None, use_bias=True) on channels-last (N, H, W, C) input;
 * MaxPooling2D(pool_size=(2, 2), strides=None -> pool_size, padding="valid");
 * Dropout(rate); BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001);
 * Activation(activation). Kernels are Glorot-uniform, biases zero, gamma one, beta zero,
 * moving mean zero, moving variance one. */
typedef struct eng_layer_config {
    eng_layer_kind kind;
    int64_t units;                  /* Dense: output features (>= 1) */
    int64_t filters;                /* Conv2D: output channels (>= 1) */
    int64_t kernel[2];              /* Conv2D kernel_size; MaxPooling2D pool_size (each >= 1) */
    int64_t strides[2];             /* Conv2D, MaxPooling2D; 0 means "same as kernel" (pools) */
    int padding_same;               /* 0: "valid", 1: "same" */
    eng_act activation;             /* Dense, Conv2D, Activation */
    int use_bias;                   /* Dense, Conv2D */
    double rate;                    /* Dropout: fraction dropped, in [0, 1) */
    double momentum, epsilon;       /* BatchNormalization */
    int input_ndim;                 /* input_shape= (per sample, no batch dim); -1: not given */
    int64_t input_shape[ENG_MAX_DIMS];
    char name[64];                  /* Keras name, "dense_1"; "" -> the kind's stem */
} eng_layer_config;

void eng_layer_config_init(eng_layer_config *c, eng_layer_kind kind);
/* A new, unbuilt layer (refcount 1). ENG_ERR_VALUE for a bad argument, with Keras's message
 * in the learner's words ("Dense units must be a positive whole number, got 0"). */
eng_layer *eng_layer_new(const eng_layer_config *c, eng_error *err);
eng_layer *eng_layer_retain(eng_layer *l);
void eng_layer_release(eng_layer *l);

const eng_layer_config *eng_layer_get_config(const eng_layer *l);
int eng_layer_is_built(const eng_layer *l);
/* Builds the layer for per-sample input shape in (ndim dims, batch excluded) with its own
 * weight buffers, initialised from rng. A built layer accepts only the shape it was built for
 * (ENG_ERR_SHAPE, Keras's "Input 0 of layer "dense" is incompatible with the layer: expected
 * axis -1 of input shape to have value 784, but received input with shape (32, 100)"). */
int eng_layer_build(eng_layer *l, int ndim, const int64_t *in, eng_rng *rng, eng_error *err);
/* Per-sample output shape of a built layer (batch excluded); returns its ndim (-1 unbuilt). */
int eng_layer_output_shape(const eng_layer *l, int64_t *shape);
int eng_layer_input_shape(const eng_layer *l, int64_t *shape);
/* Weights of a built layer (0 before): Dense/Conv2D kernel, bias; BatchNormalization gamma,
 * beta, moving_mean, moving_variance. eng_layer_weight is borrowed (requires_grad set on the
 * trainable ones; ->grad is the gradient view). */
int eng_layer_weight_count(const eng_layer *l);
eng_tensor *eng_layer_weight(const eng_layer *l, int i);
const char *eng_layer_weight_name(const eng_layer *l, int i);   /* "kernel", "bias", ... */
int eng_layer_weight_trainable(const eng_layer *l, int i);
/* Parameter count (Keras's "Param #"): all weights, or only the trainable ones. 0 unbuilt. */
int64_t eng_layer_param_count(const eng_layer *l, int trainable_only);
/* Weight values from src (same shapes, in eng_layer_weight order), e.g. set_weights. */
int eng_layer_set_weights(eng_layer *l, int n, eng_tensor *const *src, eng_error *err);

/* y = layer(x) on a batch x (N, ...), building the layer on first use (from rng). training
 * selects Dropout/BatchNormalization behaviour (rng draws the dropout masks). Records an
 * autograd node through ag when gradients are wanted (x or the layer's weights require grad
 * and ag is enabled): backward runs the layer's backward kernels, accumulating into the
 * weights' ->grad and x's gradient. New reference. */
eng_tensor *eng_layer_call(eng_layer *l, eng_ag *ag, eng_tensor *x, int training, eng_rng *rng,
                           eng_error *err);

/* ---- losses and metrics ---- */

/* ORDER eng_loss_kind: eng_loss_name. */
typedef enum eng_loss_kind {
    ENG_LOSS_MSE, ENG_LOSS_BCE, ENG_LOSS_CCE, ENG_LOSS_SPARSE_CCE, ENG_LOSS_KIND_COUNT
} eng_loss_kind;

typedef struct eng_loss_fn eng_loss_fn;

typedef struct eng_loss {
    eng_loss_kind kind;
    int from_logits;            /* BCE, CCE, sparse CCE: y_pred holds logits, not probabilities */
    eng_loss_fn *fn;            /* not NULL: the caller's loss (kind and from_logits unused) */
} eng_loss;

/* A loss the caller computes (compile(loss=my_function) in the language): fit and evaluate
 * call it on every batch, so it is slower than the built-in losses, which fuse with the last
 * layer and allocate nothing. Refcounted: compile retains it. */
struct eng_loss_fn {
    int refcount;               /* eng_loss_fn_new sets 1 */
    char name[64];              /* saved in model files; load_model asks for it back */
    /* The loss of the batch: y_true (nb, ...the labels' per-sample shape) and y_pred (nb,
     * ...output), both fresh copies; w, when not NULL, a weight per sample (Keras's
     * sample_weight). Writes the batch's (weighted) mean loss to *loss and, when grad is not
     * NULL, d(*loss)/d(y_pred) into grad (y_pred's shape, zeroed). An error stops fit. */
    int (*call)(eng_loss_fn *fn, eng_tensor *y_true, eng_tensor *y_pred, const float *w,
                double *loss, eng_tensor *grad, eng_error *err);
    void (*free)(eng_loss_fn *fn);       /* frees the whole object */
};

eng_loss_fn *eng_loss_fn_retain(eng_loss_fn *fn);     /* NULL is fine */
void eng_loss_fn_release(eng_loss_fn *fn);            /* NULL is fine */
/* The name of the custom loss a loaded model was compiled with and that has not been given
 * back (eng_model_set_loss_fn), or NULL. Such a model cannot train or evaluate. */
const char *eng_model_missing_loss(const eng_model *m);
/* Gives a loaded model the custom loss its file names (retained). */
void eng_model_set_loss_fn(eng_model *m, eng_loss_fn *fn);
/* Forgets loss, optimizer and metrics (load_model(path, compile=False)). */
void eng_model_uncompile(eng_model *m);

/* Keras names: "mse" / "mean_squared_error", "binary_crossentropy",
 * "categorical_crossentropy", "sparse_categorical_crossentropy" (from_logits 0). Returns
 * ENG_OK or ENG_ERR_VALUE listing the names. */
int eng_loss_from_name(const char *name, eng_loss *out, eng_error *err);
const char *eng_loss_name(eng_loss_kind k);           /* "mean_squared_error", ... */

/* The loss of y_pred (N, ..., K) against y_true, averaged over samples as Keras does
 * (mean over the last axis, then over the batch; cross-entropies sum over classes). y_true:
 * y_pred's shape, or (N,) against (N, 1); sparse labels (N, ...) or (N, ..., 1) holding
 * integers in [0, K). Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does. Records an
 * autograd node through ag when y_pred requires grad. New reference: a 0-d tensor. */
eng_tensor *eng_loss_call(const eng_loss *loss, eng_ag *ag, eng_tensor *y_true, eng_tensor *y_pred,
                          eng_error *err);

/* Keras's metric names for compile(metrics=[...]), in ORDER eng_metric_id (eng_metric_name).
 * A metric logs under the name it was given: "acc" logs "acc" and "val_acc", as in Keras.
 *   accuracy, acc: binary accuracy when y_pred's last axis is 1, sparse categorical when the
 *     labels have one axis less (or a last axis of 1), else categorical;
 *   binary_accuracy: y_pred > threshold equals y_true > 0.5, per element; the threshold is 0.5,
 *     or 0 when the loss is binary cross-entropy from logits (Keras keeps 0.5 there, which
 *     makes accuracy on logits silently wrong);
 *   categorical_accuracy: argmax y_pred == argmax y_true (one-hot labels);
 *   sparse_categorical_accuracy: argmax y_pred == y_true (integer labels);
 *   mae / mean_absolute_error, mse / mean_squared_error: per element, averaged;
 *   binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy: as the
 *     losses, reading logits when the compiled loss is a cross-entropy from logits.
 * Each is a per-sample value (the mean over the last axis) averaged over the samples seen;
 * metrics are not weighted by sample_weight or class_weight (Keras's compile metrics). */
typedef enum eng_metric_id {
    ENG_METRIC_ACCURACY, ENG_METRIC_ACC, ENG_METRIC_BINARY_ACCURACY,
    ENG_METRIC_CATEGORICAL_ACCURACY, ENG_METRIC_SPARSE_CATEGORICAL_ACCURACY, ENG_METRIC_MAE,
    ENG_METRIC_MEAN_ABSOLUTE_ERROR, ENG_METRIC_MSE, ENG_METRIC_MEAN_SQUARED_ERROR,
    ENG_METRIC_BINARY_CROSSENTROPY, ENG_METRIC_CATEGORICAL_CROSSENTROPY,
    ENG_METRIC_SPARSE_CATEGORICAL_CROSSENTROPY, ENG_METRIC_COUNT
} eng_metric_id;

#define ENG_METRICS_MAX 4

/* The metrics of a compiled model, in the order given. */
typedef struct eng_metrics {
    int n;
    eng_metric_id id[ENG_METRICS_MAX];
} eng_metrics;

/* The id of a Keras metric name; ENG_ERR_VALUE listing the names when it is unknown. */
int eng_metric_from_name(const char *name, eng_metric_id *out, eng_error *err);
/* "mae", or "val_mae" when val is nonzero (static strings). */
const char *eng_metric_name(eng_metric_id id, int val);
/* Appends id to ms: ENG_ERR_VALUE when ms is full or already has it. */
int eng_metrics_add(eng_metrics *ms, eng_metric_id id, eng_error *err);

/* ---- optimizers ---- */

typedef enum eng_opt_kind { ENG_OPT_SGD, ENG_OPT_ADAM, ENG_OPT_RMSPROP, ENG_OPT_KIND_COUNT } eng_opt_kind;

/* Keras's hyperparameters; eng_opt_config_init sets Keras's defaults:
 *   SGD(learning_rate=0.01, momentum=0, nesterov=False):
 *       v = momentum * v - lr * g;  w += v   (nesterov: w += momentum * v - lr * g)
 *   Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
 *       m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t += 1;
 *       w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)    (epsilon "hat")
 *   RMSprop(learning_rate=0.001, rho=0.9, momentum=0, epsilon=1e-7):
 *       a = rho a + (1 - rho) g^2;  u = lr g / sqrt(a + epsilon);
 *       momentum 0: w -= u;  else  mom = momentum * mom + u;  w -= mom */
typedef struct eng_opt_config {
    eng_opt_kind kind;
    double learning_rate, momentum, beta_1, beta_2, epsilon, rho;
    int nesterov;
} eng_opt_config;

void eng_opt_config_init(eng_opt_config *c, eng_opt_kind kind);
const char *eng_opt_kind_name(eng_opt_kind k);        /* "SGD", "Adam", "RMSprop" */
/* ENG_ERR_VALUE for a negative learning rate, momentum outside [0, 1], betas outside [0, 1). */
eng_optimizer *eng_optimizer_new(const eng_opt_config *c, eng_error *err);
eng_optimizer *eng_optimizer_retain(eng_optimizer *o);
void eng_optimizer_release(eng_optimizer *o);
const eng_opt_config *eng_optimizer_get_config(const eng_optimizer *o);
/* Sets what step() updates: n parameter tensors (retained; contiguous float tensors). Their
 * gradients are read from ->grad at each step (a parameter without one is skipped). Resets the
 * optimizer's state (moments, step count). */
int eng_optimizer_set_params(eng_optimizer *o, int n, eng_tensor *const *params, eng_error *err);
int eng_optimizer_param_count(const eng_optimizer *o);
eng_tensor *eng_optimizer_param(const eng_optimizer *o, int i);
/* One update of every parameter from its gradient. Parameters that lie next to each other in
 * memory (a model's flat buffer) are updated in one loop. */
int eng_optimizer_step(eng_optimizer *o, eng_error *err);
/* Zeroes every parameter's ->grad in place. */
void eng_optimizer_zero_grad(eng_optimizer *o);
int64_t eng_optimizer_iterations(const eng_optimizer *o);
void eng_optimizer_set_learning_rate(eng_optimizer *o, double lr);

/* ---- models ---- */

/* A new empty Sequential model named `name` (Keras: "sequential", "sequential_1" ...). */
eng_model *eng_model_new(const char *name, eng_error *err);
eng_model *eng_model_retain(eng_model *m);
void eng_model_release(eng_model *m);
const char *eng_model_name(const eng_model *m);
/* Appends a layer (retained). A built model rebuilds itself (keeping the weights it has). */
int eng_model_add(eng_model *m, eng_layer *l, eng_rng *rng, eng_error *err);
int eng_model_layer_count(const eng_model *m);
eng_layer *eng_model_layer(const eng_model *m, int i);
/* Builds every layer for per-sample input shape in (batch excluded), allocating the flat
 * buffers; weights of layers built before are kept. Called by fit/predict/evaluate/call on
 * first use; a model whose first layer has input_shape builds when that layer is added. */
int eng_model_build(eng_model *m, int ndim, const int64_t *in, eng_rng *rng, eng_error *err);
int eng_model_is_built(const eng_model *m);
int eng_model_input_shape(const eng_model *m, int64_t *shape);     /* ndim, -1 unbuilt */
int eng_model_output_shape(const eng_model *m, int64_t *shape);
int64_t eng_model_param_count(const eng_model *m, int trainable_only);
/* The flat buffers (borrowed; NULL before build): every weight value, and the gradients. */
eng_tensor *eng_model_weights_buffer(const eng_model *m);
eng_tensor *eng_model_grads_buffer(const eng_model *m);
/* Trainable weight tensors in layer order (Keras model.trainable_weights, PyTorch
 * model.parameters()); writes at most cap borrowed tensors, returns how many there are. */
int eng_model_params(const eng_model *m, eng_tensor **out, int cap);

/* Sets loss, optimizer (retained; its parameters become the model's trainable weights) and
 * metrics (copied; NULL for none). */
int eng_model_compile(eng_model *m, eng_optimizer *opt, const eng_loss *loss,
                      const eng_metrics *metrics, eng_error *err);
int eng_model_is_compiled(const eng_model *m);
eng_optimizer *eng_model_optimizer(const eng_model *m);
const eng_loss *eng_model_loss(const eng_model *m);
const eng_metrics *eng_model_metrics(const eng_model *m);

/* Keras's Progbar, through a callback: the engine never prints. */
typedef enum eng_progress_kind {
    ENG_PROGRESS_EPOCH_BEGIN,   /* before the first batch of an epoch */
    ENG_PROGRESS_STEP,          /* after each batch (logs: running averages) */
    ENG_PROGRESS_EPOCH_END,     /* after validation (logs: the epoch's, val_ included) */
    ENG_PROGRESS_STOPPED        /* early stopping ended training after epoch `epoch` */
} eng_progress_kind;

#define ENG_LOGS_MAX (2 * (1 + ENG_METRICS_MAX))      /* loss and metrics, val_ too */

typedef struct eng_logs {
    int n;
    const char *names[ENG_LOGS_MAX];        /* "loss", "accuracy", "val_loss", ... (static) */
    double values[ENG_LOGS_MAX];
} eng_logs;

typedef struct eng_progress {
    eng_progress_kind kind;
    int64_t epoch, epochs;      /* epoch 0-based; epochs 0 for evaluate and predict */
    int64_t step, steps;        /* batches done in this epoch, batches per epoch */
    double seconds;             /* since the epoch began */
    eng_logs logs;
} eng_progress;

typedef void (*eng_progress_fn)(void *ud, const eng_progress *p);

/* Keras Progbar text for p (Keras 2 / TF 2 generic_utils.Progbar, width 30), without a
 * trailing newline, into buf (always NUL-terminated); returns its length. verbose 1:
 *   " 512/1875 [=======>......................] - ETA: 2s - loss: 0.6310 - accuracy: 0.7812"
 *   "1875/1875 [==============================] - 3s 1ms/step - loss: 0.4988 - accuracy: 0.8252"
 *   (the finished form when step == steps); verbose 2 (finished only):
 *   "1875/1875 - 2s - loss: 0.4960 - accuracy: 0.8259 - 2s/epoch - 1ms/step"
 * Values print "%.4f", or "%.4e" when |v| <= 1e-3. */
size_t eng_progbar_format(char *buf, size_t cap, const eng_progress *p, int verbose);

/* A callback of fit (Keras callbacks): any hook may be NULL. on_epoch_end sets *stop to end
 * training (model.stop_training). Returning an error stops fit with that error. */
struct eng_callback {
    void *ud;
    int (*on_train_begin)(eng_callback *cb, eng_model *m, eng_error *err);
    int (*on_epoch_end)(eng_callback *cb, eng_model *m, int64_t epoch, const eng_logs *logs,
                        int *stop, eng_error *err);
    int (*on_train_end)(eng_callback *cb, eng_model *m, eng_error *err);
    void (*free)(eng_callback *cb);
};

/* keras.callbacks.EarlyStopping. mode: -1 min, 1 max, 0 auto (max when monitor contains
 * "acc", else min). An improvement is current < best - min_delta (min) or > best + min_delta
 * (max). After `patience` epochs without one (and not in the first epoch) training stops;
 * with restore_best_weights the weights of the best epoch come back. */
typedef struct eng_early_stopping_config {
    char monitor[32];           /* "val_loss" */
    double min_delta;           /* 0 */
    int64_t patience;           /* 0 */
    int mode;                   /* 0 */
    int restore_best_weights;   /* 0 */
    int verbose;                /* 0; carried for the caller, who prints "Epoch 5: early stopping" */
} eng_early_stopping_config;

void eng_early_stopping_config_init(eng_early_stopping_config *c);
eng_callback *eng_early_stopping_new(const eng_early_stopping_config *c, eng_error *err);
const eng_early_stopping_config *eng_early_stopping_get_config(const eng_callback *cb);
/* The epoch (0-based) early stopping ended training at, -1 when it did not. */
int64_t eng_early_stopping_stopped_epoch(const eng_callback *cb);
void eng_callback_free(eng_callback *cb);      /* NULL is fine */

typedef struct eng_fit_options {
    int64_t epochs;             /* 1 */
    int64_t batch_size;         /* 32 */
    int shuffle;                /* 1: a new order every epoch, from rng */
    double validation_split;    /* 0: the LAST fraction of x, y is held out (before shuffling) */
    eng_tensor *x_val, *y_val;  /* validation_data (borrowed; overrides validation_split) */
    eng_tensor *sw_val;         /* validation_data's sample weights (borrowed; may be NULL) */
    /* Keras's sample_weight and class_weight: each sample's loss (and gradient) is multiplied
     * by its weight, and the batch loss is still the SUM over the batch divided by its size
     * ("sum_over_batch_size"). sample_weight (N,) is borrowed; class_weight[c] weighs samples
     * of class c (integer labels, the argmax of one-hot labels, or y > 0.5 for one output);
     * every label must be below n_class_weight. Both given: the weights multiply. Metrics
     * are not weighted. validation_split holds out the weights' tail with the samples. */
    eng_tensor *sample_weight;
    const double *class_weight;
    int64_t n_class_weight;
    int ncallbacks;
    eng_callback *const *callbacks;   /* borrowed */
    eng_rng *rng;               /* shuffling, dropout, lazy build; required */
    eng_progress_fn progress;   /* NULL: silent */
    void *progress_ud;
    int (*poll)(void *ud);      /* nonzero stops training after the current batch (Ctrl-C) */
    void *poll_ud;
} eng_fit_options;

void eng_fit_options_init(eng_fit_options *o);

/* Keras History: per epoch, one value per key ("loss", "accuracy", "val_loss", "val_accuracy"). */
struct eng_history {
    int nkeys;
    const char *keys[ENG_LOGS_MAX];
    int64_t nepochs;
    double *values;             /* nepochs * nkeys, row per epoch */
    int64_t epochs_asked;       /* fit's epochs= */
    int64_t steps;              /* batches per epoch */
    int interrupted;            /* 1 when poll stopped training (weights kept as they were) */
    int64_t interrupted_step;   /* the batch of the last epoch training stopped after */
};

void eng_history_free(eng_history *h);           /* NULL is fine */
/* Index of key in h->keys, -1 if absent. */
int eng_history_key(const eng_history *h, const char *key);

/* Keras fit: trains on x (N, ...) and y for o->epochs epochs (each shuffled when o->shuffle),
 * in batches of o->batch_size (the last one smaller), validating after each epoch. Labels of
 * shape (N,) against an output (N, 1) are read as (N, 1). Builds the model on x's shape if
 * needed. Returns the History (also when poll interrupted training: h->interrupted), or NULL
 * + err: ENG_ERR_VALUE (not compiled, labels out of range, validation_split not in [0, 1),
 * a NaN loss...), ENG_ERR_SHAPE (x or y does not fit the model), ENG_ERR_MEMORY. */
eng_history *eng_model_fit(eng_model *m, eng_tensor *x, eng_tensor *y, const eng_fit_options *o,
                           eng_error *err);
/* Keras's model.stop_training = True: a callback asks fit to end after the current epoch. */
void eng_model_request_stop(eng_model *m);
/* Loss and metrics of x, y in batches of batch_size (inference mode): logs->names "loss"
 * and the metrics' names; sample_weight (N,) weighs the loss (may be NULL). progress (may
 * be NULL) sees one pass with epochs = 0. */
int eng_model_evaluate(eng_model *m, eng_tensor *x, eng_tensor *y, eng_tensor *sample_weight,
                       int64_t batch_size, eng_logs *logs, eng_progress_fn progress, void *ud,
                       eng_error *err);
/* Outputs for x in batches of batch_size (inference mode). New reference (N, ...out). */
eng_tensor *eng_model_predict(eng_model *m, eng_tensor *x, int64_t batch_size, eng_rng *rng,
                              eng_progress_fn progress, void *ud, eng_error *err);
/* y = model(x): every layer's eng_layer_call in turn (autograd nodes when wanted). */
eng_tensor *eng_model_call(eng_model *m, eng_ag *ag, eng_tensor *x, int training, eng_rng *rng,
                           eng_error *err);

/* Keras 2's model.summary() for a built model (edu.md 3.5): 'Model: "name"', the 65-column
 * table of Layer (type) / Output Shape / Param #, totals with thousands separators. html: the
 * same as an HTML table for notebooks. malloc'd text (caller frees); NULL + ENG_ERR_VALUE when
 * the model is not built ("This model has not yet been built. ..."). */
char *eng_model_summary(const eng_model *m, int html, eng_error *err);

/* ---- model files (nn_file.c) ---- */

/* Writes the architecture, every weight and the optimizer (config and state) to path: the
 * format is documented in nn_file.c ("NABLAMDL" version 1, little-endian, CRC-32 of the whole
 * body). Written to path.tmp-XXXXXX then renamed, so a failure never leaves a half-written
 * file. The model must be built. */
int eng_model_save(const eng_model *m, const char *path, eng_error *err);
/* Reads a file written by eng_model_save: a new model (built, compiled when it was), or NULL
 * with ENG_ERR_IO naming the path for a missing, truncated, corrupted (checksum) or foreign
 * file or an unknown version. */
eng_model *eng_model_load(const char *path, eng_error *err);

#endif
