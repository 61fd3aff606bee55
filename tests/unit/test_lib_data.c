/*
 * test_lib_data.c -- lang/lib_data.c through a real VM: every data builtin's results, defaults,
 * seed= semantics, errors (kind, position, message, hint) and help texts. Fashion-MNIST comes
 * from a small fake folder named by $NABLA_DATA, so this driver needs no installed data set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_lang.h"
#include "test_data.h"
#include "engine/engine.h"

static char dir[256];
static char prog[4096];

static int setup(void **state)
{
    td_mkdir(dir);
    return tl_setup(state);
}

static int teardown(void **state)
{
    td_rmdir(dir);
    return tl_teardown(state);
}

/* printf into the shared program buffer. */
static const char *program(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prog, sizeof prog, fmt, ap);
    va_end(ap);
    return prog;
}

static void write_idx_u8(const char *path, int ndim, const uint32_t *dims, const unsigned char *data,
                         size_t n)
{
    unsigned char buf[8192];
    size_t h = td_idx_header(buf, 0x08, ndim, dims);
    memcpy(buf + h, data, n);
    td_write_gz(path, buf, h + n);
}

/* Two train images (all 1s, all 2s) labelled 9 and 0, one test image of 3s labelled 4. */
static void write_fake_fashion(const char *d)
{
    static unsigned char pix[2 * 784];
    memset(pix, 1, 784);
    memset(pix + 784, 2, 784);
    write_idx_u8(td_path(d, "train-images-idx3-ubyte.gz"), 3, (const uint32_t[]){ 2, 28, 28 }, pix, sizeof pix);
    write_idx_u8(td_path(d, "train-labels-idx1-ubyte.gz"), 1, (const uint32_t[]){ 2 },
                 (const unsigned char[]){ 9, 0 }, 2);
    memset(pix, 3, 784);
    write_idx_u8(td_path(d, "t10k-images-idx3-ubyte.gz"), 3, (const uint32_t[]){ 1, 28, 28 }, pix, 784);
    write_idx_u8(td_path(d, "t10k-labels-idx1-ubyte.gz"), 1, (const uint32_t[]){ 1 },
                 (const unsigned char[]){ 4 }, 1);
}

static void test_load_fashion_mnist(void **state)
{
    tl_fixture *f = *state;
    const char *old = getenv("NABLA_DATA");
    char *saved = old ? strdup(old) : NULL;
    write_fake_fashion(dir);
    setenv("NABLA_DATA", dir, 1);
    tl_expect_out(f, "(x_train, y_train), (x_test, y_test) = load_fashion_mnist()\n"
                     "print(x_train.shape, y_train, x_test.shape, y_test)\n"
                     "print(x_train[1, 0, :3], mean(x_test), type(load_fashion_mnist()))\n",
                  "[2, 28, 28] tensor([9., 0.]) [1, 28, 28] tensor([4.])\n"
                  "tensor([2., 2., 2.]) 3 tuple\n");
    /* path= names the folder directly */
    setenv("NABLA_DATA", "/nonexistent", 1);
    tl_expect_out(f, program("(a, b), (c, d) = load_fashion_mnist(\"%s\")\nprint(b, d)", dir),
                  "tensor([9., 0.]) tensor([4.])\n");
    /* a missing file: IOError naming it, and the package to install */
    char want[1024];
    snprintf(want, sizeof want, "IOError: line 1, col 1: cannot open /nonexistent/train-images-"
             "idx3-ubyte.gz: No such file or directory; install the Debian package "
             "dataset-fashion-mnist");
    tl_expect_error(f, "load_fashion_mnist()", want);
    TL_CHECK(f, strcmp(f->err.hint, "sudo apt-get install dataset-fashion-mnist, or set NABLA_DATA "
                       "to a folder holding the four .gz files") == 0);
    /* a damaged one */
    td_write_text(td_path(dir, "t10k-labels-idx1-ubyte.gz"), "garbage!");
    snprintf(want, sizeof want, "IOError: line 1, col 1: %s/t10k-labels-idx1-ubyte.gz is not an "
             "IDX file: bad magic number 67 61 72 62 (expected 00 00, a type byte 08..0e and 1..8 "
             "dimensions); reinstall the Debian package dataset-fashion-mnist", dir);
    setenv("NABLA_DATA", dir, 1);
    tl_expect_error(f, "load_fashion_mnist()", want);
    TL_CHECK(f, strcmp(f->err.hint, "sudo apt-get install --reinstall dataset-fashion-mnist") == 0);
    tl_expect_error(f, "load_fashion_mnist(3)",
                    "TypeError: line 1, col 1: load_fashion_mnist() path must be a str, got number");
    if (saved) setenv("NABLA_DATA", saved, 1);
    else unsetenv("NABLA_DATA");
    free(saved);
    TL_DONE(f);
}

