/*
 * lib_data.c -- the data builtins: Fashion-MNIST, the Playground sets and moons, CSV and .npy
 * files, train_test_split. Each binds one engine/data_*.c entry point; the engine does the work
 * and reports errors, this file converts arguments and builds the Keras/scikit-learn-shaped
 * results (tuples of tensors).
 *
 * Random builtins take seed=: given, the data comes from a generator of its own seeded with it
 * (the same data every time, whatever ran before); omitted, from the VM's generator, which
 * seed(n) resets.
 */
#include <stdio.h>
#include <string.h>

#include "lang/vm.h"
#include "lang/lib_tensor.h"

/* An optional argument that was passed and is not None. */
static int given(lang_value v) { return !LANG_IS_UNDEF(v) && !LANG_IS_NONE(v); }

/* A tuple of n values; takes the references in vals (released on failure). */
static lang_status make_tuple(lang_vm *vm, int n, lang_value *vals, lang_value *out)
{
    lang_tuple *t = lang_tuple_new(vm, (size_t)n);
    if (!t) {
        for (int i = 0; i < n; i++) lang_decref(vm, vals[i]);
        return LANG_ERR_MEMORY;
    }
    for (int i = 0; i < n; i++) t->items[i] = vals[i];
    *out = lang_obj_val(t);
    return LANG_OK;
}

/* Wraps n fresh tensors into vals (takes them all, even on failure). */
static lang_status wrap_all(lang_vm *vm, int n, eng_tensor **ts, lang_value *vals)
{
    lang_status st = LANG_OK;
    for (int i = 0; i < n; i++) {
        vals[i] = st == LANG_OK ? lang_tensor_wrap(vm, ts[i]) : lang_none();
        if (st != LANG_OK) eng_tensor_release(ts[i]);
        else if (LANG_IS_UNDEF(vals[i])) st = LANG_ERR_MEMORY;
    }
    if (st != LANG_OK)
        for (int i = 0; i < n; i++)
            if (!LANG_IS_UNDEF(vals[i])) lang_decref(vm, vals[i]);
    return st;
}

/* The generator for seed=: a fresh one seeded with it in *own, or the VM's. */
static lang_status arg_rng(lang_vm *vm, lang_value seed, const char *fname, eng_rng *own,
                           eng_rng **rng)
{
    char what[64];
    int64_t s;
    if (!given(seed)) {
        *rng = lang_vm_rng(vm);
        return LANG_OK;
    }
    snprintf(what, sizeof what, "%s seed", fname);
    lang_status st = lang_tensor_arg_int(vm, seed, what, &s);
    if (st != LANG_OK) return st;
    eng_rng_seed(own, (uint64_t)s);
    *rng = own;
    return LANG_OK;
}

/* n= : a whole number >= 0, default dflt. */
static lang_status arg_count(lang_vm *vm, lang_value v, const char *fname, int64_t dflt,
                             int64_t *n)
{
    char what[64];
    *n = dflt;
    if (!given(v)) return LANG_OK;
    snprintf(what, sizeof what, "%s n", fname);
    lang_status st = lang_tensor_arg_int(vm, v, what, n);
    if (st == LANG_OK && *n < 0)
        return lang_raise(vm, LANG_ERR_VALUE, "%s n cannot be negative, got %lld", fname,
                          (long long)*n);
    return st;
}

static lang_status arg_noise(lang_vm *vm, lang_value v, const char *fname, double *noise)
{
    char what[64];
    *noise = 0;
    if (!given(v)) return LANG_OK;
    snprintf(what, sizeof what, "%s noise", fname);
    return lang_arg_num(vm, v, what, noise);
}

/* A path argument: a non-empty str. */
static lang_status arg_path(lang_vm *vm, lang_value v, const char *fname, const char **path)
{
    char what[64];
    snprintf(what, sizeof what, "%s path", fname);
    lang_status st = lang_arg_str(vm, v, what, path);
    if (st == LANG_OK && !**path)
        return lang_raise(vm, LANG_ERR_VALUE, "%s path is empty", fname);
    return st;
}

/* ---- Fashion-MNIST ----------------------------------------------------------------------- */

