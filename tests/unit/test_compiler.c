/* test_compiler.c -- lang/compiler.c: what lang_compile produces (the module proto, nested
 * function protos with their parameters, locals, docstrings and source positions, ECHO for
 * a final expression) and the errors only the compiler can find (break outside a loop, return
 * outside a function, limits of the bytecode), plus the behaviour of compiled control flow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/test_lang.h"
#include "lang/compiler.h"
#include "lang/vm.h"

static lang_proto *compile_ok(tl_fixture *f, const char *src, int echo)
{
    lang_proto *p = NULL;
    memset(&f->err, 0, sizeof f->err);
    if (lang_compile(f->vm, src, "<c>", echo, &p, &f->err) != LANG_OK)
        fail_msg("compile failed: %s: %s", lang_status_name(f->err.kind), f->err.msg);
    assert_non_null(p);
    return p;
}

/* The nested proto named `name` among p's constants. */
static lang_proto *child(lang_proto *p, const char *name)
{
    for (size_t i = 0; i < p->chunk.nconsts; i++) {
        lang_value k = p->chunk.consts[i];
        if (LANG_IS_TYPE(k, LANG_OBJ_PROTO) && strcmp(((lang_proto *)k.as.obj)->name->chars, name) == 0)
            return (lang_proto *)k.as.obj;
    }
    fail_msg("no proto %s", name);
    return NULL;
}

static int has_op(const lang_proto *p, lang_opcode op)
{
    lang_buf b = {0};
    lang_disasm_proto(&b, p, NULL);
    int found = b.data && strstr(b.data, lang_op_name(op)) != NULL;
    lang_buf_free(&b);
    return found;
}

static void test_compiler_module_proto(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = compile_ok(f, "x = 1\nprint(x)", 0);
    assert_string_equal(p->name->chars, "<module>");
    assert_int_equal(p->nparams, 0);
    assert_string_equal(p->file, "<c>");
    assert_non_null(p->src);
    assert_string_equal(p->src->chars, "x = 1\nprint(x)");
    assert_true(p->chunk.len > 0);
    /* the module ends with NONE RETURN */
    assert_int_equal(p->chunk.code[p->chunk.len - 1], LANG_OP_RETURN);
    /* every instruction has a source position on lines 1..2 */
    assert_int_equal(p->chunk.pos[0].line, 1);
    assert_true(p->max_stack >= 2);
    lang_decref(f->vm, lang_obj_val(p));
}

static void test_compiler_function_protos(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = compile_ok(f, "def train(model, epochs=3, lr=0.1):\n    \"\"\"Trains.\"\"\"\n"
                                  "    loss = 0\n    for e in range(epochs):\n        loss += lr\n    return loss\n", 0);
    lang_proto *t = child(p, "train");
    assert_int_equal(t->nparams, 3);
    assert_true(t->nlocals >= 5);   /* model epochs lr loss e */
    assert_string_equal(t->local_names[0], "model");
    assert_string_equal(t->local_names[1], "epochs");
    assert_string_equal(t->local_names[2], "lr");
    assert_non_null(t->doc);
    assert_string_equal(t->doc->chars, "Trains.");
    assert_string_equal(t->file, "<c>");
    assert_non_null(t->source);
    assert_true(strncmp(t->source, "def train(model, epochs=3, lr=0.1):", 35) == 0);
    assert_int_equal(t->ncaptures, 0);
    assert_true(has_op(p, LANG_OP_CLOSURE));
    lang_decref(f->vm, lang_obj_val(p));
}

static void test_compiler_closure_captures(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = compile_ok(f, "def make():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n"
                                  "        return n\n    return inc\n", 0);
    lang_proto *make = child(p, "make");
    lang_proto *inc = child(make, "inc");
    assert_int_equal(inc->ncaptures, 1);
    assert_string_equal(inc->free_names[0], "n");
    assert_true(has_op(inc, LANG_OP_GET_FREE));
    assert_true(has_op(make, LANG_OP_GET_CELL) || has_op(make, LANG_OP_SET_CELL) ||
                has_op(make, LANG_OP_MAKE_CELL));
    lang_decref(f->vm, lang_obj_val(p));
    /* lambdas and comprehensions are protos too */
    p = compile_ok(f, "sq = lambda x: x * x\nys = [y for y in range(3)]", 0);
    assert_int_equal(child(p, "<lambda>")->nparams, 1);
    lang_decref(f->vm, lang_obj_val(p));
}

static void test_compiler_echo(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = compile_ok(f, "x = 2\nx * 21", 1);
    assert_true(has_op(p, LANG_OP_ECHO));
    lang_decref(f->vm, lang_obj_val(p));
    p = compile_ok(f, "x = 2\nx * 21", 0);
    assert_false(has_op(p, LANG_OP_ECHO));
    lang_decref(f->vm, lang_obj_val(p));
    p = compile_ok(f, "x * 21\nx = 2", 1);   /* not the last statement */
    assert_false(has_op(p, LANG_OP_ECHO));
    lang_decref(f->vm, lang_obj_val(p));
}

