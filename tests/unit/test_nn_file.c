/* test_nn_file.c -- engine/nn_file.c: a round trip keeps the architecture, every weight, the
 * compile settings and the optimizer's state (training goes on exactly as it would have);
 * unbuilt models; the header layout; and damaged files -- every truncation, flipped bytes,
 * a foreign file, a newer version, a missing file -- are clear IOErrors, never crashes. No
 * temporary file is left behind. Version 1 files still load; a caller's loss function is
 * saved by name and must be given back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/unit/test_nn.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/nabla-nnfile-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(dir);
    return 0;
}

/* dir/name in one of a few rotating buffers (several paths are alive at once). */
static char *path_of(const char *name)
{
    static char p[4][256];
    static int k;
    char *s = p[k++ % 4];
    snprintf(s, 256, "%s/%s", dir, name);
    return s;
}

static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* A compiled CNN with every layer kind, trained for a few steps (moments are nonzero). */
static eng_model *trained_model(eng_rng *rng, eng_tensor **x, eng_tensor **y)
{
    eng_error err;
    eng_model *m = eng_model_new("saved", &err);
    eng_layer_config c = nn_conv(3, 3, ENG_ACT_RELU, "conv");
    c.input_ndim = 3;
    c.input_shape[0] = 6; c.input_shape[1] = 5; c.input_shape[2] = 2;
    c.padding_same = 1;
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_MAXPOOL2D, "pool");
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_BATCHNORM, "bn");
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_FLATTEN, NULL);
    nn_add(m, &c, rng);
    c = nn_cfg(ENG_LAYER_DROPOUT, NULL);
    c.rate = 0.25;
    nn_add(m, &c, rng);
    c = nn_dense(4, ENG_ACT_SOFTMAX, "out");
    nn_add(m, &c, rng);
    nn_compile(m, ENG_OPT_ADAM, 0.01, ENG_LOSS_SPARSE_CCE, 0, 1);
    int64_t n = 20;
    *x = nn_tensor(rng, 4, SHAPE(20, 6, 5, 2), -1, 1);
    *y = eng_tensor_randint(rng, 0, 4, 1, &n, &err);
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.rng = rng;
    o.epochs = 2;
    o.batch_size = 8;
    eng_history *h = eng_model_fit(m, *x, *y, &o, &err);
    if (!h)
        fail_msg("fit: %s", err.msg);
    eng_history_free(h);
    return m;
}

static void assert_same_weights(eng_model *a, eng_model *b)
{
    assert_int_equal(eng_model_layer_count(a), eng_model_layer_count(b));
    for (int i = 0; i < eng_model_layer_count(a); i++) {
        eng_layer *la = eng_model_layer(a, i), *lb = eng_model_layer(b, i);
        assert_string_equal(eng_layer_get_config(la)->name, eng_layer_get_config(lb)->name);
        assert_int_equal(eng_layer_weight_count(la), eng_layer_weight_count(lb));
        for (int k = 0; k < eng_layer_weight_count(la); k++) {
            eng_tensor *wa = eng_layer_weight(la, k), *wb = eng_layer_weight(lb, k);
            assert_true(eng_shape_equal(wa, wb));
            assert_memory_equal(eng_tensor_data(wa), eng_tensor_data(wb), (size_t)wa->size * 4);
        }
    }
}

