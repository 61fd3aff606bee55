/* test_api.c -- lang/api.c: the entry points of nabla.h. A VM's life (new, eval, free), globals
 * persisting between evals, ECHO of a final expression, errors keeping earlier effects,
 * lang_is_complete (the REPL's and Jupyter's is_complete), lang_complete, lang_inspect,
 * lang_disassemble, lang_set_argv, interrupts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"

static void test_api_vm_new_free(void **state)
{
    /* a NULL host is allowed: output is dropped */
    lang_vm *vm = lang_vm_new(NULL);
    assert_non_null(vm);
    lang_error err;
    assert_int_equal(lang_eval(vm, "print(1)\nx = [1, 'a']", "<t>", 0, &err), LANG_OK);
    lang_vm_free(vm);
    lang_vm_free(NULL);
    /* two VMs are independent */
    tl_fixture a = {0}, b = {0};
    lang_host ha = tl_host(&a), hb = tl_host(&b);
    a.vm = lang_vm_new(&ha);
    b.vm = lang_vm_new(&hb);
    assert_int_equal(lang_eval(a.vm, "x = 'in a'", "<a>", 0, &a.err), LANG_OK);
    assert_int_equal(lang_eval(b.vm, "print(x)", "<b>", 0, &b.err), LANG_ERR_NAME);
    assert_int_equal(lang_eval(a.vm, "print(x)", "<a>", 0, &a.err), LANG_OK);
    assert_string_equal(a.out.data, "in a\n");
    lang_vm_free(a.vm);
    lang_vm_free(b.vm);
}

static void test_api_eval_globals_persist(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x = 6", "");
    tl_expect_out(f, "def double(n):\n    return 2 * n", "");
    tl_expect_out(f, "print(double(x) * 3.5)", "42\n");
    /* an error keeps the effects of the statements before it */
    tl_expect_error(f, "y = 1\nz = y / 0\nw = 3", "ValueError: line 2, col 5: division by zero");
    tl_expect_out(f, "print(y)", "1\n");
    tl_expect_error(f, "print(w)", "NameError: line 1, col 7: name 'w' is not defined");
    /* the error names the file given to lang_eval */
    assert_int_equal(tl_run(f, "nope"), LANG_ERR_NAME);
    assert_string_equal(f->err.file, "<test>");
    assert_string_equal(f->err.source_line, "nope");
    TL_DONE(f);
}

