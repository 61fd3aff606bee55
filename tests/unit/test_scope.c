/* test_scope.c -- lang/scope.c: Python's name resolution. Which names of a function are
 * parameters, locals, captured locals (cells), free variables of an enclosing function, or
 * globals; `global` and `nonlocal`; comprehensions and lambdas as scopes of their own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lang/scope.h"

typedef struct analysis {
    lang_arena arena;
    lang_node *prog;
    lang_scope *module;
} analysis;

static void analyze(analysis *a, const char *src)
{
    lang_error err;
    memset(a, 0, sizeof *a);
    if (lang_parse(src, "<t>", &a->arena, &a->prog, &err) != LANG_OK)
        fail_msg("parse failed: %s", err.msg);
    lang_scope_error serr;
    memset(&serr, 0, sizeof serr);
    a->module = lang_scope_analyze(&a->arena, a->prog, &serr);
    if (serr.node) fail_msg("scope error: %s", serr.msg);
    assert_non_null(a->module);
    assert_ptr_equal(a->prog->scope, a->module);
}

/* The scope of the def named `name`, searched depth-first through blocks and nested defs. */
static lang_scope *find_def(lang_node *n, const char *name)
{
    if (!n) return NULL;
    if (n->kind == LANG_N_DEF && strcmp(n->str, name) == 0) return n->scope;
    lang_scope *s;
    for (int i = 0; i < n->n; i++)
        if (n->list && (s = find_def(n->list[i], name))) return s;
    if ((s = find_def(n->a, name)) || (s = find_def(n->b, name)) || (s = find_def(n->c, name))) return s;
    return NULL;
}

static lang_scope *def_scope(analysis *a, const char *name)
{
    lang_scope *s = find_def(a->prog, name);
    if (!s) fail_msg("no def %s", name);
    return s;
}

/* Flags of name in scope s, or -1 when the scope does not know it. */
static int flags(lang_scope *s, const char *name)
{
    lang_var *v = lang_scope_find(s, name);
    return v ? v->flags : -1;
}

#define HAS(fl, bit) (((fl) & (bit)) != 0)

