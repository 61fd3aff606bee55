/*
 * nn_file.c -- model files: model.save(path) and load_model(path).
 *
 * Format "NABLAMDL", version 2. All numbers little-endian; i32/u32/i64/u64 integers, f32/f64
 * IEEE floats; a str is a u32 byte count then the bytes (no NUL).
 *
 *   header (32 bytes)
 *     magic      8 bytes  "NABLAMDL"
 *     version    u32      2 (version 1 files are read too)
 *     flags      u32      bit 0: the model was compiled (loss, metrics, optimizer follow)
 *     body_len   u64      bytes after the header
 *     crc32      u32      CRC-32 (zlib's crc32, ISO-HDLC polynomial) of the body
 *     reserved   u32      0
 *   body
 *     name       str      the model's name
 *     in_ndim    i32      per-sample input dims, -1 when the model is not built; then
 *     in_shape   i64 x in_ndim
 *     nlayers    u32, then per layer:
 *       kind u32 (eng_layer_kind), name str, units i64, filters i64, kernel i64 x 2,
 *       strides i64 x 2, padding_same u32, activation u32 (eng_act), use_bias u32, rate f64,
 *       momentum f64, epsilon f64, input_ndim i32, input_shape i64 x input_ndim,
 *       nweights u32, then per weight: ndim u32, shape i64 x ndim, values f32 x size
 *     when compiled:
 *       loss kind u32 (eng_loss_kind, or 0xffffffff for a function of the caller's, whose
 *       name str follows), from_logits u32, nmetrics u32, metric u32 x nmetrics
 *       (eng_metric_id, in compile's order; version 1 had one u32 of flags, bit 0 accuracy),
 *       optimizer kind u32 (eng_opt_kind), learning_rate f64, momentum f64, beta_1 f64,
 *       beta_2 f64, epsilon f64, rho f64, nesterov u32, iterations i64,
 *       state_len u64, state f32 x state_len (velocity / moments, in parameter order)
 *
 * Writing goes to a temporary file in the same folder, then rename(2) replaces path, so a
 * crash or a full disk never leaves a half-written model under the real name. Reading checks
 * everything before trusting it: magic, version, length, checksum, then every field against
 * what remains, so a truncated or corrupted file is an ENG_ERR_IO naming the path, never a
 * crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/nn_internal.h"

#define NN_MAGIC "NABLAMDL"
#define NN_VERSION 2u
#define NN_HEADER 32
#define NN_MAX_FILE ((int64_t)1 << 36)      /* 64 GB: anything larger is not ours */
#define NN_LOSS_FN 0xffffffffu              /* the loss kind of a caller's loss function */

/* ---- writing ------------------------------------------------------------------------------- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

/* Fixed-width little-endian integers, whatever the host's byte order. */
static void put_u(wbuf *b, uint64_t v, int bytes)
{
    unsigned char t[8];
    for (int i = 0; i < bytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)bytes);
}

static void put_u32(wbuf *b, uint32_t v) { put_u(b, v, 4); }
static void put_i32(wbuf *b, int32_t v) { put_u(b, (uint32_t)v, 4); }
static void put_i64(wbuf *b, int64_t v) { put_u(b, (uint64_t)v, 8); }

static void put_f64(wbuf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    put_u(b, u, 8);
}

static void put_f32s(wbuf *b, const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put_u(b, u, 4);
    }
}

