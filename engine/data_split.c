/*
 * data_split.c -- random permutations (also as a tensor) and scikit-learn's train_test_split.
 *
 * train_test_split follows sklearn.model_selection.train_test_split with ShuffleSplit: the
 * test set is ceil(test_size * N) rows (or test_size rows when it is a count), taken first
 * from a random permutation; the train set is the rest of it. Without shuffling, the train
 * rows come first, in order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

/* Fisher-Yates (Durstenfeld): j = floor(u * (i + 1)) with u uniform on 53 bits, so the bias is
 * below 2^-13 even for the largest n a tensor can have. */
void eng_permutation(eng_rng *rng, int64_t n, int64_t *perm)
{
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(eng_rng_uniform(rng) * (double)(i + 1));
        if (j > i)
            j = i;
        int64_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

eng_tensor *eng_tensor_permutation(eng_rng *rng, int64_t n, eng_error *err)
{
    if (n < 0 || n > ((int64_t)1 << 24))
        return eng_err(err, ENG_ERR_VALUE, "permutation needs 0 <= n <= 16777216 (float32 "
                       "holds every index below 2^24 exactly), got %lld", (long long)n), NULL;
    int64_t *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    eng_tensor *t = perm ? eng_tensor_empty(1, &n, err) : NULL;
    if (!perm) eng_err(err, ENG_ERR_MEMORY, "out of memory for a permutation of %lld",
                       (long long)n);
    if (t) {
        eng_permutation(rng, n, perm);
        float *d = eng_tensor_data(t);
        for (int64_t i = 0; i < n; i++) d[i] = (float)perm[i];
    }
    free(perm);
    return t;
}

/* The rows idx[0..n-1] of t (any ndim >= 1), as a fresh contiguous tensor. */
static eng_tensor *take_rows(eng_tensor *t, const int64_t *idx, int64_t n, eng_error *err)
{
    eng_tensor *c = eng_tensor_contiguous(t, err);
    if (!c)
        return NULL;
    int64_t shape[ENG_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[0] = n;
    eng_tensor *out = eng_tensor_empty(t->ndim, shape, err);
    if (out) {
        int64_t row = t->shape[0] ? t->size / t->shape[0] : 0;
        const float *src = eng_tensor_data(c);
        float *dst = out->storage->data;
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + i * row, src + idx[i] * row, sizeof(float) * (size_t)row);
        out->is_bool = t->is_bool;
    }
    eng_tensor_release(c);
    return out;
}

/* sklearn's _validate_shuffle_split: the test count from a fraction or a count. */
static int test_count(int64_t n, double test_size, int64_t *n_test, eng_error *err)
{
    if (test_size > 0 && test_size < 1)
        *n_test = (int64_t)ceil(test_size * (double)n);
    else if (test_size >= 1 && test_size == floor(test_size) && test_size <= (double)n)
        *n_test = (int64_t)test_size;
    else
        return eng_err(err, ENG_ERR_VALUE, "test_size must be a fraction between 0 and 1 or a "
                       "whole number of rows from 1 to %lld, got %g", (long long)n, test_size);
    if (*n_test >= n)
        return eng_err(err, ENG_ERR_VALUE, "with %lld rows and test_size=%g the train set would "
                       "be empty", (long long)n, test_size);
    return ENG_OK;
}

static int check_arrays(int n_arrays, eng_tensor *const *arrays, eng_error *err)
{
    char a[ENG_SHAPE_BUF], b[ENG_SHAPE_BUF];
    if (n_arrays < 1)
        return eng_err(err, ENG_ERR_VALUE, "train_test_split needs at least one tensor");
    for (int i = 0; i < n_arrays; i++) {
        if (arrays[i]->ndim < 1)
            return eng_err(err, ENG_ERR_SHAPE, "cannot split a 0-d tensor into rows");
        if (arrays[i]->shape[0] != arrays[0]->shape[0])
            return eng_err(err, ENG_ERR_SHAPE, "the tensors to split must have the same number "
                           "of rows: %s and %s differ in their first size",
                           eng_shape_format(arrays[0]->ndim, arrays[0]->shape, a, sizeof a),
                           eng_shape_format(arrays[i]->ndim, arrays[i]->shape, b, sizeof b));
    }
    return ENG_OK;
}

int eng_train_test_split(int n_arrays, eng_tensor *const *arrays, double test_size, int shuffle,
                         eng_rng *rng, eng_tensor **out, eng_error *err)
{
    for (int i = 0; i < 2 * n_arrays; i++)
        out[i] = NULL;
    int64_t n_test = 0;
    int rc = check_arrays(n_arrays, arrays, err);
    if (rc == ENG_OK)
        rc = test_count(arrays[0]->shape[0], test_size, &n_test, err);
    if (rc != ENG_OK)
        return rc;
    int64_t n = arrays[0]->shape[0], n_train = n - n_test;
    int64_t *perm = malloc(sizeof *perm * (size_t)n);
    if (!perm)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory splitting %lld rows", (long long)n);
    if (shuffle) {
        eng_permutation(rng, n, perm);
    } else {
        for (int64_t i = 0; i < n; i++)   /* train rows first: test = perm[0..n_test) below */
            perm[i] = (n_train + i) % n;
    }
    for (int i = 0; i < n_arrays && rc == ENG_OK; i++) {
        out[2 * i] = take_rows(arrays[i], perm + n_test, n_train, err);
        out[2 * i + 1] = out[2 * i] ? take_rows(arrays[i], perm, n_test, err) : NULL;
        if (!out[2 * i + 1])
            rc = err ? err->code : ENG_ERR_MEMORY;
    }
    free(perm);
    if (rc != ENG_OK)
        for (int i = 0; i < 2 * n_arrays; i++) {
            eng_tensor_release(out[i]);
            out[i] = NULL;
        }
    return rc;
}
