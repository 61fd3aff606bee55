/*
 * compiler.c -- syntax tree to bytecode (chunk.h). One compiler per function being compiled,
 * chained to the enclosing one. Names were resolved beforehand by scope.c; here each becomes
 * a local slot, a cell, a captured cell of the closure, or a global slot of the VM.
 *
 * The compiler tracks the stack depth of every instruction so each proto knows the most stack
 * it can need (max_stack): the VM checks that once per call instead of on every push.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/compiler.h"
#include "lang/lexer.h"
#include "lang/scope.h"
#include "lang/vm.h"

typedef struct loop {
    struct loop *outer;
    size_t start;              /* where `continue` jumps */
    int is_for;                /* a for loop keeps 2 iteration values on the stack */
    size_t breaks[64];
    int nbreaks;
    size_t continues[64];      /* for loops: forward jumps to the FOR_LOOP test */
    int ncontinues;
    int withs;                 /* `with` blocks open at the loop's start */
} loop;

typedef struct compiler {
    struct compiler *outer;
    lang_vm *vm;
    lang_proto *proto;
    lang_scope *scope;
    loop *loops;
    int depth;                 /* current stack depth */
    lang_srcpos pos;           /* position given to the next instruction */
    lang_error *err;
    jmp_buf *fail;
    int echo;                  /* ECHO the value of a final bare expression */
    int withs;                 /* `with` blocks open here: break/continue/return close them */
    const char *source;
    lang_str *src;             /* the source as a shared string, referenced by every proto */
} compiler;

/* ---- errors and emission --------------------------------------------------------------- */

static void fail_node(compiler *c, lang_status kind, const lang_node *n, const char *fmt, ...)
{
    lang_error *e = c->err;
    e->kind = kind;
    e->line = n ? n->line : 0;
    e->col = n ? n->col : 0;
    e->len = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    longjmp(*c->fail, 1);
}

static void oom(compiler *c) { fail_node(c, LANG_ERR_MEMORY, NULL, "out of memory while compiling"); }

static void set_pos(compiler *c, const lang_node *n)
{
    c->pos.line = n->line;
    c->pos.col = (uint16_t)(n->col > 65535 ? 65535 : n->col);
    int caret = n->opcol ? n->opcol : n->col;
    c->pos.caret = (uint16_t)(caret > 65535 ? 65535 : caret);
}

static void emit_byte(compiler *c, uint8_t b)
{
    lang_chunk *ch = &c->proto->chunk;
    if (ch->len == ch->cap) {
        size_t cap = ch->cap ? ch->cap * 2 : 64;
        uint8_t *code = realloc(ch->code, cap);
        if (!code) oom(c);
        ch->code = code;
        lang_srcpos *pos = realloc(ch->pos, cap * sizeof *pos);
        if (!pos) oom(c);
        ch->pos = pos;
        ch->cap = cap;
    }
    ch->pos[ch->len] = c->pos;
    ch->code[ch->len++] = b;
}

static void emit_u16(compiler *c, unsigned v)
{
    emit_byte(c, (uint8_t)(v & 0xff));
    emit_byte(c, (uint8_t)(v >> 8));
}

/* Emits an opcode whose net effect on the stack is `effect` values. */
static void emit_op(compiler *c, lang_opcode op, int effect)
{
    emit_byte(c, (uint8_t)op);
    c->depth += effect;
    if (c->depth > c->proto->max_stack) c->proto->max_stack = c->depth;
}

static void emit_op_u8(compiler *c, lang_opcode op, int effect, int arg)
{
    emit_op(c, op, effect);
    emit_byte(c, (uint8_t)arg);
}

static void emit_op_u16(compiler *c, lang_opcode op, int effect, unsigned arg)
{
    emit_op(c, op, effect);
    emit_u16(c, arg);
}

static unsigned add_const(compiler *c, lang_value v)
{
    lang_chunk *ch = &c->proto->chunk;
    for (size_t i = 0; i < ch->nconsts && i < 512; i++) {
        lang_value k = ch->consts[i];
        if (k.tag == v.tag && (LANG_IS_NUM(v) ? k.as.num == v.as.num && (k.as.num != 0 || 1 / k.as.num == 1 / v.as.num)
                                              : LANG_IS_STR(v) && LANG_IS_STR(k) && lang_equal(k, v))) {
            lang_decref(c->vm, v);
            return (unsigned)i;
        }
    }
    if (ch->nconsts >= 65535) fail_node(c, LANG_ERR_SYNTAX, NULL, "too many constants in one function");
    if (ch->nconsts == ch->capconsts) {
        size_t cap = ch->capconsts ? ch->capconsts * 2 : 16;
        lang_value *k = realloc(ch->consts, cap * sizeof *k);
        if (!k) {
            lang_decref(c->vm, v);
            oom(c);
        }
        ch->consts = k;
        ch->capconsts = cap;
    }
    ch->consts[ch->nconsts++] = v;
    return (unsigned)(ch->nconsts - 1);
}

static unsigned str_const(compiler *c, const char *s, size_t len)
{
    lang_str *str = lang_str_new(c->vm, s, len);
    if (!str) oom(c);
    return add_const(c, lang_obj_val(str));
}

/* A forward jump: emits the op with a placeholder, returns where to patch. */
static size_t emit_jump(compiler *c, lang_opcode op, int effect)
{
    emit_op_u16(c, op, effect, 0xffff);
    return c->proto->chunk.len - 2;
}

static void patch_jump(compiler *c, size_t at)
{
    size_t dist = c->proto->chunk.len - (at + 2);
    if (dist > 65535) fail_node(c, LANG_ERR_SYNTAX, NULL, "this function is too large: split it");
    c->proto->chunk.code[at] = (uint8_t)(dist & 0xff);
    c->proto->chunk.code[at + 1] = (uint8_t)(dist >> 8);
}

static void emit_loop(compiler *c, size_t target)
{
    emit_op(c, LANG_OP_LOOP, 0);
    size_t dist = c->proto->chunk.len + 2 - target;
    if (dist > 65535) fail_node(c, LANG_ERR_SYNTAX, NULL, "this loop body is too large: split it");
    emit_u16(c, (unsigned)dist);
}

/* ---- names ----------------------------------------------------------------------------- */