static void test_playground_sets(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x, y = circle()\nprint(x.shape, y.shape, sum(y))\n"
                     "x, y = xor()\nprint(x.shape, y.shape)\n"
                     "x, y = gauss()\nprint(x.shape, sum(y))\n"
                     "x, y = spiral()\nprint(x.shape, sum(y))\n",
                  "[500, 2] [500] 250\n[500, 2] [500]\n[500, 2] 250\n[500, 2] 250\n");
    tl_expect_out(f, "x, y = circle(10, 0.1, 3)\nx2, y2 = circle(n=10, noise=0.1, seed=3)\n"
                     "print(allclose(x, x2), allclose(y, y2), x.shape)\n"
                     "x3, y3 = circle(10, 0.1, 4)\nprint(allclose(x, x3))\n",
                  "True True [10, 2]\nFalse\n");
    /* the exact first point of Playground's circle for seed 42 (see test_data_playground.c) */
    tl_expect_out(f, "x, y = circle(seed=42)\nprint(x[0], y[:3])\n",
                  "tensor([2.3523352, 4.043234 ]) tensor([0., 0., 1.])\n");
    /* without seed=, the VM's generator: seed(n) repeats it, and it moves on */
    tl_expect_out(f, "seed(5)\na, _ = xor(20)\nb, _ = xor(20)\nseed(5)\nc, _ = xor(20)\n"
                     "print(allclose(a, c), allclose(a, b))\n",
                  "True False\n");
    /* with seed=, the VM's generator is left alone */
    tl_expect_out(f, "seed(1)\nr1 = rand()\nseed(1)\np = spiral(seed=3)\nr2 = rand()\nprint(r1 == r2)\n",
                  "True\n");
    tl_expect_out(f, "x, y = gauss(0)\nprint(x.shape, y.shape)\nx, y = gauss(5, noise=0.5)\nprint(sum(y))\n",
                  "[0, 2] [0]\n3\n");
    tl_expect_out(f, "x, y = moons()\nprint(x.shape, sum(y))\nx, y = moons(7, noise=0.05, seed=1)\n"
                     "print(x.shape, sum(y))\n",
                  "[100, 2] 50\n[7, 2] 4\n");
    tl_expect_out(f, "x, y = moons(1)\nprint(x, y)\n", "tensor([[0. , 0.5]]) tensor([1.])\n");
    TL_DONE(f);
}

