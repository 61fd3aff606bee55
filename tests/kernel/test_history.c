/* test_history.c -- kernel/history.c: tail, range and search (glob, unique, n). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "kernel/kernel_internal.h"

static kern_history h;

static int setup(void **state)
{
    (void)state;
    kern_history_init(&h);
    const char *cells[] = {"6*7", "1+2+3", "x = 1", "6*7", "print(x)", "6*7"};
    for (int i = 0; i < 6; i++)
        kern_history_add(&h, i + 1, cells[i], strcmp(cells[i], "6*7") == 0 ? "42" : NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kern_history_free(&h);
    return 0;
}

static json_t *query(const char *req_json)
{
    json_t *req = json_loads(req_json, 0, NULL);
    json_t *r = kern_history_query(&h, req);
    json_decref(req);
    return r;
}

static const char *input_at(json_t *list, size_t i)
{
    return json_string_value(json_array_get(json_array_get(list, i), 2));
}

static void test_history_tail(void **state)
{
    (void)state;
    json_t *r = query("{\"hist_access_type\":\"tail\",\"n\":2,\"output\":false}");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(input_at(r, 0), "print(x)");
    assert_int_equal(json_integer_value(json_array_get(json_array_get(r, 1), 1)), 6);
    json_decref(r);
    r = query("{\"hist_access_type\":\"tail\",\"n\":1,\"output\":true}");
    json_t *pair = json_array_get(json_array_get(r, 0), 2);
    assert_string_equal(json_string_value(json_array_get(pair, 0)), "6*7");
    assert_string_equal(json_string_value(json_array_get(pair, 1)), "42");
    json_decref(r);
}

static void test_history_range_stop_is_exclusive(void **state)
{
    (void)state;
    json_t *r = query("{\"hist_access_type\":\"range\",\"session\":1,\"start\":2,\"stop\":4}");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(input_at(r, 0), "1+2+3");
    assert_string_equal(input_at(r, 1), "x = 1");
    json_decref(r);
    r = query("{\"hist_access_type\":\"range\",\"session\":7,\"start\":1,\"stop\":3}");
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
}

static void test_history_search_glob_unique_n(void **state)
{
    (void)state;
    json_t *r = query("{\"hist_access_type\":\"search\",\"pattern\":\"6?7\"}");
    assert_int_equal(json_array_size(r), 3);
    json_decref(r);
    r = query("{\"hist_access_type\":\"search\",\"pattern\":\"6?7\",\"unique\":true}");
    assert_int_equal(json_array_size(r), 1);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(r, 0), 1)), 6);
    json_decref(r);
    r = query("{\"hist_access_type\":\"search\",\"pattern\":\"*\",\"n\":2}");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(input_at(r, 1), "6*7");
    json_decref(r);
    r = query("{\"hist_access_type\":\"search\",\"pattern\":\"print*\"}");
    assert_int_equal(json_array_size(r), 1);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_tail),
        cmocka_unit_test(test_history_range_stop_is_exclusive),
        cmocka_unit_test(test_history_search_glob_unique_n),
    };
    return cmocka_run_group_tests_name("kernel_history", tests, setup, teardown);
}