typedef enum { NAME_LOCAL, NAME_CELL, NAME_FREE, NAME_GLOBAL } name_kind;

static name_kind resolve(compiler *c, const lang_node *n, int *index)
{
    lang_var *v = c->scope->is_module ? NULL : lang_scope_find(c->scope, n->str);
    if (v && !(v->flags & LANG_VAR_GLOBAL)) {
        if (v->flags & LANG_VAR_FREE) { *index = v->slot; return NAME_FREE; }
        if (v->flags & LANG_VAR_ASSIGNED) {
            *index = v->slot;
            return (v->flags & LANG_VAR_CAPTURED) ? NAME_CELL : NAME_LOCAL;
        }
    }
    int g = lang_global_slot(c->vm, n->str, strlen(n->str));
    if (g < 0) oom(c);
    if (g > 65535) fail_node(c, LANG_ERR_SYNTAX, n, "too many global names");
    *index = g;
    return NAME_GLOBAL;
}

static void load_name(compiler *c, const lang_node *n)
{
    int i;
    set_pos(c, n);
    switch (resolve(c, n, &i)) {
    case NAME_LOCAL: emit_op_u8(c, LANG_OP_GET_LOCAL, 1, i); break;
    case NAME_CELL: emit_op_u8(c, LANG_OP_GET_CELL, 1, i); break;
    case NAME_FREE: emit_op_u8(c, LANG_OP_GET_FREE, 1, i); break;
    case NAME_GLOBAL: emit_op_u16(c, LANG_OP_GET_GLOBAL, 1, (unsigned)i); break;
    }
}

static void store_name(compiler *c, const lang_node *n)
{
    int i;
    set_pos(c, n);
    switch (resolve(c, n, &i)) {
    case NAME_LOCAL: emit_op_u8(c, LANG_OP_SET_LOCAL, -1, i); break;
    case NAME_CELL: emit_op_u8(c, LANG_OP_SET_CELL, -1, i); break;
    case NAME_FREE: emit_op_u8(c, LANG_OP_SET_FREE, -1, i); break;
    case NAME_GLOBAL: emit_op_u16(c, LANG_OP_SET_GLOBAL, -1, (unsigned)i); break;
    }
}

/* ---- expressions ----------------------------------------------------------------------- */

static void expr(compiler *c, lang_node *e);
static void block(compiler *c, lang_node **body, int n);
static void function(compiler *c, lang_node *fn, const char *name);

static lang_opcode binop_code(int tok)
{
    switch (tok) {
    case LANG_TOK_PLUS: case LANG_TOK_PLUS_EQ: return LANG_OP_ADD;
    case LANG_TOK_MINUS: case LANG_TOK_MINUS_EQ: return LANG_OP_SUB;
    case LANG_TOK_STAR: case LANG_TOK_STAR_EQ: return LANG_OP_MUL;
    case LANG_TOK_SLASH: case LANG_TOK_SLASH_EQ: return LANG_OP_DIV;
    case LANG_TOK_DSLASH: case LANG_TOK_DSLASH_EQ: return LANG_OP_FLOORDIV;
    case LANG_TOK_PERCENT: case LANG_TOK_PERCENT_EQ: return LANG_OP_MOD;
    case LANG_TOK_DSTAR: case LANG_TOK_DSTAR_EQ: return LANG_OP_POW;
    case LANG_TOK_AT: case LANG_TOK_AT_EQ: return LANG_OP_MATMUL;
    case LANG_TOK_AMP: return LANG_OP_BITAND;
    case LANG_TOK_PIPE: return LANG_OP_BITOR;
    case LANG_TOK_CARET: return LANG_OP_BITXOR;
    case LANG_TOK_LSHIFT: return LANG_OP_LSHIFT;
    case LANG_TOK_RSHIFT: return LANG_OP_RSHIFT;
    default: return LANG_OP_COUNT;
    }
}

static lang_opcode compare_code(int op)
{
    switch (op) {
    case LANG_TOK_EQ: return LANG_OP_EQ;
    case LANG_TOK_NE: return LANG_OP_NE;
    case LANG_TOK_LT: return LANG_OP_LT;
    case LANG_TOK_LE: return LANG_OP_LE;
    case LANG_TOK_GT: return LANG_OP_GT;
    case LANG_TOK_GE: return LANG_OP_GE;
    case LANG_TOK_IN: return LANG_OP_IN;
    case -LANG_TOK_IN: return LANG_OP_NOT_IN;
    case LANG_TOK_IS: return LANG_OP_IS;
    default: return LANG_OP_IS_NOT;
    }
}

static void binary(compiler *c, lang_node *e)
{
    lang_opcode op = binop_code(e->op);
    expr(c, e->a);
    if ((op == LANG_OP_ADD || op == LANG_OP_SUB) && e->b->kind == LANG_N_NUM) {   /* n - 1 */
        set_pos(c, e);
        unsigned k = add_const(c, lang_num(e->b->num));
        emit_op_u16(c, op == LANG_OP_ADD ? LANG_OP_ADD_K : LANG_OP_SUB_K, 0, k);
        return;
    }
    expr(c, e->b);
    set_pos(c, e);
    if (op == LANG_OP_MATMUL) {
        unsigned k = e->b->kind == LANG_N_NAME ? str_const(c, e->b->str, strlen(e->b->str)) : 0xffff;
        emit_op_u16(c, op, -1, k);
    } else {
        emit_op(c, op, -1);
    }
}

/* a < b < c: evaluates b once; stops at the first false comparison (its value is the result). */
static void compare(compiler *c, lang_node *e)
{
    expr(c, e->list[0]);
    size_t cleanups[64];
    int ncleanups = 0;
    if (e->n > 64) fail_node(c, LANG_ERR_SYNTAX, e, "comparison chain too long");
    for (int i = 1; i < e->n; i++) {
        expr(c, e->list[i]);
        int last = i == e->n - 1;
        if (!last) {
            emit_op(c, LANG_OP_DUP, 1);     /* a b b */
            emit_op(c, LANG_OP_ROT3, 0);    /* b a b */
        }
        set_pos(c, e);
        emit_op(c, compare_code(e->ops[i - 1]), -1);
        if (!last) cleanups[ncleanups++] = emit_jump(c, LANG_OP_AND, -1);   /* b r -> b */
    }
    if (ncleanups == 0) return;
    size_t end = emit_jump(c, LANG_OP_JUMP, 0);
    c->depth += 1;   /* at a cleanup: b r */
    for (int i = 0; i < ncleanups; i++) patch_jump(c, cleanups[i]);
    emit_op(c, LANG_OP_SWAP, 0);
    emit_op(c, LANG_OP_POP, -1);
    patch_jump(c, end);
}