static void put_str(wbuf *b, const char *s)
{
    put_u32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

static void put_layer(wbuf *b, const eng_layer *l)
{
    const eng_layer_config *c = &l->cfg;
    put_u32(b, (uint32_t)c->kind);
    put_str(b, c->name);
    put_i64(b, c->units);
    put_i64(b, c->filters);
    put_i64(b, c->kernel[0]); put_i64(b, c->kernel[1]);
    put_i64(b, c->strides[0]); put_i64(b, c->strides[1]);
    put_u32(b, (uint32_t)c->padding_same);
    put_u32(b, (uint32_t)c->activation);
    put_u32(b, (uint32_t)c->use_bias);
    put_f64(b, c->rate);
    put_f64(b, c->momentum);
    put_f64(b, c->epsilon);
    put_i32(b, c->input_ndim);
    for (int d = 0; d < c->input_ndim; d++) put_i64(b, c->input_shape[d]);
    int nw = eng_layer_weight_count(l);
    put_u32(b, (uint32_t)nw);
    for (int i = 0; i < nw; i++) {
        const eng_tensor *w = l->w[i];
        put_u32(b, (uint32_t)w->ndim);
        for (int d = 0; d < w->ndim; d++) put_i64(b, w->shape[d]);
        put_f32s(b, eng_tensor_data(w), w->size);
    }
}

static void put_compiled(wbuf *b, const eng_model *m)
{
    const eng_opt_config *c = eng_optimizer_get_config(m->opt);
    put_u32(b, m->loss.fn ? NN_LOSS_FN : (uint32_t)m->loss.kind);
    if (m->loss.fn) put_str(b, m->loss.fn->name);
    put_u32(b, (uint32_t)m->loss.from_logits);
    put_u32(b, (uint32_t)m->metrics.n);
    for (int i = 0; i < m->metrics.n; i++) put_u32(b, (uint32_t)m->metrics.id[i]);
    put_u32(b, (uint32_t)c->kind);
    put_f64(b, c->learning_rate);
    put_f64(b, c->momentum);
    put_f64(b, c->beta_1);
    put_f64(b, c->beta_2);
    put_f64(b, c->epsilon);
    put_f64(b, c->rho);
    put_u32(b, (uint32_t)c->nesterov);
    put_i64(b, eng_optimizer_iterations(m->opt));
    int64_t n = nn_optimizer_state_size(m->opt);
    put_u(b, (uint64_t)n, 8);
    put_f32s(b, nn_optimizer_state(m->opt), n);
}

static void put_body(wbuf *b, const eng_model *m)
{
    put_str(b, m->name);
    put_i32(b, m->built ? m->in_ndim : -1);
    for (int d = 0; m->built && d < m->in_ndim; d++) put_i64(b, m->in_shape[d]);
    put_u32(b, (uint32_t)m->nlayers);
    for (int i = 0; i < m->nlayers; i++) put_layer(b, m->layers[i]);
    if (m->compiled && m->opt) put_compiled(b, m);
}

static int io_error(eng_error *err, const char *path, const char *what)
{
    eng_err(err, ENG_ERR_IO, "cannot %s model file '%s': %s", what, path, strerror(errno));
    return ENG_ERR_IO;
}

/* Writes header + body to a temporary file beside path, then renames it over path. */
static int write_atomically(const char *path, const wbuf *head, const wbuf *body, eng_error *err)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) return eng_err(err, ENG_ERR_MEMORY, "out of memory saving a model");
    snprintf(tmp, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int st = io_error(err, path, "write");
        free(tmp);
        return st;
    }
    FILE *f = fdopen(fd, "wb");
    int ok = f && fwrite(head->p, 1, head->len, f) == head->len &&
             fwrite(body->p, 1, body->len, f) == body->len && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    int saved = errno;
    if (f) ok = fclose(f) == 0 && ok;
    else close(fd);
    if (ok && rename(tmp, path) == 0) {
        free(tmp);
        return ENG_OK;
    }
    if (!ok) errno = saved;
    int st = io_error(err, path, "write");
    unlink(tmp);
    free(tmp);
    return st;
}

int eng_model_save(const eng_model *m, const char *path, eng_error *err)
{
    wbuf body = { 0 }, head = { 0 };
    put_body(&body, m);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < body.len;) {                 /* crc32 takes a uInt length */
        size_t n = body.len - off > (1u << 30) ? (1u << 30) : body.len - off;
        crc = crc32(crc, body.p + off, (uInt)n);
        off += n;
    }
    put(&head, NN_MAGIC, 8);
    put_u32(&head, NN_VERSION);
    put_u32(&head, m->compiled && m->opt ? 1u : 0u);
    put_u(&head, body.len, 8);
    put_u32(&head, (uint32_t)crc);
    put_u32(&head, 0);
    int st = body.oom || head.oom ? eng_err(err, ENG_ERR_MEMORY, "out of memory saving a model")
                                  : write_atomically(path, &head, &body, err);
    free(body.p);
    free(head.p);
    return st;
}

/* ---- reading ------------------------------------------------------------------------------- */

/* A bounds-checked cursor: any read past the end sets `bad` and yields zeros. */
typedef struct rbuf {
    const unsigned char *p;
    size_t len, pos;
    int bad;
    uint32_t version;           /* of the file's format */
} rbuf;

