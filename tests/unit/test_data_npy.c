/*
 * test_data_npy.c -- engine/data_npy.c: .npy round trips, the exact header numpy.save writes,
 * every dtype the reader converts, damaged files, and NumPy itself (/usr/bin/python3, installed
 * by `make test`) reading our files and writing files we read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include "test_engine.h"
#include "test_data.h"

static char dir[256];

static int setup(void **state) { td_mkdir(dir); return 0; }
static int teardown(void **state) { td_rmdir(dir); return 0; }

static void save(const char *name, eng_tensor *t)
{
    eng_error err;
    if (eng_npy_save(td_path(dir, name), t, &err) != ENG_OK) fail_msg("%s", err.msg);
}

static eng_tensor *load(const char *name)
{
    eng_error err;
    eng_tensor *t = eng_npy_load(td_path(dir, name), &err);
    if (!t) fail_msg("%s", err.msg);
    return t;
}

/* A .npy file with the given header dict (padded to 64 bytes, version 1.0) and data bytes. */
static void write_npy(const char *name, const char *dict, const void *data, size_t n)
{
    unsigned char buf[1024];
    size_t len = strlen(dict), hlen = len + 1, pad = 64 - (10 + hlen) % 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)((hlen + pad) & 0xff);
    buf[9] = (unsigned char)((hlen + pad) >> 8);
    memcpy(buf + 10, dict, len);
    memset(buf + 10 + len, ' ', pad);
    buf[10 + len + pad] = '\n';
    memcpy(buf + 11 + len + pad, data, n);
    td_write(td_path(dir, name), buf, 11 + len + pad + n);
}

/* ---- writing ------------------------------------------------------------------------------- */

