/* test_report.c -- lang/report.c (errors as values):
 * kind names, the exact text of lang_error_format (position line, source line, caret,
 * hint, call trace), raising from builtins, engine errors mapped to kinds, the source line
 * lookup, and the "did you mean" hints of NameError. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static void test_report_status_names(void **state)
{
    const char *want[LANG_STATUS_COUNT] = {
        "OK", "SyntaxError", "NameError", "TypeError", "ShapeError", "IndexError", "KeyError",
        "ValueError", "IOError", "MemoryError", "RecursionError", "KeyboardInterrupt", "SyntaxError",
    };
    for (int s = 0; s < LANG_STATUS_COUNT; s++) assert_string_equal(lang_status_name((lang_status)s), want[s]);
    assert_string_equal(lang_status_name(LANG_STATUS_COUNT), "Error");
    assert_string_equal(lang_status_name((lang_status)-1), "Error");
}

static lang_error make_err(lang_status kind, int line, int col, const char *msg, const char *src)
{
    lang_error e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.line = line;
    e.col = col;
    e.len = 1;
    snprintf(e.msg, sizeof e.msg, "%s", msg);
    snprintf(e.source_line, sizeof e.source_line, "%s", src);
    return e;
}

static void test_report_format_exact(void **state)
{
    char buf[2048];
    lang_error e = make_err(LANG_ERR_SHAPE, 4, 9, "cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ",
                            "    h = x @ w");
    e.caret_col = 11;
    snprintf(e.hint, sizeof e.hint, "w.T has shape (784, 10)");
    size_t n = lang_error_format(&e, buf, sizeof buf);
    const char *want =
        "ShapeError: line 4, col 9: cannot matmul (64, 784) @ (10, 784): inner sizes 784 and 10 differ\n"
        "    h = x @ w\n"
        "          ^\n"
        "hint: w.T has shape (784, 10)\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));

    /* no caret_col: the caret is at col and len wide */
    e = make_err(LANG_ERR_NAME, 2, 7, "name 'los' is not defined", "print(los)");
    e.len = 3;
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "NameError: line 2, col 7: name 'los' is not defined\nprint(los)\n      ^^^\n");

    /* tabs in the source line are kept under the caret, so it lines up in a terminal */
    e = make_err(LANG_ERR_TYPE, 1, 3, "bad", "\t\tx + 1");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "TypeError: line 1, col 3: bad\n\t\tx + 1\n\t\t^\n");

    /* a call trace follows the hint */
    e = make_err(LANG_ERR_VALUE, 4, 12, "division by zero", "    return 1 / 0");
    e.caret_col = 14;
    snprintf(e.trace, sizeof e.trace, "  in g, called from line 2\n  in f, called from line 5\n");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "ValueError: line 4, col 12: division by zero\n    return 1 / 0\n"
                             "             ^\n  in g, called from line 2\n  in f, called from line 5\n");
}

static void test_report_format_without_position(void **state)
{
    char buf[512];
    lang_error e = make_err(LANG_ERR_MEMORY, 0, 0, "out of memory", "");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "MemoryError: out of memory\n");
    /* a position but no source line: no caret */
    e = make_err(LANG_ERR_SYNTAX, 3, 1, "unexpected end of input", "");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "SyntaxError: line 3, col 1: unexpected end of input\n");
    /* an interrupt is one word, then where it stopped */
    e = make_err(LANG_ERR_INTERRUPT, 7, 3, "ignored", "while True:");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "KeyboardInterrupt\nwhile True:\n  ^\n");
    e = make_err(LANG_ERR_INTERRUPT, 0, 0, "ignored", "");
    lang_error_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "KeyboardInterrupt\n");
}

/* The buffer is always NUL-terminated, and the length returned fits in it. */
static void test_report_format_truncates(void **state)
{
    lang_error e = make_err(LANG_ERR_TYPE, 12, 5, "a rather long message about what went wrong", "x = y + z");
    char full[512], small[16];
    size_t n_full = lang_error_format(&e, full, sizeof full);
    memset(small, 'X', sizeof small);
    size_t n = lang_error_format(&e, small, sizeof small);
    assert_true(n < sizeof small);
    assert_int_equal(strlen(small), n);
    assert_memory_equal(small, full, n);
    assert_true(n_full > n);
    char one[1] = { 'X' };
    assert_int_equal(lang_error_format(&e, one, 1), 0);
    assert_int_equal(one[0], '\0');
    assert_int_equal(lang_error_format(&e, NULL, 0), 0);
}

static void test_report_fill_line(void **state)
{
    lang_error e;
    memset(&e, 0, sizeof e);
    const char *src = "first\nsecond line\n\nfourth";
    e.line = 2;
    lang_error_fill_line(&e, src);
    assert_string_equal(e.source_line, "second line");
    e.line = 3;
    lang_error_fill_line(&e, src);
    assert_string_equal(e.source_line, "");
    e.line = 4;
    lang_error_fill_line(&e, src);
    assert_string_equal(e.source_line, "fourth");
    e.line = 9;   /* past the end */
    lang_error_fill_line(&e, src);
    assert_string_equal(e.source_line, "");
    e.line = 0;
    lang_error_fill_line(&e, src);
    assert_string_equal(e.source_line, "");
    e.line = 1;
    lang_error_fill_line(&e, NULL);
    assert_string_equal(e.source_line, "");
    /* a very long line is cut to fit */
    static char longsrc[1000];
    memset(longsrc, 'a', sizeof longsrc - 1);
    e.line = 1;
    lang_error_fill_line(&e, longsrc);
    assert_int_equal(strlen(e.source_line), sizeof e.source_line - 1);
}