static void expect_compile_error(tl_fixture *f, const char *src, const char *want)
{
    lang_proto *p = (lang_proto *)1;
    memset(&f->err, 0, sizeof f->err);
    lang_status st = lang_compile(f->vm, src, "<c>", 0, &p, &f->err);
    char got[600];
    snprintf(got, sizeof got, "%s: line %d, col %d: %s", lang_status_name(f->err.kind), f->err.line, f->err.col, f->err.msg);
    if (st == LANG_OK || strcmp(got, want) != 0) {
        print_error("--- %s\n--- got:      %s\n--- expected: %s\n", src, st == LANG_OK ? "OK" : got, want);
        f->failures++;
    }
}

static void test_compiler_errors(void **state)
{
    tl_fixture *f = *state;
    expect_compile_error(f, "x = 1\nbreak", "SyntaxError: line 2, col 1: 'break' outside a loop");
    expect_compile_error(f, "def f():\n    continue", "SyntaxError: line 2, col 5: 'continue' outside a loop");
    expect_compile_error(f, "for i in r:\n    def g():\n        break\n", "SyntaxError: line 3, col 9: 'break' outside a loop");
    expect_compile_error(f, "return 1", "SyntaxError: line 1, col 1: 'return' outside a function");
    expect_compile_error(f, "if x:\n    return", "SyntaxError: line 2, col 5: 'return' outside a function");
    expect_compile_error(f, "nonlocal q", "SyntaxError: line 1, col 1: nonlocal declaration not allowed at module level");
    TL_DONE(f);
}

/* Appends text to a growing malloc'd string. */
static void cat(char **s, size_t *len, const char *text)
{
    size_t n = strlen(text);
    *s = realloc(*s, *len + n + 1);
    assert_non_null(*s);
    memcpy(*s + *len, text, n + 1);
    *len += n;
}

/* The bytecode's limits are errors with a message, not corrupt code. */
static void test_compiler_limits(void **state)
{
    tl_fixture *f = *state;
    char *src = NULL, line[64];
    size_t len = 0;
    /* 300 locals in one function */
    cat(&src, &len, "def many():\n");
    for (int i = 0; i < 300; i++) {
        snprintf(line, sizeof line, "    v%d = %d\n", i, i);
        cat(&src, &len, line);
    }
    expect_compile_error(f, src, "SyntaxError: line 1, col 1: too many local variables (at most 255)");
    free(src);
    src = NULL;
    len = 0;
    /* 300 arguments in one call */
    cat(&src, &len, "print(");
    for (int i = 0; i < 300; i++) cat(&src, &len, i ? ", 1" : "1");
    cat(&src, &len, ")");
    expect_compile_error(f, src, "SyntaxError: line 1, col 1: too many arguments (at most 255)");
    free(src);
    src = NULL;
    len = 0;
    /* a loop body too long for a 16-bit jump */
    cat(&src, &len, "x = 0\nwhile x < 1:\n");
    for (int i = 0; i < 12000; i++) cat(&src, &len, "    x = x + 1 + x * 2 - x\n");
    lang_proto *p = NULL;
    lang_status st = lang_compile(f->vm, src, "<c>", 0, &p, &f->err);
    if (st == LANG_OK) {
        /* if it compiled, it must run correctly */
        lang_decref(f->vm, lang_obj_val(p));
        tl_expect_out(f, "x = 0", "");
        assert_int_equal(tl_run(f, src), LANG_OK);
        tl_expect_out(f, "print(x > 0)", "True\n");
    } else {
        assert_int_equal(st, LANG_ERR_SYNTAX);
        assert_non_null(strstr(f->err.msg, "too large"));
    }
    free(src);
    TL_DONE(f);
}