/* LANG_EVAL_ECHO reports the value of a final bare expression through host->result, as repr. */
static void test_api_eval_echo(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run_flags(f, "x = 6\nx * 7", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "42\n");
    assert_string_equal(f->out.data, "");
    assert_int_equal(tl_run_flags(f, "'text'", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "'text'\n");
    assert_int_equal(tl_run_flags(f, "[1, 'a']", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "[1, 'a']\n");
    /* None and statements echo nothing */
    assert_int_equal(tl_run_flags(f, "None", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "");
    assert_int_equal(tl_run_flags(f, "y = 2", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "");
    assert_int_equal(tl_run_flags(f, "print('p')", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "");
    assert_string_equal(f->out.data, "p\n");
    /* only the last expression statement echoes, and only with the flag */
    assert_int_equal(tl_run_flags(f, "1\n2", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "2\n");
    assert_int_equal(tl_run_flags(f, "3", 0), LANG_OK);
    assert_string_equal(f->echo.data, "");
    /* an expression inside a block is not the final statement */
    assert_int_equal(tl_run_flags(f, "if True:\n    5\n", LANG_EVAL_ECHO), LANG_OK);
    assert_string_equal(f->echo.data, "");
}

/* Evaluating source that is incomplete reports a SyntaxError (there is no more input). */
static void test_api_eval_incomplete_is_syntax_error(void **state)
{
    tl_fixture *f = *state;
    tl_expect_error(f, "if x:", "SyntaxError: line 1, col 6: expected an indented block for the if block (the input ended too early)");
    assert_int_equal(f->err.kind, LANG_ERR_SYNTAX);
    tl_expect_error(f, "x = (1,\n  2", "SyntaxError: *");
    assert_int_equal(f->err.kind, LANG_ERR_SYNTAX);
    TL_DONE(f);
}

static void test_api_is_complete(void **state)
{
    char indent[64];
    assert_int_equal(lang_is_complete("x = 1", indent), LANG_OK);
    assert_string_equal(indent, "");
    assert_int_equal(lang_is_complete("", indent), LANG_OK);
    assert_int_equal(lang_is_complete("print('a')\n", NULL), LANG_OK);
    /* an open block: indent one level deeper */
    assert_int_equal(lang_is_complete("if x:", indent), LANG_ERR_INCOMPLETE);
    assert_string_equal(indent, "    ");
    /* inside a block, keep its indentation until a blank line ends it */
    assert_int_equal(lang_is_complete("for i in range(3):\n    print(i)", indent), LANG_ERR_INCOMPLETE);
    assert_string_equal(indent, "    ");
    assert_int_equal(lang_is_complete("for i in range(3):\n    print(i)\n\n", indent), LANG_OK);
    assert_string_equal(indent, "");
    /* a trailing comment does not hide the colon */
    assert_int_equal(lang_is_complete("while True:   # forever", indent), LANG_ERR_INCOMPLETE);
    assert_string_equal(indent, "    ");
    /* open brackets and strings */
    assert_int_equal(lang_is_complete("x = [1,\n  2,", indent), LANG_ERR_INCOMPLETE);
    assert_int_equal(lang_is_complete("f(a,", indent), LANG_ERR_INCOMPLETE);
    assert_int_equal(lang_is_complete("s = '''doc", indent), LANG_ERR_INCOMPLETE);
    assert_int_equal(lang_is_complete("d = {'a': 1,", indent), LANG_ERR_INCOMPLETE);
    /* invalid whatever follows */
    assert_int_equal(lang_is_complete("x = = 1", indent), LANG_ERR_SYNTAX);
    assert_string_equal(indent, "");
    assert_int_equal(lang_is_complete("import numpy", indent), LANG_ERR_SYNTAX);
    assert_int_equal(lang_is_complete("x = )", indent), LANG_ERR_SYNTAX);
    assert_int_equal(lang_is_complete("print('abc)", indent), LANG_ERR_SYNTAX);
}

/* A block header inside a block: the REPL must ask for the inner block. */
static void test_api_is_complete_nested(void **state)
{
    char indent[64];
    assert_int_equal(lang_is_complete("def f(a):\n    if a:", indent), LANG_ERR_INCOMPLETE);
    assert_string_equal(indent, "        ");
    assert_int_equal(lang_is_complete("for i in r:\n    for j in r:\n", indent), LANG_ERR_INCOMPLETE);
    assert_string_equal(indent, "        ");
}

/* An error inside an f-string field can never be completed by more lines. */
static void test_api_is_complete_fstring_error(void **state)
{
    assert_int_equal(lang_is_complete("y = f'{x + }'", NULL), LANG_ERR_SYNTAX);
}

static void test_api_is_complete_backslash(void **state)
{
    assert_int_equal(lang_is_complete("x = 1 + \\", NULL), LANG_ERR_INCOMPLETE);
}

static void free_matches(char **m, int n)
{
    for (int i = 0; i < n; i++) free(m[i]);
    free(m);
}

/* Is s one of the n matches? */
static int has(char **m, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(m[i], s) == 0) return 1;
    return 0;
}

static void test_api_complete_names(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "learning_rate = 0.1\nlearner = 'x'\n_hidden = 1"), LANG_OK);
    char **m;
    size_t start;
    int n = lang_complete(f->vm, "print(lea", 9, &m, &start);
    assert_int_equal(n, 2);
    assert_int_equal(start, 6);
    assert_string_equal(m[0], "learner");        /* sorted */
    assert_string_equal(m[1], "learning_rate");
    free_matches(m, n);
    /* builtins and keywords */
    n = lang_complete(f->vm, "ze", 2, &m, &start);
    assert_true(has(m, n, "zeros"));
    assert_int_equal(start, 0);
    free_matches(m, n);
    n = lang_complete(f->vm, "whi", 3, &m, &start);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "while");
    free_matches(m, n);
    /* names starting with '_' are not offered */
    n = lang_complete(f->vm, "_hid", 4, &m, &start);
    assert_int_equal(n, 0);
    free_matches(m, n);
    /* the cursor in the middle of the text */
    n = lang_complete(f->vm, "x = learn + 1", 9, &m, &start);
    assert_int_equal(n, 2);
    assert_int_equal(start, 4);
    free_matches(m, n);
    n = lang_complete(f->vm, "qqqqq", 5, &m, &start);
    assert_int_equal(n, 0);
    free_matches(m, n);
}

static void test_api_complete_attributes(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "name = 'ada'\nxs = []\nh = {}"), LANG_OK);
    char **m;
    size_t start;
    int n = lang_complete(f->vm, "name.up", 7, &m, &start);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "upper");
    assert_int_equal(start, 5);
    free_matches(m, n);
    n = lang_complete(f->vm, "xs.", 3, &m, &start);
    assert_true(has(m, n, "append") && has(m, n, "pop") && has(m, n, "sort"));
    assert_false(has(m, n, "upper"));
    free_matches(m, n);
    n = lang_complete(f->vm, "h.ke", 4, &m, &start);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "keys");
    free_matches(m, n);
    /* a call of a builtin may be evaluated: zeros(2). offers tensor methods */
    n = lang_complete(f->vm, "zeros(2).resh", 13, &m, &start);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "reshape");
    free_matches(m, n);
}

