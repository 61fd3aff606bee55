/* test_object.c -- lang/object.c: constructing values (strings, lists, tuples, ranges, slices,
 * cells) with their reference counts, type names, truthiness, equality, the growable text
 * buffer, and the text of values (lang_num_write's shortest round-trip numbers,
 * lang_value_write's str and repr of every kind, recursive containers). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static const char *text(lang_value v, int repr)
{
    static char s[4096];
    lang_buf b = {0};
    lang_value_write(&b, v, repr);
    snprintf(s, sizeof s, "%s", b.data ? b.data : "");
    lang_buf_free(&b);
    return s;
}

static const char *num(double d)
{
    static char s[64];
    lang_buf b = {0};
    lang_num_write(&b, d);
    snprintf(s, sizeof s, "%s", b.data ? b.data : "");
    lang_buf_free(&b);
    return s;
}

static void test_object_strings(void **state)
{
    tl_fixture *f = *state;
    lang_str *s = lang_str_new(f->vm, "abc\0def", 7);   /* may hold NUL bytes */
    assert_non_null(s);
    assert_int_equal(s->h.refcount, 1);
    assert_int_equal(s->h.type, LANG_OBJ_STR);
    assert_int_equal(s->len, 7);
    assert_int_equal(s->chars[7], '\0');
    assert_int_equal(s->hash, lang_hash_bytes("abc\0def", 7));
    lang_str *c = lang_str_cstr(f->vm, "abc");
    assert_int_equal(c->len, 3);
    assert_int_not_equal(c->hash, s->hash);
    lang_str *fm = lang_str_fmt(f->vm, "%s=%d", "epochs", 5);
    assert_string_equal(fm->chars, "epochs=5");
    assert_int_equal(fm->len, 8);
    /* equal text, equal hash */
    lang_str *c2 = lang_str_cstr(f->vm, "abc");
    assert_int_equal(c->hash, c2->hash);
    assert_true(lang_equal(lang_obj_val(c), lang_obj_val(c2)));
    /* strings are not containers: never on the collector's list */
    assert_null(c->h.gc_next);
    lang_decref(f->vm, lang_obj_val(s));
    lang_decref(f->vm, lang_obj_val(c));
    lang_decref(f->vm, lang_obj_val(c2));
    lang_decref(f->vm, lang_obj_val(fm));
}

static void test_object_containers(void **state)
{
    tl_fixture *f = *state;
    lang_list *l = lang_list_new(f->vm, 0);
    assert_non_null(l);
    assert_non_null(l->h.gc_next);   /* tracked */
    lang_str *s = lang_str_cstr(f->vm, "item");
    for (int i = 0; i < 1000; i++) assert_int_equal(lang_list_append(f->vm, l, lang_incref(lang_obj_val(s))), LANG_OK);
    assert_int_equal(l->len, 1000);
    assert_true(l->cap >= 1000);
    assert_int_equal(s->h.refcount, 1001);
    lang_decref(f->vm, lang_obj_val(l));   /* releases the 1000 references */
    assert_int_equal(s->h.refcount, 1);
    lang_decref(f->vm, lang_obj_val(s));

    lang_tuple *t = lang_tuple_new(f->vm, 3);
    assert_int_equal(t->len, 3);
    assert_true(LANG_IS_NONE(t->items[0]) && LANG_IS_NONE(t->items[2]));
    assert_string_equal(text(lang_obj_val(t), 1), "(None, None, None)");
    lang_decref(f->vm, lang_obj_val(t));
    t = lang_tuple_new(f->vm, 1);
    t->items[0] = lang_num(1);
    assert_string_equal(text(lang_obj_val(t), 1), "(1,)");
    lang_decref(f->vm, lang_obj_val(t));

    lang_range *r = lang_range_new(f->vm, 10, 0, -3);
    assert_true(lang_range_len(r) == 4);   /* 10 7 4 1 */
    assert_string_equal(text(lang_obj_val(r), 1), "range(10, 0, -3)");
    lang_decref(f->vm, lang_obj_val(r));
    r = lang_range_new(f->vm, 0, 5, 1);
    assert_string_equal(text(lang_obj_val(r), 1), "range(0, 5)");
    assert_true(lang_range_len(r) == 5);
    lang_decref(f->vm, lang_obj_val(r));
    r = lang_range_new(f->vm, 5, 0, 1);
    assert_true(lang_range_len(r) == 0);
    lang_decref(f->vm, lang_obj_val(r));

    lang_cell *c = lang_cell_new(f->vm, lang_num(7));
    assert_true(LANG_IS_NUM(c->v) && c->v.as.num == 7);
    lang_decref(f->vm, lang_obj_val(c));
}