static void test_nn_file_round_trip(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 1);
    eng_tensor *x, *y;
    eng_model *m = trained_model(&rng, &x, &y);
    assert_int_equal(eng_model_save(m, path_of("m.nabla"), &err), ENG_OK);
    assert_int_equal(files_in_dir(), 1);                     /* no temporary left */
    eng_model *l = eng_model_load(path_of("m.nabla"), &err);
    if (!l)
        fail_msg("load: %s", err.msg);
    assert_string_equal(eng_model_name(l), "saved");
    assert_true(eng_model_is_built(l));
    assert_true(eng_model_is_compiled(l));
    assert_int_equal(eng_model_loss(l)->kind, ENG_LOSS_SPARSE_CCE);
    assert_int_equal(eng_model_metrics(l)->n, 1);
    assert_int_equal(eng_model_metrics(l)->id[0], ENG_METRIC_ACCURACY);
    assert_int_equal(eng_model_param_count(l, 0), eng_model_param_count(m, 0));
    assert_same_weights(m, l);
    const eng_opt_config *oc = eng_optimizer_get_config(eng_model_optimizer(l));
    assert_int_equal(oc->kind, ENG_OPT_ADAM);
    assert_float_equal(oc->learning_rate, 0.01, 0);
    assert_int_equal(eng_optimizer_iterations(eng_model_optimizer(l)), 6);
    assert_float_equal(eng_layer_get_config(eng_model_layer(l, 4))->rate, 0.25, 0);
    /* training both one more epoch with the same generator gives the same weights: the Adam
     * moments came back too */
    eng_fit_options o;
    eng_fit_options_init(&o);
    o.epochs = 1;
    o.batch_size = 8;
    eng_rng r1, r2;
    eng_rng_seed(&r1, 7);
    eng_rng_seed(&r2, 7);
    o.rng = &r1;
    eng_history *h1 = eng_model_fit(m, x, y, &o, &err);
    o.rng = &r2;
    eng_history *h2 = eng_model_fit(l, x, y, &o, &err);
    assert_same_weights(m, l);
    assert_float_equal(h1->values[0], h2->values[0], 0);
    eng_history_free(h1);
    eng_history_free(h2);
    /* saving over an existing file replaces it */
    assert_int_equal(eng_model_save(l, path_of("m.nabla"), &err), ENG_OK);
    assert_int_equal(files_in_dir(), 1);
    eng_model_release(l);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

static void test_nn_file_unbuilt_and_uncompiled(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 2);
    eng_model *m = eng_model_new("plain", &err);
    eng_layer_config c = nn_dense(3, ENG_ACT_RELU, "d");
    nn_add(m, &c, &rng);
    assert_int_equal(eng_model_save(m, path_of("u.nabla"), &err), ENG_OK);
    eng_model *l = eng_model_load(path_of("u.nabla"), &err);
    assert_non_null(l);
    assert_false(eng_model_is_built(l));
    assert_false(eng_model_is_compiled(l));
    assert_int_equal(eng_layer_get_config(eng_model_layer(l, 0))->activation, ENG_ACT_RELU);
    eng_model_release(l);
    eng_model_build(m, 1, SHAPE(4), &rng, &err);
    assert_int_equal(eng_model_save(m, path_of("b.nabla"), &err), ENG_OK);
    l = eng_model_load(path_of("b.nabla"), &err);
    assert_true(eng_model_is_built(l));
    assert_same_weights(m, l);
    eng_model_release(l);
    eng_model_release(m);
}

