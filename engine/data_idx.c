/*
 * data_idx.c -- IDX files (the MNIST format) and Fashion-MNIST, read through zlib.
 *
 * An IDX file is a big-endian header -- 00 00 TYPE NDIM, then NDIM 4-byte sizes -- followed by
 * the elements row-major (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"). Debian's
 * dataset-fashion-mnist ships the four files gzip'd; gzread decompresses them, and reads a plain
 * file unchanged. Data is inflated in chunks and converted straight into the tensor, so loading
 * never holds a second copy of the bytes; the train images inflate on a second thread. All 70000
 * images take about 0.35 s of CPU (zlib's inflate is most of it).
 *
 * A damaged file is an error, never a crash: every size comes from the header and is checked
 * against what the stream really holds (short data, trailing bytes, CRC errors at the end).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/engine_internal.h"

#define IDX_CHUNK (1 << 18)          /* bytes inflated per gzread */

/* The element types of the format: type byte, size in bytes. */
typedef struct idx_type { unsigned char code; int bytes; const char *name; } idx_type;

static const idx_type idx_types[] = {
    { 0x08, 1, "unsigned byte" }, { 0x09, 1, "signed byte" }, { 0x0B, 2, "short" },
    { 0x0C, 4, "int" },           { 0x0D, 4, "float" },       { 0x0E, 8, "double" },
};

static const idx_type *idx_type_find(unsigned char code)
{
    for (size_t i = 0; i < sizeof idx_types / sizeof idx_types[0]; i++)
        if (idx_types[i].code == code)
            return &idx_types[i];
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const unsigned char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Why a read stopped short: zlib's own message for a damaged stream (without the "path: "
 * zlib puts in front), errno for the file. */
static const char *gz_reason(gzFile f)
{
    int code;
    const char *msg = gzerror(f, &code);
    if (code == Z_ERRNO)
        return strerror(errno);
    if (code == Z_OK || !msg || !*msg)
        return "the file ends too early";
    const char *colon = strstr(msg, ": ");
    return colon ? colon + 2 : msg;
}

/* Reads exactly n bytes (n <= IDX_CHUNK); returns the count read (short at end or on error). */
static size_t gz_read(gzFile f, void *buf, size_t n)
{
    int got = gzread(f, buf, (unsigned)n);
    return got < 0 ? 0 : (size_t)got;
}

/* n elements of type `type` from big-endian bytes src into floats dst. */
static void idx_convert(float *dst, const unsigned char *src, int64_t n, unsigned char type)
{
    switch (type) {
    case 0x08:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)src[i];
        break;
    case 0x09:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)(signed char)src[i];
        break;
    case 0x0B:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)(int16_t)(src[2 * i] << 8 | src[2 * i + 1]);
        break;
    case 0x0C:
        for (int64_t i = 0; i < n; i++) dst[i] = (float)(int32_t)be32(src + 4 * i);
        break;
    case 0x0D:
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = be32(src + 4 * i);
            memcpy(&dst[i], &u, 4);
        }
        break;
    default: /* 0x0E */
        for (int64_t i = 0; i < n; i++) {
            uint64_t u = be64(src + 8 * i);
            double d;
            memcpy(&d, &u, 8);
            dst[i] = (float)d;
        }
        break;
    }
}

/* Reads the header after the magic: ndim 4-byte sizes into shape. */
static int idx_read_shape(gzFile f, const char *path, int ndim, int64_t *shape, eng_error *err)
{
    unsigned char dims[4 * ENG_MAX_DIMS];
    size_t want = 4 * (size_t)ndim;
    if (gz_read(f, dims, want) != want)
        return eng_err(err, ENG_ERR_IO, "%s is damaged: its header is cut short (%s)", path,
                       gz_reason(f));
    for (int d = 0; d < ndim; d++)
        shape[d] = be32(dims + 4 * d);
    return ENG_OK;
}

