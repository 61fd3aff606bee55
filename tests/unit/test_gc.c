/* test_gc.c -- lang/gc.c: the cycle collector. Cycles (a list holding itself, a dict holding
 * itself, two lists holding each other, a closure whose cell holds the closure) are freed by
 * lang_gc_collect once nothing outside refers to them; reachable ones survive and stay usable.
 * Containers are counted on the VM's container list (lang/vm.h); under `make check-asan`
 * LeakSanitizer also checks that nothing a collection frees is leaked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static size_t containers(lang_vm *vm)
{
    size_t n = 0;
    for (lang_obj *o = vm->gc_head.gc_next; o != &vm->gc_head; o = o->gc_next) n++;
    return n;
}

/* Containers left after a collection: the baseline a test returns to. */
static size_t settled(lang_vm *vm)
{
    lang_gc_collect(vm);
    return containers(vm);
}

static void run_ok(tl_fixture *f, const char *src)
{
    if (tl_run(f, src) != LANG_OK) {
        char line[512];
        fail_msg("%s\n-> %s", src, tl_error_line(&f->err, line, sizeof line));
    }
}

static void test_gc_list_holding_itself(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "me = ['a']\nme.append(me)\nprint(len(me), me[1][1][0])");
    assert_string_equal(f->out.data, "2 a\n");
    assert_int_equal(containers(f->vm), base + 1);
    /* still referenced by a global: a collection keeps it */
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base + 1);
    run_ok(f, "print(me[1] is me)");
    assert_string_equal(f->out.data, "True\n");
    /* unreachable: reference counting cannot free it, the collector does */
    run_ok(f, "del me");
    assert_int_equal(containers(f->vm), base + 1);
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base);
}

static void test_gc_dict_and_pairs(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "d = {}\nd['self'] = d\na = ['a']\nb = ['b']\na.append(b)\nb.append(a)\n"
              "t = (a, d)\nd['t'] = t");
    assert_int_equal(containers(f->vm), base + 4);
    run_ok(f, "del d, a, b, t");
    assert_int_equal(containers(f->vm), base + 4);
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base);
}

/* A closure that refers to itself: the function holds its cell, the cell holds the function. */
static void test_gc_closure_referring_to_itself(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "def outer():\n    def countdown(n):\n        return 0 if n == 0 else countdown(n - 1)\n"
              "    return countdown\n");
    size_t with_outer = settled(f->vm);
    assert_true(with_outer > base);
    run_ok(f, "g = outer()\nprint(g(5))");
    assert_string_equal(f->out.data, "0\n");
    size_t with_g = containers(f->vm);
    assert_true(with_g >= with_outer + 2);   /* at least the closure and its cell */
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), with_g);
    run_ok(f, "del g");
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), with_outer);
    run_ok(f, "del outer");
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base);
}

/* A cycle through a default argument and a list: f's default holds a list that holds f. */
static void test_gc_function_default_cycle(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "box = []\ndef keep(x=box):\n    return x\nbox.append(keep)\nprint(keep()[0] is keep)");
    assert_string_equal(f->out.data, "True\n");
    run_ok(f, "del box, keep");
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base);
}

/* Tensors held by a cycle are released with it (ASan reports a leak otherwise). */
static void test_gc_cycle_holding_tensors(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "big = [zeros(256, 256), ones(3)]\nbig.append(big)\nh = {'w': big}\nbig.append(h)");
    run_ok(f, "del big, h");
    lang_gc_collect(f->vm);
    assert_int_equal(containers(f->vm), base);
}

/* Acyclic garbage never waits for the collector: reference counting frees it at once. */
static void test_gc_acyclic_freed_at_once(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "xs = [['a'], ('b', ['c']), {'k': ['v']}]");
    assert_int_equal(containers(f->vm), base + 6);
    run_ok(f, "xs = None");
    assert_int_equal(containers(f->vm), base);
    run_ok(f, "for i in range(1000):\n    tmp = [[i], {'i': (i,)}]\ntmp = None");
    assert_int_equal(containers(f->vm), base);
}

/* Cycles made in a long run are collected between evals once enough containers were made;
 * the VM and the values the program still holds are intact afterwards. */
static void test_gc_automatic_between_evals(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    run_ok(f, "keep = ['kept']\nkeep.append(keep)\nfor i in range(30000):\n    c = ['x', i]\n    c.append(c)\nc = None");
    /* the threshold was passed during this eval: lang_eval collected at its end */
    assert_true(containers(f->vm) < base + 100);
    run_ok(f, "print(keep[1][1][0], len(keep))");
    assert_string_equal(f->out.data, "kept 2\n");
}

/* lang_vm_free frees everything, cycles included (checked by LeakSanitizer). */
static void test_gc_vm_free_with_cycles(void **state)
{
    tl_fixture f = {0};
    lang_host h = tl_host(&f);
    f.vm = lang_vm_new(&h);
    assert_non_null(f.vm);
    run_ok(&f, "a = []\na.append(a)\ndef rec():\n    return rec\nd = {'f': rec, 'a': a}\nd['d'] = d\n"
               "def outer():\n    x = [1]\n    def inner():\n        return x, inner\n    return inner\ni = outer()");
    lang_vm_free(f.vm);
}

static void test_gc_is_container(void **state)
{
    tl_fixture *f = *state;
    run_ok(f, "s = 'text'\nl = []\nd = {}\nt = (1,)\nfn = lambda: 0\nr = range(3)\nz = zeros(2)");
    struct { const char *name; int container; } want[] = {
        { "s", 0 }, { "l", 1 }, { "d", 1 }, { "t", 1 }, { "fn", 1 }, { "r", 0 }, { "z", 0 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int g = lang_global_find(f->vm, want[i].name);
        assert_true(g >= 0);
        lang_value v = f->vm->globals.values[g];
        assert_true(LANG_IS_OBJ(v));
        if (lang_is_container(v.as.obj) != want[i].container)
            fail_msg("%s: lang_is_container is %d", want[i].name, lang_is_container(v.as.obj));
    }
}

/* lang_gc_track / lang_gc_untrack keep the list consistent; untracking twice is harmless. */
static void test_gc_track_untrack(void **state)
{
    tl_fixture *f = *state;
    size_t base = settled(f->vm);
    lang_obj a = {0}, b = {0};
    a.type = b.type = LANG_OBJ_LIST;
    lang_gc_track(f->vm, &a);
    lang_gc_track(f->vm, &b);
    assert_int_equal(containers(f->vm), base + 2);
    lang_gc_untrack(&a);
    assert_int_equal(containers(f->vm), base + 1);
    lang_gc_untrack(&a);
    lang_gc_untrack(&b);
    assert_int_equal(containers(f->vm), base);
    assert_null(a.gc_next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gc_list_holding_itself, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_dict_and_pairs, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_closure_referring_to_itself, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_function_default_cycle, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_cycle_holding_tensors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_acyclic_freed_at_once, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_automatic_between_evals, tl_setup, tl_teardown),
        cmocka_unit_test(test_gc_vm_free_with_cycles),
        cmocka_unit_test_setup_teardown(test_gc_is_container, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_gc_track_untrack, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("gc", tests, NULL, NULL);
}