static lang_status bi_load_fashion_mnist(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                         lang_value *out)
{
    const char *dir = NULL;
    eng_tensor *ts[4];
    lang_value v[4], pair[2];
    eng_error err;
    if (given(a[0])) {
        lang_status st = arg_path(vm, a[0], "load_fashion_mnist()", &dir);
        if (st != LANG_OK) return st;
    }
    if (eng_fashion_mnist_load(dir, ts, &err) != ENG_OK) return lang_raise_eng(vm, &err);
    lang_status st = wrap_all(vm, 4, ts, v);
    if (st != LANG_OK) return st;
    st = make_tuple(vm, 2, v, &pair[0]);                  /* (x_train, y_train) */
    if (st != LANG_OK) {
        lang_decref(vm, v[2]);
        lang_decref(vm, v[3]);
        return st;
    }
    st = make_tuple(vm, 2, v + 2, &pair[1]);              /* (x_test, y_test) */
    if (st != LANG_OK) {
        lang_decref(vm, pair[0]);
        return st;
    }
    return make_tuple(vm, 2, pair, out);
}

/* ---- generated sets ---------------------------------------------------------------------- */

/* (x, y) from a generator's two tensors. */
static lang_status xy_result(lang_vm *vm, int rc, eng_tensor *x, eng_tensor *y,
                             const eng_error *err, lang_value *out)
{
    lang_value v[2];
    if (rc != ENG_OK) return lang_raise_eng(vm, err);
    eng_tensor *ts[2] = { x, y };
    lang_status st = wrap_all(vm, 2, ts, v);
    return st != LANG_OK ? st : make_tuple(vm, 2, v, out);
}

static lang_status playground(lang_vm *vm, eng_playground_set set, lang_value *a, lang_value *out)
{
    char fname[32];
    int64_t n;
    double noise;
    eng_rng own, *rng;
    eng_tensor *x, *y;
    eng_error err;
    snprintf(fname, sizeof fname, "%s()", eng_playground_name(set));
    lang_status st = arg_count(vm, a[0], fname, 500, &n);    /* Playground's NUM_SAMPLES_CLASSIFY */
    if (st == LANG_OK) st = arg_noise(vm, a[1], fname, &noise);
    if (st == LANG_OK) st = arg_rng(vm, a[2], fname, &own, &rng);
    if (st != LANG_OK) return st;
    if (!(noise >= 0 && noise <= 0.5)) {
        char num[40];
        lang_raise(vm, LANG_ERR_VALUE, "%s noise must be between 0 and 0.5, got %s", fname,
                   lang_tensor_num_text(noise, num, sizeof num));
        lang_hint(vm, "Playground's noise slider 0..50 is noise=0..0.5");
        return LANG_ERR_VALUE;
    }
    int rc = eng_playground_make(set, n, noise, rng, &x, &y, &err);
    return xy_result(vm, rc, x, y, &err, out);
}

static lang_status bi_circle(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return playground(vm, ENG_PLAYGROUND_CIRCLE, a, out);
}

static lang_status bi_xor(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return playground(vm, ENG_PLAYGROUND_XOR, a, out);
}

static lang_status bi_gauss(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return playground(vm, ENG_PLAYGROUND_GAUSS, a, out);
}

static lang_status bi_spiral(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    return playground(vm, ENG_PLAYGROUND_SPIRAL, a, out);
}

static lang_status bi_moons(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    int64_t n;
    double noise;
    eng_rng own, *rng;
    eng_tensor *x, *y;
    eng_error err;
    lang_status st = arg_count(vm, a[0], "moons()", 100, &n);   /* make_moons' n_samples=100 */
    if (st == LANG_OK) st = arg_noise(vm, a[1], "moons()", &noise);
    if (st == LANG_OK) st = arg_rng(vm, a[2], "moons()", &own, &rng);
    if (st != LANG_OK) return st;
    if (!(noise >= 0 && noise < 1e300)) {
        char num[40];
        return lang_raise(vm, LANG_ERR_VALUE, "moons() noise must be >= 0, got %s",
                          lang_tensor_num_text(noise, num, sizeof num));
    }
    int rc = eng_make_moons(n, noise, rng, &x, &y, &err);
    return xy_result(vm, rc, x, y, &err, out);
}

