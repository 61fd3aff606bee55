/* test_lib_core.c -- lang/lib_core.c: the core builtins through a buffer host. print (sep, end,
 * every kind of value), warn (to the host's warn callback), len, range, type, str, repr, float,
 * int, bool, input (from the host; IOError without one), help (page callback or print), time,
 * isinstance, display and clear_output (fallbacks without the callbacks), chr, ord. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

static void test_lib_core_print(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print()", "\n");
    tl_expect_out(f, "print('a', 1, 2.5, None, True, ['x'], ('t',), {'k': 'v'})", "a 1 2.5 None True ['x'] ('t',) {'k': 'v'}\n");
    tl_expect_out(f, "print('a', 'b', sep='')", "ab\n");
    tl_expect_out(f, "print('a', 'b', sep=', ', end='!')", "a, b!");
    tl_expect_out(f, "print('x', end='')\nprint('y')", "xy\n");
    tl_expect_out(f, "print(*[]) if False else print('no star')", "no star\n");
    tl_expect_out(f, "print('a', 'b', sep=None, end=None)", "a b\n");   /* None: the default, as in Python */
    tl_expect_error(f, "print('a', sep=1)", "TypeError: line 1, col 1: sep and end must be str, got number");
    /* nothing goes to the warn stream */
    assert_string_equal(f->warn.data, "");
    TL_DONE(f);
}

static void test_lib_core_warn(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "warn('loss is nan')", "");
    assert_string_equal(f->warn.data, "warning: loss is nan\n");
    tl_expect_out(f, "warn(3)", "");
    assert_string_equal(f->warn.data, "warning: 3\n");
    TL_DONE(f);
}

static void test_lib_core_conversions(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(int(2.9), int(-2.9), int('12'), int(' -7 '), int(True), int(), int('1e3'))", "2 -2 12 -7 1 0 1000\n");
    tl_expect_out(f, "print(float(2), float('2.5'), float('-1e-3'), float(' inf '), float('-inf'), float('nan'), float())",
                  "2 2.5 -0.001 inf -inf nan 0\n");
    tl_expect_out(f, "print(str(), str(1.5), str([1, 'a']), str(None), repr('a'), repr(1.0), repr(['a']))",
                  " 1.5 [1, 'a'] None 'a' 1 ['a']\n");
    tl_expect_out(f, "print(bool(), bool(0), bool(0.0), bool('False'), bool([]), bool(None), bool(' '))",
                  "False False False True False False True\n");
    tl_expect_out(f, "print(int(tensor(3.7)), float(tensor(2.5)))", "3 2.5\n");
    tl_expect_error(f, "int('ten')", "ValueError: line 1, col 1: int() cannot convert 'ten' to a number");
    tl_expect_error(f, "float('x1')", "ValueError: line 1, col 1: float() cannot convert 'x1' to a number");
    tl_expect_error(f, "int(float('inf'))", "ValueError: line 1, col 1: int() cannot convert inf");
    tl_expect_error(f, "int(None)", "TypeError: line 1, col 1: int() argument must be a number, got NoneType");
    TL_DONE(f);
}

static void test_lib_core_len_range_type(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(len(''), len('h\xc3\xa9'), len(['a']), len(()), len({'a': 1}), len(range(3, 10, 2)), len(zeros(5, 2)))",
                  "0 2 1 0 1 4 5\n");
    tl_expect_error(f, "len(5)", "TypeError: line 1, col 1: a number has no len()");
    tl_expect_error(f, "len(tensor(3))", "TypeError: line 1, col 1: a tensor has no len()");
    tl_expect_out(f, "print(range(5), range(2, 5), range(5, 0, -2), list(range(5, 0, -2)), list(range(-3)))",
                  "range(0, 5) range(2, 5) range(5, 0, -2) [5, 3, 1] []\n");
    tl_expect_error(f, "range(0, 10, 0)", "ValueError: line 1, col 1: range() step cannot be zero");
    tl_expect_error(f, "range(1.5)", "TypeError: line 1, col 1: range() arguments must be a whole number, got 1.5");
    tl_expect_error(f, "range()", "TypeError: *");
    tl_expect_out(f, "print(type(1), type(True), type(None), type('s'), type(print), type(zeros(1)))",
                  "number bool NoneType str builtin tensor\n");
    tl_expect_out(f, "print(type(type(1)))", "str\n");
    TL_DONE(f);
}

static void test_lib_core_isinstance(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(isinstance(1, int), isinstance(1.5, int), isinstance(1.5, float), isinstance(2, float))",
                  "True False True True\n");
    tl_expect_out(f, "print(isinstance(True, int), isinstance(True, bool), isinstance(1, bool))", "True True False\n");
    tl_expect_out(f, "print(isinstance('s', str), isinstance([], list), isinstance((), tuple), isinstance({}, dict), isinstance(zeros(1), tensor))",
                  "True True True True True\n");
    tl_expect_out(f, "print(isinstance('s', (int, str)), isinstance(None, (int, list)), isinstance(1, 'number'))",
                  "True False True\n");
    TL_DONE(f);
}