static void test_object_type_names(void **state)
{
    tl_fixture *f = *state;
    assert_string_equal(lang_type_name(lang_num(1)), "number");
    assert_string_equal(lang_type_name(lang_bool(0)), "bool");
    assert_string_equal(lang_type_name(lang_none()), "NoneType");
    tl_expect_out(f, "print(type('s'), type([]), type(()), type({}), type(range(1)), type(len), type(lambda: 0), type(zeros(1)), type([].append))",
                  "str list tuple dict range builtin function tensor method\n");
    TL_DONE(f);
}

static void test_object_truthy(void **state)
{
    tl_fixture *f = *state;
    lang_status st;
    assert_false(lang_truthy(f->vm, lang_none(), &st));
    assert_false(lang_truthy(f->vm, lang_num(0), &st));
    assert_false(lang_truthy(f->vm, lang_num(-0.0), &st));
    assert_true(lang_truthy(f->vm, lang_num(NAN), &st));   /* as in Python */
    assert_true(lang_truthy(f->vm, lang_bool(1), &st));
    assert_int_equal(st, LANG_OK);
    tl_expect_out(f, "print(bool(''), bool('0'), bool([]), bool(['']), bool(()), bool({}), bool(range(0)), bool(range(1)))",
                  "False True False True False False False True\n");
    tl_expect_out(f, "print(bool(tensor(0)), bool(ones(1)), bool(zeros(1, 1)))", "False True False\n");
    tl_expect_error(f, "if zeros(3):\n    pass", "ValueError: line 1, col 4: the truth value of a tensor with 3 elements is ambiguous");
    assert_string_equal(f->err.hint, "use (t > 0).sum() > 0 or t.max() > 0 to ask about its elements");
    TL_DONE(f);
}

static void test_object_equal(void **state)
{
    tl_fixture *f = *state;
    assert_true(lang_equal(lang_num(1), lang_bool(1)));
    assert_true(lang_equal(lang_num(0), lang_num(-0.0)));
    assert_false(lang_equal(lang_num(NAN), lang_num(NAN)));
    assert_true(lang_equal(lang_none(), lang_none()));
    assert_false(lang_equal(lang_none(), lang_num(0)));
    tl_expect_out(f, "a = ['x', ('y', 1)]\nb = ['x', ('y', 1.0)]\nprint(a == b, a == ['x'], {'k': a} == {'k': b}, ('x',) == ['x'])",
                  "True False True False\n");
    /* tensors compare by identity in lang_equal (list.index, `in` of lists) */
    tl_expect_out(f, "t = zeros(2)\nxs = [t, 'a']\nprint(xs.index(t), xs.count(zeros(2)))", "0 0\n");
    TL_DONE(f);
}