static void logical(compiler *c, lang_node *e)
{
    expr(c, e->a);
    size_t j = emit_jump(c, e->kind == LANG_N_AND ? LANG_OP_AND : LANG_OP_OR, -1);
    expr(c, e->b);
    patch_jump(c, j);
}

static void ifexp(compiler *c, lang_node *e)
{
    expr(c, e->b);
    size_t to_else = emit_jump(c, LANG_OP_JUMP_IF_FALSE, -1);
    expr(c, e->a);
    size_t to_end = emit_jump(c, LANG_OP_JUMP, 0);
    c->depth--;
    patch_jump(c, to_else);
    expr(c, e->c);
    patch_jump(c, to_end);
}

static unsigned kwnames_const(compiler *c, lang_node *call)
{
    lang_tuple *t = lang_tuple_new(c->vm, (size_t)call->n2);
    if (!t) oom(c);
    unsigned k = add_const(c, lang_obj_val(t));
    for (int i = 0; i < call->n2; i++) {
        for (int j = 0; j < i; j++)
            if (strcmp(call->names[i], call->names[j]) == 0)
                fail_node(c, LANG_ERR_SYNTAX, call->list2[i], "keyword argument '%s' repeated",
                          call->names[i]);
        lang_str *s = lang_str_cstr(c->vm, call->names[i]);
        if (!s) oom(c);
        t->items[i] = lang_obj_val(s);
    }
    return k;
}

/* f(a, *xs, b, k=v): the positional arguments are gathered into one list, which CALL_STAR
 * spreads onto the stack before calling. */
static void call_star(compiler *c, lang_node *e)
{
    if (e->n2 > 255) fail_node(c, LANG_ERR_SYNTAX, e, "too many arguments (at most 255)");
    expr(c, e->a);
    emit_op_u16(c, LANG_OP_BUILD_LIST, 1, 0);
    emit_byte(c, 0);
    for (int i = 0; i < e->n; i++) {
        lang_node *arg = e->list[i];
        expr(c, arg->kind == LANG_N_STARRED ? arg->a : arg);
        set_pos(c, arg);
        emit_op_u8(c, arg->kind == LANG_N_STARRED ? LANG_OP_LIST_EXTEND : LANG_OP_LIST_APPEND, -1, 0);
    }
    for (int i = 0; i < e->n2; i++) expr(c, e->list2[i]);
    set_pos(c, e);
    emit_op_u8(c, LANG_OP_CALL_STAR, -1 - e->n2, e->n2);
    emit_u16(c, e->n2 ? kwnames_const(c, e) : 0xffff);
    c->proto->max_stack += 256;   /* the spread arguments: CALL_STAR checks its own room */
}

/* f(args), obj.method(args): methods skip building a bound-method object. */
static void call(compiler *c, lang_node *e)
{
    if (e->flag) {
        call_star(c, e);
        return;
    }
    int argc = e->n + e->n2;
    if (argc > 255) fail_node(c, LANG_ERR_SYNTAX, e, "too many arguments (at most 255)");
    int method = e->a->kind == LANG_N_ATTR;
    unsigned name = 0;
    if (method) {
        expr(c, e->a->a);
        name = str_const(c, e->a->str, strlen(e->a->str));
    } else {
        expr(c, e->a);
    }
    for (int i = 0; i < e->n; i++) expr(c, e->list[i]);
    for (int i = 0; i < e->n2; i++) expr(c, e->list2[i]);
    set_pos(c, e);
    if (method) {
        c->pos.caret = (uint16_t)e->a->opcol;
        emit_op_u16(c, e->n2 ? LANG_OP_CALL_METHOD_KW : LANG_OP_CALL_METHOD, -argc, name);
        emit_byte(c, (uint8_t)argc);
        if (e->n2) emit_u16(c, kwnames_const(c, e));
    } else if (e->n2) {
        emit_op_u8(c, LANG_OP_CALL_KW, -argc, argc);
        emit_u16(c, kwnames_const(c, e));
    } else {
        emit_op_u8(c, LANG_OP_CALL, -argc, argc);
    }
}

static void subscript(compiler *c, lang_node *s)
{
    if (s->kind != LANG_N_SLICE) {
        expr(c, s);
        return;
    }
    lang_node *parts[3] = { s->a, s->b, s->c };
    for (int i = 0; i < 3; i++) {
        if (parts[i]) expr(c, parts[i]);
        else emit_op(c, LANG_OP_NONE, 1);
    }
    emit_op(c, LANG_OP_SLICE, -2);
}

static void index_expr(compiler *c, lang_node *idx)
{
    if (idx->kind == LANG_N_TUPLE) {
        for (int i = 0; i < idx->n; i++) subscript(c, idx->list[i]);
        emit_op_u16(c, LANG_OP_BUILD_TUPLE, 1 - idx->n, (unsigned)idx->n);
    } else {
        subscript(c, idx);
    }
}

static void sequence(compiler *c, lang_node *e, lang_opcode op)
{
    if (e->n > 65535) fail_node(c, LANG_ERR_SYNTAX, e, "a literal can hold at most 65535 items (build a bigger one with zeros(), range() or append)");
    for (int i = 0; i < e->n; i++) expr(c, e->list[i]);
    set_pos(c, e);
    emit_op_u16(c, op, 1 - e->n, (unsigned)e->n);
    if (op == LANG_OP_BUILD_LIST) {
        int nested = e->n > 0;
        for (int i = 0; i < e->n; i++)
            if (e->list[i]->kind != LANG_N_LIST || !e->list[i]->flag) nested = 0;
        emit_byte(c, (uint8_t)(e->flag ? (nested ? 2 : 1) : 0));
    }
}

static void dict_literal(compiler *c, lang_node *e)
{
    for (int i = 0; i < e->n; i++) {
        expr(c, e->list[i]);
        expr(c, e->list2[i]);
    }
    set_pos(c, e);
    emit_op_u16(c, LANG_OP_BUILD_DICT, 1 - 2 * e->n, (unsigned)e->n);
}