/* Completion never runs the learner's code (a call of a user function may have effects). */
static void test_api_complete_runs_no_user_code(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "calls = []\ndef f():\n    calls.append(1)\n    return 'abc'"), LANG_OK);
    char **m;
    size_t start;
    int n = lang_complete(f->vm, "f().up", 6, &m, &start);
    free_matches(m, n);
    n = lang_complete(f->vm, "print('hi').x", 13, &m, &start);
    free_matches(m, n);
    tl_expect_out(f, "print(len(calls))", "0\n");
    TL_DONE(f);
}

static void test_api_inspect(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "def g(x):\n    \"\"\"Doubles x.\"\"\"\n    return 2 * x\nt = zeros(2, 3)"), LANG_OK);
    char *s = lang_inspect(f->vm, "len", 3, 0);
    assert_non_null(s);
    assert_true(strncmp(s, "len(x)\n", 7) == 0);
    free(s);
    /* the cursor inside the name, or just after an opening parenthesis */
    s = lang_inspect(f->vm, "y = g(1)", 4, 0);
    assert_non_null(s);
    assert_string_equal(s, "def g(x):\nDoubles x.\n");
    free(s);
    s = lang_inspect(f->vm, "g(", 2, 0);
    assert_non_null(s);
    assert_string_equal(s, "def g(x):\nDoubles x.\n");
    free(s);
    s = lang_inspect(f->vm, "t", 1, 1);
    assert_non_null(s);
    assert_true(strncmp(s, "tensor of shape (2, 3), dtype float32 (6 elements)\n", 51) == 0);
    free(s);
    assert_int_equal(tl_run(f, "name = 'abc'"), LANG_OK);
    s = lang_inspect(f->vm, "name.upper", 10, 0);
    assert_non_null(s);
    assert_true(strncmp(s, "str.upper()\n", 12) == 0);
    free(s);
    assert_null(lang_inspect(f->vm, "undefined_thing", 5, 0));
    assert_null(lang_inspect(f->vm, "   ", 1, 0));
    assert_null(lang_inspect(f->vm, "", 0, 0));
}