/* Inflates t->size elements into t's data, then checks that the stream ends there. */
static int idx_read_data(gzFile f, const char *path, const idx_type *ty, eng_tensor *t,
                         eng_error *err)
{
    unsigned char *buf = malloc(IDX_CHUNK);
    if (!buf)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory reading %s", path);
    int64_t per_chunk = IDX_CHUNK / ty->bytes, done = 0;
    float *dst = t->storage->data;
    int rc = ENG_OK;
    while (done < t->size && rc == ENG_OK) {
        int64_t n = t->size - done < per_chunk ? t->size - done : per_chunk;
        size_t want = (size_t)n * (size_t)ty->bytes;
        size_t got = gz_read(f, buf, want);
        if (got != want)
            rc = eng_err(err, ENG_ERR_IO, "%s is damaged: its header promises %lld elements, "
                         "the data stops after %lld (%s)", path, (long long)t->size,
                         (long long)(done + (int64_t)(got / (size_t)ty->bytes)), gz_reason(f));
        else
            idx_convert(dst + done, buf, n, ty->code);
        done += n;
    }
    /* Reading past the end makes zlib check the gzip trailer (CRC and length). */
    if (rc == ENG_OK) {
        int extra = gzread(f, buf, 1), code;
        gzerror(f, &code);             /* a missing trailer shows only here: Z_BUF_ERROR */
        if (extra > 0)
            rc = eng_err(err, ENG_ERR_IO, "%s is damaged: it holds more data than its header "
                         "says (%lld elements)", path, (long long)t->size);
        else if (extra < 0 || code != Z_OK || !gzeof(f))
            rc = eng_err(err, ENG_ERR_IO, "%s is damaged: %s", path, gz_reason(f));
    }
    free(buf);
    return rc;
}

/* Everything after opening: magic, shape, data. */
static eng_tensor *idx_read(gzFile f, const char *path, eng_error *err)
{
    unsigned char magic[4];
    size_t got = gz_read(f, magic, 4);
    if (got != 4) {
        int code;
        gzerror(f, &code);
        if (code == Z_ERRNO) {
            eng_err(err, ENG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            return NULL;
        }
        if (code != Z_OK) {
            eng_err(err, ENG_ERR_IO, "%s is damaged: %s", path, gz_reason(f));
            return NULL;
        }
        eng_err(err, ENG_ERR_IO, "%s is damaged: it is too short to be an IDX file (%zu bytes)",
                path, got);
        return NULL;
    }
    const idx_type *ty = idx_type_find(magic[2]);
    if (magic[0] || magic[1] || !ty || magic[3] < 1 || magic[3] > ENG_MAX_DIMS) {
        eng_err(err, ENG_ERR_IO, "%s is not an IDX file: bad magic number %02x %02x %02x %02x "
                "(expected 00 00, a type byte 08..0e and 1..%d dimensions)", path, magic[0],
                magic[1], magic[2], magic[3], ENG_MAX_DIMS);
        return NULL;
    }
    int ndim = magic[3];
    int64_t shape[ENG_MAX_DIMS];
    if (idx_read_shape(f, path, ndim, shape, err) != ENG_OK)
        return NULL;
    eng_tensor *t = eng_tensor_empty(ndim, shape, err);
    if (!t) {
        char buf[ENG_SHAPE_BUF];
        if (err && err->code == ENG_ERR_MEMORY)   /* most likely a damaged header */
            eng_err(err, ENG_ERR_IO, "%s is damaged or too large: its header says shape %s",
                    path, eng_shape_format(ndim, shape, buf, sizeof buf));
        return NULL;
    }
    if (idx_read_data(f, path, ty, t, err) != ENG_OK) {
        eng_tensor_release(t);
        return NULL;
    }
    return t;
}

eng_tensor *eng_idx_load(const char *path, eng_error *err)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        eng_err(err, ENG_ERR_IO, "cannot open %s: %s", path,
                errno ? strerror(errno) : "out of memory");
        return NULL;
    }
    gzbuffer(f, IDX_CHUNK);
    eng_tensor *t = idx_read(f, path, err);
    gzclose_r(f);
    return t;
}

/* ---- Fashion-MNIST ----------------------------------------------------------------------- */

static const char *const fm_names[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
};

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *eng_fashion_mnist_dir(char *buf, size_t cap)
{
    const char *env = getenv("NABLA_DATA");
    if (!env || !*env) {
        snprintf(buf, cap, "%s", ENG_FASHION_MNIST_DIR);
        return buf;
    }
    snprintf(buf, cap, "%s/fashion-mnist", env);
    if (!is_dir(buf))
        snprintf(buf, cap, "%s", env);
    return buf;
}

