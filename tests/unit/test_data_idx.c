/*
 * test_data_idx.c -- engine/data_idx.c: IDX files of every element type, plain and gzip'd;
 * every kind of damaged file; Fashion-MNIST from a small fake folder, from $NABLA_DATA, and
 * (when Debian's dataset-fashion-mnist is installed, as `make test` ensures) the real files,
 * whole and damaged. Expected real-data figures were computed with NumPy from the same files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <time.h>

#include "test_engine.h"
#include "test_data.h"

static char dir[256];      /* a scratch folder per test */

static int setup(void **state) { td_mkdir(dir); return 0; }
static int teardown(void **state) { td_rmdir(dir); return 0; }

/* An IDX file of type 0x08 with the given dims and bytes, plain or gzip'd. */
static void write_idx_u8(const char *path, int ndim, const uint32_t *dims, const unsigned char *data,
                         size_t n, int gz)
{
    unsigned char buf[4096];
    size_t h = td_idx_header(buf, 0x08, ndim, dims);
    memcpy(buf + h, data, n);
    if (gz) td_write_gz(path, buf, h + n);
    else td_write(path, buf, h + n);
}

static void expect_idx_error(const char *path, const char *want)
{
    eng_error err;
    eng_tensor *t = eng_idx_load(path, &err);
    assert_error(t, &err, ENG_ERR_IO, want);
}

/* ---- IDX ----------------------------------------------------------------------------------- */

static void test_idx_ubyte_plain_and_gzip(void **state)
{
    eng_error err;
    const unsigned char data[6] = { 0, 1, 2, 3, 128, 255 };
    for (int gz = 0; gz < 2; gz++) {
        const char *p = td_path(dir, gz ? "a.gz" : "a");
        write_idx_u8(p, 2, (const uint32_t[]){ 2, 3 }, data, 6, gz);
        eng_tensor *t = eng_idx_load(p, &err);
        check_release(t, 2, SHAPE(2, 3), DATA(0, 1, 2, 3, 128, 255), 0);
    }
}

static void test_idx_element_types(void **state)
{
    eng_error err;
    unsigned char buf[64];
    const char *p = td_path(dir, "t");
    /* signed byte: -1, 5 */
    size_t h = td_idx_header(buf, 0x09, 1, (const uint32_t[]){ 2 });
    buf[h] = 0xff; buf[h + 1] = 5;
    td_write(p, buf, h + 2);
    check_release(eng_idx_load(p, &err), 1, SHAPE(2), DATA(-1, 5), 0);
    /* short, big-endian: -300 = 0xfed4, 258 = 0x0102 */
    h = td_idx_header(buf, 0x0B, 1, (const uint32_t[]){ 2 });
    memcpy(buf + h, "\xfe\xd4\x01\x02", 4);
    td_write(p, buf, h + 4);
    check_release(eng_idx_load(p, &err), 1, SHAPE(2), DATA(-300, 258), 0);
    /* int: -2 = 0xfffffffe, 70000 = 0x00011170 */
    h = td_idx_header(buf, 0x0C, 1, (const uint32_t[]){ 2 });
    memcpy(buf + h, "\xff\xff\xff\xfe\x00\x01\x11\x70", 8);
    td_write(p, buf, h + 8);
    check_release(eng_idx_load(p, &err), 1, SHAPE(2), DATA(-2, 70000), 0);
    /* float 1.5 = 0x3fc00000; double -2.25 = 0xc002000000000000; 3-d shape (1, 1, 1) */
    h = td_idx_header(buf, 0x0D, 3, (const uint32_t[]){ 1, 1, 1 });
    memcpy(buf + h, "\x3f\xc0\x00\x00", 4);
    td_write(p, buf, h + 4);
    check_release(eng_idx_load(p, &err), 3, SHAPE(1, 1, 1), DATA(1.5f), 0);
    h = td_idx_header(buf, 0x0E, 1, (const uint32_t[]){ 1 });
    memcpy(buf + h, "\xc0\x02\x00\x00\x00\x00\x00\x00", 8);
    td_write(p, buf, h + 8);
    check_release(eng_idx_load(p, &err), 1, SHAPE(1), DATA(-2.25f), 0);
    /* a size-0 dimension is a valid empty tensor */
    h = td_idx_header(buf, 0x08, 2, (const uint32_t[]){ 0, 28 });
    td_write(p, buf, h);
    eng_tensor *t = eng_idx_load(p, &err);
    assert_shape(t, 2, SHAPE(0, 28));
    eng_tensor_release(t);
}