static void test_api_disassemble(void **state)
{
    tl_fixture *f = *state;
    char *dis = NULL;
    lang_error err;
    assert_int_equal(lang_disassemble(f->vm, "def f(a, b=1):\n    return a + b\nprint(f(2))", "<t>", &dis, &err), LANG_OK);
    assert_non_null(dis);
    assert_non_null(strstr(dis, "== <module> (0 params"));
    assert_non_null(strstr(dis, "== f (2 params"));
    assert_non_null(strstr(dis, "RETURN"));
    assert_non_null(strstr(dis, "CLOSURE"));
    free(dis);
    /* disassembling runs nothing */
    tl_expect_out(f, "print('ok')", "ok\n");
    assert_int_equal(lang_disassemble(f->vm, "print('side effect')", "<t>", &dis, &err), LANG_OK);
    free(dis);
    assert_string_equal(f->out.data, "ok\n");
    /* a syntax error is reported, with nothing to free */
    dis = (char *)1;
    assert_int_equal(lang_disassemble(f->vm, "x = (1,", "<t>", &dis, &err), LANG_ERR_SYNTAX);
    assert_null(dis);
    assert_int_equal(err.kind, LANG_ERR_SYNTAX);
    assert_true(err.line >= 1);
}

static void test_api_argv(void **state)
{
    tl_fixture *f = *state;
    char *args[] = { "train.nabla", "--epochs", "3" };
    lang_set_argv(f->vm, 3, args);
    tl_expect_out(f, "print(argv, len(argv), type(argv))", "['train.nabla', '--epochs', '3'] 3 list\n");
    lang_set_argv(f->vm, 0, NULL);
    tl_expect_out(f, "print(argv)", "[]\n");
    TL_DONE(f);
}

/* A pending interrupt stops a running loop with KeyboardInterrupt; the VM stays usable. */
static int poll_count;
static int interrupting_poll(void *ud)
{
    (void)ud;
    if (++poll_count == 3) lang_interrupt();
    return 0;
}

static void test_api_interrupt(void **state)
{
    tl_fixture f = {0};
    lang_host h = tl_host(&f);
    h.poll = interrupting_poll;
    f.vm = lang_vm_new(&h);
    assert_non_null(f.vm);
    poll_count = 0;
    lang_interrupt_clear();
    lang_status st = lang_eval(f.vm, "i = 0\nwhile True:\n    i += 1", "<t>", 0, &f.err);
    assert_int_equal(st, LANG_ERR_INTERRUPT);
    char report[256];
    lang_error_format(&f.err, report, sizeof report);
    assert_string_equal(report, "KeyboardInterrupt\nwhile True:\n^\n");   /* where it stopped */
    lang_interrupt_clear();
    poll_count = 1000;
    assert_int_equal(lang_eval(f.vm, "print(i > 0)", "<t>", 0, &f.err), LANG_OK);
    assert_string_equal(f.out.data, "True\n");
    /* lang_interrupt before an eval, without clearing: the next loop check stops it */
    lang_interrupt();
    st = lang_eval(f.vm, "for k in range(10000000):\n    pass", "<t>", 0, &f.err);
    assert_int_equal(st, LANG_ERR_INTERRUPT);
    lang_interrupt_clear();
    /* a poll callback returning nonzero interrupts too */
    lang_vm_free(f.vm);
}

static int always_stop(void *ud)
{
    (void)ud;
    return 1;
}

static void test_api_poll_interrupts(void **state)
{
    tl_fixture f = {0};
    lang_host h = tl_host(&f);
    h.poll = always_stop;
    f.vm = lang_vm_new(&h);
    lang_interrupt_clear();
    lang_status st = lang_eval(f.vm, "while True:\n    pass", "<t>", 0, &f.err);
    assert_int_equal(st, LANG_ERR_INTERRUPT);
    lang_interrupt_clear();
    lang_vm_free(f.vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_vm_new_free),
        cmocka_unit_test_setup_teardown(test_api_eval_globals_persist, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_eval_echo, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_eval_incomplete_is_syntax_error, tl_setup, tl_teardown),
        cmocka_unit_test(test_api_is_complete),
        cmocka_unit_test(test_api_is_complete_nested),
        cmocka_unit_test(test_api_is_complete_fstring_error),
        cmocka_unit_test(test_api_is_complete_backslash),
        cmocka_unit_test_setup_teardown(test_api_complete_names, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_complete_attributes, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_complete_runs_no_user_code, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_inspect, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_disassemble, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_api_argv, tl_setup, tl_teardown),
        cmocka_unit_test(test_api_interrupt),
        cmocka_unit_test(test_api_poll_interrupts),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
