/* test_text.c -- kernel/text.c: UTF-8 repair, code point offsets, base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "kernel/kernel_internal.h"

static void test_text_repair_replaces_bad_bytes(void **state)
{
    (void)state;
    char *s = kern_utf8_repair("a\xff" "b\xc3\xa9\xe2\x82", 7);
    assert_string_equal(s, "a\xef\xbf\xbd" "b\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = kern_utf8_repair("\xed\xa0\x80", 3);   /* a surrogate is not UTF-8 */
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = kern_utf8_repair("\xc0\xaf", 2);       /* overlong '/' */
    assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
}

static void test_text_json_text_is_never_null(void **state)
{
    (void)state;
    json_t *v = kern_json_text("ok \xc3\xa9", 5);
    assert_string_equal(json_string_value(v), "ok \xc3\xa9");
    json_decref(v);
    v = kern_json_text("bad \xfe", 5);
    assert_non_null(v);
    assert_string_equal(json_string_value(v), "bad \xef\xbf\xbd");
    json_decref(v);
}

static void test_text_code_point_offsets(void **state)
{
    (void)state;
    const char *s = "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80x";   /* "été 😀x" */
    assert_int_equal(kern_utf8_byte_offset(s, 0), 0);
    assert_int_equal(kern_utf8_byte_offset(s, 1), 2);
    assert_int_equal(kern_utf8_byte_offset(s, 4), 6);
    assert_int_equal(kern_utf8_byte_offset(s, 5), 10);
    assert_int_equal(kern_utf8_byte_offset(s, 99), strlen(s));
    assert_int_equal(kern_utf8_cp_offset(s, 10), 5);
    assert_int_equal(kern_utf8_cp_offset(s, strlen(s)), 6);
}

static void test_text_whole_prefix_keeps_characters_together(void **state)
{
    (void)state;
    assert_int_equal(kern_utf8_whole_prefix("ab", 2), 2);
    assert_int_equal(kern_utf8_whole_prefix("a\xe2\x82", 3), 1);
    assert_int_equal(kern_utf8_whole_prefix("a\xe2\x82\xac", 4), 4);
    assert_int_equal(kern_utf8_whole_prefix("a\xf0", 2), 1);
}

static void test_text_base64(void **state)
{
    (void)state;
    const char *cases[][2] = {{"", ""}, {"a", "YQ=="}, {"ab", "YWI="}, {"\x89PNG\r\n", "iVBORw0K"}};
    for (size_t i = 0; i < 4; i++) {
        char *b = kern_base64((const unsigned char *)cases[i][0], strlen(cases[i][0]));
        assert_string_equal(b, cases[i][1]);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_repair_replaces_bad_bytes),
        cmocka_unit_test(test_text_json_text_is_never_null),
        cmocka_unit_test(test_text_code_point_offsets),
        cmocka_unit_test(test_text_whole_prefix_keeps_characters_together),
        cmocka_unit_test(test_text_base64),
    };
    return cmocka_run_group_tests_name("kernel_text", tests, NULL, NULL);
}