static void test_playground_errors(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "x = circle(noise=0.7)",
                    "ValueError: line 1, col 5: circle() noise must be between 0 and 0.5, got 0.7");
    TL_CHECK(f, strcmp(f->err.hint, "Playground's noise slider 0..50 is noise=0..0.5") == 0);
    tl_expect_error(f, "spiral(noise=-1)",
                    "ValueError: line 1, col 1: spiral() noise must be between 0 and 0.5, got -1");
    tl_expect_error(f, "xor(-5)", "ValueError: line 1, col 1: xor() n cannot be negative, got -5");
    tl_expect_error(f, "gauss(2.5)", "TypeError: line 1, col 1: gauss() n must be a whole number, got 2.5");
    tl_expect_error(f, "gauss(seed=\"a\")", "TypeError: *");
    tl_expect_error(f, "gauss(noise=\"lots\")",
                    "TypeError: line 1, col 1: gauss() noise must be a number, got str");
    tl_expect_error(f, "circle(1, 2, 3, 4)", "TypeError: *");
    tl_expect_error(f, "moons(noise=-0.5)", "ValueError: line 1, col 1: moons() noise must be >= 0, got -0.5");
    tl_expect_error(f, "moons(n=-1)", "ValueError: line 1, col 1: moons() n cannot be negative, got -1");
    TL_DONE(f);
}

static void test_csv(void **state)
{
    tl_fixture *f = *state;
    const char *p = td_path(dir, "iris.csv");
    td_write_text(p, "sepal,petal,class\n5.1,1.4,0\n6.2,4.5,1\n");
    tl_expect_out(f, program("d = load_csv(\"%s\")\nprint(d, d.shape)\nprint(d[:, 2])", p),
                  "tensor([[5.1, 1.4, 0. ],\n        [6.2, 4.5, 1. ]]) [2, 3]\ntensor([0., 1.])\n");
    tl_expect_out(f, program("print(load_csv(\"%s\", header=True).shape)", p), "[2, 3]\n");
    char want[1024];
    snprintf(want, sizeof want, "ValueError: line 1, col 5: %s, line 1, column 1: 'sepal' is not a number", p);
    tl_expect_error(f, program("d = load_csv(\"%s\", header=False)", p), want);
    const char *q = td_path(dir, "semi.csv");
    td_write_text(q, "1;2\n3;4\n");
    tl_expect_out(f, program("print(load_csv(\"%s\", delimiter=\";\", header=True))", q),
                  "tensor([[3., 4.]])\n");
    td_write_text(q, "1;2\n3;x\n4;5\n");
    snprintf(want, sizeof want, "ValueError: line 1, col 1: %s, line 2, column 2: 'x' is not a number", q);
    tl_expect_error(f, program("load_csv(\"%s\", delimiter=\";\")", q), want);
    tl_expect_error(f, program("load_csv(\"%s\", delimiter=\";;\")", q),
                    "ValueError: line 1, col 1: load_csv() delimiter must be one character, got ';;'");
    snprintf(want, sizeof want, "IOError: line 1, col 1: cannot open %s/no.csv: No such file or directory", dir);
    tl_expect_error(f, program("load_csv(\"%s/no.csv\")", dir), want);
    tl_expect_error(f, "load_csv(\"\")", "ValueError: line 1, col 1: load_csv() path is empty");
    tl_expect_error(f, "load_csv(5)", "TypeError: line 1, col 1: load_csv() path must be a str, got number");
    TL_DONE(f);
}

static void test_npy(void **state)
{
    tl_fixture *f = *state;
    const char *p = td_path(dir, "w.npy");
    tl_expect_out(f, program("print(save_npy(\"%s\", [[1, 2], [3, 4.5]]))\nw = load_npy(\"%s\")\n"
                             "print(w, w.shape)", p, p),
                  "None\ntensor([[1. , 2. ],\n        [3. , 4.5]]) [2, 2]\n");
    tl_expect_out(f, program("save_npy(\"%s\", 7)\nprint(load_npy(\"%s\"))", p, p), "tensor(7.)\n");
    tl_expect_out(f, program("x = arange(12).reshape(3, 4)\nsave_npy(\"%s\", x.T)\n"
                             "print(allclose(load_npy(\"%s\"), x.T))", p, p), "True\n");
    /* truth values are saved as float32 0 and 1 */
    tl_expect_out(f, program("x = tensor([1, 5, 2])\nsave_npy(\"%s\", x > 1)\nprint(load_npy(\"%s\"))",
                             p, p),
                  "tensor([0., 1., 1.])\n");
    char want[1024];
    snprintf(want, sizeof want, "IOError: line 1, col 1: cannot open %s/none.npy: No such file or directory", dir);
    tl_expect_error(f, program("load_npy(\"%s/none.npy\")", dir), want);
    td_write(td_path(dir, "bad.npy"), "\x93NUMPY\x01\x00\x10\x00{'descr': 3}   \n", 26);
    snprintf(want, sizeof want, "IOError: line 1, col 5: %s/bad.npy is damaged: its header is not a valid .npy header", dir);
    tl_expect_error(f, program("w = load_npy(\"%s/bad.npy\")", dir), want);
    tl_expect_error(f, "save_npy(\"/nonexistent/dir/w.npy\", [1])",
                    "IOError: line 1, col 1: cannot write /nonexistent/dir/w.npy: No such file or directory");
    tl_expect_error(f, program("save_npy(\"%s\", \"text\")", p), "TypeError: *");
    TL_DONE(f);
}