static void test_npy_round_trip(void **state)
{
    eng_error err;
    eng_tensor *t = trange(2, SHAPE(3, 4));
    save("a.npy", t);
    check_release(load("a.npy"), 2, SHAPE(3, 4), DATA(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 0);
    /* a view is written in its own row-major order */
    eng_tensor *tt = eng_transpose(t, NULL, &err);
    save("t.npy", tt);
    check_release(load("t.npy"), 2, SHAPE(4, 3), DATA(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11), 0);
    eng_tensor_release(tt);
    eng_tensor_release(t);
    t = eng_tensor_scalar(-2.5f, &err);
    save("s.npy", t);
    check_release(load("s.npy"), 0, SHAPE(0), DATA(-2.5f), 0);
    eng_tensor_release(t);
    t = eng_tensor_new(2, SHAPE(0, 3), &err);
    save("e.npy", t);
    eng_tensor *e = load("e.npy");
    assert_shape(e, 2, SHAPE(0, 3));
    eng_tensor_release(e);
    eng_tensor_release(t);
    t = tmake(1, SHAPE(4), DATA(NAN, INFINITY, -0.0f, 1e-45f));
    save("f.npy", t);
    check_release(load("f.npy"), 1, SHAPE(4), DATA(NAN, INFINITY, -0.0f, 1e-45f), 0);
    eng_tensor_release(t);
    t = trange(5, SHAPE(1, 2, 1, 2, 3));
    save("five.npy", t);
    e = load("five.npy");
    float *v = tvalues(t);
    assert_tensor(e, 5, SHAPE(1, 2, 1, 2, 3), v, 0);
    free(v);
    eng_tensor_release(e);
    eng_tensor_release(t);
}

/* file starts with the n bytes of want, then spaces up to a '\n' at byte 127 (a 128-byte header). */
static void expect_header(const char *name, const char *want, size_t n, size_t data_bytes)
{
    size_t len;
    unsigned char *b = td_read(td_path(dir, name), &len);
    assert_int_equal(len, 128 + data_bytes);
    assert_memory_equal(b, want, n);
    for (size_t i = n; i < 127; i++) assert_int_equal(b[i], ' ');
    assert_int_equal(b[127], '\n');
    free(b);
}

#define WANT(s) s, sizeof s - 1

/* The exact bytes numpy.save (NumPy 1.24) writes for float32 arrays of these shapes: the dict,
 * 21 - len(str(shape[0])) spaces of growth room, padding to 64 bytes, '\n'. */
static void test_npy_header_bytes(void **state)
{
    eng_tensor *t = trange(2, SHAPE(3, 4));
    save("a.npy", t);
    expect_header("a.npy", WANT("\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (3, 4), }"), 48);
    eng_tensor_release(t);
    t = eng_tensor_scalar(1, NULL);
    save("s.npy", t);
    expect_header("s.npy", WANT("\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (), }"), 4);
    eng_tensor_release(t);
    t = trange(1, SHAPE(5));
    save("v.npy", t);
    expect_header("v.npy", WANT("\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (5,), }"), 20);
    eng_tensor_release(t);
}

static void test_npy_save_errors(void **state)
{
    eng_error err;
    eng_tensor *t = trange(1, SHAPE(3));
    assert_int_equal(eng_npy_save("/nonexistent/nabla/x.npy", t, &err), ENG_ERR_IO);
    assert_string_equal(err.msg, "cannot write /nonexistent/nabla/x.npy: No such file or directory");
    /* over a folder: the temporary file is written, the rename fails, nothing is left behind */
    const char *sub = td_path(dir, "sub.npy");
    assert_int_equal(mkdir(sub, 0700), 0);
    char want[512];
    assert_int_equal(eng_npy_save(sub, t, &err), ENG_ERR_IO);
    snprintf(want, sizeof want, "cannot write %s: Is a directory", sub);
    assert_string_equal(err.msg, want);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", sub);
    assert_int_not_equal(access(tmp, F_OK), 0);
    rmdir(sub);
    eng_tensor_release(t);
}

/* ---- reading every dtype --------------------------------------------------------------------- */

static void test_npy_dtypes(void **state)
{
    const float want[4] = { 0, 1, 2, 255 };
    double f8[4] = { 0, 1, 2, 255 };
    write_npy("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f8, sizeof f8);
    check_release(load("f8.npy"), 2, SHAPE(2, 2), want, 0);
    int64_t i8[4] = { 0, 1, 2, 255 };
    write_npy("i8.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", i8, sizeof i8);
    check_release(load("i8.npy"), 1, SHAPE(4), want, 0);
    int32_t i4[4] = { 0, -1, 2, 70000 };
    write_npy("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", i4, sizeof i4);
    check_release(load("i4.npy"), 1, SHAPE(4), DATA(0, -1, 2, 70000), 0);
    uint8_t u1[4] = { 0, 1, 2, 255 };
    write_npy("u1.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 4), }", u1, 4);
    check_release(load("u1.npy"), 2, SHAPE(1, 4), want, 0);
    uint8_t b1[3] = { 1, 0, 1 };
    write_npy("b1.npy", "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", b1, 3);
    eng_tensor *t = load("b1.npy");
    assert_true(t->is_bool);
    check_release(t, 1, SHAPE(3), DATA(1, 0, 1), 0);
    int8_t i1[2] = { -128, 127 };
    write_npy("i1.npy", "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", i1, 2);
    check_release(load("i1.npy"), 1, SHAPE(2), DATA(-128, 127), 0);
    /* big-endian: int16 -300 = fe d4, uint16 513 = 02 01, float32 1.5 = 3f c0 00 00 */
    write_npy("bi2.npy", "{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }", "\xfe\xd4", 2);
    check_release(load("bi2.npy"), 1, SHAPE(1), DATA(-300), 0);
    write_npy("bu2.npy", "{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }", "\x02\x01", 2);
    check_release(load("bu2.npy"), 1, SHAPE(1), DATA(513), 0);
    write_npy("bf4.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "\x3f\xc0\x00\x00", 4);
    check_release(load("bf4.npy"), 1, SHAPE(1), DATA(1.5f), 0);
    uint64_t u8v[1] = { 1ull << 40 };
    write_npy("u8.npy", "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", u8v, 8);
    check_release(load("u8.npy"), 1, SHAPE(1), DATA(1099511627776.0f), 0);
    uint32_t u4v[1] = { 4000000000u };
    write_npy("u4.npy", "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", u4v, 4);
    check_release(load("u4.npy"), 1, SHAPE(1), DATA(4e9f), 0);
    /* keys in another order, double quotes, Python 2 longs, no trailing comma */
    float f4[2] = { 3, 4 };
    write_npy("k.npy", "{\"shape\": (2L,), 'fortran_order': False, 'descr': '<f4'}", f4, 8);
    check_release(load("k.npy"), 1, SHAPE(2), DATA(3, 4), 0);
}

static void test_npy_version2(void **state)
{
    unsigned char buf[256];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    size_t len = strlen(dict), hlen = len + 1, pad = 64 - (12 + hlen) % 64;
    memcpy(buf, "\x93NUMPY\x02\x00", 8);
    uint32_t h = (uint32_t)(hlen + pad);
    buf[8] = (unsigned char)h; buf[9] = (unsigned char)(h >> 8); buf[10] = buf[11] = 0;
    memcpy(buf + 12, dict, len);
    memset(buf + 12 + len, ' ', pad);
    buf[12 + len + pad] = '\n';
    float f4[2] = { 7, 8 };
    memcpy(buf + 13 + len + pad, f4, 8);
    td_write(td_path(dir, "v2.npy"), buf, 13 + len + pad + 8);
    check_release(load("v2.npy"), 1, SHAPE(2), DATA(7, 8), 0);
}

/* ---- damaged files ----------------------------------------------------------------------- */

static void expect_load_error(const char *name, const char *msg, const char *hint)
{
    eng_error err;
    char want[600];
    const char *p = td_path(dir, name);
    snprintf(want, sizeof want, msg, p);
    assert_error(eng_npy_load(p, &err), &err, ENG_ERR_IO, want);
    assert_string_equal(err.hint, hint);
}

static void test_npy_load_errors(void **state)
{
    float f4[4] = { 1, 2, 3, 4 };
    expect_load_error("none.npy", "cannot open %s: No such file or directory", "");
    td_write_text(td_path(dir, "x.npy"), "hello, this is not numpy");
    expect_load_error("x.npy", "%s is not a .npy file (it does not start with \\x93NUMPY)", "");
    td_write(td_path(dir, "x.npy"), "\x93NUM", 4);
    expect_load_error("x.npy", "%s is not a .npy file (it does not start with \\x93NUMPY)", "");
    td_write(td_path(dir, "x.npy"), "\x93NUMPY\x04\x00\x10\x00", 10);
    expect_load_error("x.npy", "%s has .npy format version 4.0, which nabla cannot read (1.0 to 3.0)", "");
    td_write(td_path(dir, "x.npy"), "\x93NUMPY\x01\x00\x76\x00{'descr'", 17);
    expect_load_error("x.npy", "%s is damaged: its header is cut short", "");
    td_write(td_path(dir, "x.npy"), "\x93NUMPY\x02\x00\x76\x00\x00\x70", 12);
    expect_load_error("x.npy", "%s is damaged: its header length 1879048310 is too large", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: its header is not a valid .npy header", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4,), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: its header is not a valid .npy header", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4, -1), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: its header is not a valid .npy header", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", f4, 4);
    expect_load_error("x.npy", "%s is damaged: its header is not a valid .npy header", "");
    write_npy("x.npy", "not a dict at all", f4, 16);
    expect_load_error("x.npy", "%s is damaged: its header is not a valid .npy header", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", f4, 16);
    expect_load_error("x.npy", "%s is stored in Fortran order, which nabla cannot read",
                      "save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(a))");
    const char *hint = "save float, int, uint8 or bool arrays, e.g. numpy.save(path, a.astype('float32'))";
    write_npy("x.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", f4, 16);
    expect_load_error("x.npy", "%s holds dtype '<c8', which nabla cannot read", hint);
    write_npy("x.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", f4, 4);
    expect_load_error("x.npy", "%s holds dtype '<f2', which nabla cannot read", hint);
    write_npy("x.npy", "{'descr': '<U10', 'fortran_order': False, 'shape': (1,), }", f4, 16);
    expect_load_error("x.npy", "%s holds dtype '<U10', which nabla cannot read", hint);
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: shape and dtype need 24 bytes of data, the file has 16", "");
    write_npy("x.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: shape and dtype need 24 bytes of data, the file has 16", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged: it has more data than its shape and dtype need (12 bytes)", "");
    write_npy("x.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", f4, 16);
    expect_load_error("x.npy", "%s is damaged or too large: its header says shape (99999999999, 99999999999)", "");
    char want[600];
    eng_error err;
    snprintf(want, sizeof want, "cannot read %s: Is a directory", dir);
    assert_error(eng_npy_load(dir, &err), &err, ENG_ERR_IO, want);
}

/* A saved file cut at every length is an error, never a crash. */
static void test_npy_truncated_everywhere(void **state)
{
    eng_error err;
    eng_tensor *t = trange(2, SHAPE(2, 3));
    save("a.npy", t);
    size_t n;
    unsigned char *b = td_read(td_path(dir, "a.npy"), &n);
    for (size_t k = 0; k < n; k++) {
        td_write(td_path(dir, "cut.npy"), b, k);
        eng_tensor *c = eng_npy_load(td_path(dir, "cut.npy"), &err);
        assert_null(c);
        assert_int_equal(err.code, ENG_ERR_IO);
    }
    free(b);
    eng_tensor_release(t);
}

/* ---- NumPy ------------------------------------------------------------------------------- */

/* Runs a Python program with NumPy; returns its exit status (0: every check passed). */
static int run_python(const char *program)
{
    const char *py = td_path(dir, "check.py");
    char cmd[1200];
    td_write_text(py, program);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", py, dir);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_numpy_reads_ours(void **state)
{
    eng_error err;
    eng_tensor *a = trange(2, SHAPE(3, 4));
    eng_tensor *h = eng_binary_scalar(ENG_BIN_MUL, a, 0.1f, 0, &err);     /* not exact decimals */
    save("ours_2d.npy", h);
    eng_tensor *s = eng_tensor_scalar(2.5f, &err);
    save("ours_0d.npy", s);
    eng_tensor *v = tmake(1, SHAPE(3), DATA(NAN, -INFINITY, 1e-40f));
    save("ours_1d.npy", v);
    eng_tensor *w = trange(4, SHAPE(2, 1, 3, 2));
    save("ours_4d.npy", w);
    eng_tensor *z = eng_tensor_new(2, SHAPE(0, 5), &err);
    save("ours_empty.npy", z);
    int rc = run_python(
        "import io, sys, numpy as np\n"
        "d = sys.argv[1]\n"
        "want = {\n"
        "  'ours_2d': np.arange(12, dtype=np.float32).reshape(3, 4) * np.float32(0.1),\n"
        "  'ours_0d': np.array(2.5, np.float32),\n"
        "  'ours_1d': np.array([np.nan, -np.inf, 1e-40], np.float32),\n"
        "  'ours_4d': np.arange(12, dtype=np.float32).reshape(2, 1, 3, 2),\n"
        "  'ours_empty': np.zeros((0, 5), np.float32),\n"
        "}\n"
        "for name, w in want.items():\n"
        "    a = np.load(f'{d}/{name}.npy')\n"
        "    assert a.dtype == np.float32 and a.shape == w.shape, (name, a.dtype, a.shape)\n"
        "    assert np.array_equal(a, w, equal_nan=True), (name, a, w)\n"
        "    b = io.BytesIO(); np.save(b, w)\n"
        "    assert b.getvalue() == open(f'{d}/{name}.npy', 'rb').read(), name + ': bytes differ'\n"
        "sys.exit(0)\n");
    assert_int_equal(rc, 0);
    eng_tensor_release(a); eng_tensor_release(h); eng_tensor_release(s);
    eng_tensor_release(v); eng_tensor_release(w); eng_tensor_release(z);
}

static void test_we_read_numpys(void **state)
{
    int rc = run_python(
        "import sys, numpy as np\n"
        "d = sys.argv[1]\n"
        "base = np.array([[0, 1, 2], [3, 250, 7]])\n"
        "for dt in ['<f4', '<f8', '<i8', '<i4', '|u1', '>i4', '<i2', '|i1', '<u2']:\n"
        "    np.save(f'{d}/np_{dt[1:]}_{\"be\" if dt[0] == \">\" else \"le\"}.npy', base.astype(dt))\n"
        "np.save(f'{d}/np_b1.npy', base > 2)\n"
        "np.save(f'{d}/np_fortran.npy', np.asfortranarray(base.astype('<f4')))\n"
        "np.save(f'{d}/np_scalar.npy', np.float64(0.1))\n"
        "np.save(f'{d}/np_3d.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, ::2, 1:])\n"
        "np.save(f'{d}/np_big.npy', np.linspace(-1, 1, 100001, dtype=np.float32))\n"
        "np.save(f'{d}/np_str.npy', np.array(['a', 'b']))\n");
    assert_int_equal(rc, 0);
    const float *want = DATA(0, 1, 2, 3, 250, 7);
    const char *names[] = { "np_f4_le", "np_f8_le", "np_i8_le", "np_i4_le", "np_u1_le",
                            "np_i4_be", "np_i2_le", "np_u2_le" };
    char file[64];
    for (int i = 0; i < NELEMS(names); i++) {
        snprintf(file, sizeof file, "%s.npy", names[i]);
        check_release(load(file), 2, SHAPE(2, 3), want, 0);
    }
    check_release(load("np_i1_le.npy"), 2, SHAPE(2, 3), DATA(0, 1, 2, 3, -6, 7), 0);   /* 250 wraps */
    eng_tensor *b = load("np_b1.npy");
    assert_true(b->is_bool);
    check_release(b, 2, SHAPE(2, 3), DATA(0, 0, 0, 1, 1, 1), 0);
    check_release(load("np_scalar.npy"), 0, SHAPE(0), DATA(0.1f), 0);
    check_release(load("np_3d.npy"), 3, SHAPE(2, 2, 3), DATA(1, 2, 3, 9, 10, 11, 13, 14, 15, 21, 22, 23), 0);
    eng_tensor *big = load("np_big.npy");
    assert_shape(big, 1, SHAPE(100001));
    assert_true(big->storage->data[0] == -1.0f && big->storage->data[100000] == 1.0f &&
                big->storage->data[50000] == 0.0f);
    eng_tensor_release(big);
    char want_msg[600];
    eng_error err;
    snprintf(want_msg, sizeof want_msg, "%s is stored in Fortran order, which nabla cannot read",
             td_path(dir, "np_fortran.npy"));
    assert_error(eng_npy_load(td_path(dir, "np_fortran.npy"), &err), &err, ENG_ERR_IO, want_msg);
    snprintf(want_msg, sizeof want_msg, "%s holds dtype '<U1', which nabla cannot read",
             td_path(dir, "np_str.npy"));
    assert_error(eng_npy_load(td_path(dir, "np_str.npy"), &err), &err, ENG_ERR_IO, want_msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_npy_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_header_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_save_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_version2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_load_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy_truncated_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numpy_reads_ours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_we_read_numpys, setup, teardown),
    };
    return cmocka_run_group_tests_name("data_npy", tests, NULL, NULL);
}