static void test_lib_core_chr_ord(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print(chr(65), chr(233), chr(8711), chr(128512) == '\xf0\x9f\x98\x80', ord('a'), ord('\xc3\xa9'), ord('\xe2\x88\x87'))",
                  "A \xc3\xa9 \xe2\x88\x87 True 97 233 8711\n");
    tl_expect_out(f, "print(''.join([chr(ord(c) + 1) for c in 'HAL']))", "IBM\n");
    tl_expect_error(f, "chr(-1)", "ValueError: line 1, col 1: chr() argument out of range");
    tl_expect_error(f, "chr(1114112)", "ValueError: line 1, col 1: chr() argument out of range");
    tl_expect_error(f, "ord('ab')", "TypeError: line 1, col 1: ord() needs a one-character str");
    tl_expect_error(f, "ord('')", "TypeError: line 1, col 1: ord() needs a one-character str");
    TL_DONE(f);
}

static void test_lib_core_input(void **state)
{
    tl_fixture *f = *state;
    const char *lines[] = { "Ada", "42", NULL };
    f->input = lines;
    tl_expect_out(f, "name = input('name? ')\nage = int(input())\nprint('hello', name, age + 1)", "name? hello Ada 43\n");
    assert_int_equal(f->n_input_calls, 2);
    /* end of input: IOError, the prompt already shown */
    tl_expect_error(f, "x = input('more? ')", "IOError: line 1, col 5: input() has no input to read here (end of input, or the front end does not allow input)");
    assert_string_equal(f->out.data, "more? ");
    TL_DONE(f);
}

/* A host without an input callback cannot give input; without print, output is dropped. */
static void test_lib_core_bare_host(void **state)
{
    lang_vm *vm = lang_vm_new(NULL);
    lang_error err;
    assert_int_equal(lang_eval(vm, "print('dropped')\nwarn('dropped')\nhelp(len)\ndisplay(1)", "<t>", 0, &err), LANG_OK);
    assert_int_equal(lang_eval(vm, "input()", "<t>", 0, &err), LANG_ERR_IO);
    lang_vm_free(vm);
}

static char paged[4096];
static void page_cb(void *ud, const char *text)
{
    (void)ud;
    snprintf(paged, sizeof paged, "%s", text);
}

static void test_lib_core_help_paging(void **state)
{
    tl_fixture *f = *state;
    /* without a page callback, help prints */
    tl_expect_out(f, "help(ord)", "ord(char)\nThe Unicode code point of a one-character str.\nExample: ord('a')  is  97\n");
    /* with one, the text goes to the pager */
    tl_fixture g = {0};
    lang_host h = tl_host(&g);
    h.page = page_cb;
    g.vm = lang_vm_new(&h);
    paged[0] = '\0';
    assert_int_equal(lang_eval(g.vm, "help(ord)", "<t>", 0, &g.err), LANG_OK);
    assert_string_equal(g.out.data, "");
    assert_string_equal(paged, "ord(char)\nThe Unicode code point of a one-character str.\nExample: ord('a')  is  97\n");
    lang_vm_free(g.vm);
    /* help() with no argument: the overview */
    assert_int_equal(tl_run(f, "help()"), LANG_OK);
    assert_non_null(strstr(f->out.data, "help(name)"));
    assert_non_null(strstr(f->out.data, "zeros"));
    TL_DONE(f);
}

static int displays;
static char display_text[256];
static void display_cb(void *ud, const lang_mime_bundle *b, const char *id)
{
    (void)ud;
    (void)id;
    displays++;
    snprintf(display_text, sizeof display_text, "%s", b->text_plain);
}
static int clears, clear_wait;
static void clear_cb(void *ud, int wait)
{
    (void)ud;
    clears++;
    clear_wait = wait;
}

static void test_lib_core_display(void **state)
{
    tl_fixture *f = *state;
    /* fallback: repr through print */
    tl_expect_out(f, "display('a', [1, 'b'])\nclear_output()", "'a'\n[1, 'b']\n");
    tl_fixture g = {0};
    lang_host h = tl_host(&g);
    h.display = display_cb;
    h.clear_output = clear_cb;
    g.vm = lang_vm_new(&h);
    displays = clears = 0;
    assert_int_equal(lang_eval(g.vm, "display('x', 2)\nclear_output(wait=True)", "<t>", 0, &g.err), LANG_OK);
    assert_int_equal(displays, 2);
    assert_string_equal(display_text, "2");
    assert_int_equal(clears, 1);
    assert_int_equal(clear_wait, 1);
    assert_string_equal(g.out.data, "");
    lang_vm_free(g.vm);
    TL_DONE(f);
}

static void test_lib_core_time(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "t0 = time()\ns = 0\nfor i in range(100000):\n    s += i\nt1 = time()\nprint(type(t0), t1 >= t0, t1 - t0 < 60)",
                  "number True True\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_core_print, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_warn, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_conversions, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_len_range_type, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_isinstance, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_chr_ord, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_input, tl_setup, tl_teardown),
        cmocka_unit_test(test_lib_core_bare_host),
        cmocka_unit_test_setup_teardown(test_lib_core_help_paging, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_display, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_core_time, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_core", tests, NULL, NULL);
}
