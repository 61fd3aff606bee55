/* test_help.c -- lang/help.c: the texts of help(x) for builtins, methods, the program's
 * functions and plain values; the help() overview; and that every builtin and every method
 * of the built-in types has a help text that starts with its signature and says something.
 * (lang_complete and lang_inspect, also here, are tested through nabla.h in test_api.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"
#include "lang/lib_core.h"

static char *help_of(tl_fixture *f, const char *expr)
{
    lang_value v = lang_undef();
    f->vm->capture = &v;
    lang_error err;
    lang_status st = lang_eval(f->vm, expr, "<h>", LANG_EVAL_ECHO, &err);
    f->vm->capture = NULL;
    if (st != LANG_OK || LANG_IS_UNDEF(v)) fail_msg("%s: %s", expr, err.msg);
    char *text = lang_help_text(f->vm, v);
    lang_decref(f->vm, v);
    assert_non_null(text);
    return text;
}

static void expect_help(tl_fixture *f, const char *expr, const char *want)
{
    char *h = help_of(f, expr);
    if (strcmp(h, want) != 0) {
        print_error("--- help(%s):\n%s--- expected:\n%s\n", expr, h, want);
        f->failures++;
    }
    free(h);
}

static void test_help_texts(void **state)
{
    tl_fixture *f = *state;
    expect_help(f, "len", "len(x)\nThe number of items: characters of a str, items of a list, tuple or dict, rows (first dimension) of a tensor.\nExample: len(zeros(4, 3))  is  4\n");
    expect_help(f, "[].append", "list.append(item)\nAdds item at the end.\nExample: losses.append(0.5)\n");
    expect_help(f, "'len'", "len(x)\nThe number of items: characters of a str, items of a list, tuple or dict, rows (first dimension) of a tensor.\nExample: len(zeros(4, 3))  is  4\n");
    expect_help(f, "3", "a number: 3\n");
    expect_help(f, "None", "a NoneType: None\n");
    expect_help(f, "'no such builtin'", "a str: 'no such builtin'\nmethods: upper lower strip lstrip rstrip split join replace startswith endswith find count format\n");
    expect_help(f, "('a',)", "a tuple: ('a',)\nmethods: index count\n");
    expect_help(f, "zeros(2, 3)", "tensor of shape (2, 3), dtype float32 (6 elements)\ntensor([[0., 0., 0.],\n        [0., 0., 0.]])\n");
    assert_int_equal(tl_run(f, "def area(w, h=1):\n    \"\"\"The area of a w by h rectangle.\n\n    Both in metres.\n    \"\"\"\n    return w * h\n"
                               "def bare(x):\n    return x\nsq = lambda x: x * x"), LANG_OK);
    expect_help(f, "area", "def area(w, h=1):\nThe area of a w by h rectangle.\n\nBoth in metres.\n");
    expect_help(f, "bare", "def bare(x):\nA function you defined (line 7 of <test>).\n");
    expect_help(f, "sq", "<lambda>(x)\nA function you defined (line 9 of <test>).\n");
    TL_DONE(f);
}

/* Every builtin: "name(" on the first line, then at least one line of description. */
static void test_help_every_builtin_documented(void **state)
{
    tl_fixture *f = *state;
    int checked = 0;
    for (size_t g = 0; g < f->vm->globals.len; g++) {
        if (!lang_global_is_builtin(f->vm, g)) continue;
        const char *name = f->vm->globals.names[g];
        char *h = lang_help_text(f->vm, f->vm->globals.values[g]);
        assert_non_null(h);
        size_t n = strlen(name);
        const char *nl = strchr(h, '\n');
        if (strncmp(h, name, n) != 0 || h[n] != '(')
            print_error("help(%s) does not start with its signature: %.60s\n", name, h), f->failures++;
        else if (!nl || strlen(nl + 1) < 10)
            print_error("help(%s) has no description: %s\n", name, h), f->failures++;
        free(h);
        checked++;
    }
    assert_true(checked >= 60);
    TL_DONE(f);
}

/* Every method of str, list, dict, tuple and tensor: "type.name(" (tensors: "t.name(") then a description. */
static void test_help_every_method_documented(void **state)
{
    tl_fixture *f = *state;
    const char *types[LANG_METHODS_COUNT] = { "str", "list", "dict", "t", "tuple" };   /* tensor methods read t.sum() */
    int checked = 0;
    for (int t = 0; t < LANG_METHODS_COUNT; t++) {
        for (lang_builtin **m = f->vm->methods[t]; m && *m; m++) {
            const char *help = (*m)->def->help;
            char want[64];
            snprintf(want, sizeof want, "%s.%s(", types[t], (*m)->def->name);
            if (!help || strncmp(help, want, strlen(want)) != 0)
                print_error("%s%s): help starts \"%.40s\"\n", want, "", help ? help : "(none)"), f->failures++;
            else if (!strchr(help, '\n'))
                print_error("%s): help has no description\n", want), f->failures++;
            checked++;
        }
    }
    assert_true(checked >= 40);
    TL_DONE(f);
}

static void test_help_overview(void **state)
{
    tl_fixture *f = *state;
    char *o = lang_help_overview(f->vm);
    assert_non_null(o);
    assert_true(strncmp(o, "nabla " LANG_VERSION ": ", 8) == 0);
    assert_non_null(strstr(o, "help(name)"));
    /* every builtin is listed */
    for (size_t g = 0; g < f->vm->globals.len; g++) {
        if (!lang_global_is_builtin(f->vm, g)) continue;
        char word[80];
        snprintf(word, sizeof word, " %s", f->vm->globals.names[g]);
        const char *p = o;
        int found = 0;
        size_t n = strlen(word);
        while ((p = strstr(p, word)) != NULL) {
            if (p[n] == ' ' || p[n] == '\n' || p[n] == '\0') { found = 1; break; }
            p += n;
        }
        if (!found) print_error("help() does not list %s\n", word + 1), f->failures++;
    }
    /* no line wider than 80 columns */
    for (const char *line = o; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 80) print_error("help() line of %zu columns: %.40s\n", len, line), f->failures++;
        if (!end) break;
        line = end + 1;
    }
    free(o);
    /* a user's global hiding a builtin is not a builtin any more */
    assert_int_equal(tl_run(f, "zip = 3"), LANG_OK);
    o = lang_help_overview(f->vm);
    assert_null(strstr(o, " zip "));
    free(o);
    TL_DONE(f);
}

/* The overview lists only keywords nabla has: class, try, import... are errors, not features. */
static void test_help_overview_keywords(void **state)
{
    tl_fixture *f = *state;
    char *o = lang_help_overview(f->vm);
    const char *kw = strstr(o, "keywords:");
    assert_non_null(kw);
    const char *unsupported[] = { " class", " try", " except", " finally", " import", " from", " raise", " yield" };
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        const char *p = strstr(kw, unsupported[i]);
        size_t n = strlen(unsupported[i]);
        if (p && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            print_error("help() lists the keyword%s, which nabla rejects\n", unsupported[i]), f->failures++;
    }
    free(o);
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help_texts, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_help_every_builtin_documented, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_help_every_method_documented, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_help_overview, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_help_overview_keywords, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("help", tests, NULL, NULL);
}