/* Control flow compiled into jumps: nested loops with break/continue, short circuits. */
static void test_compiler_control_flow(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f,
        "out = []\n"
        "for i in range(4):\n"
        "    j = 0\n"
        "    while True:\n"
        "        j += 1\n"
        "        if j == 2:\n"
        "            continue\n"
        "        if j > 3:\n"
        "            break\n"
        "        if i == 2:\n"
        "            break\n"
        "        out.append((i, j))\n"
        "    if i == 3:\n"
        "        continue\n"
        "    out.append(i)\n"
        "print(out)",
        "[(0, 1), (0, 3), 0, (1, 1), (1, 3), 1, 2, (3, 1), (3, 3)]\n");
    tl_expect_out(f, "def first(xs):\n    for x in xs:\n        for y in xs:\n            if x + y == 5:\n"
                     "                return (x, y)\n    return None\nprint(first(list(range(4))), first([]))",
                  "(2, 3) None\n");
    tl_expect_out(f, "n = 0\ndef side(v):\n    global n\n    n += 1\n    return v\n"
                     "r = side(0) and side(1)\ns = side(2) or side(3)\nt = side(1) < side(0) < side(5)\n"
                     "print(r, s, t, n)", "0 2 False 4\n");
    tl_expect_out(f, "x = 5\ny = 'big' if x > 3 else 'small'\nprint(y, 'a' if not x else 'b')", "big b\n");
    tl_expect_out(f, "i = 0\nwhile i < 10:\n    i += 3\nprint(i)", "12\n");
    tl_expect_out(f, "for i in range(3): pass\nprint(i)", "2\n");
    tl_expect_out(f, "total = 0\nfor a, b in [('x', 1), ('y', 2)]:\n    total += b\nprint(total)", "3\n");
    TL_DONE(f);
}

/* Assignment forms compile to the right stores. */
static void test_compiler_assignments(void **state)
{
    tl_fixture *f = *state;
    tl_expect_out(f, "a = b = c = 'v'\nprint(a, b, c)", "v v v\n");
    tl_expect_out(f, "xs = ['a', 'b']\nxs[0], xs[1] = xs[1], xs[0]\nprint(xs)", "['b', 'a']\n");
    tl_expect_out(f, "d = {}\nd['k'] = d['j'] = 1\nprint(d)", "{'k': 1, 'j': 1}\n");
    tl_expect_out(f, "xs = ['a']\nxs[0] += 'b'\nd = {'n': 1}\nd['n'] *= 5\nprint(xs, d)", "['ab'] {'n': 5}\n");
    tl_expect_out(f, "def f():\n    a, (b, c) = 1, (2, 3)\n    a += b * c\n    return a\nprint(f())", "7\n");
    tl_expect_out(f, "g = 1\ndef f():\n    g = 2\n    return g\nprint(f(), g)", "2 1\n");
    TL_DONE(f);
}

/* Evaluates src in a child process (a crash must not take the test driver with it); returns
 * the child's lang_status, or 1000 + the signal that killed it. */
static int status_in_child(const char *src)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        lang_vm *vm = lang_vm_new(NULL);
        lang_error err;
        lang_status st = vm ? lang_eval(vm, src, "<child>", 0, &err) : LANG_ERR_MEMORY;
        _exit((int)st);
    }
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) != pid) return -1;
    return WIFSIGNALED(ws) ? 1000 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

/* "print(" + n copies of term joined by sep + ")" */
static char *long_chain(const char *term, const char *sep, int n)
{
    size_t lt = strlen(term), ls = strlen(sep);
    char *s = malloc(16 + (size_t)n * (lt + ls));
    assert_non_null(s);
    size_t k = 0;
    memcpy(s, "print(", 6);
    k = 6;
    for (int i = 0; i < n; i++) {
        if (i) { memcpy(s + k, sep, ls); k += ls; }
        memcpy(s + k, term, lt);
        k += lt;
    }
    memcpy(s + k, ")", 2);
    return s;
}

/* Very long left-associative chains (generated code) are errors or run, never crash. */
static void test_compiler_long_chains(void **state)
{
    struct { const char *term, *sep; int n; } cases[] = {
        { "1", " + ", 300000 }, { "1", " and ", 200000 }, { "1", " or ", 200000 },
        { "'a'", ".upper()", 200000 }, { "x", " * ", 300000 },
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *src;
        if (i == 3) {   /* a method chain: print('a'.upper().upper()...) */
            int n = cases[i].n;
            src = malloc(32 + (size_t)n * 8);
            assert_non_null(src);
            strcpy(src, "print('a'");
            size_t k = strlen(src);
            for (int j = 0; j < n; j++) { memcpy(src + k, ".upper()", 8); k += 8; }
            memcpy(src + k, ")", 2);
        } else {
            src = long_chain(cases[i].term, cases[i].sep, cases[i].n);
        }
        int st = status_in_child(src);
        if (st != LANG_OK && st != LANG_ERR_SYNTAX && st != LANG_ERR_RECURSION && st != LANG_ERR_NAME) {
            print_error("chain of %d '%s'%s: child ended with %s %d\n", cases[i].n, cases[i].term,
                        cases[i].sep, st >= 1000 ? "signal" : "status", st >= 1000 ? st - 1000 : st);
            bad++;
        }
        free(src);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compiler_module_proto, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_function_protos, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_closure_captures, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_echo, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_errors, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_limits, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_control_flow, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_compiler_assignments, tl_setup, tl_teardown),
        cmocka_unit_test(test_compiler_long_chains),
    };
    return cmocka_run_group_tests_name("compiler", tests, NULL, NULL);
}
