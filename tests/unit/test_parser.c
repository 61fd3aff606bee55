/* test_parser.c -- lang/parser.c: the tree lang_parse builds (operator precedence and
 * associativity as in Python, statements, literals), its statuses (LANG_OK, LANG_ERR_SYNTAX,
 * LANG_ERR_INCOMPLETE for open brackets and unfinished blocks) and its error positions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lang/ast.h"
#include "lang/lexer.h"

/* ---- a compact S-expression view of the tree ---------------------------------------------- */

typedef struct sbuf { char s[8192]; size_t n; } sbuf;

static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0) b->n += (size_t)k < sizeof b->s - b->n ? (size_t)k : sizeof b->s - b->n - 1;
}

static const char *op_text(int op)
{
    if (op == -LANG_TOK_IN) return "not in";
    if (op == -LANG_TOK_IS) return "is not";
    const char *t = lang_tok_name((lang_tok_type)op);
    static char buf[16];
    size_t n = strlen(t);
    if (n >= 3 && t[0] == '\'') {   /* "'+'" -> "+" */
        memcpy(buf, t + 1, n - 2);
        buf[n - 2] = '\0';
        return buf;
    }
    return t;
}

static void sexp(sbuf *b, const lang_node *n);

static void sexp_list(sbuf *b, lang_node *const *list, int n)
{
    for (int i = 0; i < n; i++) {
        put(b, " ");
        sexp(b, list[i]);
    }
}

