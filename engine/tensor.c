/*
 * tensor.c -- tensor storage, creation, reference counting, element access and the RNG.
 *
 * A fresh tensor is one malloc'd block: [eng_tensor | eng_storage | float data[size]]. The
 * storage's `block` points back at the block, so when the tensor's own refcount drops to 0 the
 * block stays alive as long as views hold the storage. Views are a separate header that retains
 * the storage. One allocation per result is what keeps `x + x` on small tensors cheap.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/engine_internal.h"

typedef struct tensor_block {
    eng_tensor  t;
    eng_storage s;
    float       data[];
} tensor_block;

/* ---- shapes ------------------------------------------------------------------------------ */

char *eng_shape_format(int ndim, const int64_t *shape, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    len += (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < ndim && len < cap; d++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? ", " : "",
                                (long long)shape[d]);
    if (len < cap)
        snprintf(buf + len, cap - len, ndim == 1 ? ",)" : ")");
    return buf;
}

int eng_shape_check(int ndim, const int64_t *shape, int64_t *size, eng_error *err)
{
    char buf[ENG_SHAPE_BUF];
    if (ndim < 0 || ndim > ENG_MAX_DIMS)
        return eng_err(err, ENG_ERR_VALUE, "a tensor can have 0 to %d dimensions, not %d",
                       ENG_MAX_DIMS, ndim);
    int has_zero = 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return eng_err(err, ENG_ERR_VALUE, "negative dimensions are not allowed: %s",
                           eng_shape_format(ndim, shape, buf, sizeof buf));
        has_zero |= shape[d] == 0;
    }
    int64_t n = 1;
    for (int d = 0; d < ndim && !has_zero; d++) {
        if (shape[d] > ENG_MAX_ELEMENTS / n)     /* n * shape[d] would pass 2^40 */
            return eng_err(err, ENG_ERR_MEMORY, "a tensor of shape %s is too large (more than "
                           "2^40 elements)", eng_shape_format(ndim, shape, buf, sizeof buf));
        n *= shape[d];
    }
    *size = has_zero ? 0 : n;
    /* Past 256 MB, compare with the machine's memory: Linux overcommits, so a 20 GB malloc
     * "succeeds" and the process is killed later when the pages are touched. */
    if (*size > ((int64_t)1 << 26)) {
        double need = (double)*size * sizeof(float);
        double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
        if (have > 0 && need > 0.8 * have)
            return eng_err(err, ENG_ERR_MEMORY, "a tensor of shape %s needs %.1f GB, more than "
                           "this machine's %.1f GB of memory allows",
                           eng_shape_format(ndim, shape, buf, sizeof buf), need / 1e9, have / 1e9);
    }
    return ENG_OK;
}

void eng_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t st = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        strides[d] = st;
        st *= shape[d] ? shape[d] : 1;
    }
}

int eng_shape_equal(const eng_tensor *a, const eng_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return 0;
    return 1;
}

/* ---- allocation and references ----------------------------------------------------------- */

static eng_tensor *alloc_failed(int ndim, const int64_t *shape, eng_error *err)
{
    char buf[ENG_SHAPE_BUF];
    eng_err(err, ENG_ERR_MEMORY, "out of memory allocating a tensor of shape %s",
            eng_shape_format(ndim, shape, buf, sizeof buf));
    return NULL;
}

/* Fills the header of a fresh block: contiguous strides, refcount 1, no autograd state. */
static eng_tensor *init_block(tensor_block *b, int ndim, const int64_t *shape, int64_t size)
{
    eng_tensor *t = &b->t;
    t->refcount = 1;
    t->ndim = ndim;
    t->size = size;
    t->offset = 0;
    t->storage = &b->s;
    int64_t st = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        t->shape[d] = shape[d];
        t->strides[d] = st;
        st *= shape[d];
    }
    t->requires_grad = 0;
    t->grad = NULL;
    t->node = NULL;
    t->is_bool = 0;
    b->s.refcount = 1;
    b->s.size = size;
    b->s.data = b->data;
    b->s.block = b;
    b->s.version = 0;
    return t;
}

/* Asks for 2 MB pages over a big block that is not touched yet (malloc and calloc map blocks
 * this large afresh). In a VM the first touch of 4 KB pages dominates work on big tensors:
 * x / 255 over Fashion-MNIST's 188 MB took 0.5 s with 4 KB pages, 0.05 s with 2 MB ones, as
 * NumPy does it. Only a hint (the range is the block's 2 MB-aligned middle); where the kernel
 * gives no huge pages nothing changes. */
static void prefer_huge_pages(void *block, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)1 << 21;
    if (bytes < 2 * huge)
        return;
    uintptr_t start = (uintptr_t)block, end = start + bytes;
    uintptr_t a = (start + huge - 1) & ~(huge - 1), b = end & ~(huge - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)block;
    (void)bytes;
#endif
}

eng_tensor *eng_alloc_unchecked(int ndim, const int64_t *shape, int64_t size, eng_error *err)
{
    size_t bytes = sizeof(tensor_block) + (size_t)size * sizeof(float);
    tensor_block *b = malloc(bytes);
    if (!b)
        return alloc_failed(ndim, shape, err);
    prefer_huge_pages(b, bytes);
    return init_block(b, ndim, shape, size);
}

