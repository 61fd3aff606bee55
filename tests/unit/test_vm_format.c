/* test_vm_format.c -- lang/vm_format.c: format specs (lang_op_format directly and through
 * f-strings), string concatenation of f-string parts, and the echo of a bare expression
 * (lang_echo through host->result). The full spec table is checked against Python in
 * tests/lang/format_specs.nabla. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

/* format(v, spec) through lang_op_format; "ERR:<message>" on failure. */
static const char *fmt(tl_fixture *f, lang_value v, const char *spec, int repr)
{
    static char s[1024];
    lang_error err;
    memset(&err, 0, sizeof err);
    f->vm->err = &err;
    lang_str *sp = spec ? lang_str_cstr(f->vm, spec) : NULL;
    lang_value out;
    lang_status st = lang_op_format(f->vm, v, sp, repr, &out);
    if (st == LANG_OK) {
        snprintf(s, sizeof s, "%s", LANG_IS_STR(out) ? LANG_AS_STR(out)->chars : "<not a str>");
        lang_decref(f->vm, out);
    } else {
        snprintf(s, sizeof s, "ERR:%s", err.msg);
    }
    if (sp) lang_decref(f->vm, lang_obj_val(sp));
    f->vm->err = NULL;
    return s;
}

static void test_vm_format_numbers(void **state)
{
    tl_fixture *f = *state;
    assert_string_equal(fmt(f, lang_num(3.14159), ".2f", 0), "3.14");
    assert_string_equal(fmt(f, lang_num(3.14159), "10.3f", 0), "     3.142");
    assert_string_equal(fmt(f, lang_num(0.25), ".1%", 0), "25.0%");
    assert_string_equal(fmt(f, lang_num(1234567), ",", 0), "1,234,567");
    assert_string_equal(fmt(f, lang_num(-1234567.891), ",.2f", 0), "-1,234,567.89");
    assert_string_equal(fmt(f, lang_num(42), "05d", 0), "00042");
    assert_string_equal(fmt(f, lang_num(-42), "05d", 0), "-0042");
    assert_string_equal(fmt(f, lang_num(42), "+d", 0), "+42");
    assert_string_equal(fmt(f, lang_num(42), " d", 0), " 42");
    assert_string_equal(fmt(f, lang_num(12345.678), ".2e", 0), "1.23e+04");
    assert_string_equal(fmt(f, lang_num(0.00001234), "g", 0), "1.234e-05");
    assert_string_equal(fmt(f, lang_num(2), "", 0), "2");
    assert_string_equal(fmt(f, lang_num(0.1), NULL, 0), "0.1");
    assert_string_equal(fmt(f, lang_num(1.0 / 3), ".4", 0), "0.3333");
    assert_string_equal(fmt(f, lang_num(7), "*^9", 0), "****7****");
    assert_string_equal(fmt(f, lang_bool(1), "d", 0), "1");
    assert_string_equal(fmt(f, lang_num(3.7), "d", 0), "ERR:format 'd' needs a whole number, got 3.7");
    assert_string_equal(fmt(f, lang_num(3), "q", 0), "ERR:invalid format spec 'q'");
    assert_string_equal(fmt(f, lang_num(3), "10.2fx", 0), "ERR:invalid format spec '10.2fx'");
}

static void test_vm_format_text(void **state)
{
    tl_fixture *f = *state;
    lang_value ab = lang_obj_val(lang_str_cstr(f->vm, "ab"));
    lang_value e = lang_obj_val(lang_str_cstr(f->vm, "h\xc3\xa9"));
    assert_string_equal(fmt(f, ab, "5", 0), "ab   ");
    assert_string_equal(fmt(f, ab, ">5", 0), "   ab");
    assert_string_equal(fmt(f, ab, "^6", 0), "  ab  ");
    assert_string_equal(fmt(f, ab, "-<4", 0), "ab--");
    assert_string_equal(fmt(f, ab, NULL, 1), "'ab'");
    assert_string_equal(fmt(f, ab, ">6", 1), "  'ab'");
    /* width counts characters, not bytes */
    assert_string_equal(fmt(f, e, ">4", 0), "  h\xc3\xa9");
    assert_string_equal(fmt(f, lang_none(), ">6", 0), "  None");
    assert_string_equal(fmt(f, ab, "d", 0), "ERR:format 'd' needs a number, got str");
    lang_decref(f->vm, ab);
    lang_decref(f->vm, e);
}

