/*
 * data_npy.c -- NumPy .npy files, read and written.
 *
 * Format (numpy/lib/format.py, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * the magic "\x93NUMPY", a major and a minor version byte, the header length (little-endian
 * uint16 in 1.0, uint32 in 2.0 and 3.0), then the header: the text of a Python dict
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and ended by
 * '\n' so that the data starts on a 64-byte boundary; then the elements.
 *
 * Writing reproduces numpy.save byte for byte (NumPy >= 1.23 also leaves room for the first
 * size to grow to 21 digits). Reading parses the dict with a small scanner that accepts the
 * keys in any order, and converts every supported dtype to float32.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_HEADER_MAX 65536          /* NumPy itself refuses headers past 10000 bytes */
#define NPY_GROWTH_DIGITS 21          /* numpy.lib.format.GROWTH_AXIS_MAX_DIGITS */

/* ---- writing ----------------------------------------------------------------------------- */

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* The 1.0 header of a float32 C-order array of t's shape, padded as numpy.save pads it.
 * Returns its length (a multiple of 64) with the prefix, or 0 if it does not fit cap. */
static size_t npy_header(const eng_tensor *t, char *buf, size_t cap)
{
    char dict[512], shape[ENG_SHAPE_BUF];
    eng_shape_format(t->ndim, t->shape, shape, sizeof shape);
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                       shape);
    if (t->ndim > 0) {            /* spare room for shape[0] to grow in place */
        char first[32];
        int digits = snprintf(first, sizeof first, "%lld", (long long)t->shape[0]);
        for (int i = digits; i < NPY_GROWTH_DIGITS; i++)
            dict[len++] = ' ';
        dict[len] = '\0';
    }
    size_t hlen = (size_t)len + 1;                                  /* + '\n' */
    size_t pad = NPY_ALIGN - ((NPY_MAGIC_LEN + 2 + 2 + hlen) % NPY_ALIGN);
    size_t total = NPY_MAGIC_LEN + 4 + hlen + pad;
    if (total > cap || hlen + pad > 65535)
        return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)((hlen + pad) & 0xff);
    buf[9] = (char)((hlen + pad) >> 8);
    memcpy(buf + 10, dict, (size_t)len);
    memset(buf + 10 + len, ' ', pad);
    buf[total - 1] = '\n';
    return total;
}

/* Writes t's elements in row-major order as little-endian float32. */
static int npy_write_data(FILE *f, const eng_tensor *t, eng_error *err)
{
    eng_tensor *c = eng_tensor_copy(t, err);         /* contiguous, and ours to byte-swap */
    if (!c)
        return err ? err->code : ENG_ERR_MEMORY;
    float *d = c->storage->data;
    if (!host_is_little_endian())
        for (int64_t i = 0; i < c->size; i++) {
            unsigned char b[4], r[4];
            memcpy(b, &d[i], 4);
            r[0] = b[3]; r[1] = b[2]; r[2] = b[1]; r[3] = b[0];
            memcpy(&d[i], r, 4);
        }
    size_t n = (size_t)c->size;
    size_t wrote = n ? fwrite(d, sizeof(float), n, f) : 0;
    eng_tensor_release(c);
    return wrote == n ? ENG_OK : ENG_ERR_IO;
}