static void fstring(compiler *c, lang_node *e)
{
    for (int i = 0; i < e->n; i++) {
        lang_node *part = e->list[i];
        if (part->kind == LANG_N_STR) {
            emit_op_u16(c, LANG_OP_CONST, 1, str_const(c, part->str, part->slen));
            continue;
        }
        expr(c, part->a);
        set_pos(c, part->a);
        unsigned spec = part->str ? str_const(c, part->str, strlen(part->str)) : 0xffff;
        emit_op_u16(c, LANG_OP_FORMAT, 0, spec);
        emit_byte(c, (uint8_t)part->flag);
    }
    if (e->n == 0) emit_op_u16(c, LANG_OP_CONST, 1, str_const(c, "", 0));
    else if (e->n > 1) emit_op_u16(c, LANG_OP_BUILD_STRING, 1 - e->n, (unsigned)e->n);
    else if (e->list[0]->kind == LANG_N_STR) return;
}

static void expr(compiler *c, lang_node *e)
{
    set_pos(c, e);
    switch (e->kind) {
    case LANG_N_NUM: emit_op_u16(c, LANG_OP_CONST, 1, add_const(c, lang_num(e->num))); break;
    case LANG_N_STR: emit_op_u16(c, LANG_OP_CONST, 1, str_const(c, e->str, e->slen)); break;
    case LANG_N_FSTR: fstring(c, e); break;
    case LANG_N_NAME: load_name(c, e); break;
    case LANG_N_TRUE: emit_op(c, LANG_OP_TRUE, 1); break;
    case LANG_N_FALSE: emit_op(c, LANG_OP_FALSE, 1); break;
    case LANG_N_NONE: emit_op(c, LANG_OP_NONE, 1); break;
    case LANG_N_BINOP: binary(c, e); break;
    case LANG_N_UNARY:
        expr(c, e->a);
        set_pos(c, e);
        emit_op(c, e->op == LANG_TOK_MINUS ? LANG_OP_NEG : e->op == LANG_TOK_PLUS ? LANG_OP_POS
                   : e->op == LANG_TOK_TILDE ? LANG_OP_INVERT : LANG_OP_NOT, 0);
        break;
    case LANG_N_AND: case LANG_N_OR: logical(c, e); break;
    case LANG_N_COMPARE: compare(c, e); break;
    case LANG_N_IFEXP: ifexp(c, e); break;
    case LANG_N_CALL: call(c, e); break;
    case LANG_N_ATTR:
        expr(c, e->a);
        set_pos(c, e);
        emit_op_u16(c, LANG_OP_GET_ATTR, 0, str_const(c, e->str, strlen(e->str)));
        break;
    case LANG_N_INDEX:
        expr(c, e->a);
        index_expr(c, e->b);
        set_pos(c, e);
        emit_op(c, LANG_OP_GET_INDEX, -1);
        break;
    case LANG_N_SLICE:
        fail_node(c, LANG_ERR_SYNTAX, e, "a slice a:b is only allowed inside [ ]");
        break;
    case LANG_N_STARRED:
        fail_node(c, LANG_ERR_SYNTAX, e, "*%s is only allowed in call arguments and assignment targets",
                  e->a->kind == LANG_N_NAME ? e->a->str : "x");
        break;
    case LANG_N_LIST: sequence(c, e, LANG_OP_BUILD_LIST); break;
    case LANG_N_TUPLE: sequence(c, e, LANG_OP_BUILD_TUPLE); break;
    case LANG_N_DICT: dict_literal(c, e); break;
    case LANG_N_LAMBDA: function(c, e, "<lambda>"); break;
    case LANG_N_LISTCOMP:
        function(c, e, e->flag ? "<dictcomp>" : "<listcomp>");
        expr(c, e->list[0]->b);   /* the first iterable, evaluated in the enclosing scope */
        set_pos(c, e);
        emit_op_u8(c, LANG_OP_CALL, -1, 1);
        break;
    default:
        fail_node(c, LANG_ERR_SYNTAX, e, "this statement cannot be used as a value");
    }
}

/* ---- assignment ------------------------------------------------------------------------ */

/* Stores the value on top of the stack into target (popping it). */
static void store(compiler *c, lang_node *t)
{
    switch (t->kind) {
    case LANG_N_NAME: store_name(c, t); break;
    case LANG_N_INDEX:
        expr(c, t->a);
        index_expr(c, t->b);
        set_pos(c, t);
        emit_op(c, LANG_OP_SET_INDEX, -3);
        break;
    case LANG_N_ATTR:
        expr(c, t->a);
        set_pos(c, t);
        emit_op_u16(c, LANG_OP_SET_ATTR, -2, str_const(c, t->str, strlen(t->str)));
        break;
    case LANG_N_TUPLE: case LANG_N_LIST: {
        if (t->n > 255) fail_node(c, LANG_ERR_SYNTAX, t, "too many targets to unpack");
        set_pos(c, t);
        int star = -1;
        for (int i = 0; i < t->n; i++)
            if (t->list[i]->kind == LANG_N_STARRED) star = i;
        if (star < 0) {
            emit_op_u8(c, LANG_OP_UNPACK, t->n - 1, t->n);
        } else {   /* a, *rest, z = xs: `star` items before the list, the others after it */
            emit_op_u8(c, LANG_OP_UNPACK_STAR, t->n - 1, star);
            emit_byte(c, (uint8_t)(t->n - 1 - star));
        }
        for (int i = 0; i < t->n; i++)
            store(c, t->list[i]->kind == LANG_N_STARRED ? t->list[i]->a : t->list[i]);
        break;
    }
    default:
        fail_node(c, LANG_ERR_SYNTAX, t, "cannot assign to this expression");
    }
}

static void assign(compiler *c, lang_node *s)
{
    expr(c, s->b);
    for (int i = 0; i < s->n; i++) {
        if (i < s->n - 1) emit_op(c, LANG_OP_DUP, 1);
        store(c, s->list[i]);
    }
}