static void test_object_buf(void **state)
{
    lang_buf b = {0};
    lang_buf_add(&b, "abc", 3);
    lang_buf_addf(&b, "-%d-%s", 42, "x");
    for (int i = 0; i < 10000; i++) lang_buf_add(&b, "0123456789", 10);
    assert_false(b.oom);
    assert_int_equal(b.len, 3 + 5 + 100000);
    assert_int_equal(strlen(b.data), b.len);
    assert_memory_equal(b.data, "abc-42-x0123", 12);
    lang_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* a long formatted piece */
    char big[3000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lang_buf_addf(&b, "<%s>", big);
    assert_int_equal(b.len, sizeof big + 1);
    lang_buf_free(&b);
}

/* Shortest text that reads back to the same double; integral values without ".0". */
static void test_object_num_write(void **state)
{
    assert_string_equal(num(42), "42");
    assert_string_equal(num(-7), "-7");
    assert_string_equal(num(0), "0");
    assert_string_equal(num(-0.0), "0");   /* as round(-0.4) prints in Python */
    assert_string_equal(num(0.1), "0.1");
    assert_string_equal(num(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(num(2.5e-07), "2.5e-07");
    assert_string_equal(num(0.0001), "0.0001");
    assert_string_equal(num(0.00001), "1e-05");
    assert_string_equal(num(1e15), "1000000000000000");
    assert_string_equal(num(1e16), "1e+16");
    assert_string_equal(num(123456789012345678.0), "1.2345678901234568e+17");
    assert_string_equal(num(1.5e300), "1.5e+300");
    assert_string_equal(num(5e-324), "5e-324");
    assert_string_equal(num(1.7976931348623157e308), "1.7976931348623157e+308");
    assert_string_equal(num(INFINITY), "inf");
    assert_string_equal(num(-INFINITY), "-inf");
    assert_string_equal(num(NAN), "nan");
    assert_string_equal(num(1.0 / 3), "0.3333333333333333");
    assert_string_equal(num(-1234.5), "-1234.5");
}

/* Every text reads back to the same double (a deterministic sweep of magnitudes and digits). */
static void test_object_num_write_round_trips(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        uint64_t bits = (x & 0x800fffffffffffffull) | ((uint64_t)(900 + (int)(x % 250)) << 52);
        memcpy(&d, &bits, sizeof d);
        const char *s = num(d);
        if (strtod(s, NULL) != d) fail_msg("%.17g printed as %s", d, s);
        if (strlen(s) > 24) fail_msg("%.17g printed as %s (too long)", d, s);
    }
}

/* Powers of two sit at a binade edge: the shortest text may need the candidate above. */
static void test_object_num_write_shortest_at_binade_edges(void **state)
{
    int bad = 0;
    struct { int e; const char *want; } cases[] = {
        { -24, "5.960464477539063e-08" }, { -44, "5.684341886080802e-14" },
        { -98, "3.1554436208840472e-30" }, { -141, "3.587324068671532e-43" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(num(ldexp(1, cases[i].e)), cases[i].want) != 0) {
            print_error("2**%d printed as %s, expected %s\n", cases[i].e, num(ldexp(1, cases[i].e)), cases[i].want);
            bad++;
        }
    assert_int_equal(bad, 0);
}

static void test_object_value_write(void **state)
{
    tl_fixture *f = *state;
    lang_value s = lang_obj_val(lang_str_cstr(f->vm, "it's \"q\"\n"));
    assert_string_equal(text(s, 0), "it's \"q\"\n");
    assert_string_equal(text(s, 1), "'it\\'s \"q\"\\n'");
    lang_decref(f->vm, s);
    assert_string_equal(text(lang_none(), 1), "None");
    assert_string_equal(text(lang_bool(1), 0), "True");
    assert_string_equal(text(lang_num(2), 1), "2");
    tl_expect_out(f, "print(str(['a', None]), repr({'k': ('v', 1.5)}), str(len), str(range(3)))",
                  "['a', None] {'k': ('v', 1.5)} <built-in function len> range(0, 3)\n");
    tl_expect_out(f, "def g():\n    pass\nprint(g, lambda: 0, [].append, {}.get)",
                  "<function g> <function <lambda>> <built-in method append of list> <built-in method get of dict>\n");
    /* recursive containers print [...] and {...} */
    tl_expect_out(f, "a = ['x']\na.append(a)\nd = {}\nd['d'] = d\nd['a'] = a\nprint(a, d)",
                  "['x', [...]] {'d': {...}, 'a': ['x', [...]]}\n");
    /* lang_value_str */
    lang_str *r = lang_value_str(f->vm, lang_num(0.5), 1);
    assert_string_equal(r->chars, "0.5");
    lang_decref(f->vm, lang_obj_val(r));
    /* html: only engine objects have one */
    assert_null(lang_value_html(f->vm, lang_num(1)));
    TL_DONE(f);
}

/* Freeing a long chain of nested containers does not overflow the C stack. */
static void test_object_deep_free(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x = []\nfor i in range(200000):\n    x = [x, 'n']\nx = None\nprint('freed')", "freed\n");
    tl_expect_out(f, "d = {}\nfor i in range(200000):\n    d = {'next': d}\nd = None\nprint('freed')", "freed\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_object_strings, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_object_containers, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_object_type_names, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_object_truthy, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_object_equal, tl_setup, tl_teardown),
        cmocka_unit_test(test_object_buf),
        cmocka_unit_test(test_object_num_write),
        cmocka_unit_test(test_object_num_write_round_trips),
        cmocka_unit_test(test_object_num_write_shortest_at_binade_edges),
        cmocka_unit_test_setup_teardown(test_object_value_write, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_object_deep_free, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("object", tests, NULL, NULL);
}