static void test_scope_module_names_are_global(void **state)
{
    analysis a;
    analyze(&a, "x = 1\nfor i in range(3):\n    y = x + i\ndef f():\n    pass\n");
    assert_true(a.module->is_module);
    assert_null(a.module->parent);
    /* assigned at the top level: known to the module scope, never captured */
    assert_true(HAS(flags(a.module, "x"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(a.module, "i"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(a.module, "f"), LANG_VAR_ASSIGNED));
    /* names only read at the top level are not recorded (they are globals) */
    assert_int_equal(flags(a.module, "range"), -1);
    lang_arena_free(&a.arena);
}

static void test_scope_params_and_locals(void **state)
{
    analysis a;
    analyze(&a, "g = 0\ndef f(a, b=g):\n    c = a + b\n    for k in a:\n        d = k\n    return c + g + len(a)\n");
    lang_scope *f = def_scope(&a, "f");
    assert_false(f->is_module);
    assert_ptr_equal(f->parent, a.module);
    assert_int_equal(f->nparams, 2);
    assert_true(HAS(flags(f, "a"), LANG_VAR_PARAM) && HAS(flags(f, "a"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(f, "b"), LANG_VAR_PARAM));
    assert_false(HAS(flags(f, "c"), LANG_VAR_PARAM));
    assert_true(HAS(flags(f, "c"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(f, "k"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(f, "d"), LANG_VAR_ASSIGNED));
    /* read-only names resolve to globals: used, neither local nor free */
    int fg = flags(f, "g");
    assert_true(HAS(fg, LANG_VAR_USED));
    assert_false(HAS(fg, LANG_VAR_ASSIGNED | LANG_VAR_FREE));
    assert_false(HAS(flags(f, "len"), LANG_VAR_FREE));
    /* the parameters come first, in order */
    assert_string_equal(f->vars[0].name, "a");
    assert_string_equal(f->vars[1].name, "b");
    lang_arena_free(&a.arena);
}

/* A name assigned anywhere in a function is local in all of it (even before the assignment). */
static void test_scope_assignment_anywhere_makes_local(void **state)
{
    analysis a;
    analyze(&a, "x = 1\ndef f():\n    print(x)\n    if False:\n        x = 2\n");
    assert_true(HAS(flags(def_scope(&a, "f"), "x"), LANG_VAR_ASSIGNED));
    lang_arena_free(&a.arena);
    analyze(&a, "def f(t):\n    t[0] = 1\n    t.a = 2\n    del u\n    v += 1\n");
    lang_scope *f = def_scope(&a, "f");
    /* t[0] = and t.a = read t; del u and v += assign */
    assert_true(HAS(flags(f, "t"), LANG_VAR_PARAM));
    assert_true(HAS(flags(f, "u"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(f, "v"), LANG_VAR_ASSIGNED));
    lang_arena_free(&a.arena);
}

static void test_scope_closures(void **state)
{
    analysis a;
    analyze(&a, "def make():\n    n = 0\n    unused = 1\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc\n");
    lang_scope *make = def_scope(&a, "make"), *inc = def_scope(&a, "inc");
    assert_ptr_equal(inc->parent, make);
    int mn = flags(make, "n");
    assert_true(HAS(mn, LANG_VAR_ASSIGNED) && HAS(mn, LANG_VAR_CAPTURED));
    assert_false(HAS(flags(make, "unused"), LANG_VAR_CAPTURED));
    int in = flags(inc, "n");
    assert_true(HAS(in, LANG_VAR_NONLOCAL) && HAS(in, LANG_VAR_FREE));
    assert_false(HAS(in, LANG_VAR_ASSIGNED));   /* nonlocal: the store goes to the cell */
    lang_arena_free(&a.arena);

    /* reading a variable of the enclosing function captures it; a parameter can be captured */
    analyze(&a, "def adder(k):\n    return lambda x: x + k\n");
    lang_scope *adder = def_scope(&a, "adder");
    assert_true(HAS(flags(adder, "k"), LANG_VAR_PARAM) && HAS(flags(adder, "k"), LANG_VAR_CAPTURED));
    lang_node *ret = a.prog->list[0]->list[0];
    assert_int_equal(ret->kind, LANG_N_RETURN);
    lang_scope *lam = ret->a->scope;
    assert_non_null(lam);
    assert_true(HAS(flags(lam, "x"), LANG_VAR_PARAM));
    assert_true(HAS(flags(lam, "k"), LANG_VAR_FREE));
    lang_arena_free(&a.arena);
}

/* A variable two functions up is passed through the middle function as a free variable. */
static void test_scope_free_through_middle(void **state)
{
    analysis a;
    analyze(&a, "def outer():\n    a = 1\n    def mid():\n        def inner():\n            return a\n        return inner\n    return mid\n");
    assert_true(HAS(flags(def_scope(&a, "outer"), "a"), LANG_VAR_CAPTURED));
    assert_true(HAS(flags(def_scope(&a, "mid"), "a"), LANG_VAR_FREE));
    assert_true(HAS(flags(def_scope(&a, "inner"), "a"), LANG_VAR_FREE));
    lang_arena_free(&a.arena);
}

static void test_scope_global_declaration(void **state)
{
    analysis a;
    analyze(&a, "count = 0\ndef bump():\n    global count, made\n    count += 1\n    made = True\n    def inner():\n        return count\n    return inner\n");
    lang_scope *bump = def_scope(&a, "bump");
    assert_true(HAS(flags(bump, "count"), LANG_VAR_GLOBAL));
    assert_true(HAS(flags(bump, "made"), LANG_VAR_GLOBAL));
    assert_false(HAS(flags(bump, "count"), LANG_VAR_CAPTURED));
    /* an inner function does not capture a name its parent declared global */
    assert_false(HAS(flags(def_scope(&a, "inner"), "count"), LANG_VAR_FREE));
    lang_arena_free(&a.arena);
}

/* Comprehensions are functions of their first iterable; their targets do not leak out. */
static void test_scope_comprehension(void **state)
{
    analysis a;
    analyze(&a, "def f(xs, k):\n    return [x * k for x in xs if x > 0]\n");
    lang_scope *f = def_scope(&a, "f");
    assert_int_equal(flags(f, "x"), -1);
    assert_true(HAS(flags(f, "k"), LANG_VAR_CAPTURED));
    lang_node *comp = a.prog->list[0]->list[0]->a;
    assert_int_equal(comp->kind, LANG_N_LISTCOMP);
    lang_scope *c = comp->scope;
    assert_non_null(c);
    assert_int_equal(c->nparams, 1);
    assert_string_equal(c->vars[0].name, ".0");
    assert_true(HAS(flags(c, "x"), LANG_VAR_ASSIGNED));
    assert_true(HAS(flags(c, "k"), LANG_VAR_FREE));
    /* the first iterable is evaluated outside: xs is f's, not the comprehension's */
    assert_int_equal(flags(c, "xs"), -1);
    lang_arena_free(&a.arena);
}

/* A default value is evaluated in the enclosing scope. */
static void test_scope_defaults_are_outer(void **state)
{
    analysis a;
    analyze(&a, "def outer():\n    d = 3\n    def inner(v=d):\n        return v\n    return inner\n");
    assert_false(HAS(flags(def_scope(&a, "outer"), "d"), LANG_VAR_CAPTURED));
    assert_int_equal(flags(def_scope(&a, "inner"), "d"), -1);
    lang_arena_free(&a.arena);
}

/* Misused declarations are reported with the node they are on (Python's rules). */
static void expect_scope_error(const char *src, int line, const char *msg)
{
    lang_arena arena = {0};
    lang_node *prog;
    lang_error err;
    if (lang_parse(src, "<t>", &arena, &prog, &err) != LANG_OK) fail_msg("parse failed: %s", err.msg);
    lang_scope_error serr;
    memset(&serr, 0, sizeof serr);
    lang_scope *s = lang_scope_analyze(&arena, prog, &serr);
    int got_line = serr.node ? serr.node->line : 0;
    lang_arena_free(&arena);
    if (s || got_line != line || strcmp(serr.msg, msg) != 0)
        fail_msg("\"%s\": scope %s, error at line %d: \"%s\"; expected line %d \"%s\"", src, s ? "built" : "NULL",
                 got_line, serr.msg, line, msg);
}

static void test_scope_declaration_errors(void **state)
{
    expect_scope_error("def f(x):\n    global x\n", 2, "name 'x' is parameter and global");
    expect_scope_error("def f():\n    x = 1\n    global x\n", 3, "name 'x' is assigned to before global declaration");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_module_names_are_global),
        cmocka_unit_test(test_scope_params_and_locals),
        cmocka_unit_test(test_scope_assignment_anywhere_makes_local),
        cmocka_unit_test(test_scope_closures),
        cmocka_unit_test(test_scope_free_through_middle),
        cmocka_unit_test(test_scope_global_declaration),
        cmocka_unit_test(test_scope_comprehension),
        cmocka_unit_test(test_scope_defaults_are_outer),
        cmocka_unit_test(test_scope_declaration_errors),
    };
    return cmocka_run_group_tests_name("scope", tests, NULL, NULL);
}