/* x op= v: tensors and lists are updated in place (INPLACE), as in NumPy and Python. */
static void augassign(compiler *c, lang_node *s)
{
    lang_node *t = s->a;
    lang_opcode op = binop_code(s->op);
    int index;
    name_kind kind = t->kind == LANG_N_NAME ? resolve(c, t, &index) : NAME_FREE;
    int src_index;
    name_kind src = s->b->kind == LANG_N_NAME ? resolve(c, s->b, &src_index) : NAME_FREE;
    if ((kind == NAME_LOCAL || kind == NAME_GLOBAL) && src == kind) {   /* s += x, both names */
        set_pos(c, s);
        if (kind == NAME_LOCAL) {
            emit_op_u8(c, LANG_OP_INPLACE_LL, 0, index);
            emit_byte(c, (uint8_t)src_index);
        } else {
            emit_op_u16(c, LANG_OP_INPLACE_GG, 0, (unsigned)index);
            emit_u16(c, (unsigned)src_index);
        }
        emit_byte(c, (uint8_t)op);
    } else if (kind == NAME_LOCAL || kind == NAME_GLOBAL) {   /* one instruction: s += <expr> */
        expr(c, s->b);
        set_pos(c, s);
        if (kind == NAME_LOCAL) emit_op_u8(c, LANG_OP_INPLACE_LOCAL, -1, index);
        else emit_op_u16(c, LANG_OP_INPLACE_GLOBAL, -1, (unsigned)index);
        emit_byte(c, (uint8_t)op);
    } else if (t->kind == LANG_N_NAME) {
        load_name(c, t);
        expr(c, s->b);
        set_pos(c, s);
        emit_op_u8(c, LANG_OP_INPLACE, -1, op);
        store_name(c, t);
    } else if (t->kind == LANG_N_INDEX) {
        expr(c, t->a);
        index_expr(c, t->b);
        emit_op(c, LANG_OP_DUP2, 2);
        set_pos(c, t);
        emit_op(c, LANG_OP_GET_INDEX, -1);
        expr(c, s->b);
        set_pos(c, s);
        emit_op_u8(c, LANG_OP_INPLACE, -1, op);
        emit_op(c, LANG_OP_ROT3, 0);
        set_pos(c, t);
        emit_op(c, LANG_OP_SET_INDEX, -3);
    } else {
        expr(c, t->a);
        emit_op(c, LANG_OP_DUP, 1);
        set_pos(c, t);
        unsigned name = str_const(c, t->str, strlen(t->str));
        emit_op_u16(c, LANG_OP_GET_ATTR, 0, name);
        expr(c, s->b);
        set_pos(c, s);
        emit_op_u8(c, LANG_OP_INPLACE, -1, op);
        emit_op(c, LANG_OP_SWAP, 0);
        emit_op_u16(c, LANG_OP_SET_ATTR, -2, name);
    }
}

static void del_target(compiler *c, lang_node *t)
{
    int i;
    set_pos(c, t);
    switch (t->kind) {
    case LANG_N_NAME:
        switch (resolve(c, t, &i)) {
        case NAME_LOCAL: emit_op_u8(c, LANG_OP_DEL_LOCAL, 0, i); break;
        case NAME_GLOBAL: emit_op_u16(c, LANG_OP_DEL_GLOBAL, 0, (unsigned)i); break;
        default: fail_node(c, LANG_ERR_SYNTAX, t, "cannot delete '%s': an inner function uses it", t->str);
        }
        break;
    case LANG_N_INDEX:
        expr(c, t->a);
        index_expr(c, t->b);
        set_pos(c, t);
        emit_op(c, LANG_OP_DEL_INDEX, -2);
        break;
    case LANG_N_TUPLE: case LANG_N_LIST:
        for (int k = 0; k < t->n; k++) del_target(c, t->list[k]);
        break;
    default:
        fail_node(c, LANG_ERR_SYNTAX, t, "cannot delete this expression");
    }
}

/* ---- statements ------------------------------------------------------------------------ */

/* Compiles a condition and a jump taken when it is false. A plain comparison (a < b) becomes
 * one CMP_JUMP instead of a compare that pushes a bool and a jump that pops it. */
static size_t condition_jump(compiler *c, lang_node *cond)
{
    if (cond->kind == LANG_N_COMPARE && cond->n == 2) {
        lang_opcode op = compare_code(cond->ops[0]);
        if (op >= LANG_OP_EQ && op <= LANG_OP_GE && cond->list[1]->kind == LANG_N_NUM) {
            expr(c, cond->list[0]);   /* n < 2: the constant rides in the instruction */
            set_pos(c, cond);
            unsigned k = add_const(c, lang_num(cond->list[1]->num));
            emit_op_u8(c, LANG_OP_CMP_JUMP_K, -1, op);
            emit_u16(c, k);
            emit_u16(c, 0xffff);
            return c->proto->chunk.len - 2;
        }
        if (op >= LANG_OP_EQ && op <= LANG_OP_GE) {
            expr(c, cond->list[0]);
            expr(c, cond->list[1]);
            set_pos(c, cond);
            emit_op_u8(c, LANG_OP_CMP_JUMP, -2, op);
            emit_u16(c, 0xffff);
            return c->proto->chunk.len - 2;
        }
    }
    expr(c, cond);
    return emit_jump(c, LANG_OP_JUMP_IF_FALSE, -1);
}

static void if_stmt(compiler *c, lang_node *s)
{
    size_t to_else = condition_jump(c, s->a);
    block(c, s->list, s->n);
    if (!s->c) {
        patch_jump(c, to_else);
        return;
    }
    size_t to_end = emit_jump(c, LANG_OP_JUMP, 0);
    patch_jump(c, to_else);
    if (s->c->kind == LANG_N_IF) if_stmt(c, s->c);
    else block(c, s->c->list, s->c->n);
    patch_jump(c, to_end);
}

static void end_loop(compiler *c, loop *l)
{
    for (int i = 0; i < l->nbreaks; i++) patch_jump(c, l->breaks[i]);
    c->loops = l->outer;
}

static void while_stmt(compiler *c, lang_node *s)
{
    loop l = { .outer = c->loops, .start = c->proto->chunk.len, .withs = c->withs };
    c->loops = &l;
    size_t exit = condition_jump(c, s->a);
    block(c, s->list, s->n);
    set_pos(c, s);
    emit_loop(c, l.start);
    patch_jump(c, exit);
    end_loop(c, &l);
}

