/* test_dict.c -- lang/dict.c: the insertion-ordered hash map. Get/set/delete through the C
 * API with reference counts, insertion order kept across deletes and resizes, keys that are
 * equal across types (1, 1.0, True) being one key, hashability, and a randomized comparison
 * with a simple model over many operations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static lang_value s(tl_fixture *f, const char *text) { return lang_obj_val(lang_str_cstr(f->vm, text)); }

static void test_dict_basic(void **state)
{
    tl_fixture *f = *state;
    lang_dict *d = lang_dict_new(f->vm);
    assert_non_null(d);
    assert_int_equal(d->len, 0);
    lang_value k = s(f, "lr"), v = s(f, "value");
    assert_null(lang_dict_get(d, k));
    assert_int_equal(lang_dict_set(f->vm, d, k, v), LANG_OK);
    assert_int_equal(d->len, 1);
    /* set copies references: both are now held twice */
    assert_int_equal(k.as.obj->refcount, 2);
    assert_int_equal(v.as.obj->refcount, 2);
    lang_value *got = lang_dict_get(d, k);
    assert_non_null(got);
    assert_ptr_equal(got->as.obj, v.as.obj);
    /* another str with the same text finds it */
    lang_value k2 = s(f, "lr");
    assert_non_null(lang_dict_get(d, k2));
    /* replacing a value keeps one entry and releases the old value */
    assert_int_equal(lang_dict_set(f->vm, d, k2, lang_num(0.1)), LANG_OK);
    assert_int_equal(d->len, 1);
    assert_int_equal(v.as.obj->refcount, 1);
    assert_true(lang_dict_get(d, k)->as.num == 0.1);
    assert_int_equal(lang_dict_del(f->vm, d, k), 1);
    assert_int_equal(lang_dict_del(f->vm, d, k), 0);
    assert_int_equal(d->len, 0);
    assert_null(lang_dict_get(d, k));
    assert_int_equal(k.as.obj->refcount, 1);
    lang_decref(f->vm, k);
    lang_decref(f->vm, k2);
    lang_decref(f->vm, v);
    lang_decref(f->vm, lang_obj_val(d));
}

static void test_dict_numeric_keys(void **state)
{
    tl_fixture *f = *state;
    lang_dict *d = lang_dict_new(f->vm);
    assert_int_equal(lang_dict_set(f->vm, d, lang_num(1), s(f, "one")), LANG_OK);
    lang_decref(f->vm, *lang_dict_get(d, lang_num(1)));   /* drop the test's reference */
    /* 1, 1.0 and True are the same key; 0 and -0.0 too */
    assert_non_null(lang_dict_get(d, lang_bool(1)));
    assert_non_null(lang_dict_get(d, lang_num(1.0)));
    assert_null(lang_dict_get(d, lang_num(1.5)));
    assert_int_equal(lang_dict_set(f->vm, d, lang_num(-0.0), lang_none()), LANG_OK);
    assert_non_null(lang_dict_get(d, lang_num(0)));
    assert_int_equal(lang_dict_set(f->vm, d, lang_num(5e9), lang_num(1)), LANG_OK);
    assert_non_null(lang_dict_get(d, lang_num(5e9)));
    assert_int_equal(lang_dict_set(f->vm, d, lang_none(), lang_num(2)), LANG_OK);
    assert_true(lang_dict_get(d, lang_none())->as.num == 2);
    assert_int_equal(d->len, 4);
    lang_decref(f->vm, lang_obj_val(d));
    tl_expect_out(f, "d = {1: 'a', True: 'b', 1.0: 'c', 2: 'd'}\nprint(d, len(d))", "{1: 'c', 2: 'd'} 2\n");
    tl_expect_out(f, "d = {(1, 'a'): 'pair', None: 'none', 2.5: 'x'}\nprint(d[(1, 'a')], d[None], d[2.5])", "pair none x\n");
    TL_DONE(f);
}

