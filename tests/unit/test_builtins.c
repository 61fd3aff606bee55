/* test_builtins.c -- lang/builtins.c: parsing builtin signatures ("x, axis=, keepdims=",
 * "*shape", "self, index="), registering functions and methods from tables, and the argument
 * conversions every builtin shares (lang_arg_num/int/bool/str/tensor/shape) with their
 * messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_lang.h"
#include "lang/vm.h"

static lang_status noop(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    *out = lang_none();
    return LANG_OK;
}

static void parse(const char *params, lang_status want_st, int nparams, int nrequired, int varargs)
{
    lang_builtin_def def = { "f", noop, params, "f()" };
    lang_builtin b;
    memset(&b, 0, sizeof b);
    lang_status st = lang_builtin_parse(&def, &b);
    if (st != want_st) fail_msg("\"%s\": status %d, expected %d", params ? params : "(null)", st, want_st);
    if (st != LANG_OK) return;
    if (b.nparams != nparams || b.nrequired != nrequired || b.varargs != varargs)
        fail_msg("\"%s\": %d params, %d required, varargs %d", params, b.nparams, b.nrequired, b.varargs);
}

static void test_builtins_parse_signatures(void **state)
{
    parse("", LANG_OK, 0, 0, 0);
    parse(NULL, LANG_OK, 0, 0, 0);
    parse("x", LANG_OK, 1, 1, 0);
    parse("x, axis=, keepdims=", LANG_OK, 3, 1, 0);
    parse("a, b", LANG_OK, 2, 2, 0);
    parse("*shape", LANG_OK, 1, 1, 1);   /* the star counts in nrequired; it may bind nothing */
    parse("*values, sep=, end=", LANG_OK, 3, 1, 1);
    parse("self, index=", LANG_OK, 2, 1, 0);
    parse("self, *axes", LANG_OK, 2, 2, 1);
    parse("x=", LANG_OK, 1, 0, 0);
    parse("start, stop=None, step=1", LANG_OK, 3, 1, 0);   /* default text is documentation */
    /* a required parameter after an optional one, or a star not first: invalid tables */
    parse("a=, b", LANG_ERR_VALUE, 0, 0, 0);
    parse("a, b, *rest", LANG_ERR_VALUE, 0, 0, 0);
    parse("a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q", LANG_ERR_VALUE, 0, 0, 0);
    /* the names are kept */
    lang_builtin_def def = { "f", noop, "x, axis=", "f()" };
    lang_builtin b;
    assert_int_equal(lang_builtin_parse(&def, &b), LANG_OK);
    assert_int_equal(b.plens[0], 1);
    assert_memory_equal(b.pnames[1], "axis", 4);
    assert_int_equal(b.plens[1], 4);
}