/* for x in xs: body   compiles to
 *         GET_ITER            xs -> xs position
 *         JUMP test
 *   body: <store x> <body>
 *   test: FOR_LOOP body       pushes the next item and jumps back, or pops the state
 * so each iteration costs one dispatch for the loop itself. */
/* The head of a for loop (statement or comprehension clause) after its iterable: GET_ITER,
 * the jump to the test, and the store of the item into `target` unless FOR_LOOP stores it
 * directly (a plain local or global). Returns where the body starts; *to_test is to patch. */
static size_t for_head(compiler *c, lang_node *target, size_t *to_test)
{
    emit_op(c, LANG_OP_GET_ITER, 1);           /* iterable position */
    *to_test = emit_jump(c, LANG_OP_JUMP, 0);
    size_t body = c->proto->chunk.len;
    int index;
    name_kind kind = target->kind == LANG_N_NAME ? resolve(c, target, &index) : NAME_FREE;
    if (kind != NAME_LOCAL && kind != NAME_GLOBAL) {
        c->depth++;                             /* the item FOR_LOOP pushed */
        store(c, target);
    }
    return body;
}

/* The test at the end of a for loop: the next item goes to `target` and the loop jumps back
 * to `body`; when the iterable is done the state is popped and execution falls through. */
static void for_tail(compiler *c, lang_node *target, size_t body, const lang_node *at)
{
    int index;
    name_kind kind = target->kind == LANG_N_NAME ? resolve(c, target, &index) : NAME_FREE;
    if (kind == NAME_LOCAL) emit_op_u8(c, LANG_OP_FOR_LOOP_LOCAL, -2, index);
    else if (kind == NAME_GLOBAL) emit_op_u16(c, LANG_OP_FOR_LOOP_GLOBAL, -2, (unsigned)index);
    else emit_op(c, LANG_OP_FOR_LOOP, -2);
    size_t dist = c->proto->chunk.len + 2 - body;
    if (dist > 65535) fail_node(c, LANG_ERR_SYNTAX, at, "this loop body is too large: split it");
    emit_u16(c, (unsigned)dist);
}

static void for_stmt(compiler *c, lang_node *s)
{
    expr(c, s->b);
    set_pos(c, s->b);
    loop l = { .outer = c->loops, .is_for = 1, .withs = c->withs };
    size_t to_test, body = for_head(c, s->a, &to_test);
    c->loops = &l;
    block(c, s->list, s->n);
    patch_jump(c, to_test);
    for (int i = 0; i < l.ncontinues; i++) patch_jump(c, l.continues[i]);
    set_pos(c, s);
    for_tail(c, s->a, body, s);
    end_loop(c, &l);
}

static void break_continue(compiler *c, lang_node *s)
{
    loop *l = c->loops;
    const char *what = s->kind == LANG_N_BREAK ? "break" : "continue";
    if (!l) fail_node(c, LANG_ERR_SYNTAX, s, "'%s' outside a loop", what);
    int saved = c->depth;
    set_pos(c, s);
    for (int i = l->withs; i < c->withs; i++) emit_op(c, LANG_OP_WITH_EXIT, 0);
    if (s->kind == LANG_N_CONTINUE) {
        if (!l->is_for) {
            emit_loop(c, l->start);
            return;
        }
        if (l->ncontinues == 64) fail_node(c, LANG_ERR_SYNTAX, s, "too many 'continue's in one loop");
        l->continues[l->ncontinues++] = emit_jump(c, LANG_OP_JUMP, 0);
        return;
    }
    if (l->is_for) {   /* drop the iteration state */
        emit_op(c, LANG_OP_POP, -1);
        emit_op(c, LANG_OP_POP, -1);
    }
    if (l->nbreaks == 64) fail_node(c, LANG_ERR_SYNTAX, s, "too many 'break's in one loop");
    l->breaks[l->nbreaks++] = emit_jump(c, LANG_OP_JUMP, 0);
    c->depth = saved;
}

/* with ctx as x: body   ->   <ctx> WITH_ENTER (<store x> | POP) <body> WITH_EXIT
 * WITH_ENTER moves the context onto the VM's with-stack, so the value stack is as before and
 * break, continue and return only need a WITH_EXIT per open block; an error unwinding the
 * frame makes the VM call the exits itself. */
static void with_stmt(compiler *c, lang_node *s)
{
    expr(c, s->a);
    set_pos(c, s);
    emit_op(c, LANG_OP_WITH_ENTER, 0);   /* ctx -> the value of `as` */
    if (s->b) store(c, s->b);
    else emit_op(c, LANG_OP_POP, -1);
    c->withs++;
    block(c, s->list, s->n);
    c->withs--;
    set_pos(c, s);
    emit_op(c, LANG_OP_WITH_EXIT, 0);
}

static void return_stmt(compiler *c, lang_node *s)
{
    if (c->scope->is_module) fail_node(c, LANG_ERR_SYNTAX, s, "'return' outside a function");
    if (s->a) expr(c, s->a);
    else emit_op(c, LANG_OP_NONE, 1);
    set_pos(c, s);
    for (int i = 0; i < c->withs; i++) emit_op(c, LANG_OP_WITH_EXIT, 0);
    emit_op(c, LANG_OP_RETURN, -1);
}

/* nonlocal x: x must be a variable of an enclosing function. */
static void check_nonlocal(compiler *c, lang_node *s)
{
    if (c->scope->is_module)
        fail_node(c, LANG_ERR_SYNTAX, s, "nonlocal declaration not allowed at module level");
    for (int i = 0; i < s->n; i++) {
        lang_var *v = lang_scope_find(c->scope, s->names[i]);
        if (!v || !(v->flags & LANG_VAR_FREE))
            fail_node(c, LANG_ERR_SYNTAX, s, "no binding for nonlocal '%s' found (it must be a "
                      "variable of an enclosing function)", s->names[i]);
    }
}

