/*
 * wire.c -- the Jupyter wire format: HMAC-SHA256 signing and the frame layout of one message.
 *
 *     [ident..., "<IDS|MSG>", hex-hmac, header, parent_header, metadata, content, buffers...]
 *
 * The signature covers the exact bytes of the four JSON frames, so decoding verifies the raw
 * frames before parsing, and encoding serializes each dict once and signs those very bytes.
 * No sockets here: the functions work on frame arrays, which is what the fuzz target feeds.
 */
/* OpenSSL 3 deprecates the low-level SHA256_* functions, but they hash without loading the
 * provider machinery that EVP_MAC needs: that machinery costs ~2.3 MB of resident memory and
 * several ms of start-up, a large share of the kernel's budget (DESIGN.md 8: < 15 MB, < 30 ms).
 * So HMAC (RFC 2104) is built here on libcrypto's SHA-256, with the keyed inner and outer
 * states computed once. A libcrypto built without the deprecated API gets the EVP_MAC path. */
#define OPENSSL_API_COMPAT 10101
#include "kernel/kernel.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(OPENSSL_NO_DEPRECATED_3_0)
#define USE_EVP_MAC 1
#else
#define USE_EVP_MAC 0
#endif

static const char DELIM[] = "<IDS|MSG>";
#define DELIM_LEN 9

struct kern_auth {
    int on;              /* 0: signing is off (empty key) */
#if USE_EVP_MAC
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;    /* keyed once; EVP_MAC_init(ctx, NULL, ...) reuses the key */
#else
    SHA256_CTX inner;    /* SHA-256 state after (key ^ ipad) */
    SHA256_CTX outer;    /* SHA-256 state after (key ^ opad) */
#endif
};

static void set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* ---- signing ------------------------------------------------------------------------------- */