/* ---- files ------------------------------------------------------------------------------- */

static lang_status bi_load_csv(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *path, *delim = ",";
    int header = -1;
    eng_error err;
    lang_status st = arg_path(vm, a[0], "load_csv()", &path);
    if (st == LANG_OK && given(a[1])) st = lang_arg_bool(vm, a[1], "load_csv() header", &header);
    if (st == LANG_OK && given(a[2])) st = lang_arg_str(vm, a[2], "load_csv() delimiter", &delim);
    if (st != LANG_OK) return st;
    if (strlen(delim) != 1)
        return lang_raise(vm, LANG_ERR_VALUE, "load_csv() delimiter must be one character, got "
                          "'%s'", delim);
    return lang_tensor_result(vm, eng_csv_load(path, header, delim[0], &err), &err, 0, out);
}

static lang_status bi_save_npy(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *path;
    eng_tensor *t;
    eng_error err;
    lang_status st = arg_path(vm, a[0], "save_npy()", &path);
    if (st == LANG_OK) st = lang_tensor_from_value(vm, a[1], "save_npy()", &t);
    if (st != LANG_OK) return st;
    int rc = eng_npy_save(path, t, &err);
    eng_tensor_release(t);
    if (rc != ENG_OK) return lang_raise_eng(vm, &err);
    *out = lang_none();
    return LANG_OK;
}

static lang_status bi_load_npy(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    const char *path;
    eng_error err;
    lang_status st = arg_path(vm, a[0], "load_npy()", &path);
    if (st != LANG_OK) return st;
    return lang_tensor_result(vm, eng_npy_load(path, &err), &err, 0, out);
}

/* ---- train_test_split -------------------------------------------------------------------- */

#define SPLIT_MAX 8

static lang_status split_args(lang_vm *vm, lang_value *a, int *shuffle, double *test_size)
{
    *shuffle = 1;
    *test_size = 0.25;
    lang_status st = LANG_OK;
    if (given(a[0])) st = lang_arg_num(vm, a[0], "train_test_split() test_size", test_size);
    if (st == LANG_OK && given(a[1])) st = lang_arg_bool(vm, a[1], "train_test_split() shuffle",
                                                         shuffle);
    return st;
}

static lang_status bi_train_test_split(lang_vm *vm, lang_value *a, lang_value *va, int nva,
                                       lang_value *out)
{
    eng_tensor *in[SPLIT_MAX], *res[2 * SPLIT_MAX];
    lang_value v[2 * SPLIT_MAX];
    eng_rng own, *rng;
    eng_error err;
    int shuffle;
    double test_size;
    if (nva < 1 || nva > SPLIT_MAX)
        return lang_raise(vm, LANG_ERR_TYPE, "train_test_split() takes 1 to %d tensors, got %d",
                          SPLIT_MAX, nva);
    lang_status st = split_args(vm, a + 1, &shuffle, &test_size);
    if (st == LANG_OK) st = arg_rng(vm, a[3], "train_test_split()", &own, &rng);
    if (st != LANG_OK) return st;
    int n = 0;
    for (; n < nva && st == LANG_OK; n++)
        st = lang_tensor_from_value(vm, va[n], "train_test_split()", &in[n]);
    if (st != LANG_OK) n--;                      /* in[n - 1] was not made */
    int rc = st == LANG_OK ? eng_train_test_split(nva, in, test_size, shuffle, rng, res, &err)
                           : ENG_OK;
    for (int i = 0; i < n; i++) eng_tensor_release(in[i]);
    if (st != LANG_OK) return st;
    if (rc != ENG_OK) return lang_raise_eng(vm, &err);
    st = wrap_all(vm, 2 * nva, res, v);
    return st != LANG_OK ? st : make_tuple(vm, 2 * nva, v, out);
}

/* ---- registration ------------------------------------------------------------------------ */