static uint64_t get_u(rbuf *r, int bytes)
{
    if (r->bad || r->len - r->pos < (size_t)bytes) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[r->pos + (size_t)i] << (8 * i);
    r->pos += (size_t)bytes;
    return v;
}

static uint32_t get_u32(rbuf *r) { return (uint32_t)get_u(r, 4); }
static int32_t get_i32(rbuf *r) { return (int32_t)(uint32_t)get_u(r, 4); }
static int64_t get_i64(rbuf *r) { return (int64_t)get_u(r, 8); }

static double get_f64(rbuf *r)
{
    uint64_t u = get_u(r, 8);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

static void get_f32s(rbuf *r, float *dst, int64_t n)
{
    if (r->bad || n < 0 || (uint64_t)(r->len - r->pos) / 4 < (uint64_t)n) {
        r->bad = 1;
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)get_u(r, 4);
        memcpy(&dst[i], &u, 4);
    }
}

static void get_str(rbuf *r, char *dst, size_t cap)
{
    uint32_t n = get_u32(r);
    if (r->bad || n >= cap || r->len - r->pos < n) {
        r->bad = 1;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, r->p + r->pos, n);
    dst[n] = '\0';
    r->pos += n;
}

/* A shape of ndim dims, each in [0, 2^40]. */
static int get_shape(rbuf *r, int ndim, int64_t *shape)
{
    if (ndim < 0 || ndim > ENG_MAX_DIMS - 1) return r->bad = 1, 0;
    for (int d = 0; d < ndim; d++) {
        shape[d] = get_i64(r);
        if (shape[d] < 0 || shape[d] > ENG_MAX_ELEMENTS) r->bad = 1;
    }
    return !r->bad;
}

static int damaged(eng_error *err, const char *path, const char *why)
{
    eng_err(err, ENG_ERR_IO, "model file '%s' is damaged: %s", path, why);
    eng_err_hint(err, "save the model again with model.save(path)");
    return ENG_ERR_IO;
}

static int read_config(rbuf *r, eng_layer_config *c)
{
    uint32_t kind = get_u32(r);
    eng_layer_config_init(c, kind < ENG_LAYER_KIND_COUNT ? (eng_layer_kind)kind : ENG_LAYER_DENSE);
    if (kind >= ENG_LAYER_KIND_COUNT) return r->bad = 1, 0;
    get_str(r, c->name, sizeof c->name);
    c->units = get_i64(r);
    c->filters = get_i64(r);
    c->kernel[0] = get_i64(r); c->kernel[1] = get_i64(r);
    c->strides[0] = get_i64(r); c->strides[1] = get_i64(r);
    c->padding_same = get_u32(r) != 0;
    uint32_t act = get_u32(r);
    c->activation = act < ENG_ACT_COUNT ? (eng_act)act : ENG_ACT_LINEAR;
    if (act >= ENG_ACT_COUNT) r->bad = 1;
    c->use_bias = get_u32(r) != 0;
    c->rate = get_f64(r);
    c->momentum = get_f64(r);
    c->epsilon = get_f64(r);
    c->input_ndim = get_i32(r);
    if (c->input_ndim >= 0) get_shape(r, c->input_ndim, c->input_shape);
    else if (c->input_ndim != -1) r->bad = 1;
    return !r->bad;
}

/* Reads a layer's weights into the built layer l (shapes must match). */
static int read_weights(rbuf *r, eng_layer *l)
{
    uint32_t nw = get_u32(r);
    if (r->bad || nw != (uint32_t)eng_layer_weight_count(l)) return r->bad = 1, 0;
    for (uint32_t i = 0; i < nw; i++) {
        int64_t shape[ENG_MAX_DIMS];
        int ndim = (int)get_u32(r);
        if (!get_shape(r, ndim, shape)) return 0;
        eng_tensor *w = l->w[i];
        if (ndim != w->ndim || memcmp(shape, w->shape, (size_t)ndim * sizeof *shape) != 0)
            return r->bad = 1, 0;
        get_f32s(r, eng_tensor_data(w), w->size);
    }
    return !r->bad;
}

/* Layers: configs first (the weights come after each config, so they are read once the model
 * is built: a second pass over the same bytes). */