static void statement(compiler *c, lang_node *s, int last)
{
    set_pos(c, s);
    switch (s->kind) {
    case LANG_N_EXPR:
        expr(c, s->a);
        if (last && c->echo) emit_op(c, LANG_OP_ECHO, -1);
        else emit_op(c, LANG_OP_POP, -1);
        break;
    case LANG_N_ASSIGN: assign(c, s); break;
    case LANG_N_AUGASSIGN: augassign(c, s); break;
    case LANG_N_IF: if_stmt(c, s); break;
    case LANG_N_WHILE: while_stmt(c, s); break;
    case LANG_N_FOR: for_stmt(c, s); break;
    case LANG_N_DEF:
        function(c, s, s->str);
        store_name(c, &(lang_node){ .kind = LANG_N_NAME, .str = s->str, .line = s->line, .col = s->col });
        break;
    case LANG_N_RETURN: return_stmt(c, s); break;
    case LANG_N_BREAK: case LANG_N_CONTINUE: break_continue(c, s); break;
    case LANG_N_PASS: case LANG_N_GLOBAL: break;
    case LANG_N_NONLOCAL: check_nonlocal(c, s); break;
    case LANG_N_DEL: del_target(c, s->a); break;
    case LANG_N_ASSERT:
        expr(c, s->a);
        if (s->b) expr(c, s->b);
        set_pos(c, s);
        emit_op_u8(c, LANG_OP_ASSERT, s->b ? -2 : -1, s->b != NULL);
        break;
    case LANG_N_WITH: with_stmt(c, s); break;
    default:
        fail_node(c, LANG_ERR_SYNTAX, s, "unexpected statement");
    }
}

static void block(compiler *c, lang_node **body, int n)
{
    for (int i = 0; i < n; i++) statement(c, body[i], 0);
}

/* ---- functions ------------------------------------------------------------------------- */

static lang_proto *proto_new(compiler *c, const char *name)
{
    lang_proto *p = calloc(1, sizeof *p);
    if (!p) oom(c);
    p->h.refcount = 1;
    p->h.type = LANG_OBJ_PROTO;
    lang_gc_track(c->vm, &p->h);
    p->name = lang_str_cstr(c->vm, name);
    p->file = strdup(c->proto && c->proto->file ? c->proto->file : "");
    if (c->src) {
        p->src = c->src;
        c->src->h.refcount++;
    }
    if (!p->name || !p->file) {
        lang_decref(c->vm, lang_obj_val(p));
        oom(c);
    }
    return p;
}

/* Gives slots: parameters first, then locals; free variables number the captured cells. */
static void assign_slots(compiler *c, lang_scope *s)
{
    int nlocal = 0, nfree = 0;
    for (int i = 0; i < s->nvars; i++)
        if ((s->vars[i].flags & LANG_VAR_PARAM)) s->vars[i].slot = nlocal++;
    for (int i = 0; i < s->nvars; i++) {
        lang_var *v = &s->vars[i];
        if (v->flags & LANG_VAR_PARAM) continue;
        if (v->flags & LANG_VAR_FREE) v->slot = nfree++;
        else if ((v->flags & LANG_VAR_ASSIGNED) && !(v->flags & LANG_VAR_GLOBAL)) v->slot = nlocal++;
    }
    if (nlocal > 255) fail_node(c, LANG_ERR_SYNTAX, s->fn, "too many local variables (at most 255)");
    if (nfree > 255) fail_node(c, LANG_ERR_SYNTAX, s->fn, "too many captured variables");
    c->proto->nlocals = nlocal;
    c->proto->ncaptures = nfree;
    c->proto->max_stack = nlocal;
    c->depth = nlocal;
}

static void comprehension_body(compiler *c, lang_node *comp)
{
    emit_op_u16(c, comp->flag ? LANG_OP_BUILD_DICT : LANG_OP_BUILD_LIST, 1, 0);
    if (!comp->flag) emit_byte(c, 0);
    int loops = comp->n;
    size_t bodies[16], tests[16][17];   /* per clause: the jumps to its test (head + ifs) */
    int ntests[16];
    if (loops > 16) fail_node(c, LANG_ERR_SYNTAX, comp, "too many 'for' clauses");
    for (int i = 0; i < loops; i++) {
        lang_node *clause = comp->list[i];
        if (i == 0) emit_op_u8(c, LANG_OP_GET_LOCAL, 1, 0);
        else expr(c, clause->b);
        set_pos(c, clause->b);
        bodies[i] = for_head(c, clause->a, &tests[i][0]);
        ntests[i] = 1;
        if (clause->n > 16) fail_node(c, LANG_ERR_SYNTAX, clause, "too many 'if' conditions");
        for (int k = 0; k < clause->n; k++) {   /* a false condition skips to the next item */
            expr(c, clause->list[k]);
            tests[i][ntests[i]++] = emit_jump(c, LANG_OP_JUMP_IF_FALSE, -1);
        }
    }
    expr(c, comp->a);
    if (comp->flag) {
        expr(c, comp->b);
        emit_op_u8(c, LANG_OP_DICT_SET, -2, 2 * loops);
    } else {
        emit_op_u8(c, LANG_OP_LIST_APPEND, -1, 2 * loops);
    }
    for (int i = loops - 1; i >= 0; i--) {
        for (int k = 0; k < ntests[i]; k++) patch_jump(c, tests[i][k]);
        for_tail(c, comp->list[i]->a, bodies[i], comp);
    }
    emit_op(c, LANG_OP_RETURN, -1);
}

/* Names of the slots and cells, for error messages, keyword binding and help. */
static void copy_names(compiler *c, lang_scope *s)
{
    lang_proto *p = c->proto;
    p->nparams = s->nparams;
    p->local_names = calloc((size_t)p->nlocals + 1, sizeof *p->local_names);
    p->free_names = calloc((size_t)p->ncaptures + 1, sizeof *p->free_names);
    if (!p->local_names || !p->free_names) oom(c);
    for (int i = 0; i < s->nvars; i++) {
        lang_var *v = &s->vars[i];
        if (v->slot < 0) continue;
        char **names = (v->flags & LANG_VAR_FREE) ? p->free_names : p->local_names;
        names[v->slot] = strdup(v->name);
        if (!names[v->slot]) oom(c);
    }
}

/* The docstring: a string literal as the first statement of a def. */
/* Python's inspect.cleandoc: the first line loses its leading spaces, the others their common
 * indentation, and blank lines at both ends go. Writes into out (at least len + 1 bytes). */