static void test_idx_missing_and_bad_magic(void **state)
{
    char want[1024];
    unsigned char buf[64];
    const char *p = td_path(dir, "x");
    snprintf(want, sizeof want, "cannot open %s: No such file or directory", p);
    expect_idx_error(p, want);

    memcpy(buf, "\x01\x00\x08\x01\x00\x00\x00\x01\x07", 9);
    td_write(p, buf, 9);
    snprintf(want, sizeof want, "%s is not an IDX file: bad magic number 01 00 08 01 (expected "
             "00 00, a type byte 08..0e and 1..8 dimensions)", p);
    expect_idx_error(p, want);
    memcpy(buf, "\x00\x00\x07\x01", 4);                 /* unknown element type */
    td_write(p, buf, 9);
    snprintf(want, sizeof want, "%s is not an IDX file: bad magic number 00 00 07 01 (expected "
             "00 00, a type byte 08..0e and 1..8 dimensions)", p);
    expect_idx_error(p, want);
    memcpy(buf, "\x00\x00\x08\x00", 4);                 /* no dimensions */
    td_write(p, buf, 9);
    snprintf(want, sizeof want, "%s is not an IDX file: bad magic number 00 00 08 00 (expected "
             "00 00, a type byte 08..0e and 1..8 dimensions)", p);
    expect_idx_error(p, want);

    td_write_text(p, "ab");
    snprintf(want, sizeof want, "%s is damaged: it is too short to be an IDX file (2 bytes)", p);
    expect_idx_error(p, want);
    td_write(p, "", 0);
    snprintf(want, sizeof want, "%s is damaged: it is too short to be an IDX file (0 bytes)", p);
    expect_idx_error(p, want);

    snprintf(want, sizeof want, "cannot read %s: Is a directory", dir);
    expect_idx_error(dir, want);
}

static void test_idx_wrong_sizes(void **state)
{
    char want[1024];
    unsigned char buf[64];
    const char *p = td_path(dir, "x");
    /* header cut inside the sizes */
    size_t h = td_idx_header(buf, 0x08, 3, (const uint32_t[]){ 2, 28, 28 });
    td_write(p, buf, h - 2);
    snprintf(want, sizeof want, "%s is damaged: its header is cut short (the file ends too early)", p);
    expect_idx_error(p, want);
    /* fewer data bytes than the header says */
    h = td_idx_header(buf, 0x08, 2, (const uint32_t[]){ 2, 3 });
    td_write(p, buf, h + 4);
    snprintf(want, sizeof want, "%s is damaged: its header promises 6 elements, the data stops "
             "after 4 (the file ends too early)", p);
    expect_idx_error(p, want);
    /* more */
    td_write(p, buf, h + 7);
    snprintf(want, sizeof want, "%s is damaged: it holds more data than its header says (6 "
             "elements)", p);
    expect_idx_error(p, want);
    /* a header asking for far more than any machine has */
    h = td_idx_header(buf, 0x08, 3, (const uint32_t[]){ 0xffffffffu, 0xffffffffu, 28 });
    td_write(p, buf, h + 10);
    snprintf(want, sizeof want, "%s is damaged or too large: its header says shape (4294967295, "
             "4294967295, 28)", p);
    expect_idx_error(p, want);
}

static void test_idx_damaged_gzip(void **state)
{
    char want[1024];
    unsigned char data[3000];
    eng_error err;
    for (int i = 0; i < 3000; i++) data[i] = (unsigned char)(i * 7919 % 251);
    const char *p = td_path(dir, "x.gz"), *q = td_path(dir, "y.gz");
    write_idx_u8(p, 2, (const uint32_t[]){ 3, 1000 }, data, 3000, 1);
    /* cut in the middle of the compressed stream */
    size_t n;
    unsigned char *gz = td_read(p, &n);
    td_write(q, gz, n / 2);
    eng_tensor *t = eng_idx_load(q, &err);
    assert_null(t);
    assert_int_equal(err.code, ENG_ERR_IO);
    snprintf(want, sizeof want, "%s is damaged: its header promises 3000 elements, the data stops "
             "after ", q);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, "(unexpected end of file)"));
    /* the gzip trailer's CRC changed: the data reads, the check at the end fails */
    gz[n - 6] ^= 0x55;
    td_write(q, gz, n);
    snprintf(want, sizeof want, "%s is damaged: incorrect data check", q);
    expect_idx_error(q, want);
    /* no trailer at all: every data byte is there, the CRC and length are not */
    td_write(q, gz, n - 8);
    snprintf(want, sizeof want, "%s is damaged: unexpected end of file", q);
    expect_idx_error(q, want);
    /* a flipped bit inside the deflate data */
    gz[n - 6] ^= 0x55;
    gz[n / 2] ^= 0x10;
    td_write(q, gz, n);
    t = eng_idx_load(q, &err);
    assert_null(t);
    assert_int_equal(err.code, ENG_ERR_IO);
    snprintf(want, sizeof want, "%s is damaged", q);
    assert_memory_equal(err.msg, want, strlen(want));
    free(gz);
}