static void sexp(sbuf *b, const lang_node *n)
{
    if (!n) {
        put(b, "_");
        return;
    }
    switch (n->kind) {
    case LANG_N_NUM: put(b, "%g", n->num); break;
    case LANG_N_STR: put(b, "\"%s\"", n->str); break;
    case LANG_N_NAME: put(b, "%s", n->str); break;
    case LANG_N_TRUE: put(b, "True"); break;
    case LANG_N_FALSE: put(b, "False"); break;
    case LANG_N_NONE: put(b, "None"); break;
    case LANG_N_BINOP: put(b, "(%s ", op_text(n->op)); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_UNARY: put(b, "(%s ", n->op == LANG_TOK_MINUS ? "neg" : op_text(n->op)); sexp(b, n->a); put(b, ")"); break;
    case LANG_N_AND: put(b, "(and "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_OR: put(b, "(or "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_COMPARE:
        put(b, "(cmp ");
        sexp(b, n->list[0]);
        for (int i = 1; i < n->n; i++) {
            put(b, " %s ", op_text(n->ops[i - 1]));
            sexp(b, n->list[i]);
        }
        put(b, ")");
        break;
    case LANG_N_IFEXP: put(b, "(ifexp "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, " "); sexp(b, n->c); put(b, ")"); break;
    case LANG_N_CALL:
        put(b, "(call ");
        sexp(b, n->a);
        sexp_list(b, n->list, n->n);
        for (int i = 0; i < n->n2; i++) {
            put(b, " %s=", n->names[i]);
            sexp(b, n->list2[i]);
        }
        put(b, ")");
        break;
    case LANG_N_ATTR: put(b, "(. "); sexp(b, n->a); put(b, " %s)", n->str); break;
    case LANG_N_INDEX: put(b, "(idx "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_SLICE: put(b, "(slice "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, " "); sexp(b, n->c); put(b, ")"); break;
    case LANG_N_LIST: put(b, n->flag ? "[list" : "[list0"); sexp_list(b, n->list, n->n); put(b, "]"); break;
    case LANG_N_TUPLE: put(b, "(tuple"); sexp_list(b, n->list, n->n); put(b, ")"); break;
    case LANG_N_DICT:
        put(b, "{dict");
        for (int i = 0; i < n->n; i++) {
            put(b, " ");
            sexp(b, n->list[i]);
            put(b, ":");
            sexp(b, n->list2[i]);
        }
        put(b, "}");
        break;
    case LANG_N_LAMBDA: put(b, "(lambda"); sexp_list(b, n->list2, n->n2); put(b, " : "); sexp(b, n->a); put(b, ")"); break;
    case LANG_N_PARAM: put(b, "%s", n->str); if (n->a) { put(b, "="); sexp(b, n->a); } break;
    case LANG_N_LISTCOMP:
        put(b, n->flag ? "(dictcomp " : "(listcomp ");
        sexp(b, n->a);
        if (n->flag) { put(b, ":"); sexp(b, n->b); }
        sexp_list(b, n->list, n->n);
        put(b, ")");
        break;
    case LANG_N_COMPFOR: put(b, "(for "); sexp(b, n->a); put(b, " "); sexp(b, n->b); sexp_list(b, n->list, n->n); put(b, ")"); break;
    case LANG_N_FSTR: put(b, "(fstr"); sexp_list(b, n->list, n->n); put(b, ")"); break;
    case LANG_N_FORMAT:
        put(b, n->flag ? "(fmt!r " : "(fmt ");
        sexp(b, n->a);
        put(b, " %s)", n->str ? n->str : "_");
        break;
    case LANG_N_EXPR: sexp(b, n->a); break;
    case LANG_N_ASSIGN: put(b, "(="); sexp_list(b, n->list, n->n); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_AUGASSIGN: put(b, "(%s ", op_text(n->op)); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_IF: put(b, "(if "); sexp(b, n->a); put(b, " {"); sexp_list(b, n->list, n->n); put(b, " } "); sexp(b, n->c); put(b, ")"); break;
    case LANG_N_WHILE: put(b, "(while "); sexp(b, n->a); put(b, " {"); sexp_list(b, n->list, n->n); put(b, " })"); break;
    case LANG_N_FOR: put(b, "(for "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, " {"); sexp_list(b, n->list, n->n); put(b, " })"); break;
    case LANG_N_DEF: put(b, "(def %s (", n->str); sexp_list(b, n->list2, n->n2); put(b, " ) {"); sexp_list(b, n->list, n->n); put(b, " })"); break;
    case LANG_N_RETURN: put(b, "(return "); sexp(b, n->a); put(b, ")"); break;
    case LANG_N_BREAK: put(b, "break"); break;
    case LANG_N_CONTINUE: put(b, "continue"); break;
    case LANG_N_PASS: put(b, "pass"); break;
    case LANG_N_GLOBAL: case LANG_N_NONLOCAL:
        put(b, n->kind == LANG_N_GLOBAL ? "(global" : "(nonlocal");
        for (int i = 0; i < n->n; i++) put(b, " %s", n->names[i]);
        put(b, ")");
        break;
    case LANG_N_DEL: put(b, "(del "); sexp(b, n->a); put(b, ")"); break;
    case LANG_N_ASSERT: put(b, "(assert "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, ")"); break;
    case LANG_N_WITH: put(b, "(with "); sexp(b, n->a); put(b, " "); sexp(b, n->b); put(b, " {"); sexp_list(b, n->list, n->n); put(b, " })"); break;
    case LANG_N_BLOCK: put(b, "{"); sexp_list(b, n->list, n->n); put(b, " }"); break;
    default: put(b, "?%d", (int)n->kind); break;
    }
}

/* The statements of src as S-expressions, one per line; fails the test on a parse error. */
static const char *tree(const char *src)
{
    static sbuf b;
    lang_arena arena = {0};
    lang_node *prog = NULL;
    lang_error err;
    memset(&err, 0, sizeof err);
    b.n = 0;
    b.s[0] = '\0';
    lang_status st = lang_parse(src, "<test>", &arena, &prog, &err);
    if (st != LANG_OK) {
        lang_arena_free(&arena);
        fail_msg("parse of \"%s\" failed: %s: line %d, col %d: %s", src, lang_status_name(err.kind),
                 err.line, err.col, err.msg);
    }
    assert_int_equal(prog->kind, LANG_N_BLOCK);
    for (int i = 0; i < prog->n; i++) {
        if (i) put(&b, "\n");
        sexp(&b, prog->list[i]);
    }
    lang_arena_free(&arena);
    return b.s;
}

/* Parses src and returns its status; the error in *err. */
static lang_status parse_status(const char *src, lang_error *err)
{
    lang_arena arena = {0};
    lang_node *prog = NULL;
    memset(err, 0, sizeof *err);
    lang_status st = lang_parse(src, "<test>", &arena, &prog, err);
    lang_arena_free(&arena);
    return st;
}

static void expect_syntax(const char *src, int line, int col, const char *msg)
{
    lang_error err;
    lang_status st = parse_status(src, &err);
    if (st != LANG_ERR_SYNTAX || err.line != line || err.col != col || strcmp(err.msg, msg) != 0)
        fail_msg("\"%s\": got %s line %d col %d \"%s\"; expected SyntaxError line %d col %d \"%s\"",
                 src, lang_status_name(st), err.line, err.col, err.msg, line, col, msg);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_parser_arith_precedence(void **state)
{
    assert_string_equal(tree("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_string_equal(tree("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_string_equal(tree("10 - 4 - 3"), "(- (- 10 4) 3)");
    assert_string_equal(tree("a / b // c % d @ e"), "(@ (% (// (/ a b) c) d) e)");
    /* ** is right-associative and binds tighter than a unary minus on its left */
    assert_string_equal(tree("-x ** 2"), "(neg (** x 2))");
    assert_string_equal(tree("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_string_equal(tree("2 ** -x"), "(** 2 (neg x))");
    assert_string_equal(tree("-2"), "-2");   /* a negative literal is folded */
    assert_string_equal(tree("- 2"), "(neg 2)");
    assert_string_equal(tree("~a + +b"), "(+ (~ a) (+ b))");
    /* bitwise operators: | lowest, then ^, &, shifts, then arithmetic */
    assert_string_equal(tree("a | b ^ c & d << e + f"), "(| a (^ b (& c (<< d (+ e f)))))");
    assert_string_equal(tree("a >> 1 << 2"), "(<< (>> a 1) 2)");
    assert_string_equal(tree("x @ w + b"), "(+ (@ x w) b)");
}

static void test_parser_logic_and_compare(void **state)
{
    assert_string_equal(tree("a < b < c"), "(cmp a < b < c)");
    assert_string_equal(tree("a == b != c"), "(cmp a == b != c)");
    assert_string_equal(tree("x in xs"), "(cmp x in xs)");
    assert_string_equal(tree("x not in xs"), "(cmp x not in xs)");
    assert_string_equal(tree("x is None"), "(cmp x is None)");
    assert_string_equal(tree("x is not None"), "(cmp x is not None)");
    assert_string_equal(tree("a + 1 < b * 2"), "(cmp (+ a 1) < (* b 2))");
    assert_string_equal(tree("a & 1 == 1"), "(cmp (& a 1) == 1)");
    assert_string_equal(tree("not a == b"), "(not (cmp a == b))");
    assert_string_equal(tree("not not a"), "(not (not a))");
    assert_string_equal(tree("a or b and c"), "(or a (and b c))");
    assert_string_equal(tree("a and b or c and d"), "(or (and a b) (and c d))");
    assert_string_equal(tree("not a and b"), "(and (not a) b)");
    assert_string_equal(tree("a if c else b"), "(ifexp a c b)");
    assert_string_equal(tree("a if c else b if d else e"), "(ifexp a c (ifexp b d e))");
    assert_string_equal(tree("a or b if c else d"), "(ifexp (or a b) c d)");
    assert_string_equal(tree("lambda x, y=2: x + y"), "(lambda x y=2 : (+ x y))");
    assert_string_equal(tree("lambda: 0"), "(lambda : 0)");
}

static void test_parser_primaries(void **state)
{
    assert_string_equal(tree("f(1, x=2, y=a + b)"), "(call f 1 x=2 y=(+ a b))");
    assert_string_equal(tree("f()"), "(call f)");
    assert_string_equal(tree("m.fit(x, y, epochs=3)"), "(call (. m fit) x y epochs=3)");
    assert_string_equal(tree("a.b.c"), "(. (. a b) c)");
    assert_string_equal(tree("t[0]"), "(idx t 0)");
    assert_string_equal(tree("t[0, :]"), "(idx t (tuple 0 (slice _ _ _)))");
    assert_string_equal(tree("t[1:, ::2]"), "(idx t (tuple (slice 1 _ _) (slice _ _ 2)))");
    assert_string_equal(tree("t[a:b:c]"), "(idx t (slice a b c))");
    assert_string_equal(tree("t[::-1]"), "(idx t (slice _ _ -1))");
    assert_string_equal(tree("t[:, -1]"), "(idx t (tuple (slice _ _ _) -1))");
    assert_string_equal(tree("f(x)[0].T"), "(. (idx (call f x) 0) T)");
    assert_string_equal(tree("-t[0]"), "(neg (idx t 0))");
    assert_string_equal(tree("sum(x * x for x in xs)"), "(call sum (listcomp (* x x) (for x xs)))");
}

static void test_parser_literals(void **state)
{
    assert_string_equal(tree("[1, 2, 3]"), "[list 1 2 3]");
    assert_string_equal(tree("[]"), "[list0]");
    assert_string_equal(tree("[[1, -2], [3, 4],]"), "[list [list 1 -2] [list 3 4]]");
    assert_string_equal(tree("(1,)"), "(tuple 1)");
    assert_string_equal(tree("()"), "(tuple)");
    assert_string_equal(tree("(1)"), "1");
    assert_string_equal(tree("1, 2"), "(tuple 1 2)");
    assert_string_equal(tree("{'a': 1, 'b': [x]}"), "{dict \"a\":1 \"b\":[list x]}");
    assert_string_equal(tree("{}"), "{dict}");
    assert_string_equal(tree("True, False, None"), "(tuple True False None)");
    assert_string_equal(tree("0x1F, 1_000, .5, 2.5e-07"), "(tuple 31 1000 0.5 2.5e-07)");
    assert_string_equal(tree("[x * 2 for x in xs if x > 0]"),
                        "(listcomp (* x 2) (for x xs (cmp x > 0)))");
    assert_string_equal(tree("[(a, b) for a in r for b in s]"),
                        "(listcomp (tuple a b) (for a r) (for b s))");
    assert_string_equal(tree("{k: v for k, v in d}"), "(dictcomp k:v (for (tuple k v) d))");
}

static void test_parser_strings(void **state)
{
    assert_string_equal(tree("'a\\tb\\n'"), "\"a\tb\n\"");
    assert_string_equal(tree("\"\\x41\\u00e9\\\\\""), "\"A\xc3\xa9\\\"");
    assert_string_equal(tree("r'a\\nb'"), "\"a\\nb\"");
    assert_string_equal(tree("'ab' \"cd\""), "\"abcd\"");   /* adjacent literals join */
    assert_string_equal(tree("'''x\ny'''"), "\"x\ny\"");
    assert_string_equal(tree("'it\\'s'"), "\"it's\"");
    assert_string_equal(tree("f'x={x + 1:.2f}!'"), "(fstr \"x=\" (fmt (+ x 1) .2f) \"!\")");
    assert_string_equal(tree("f'{a}{b!r}'"), "(fstr (fmt a _) (fmt!r b _))");
    assert_string_equal(tree("f'{{}}'"), "(fstr \"{}\")");
}

static void test_parser_statements(void **state)
{
    assert_string_equal(tree("x = 1"), "(= x 1)");
    assert_string_equal(tree("a = b = 0"), "(= a b 0)");
    assert_string_equal(tree("a, b = b, a"), "(= (tuple a b) (tuple b a))");
    assert_string_equal(tree("(a, b), (c, d) = f()"), "(= (tuple (tuple a b) (tuple c d)) (call f))");
    assert_string_equal(tree("t[0] = x.y = 1"), "(= (idx t 0) (. x y) 1)");
    assert_string_equal(tree("x += 1\ny **= 2\nz @= w"), "(+= x 1)\n(**= y 2)\n(@= z w)");
    assert_string_equal(tree("if a:\n    b\nelif c:\n    d\nelse:\n    e\n"),
                        "(if a { b } (if c { d } { e }))");
    assert_string_equal(tree("if a: b"), "(if a { b } _)");
    assert_string_equal(tree("while x > 0:\n    x -= 1\n    continue\n"),
                        "(while (cmp x > 0) { (-= x 1) continue })");
    assert_string_equal(tree("for i, (a, b) in pairs:\n    break\n"),
                        "(for (tuple i (tuple a b)) pairs { break })");
    assert_string_equal(tree("for x in a, b:\n    pass\n"), "(for x (tuple a b) { pass })");
    assert_string_equal(tree("def f(a, b=2) -> int:\n    \"doc\"\n    return a\n"),
                        "(def f ( a b=2 ) { \"doc\" (return a) })");
    assert_string_equal(tree("def g():\n    return\n"), "(def g ( ) { (return _) })");
    assert_string_equal(tree("def h():\n    global a, b\n    nonlocal c\n"),
                        "(def h ( ) { (global a b) (nonlocal c) })");
    assert_string_equal(tree("del x, t[0]"), "(del (tuple x (idx t 0)))");
    assert_string_equal(tree("assert x > 0, 'msg'"), "(assert (cmp x > 0) \"msg\")");
    assert_string_equal(tree("assert ok"), "(assert ok _)");
    assert_string_equal(tree("with no_grad():\n    y = f(x)\n"), "(with (call no_grad) _ { (= y (call f x)) })");
    assert_string_equal(tree("a; b; c"), "a\nb\nc");
    assert_string_equal(tree("x = 1;\n"), "(= x 1)");
    assert_string_equal(tree("\n\n# only comments\n\n"), "");
}

/* LANG_ERR_INCOMPLETE: more input could complete the program (the REPL asks for a line). */
static void test_parser_incomplete(void **state)
{
    const char *incomplete[] = {
        "x = (1, 2",
        "x = [1,\n  2,",
        "f(a,",
        "d = {'a':",
        "if x:",
        "if x:\n",
        "for i in range(3):\n",
        "def f(a, b):",
        "while True:",
        "if a:\n    b\nelse:",
        "s = '''abc",
        "s = '''abc\ndef",
        "x = 1 + \\",
    };
    for (size_t i = 0; i < sizeof incomplete / sizeof incomplete[0]; i++) {
        lang_error err;
        lang_status st = parse_status(incomplete[i], &err);
        if (st != LANG_ERR_INCOMPLETE)
            fail_msg("\"%s\": %s (%s), expected LANG_ERR_INCOMPLETE", incomplete[i],
                     lang_status_name(st), err.msg);
    }
    const char *complete[] = {
        "x = 1",
        "if x:\n    y = 1\n",
        "if x:\n    y = 1",
        "def f():\n    return 1\n\n",
        "x = (1,\n 2)",
        "",
    };
    for (size_t i = 0; i < sizeof complete / sizeof complete[0]; i++) {
        lang_error err;
        lang_status st = parse_status(complete[i], &err);
        if (st != LANG_OK) fail_msg("\"%s\": %s (%s), expected LANG_OK", complete[i], lang_status_name(st), err.msg);
    }
}

static void test_parser_syntax_errors(void **state)
{
    expect_syntax("if True\n    x = 1\n", 1, 8, "expected ':' to start the if block, found end of line");
    expect_syntax("def f():\nreturn 1\n", 2, 1, "expected an indented block for the function body");
    expect_syntax("x = 1\n    y = 2\n", 2, 5, "unexpected indent");
    expect_syntax("x = = 2", 1, 5, "expected an expression, found '='");
    expect_syntax("x = 1 +\n", 1, 8, "expected an expression, found end of line");
    expect_syntax("1 = x", 1, 1, "cannot assign to this expression (only names, items t[i] and attributes x.a can be assigned)");
    expect_syntax("f() = 3", 1, 1, "cannot assign to this expression (only names, items t[i] and attributes x.a can be assigned)");
    expect_syntax("import numpy", 1, 1, "nabla has no modules to import: tensors, layers and data are built in (zeros(...), not np.zeros(...)); try help()");
    expect_syntax("class A:\n    pass\n", 1, 1, "nabla has no classes; use functions, dicts and the built-in layers");
    expect_syntax("try:\n    pass\n", 1, 1, "nabla has no try/except: errors stop the program with a message");
    expect_syntax("raise x", 1, 1, "'raise' is not supported in nabla");
    expect_syntax("print(1) print(2)", 1, 10, "unexpected 'print' after the statement (one statement per line, or separate them with ';')");
    expect_syntax("def f(a, a):\n    pass\n", 1, 10, "duplicate parameter 'a'");
    expect_syntax("def f(a=1, b):\n    pass\n", 1, 12, "parameter 'b' without a default follows one with a default");
    expect_syntax("f(a=1, 2)", 1, 8, "a positional argument cannot follow keyword arguments");
    expect_syntax("x.", 1, 3, "expected an attribute name after '.', found end of line");
    expect_syntax("x = (1 2)", 1, 8, "expected ')' to close the parenthesis, found '2'");
    expect_syntax("print('abc)", 1, 7, "unterminated string (missing closing quote)");
}

/* Errors inside an f-string field point into the source line, and are syntax errors: the end
 * of the field is not the end of the input (no more lines can complete it). */
static void test_parser_fstring_errors(void **state)
{
    expect_syntax("x = 1\ny = f'{x + }'", 2, 12, "expected an expression, found '}'");
    expect_syntax("y = f'{x'", 1, 5, "f-string: expected '}'");
    expect_syntax("y = f'a}b'", 1, 5, "single '}' is not allowed in an f-string: write '}}'");
}

/* Deep nesting is an error, not a C stack overflow. */
static void test_parser_nesting_limit(void **state)
{
    static char src[4096];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < 1000; i++) src[n++] = ')';
    src[n] = '\0';
    lang_error err;
    assert_int_equal(parse_status(src, &err), LANG_ERR_SYNTAX);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    /* and a reasonable depth is fine */
    assert_string_equal(tree("((((((((((1))))))))))"), "1");
}

/* Node positions: where errors and carets point. */
static void test_parser_positions(void **state)
{
    lang_arena arena = {0};
    lang_node *prog;
    lang_error err;
    assert_int_equal(lang_parse("x = 1\nh = x @ w\n", "<t>", &arena, &prog, &err), LANG_OK);
    lang_node *assign = prog->list[1];
    assert_int_equal(assign->kind, LANG_N_ASSIGN);
    lang_node *mm = assign->b;
    assert_int_equal(mm->kind, LANG_N_BINOP);
    assert_int_equal(mm->line, 2);
    assert_int_equal(mm->col, 5);     /* the left operand */
    assert_int_equal(mm->opcol, 7);   /* the operator */
    lang_arena_free(&arena);

    assert_int_equal(lang_parse("print(f(a)[i])", "<t>", &arena, &prog, &err), LANG_OK);
    lang_node *call = prog->list[0]->a;
    assert_int_equal(call->kind, LANG_N_CALL);
    assert_int_equal(call->col, 1);
    assert_int_equal(call->opcol, 6);
    lang_node *idx = call->list[0];
    assert_int_equal(idx->kind, LANG_N_INDEX);
    assert_int_equal(idx->col, 7);
    assert_int_equal(idx->opcol, 11);
    lang_arena_free(&arena);
}

/* Mutated programs (bytes replaced, deleted, duplicated; deterministic) never crash the
 * parser, and every error it reports is a syntax error or incomplete input positioned inside
 * the source. (Run under `make check-asan` this is a small fuzz test.) */
static void test_parser_mutations(void **state)
{
    static const char *seeds[] = {
        "def f(a, b=2):\n    \"\"\"doc\"\"\"\n    if a < b <= 3 and not a:\n        return [x * 2 for x in range(a) if x]\n    elif a:\n        return {'k': (a, b)}\n    return lambda y=1: y ** -a\n",
        "xs = ['a', \"b\", r'\\n', f'{1 + 2:>4}']\nfor i, (k, v) in enumerate(d.items()):\n    while i:\n        i -= 1; continue\n    xs[i:j:-1] = t[0, :]\n",
        "g = 0\ndef h():\n    global g\n    def inner():\n        nonlocal x\n    x = 1\n    del g, x\n    assert g, 'm'\nwith no_grad():\n    y = x @ w.T + b\n",
    };
    const char *frag = "()[]{}:,.=+-*/%@<>!'\"\n    #\\fx1_ifelsedefreturnwhileforinlambdanotandor;";
    unsigned x = 2463534242u;
    char buf[1024];
    for (int it = 0; it < 6000; it++) {
        const char *seed = seeds[it % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        int muts = 1 + it % 4;
        for (int m = 0; m < muts && n > 2; m++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            size_t pos = x % n;
            switch ((x >> 8) % 3) {
            case 0: buf[pos] = frag[(x >> 12) % strlen(frag)]; break;
            case 1: memmove(buf + pos, buf + pos + 1, n - pos); n--; break;
            default: {
                size_t len = (x >> 16) % 12, from = (x >> 20) % n;
                if (from + len > n) len = n - from;
                if (n + len >= sizeof buf) break;
                char piece[16];
                memcpy(piece, buf + from, len);
                memmove(buf + pos + len, buf + pos, n - pos + 1);
                memcpy(buf + pos, piece, len);
                n += len;
            }
            }
        }
        lang_error err;
        lang_status st = parse_status(buf, &err);
        lang_is_complete(buf, NULL);
        if (st == LANG_OK) continue;
        int lines = 1;
        for (const char *q = buf; *q; q++) lines += *q == '\n';
        if ((st != LANG_ERR_SYNTAX && st != LANG_ERR_INCOMPLETE) || err.line < 1 || err.line > lines || err.col < 1)
            fail_msg("status %d at line %d (of %d), col %d: %s\n---\n%s\n---", st, err.line, lines, err.col, err.msg, buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_arith_precedence),
        cmocka_unit_test(test_parser_logic_and_compare),
        cmocka_unit_test(test_parser_primaries),
        cmocka_unit_test(test_parser_literals),
        cmocka_unit_test(test_parser_strings),
        cmocka_unit_test(test_parser_statements),
        cmocka_unit_test(test_parser_incomplete),
        cmocka_unit_test(test_parser_syntax_errors),
        cmocka_unit_test(test_parser_fstring_errors),
        cmocka_unit_test(test_parser_nesting_limit),
        cmocka_unit_test(test_parser_positions),
        cmocka_unit_test(test_parser_mutations),
    };
    return cmocka_run_group_tests_name("parser", tests, NULL, NULL);
}