static int read_layers(rbuf *r, eng_model *m, int in_ndim, const int64_t *in, eng_error *err)
{
    uint32_t n = get_u32(r);
    if (n > 100000) r->bad = 1;
    size_t start = r->pos;
    eng_rng rng;
    eng_rng_seed(&rng, 0);
    for (int pass = 0; pass < 2 && !r->bad; pass++) {
        r->pos = start;
        for (uint32_t i = 0; i < n && !r->bad; i++) {
            eng_layer_config c;
            if (!read_config(r, &c)) break;
            if (pass == 0) {
                eng_layer *l = eng_layer_new(&c, err);
                if (!l) return ENG_ERR_VALUE;
                int st = eng_model_add(m, l, &rng, err);
                eng_layer_release(l);
                if (st != ENG_OK) return st;
                uint32_t nw = get_u32(r);           /* skip the weights for now */
                for (uint32_t k = 0; k < nw && !r->bad; k++) {
                    int64_t shape[ENG_MAX_DIMS], size = 1;
                    int nd = (int)get_u32(r);
                    if (!get_shape(r, nd, shape)) break;
                    for (int d = 0; d < nd; d++) size *= shape[d];
                    if ((uint64_t)(r->len - r->pos) / 4 < (uint64_t)size) r->bad = 1;
                    else r->pos += (size_t)size * 4;
                }
            } else if (!read_weights(r, m->layers[i])) {
                break;
            }
        }
        if (pass == 0 && !r->bad && in_ndim >= 0 && !m->built &&
            eng_model_build(m, in_ndim, in, &rng, err) != ENG_OK)
            return ENG_ERR_VALUE;
    }
    return ENG_OK;
}

/* compile's metrics: a count and ids, or version 1's flags (bit 0: accuracy). */
static int read_metrics(rbuf *r, eng_metrics *ms)
{
    if (r->version == 1) {
        if (get_u32(r) & 1u) ms->id[ms->n++] = ENG_METRIC_ACCURACY;
        return ENG_OK;
    }
    uint32_t n = get_u32(r);
    if (n > ENG_METRICS_MAX) return ENG_ERR_IO;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = get_u32(r);
        if (id >= ENG_METRIC_COUNT || eng_metrics_add(ms, (eng_metric_id)id, NULL) != ENG_OK)
            return ENG_ERR_IO;
    }
    return ENG_OK;
}

static int read_compiled(rbuf *r, eng_model *m, eng_error *err)
{
    eng_loss loss = { 0 };
    char fn_name[sizeof m->missing_loss] = "";
    uint32_t lk = get_u32(r);
    if (lk == NN_LOSS_FN) get_str(r, fn_name, sizeof fn_name);
    loss.kind = lk < ENG_LOSS_KIND_COUNT ? (eng_loss_kind)lk : ENG_LOSS_MSE;
    loss.from_logits = get_u32(r) != 0;
    eng_metrics metrics = { 0 };
    if (read_metrics(r, &metrics) != ENG_OK) return r->bad = 1, ENG_OK;
    eng_opt_config c;
    uint32_t ok = get_u32(r);
    eng_opt_config_init(&c, ok < ENG_OPT_KIND_COUNT ? (eng_opt_kind)ok : ENG_OPT_SGD);
    c.learning_rate = get_f64(r);
    c.momentum = get_f64(r);
    c.beta_1 = get_f64(r);
    c.beta_2 = get_f64(r);
    c.epsilon = get_f64(r);
    c.rho = get_f64(r);
    c.nesterov = get_u32(r) != 0;
    int64_t iterations = get_i64(r);
    uint64_t n = get_u(r, 8);
    if (r->bad || (lk >= ENG_LOSS_KIND_COUNT && !fn_name[0]) || ok >= ENG_OPT_KIND_COUNT ||
        iterations < 0)
        return r->bad = 1, ENG_OK;
    eng_optimizer *o = eng_optimizer_new(&c, err);
    if (!o) return ENG_ERR_VALUE;
    int st = eng_model_compile(m, o, &loss, &metrics, err);
    eng_optimizer_release(o);
    if (st != ENG_OK) return st;
    memcpy(m->missing_loss, fn_name, sizeof fn_name);      /* until the caller gives it back */
    if (n != (uint64_t)nn_optimizer_state_size(m->opt)) return r->bad = 1, ENG_OK;
    get_f32s(r, nn_optimizer_state(m->opt), (int64_t)n);
    nn_optimizer_set_iterations(m->opt, iterations);
    return ENG_OK;
}