/* ---- Fashion-MNIST from a fake folder ------------------------------------------------------ */

static const char *const fm_files[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
};

/* dir gets n_train and n_test images (pixel k of image i = (i + k) % 256) and labels i % 10. */
static void write_fake_fashion(const char *dir, uint32_t n_train, uint32_t n_test)
{
    static unsigned char pix[5 * 784], lab[5];
    char name[64];
    for (int s = 0; s < 2; s++) {
        uint32_t n = s ? n_test : n_train;
        for (uint32_t i = 0; i < n; i++) {
            for (int k = 0; k < 784; k++) pix[i * 784 + (uint32_t)k] = (unsigned char)((i + (uint32_t)k) % 256);
            lab[i] = (unsigned char)(i % 10);
        }
        snprintf(name, sizeof name, "%s.gz", fm_files[2 * s]);
        write_idx_u8(td_path(dir, name), 3, (const uint32_t[]){ n, 28, 28 }, pix, n * 784, 1);
        snprintf(name, sizeof name, "%s.gz", fm_files[2 * s + 1]);
        write_idx_u8(td_path(dir, name), 1, (const uint32_t[]){ n }, lab, n, 1);
    }
}

static void release4(eng_tensor *out[4])
{
    for (int i = 0; i < 4; i++) eng_tensor_release(out[i]);
}

static void test_fashion_fake_folder(void **state)
{
    eng_tensor *out[4];
    eng_error err;
    write_fake_fashion(dir, 3, 2);
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_OK);
    assert_shape(out[0], 3, SHAPE(3, 28, 28));
    assert_tensor(out[1], 1, SHAPE(3), DATA(0, 1, 2), 0);
    assert_shape(out[2], 3, SHAPE(2, 28, 28));
    assert_tensor(out[3], 1, SHAPE(2), DATA(0, 1), 0);
    assert_true(eng_tensor_get(out[0], (const int64_t[]){ 2, 0, 5 }) == 7.0f);
    assert_true(eng_tensor_get(out[0], (const int64_t[]){ 1, 27, 27 }) == (float)((1 + 783) % 256));
    release4(out);
    /* an uncompressed file is read in place of a missing .gz */
    char name[64];
    snprintf(name, sizeof name, "%s.gz", fm_files[3]);
    unlink(td_path(dir, name));
    write_idx_u8(td_path(dir, fm_files[3]), 1, (const uint32_t[]){ 2 }, (const unsigned char[]){ 9, 8 }, 2, 0);
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_OK);
    assert_tensor(out[3], 1, SHAPE(2), DATA(9, 8), 0);
    release4(out);
}

static void test_fashion_dir_from_env(void **state)
{
    char buf[1024], sub[512];
    const char *old = getenv("NABLA_DATA");
    char *saved = old ? strdup(old) : NULL;
    unsetenv("NABLA_DATA");
    assert_string_equal(eng_fashion_mnist_dir(buf, sizeof buf), "/usr/share/datasets/fashion-mnist");
    setenv("NABLA_DATA", "", 1);
    assert_string_equal(eng_fashion_mnist_dir(buf, sizeof buf), ENG_FASHION_MNIST_DIR);
    setenv("NABLA_DATA", dir, 1);
    assert_string_equal(eng_fashion_mnist_dir(buf, sizeof buf), dir);
    snprintf(sub, sizeof sub, "%s/fashion-mnist", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_string_equal(eng_fashion_mnist_dir(buf, sizeof buf), sub);
    /* the loader follows it */
    eng_tensor *out[4];
    eng_error err;
    write_fake_fashion(sub, 1, 1);
    assert_int_equal(eng_fashion_mnist_load(NULL, out, &err), ENG_OK);
    assert_shape(out[0], 3, SHAPE(1, 28, 28));
    release4(out);
    if (saved) setenv("NABLA_DATA", saved, 1);
    else unsetenv("NABLA_DATA");
    free(saved);
}

/* The load fails with exactly msg and hint, leaving every out[i] NULL. */
static void expect_fashion_error(const char *dir, const char *msg, const char *hint)
{
    eng_tensor *out[4] = { (eng_tensor *)1, (eng_tensor *)1, (eng_tensor *)1, (eng_tensor *)1 };
    eng_error err;
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_ERR_IO);
    for (int i = 0; i < 4; i++) assert_null(out[i]);
    assert_int_equal(err.code, ENG_ERR_IO);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.hint, hint);
}