static void test_train_test_split(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x = arange(20).reshape(10, 2)\ny = arange(10)\n"
                     "a, b, c, d = train_test_split(x, y, seed=0)\n"
                     "print(a.shape, b.shape, c.shape, d.shape)\n"
                     "print(allclose(a[:, 0] / 2, c), allclose(b[:, 0] / 2, d))\n"
                     "print(sum(c) + sum(d))\n",
                  "[7, 2] [3, 2] [7] [3]\nTrue True\n45\n");
    tl_expect_out(f, "a, b = train_test_split(arange(10), test_size=0.2, shuffle=False)\nprint(a, b)\n",
                  "tensor([0., 1., 2., 3., 4., 5., 6., 7.]) tensor([8., 9.])\n");
    tl_expect_out(f, "a, b = train_test_split(arange(10), test_size=4, seed=1)\n"
                     "c, d = train_test_split(arange(10), test_size=4, seed=1)\n"
                     "print(a.shape, b.shape, allclose(a, c) and allclose(b, d))\n",
                  "[6] [4] True\n");
    tl_expect_out(f, "seed(2)\na, b = train_test_split([1, 2, 3, 4])\nseed(2)\n"
                     "c, d = train_test_split([1, 2, 3, 4])\nprint(allclose(a, c), len(b))\n",
                  "True 1\n");
    tl_expect_error(f, "train_test_split()", "TypeError: line 1, col 1: train_test_split() takes 1 to 8 tensors, got 0");
    tl_expect_error(f, "train_test_split(arange(4), arange(5))",
                    "ShapeError: line 1, col 1: the tensors to split must have the same number of rows: "
                    "(4,) and (5,) differ in their first size");
    tl_expect_error(f, "train_test_split(arange(4), test_size=0)",
                    "ValueError: line 1, col 1: test_size must be a fraction between 0 and 1 or a whole "
                    "number of rows from 1 to 4, got 0");
    tl_expect_error(f, "train_test_split(arange(4), \"x\")", "TypeError: *");
    tl_expect_error(f, "train_test_split(arange(4), test_size=\"big\")",
                    "TypeError: line 1, col 1: train_test_split() test_size must be a number, got str");
    TL_DONE(f);
}

static void test_help_texts(void **state)
{
    tl_fixture *f = *state;
    const char *names[] = { "load_fashion_mnist", "circle", "xor", "gauss", "spiral", "moons",
                            "load_csv", "save_npy", "load_npy", "train_test_split" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char want[64];
        tl_run(f, program("help(%s)", names[i]));
        snprintf(want, sizeof want, "%s(", names[i]);
        TL_CHECK(f, strncmp(f->out.data, want, strlen(want)) == 0);
        TL_CHECK(f, strstr(f->out.data, "\nExample: ") != NULL);
    }
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_fashion_mnist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playground_sets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_playground_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_npy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_train_test_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_texts, setup, teardown),
    };
    return cmocka_run_group_tests_name("lib_data", tests, NULL, NULL);
}