int eng_npy_save(const char *path, const eng_tensor *t, eng_error *err)
{
    char header[1024], tmp[4096];
    size_t hlen = npy_header(t, header, sizeof header);
    if (!hlen)
        return eng_err(err, ENG_ERR_VALUE, "internal: .npy header too long");
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return eng_err(err, ENG_ERR_IO, "cannot write %s: the path is too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return eng_err(err, ENG_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    int rc = fwrite(header, 1, hlen, f) == hlen ? ENG_OK : ENG_ERR_IO;
    if (rc == ENG_OK)
        rc = npy_write_data(f, t, err);
    int saved_errno = errno;
    if (fclose(f) != 0 && rc == ENG_OK) {
        rc = ENG_ERR_IO;
        saved_errno = errno;
    }
    if (rc == ENG_OK && rename(tmp, path) != 0) {
        rc = ENG_ERR_IO;
        saved_errno = errno;
    }
    if (rc != ENG_OK) {
        remove(tmp);
        if (rc == ENG_ERR_IO)
            eng_err(err, ENG_ERR_IO, "cannot write %s: %s", path, strerror(saved_errno));
    }
    return rc;
}

/* ---- reading the header ------------------------------------------------------------------ */

/* What the header says. */
typedef struct npy_info {
    char    kind;             /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int     bytes;            /* element size */
    int     little;           /* byte order of the data */
    int     fortran;
    int     ndim;
    int64_t shape[ENG_MAX_DIMS];
    int     seen;             /* bit 0 descr, 1 fortran_order, 2 shape */
} npy_info;

typedef struct npy_scan {
    const char *p, *end;
} npy_scan;

static void skip_space(npy_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n'))
        s->p++;
}

static int expect_char(npy_scan *s, char c)
{
    skip_space(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...") into out (cap bytes). */
static int scan_string(npy_scan *s, char *out, size_t cap)
{
    skip_space(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
        return 0;
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (n + 1 >= cap)
            return 0;
        out[n++] = *s->p++;
    }
    if (s->p >= s->end)
        return 0;
    s->p++;
    out[n] = '\0';
    return 1;
}

static int scan_word(npy_scan *s, const char *w)
{
    size_t n = strlen(w);
    skip_space(s);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
        s->p += n;
        return 1;
    }
    return 0;
}

/* "(3, 4)", "(3,)", "()"; sizes may carry an L suffix (Python 2 files). */
static int scan_shape(npy_scan *s, npy_info *info)
{
    if (!expect_char(s, '('))
        return 0;
    info->ndim = 0;
    for (;;) {
        skip_space(s);
        if (expect_char(s, ')'))
            return 1;
        if (info->ndim == ENG_MAX_DIMS || s->p >= s->end || *s->p < '0' || *s->p > '9')
            return 0;
        int64_t v = 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (v > (ENG_MAX_ELEMENTS * 16))
                return 0;
            v = v * 10 + (*s->p++ - '0');
        }
        if (s->p < s->end && *s->p == 'L')
            s->p++;
        info->shape[info->ndim++] = v;
        if (!expect_char(s, ',')) {
            if (!expect_char(s, ')'))
                return 0;
            return 1;
        }
    }
}

/* descr: '<f4', '>i8', '|u1', '|b1', '=f8'... */
static int parse_descr(const char *d, npy_info *info)
{
    size_t n = strlen(d);
    if (n != 3 || !strchr("<>|=", d[0]) || !strchr("fiub", d[1]) || d[2] < '1' || d[2] > '8')
        return 0;
    info->kind = d[1];
    info->bytes = d[2] - '0';
    info->little = d[0] == '<' || ((d[0] == '|' || d[0] == '=') && host_is_little_endian());
    switch (info->kind) {
    case 'f': return info->bytes == 4 || info->bytes == 8;
    case 'b': return info->bytes == 1;
    default: return info->bytes == 1 || info->bytes == 2 || info->bytes == 4 || info->bytes == 8;
    }
}

/* One "key: value" entry of the dict. Returns 0 on a syntax error, -1 on an unsupported descr
 * (its text left in descr). */
static int scan_entry(npy_scan *s, npy_info *info, char descr[64])
{
    char key[32];
    if (!scan_string(s, key, sizeof key) || !expect_char(s, ':'))
        return 0;
    if (strcmp(key, "descr") == 0) {
        if (!scan_string(s, descr, 64))
            return 0;
        info->seen |= 1;
        return parse_descr(descr, info) ? 1 : -1;
    }
    if (strcmp(key, "fortran_order") == 0) {
        info->seen |= 2;
        if (scan_word(s, "True")) info->fortran = 1;
        else if (scan_word(s, "False")) info->fortran = 0;
        else return 0;
        return 1;
    }
    if (strcmp(key, "shape") == 0) {
        info->seen |= 4;
        return scan_shape(s, info);
    }
    return 0;
}

static int parse_header(const char *path, const char *text, size_t len, npy_info *info,
                        eng_error *err)
{
    npy_scan s = { text, text + len };
    char descr[64] = "";
    memset(info, 0, sizeof *info);
    int ok = expect_char(&s, '{');
    while (ok == 1 && !expect_char(&s, '}')) {
        ok = scan_entry(&s, info, descr);
        if (ok == 1 && !expect_char(&s, ','))
            ok = expect_char(&s, '}') ? 2 : 0;
    }
    if (ok == -1) {
        eng_err(err, ENG_ERR_IO, "%s holds dtype '%s', which nabla cannot read", path, descr);
        eng_err_hint(err, "save float, int, uint8 or bool arrays, e.g. "
                     "numpy.save(path, a.astype('float32'))");
        return ENG_ERR_IO;
    }
    if (!ok || info->seen != 7)
        return eng_err(err, ENG_ERR_IO, "%s is damaged: its header is not a valid .npy header",
                       path);
    if (info->fortran) {
        eng_err(err, ENG_ERR_IO, "%s is stored in Fortran order, which nabla cannot read", path);
        eng_err_hint(err, "save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(a))");
        return ENG_ERR_IO;
    }
    return ENG_OK;
}

/* ---- reading the data -------------------------------------------------------------------- */

/* One element of `bytes` bytes at p (byte order `little`) as a float. */
static float npy_element(const unsigned char *p, const npy_info *in)
{
    unsigned char b[8];
    for (int i = 0; i < in->bytes; i++)          /* to host order */
        b[i] = p[in->little == host_is_little_endian() ? i : in->bytes - 1 - i];
    switch (in->kind) {
    case 'f':
        if (in->bytes == 4) { float f; memcpy(&f, b, 4); return f; }
        else { double d; memcpy(&d, b, 8); return (float)d; }
    case 'b':
        return b[0] != 0;
    case 'u':
        switch (in->bytes) {
        case 1: return b[0];
        case 2: { uint16_t v; memcpy(&v, b, 2); return v; }
        case 4: { uint32_t v; memcpy(&v, b, 4); return (float)v; }
        default: { uint64_t v; memcpy(&v, b, 8); return (float)v; }
        }
    default:
        switch (in->bytes) {
        case 1: return (signed char)b[0];
        case 2: { int16_t v; memcpy(&v, b, 2); return v; }
        case 4: { int32_t v; memcpy(&v, b, 4); return (float)v; }
        default: { int64_t v; memcpy(&v, b, 8); return (float)v; }
        }
    }
}

static int short_data(const char *path, size_t want, size_t have, eng_error *err)
{
    return eng_err(err, ENG_ERR_IO, "%s is damaged: shape and dtype need %zu bytes of data, the "
                   "file has %zu", path, want, have);
}

/* Reads the elements (counting bytes, so a short file reports exactly what it holds), then
 * checks that nothing follows them. */
static int read_data(FILE *f, const char *path, const npy_info *in, eng_tensor *t,
                     eng_error *err)
{
    float *dst = t->storage->data;
    size_t want = (size_t)t->size * (size_t)in->bytes;
    if (in->kind == 'f' && in->bytes == 4 && in->little == host_is_little_endian()) {
        size_t got = want ? fread(dst, 1, want, f) : 0;
        if (got != want)
            return short_data(path, want, got, err);
    } else {
        unsigned char buf[1 << 15];
        size_t per = sizeof buf / (size_t)in->bytes * (size_t)in->bytes, done = 0;
        while (done < want) {
            size_t n = want - done < per ? want - done : per;
            size_t got = fread(buf, 1, n, f);
            for (size_t i = 0; i + (size_t)in->bytes <= got; i += (size_t)in->bytes)
                dst[(done + i) / (size_t)in->bytes] = npy_element(buf + i, in);
            if (got != n)
                return short_data(path, want, done + got, err);
            done += n;
        }
    }
    if (fgetc(f) != EOF)
        return eng_err(err, ENG_ERR_IO, "%s is damaged: it has more data than its shape and "
                       "dtype need (%zu bytes)", path, want);
    return ENG_OK;
}

/* Magic, version and header length; the header text into *text (malloc'd). */
static int read_prefix(FILE *f, const char *path, char **text, size_t *len, eng_error *err)
{
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 10 && ferror(f))
        return eng_err(err, ENG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    if (got < 10 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return eng_err(err, ENG_ERR_IO, "%s is not a .npy file (it does not start with "
                       "\\x93NUMPY)", path);
    int major = pre[6];
    size_t hlen;
    if (major == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return eng_err(err, ENG_ERR_IO, "%s is damaged: its header is cut short", path);
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        return eng_err(err, ENG_ERR_IO, "%s has .npy format version %d.%d, which nabla cannot "
                       "read (1.0 to 3.0)", path, major, pre[7]);
    }
    if (hlen > NPY_HEADER_MAX)
        return eng_err(err, ENG_ERR_IO, "%s is damaged: its header length %zu is too large",
                       path, hlen);
    *text = malloc(hlen + 1);
    if (!*text)
        return eng_err(err, ENG_ERR_MEMORY, "out of memory reading %s", path);
    if (fread(*text, 1, hlen, f) != hlen) {
        free(*text);
        return eng_err(err, ENG_ERR_IO, "%s is damaged: its header is cut short", path);
    }
    (*text)[hlen] = '\0';
    *len = hlen;
    return ENG_OK;
}

static eng_tensor *npy_read(FILE *f, const char *path, eng_error *err)
{
    char *text = NULL;
    size_t len = 0;
    npy_info info;
    if (read_prefix(f, path, &text, &len, err) != ENG_OK)
        return NULL;
    int rc = parse_header(path, text, len, &info, err);
    free(text);
    if (rc != ENG_OK)
        return NULL;
    eng_tensor *t = eng_tensor_empty(info.ndim, info.shape, err);
    if (!t) {
        char buf[ENG_SHAPE_BUF];
        if (err && err->code == ENG_ERR_MEMORY)
            eng_err(err, ENG_ERR_IO, "%s is damaged or too large: its header says shape %s",
                    path, eng_shape_format(info.ndim, info.shape, buf, sizeof buf));
        return NULL;
    }
    if (read_data(f, path, &info, t, err) != ENG_OK) {
        eng_tensor_release(t);
        return NULL;
    }
    t->is_bool = info.kind == 'b';
    return t;
}

eng_tensor *eng_npy_load(const char *path, eng_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        eng_err(err, ENG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    eng_tensor *t = npy_read(f, path, err);
    fclose(f);
    return t;
}