#define HINT_INSTALL "sudo apt-get install dataset-fashion-mnist, or set NABLA_DATA to a folder " \
                     "holding the four .gz files"
#define HINT_REINSTALL "sudo apt-get install --reinstall dataset-fashion-mnist"

static void test_fashion_missing_and_damaged(void **state)
{
    char want[1024], name[64];
    snprintf(want, sizeof want, "cannot open %s/train-images-idx3-ubyte.gz: No such file or "
             "directory; install the Debian package dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_INSTALL);
    snprintf(want, sizeof want, "cannot open /nonexistent/nabla/train-images-idx3-ubyte.gz: No such "
             "file or directory; install the Debian package dataset-fashion-mnist");
    expect_fashion_error("/nonexistent/nabla", want, HINT_INSTALL);

    /* one file of four missing */
    write_fake_fashion(dir, 3, 2);
    snprintf(name, sizeof name, "%s.gz", fm_files[3]);
    unlink(td_path(dir, name));
    snprintf(want, sizeof want, "cannot open %s/t10k-labels-idx1-ubyte.gz: No such file or "
             "directory; install the Debian package dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_INSTALL);

    /* a label out of range */
    write_fake_fashion(dir, 3, 2);
    snprintf(name, sizeof name, "%s.gz", fm_files[1]);
    write_idx_u8(td_path(dir, name), 1, (const uint32_t[]){ 3 }, (const unsigned char[]){ 1, 10, 2 }, 3, 1);
    snprintf(want, sizeof want, "%s/train-labels-idx1-ubyte.gz is damaged: label 1 is 10, not a "
             "class 0..9; reinstall the Debian package dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_REINSTALL);

    /* labels and images disagree */
    write_idx_u8(td_path(dir, name), 1, (const uint32_t[]){ 2 }, (const unsigned char[]){ 1, 2 }, 2, 1);
    snprintf(want, sizeof want, "%s/train-labels-idx1-ubyte.gz is damaged: it holds labels of "
             "shape (2,) for 3 images; reinstall the Debian package dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_REINSTALL);

    /* images that are not 28 x 28 */
    write_fake_fashion(dir, 3, 2);
    snprintf(name, sizeof name, "%s.gz", fm_files[2]);
    static unsigned char pix[2 * 28 * 27];
    write_idx_u8(td_path(dir, name), 3, (const uint32_t[]){ 2, 28, 27 }, pix, sizeof pix, 1);
    snprintf(want, sizeof want, "%s/t10k-images-idx3-ubyte.gz is damaged: it holds images of "
             "shape (2, 28, 27), expected (N, 28, 28); reinstall the Debian package "
             "dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_REINSTALL);

    /* a gzip file cut inside its header */
    td_write(td_path(dir, name), "\x1f\x8b", 2);
    snprintf(want, sizeof want, "%s/t10k-images-idx3-ubyte.gz is damaged: unexpected end of file; "
             "reinstall the Debian package dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_REINSTALL);
}

/* ---- the real files ------------------------------------------------------------------------ */

static int have_real_fashion(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s.gz", ENG_FASHION_MNIST_DIR, fm_files[0]);
    if (access(p, R_OK) == 0) return 1;
    print_message("skipped: %s is not installed (apt-get install dataset-fashion-mnist)\n", p);
    return 0;
}

static double sum_all(const eng_tensor *t)
{
    double s = 0;
    for (int64_t i = 0; i < t->size; i++) s += t->storage->data[i];
    return s;
}

static void test_fashion_real(void **state)
{
    if (!have_real_fashion()) { skip(); return; }
    eng_tensor *out[4];
    eng_error err;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = eng_fashion_mnist_load(ENG_FASHION_MNIST_DIR, out, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc != ENG_OK) fail_msg("%s", err.msg);
    print_message("load_fashion_mnist: %.3f s\n",
                  (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9);
    assert_shape(out[0], 3, SHAPE(60000, 28, 28));
    assert_shape(out[2], 3, SHAPE(10000, 28, 28));
    /* Keras: y_train[:10] = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]; y_test[:8] = [9, 2, 1, 1, 6, 1, 4, 6] */
    eng_index first[1] = { { .kind = ENG_IDX_SLICE, .stop = 10, .has_stop = 1 } };
    eng_tensor *y = eng_index_get(out[1], 1, first, &err);
    check_release(y, 1, SHAPE(10), DATA(9, 0, 0, 3, 0, 2, 7, 2, 5, 5), 0);
    first[0].stop = 8;
    y = eng_index_get(out[3], 1, first, &err);
    check_release(y, 1, SHAPE(8), DATA(9, 2, 1, 1, 6, 1, 4, 6), 0);
    /* pixel figures from NumPy on the same files */
    assert_true(eng_tensor_get(out[0], (const int64_t[]){ 0, 14, 14 }) == 217.0f);
    assert_true(eng_tensor_get(out[0], (const int64_t[]){ 0, 7, 13 }) == 69.0f);
    assert_true(sum_all(out[0]) == 3431114169.0);
    double s0 = 0, s_last = 0;
    for (int k = 0; k < 784; k++) {
        s0 += out[2]->storage->data[k];
        s_last += out[2]->storage->data[9999 * 784 + k];
    }
    assert_true(s0 == 33456 && s_last == 24390);
    release4(out);
}

/* Damaged copies of the real files (truncated, wrong file in place) give errors naming them. */
static void test_fashion_real_damaged(void **state)
{
    if (!have_real_fashion()) { skip(); return; }
    char want[1024], src[512], name[64];
    eng_tensor *out[4];
    eng_error err;
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.gz", fm_files[i]);
        snprintf(src, sizeof src, "%s/%s", ENG_FASHION_MNIST_DIR, name);
        if (symlink(src, td_path(dir, name)) != 0) fail_msg("symlink failed");
    }
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_OK);
    release4(out);
    /* train images cut to 1 MB of their 26 MB */
    snprintf(name, sizeof name, "%s.gz", fm_files[0]);
    snprintf(src, sizeof src, "%s/%s", ENG_FASHION_MNIST_DIR, name);
    unlink(td_path(dir, name));
    td_copy_prefix(src, td_path(dir, name), 1 << 20);
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_ERR_IO);
    snprintf(want, sizeof want, "%s/train-images-idx3-ubyte.gz is damaged: its header promises "
             "47040000 elements, the data stops after ", dir);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_non_null(strstr(err.msg, "(unexpected end of file); reinstall the Debian package "
                           "dataset-fashion-mnist"));
    assert_string_equal(err.hint, HINT_REINSTALL);
    /* the test labels where the train images should be */
    unlink(td_path(dir, name));
    snprintf(src, sizeof src, "%s/%s.gz", ENG_FASHION_MNIST_DIR, fm_files[3]);
    if (symlink(src, td_path(dir, name)) != 0) fail_msg("symlink failed");
    snprintf(want, sizeof want, "%s/train-images-idx3-ubyte.gz is damaged: it holds images of "
             "shape (10000,), expected (N, 28, 28); reinstall the Debian package "
             "dataset-fashion-mnist", dir);
    expect_fashion_error(dir, want, HINT_REINSTALL);
    /* a gzip file of 10 bytes */
    unlink(td_path(dir, name));
    td_copy_prefix(src, td_path(dir, name), 10);
    assert_int_equal(eng_fashion_mnist_load(dir, out, &err), ENG_ERR_IO);
    snprintf(want, sizeof want, "%s/train-images-idx3-ubyte.gz is damaged", dir);
    assert_memory_equal(err.msg, want, strlen(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idx_ubyte_plain_and_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idx_element_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idx_missing_and_bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idx_wrong_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idx_damaged_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fashion_fake_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fashion_dir_from_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fashion_missing_and_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fashion_real, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fashion_real_damaged, setup, teardown),
    };
    return cmocka_run_group_tests_name("data_idx", tests, NULL, NULL);
}