/* The whole file into a malloc'd buffer. */
static unsigned char *read_all(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void write_all(const char *p, const unsigned char *b, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

static void expect_io_error(const char *p, const char *part)
{
    eng_error err;
    eng_model *m = eng_model_load(p, &err);
    if (m)
        fail_msg("a damaged file loaded");
    assert_int_equal(err.code, ENG_ERR_IO);
    if (part && !strstr(err.msg, part))
        fail_msg("message '%s' does not contain '%s'", err.msg, part);
    assert_non_null(strstr(err.msg, p));                       /* names the path */
}

static void test_nn_file_damaged(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 3);
    eng_tensor *x, *y;
    eng_model *m = trained_model(&rng, &x, &y);
    const char *good = path_of("good.nabla"), *bad = path_of("bad.nabla");
    assert_int_equal(eng_model_save(m, good, &err), ENG_OK);
    size_t len;
    unsigned char *b = read_all(good, &len);
    assert_memory_equal(b, "NABLAMDL\x02\0\0\0\x01\0\0\0", 16);   /* magic, version 2, compiled */
    /* every truncation */
    for (size_t n = 0; n < len; n += (n < 64 ? 1 : 97)) {
        write_all(bad, b, n);
        expect_io_error(bad, n < 8 ? "not a nabla model file" : NULL);
    }
    write_all(bad, b, len - 1);
    expect_io_error(bad, "is damaged: it is truncated");
    /* flipped bytes anywhere: header fields or the checksum catch them */
    for (size_t i = 8; i < len; i += 37) {
        b[i] ^= 0x5a;
        write_all(bad, b, len);
        expect_io_error(bad, NULL);
        b[i] ^= 0x5a;
    }
    b[100] ^= 1;
    write_all(bad, b, len);
    expect_io_error(bad, "its checksum does not match its contents");
    b[100] ^= 1;
    /* a newer version; extra bytes; a foreign file; no file */
    b[8] = 3;
    write_all(bad, b, len);
    expect_io_error(bad, "has format version 3; this nabla reads versions 1 to 2");
    b[8] = 2;
    unsigned char *longer = malloc(len + 3);
    memcpy(longer, b, len);
    memset(longer + len, 0, 3);
    write_all(bad, longer, len + 3);
    expect_io_error(bad, "longer than its header says");
    write_all(bad, (const unsigned char *)"\x93NUMPY", 6);
    expect_io_error(bad, "is not a nabla model file");
    expect_io_error(path_of("missing.nabla"), "No such file or directory");
    /* the good file still loads */
    eng_model *l = eng_model_load(good, &err);
    if (!l)
        fail_msg("good file: %s", err.msg);
    eng_model_release(l);
    /* an unwritable place is an IOError too, and leaves nothing behind */
    assert_int_equal(eng_model_save(m, "/nonexistent-dir/m.nabla", &err), ENG_ERR_IO);
    free(longer);
    free(b);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

/* Version 1 stored compile's metrics as one u32 of flags (bit 0: accuracy) where version 2
 * has a count and ids. A version 2 file of a model compiled with sparse cross-entropy (kind 3,
 * not from logits), ["accuracy"] (id 0) and Adam(0.01) rewritten that way must load with its
 * metric. */
static void test_nn_file_version_1(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    eng_tensor *x, *y;
    eng_model *m = trained_model(&rng, &x, &y);
    const char *v2 = path_of("v2.nabla"), *v1 = path_of("v1.nabla");
    assert_int_equal(eng_model_save(m, v2, &err), ENG_OK);
    size_t len;
    unsigned char *b = read_all(v2, &len);
    static const unsigned char v2_metrics[] = {
        3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,     /* loss, logits, count, id */
        1, 0, 0, 0, 0x7b, 0x14, 0xae, 0x47, 0xe1, 0x7a, 0x84, 0x3f,   /* Adam, lr 0.01 */
    };
    unsigned char *at = memmem(b + 32, len - 32, v2_metrics, sizeof v2_metrics);
    assert_non_null(at);
    size_t off = (size_t)(at - b) + 8;              /* the count; its id follows */
    memmove(b + off + 4, b + off + 8, len - off - 8);   /* count 1 becomes flags 1 */
    len -= 4;
    b[8] = 1;
    uint64_t body = len - 32;
    for (int i = 0; i < 8; i++) b[16 + i] = (unsigned char)(body >> (8 * i));
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b + 32, (uInt)body);
    for (int i = 0; i < 4; i++) b[24 + i] = (unsigned char)(crc >> (8 * i));
    write_all(v1, b, len);
    eng_model *l = eng_model_load(v1, &err);
    if (!l)
        fail_msg("version 1 file: %s", err.msg);
    assert_int_equal(eng_model_metrics(l)->n, 1);
    assert_int_equal(eng_model_metrics(l)->id[0], ENG_METRIC_ACCURACY);
    assert_same_weights(m, l);
    eng_model_release(l);
    free(b);
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

/* A loss of the caller's, in C: the mean squared error, counting its calls. */
typedef struct c_loss {
    eng_loss_fn base;
    int calls;
} c_loss;

static int c_loss_call(eng_loss_fn *fn, eng_tensor *yt, eng_tensor *yp, const float *w,
                       double *loss, eng_tensor *grad, eng_error *err)
{
    (void)w;
    (void)err;
    const float *t = eng_tensor_data(yt), *p = eng_tensor_data(yp);
    double s = 0;
    for (int64_t i = 0; i < yp->size; i++) {
        s += (double)(p[i] - t[i]) * (p[i] - t[i]);
        if (grad) eng_tensor_data(grad)[i] = 2.0f * (p[i] - t[i]) / (float)yp->size;
    }
    *loss = s / (double)yp->size;
    ((c_loss *)fn)->calls++;
    return ENG_OK;
}

static void c_loss_free(eng_loss_fn *fn) { free(fn); }

static c_loss *c_loss_new(void)
{
    c_loss *l = calloc(1, sizeof *l);
    l->base.refcount = 1;
    strcpy(l->base.name, "my_mse");
    l->base.call = c_loss_call;
    l->base.free = c_loss_free;
    return l;
}

/* A model compiled with a caller's loss saves the loss's name; loaded, it cannot train until
 * the loss is given back; damaged copies of such a file are IOErrors too. */
static void test_nn_file_loss_fn(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 5);
    eng_model *m = eng_model_new("custom", &err);
    eng_layer_config c = nn_dense(2, ENG_ACT_LINEAR, "d");
    c.input_ndim = 1;
    c.input_shape[0] = 3;
    nn_add(m, &c, &rng);
    eng_opt_config oc;
    eng_opt_config_init(&oc, ENG_OPT_SGD);
    eng_optimizer *o = eng_optimizer_new(&oc, &err);
    c_loss *cl = c_loss_new();
    eng_loss loss = { ENG_LOSS_MSE, 0, &cl->base };
    assert_int_equal(eng_model_compile(m, o, &loss, NULL, &err), ENG_OK);
    eng_optimizer_release(o);
    eng_tensor *x = nn_tensor(&rng, 2, SHAPE(8, 3), -1, 1), *y = nn_tensor(&rng, 2, SHAPE(8, 2), -1, 1);
    eng_fit_options fo;
    eng_fit_options_init(&fo);
    fo.rng = &rng;
    fo.batch_size = 4;
    eng_history *h = eng_model_fit(m, x, y, &fo, &err);
    assert_non_null(h);
    eng_history_free(h);
    assert_int_equal(cl->calls, 2);
    const char *p = path_of("custom.nabla");
    assert_int_equal(eng_model_save(m, p, &err), ENG_OK);
    eng_model *l = eng_model_load(p, &err);
    if (!l)
        fail_msg("load: %s", err.msg);
    assert_string_equal(eng_model_missing_loss(l), "my_mse");
    assert_null(eng_model_fit(l, x, y, &fo, &err));
    assert_string_equal(err.msg, "model \"custom\" was saved with the loss function 'my_mse', "
                        "which was not given back when it was loaded");
    eng_model_set_loss_fn(l, &cl->base);
    assert_null(eng_model_missing_loss(l));
    eng_logs logs;
    assert_int_equal(eng_model_evaluate(l, x, y, NULL, 8, &logs, NULL, NULL, &err), ENG_OK);
    assert_int_equal(cl->calls, 3);
    eng_model_uncompile(l);
    assert_false(eng_model_is_compiled(l));
    eng_model_release(l);
    size_t len;
    unsigned char *b = read_all(p, &len);
    for (size_t n = 8; n < len; n += 7) {
        write_all(path_of("bad.nabla"), b, n);
        expect_io_error(path_of("bad.nabla"), NULL);
    }
    free(b);
    eng_loss_fn_release(&cl->base);     /* the model holds the last reference */
    eng_model_release(m);
    eng_tensor_release(x);
    eng_tensor_release(y);
}

/* A file whose checksum is right but whose fields are nonsense (crafted): still an error. */
static void test_nn_file_crafted(void **state)
{
    (void)state;
    eng_error err;
    eng_rng rng;
    eng_rng_seed(&rng, 4);
    eng_model *m = eng_model_new("c", &err);
    eng_layer_config c = nn_dense(3, ENG_ACT_RELU, "d");
    c.input_ndim = 1;
    c.input_shape[0] = 2;
    nn_add(m, &c, &rng);
    const char *p = path_of("crafted.nabla");
    assert_int_equal(eng_model_save(m, p, &err), ENG_OK);
    size_t len;
    unsigned char *b = read_all(p, &len);
    /* body offset 32: name "c" (4 + 1), in_ndim i32 ... set the layer kind (after 4 + 1 + 4 +
     * 8 + 4 bytes) to 99 and recompute the CRC the way the writer does */
    size_t kind_at = 32 + 5 + 4 + 8 + 4;
    b[kind_at] = 99;
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, b + 32, (uInt)(len - 32));
    for (int i = 0; i < 4; i++) b[24 + i] = (unsigned char)(crc >> (8 * i));
    write_all(p, b, len);
    expect_io_error(p, "is damaged");
    free(b);
    eng_model_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nn_file_round_trip),
        cmocka_unit_test(test_nn_file_unbuilt_and_uncompiled),
        cmocka_unit_test(test_nn_file_damaged),
        cmocka_unit_test(test_nn_file_version_1),
        cmocka_unit_test(test_nn_file_loss_fn),
        cmocka_unit_test(test_nn_file_crafted),
    };
    return cmocka_run_group_tests_name("nn_file", tests, setup, teardown);
}
