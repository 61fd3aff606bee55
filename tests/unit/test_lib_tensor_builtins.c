/* test_lib_tensor_builtins.c -- lang/lib_tensor_builtins.c: the tables of tensor builtins and
 * tensor methods. Every entry parses its signature, has a help text that opens with its own
 * signature and gives an example, and is reachable from a program. (The behaviour of each
 * builtin is tested through the VM in test_lib_tensor.c and tests/lang/tensor_*.nabla.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"
#include "lang/lib_tensor.h"

static void check_table(tl_fixture *f, const lang_builtin_def *defs, const char *prefix)
{
    int n = 0;
    for (const lang_builtin_def *d = defs; d->name; d++, n++) {
        lang_builtin b;
        memset(&b, 0, sizeof b);
        if (lang_builtin_parse(d, &b) != LANG_OK) {
            print_error("%s%s: bad parameter list '%s'\n", prefix, d->name, d->params);
            f->failures++;
        }
        size_t len = strlen(prefix);
        int opens = d->help && (strncmp(d->help, d->name, strlen(d->name)) == 0 ||
                                (strncmp(d->help, prefix, len) == 0 &&
                                 strncmp(d->help + len, d->name, strlen(d->name)) == 0));
        if (!opens || !strstr(d->help, "Example")) {
            print_error("%s%s: help must open with the signature and give an example\n", prefix, d->name);
            f->failures++;
        }
    }
    TL_CHECK(f, n > 10);
}

static void test_lib_tensor_builtins_tables(void **state)
{
    tl_fixture *f = *state;
    check_table(f, lang_tensor_builtins, "");
    check_table(f, lang_tensor_methods, "t.");
    TL_DONE(f);
}

/* Each builtin is a global of its own name; each method is found on a tensor. */
static void test_lib_tensor_builtins_registered(void **state)
{
    tl_fixture *f = *state;
    for (const lang_builtin_def *d = lang_tensor_builtins; d->name; d++) {
        int g = lang_global_find(f->vm, d->name);
        TL_CHECK(f, g >= 0 && lang_global_is_builtin(f->vm, (size_t)g));
    }
    assert_int_equal(tl_run(f, "t = zeros(2)"), LANG_OK);
    lang_value t = f->vm->globals.values[lang_global_find(f->vm, "t")];
    for (const lang_builtin_def *d = lang_tensor_methods; d->name; d++)
        TL_CHECK(f, lang_find_method(f->vm, t, d->name) != NULL);
    TL_DONE(f);
}

/* help(zeros) is the table's text. */
static void test_lib_tensor_builtins_help(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(tl_run(f, "help(zeros)"), LANG_OK);
    TL_CHECK(f, strncmp(f->out.data, "zeros(", 6) == 0);
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lib_tensor_builtins_tables, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_builtins_registered, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_lib_tensor_builtins_help, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("lib_tensor_builtins", tests, NULL, NULL);
}