eng_tensor *eng_view_of(eng_tensor *t, eng_error *err)
{
    eng_tensor *v = malloc(sizeof *v);
    if (!v)
        return alloc_failed(t->ndim, t->shape, err);
    *v = *t;
    v->refcount = 1;
    v->requires_grad = 0;
    v->grad = NULL;
    v->node = NULL;
    v->storage->refcount++;
    return v;
}

eng_tensor *eng_tensor_retain(eng_tensor *t)
{
    t->refcount++;
    return t;
}

void eng_tensor_release(eng_tensor *t)
{
    if (!t || --t->refcount > 0)
        return;
    eng_tensor_release(t->grad);
    if (t->node)
        eng_node_free(t->node);      /* the graph that produced t (autograd.c; iterative) */
    eng_storage *s = t->storage;
    if (s->block != (void *)t)
        free(t);                     /* a view header; a base header is the storage block */
    if (--s->refcount == 0)
        free(s->block);
}

/* ---- creation ---------------------------------------------------------------------------- */

eng_tensor *eng_tensor_empty(int ndim, const int64_t *shape, eng_error *err)
{
    int64_t size;
    if (eng_shape_check(ndim, shape, &size, err) != ENG_OK)
        return NULL;
    return eng_alloc_unchecked(ndim, shape, size, err);
}

eng_tensor *eng_tensor_new(int ndim, const int64_t *shape, eng_error *err)
{
    int64_t size;
    if (eng_shape_check(ndim, shape, &size, err) != ENG_OK)
        return NULL;
    /* calloc: large zero tensors get lazily zeroed pages from the kernel. */
    size_t bytes = sizeof(tensor_block) + (size_t)size * sizeof(float);
    tensor_block *b = calloc(1, bytes);
    if (!b)
        return alloc_failed(ndim, shape, err);
    prefer_huge_pages(b, bytes);
    return init_block(b, ndim, shape, size);
}

eng_tensor *eng_tensor_full(int ndim, const int64_t *shape, float v, eng_error *err)
{
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t)
        return NULL;
    float *p = t->storage->data;
    for (int64_t i = 0; i < t->size; i++)
        p[i] = v;
    return t;
}

eng_tensor *eng_tensor_from_data(int ndim, const int64_t *shape, const float *data, eng_error *err)
{
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (t && t->size)
        memcpy(t->storage->data, data, (size_t)t->size * sizeof(float));
    return t;
}

eng_tensor *eng_tensor_scalar(float v, eng_error *err)
{
    eng_tensor *t = eng_alloc_unchecked(0, NULL, 1, err);
    if (t)
        t->storage->data[0] = v;
    return t;
}

eng_tensor *eng_tensor_eye(int64_t n, int64_t m, eng_error *err)
{
    int64_t shape[2] = { n, m };
    eng_tensor *t = eng_tensor_new(2, shape, err);
    if (!t)
        return NULL;
    for (int64_t i = 0; i < n && i < m; i++)
        t->storage->data[i * m + i] = 1.0f;
    return t;
}

/* Length rule of numpy.arange (PyArray_Arange): ceil((stop - start) / step), with an underflowed
 * quotient counting as 1 element when it is +0 and 0 elements when it is -0. */
eng_tensor *eng_tensor_arange(double start, double stop, double step, eng_error *err)
{
    if (step == 0.0 || isnan(step) || isnan(start) || isnan(stop))
        return eng_err(err, ENG_ERR_VALUE, step == 0.0 ? "arange step must not be zero"
                       : "arange arguments must not be nan"), NULL;
    double delta = stop - start, q = delta / step, len;
    if (q == 0.0 && delta != 0.0)
        len = signbit(q) ? 0.0 : 1.0;
    else
        len = ceil(q);
    if (len <= 0.0)
        len = 0.0;
    if (!(len <= (double)ENG_MAX_ELEMENTS))
        return eng_err(err, ENG_ERR_MEMORY, "arange(%g, %g, %g) would have too many elements",
                       start, stop, step), NULL;
    int64_t n = (int64_t)len;
    eng_tensor *t = eng_tensor_empty(1, &n, err);
    if (!t)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        t->storage->data[i] = (float)(start + (double)i * step);
    return t;
}

/* numpy.linspace with endpoint=True: a + i*step, the last value exactly b. */
eng_tensor *eng_tensor_linspace(double a, double b, int64_t n, eng_error *err)
{
    if (n < 0)
        return eng_err(err, ENG_ERR_VALUE, "linspace needs a non-negative number of samples, "
                       "got %lld", (long long)n), NULL;
    eng_tensor *t = eng_tensor_empty(1, &n, err);
    if (!t)
        return NULL;
    float *p = t->storage->data;
    double div = (double)(n - 1), delta = b - a, step = n > 1 ? delta / div : delta;
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(step == 0.0 ? (double)i / div * delta + a : (double)i * step + a);
    if (n > 1)
        p[n - 1] = (float)b;
    return t;
}