/* lang_raise / lang_hint fill the VM's current error; the VM adds the position. */
static lang_status raising_builtin(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_raise(vm, LANG_ERR_VALUE, "learning rate %g is negative", -0.5);
    lang_hint(vm, "try %s", "lr=0.01");
    return LANG_ERR_VALUE;
}

static lang_status engine_error_builtin(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    eng_error ee;
    memset(&ee, 0, sizeof ee);
    ee.code = ENG_ERR_SHAPE;
    snprintf(ee.msg, sizeof ee.msg, "shapes (2,) and (3,) differ");
    snprintf(ee.hint, sizeof ee.hint, "reshape one of them");
    return lang_raise_eng(vm, &ee);
}

static const lang_builtin_def test_defs[] = {
    { "raise_value", raising_builtin, "", "raise_value()\nRaises a ValueError." },
    { "raise_engine", engine_error_builtin, "", "raise_engine()\nRaises an engine ShapeError." },
    { NULL, NULL, NULL, NULL },
};

static void test_report_raise_from_builtin(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(lang_register(f->vm, test_defs), LANG_OK);
    assert_int_equal(tl_run(f, "x = 1\ny = raise_value()"), LANG_ERR_VALUE);
    char buf[1024];
    lang_error_format(&f->err, buf, sizeof buf);
    assert_string_equal(buf, "ValueError: line 2, col 5: learning rate -0.5 is negative\n"
                             "y = raise_value()\n"
                             "               ^\n"
                             "hint: try lr=0.01\n");
    assert_int_equal(tl_run(f, "raise_engine()"), LANG_ERR_SHAPE);
    assert_string_equal(f->err.msg, "shapes (2,) and (3,) differ");
    assert_string_equal(f->err.hint, "reshape one of them");
    assert_int_equal(f->err.line, 1);
}

/* Every engine error code maps to the learner's kind. */
static void test_report_engine_kinds(void **state)
{
    tl_fixture *f = *state;
    struct { eng_status code; lang_status kind; } map[] = {
        { ENG_ERR_SHAPE, LANG_ERR_SHAPE }, { ENG_ERR_INDEX, LANG_ERR_INDEX },
        { ENG_ERR_TYPE, LANG_ERR_TYPE }, { ENG_ERR_MEMORY, LANG_ERR_MEMORY },
        { ENG_ERR_IO, LANG_ERR_IO }, { ENG_ERR_VALUE, LANG_ERR_VALUE },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        eng_error ee;
        memset(&ee, 0, sizeof ee);
        ee.code = map[i].code;
        snprintf(ee.msg, sizeof ee.msg, "m%zu", i);
        lang_error err;
        memset(&err, 0, sizeof err);
        f->vm->err = &err;
        assert_int_equal(lang_raise_eng(f->vm, &ee), map[i].kind);
        f->vm->err = NULL;
        assert_int_equal(err.kind, map[i].kind);
        assert_string_equal(err.hint, "");
    }
}

/* NameError hints: a misspelt name, numpy and PyTorch habits, lower-case constants. */
static void test_report_name_hints(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "print(lenn('ab'))"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "did you mean 'len'?");
    assert_int_equal(tl_run(f, "x = np.zeros(3)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "tensor functions are built in: write zeros(3), not np.zeros(3)");
    assert_int_equal(tl_run(f, "t = torch"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "tensor functions are built in: write zeros(3), not torch.zeros(3)");
    assert_int_equal(tl_run(f, "qqqqqqq + 1"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "");
    /* PyTorch's names for what nabla spells otherwise */
    assert_int_equal(tl_run(f, "l = cross_entropy(z, y)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "PyTorch's cross_entropy(logits, y) is "
                        "sparse_categorical_crossentropy(y, logits, from_logits=True) here");
    assert_int_equal(tl_run(f, "i = randperm(10)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "PyTorch's randperm(n) is permutation(n) here");
    /* names the program defined are suggested */
    assert_int_equal(tl_run(f, "epochs = 3\nprint(epohcs)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "did you mean 'epochs'?");
}

static void test_report_hint_prefers_own_names(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "loss = 0.5\nprint(los)"), LANG_ERR_NAME);
    assert_string_equal(f->err.hint, "did you mean 'loss'?");
}

static void test_report_hint_capitals(void **state)
{
    tl_fixture *f = *state;
    const char *srcs[] = { "x = true", "x = false", "x = null" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tl_run(f, srcs[i]), LANG_ERR_NAME);
        assert_string_equal(f->err.hint, "nabla writes True, False and None with capitals");
    }
}

/* An error raised with no caller error set goes to the VM's scratch report, never NULL. */
static void test_report_scratch(void **state)
{
    tl_fixture *f = *state;
    f->vm->err = NULL;
    assert_int_equal(lang_raise(f->vm, LANG_ERR_KEY, "k"), LANG_ERR_KEY);
    assert_int_equal(f->vm->scratch_err.kind, LANG_ERR_KEY);
    assert_string_equal(f->vm->scratch_err.msg, "k");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_status_names),
        cmocka_unit_test(test_report_format_exact),
        cmocka_unit_test(test_report_format_without_position),
        cmocka_unit_test(test_report_format_truncates),
        cmocka_unit_test(test_report_fill_line),
        cmocka_unit_test_setup_teardown(test_report_raise_from_builtin, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_report_engine_kinds, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_report_name_hints, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_report_hint_prefers_own_names, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_report_hint_capitals, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_report_scratch, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
