/* test_libs.c -- lang/libs.c: a new VM opens every builtin library, in order, once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

/* One builtin of each library answers (core, sequences, tensors, autograd, data). */
static void test_libs_every_library_is_open(void **state)
{
    tl_fixture *f = *state;
    const char *names[] = { "print", "sorted", "zeros", "param", "load_csv" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int g = lang_global_find(f->vm, names[i]);
        TL_CHECK(f, g >= 0);
        TL_CHECK(f, g >= 0 && lang_global_is_builtin(f->vm, (size_t)g));
    }
    tl_expect_out(f, "print(type(zeros), type(param), type(len))", "builtin builtin builtin\n");
    TL_DONE(f);
}

/* Opening the libraries again (a second VM) gives the same names: no state is shared. */
static void test_libs_vms_are_independent(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "zeros = 3\nprint(zeros)", "3\n");
    lang_vm *other = lang_vm_new(NULL);
    assert_non_null(other);
    int g = lang_global_find(other, "zeros");
    assert_true(g >= 0 && lang_global_is_builtin(other, (size_t)g));
    lang_vm_free(other);
    TL_DONE(f);
}

/* The methods of the built-in types are registered too. */
static void test_libs_methods(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "print('a,b'.split(','), [3, 1].copy(), {'k': 1}.get('k'), zeros(2).sum())",
                  "['a', 'b'] tensor([3., 1.]) 1 0\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_libs_every_library_is_open, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_libs_vms_are_independent, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_libs_methods, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("libs", tests, NULL, NULL);
}