/* Adds the package advice to an error about one of the files. */
static int fm_fail(eng_error *err, int missing)
{
    if (err) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, "; %s the Debian package "
                 "dataset-fashion-mnist", missing ? "install" : "reinstall");
        err->code = ENG_ERR_IO;
    }
    eng_err_hint(err, missing ? "sudo apt-get install dataset-fashion-mnist, or set NABLA_DATA "
                 "to a folder holding the four .gz files"
                 : "sudo apt-get install --reinstall dataset-fashion-mnist");
    return ENG_ERR_IO;
}

/* dir/name.gz, or dir/name when only the uncompressed file is there. */
static void fm_path(const char *dir, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    if (access(buf, R_OK) == 0 && !is_dir(buf))
        return;
    snprintf(buf, cap, "%s/%s.gz", dir, name);
}

/* Images must be (N, 28, 28); labels (N,) of whole numbers 0..9 with N equal to the images'. */
static int fm_check(eng_tensor *images, const char *ipath, eng_tensor *labels, const char *lpath,
                    eng_error *err)
{
    char buf[ENG_SHAPE_BUF];
    if (images->ndim != 3 || images->shape[1] != 28 || images->shape[2] != 28)
        return eng_err(err, ENG_ERR_IO, "%s is damaged: it holds images of shape %s, expected "
                       "(N, 28, 28)", ipath, eng_shape_format(images->ndim, images->shape, buf,
                                                              sizeof buf));
    if (labels->ndim != 1 || labels->shape[0] != images->shape[0])
        return eng_err(err, ENG_ERR_IO, "%s is damaged: it holds labels of shape %s for %lld "
                       "images", lpath, eng_shape_format(labels->ndim, labels->shape, buf,
                                                         sizeof buf),
                       (long long)images->shape[0]);
    const float *y = labels->storage->data;
    for (int64_t i = 0; i < labels->size; i++)
        if (!(y[i] >= 0 && y[i] <= 9 && y[i] == (float)(int)y[i]))
            return eng_err(err, ENG_ERR_IO, "%s is damaged: label %lld is %g, not a class 0..9",
                           lpath, (long long)i, (double)y[i]);
    return ENG_OK;
}

/* One file to load; the train images are loaded on a thread of their own. */
typedef struct fm_job {
    const char *path;
    eng_tensor *t;
    eng_error   err;
} fm_job;

static void *fm_job_run(void *arg)
{
    fm_job *job = arg;
    job->t = eng_idx_load(job->path, &job->err);
    return NULL;
}

int eng_fashion_mnist_load(const char *dir, eng_tensor *out[4], eng_error *err)
{
    char dirbuf[1024], paths[4][1200];
    fm_job jobs[4];
    if (!dir)
        dir = eng_fashion_mnist_dir(dirbuf, sizeof dirbuf);
    for (int i = 0; i < 4; i++) {
        fm_path(dir, fm_names[i], paths[i], sizeof paths[i]);
        jobs[i] = (fm_job){ .path = paths[i] };
    }
    /* The train images are 85% of the inflating: they go on a second thread while this one
     * reads the other three files (no thread, no harm: then they load here). */
    pthread_t thread;
    int threaded = pthread_create(&thread, NULL, fm_job_run, &jobs[0]) == 0;
    for (int i = threaded ? 1 : 0; i < 4; i++)
        fm_job_run(&jobs[i]);
    if (threaded)
        pthread_join(thread, NULL);
    int rc = ENG_OK;
    for (int i = 0; i < 4; i++) {
        out[i] = jobs[i].t;
        if (!out[i] && rc == ENG_OK) {          /* report the first failure in file order */
            if (err)
                *err = jobs[i].err;
            rc = jobs[i].err.code == ENG_ERR_MEMORY ? ENG_ERR_MEMORY
                                                    : fm_fail(err, access(paths[i], F_OK) != 0);
        }
    }
    for (int i = 0; i < 4 && rc == ENG_OK; i += 2)
        if (fm_check(out[i], paths[i], out[i + 1], paths[i + 1], err) != ENG_OK)
            rc = fm_fail(err, 0);
    if (rc != ENG_OK)
        for (int i = 0; i < 4; i++) {
            eng_tensor_release(out[i]);
            out[i] = NULL;
        }
    return rc;
}