#if USE_EVP_MAC
static int auth_key(kern_auth *auth, const char *key)
{
    auth->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    auth->ctx = auth->mac ? EVP_MAC_CTX_new(auth->mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    return auth->ctx && EVP_MAC_init(auth->ctx, (const unsigned char *)key, strlen(key), params) ? 0 : -1;
}

static int auth_mac(kern_auth *auth, const unsigned char *const part[4], const size_t len[4],
                    unsigned char md[32])
{
    size_t mdlen = 0;
    if (!EVP_MAC_init(auth->ctx, NULL, 0, NULL)) return -1;
    for (int i = 0; i < 4; i++)
        if (!EVP_MAC_update(auth->ctx, part[i], len[i])) return -1;
    return EVP_MAC_final(auth->ctx, md, &mdlen, 32) && mdlen == 32 ? 0 : -1;
}
#else
/* HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)), K0 = K (or H(K) if longer than a block)
 * zero-padded to the 64-byte block. */
static int auth_key(kern_auth *auth, const char *key)
{
    unsigned char k0[SHA256_CBLOCK] = {0}, pad[SHA256_CBLOCK];
    size_t n = strlen(key);
    if (n > SHA256_CBLOCK) SHA256((const unsigned char *)key, n, k0);
    else memcpy(k0, key, n);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = k0[i] ^ 0x36;
    int ok = SHA256_Init(&auth->inner) && SHA256_Update(&auth->inner, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = k0[i] ^ 0x5c;
    ok = ok && SHA256_Init(&auth->outer) && SHA256_Update(&auth->outer, pad, sizeof pad);
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok ? 0 : -1;
}

static int auth_mac(kern_auth *auth, const unsigned char *const part[4], const size_t len[4],
                    unsigned char md[32])
{
    SHA256_CTX c = auth->inner;
    unsigned char ih[32];
    for (int i = 0; i < 4; i++)
        if (!SHA256_Update(&c, part[i], len[i])) return -1;
    if (!SHA256_Final(ih, &c)) return -1;
    c = auth->outer;
    return SHA256_Update(&c, ih, sizeof ih) && SHA256_Final(md, &c) ? 0 : -1;
}
#endif

kern_auth *kern_auth_new(const char *scheme, const char *key, char *err, size_t errcap)
{
    kern_auth *auth = calloc(1, sizeof *auth);
    if (!auth) { set_err(err, errcap, "out of memory"); return NULL; }
    if (!key || !*key || !scheme || !*scheme || strcmp(scheme, "none") == 0) return auth;
    if (strcmp(scheme, "hmac-sha256") != 0) {
        set_err(err, errcap, "unsupported signature_scheme \"%s\" (only hmac-sha256)", scheme);
        free(auth);
        return NULL;
    }
    auth->on = 1;
    if (auth_key(auth, key) != 0) {
        set_err(err, errcap, "OpenSSL cannot set up HMAC-SHA256");
        kern_auth_free(auth);
        return NULL;
    }
    return auth;
}

void kern_auth_free(kern_auth *auth)
{
    if (!auth) return;
#if USE_EVP_MAC
    EVP_MAC_CTX_free(auth->ctx);
    EVP_MAC_free(auth->mac);
#endif
    OPENSSL_cleanse(auth, sizeof *auth);
    free(auth);
}

int kern_auth_sign(kern_auth *auth, const unsigned char *const part[4], const size_t len[4],
                   char hex[65])
{
    hex[0] = '\0';
    if (!auth || !auth->on) return 0;
    unsigned char md[32];
    if (auth_mac(auth, part, len, md) != 0) return -1;
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return 0;
}

/* Constant-time check of a received signature frame against the four frames after it. */
static int verify(kern_auth *auth, const kern_frame *sig, const kern_frame *parts)
{
    if (!auth || !auth->on) return 0;
    const unsigned char *p[4];
    size_t n[4];
    for (int i = 0; i < 4; i++) { p[i] = parts[i].data; n[i] = parts[i].len; }
    char want[65];
    if (kern_auth_sign(auth, p, n, want) != 0) return -1;
    if (sig->len != 64) return -1;
    return CRYPTO_memcmp(want, sig->data, 64) == 0 ? 0 : -1;
}

/* ---- decoding ------------------------------------------------------------------------------ */

void kern_msg_free(kern_msg *msg)
{
    if (!msg) return;
    for (size_t i = 0; i < msg->n_idents; i++) free(msg->ident[i]);
    json_decref(msg->header);
    json_decref(msg->parent);
    json_decref(msg->metadata);
    json_decref(msg->content);
    memset(msg, 0, sizeof *msg);
}

static json_t *parse_dict(const kern_frame *f, const char *what, char *err, size_t errcap)
{
    json_error_t jerr;
    json_t *v = json_loadb((const char *)f->data, f->len, JSON_DECODE_ANY, &jerr);
    if (!v) {
        set_err(err, errcap, "%s is not valid JSON: %s", what, jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        set_err(err, errcap, "%s is not a JSON object", what);
        json_decref(v);
        return NULL;
    }
    return v;
}

static int copy_idents(kern_msg *msg, const kern_frame *frames, size_t n, char *err, size_t cap)
{
    if (n > KERN_MAX_IDENTS) {
        set_err(err, cap, "too many routing frames (%zu)", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        msg->ident[i] = malloc(frames[i].len ? frames[i].len : 1);
        if (!msg->ident[i]) { set_err(err, cap, "out of memory"); return -1; }
        if (frames[i].len) memcpy(msg->ident[i], frames[i].data, frames[i].len);
        msg->ident_len[i] = frames[i].len;
        msg->n_idents = i + 1;
    }
    return 0;
}

int kern_msg_decode(kern_auth *auth, const kern_frame *frames, size_t n_frames, kern_msg *msg,
                    char *err, size_t errcap)
{
    memset(msg, 0, sizeof *msg);
    size_t d = 0;
    while (d < n_frames && !(frames[d].len == DELIM_LEN && memcmp(frames[d].data, DELIM, DELIM_LEN) == 0))
        d++;
    if (d == n_frames) { set_err(err, errcap, "no <IDS|MSG> delimiter"); return -1; }
    if (n_frames - d < 6) { set_err(err, errcap, "too few frames after the delimiter"); return -1; }
    const kern_frame *parts = &frames[d + 2];
    if (verify(auth, &frames[d + 1], parts) != 0) {
        set_err(err, errcap, "bad or missing signature");
        return -1;
    }
    static const char *names[4] = {"header", "parent_header", "metadata", "content"};
    json_t **slots[4] = {&msg->header, &msg->parent, &msg->metadata, &msg->content};
    for (int i = 0; i < 4; i++)
        if (!(*slots[i] = parse_dict(&parts[i], names[i], err, errcap))) goto fail;
    msg->msg_type = json_string_value(json_object_get(msg->header, "msg_type"));
    if (!msg->msg_type || !json_is_string(json_object_get(msg->header, "msg_id"))) {
        set_err(err, errcap, "header has no msg_type or msg_id");
        goto fail;
    }
    if (copy_idents(msg, frames, d, err, errcap) != 0) goto fail;
    return 0;
fail:
    kern_msg_free(msg);
    return -1;
}

/* ---- encoding ------------------------------------------------------------------------------ */

void kern_wire_free(kern_wire *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) free(w->data[i]);
    w->n = 0;
}

static int push_frame(kern_wire *w, const void *data, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) return -1;
    if (len) memcpy(copy, data, len);
    w->data[w->n] = copy;
    w->len[w->n] = len;
    w->n++;
    return 0;
}

/* Takes ownership of a json_dumps() string as a frame. */
static int push_owned(kern_wire *w, char *text)
{
    if (!text) return -1;
    w->data[w->n] = (unsigned char *)text;
    w->len[w->n] = strlen(text);
    w->n++;
    return 0;
}

int kern_msg_encode(kern_auth *auth, unsigned char *const *idents, const size_t *ident_len,
                    size_t n_idents, json_t *header, json_t *parent, json_t *metadata,
                    json_t *content, kern_wire *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    if (n_idents > KERN_MAX_IDENTS) { set_err(err, errcap, "too many identities"); return -1; }
    for (size_t i = 0; i < n_idents; i++)
        if (push_frame(out, idents[i], ident_len[i]) != 0) goto oom;
    if (push_frame(out, DELIM, DELIM_LEN) != 0 || push_frame(out, "", 0) != 0) goto oom;
    size_t sig = out->n - 1;
    json_t *dicts[4] = {header, parent, metadata, content};
    for (int i = 0; i < 4; i++) {
        /* JSON_COMPACT keeps frames small; UTF-8 passes through unescaped. */
        char *text = json_dumps(dicts[i], JSON_COMPACT);
        if (push_owned(out, text) != 0) goto oom;
    }
    char hex[65];
    const unsigned char *p[4] = {out->data[sig + 1], out->data[sig + 2], out->data[sig + 3], out->data[sig + 4]};
    size_t n[4] = {out->len[sig + 1], out->len[sig + 2], out->len[sig + 3], out->len[sig + 4]};
    if (kern_auth_sign(auth, p, n, hex) != 0) {
        set_err(err, errcap, "signing failed");
        kern_wire_free(out);
        return -1;
    }
    if (hex[0]) {
        free(out->data[sig]);
        out->data[sig] = (unsigned char *)strdup(hex);
        if (!out->data[sig]) { out->data[sig] = NULL; goto oom; }
        out->len[sig] = 64;
    }
    return 0;
oom:
    set_err(err, errcap, "out of memory (or a value JSON cannot hold) while encoding");
    kern_wire_free(out);
    return -1;
}
