/* test_disasm.c -- lang/disasm.c: opcode names, the listing `nabla --dis` prints (header,
 * offsets, line column, operands with constants, local names and jump targets, nested
 * functions after their parent), and lang_chunk_free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/compiler.h"
#include "lang/vm.h"

static void test_disasm_op_names(void **state)
{
    for (int op = 0; op < LANG_OP_COUNT; op++) {
        const char *name = lang_op_name((lang_opcode)op);
        if (strcmp(name, "?") == 0) fail_msg("opcode %d has no name", op);
        for (int other = 0; other < op; other++)
            if (strcmp(name, lang_op_name((lang_opcode)other)) == 0) fail_msg("opcodes %d and %d are both %s", other, op, name);
    }
    assert_string_equal(lang_op_name(LANG_OP_CONST), "CONST");
    assert_string_equal(lang_op_name(LANG_OP_RETURN), "RETURN");
    assert_string_equal(lang_op_name(LANG_OP_COUNT), "?");
}

/* The disassembly of src (malloc'd), through the public entry point. */
static char *dis(tl_fixture *f, const char *src)
{
    char *out = NULL;
    lang_error err;
    if (lang_disassemble(f->vm, src, "<d>", &out, &err) != LANG_OK) fail_msg("%s", err.msg);
    assert_non_null(out);
    return out;
}

static void test_disasm_listing_layout(void **state)
{
    tl_fixture *f = *state;
    char *s = dis(f, "def f(a, b=1):\n    return a + b\nprint(f(2, b='s'))\n");
    /* the module first, then each function after a blank line */
    assert_true(strncmp(s, "== <module> (0 params, 0 locals, stack ", 39) == 0);
    const char *fn = strstr(s, "\n\n== f (2 params, 2 locals, stack ");
    assert_non_null(fn);
    /* offset, line (then '|' while it stays the same), name, operands, local names */
    assert_non_null(strstr(fn, "\n0000    2  GET_LOCAL       0  a\n0002    |  GET_LOCAL       1  b\n"));
    /* constants are shown with repr; a function constant as <code name> */
    assert_non_null(strstr(s, "'s'"));
    assert_non_null(strstr(s, "<code f>"));
    assert_non_null(strstr(s, "CLOSURE"));
    assert_non_null(strstr(s, "RETURN"));
    /* first instruction of the module is at line 1 */
    const char *first = strchr(s, '\n') + 1;
    assert_true(strncmp(first, "0000    1  ", 11) == 0);
    free(s);
}

/* Every jump target printed is the offset of an instruction of the same function. */
static void test_disasm_jump_targets(void **state)
{
    tl_fixture *f = *state;
    char *s = dis(f, "x = 0\nwhile x < 10:\n    if x % 2 == 0 and x > 2 or x == 7:\n        x += 3\n"
                     "    else:\n        x += 1\nfor i in range(3):\n    if i == 1:\n        continue\n    print(i)\n");
    /* collect the instruction offsets of the module listing */
    int offsets[512], n = 0;
    char *line = strchr(s, '\n') + 1;
    while (*line && *line != '\n' && n < 512) {
        offsets[n++] = atoi(line);
        line = strchr(line, '\n') + 1;
    }
    assert_true(n > 10);
    int targets = 0;
    for (char *p = s; (p = strstr(p, "-> ")) != NULL; p += 3) {
        int t = atoi(p + 3), ok = 0;
        for (int i = 0; i < n; i++) ok |= offsets[i] == t;
        if (!ok) fail_msg("jump target %04d is not an instruction offset\n%s", t, s);
        targets++;
    }
    assert_true(targets >= 4);
    free(s);
}

/* Every construct of the language compiles to opcodes the disassembler knows. */
static void test_disasm_every_construct(void **state)
{
    tl_fixture *f = *state;
    char *s = dis(f,
        "def make(k, d=2):\n    n = 0\n    def inc(step=1):\n        nonlocal n\n        n += step * k\n        return n\n    return inc\n"
        "g = 0\ndef setg():\n    global g\n    g = 1\n"
        "xs = [1, 2]\nys = ['a', 'b']\nd = {'k': 1}\nt = (1, 2)\n(a, b), c = (1, 2), 3\n"
        "ys[0] = 'c'\nd['k'] += 1\ndel d['k']\ndel a\n"
        "z = -a if not b else ~c\nw = a ** 2 // 3 % 4 @ 5 & 6 | 7 ^ 8 << 1 >> 1\n"
        "u = 1 < 2 <= 3 != 4 and 'a' in ys or c is not None\n"
        "sq = [i * i for i in range(3) if i]\ndc = {k: v for k, v in d.items()}\n"
        "s = f'{a:.2f} {b!r}'\nassert a, 'message'\nprint(xs[0:1:1], ys[::-1], len(ys), sep='')\n"
        "for i, j in enumerate(ys):\n    if i:\n        break\n    continue\n"
        "while False:\n    pass\n"
        "lam = lambda q: q\nys.append('x')\nys.sort(reverse=True)\n");
    for (char *line = s; *line; line = strchr(line, '\n') + 1) {
        if (line[0] != '\n' && line[0] != '=') {
            if (strlen(line) < 12 || line[11] == '?') fail_msg("unknown opcode: %.60s", line);
        }
        if (!strchr(line, '\n')) break;
    }
    free(s);
}

static void test_disasm_proto_direct(void **state)
{
    tl_fixture *f = *state;
    lang_proto *p = NULL;
    lang_error err;
    assert_int_equal(lang_compile(f->vm, "print('x')", "<d>", 0, &p, &err), LANG_OK);
    lang_buf b = {0};
    lang_disasm_proto(&b, p, NULL);
    assert_false(b.oom);
    assert_non_null(b.data);
    assert_non_null(strstr(b.data, "'x'"));
    assert_int_equal(strlen(b.data), b.len);
    lang_buf_free(&b);
    lang_decref(f->vm, lang_obj_val(p));
}

static void test_disasm_chunk_free(void **state)
{
    lang_chunk c;
    memset(&c, 0, sizeof c);
    c.code = malloc(8);
    c.pos = malloc(8 * sizeof *c.pos);
    c.consts = malloc(2 * sizeof *c.consts);
    c.len = c.cap = 8;
    c.nconsts = c.capconsts = 2;
    lang_chunk_free(&c);
    assert_null(c.code);
    assert_null(c.pos);
    assert_null(c.consts);
    assert_int_equal(c.len + c.cap + c.nconsts + c.capconsts, 0);
    lang_chunk_free(&c);   /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disasm_op_names),
        cmocka_unit_test_setup_teardown(test_disasm_listing_layout, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_disasm_jump_targets, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_disasm_every_construct, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_disasm_proto_direct, tl_setup, tl_teardown),
        cmocka_unit_test(test_disasm_chunk_free),
    };
    return cmocka_run_group_tests_name("disasm", tests, NULL, NULL);
}