static const lang_builtin_def data_builtins[] = {
    { "load_fashion_mnist", bi_load_fashion_mnist, "path=",
      "load_fashion_mnist(path=None)\nFashion-MNIST as Keras's fashion_mnist.load_data(): "
      "((x_train, y_train), (x_test, y_test)) with x of shape (60000, 28, 28) and (10000, 28, 28), "
      "pixels 0..255, and y the labels 0..9 (0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, "
      "4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot). Read from the Debian package "
      "dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), from $NABLA_DATA when set, or "
      "from the folder path.\n"
      "Example: (x_train, y_train), (x_test, y_test) = load_fashion_mnist()" },
    { "circle", bi_circle, "n=, noise=, seed=",
      "circle(n=500, noise=0, seed=None)\nTensorFlow Playground's circle set: (x, y) with x of "
      "shape (n, 2), label 1 for points within radius 2.5, 0 for the ring from 3.5 to 5. noise "
      "(0..0.5, the slider / 100) flips labels near the border. seed makes it repeatable.\n"
      "Example: x, y = circle(200, noise=0.1, seed=1)" },
    { "xor", bi_xor, "n=, noise=, seed=",
      "xor(n=500, noise=0, seed=None)\nTensorFlow Playground's XOR set: (x, y) with points in "
      "[-5.3, 5.3]^2 away from the axes, label 1 where x1 * x2 >= 0 (quadrants 1 and 3), else 0. "
      "noise (0..0.5) flips labels near the axes.\nExample: x, y = xor(seed=0)" },
    { "gauss", bi_gauss, "n=, noise=, seed=",
      "gauss(n=500, noise=0, seed=None)\nTensorFlow Playground's two Gaussians: label 1 around "
      "(2, 2), label 0 around (-2, -2), variance 0.5 + 7 * noise (noise 0..0.5).\n"
      "Example: x, y = gauss(100, noise=0.2, seed=3)" },
    { "spiral", bi_spiral, "n=, noise=, seed=",
      "spiral(n=500, noise=0, seed=None)\nTensorFlow Playground's two interleaved spirals (label 1 "
      "and 0), radius up to 5; noise (0..0.5) jitters each coordinate by up to +-noise.\n"
      "Example: x, y = spiral(seed=7)" },
    { "moons", bi_moons, "n=, noise=, seed=",
      "moons(n=100, noise=0, seed=None)\nscikit-learn's make_moons: two interleaving half "
      "circles, (x, y) with label 0 for the upper moon and 1 for the lower one; noise is the "
      "standard deviation of Gaussian noise added to each coordinate.\n"
      "Example: x, y = moons(200, noise=0.1, seed=0)" },
    { "load_csv", bi_load_csv, "path, header=, delimiter=",
      "load_csv(path, header=None, delimiter=\",\")\nA CSV file of numbers as a (rows, columns) "
      "tensor. header=True skips the first line, False reads it as data, None skips it when it "
      "holds no number. Blank lines and lines starting with # are skipped.\n"
      "Example: data = load_csv(\"iris.csv\"); x, y = data[:, :4], data[:, 4]" },
    { "save_npy", bi_save_npy, "path, t",
      "save_npy(path, t)\nWrites t to a NumPy .npy file (float32, as numpy.save writes it); "
      "numpy.load(path) reads it back.\nExample: save_npy(\"weights.npy\", w)" },
    { "load_npy", bi_load_npy, "path",
      "load_npy(path)\nReads a NumPy .npy file (float, int, uint8 or bool arrays, as written by "
      "numpy.save) into a float32 tensor.\nExample: w = load_npy(\"weights.npy\")" },
    { "train_test_split", bi_train_test_split, "*arrays, test_size=, shuffle=, seed=",
      "train_test_split(*arrays, test_size=0.25, shuffle=True, seed=None)\nscikit-learn's split "
      "of tensors with the same number of rows into train and test parts: returns (a_train, "
      "a_test, b_train, b_test, ...). test_size is a fraction (rounded up) or a number of rows.\n"
      "Example: x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, seed=0)" },
    { NULL, NULL, NULL, NULL },
};

lang_status lang_lib_data_open(lang_vm *vm);   /* listed in libs.c */

lang_status lang_lib_data_open(lang_vm *vm)
{
    return lang_register(vm, data_builtins);
}