static lang_status echo_args(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    lang_buf b = {0};
    lang_buf_addf(&b, "a0=");
    if (LANG_IS_UNDEF(a[0])) lang_buf_addf(&b, "-");
    else lang_value_write(&b, a[0], 1);
    lang_buf_addf(&b, " a1=");
    if (LANG_IS_UNDEF(a[1])) lang_buf_addf(&b, "-");
    else lang_value_write(&b, a[1], 1);
    lang_buf_addf(&b, " extra=%d", nva);
    lang_str *s = lang_str_new(vm, b.data, b.len);
    lang_buf_free(&b);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

static lang_status sum_varargs(lang_vm *vm, lang_value *a, lang_value *va, int nva, lang_value *out)
{
    double t = 0;
    for (int i = 0; i < nva; i++) {
        double x;
        lang_status st = lang_arg_num(vm, va[i], "sum_all() item", &x);
        if (st != LANG_OK) return st;
        t += x;
    }
    *out = lang_num(t);
    return LANG_OK;
}

static const lang_builtin_def defs[] = {
    { "two", echo_args, "first, second=", "two(first, second=None)\nEchoes its arguments." },
    { "sum_all", sum_varargs, "*items", "sum_all(*items)\nAdds numbers." },
    { NULL, NULL, NULL, NULL },
};

static const lang_builtin_def str_extra[] = {
    { "shout", echo_args, "self, suffix=", "str.shout(suffix)\nTest method." },
    { NULL, NULL, NULL, NULL },
};

static void test_builtins_register(void **state)
{
    tl_fixture *f = *state;
    assert_int_equal(lang_register(f->vm, defs), LANG_OK);
    tl_expect_out(f, "print(two(1))", "a0=1 a1=- extra=0\n");
    tl_expect_out(f, "print(two('x', second=[]))", "a0='x' a1=[] extra=0\n");
    tl_expect_out(f, "print(two(second=2, first=1))", "a0=1 a1=2 extra=0\n");
    tl_expect_out(f, "print(sum_all(), sum_all(1, 2, 3.5))", "0 6.5\n");
    tl_expect_error(f, "two()", "TypeError: line 1, col 1: two() is missing required argument 'first'");
    tl_expect_error(f, "two(1, 2, 3)", "TypeError: line 1, col 1: two() takes at most 2 arguments but 3 were given");
    tl_expect_error(f, "sum_all(1, 'a')", "TypeError: line 1, col 1: sum_all() item must be a number, got str");
    tl_expect_out(f, "help(two)", "two(first, second=None)\nEchoes its arguments.\n");
    /* methods of the built-in types */
    assert_int_equal(lang_register_methods(f->vm, LANG_METHODS_STR, str_extra), LANG_OK);
    tl_expect_out(f, "print('hey'.shout('!'))", "a0='hey' a1='!' extra=0\n");
    tl_expect_out(f, "print('hey'.upper())", "HEY\n");   /* the old methods are still there */
    TL_DONE(f);
}

static void test_builtins_arg_num_int(void **state)
{
    tl_fixture *f = *state;
    lang_error err;
    f->vm->err = &err;
    double d;
    int64_t i;
    assert_int_equal(lang_arg_num(f->vm, lang_num(2.5), "x", &d), LANG_OK);
    assert_true(d == 2.5);
    assert_int_equal(lang_arg_num(f->vm, lang_bool(1), "x", &d), LANG_OK);
    assert_true(d == 1);
    assert_int_equal(lang_arg_num(f->vm, lang_none(), "zeros() size", &d), LANG_ERR_TYPE);
    assert_string_equal(err.msg, "zeros() size must be a number, got NoneType");
    assert_int_equal(lang_arg_int(f->vm, lang_num(-3), "n", &i), LANG_OK);
    assert_int_equal(i, -3);
    assert_int_equal(lang_arg_int(f->vm, lang_num(2.5), "range() stop", &i), LANG_ERR_TYPE);
    assert_string_equal(err.msg, "range() stop must be a whole number, got 2.5");
    assert_int_equal(lang_arg_int(f->vm, lang_num(1e300), "n", &i), LANG_ERR_TYPE);
    /* a one-element tensor is a number */
    assert_int_equal(tl_run(f, "t = tensor(4)\nu = zeros(2)"), LANG_OK);
    f->vm->err = &err;
    assert_int_equal(lang_arg_int(f->vm, f->vm->globals.values[lang_global_find(f->vm, "t")], "n", &i), LANG_OK);
    assert_int_equal(i, 4);
    assert_int_equal(lang_arg_num(f->vm, f->vm->globals.values[lang_global_find(f->vm, "u")], "lr", &d), LANG_ERR_TYPE);
    assert_string_equal(err.msg, "lr must be a number, got tensor");
    f->vm->err = NULL;
}

static void test_builtins_arg_other(void **state)
{
    tl_fixture *f = *state;
    lang_error err;
    f->vm->err = &err;
    int b;
    assert_int_equal(lang_arg_bool(f->vm, lang_num(2), "flag", &b), LANG_OK);
    assert_int_equal(b, 1);
    assert_int_equal(lang_arg_bool(f->vm, lang_none(), "flag", &b), LANG_OK);
    assert_int_equal(b, 0);
    const char *s;
    lang_value str = lang_obj_val(lang_str_cstr(f->vm, "relu"));
    assert_int_equal(lang_arg_str(f->vm, str, "activation", &s), LANG_OK);
    assert_string_equal(s, "relu");
    assert_int_equal(lang_arg_str(f->vm, lang_num(1), "activation", &s), LANG_ERR_TYPE);
    assert_string_equal(err.msg, "activation must be a str, got number");
    lang_decref(f->vm, str);
    /* tensors from numbers and nested lists */
    eng_tensor *t = NULL;
    assert_int_equal(lang_arg_tensor(f->vm, lang_num(3), "x", &t), LANG_OK);
    assert_int_equal(t->size, 1);
    eng_tensor_release(t);
    f->vm->err = NULL;
}

static void test_builtins_arg_shape(void **state)
{
    tl_fixture *f = *state;
    lang_error err;
    int ndim;
    int64_t shape[ENG_MAX_DIMS];
    f->vm->err = &err;
    lang_value dims[3] = { lang_num(2), lang_num(3), lang_num(4) };
    assert_int_equal(lang_arg_shape(f->vm, dims, 3, "zeros()", &ndim, shape), LANG_OK);
    assert_int_equal(ndim, 3);
    assert_int_equal(shape[0], 2);
    assert_int_equal(shape[2], 4);
    assert_int_equal(lang_arg_shape(f->vm, dims, 0, "zeros()", &ndim, shape), LANG_OK);
    assert_int_equal(ndim, 0);
    lang_value neg = lang_num(-1);
    assert_int_equal(lang_arg_shape(f->vm, &neg, 1, "zeros()", &ndim, shape), LANG_ERR_VALUE);
    assert_string_equal(err.msg, "zeros(): negative size -1");
    f->vm->err = NULL;
    /* through programs: ints, a tuple, a list, a tensor of sizes */
    tl_expect_out(f, "print(zeros(2, 3).shape, zeros((2, 3)).shape, zeros(list([4])).shape, zeros([1, 2]).shape)",
                  "[2, 3] [2, 3] [4] [1, 2]\n");
    tl_expect_error(f, "zeros(2.5)", "TypeError: line 1, col 1: *");
    tl_expect_error(f, "zeros(1, 1, 1, 1, 1, 1, 1, 1, 1)", "ValueError: *");
    TL_DONE(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_parse_signatures),
        cmocka_unit_test_setup_teardown(test_builtins_register, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_builtins_arg_num_int, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_builtins_arg_other, tl_setup, tl_teardown),
        cmocka_unit_test_setup_teardown(test_builtins_arg_shape, tl_setup, tl_teardown),
    };
    return cmocka_run_group_tests_name("builtins", tests, NULL, NULL);
}
