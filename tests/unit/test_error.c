/* test_error.c -- engine/error.c: filling eng_error values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "engine/engine_internal.h"

static void test_error_fill_and_hint(void **state)
{
    eng_error err;
    assert_int_equal(eng_err(&err, ENG_ERR_SHAPE, "bad %s %d", "shape", 3), ENG_ERR_SHAPE);
    assert_int_equal(err.code, ENG_ERR_SHAPE);
    assert_string_equal(err.msg, "bad shape 3");
    assert_string_equal(err.hint, "");
    eng_err_hint(&err, "try %s", "x.T");
    assert_string_equal(err.hint, "try x.T");
    /* a new error never keeps an old hint */
    eng_err(&err, ENG_ERR_VALUE, "other");
    assert_string_equal(err.hint, "");
    eng_err_clear(&err);
    assert_int_equal(err.code, ENG_OK);
    assert_string_equal(err.msg, "");
}

/* err may be NULL everywhere: the call still reports its status. */
static void test_error_null_err(void **state)
{
    assert_int_equal(eng_err(NULL, ENG_ERR_INDEX, "x"), ENG_ERR_INDEX);
    eng_err_hint(NULL, "y");
    eng_err_clear(NULL);
    eng_tensor *a = trange(1, SHAPE(2)), *b = trange(1, SHAPE(3));
    assert_null(eng_binary(ENG_BIN_ADD, a, b, NULL));
    eng_tensor_release(a);
    eng_tensor_release(b);
}

static void test_error_long_message_truncates(void **state)
{
    eng_error err;
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    eng_err(&err, ENG_ERR_IO, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
    eng_err_hint(&err, "%s", big);
    assert_int_equal(strlen(err.hint), sizeof err.hint - 1);
}

static void test_error_status_names(void **state)
{
    assert_string_equal(eng_status_name(ENG_OK), "OK");
    assert_string_equal(eng_status_name(ENG_ERR_SHAPE), "ShapeError");
    assert_string_equal(eng_status_name(ENG_ERR_INDEX), "IndexError");
    assert_string_equal(eng_status_name(ENG_ERR_VALUE), "ValueError");
    assert_string_equal(eng_status_name(ENG_ERR_TYPE), "TypeError");
    assert_string_equal(eng_status_name(ENG_ERR_MEMORY), "MemoryError");
    assert_string_equal(eng_status_name(ENG_ERR_IO), "IOError");
    assert_string_equal(eng_status_name(-1), "Error");
    assert_string_equal(eng_status_name(ENG_ERR_COUNT), "Error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_fill_and_hint),
        cmocka_unit_test(test_error_null_err),
        cmocka_unit_test(test_error_long_message_truncates),
        cmocka_unit_test(test_error_status_names),
    };
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