static void test_vm_format_text_precision(void **state)
{
    tl_fixture *f = *state;
    lang_value e = lang_obj_val(lang_str_cstr(f->vm, "h\xc3\xa9llo"));
    TL_CHECK(f, strcmp(fmt(f, e, ".2", 0), "h\xc3\xa9") == 0);
    TL_CHECK(f, strcmp(fmt(f, e, ".1", 0), "h") == 0);
    lang_decref(f->vm, e);
    TL_DONE(f);
}

static void test_vm_format_long_numbers(void **state)
{
    tl_fixture *f = *state;
    TL_CHECK(f, strlen(fmt(f, lang_num(2.5), ".500f", 0)) == 502);
    TL_CHECK(f, strlen(fmt(f, lang_num(1e300), ",.2f", 0)) == 404);
    TL_DONE(f);
}

static void test_vm_format_fstrings(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "loss = 0.123456\nepoch = 3\nprint(f'epoch {epoch:2d}: loss {loss:.4f} ({loss:.1%})')",
                  "epoch  3: loss 0.1235 (12.3%)\n");
    tl_expect_out(f, "name = 'ada'\nprint(f'{name!r} {name:>5} {name.upper()} {len(name)}')", "'ada'   ada ADA 3\n");
    tl_expect_out(f, "print(f'{1}{2}{3}', f'', f'plain', f'{{}}')", "123  plain {}\n");
    tl_expect_out(f, "xs = ['a']\nd = {'k': 1}\nprint(f'{xs} {d} {xs!r} {None} {True}')", "['a'] {'k': 1} ['a'] None True\n");
    tl_expect_out(f, "t = tensor(2.5)\nprint(f'{t:.2f} {t}')", "2.50 tensor(2.5)\n");
    tl_expect_error(f, "print(f'{[1, 2]:.2f}')", "ValueError: line 1, col 10: format 'f' needs a number, got tensor");
    TL_DONE(f);
}

static void test_vm_format_concat(void **state)
{
    tl_fixture *f = *state;
    lang_value parts[3] = {
        lang_obj_val(lang_str_cstr(f->vm, "a")),
        lang_obj_val(lang_str_cstr(f->vm, "")),
        lang_obj_val(lang_str_cstr(f->vm, "\xe2\x88\x87z")),
    };
    lang_value out;
    assert_int_equal(lang_op_concat_strings(f->vm, parts, 3, &out), LANG_OK);
    assert_string_equal(LANG_AS_STR(out)->chars, "a\xe2\x88\x87z");
    assert_int_equal(LANG_AS_STR(out)->len, 5);
    lang_decref(f->vm, out);
    for (int i = 0; i < 3; i++) lang_decref(f->vm, parts[i]);
}

/* lang_echo reports the repr through host->result; None is not echoed. */
static void test_vm_format_echo(void **state)
{
    tl_fixture *f = *state;
    lang_value s = lang_obj_val(lang_str_cstr(f->vm, "x"));
    tl_buf_clear(&f->echo);
    assert_int_equal(lang_echo(f->vm, s), LANG_OK);
    assert_int_equal(lang_echo(f->vm, lang_none()), LANG_OK);
    assert_int_equal(lang_echo(f->vm, lang_num(0.5)), LANG_OK);
    assert_string_equal(f->echo.data, "'x'\n0.5\n");
    lang_decref(f->vm, s);
    /* the REPL echo of a tensor is its repr */
    assert_int_equal(tl_run_flags(f, "zeros(2)", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "tensor([0., 0.])\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_format_numbers, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_text, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_text_precision, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_long_numbers, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_fstrings, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_concat, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_format_echo, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("vm_format", tests, NULL, NULL);
}
