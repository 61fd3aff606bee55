/* test_vm_globals.c -- lang/vm_globals.c: the global name table. Slots are stable, found by
 * name, grow past the first capacity with every old name still found; builtins are globals that
 * a program may hide, and `del` of a hiding global brings the builtin back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static void test_vm_globals_slots(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(lang_global_find(f->vm, "no_such_name"), -1);
    int a = lang_global_slot(f->vm, "alpha", 5);
    assert_true(a >= 0);
    assert_int_equal(lang_global_slot(f->vm, "alpha", 5), a);   /* the same slot again */
    assert_int_equal(lang_global_find(f->vm, "alpha"), a);
    /* a name given with a length: only the first len bytes count */
    assert_int_equal(lang_global_slot(f->vm, "alphabet", 5), a);
    int b = lang_global_slot(f->vm, "alphabet", 8);
    assert_true(b >= 0 && b != a);
    assert_string_equal(f->vm->globals.names[b], "alphabet");
    /* a new slot is unbound until assigned */
    assert_true(LANG_IS_UNDEF(f->vm->globals.values[a]));
    tl_expect_error(f, "print(alpha)", "NameError: line 1, col 7: name 'alpha' is not defined");
    tl_expect_out(f, "alpha = 'set'\nprint(alpha)", "set\n");
    assert_true(LANG_IS_STR(f->vm->globals.values[a]));
    TL_DONE(f);
}

/* Thousands of globals: the table grows, every name keeps its slot and value. */
static void test_vm_globals_grow(void **state)
{
    tl_fixture *f = *state;
    size_t before = f->vm->globals.len;
    int slots[3000];
    char name[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "g%d", i);
        slots[i] = lang_global_slot(f->vm, name, strlen(name));
        assert_true(slots[i] >= 0);
        f->vm->globals.values[slots[i]] = lang_num(i);
    }
    assert_int_equal(f->vm->globals.len, before + 3000);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "g%d", i);
        assert_int_equal(lang_global_find(f->vm, name), slots[i]);
        assert_true(f->vm->globals.values[slots[i]].as.num == i);
    }
    tl_expect_out(f, "print(g0 + g2999, len('builtins still work'))", "2999 19\n");
    /* the program's own globals after the growth */
    tl_expect_out(f, "late = 1\nprint(late + g1500)", "1501\n");
    TL_DONE(f);
}

static void test_vm_globals_builtins(void **state)
{
    tl_fixture *f = *state;
    int l = lang_global_find(f->vm, "len"), p = lang_global_find(f->vm, "print");
    assert_true(l >= 0 && p >= 0);
    assert_true(lang_global_is_builtin(f->vm, (size_t)l));
    assert_true(lang_global_is_builtin(f->vm, (size_t)p));
    assert_int_equal(tl_run(f, "mine = 1"), LANG_OK);
    assert_false(lang_global_is_builtin(f->vm, (size_t)lang_global_find(f->vm, "mine")));
    /* lang_set_global defines a plain global */
    assert_int_equal(lang_set_global(f->vm, "epochs", lang_num(5)), LANG_OK);
    tl_expect_out(f, "print(epochs * 2)", "10\n");
    assert_int_equal(lang_set_global(f->vm, "epochs", lang_obj_val(lang_str_cstr(f->vm, "five"))), LANG_OK);
    tl_expect_out(f, "print(epochs)", "five\n");
    TL_DONE(f);
}

static void test_vm_globals_shadowing(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "len = 5\nprint(len)", "5\n");
    tl_expect_out(f, "del len\nprint(len('ab'))", "2\n");
    tl_expect_out(f, "sum = 0\nfor i in range(3):\n    sum += i\nprint(sum)\ndel sum\nprint(sum(list([1, 2])))", "3\n3\n");
    TL_DONE(f);
}

/* del of a global: unbound again, and an error to delete twice. */
static void test_vm_globals_del(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "x = 1\ndel x", "");
    tl_expect_error(f, "print(x)", "NameError: line 1, col 7: name 'x' is not defined");
    tl_expect_error(f, "del x", "NameError: line 1, col 5: name 'x' is not defined");
    tl_expect_out(f, "x = 2\nprint(x)", "2\n");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vm_globals_slots, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_globals_grow, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_globals_builtins, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_globals_shadowing, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_vm_globals_del, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("vm_globals", tests, NULL, NULL);
}