static size_t clean_doc(const char *s, size_t len, char *out)
{
    size_t indent = (size_t)-1;
    for (const char *p = memchr(s, '\n', len); p && p < s + len; p = memchr(p + 1, '\n', (size_t)(s + len - p - 1))) {
        size_t k = 0;
        while (p + 1 + k < s + len && p[1 + k] == ' ') k++;
        if (p + 1 + k < s + len && p[1 + k] != '\n' && k < indent) indent = k;
    }
    size_t n = 0;
    const char *p = s, *end = s + len;
    for (int first = 1; p < end; first = 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t skip = 0;
        while (p + skip < eol && p[skip] == ' ' && (first || skip < indent)) skip++;
        memcpy(out + n, p + skip, (size_t)(eol - p - skip));
        n += (size_t)(eol - p - skip);
        if (nl) out[n++] = '\n';
        p = nl ? nl + 1 : end;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ')) n--;
    size_t lead = 0;
    while (lead < n && out[lead] == '\n') lead++;
    memmove(out, out + lead, n - lead);
    out[n - lead] = '\0';
    return n - lead;
}

static void docstring(compiler *c, lang_node *fn)
{
    if (fn->kind != LANG_N_DEF || fn->n == 0) return;
    lang_node *first = fn->list[0];
    if (first->kind != LANG_N_EXPR || first->a->kind != LANG_N_STR) return;
    char *clean = malloc(first->a->slen + 1);
    if (!clean) oom(c);
    size_t n = clean_doc(first->a->str, first->a->slen, clean);
    c->proto->doc = lang_str_new(c->vm, clean, n);
    free(clean);
    if (!c->proto->doc) oom(c);
}

/* The source text of a def, kept for help() and inspect. */
static void keep_source(compiler *c, lang_node *fn)
{
    if (fn->kind != LANG_N_DEF || !c->source) return;
    const char *p = c->source;
    for (int line = 1; line < fn->line && *p; p++)
        if (*p == '\n') line++;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    c->proto->source = strndup(p, len);
}

/* Compiles a def, lambda or comprehension into a proto and emits the CLOSURE that makes it. */
static void function(compiler *c, lang_node *fn, const char *name)
{
    int ndefaults = 0;
    for (int i = 0; i < fn->n2; i++)
        if (fn->list2[i]->a) {
            expr(c, fn->list2[i]->a);
            ndefaults++;
        }
    compiler inner = { .outer = c, .vm = c->vm, .scope = fn->scope, .err = c->err,
                       .fail = c->fail, .source = c->source, .proto = c->proto,
                       .src = c->src };
    inner.proto = proto_new(&inner, name);
    inner.pos = c->pos;
    unsigned k = add_const(c, lang_obj_val(inner.proto));   /* c's constants own it now */
    assign_slots(&inner, fn->scope);
    copy_names(&inner, fn->scope);
    inner.proto->line = fn->line;
    inner.proto->nested = !c->scope->is_module;
    docstring(&inner, fn);
    keep_source(&inner, fn);
    for (int i = 0; i < fn->scope->nvars; i++) {   /* captured locals live in cells */
        lang_var *v = &fn->scope->vars[i];
        if ((v->flags & LANG_VAR_CAPTURED) && !(v->flags & LANG_VAR_FREE))
            emit_op_u8(&inner, LANG_OP_MAKE_CELL, 0, v->slot);
    }
    if (fn->kind == LANG_N_LAMBDA) {
        expr(&inner, fn->a);
        emit_op(&inner, LANG_OP_RETURN, -1);
    } else if (fn->kind == LANG_N_LISTCOMP) {
        comprehension_body(&inner, fn);
    } else {
        block(&inner, fn->list, fn->n);
        emit_op(&inner, LANG_OP_NONE, 1);
        emit_op(&inner, LANG_OP_RETURN, -1);
    }
    set_pos(c, fn);
    emit_op_u16(c, LANG_OP_CLOSURE, 1 - ndefaults, k);
    emit_byte(c, (uint8_t)ndefaults);
    /* For each free variable of the inner function, where the enclosing one keeps the cell. */
    for (int i = 0; i < fn->scope->nvars; i++) {
        lang_var *v = &fn->scope->vars[i];
        if (!(v->flags & LANG_VAR_FREE)) continue;
        lang_var *o = lang_scope_find(c->scope, v->name);
        int from_local = !(o->flags & LANG_VAR_FREE);
        emit_byte(c, (uint8_t)from_local);
        emit_byte(c, (uint8_t)o->slot);
    }
}

/* Cells are listed in the CLOSURE instruction in the inner scope's variable order, which is
 * also the order assign_slots numbered them in: the two loops above must agree. */

lang_status lang_compile(lang_vm *vm, const char *src, const char *file, int echo,
                         lang_proto **out, lang_error *err)
{
    lang_arena arena = {0};
    lang_node *program;
    lang_status st = lang_parse(src, file, &arena, &program, err);
    if (st != LANG_OK) {
        lang_arena_free(&arena);
        return st;
    }
    jmp_buf fail;
    compiler c = { .vm = vm, .err = err, .fail = &fail, .echo = echo, .source = src };
    if (setjmp(fail) != 0) {
        if (c.proto) lang_decref(vm, lang_obj_val(c.proto));
        if (c.src) lang_decref(vm, lang_obj_val(c.src));
        lang_arena_free(&arena);
        snprintf(err->file, sizeof err->file, "%s", file ? file : "");
        return err->kind;
    }
    c.src = lang_str_cstr(vm, src);
    if (!c.src) oom(&c);
    lang_scope_error serr;
    c.scope = lang_scope_analyze(&arena, program, &serr);
    if (!c.scope && serr.node) fail_node(&c, LANG_ERR_SYNTAX, serr.node, "%s", serr.msg);
    if (!c.scope) oom(&c);
    c.proto = proto_new(&c, "<module>");
    free(c.proto->file);
    c.proto->file = strdup(file ? file : "");
    if (!c.proto->file) oom(&c);
    for (int i = 0; i < program->n; i++) statement(&c, program->list[i], i == program->n - 1);
    emit_op(&c, LANG_OP_NONE, 1);
    emit_op(&c, LANG_OP_RETURN, -1);
    lang_arena_free(&arena);
    lang_decref(vm, lang_obj_val(c.src));
    *out = c.proto;
    return LANG_OK;
}