/* The body after the header checks: the model, or NULL with err filled. */
static eng_model *parse_body(rbuf *r, uint32_t flags, const char *path, eng_error *err)
{
    char name[64];
    int64_t in[ENG_MAX_DIMS];
    get_str(r, name, sizeof name);
    int in_ndim = get_i32(r);
    if (in_ndim >= 0) get_shape(r, in_ndim, in);
    else if (in_ndim != -1) r->bad = 1;
    eng_model *m = r->bad ? NULL : eng_model_new(name, err);
    if (!m) {
        if (r->bad) damaged(err, path, "its header fields are out of range");
        return NULL;
    }
    eng_error inner;
    int st = read_layers(r, m, in_ndim, in, &inner);
    if (st == ENG_OK && !r->bad && (flags & 1u)) st = read_compiled(r, m, &inner);
    if (st == ENG_OK && !r->bad && r->pos != r->len) r->bad = 1;
    if (st == ENG_OK && !r->bad) return m;
    eng_model_release(m);
    if (st != ENG_OK) {
        char why[300];
        snprintf(why, sizeof why, "%s", inner.msg);
        damaged(err, path, why);
    } else {
        damaged(err, path, "its contents do not fit together");
    }
    return NULL;
}

/* The whole file into memory (size-checked). */
static unsigned char *slurp(const char *path, size_t *len, eng_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return io_error(err, path, "read"), NULL;
    unsigned char *p = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        io_error(err, path, "read");
    } else if ((int64_t)size > NN_MAX_FILE) {
        eng_err(err, ENG_ERR_IO, "'%s' is not a nabla model file (it is too large)", path);
    } else if (!(p = malloc((size_t)size + 1))) {
        eng_err(err, ENG_ERR_MEMORY, "out of memory reading '%s'", path);
    } else if (fread(p, 1, (size_t)size, f) != (size_t)size) {
        io_error(err, path, "read");
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)(size > 0 ? size : 0);
    return p;
}

static int check_header(const unsigned char *p, size_t len, const char *path, uint32_t *flags,
                        uint32_t *version, eng_error *err)
{
    if (len < 8 || memcmp(p, NN_MAGIC, 8) != 0) {
        eng_err(err, ENG_ERR_IO, "'%s' is not a nabla model file (it does not start with %s)",
                path, NN_MAGIC);
        eng_err_hint(err, "load_model reads files written by model.save(path)");
        return ENG_ERR_IO;
    }
    if (len < NN_HEADER) return damaged(err, path, "it is truncated (the header is incomplete)");
    rbuf r = { p, len, 8, 0, 0 };
    *version = get_u32(&r);
    *flags = get_u32(&r);
    uint64_t body = get_u(&r, 8);
    uint32_t crc = get_u32(&r);
    if (*version < 1 || *version > NN_VERSION) {
        eng_err(err, ENG_ERR_IO, "model file '%s' has format version %u; this nabla reads "
                "versions 1 to %u", path, *version, NN_VERSION);
        eng_err_hint(err, "it was written by a %s nabla",
                     *version > NN_VERSION ? "newer" : "different");
        return ENG_ERR_IO;
    }
    if (body != len - NN_HEADER) {
        char why[160];
        snprintf(why, sizeof why, "it is %s (%zu bytes of data, the header says %llu)",
                 body > len - NN_HEADER ? "truncated" : "longer than its header says",
                 len - NN_HEADER, (unsigned long long)body);
        return damaged(err, path, why);
    }
    uLong c = crc32(0L, Z_NULL, 0);
    for (size_t off = NN_HEADER; off < len;) {
        size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
        c = crc32(c, p + off, (uInt)n);
        off += n;
    }
    if ((uint32_t)c != crc) return damaged(err, path, "its checksum does not match its contents");
    return ENG_OK;
}

eng_model *eng_model_load(const char *path, eng_error *err)
{
    size_t len;
    unsigned char *p = slurp(path, &len, err);
    if (!p) return NULL;
    uint32_t flags = 0, version = 0;
    eng_model *m = NULL;
    if (check_header(p, len, path, &flags, &version, err) == ENG_OK) {
        rbuf r = { p + NN_HEADER, len - NN_HEADER, 0, 0, version };
        m = parse_body(&r, flags, path, err);
    }
    free(p);
    return m;
}