/* ---- random numbers ---------------------------------------------------------------------- */

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* splitmix64 spreads one seed over the 256-bit state (recommended by xoshiro's authors). */
void eng_rng_seed(eng_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        rng->s[i] = z ^ (z >> 31);
    }
}

/* xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c). */
uint64_t eng_rng_next_u64(eng_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double eng_rng_uniform(eng_rng *rng)
{
    return (double)(eng_rng_next_u64(rng) >> 11) * 0x1.0p-53;
}

/* Box-Muller; 1 - u keeps the log argument in (0, 1]. */
double eng_rng_normal(eng_rng *rng)
{
    double u1 = 1.0 - eng_rng_uniform(rng), u2 = eng_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

eng_tensor *eng_tensor_rand(eng_rng *rng, int ndim, const int64_t *shape, eng_error *err)
{
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t)
        return NULL;
    /* 24 bits straight to float: a double in [0,1) rounded to float could become 1.0f. */
    for (int64_t i = 0; i < t->size; i++)
        t->storage->data[i] = (float)(eng_rng_next_u64(rng) >> 40) * 0x1.0p-24f;
    return t;
}

eng_tensor *eng_tensor_randn(eng_rng *rng, int ndim, const int64_t *shape, eng_error *err)
{
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t)
        return NULL;
    float *p = t->storage->data;
    for (int64_t i = 0; i < t->size; i += 2) {     /* Box-Muller gives values in pairs */
        double u1 = 1.0 - eng_rng_uniform(rng), u2 = eng_rng_uniform(rng);
        double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
        p[i] = (float)(r * cos(th));
        if (i + 1 < t->size)
            p[i + 1] = (float)(r * sin(th));
    }
    return t;
}

/* Unbiased integer in [0, range): reject the top sliver that does not divide evenly. */
static uint64_t rng_below(eng_rng *rng, uint64_t range)
{
    uint64_t threshold = (0 - range) % range;
    for (;;) {
        uint64_t x = eng_rng_next_u64(rng);
        if (x >= threshold)
            return x % range;
    }
}

eng_tensor *eng_tensor_randint(eng_rng *rng, int64_t lo, int64_t hi, int ndim,
                               const int64_t *shape, eng_error *err)
{
    if (hi <= lo)
        return eng_err(err, ENG_ERR_VALUE, "randint needs low < high, got low %lld and high %lld",
                       (long long)lo, (long long)hi), NULL;
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t)
        return NULL;
    uint64_t range = (uint64_t)hi - (uint64_t)lo;
    for (int64_t i = 0; i < t->size; i++)
        t->storage->data[i] = (float)(int64_t)((uint64_t)lo + rng_below(rng, range));
    return t;
}

/* ---- views and access -------------------------------------------------------------------- */

eng_tensor *eng_tensor_view(eng_tensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                            int64_t offset, eng_error *err)
{
    int64_t size;
    if (eng_shape_check(ndim, shape, &size, err) != ENG_OK)
        return NULL;
    int64_t lo = offset, hi = offset;
    for (int d = 0; d < ndim && size > 0; d++) {
        int64_t span = (shape[d] - 1) * strides[d];
        if (span < 0) lo += span; else hi += span;
    }
    if (size > 0 && (lo < 0 || hi >= t->storage->size))
        return eng_err(err, ENG_ERR_INDEX, "view reaches elements %lld..%lld outside a storage of "
                       "%lld elements", (long long)lo, (long long)hi,
                       (long long)t->storage->size), NULL;
    eng_tensor *v = eng_view_of(t, err);
    if (!v)
        return NULL;
    v->ndim = ndim;
    v->size = size;
    v->offset = offset;
    for (int d = 0; d < ndim; d++) {
        v->shape[d] = shape[d];
        v->strides[d] = strides[d];
    }
    return v;
}

float *eng_tensor_data(const eng_tensor *t)
{
    return t->storage->data + t->offset;
}

int eng_tensor_is_contiguous(const eng_tensor *t)
{
    int64_t expect = 1;
    if (t->size == 0)
        return 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->strides[d] != expect)
            return 0;
        expect *= t->shape[d];
    }
    return 1;
}

eng_tensor *eng_tensor_copy(const eng_tensor *t, eng_error *err)
{
    eng_tensor *c = eng_alloc_unchecked(t->ndim, t->shape, t->size, err);
    if (!c)
        return NULL;
    if (t->size)
        eng_copy_strided(t->ndim, t->shape, c->storage->data, c->strides, eng_tensor_data(t),
                         t->strides);
    c->is_bool = t->is_bool;
    return c;
}

eng_tensor *eng_tensor_contiguous(eng_tensor *t, eng_error *err)
{
    if (eng_tensor_is_contiguous(t))
        return eng_tensor_retain(t);
    return eng_tensor_copy(t, err);
}

float eng_tensor_get(const eng_tensor *t, const int64_t *idx)
{
    int64_t off = t->offset;
    for (int d = 0; d < t->ndim; d++)
        off += idx[d] * t->strides[d];
    return t->storage->data[off];
}

float eng_tensor_item(const eng_tensor *t)
{
    if (t->size != 1)
        return NAN;
    return t->storage->data[t->offset];
}