static void test_dict_hashable(void **state)
{
    tl_fixture *f = *state;
    assert_true(lang_is_hashable(lang_num(1)));
    assert_true(lang_is_hashable(lang_none()));
    assert_true(lang_is_hashable(lang_bool(0)));
    assert_false(lang_is_hashable(lang_undef()));
    assert_int_equal(tl_run(f, "t = ('a', (1, 2))\nu = ('a', ['b'])\nl = []\nd = {}\nz = zeros(1)"), LANG_OK);
    const char *names[] = { "t", "u", "l", "d", "z" };
    int want[] = { 1, 0, 0, 0, 0 };
    for (int i = 0; i < 5; i++) {
        lang_value v = f->vm->globals.values[lang_global_find(f->vm, names[i])];
        if (lang_is_hashable(v) != want[i]) fail_msg("lang_is_hashable(%s) != %d", names[i], want[i]);
    }
    /* equal values hash equally */
    assert_int_equal(lang_hash(lang_num(1)), lang_hash(lang_bool(1)));
    assert_int_equal(lang_hash(lang_num(0)), lang_hash(lang_num(-0.0)));
    tl_expect_error(f, "d = {}\nd[['a']] = 1", "TypeError: line 2, col 1: a list cannot be a dict key (use a str, number or tuple)");
    tl_expect_error(f, "d = {('a', []): 1}", "TypeError: *");
    TL_DONE(f);
}

/* Insertion order survives deletes, re-inserts and resizes. */
static void test_dict_order(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "d = {}\nfor i in range(100):\n    d['k' + str(i)] = i\nfor i in range(0, 100, 3):\n    del d['k' + str(i)]\n"
                     "d['k0'] = 'back'\nks = list(d)\nprint(len(d), ks[:4], ks[-2:])",
                  "67 ['k1', 'k2', 'k4', 'k5'] ['k98', 'k0']\n");
    tl_expect_out(f, "d = {'a': 1, 'b': 2}\nd['a'] = 3\nprint(d)", "{'a': 3, 'b': 2}\n");
    /* deleting everything and refilling */
    tl_expect_out(f, "d = {}\nfor r in range(5):\n    for i in range(50):\n        d[i] = r\n    for i in range(50):\n        del d[i]\n"
                     "d['last'] = 1\nprint(d)", "{'last': 1}\n");
    TL_DONE(f);
}

/* Many random operations against a model: an array indexed by small integer keys. */
static void test_dict_random_against_model(void **state)
{
    tl_fixture *f = *state;
    lang_dict *d = lang_dict_new(f->vm);
    double model[512];
    int present[512] = {0};
    uint32_t x = 12345;
    for (int step = 0; step < 200000; step++) {
        x = x * 1103515245u + 12345u;
        int key = (int)((x >> 8) % 512);
        int op = (int)((x >> 20) % 3);
        lang_value k = lang_num(key);
        if (op < 2) {
            double val = (double)step;
            assert_int_equal(lang_dict_set(f->vm, d, k, lang_num(val)), LANG_OK);
            model[key] = val;
            present[key] = 1;
        } else {
            assert_int_equal(lang_dict_del(f->vm, d, k), present[key]);
            present[key] = 0;
        }
        if (step % 997 == 0) {
            size_t n = 0;
            for (int i = 0; i < 512; i++) {
                lang_value *v = lang_dict_get(d, lang_num(i));
                if (present[i]) {
                    n++;
                    if (!v || v->as.num != model[i]) fail_msg("step %d: key %d wrong", step, i);
                } else if (v) {
                    fail_msg("step %d: key %d should be absent", step, i);
                }
            }
            assert_int_equal(d->len, n);
        }
    }
    lang_dict_clear_entries(f->vm, d);
    assert_int_equal(d->len, 0);
    assert_null(lang_dict_get(d, lang_num(1)));
    assert_int_equal(lang_dict_set(f->vm, d, lang_num(1), lang_num(2)), LANG_OK);
    assert_int_equal(d->len, 1);
    lang_decref(f->vm, lang_obj_val(d));
}

/* String keys with colliding low bits and long keys. */
static void test_dict_many_string_keys(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "d = {}\nfor i in range(20000):\n    d[str(i) * 3] = i\nok = True\nfor i in range(20000):\n"
                     "    ok = ok and d[str(i) * 3] == i\nprint(ok, len(d), d['777'], '1' * 3 in d)", "True 20000 7 True\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dict_basic, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_dict_numeric_keys, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_dict_hashable, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_dict_order, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_dict_random_against_model, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_dict_many_string_keys, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("dict", tests, NULL, NULL);
}
