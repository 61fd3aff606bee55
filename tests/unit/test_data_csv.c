/*
 * test_data_csv.c -- engine/data_csv.c: headers (auto, yes, no), quotes, blanks, comments, line
 * endings, delimiters, and the errors that name the file, line and column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine.h"
#include "test_data.h"

static char dir[256];

static int setup(void **state) { td_mkdir(dir); return 0; }
static int teardown(void **state) { td_rmdir(dir); return 0; }

/* Writes text to dir/t.csv and loads it. */
static eng_tensor *load(const char *text, int header, char delim, eng_error *err)
{
    const char *p = td_path(dir, "t.csv");
    td_write_text(p, text);
    return eng_csv_load(p, header, delim, err);
}

static void expect(const char *text, int header, char delim, int64_t rows, int64_t cols,
                   const float *want)
{
    eng_error err;
    eng_tensor *t = load(text, header, delim, &err);
    if (!t) fail_msg("%s", err.msg);
    check_release(t, 2, SHAPE(rows, cols), want, 0);
}

static void expect_error(const char *text, int header, char delim, int code, const char *msg,
                         const char *hint)
{
    eng_error err;
    char want[512];
    eng_tensor *t = load(text, header, delim, &err);
    snprintf(want, sizeof want, msg, td_path(dir, "t.csv"));
    assert_error(t, &err, code, want);
    assert_string_equal(err.hint, hint);
}

static void test_csv_numbers(void **state)
{
    expect("1,2,3\n4,5,6\n", -1, ',', 2, 3, DATA(1, 2, 3, 4, 5, 6));
    expect("1,2,3\n4,5,6", 0, ',', 2, 3, DATA(1, 2, 3, 4, 5, 6));          /* no final newline */
    expect("-1.5e2, +0.25 ,  7\r\n3,4,5\r\n", -1, ',', 2, 3, DATA(-150, 0.25f, 7, 3, 4, 5));
    expect("\"1\",\" 2 \",3\n", -1, ',', 1, 3, DATA(1, 2, 3));
    expect("\n  \n# a comment, with, commas\n1,2\n\n  # another\n3,4\n\n", -1, ',', 2, 2,
           DATA(1, 2, 3, 4));
    expect("nan,inf,-inf\n", -1, ',', 1, 3, DATA(NAN, INFINITY, -INFINITY));
    expect("0.1\n0.2\n", -1, ',', 2, 1, DATA(0.1f, 0.2f));
    expect("\xEF\xBB\xBF" "5,6\n", -1, ',', 1, 2, DATA(5, 6));           /* UTF-8 BOM */
}

static void test_csv_headers(void **state)
{
    const char *text = "sepal,petal,\"class, name\"\n1,2,0\n3,4,1\n";
    expect(text, -1, ',', 2, 3, DATA(1, 2, 0, 3, 4, 1));
    expect(text, 1, ',', 2, 3, DATA(1, 2, 0, 3, 4, 1));
    expect_error(text, 0, ',', ENG_ERR_VALUE, "%s, line 1, column 1: 'sepal' is not a number", "");
    /* a first line with a number in it is data, so a bad cell there is an error */
    expect_error("x,2,3\n1,2,3\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 1, column 1: 'x' is not a number", "");
    /* header=1 skips the first line even if it holds numbers */
    expect("1,2\n3,4\n", 1, ',', 1, 2, DATA(3, 4));
    /* the header line is the first one that is not blank or a comment */
    expect("# made by hand\n\na,b\n7,8\n", -1, ',', 1, 2, DATA(7, 8));
    /* only a header: no rows */
    eng_error err;
    eng_tensor *t = load("a,b,c\n", -1, ',', &err);
    assert_shape(t, 2, SHAPE(0, 3));
    eng_tensor_release(t);
    t = load("", -1, ',', &err);
    assert_shape(t, 2, SHAPE(0, 0));
    eng_tensor_release(t);
}

static void test_csv_delimiters(void **state)
{
    expect("1;2;3\n4;5;6\n", -1, ';', 2, 3, DATA(1, 2, 3, 4, 5, 6));
    expect("1\t2\n3\t4\n", -1, '\t', 2, 2, DATA(1, 2, 3, 4));
    expect("  1   2 3\n4\t5    6  \n", -1, ' ', 2, 3, DATA(1, 2, 3, 4, 5, 6));
    expect_error("1,5;2\n", -1, ';', ENG_ERR_VALUE, "%s, line 1, column 1: '1,5' is not a number", "");
}

static void test_csv_errors(void **state)
{
    expect_error("1,2,3\n4,abc,6\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 2, column 2: 'abc' is not a number", "");
    expect_error("1,2,3\n\n# c\n4,,6\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 4, column 2: the cell is empty", "write nan for a missing value");
    expect_error("1,2,3\n4,5,\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 2, column 3: the cell is empty", "write nan for a missing value");
    expect_error("1,2,3\n4,5\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 2: 2 cells, but line 1 has 3", "");
    expect_error("h1,h2\n1,2\n3\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 3: 1 cell, but line 2 has 2", "");
    expect_error("1,2\n3,4,5\n", -1, ',', ENG_ERR_VALUE,
                 "%s, line 2: 3 cells, but line 1 has 2", "");
    expect_error("1,2\n1.5.2,3\n", -1, ',', ENG_ERR_VALUE, "%s, line 2, column 1: '1.5.2' is not a number", "");
    expect_error("1,2\n3,0x\n", -1, ',', ENG_ERR_VALUE, "%s, line 2, column 2: '0x' is not a number", "");
    expect_error("1,this cell is much longer than forty characters in all\n", 0, ',',
                 ENG_ERR_VALUE, "%s, line 1, column 2: 'this cell is much longer than forty char..."
                 "' is not a number", "");
    expect_error("1,2\n", -1, '"', ENG_ERR_VALUE, "a CSV delimiter cannot be '\"'", "");

    eng_error err;
    char want[512];
    const char *missing = td_path(dir, "none.csv");
    snprintf(want, sizeof want, "cannot open %s: No such file or directory", missing);
    assert_error(eng_csv_load(missing, -1, ',', &err), &err, ENG_ERR_IO, want);
    td_write(td_path(dir, "bin.csv"), "1,2\0\n", 5);
    snprintf(want, sizeof want, "%s is not a text file (it contains NUL bytes)", td_path(dir, "bin.csv"));
    assert_error(eng_csv_load(td_path(dir, "bin.csv"), -1, ',', &err), &err, ENG_ERR_IO, want);
}

/* A file larger than the first read buffer (64 KB), to cover growing it. */
static void test_csv_large(void **state)
{
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%d,%d.5,%d\n", i, i, -i);
    eng_error err;
    eng_tensor *t = load(text, -1, ',', &err);
    free(text);
    assert_shape(t, 2, SHAPE(20000, 3));
    assert_true(eng_tensor_get(t, (const int64_t[]){ 19999, 1 }) == 19999.5f);
    assert_true(eng_tensor_get(t, (const int64_t[]){ 12345, 2 }) == -12345.0f);
    eng_tensor_release(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_delimiters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_large, setup, teardown),
    };
    return cmocka_run_group_tests_name("data_csv", tests, NULL, NULL);
}
