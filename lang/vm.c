/*
 * vm.c -- the bytecode interpreter loop. A stack machine in the style of clox and CPython:
 * each frame's locals sit at the bottom of its window of the value stack, temporaries above.
 * Numbers are handled inline; everything else goes to the slow paths in vm_ops.c.
 *
 * Dispatch uses GCC's computed goto (labels as values): one indirect jump per instruction,
 * which the branch predictor learns per opcode. Each case is short and calls a named helper
 * for anything that is not the common number path.
 *
 * Errors: a failing case jumps to `error`, which records the position of the instruction
 * (unless a deeper call already did), adds a traceback line per unwound frame, releases the
 * frames' values and returns the status. There is no try/except, so an error always unwinds
 * to the entry point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"
#include "lang/lib_tensor.h"

volatile sig_atomic_t lang_interrupted;

#define READ_U8()  (*ip++)
#define READ_U16() (ip += 2, (unsigned)(ip[-2] | (ip[-1] << 8)))
#define PUSH(v)    (*sp++ = (v))
#define POP()      (*--sp)
#define PEEK(n)    (sp[-1 - (n)])

lang_status lang_vm_check_interrupt(lang_vm *vm)
{
    if (!lang_interrupted && vm->host.poll && vm->host.poll(vm->host.ud)) lang_interrupted = 1;
    if (!lang_interrupted) return LANG_OK;
    lang_interrupted = 0;
    return lang_raise(vm, LANG_ERR_INTERRUPT, "interrupted");
}

static double floor_mod(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

/* number op number; returns 0 when the operation needs the slow path (division by zero, and
 * bit operations, which want whole numbers and report errors). */
static int num_arith(lang_opcode op, double a, double b, double *out)
{
    switch (op) {
    case LANG_OP_ADD: *out = a + b; return 1;
    case LANG_OP_SUB: *out = a - b; return 1;
    case LANG_OP_MUL: *out = a * b; return 1;
    case LANG_OP_DIV: if (b == 0) return 0; *out = a / b; return 1;
    case LANG_OP_FLOORDIV: if (b == 0) return 0; *out = floor(a / b); return 1;
    case LANG_OP_MOD: if (b == 0) return 0; *out = floor_mod(a, b); return 1;
    case LANG_OP_POW: if (a == 0 && b < 0) return 0; *out = pow(a, b); return 1;
    default: return 0;
    }
}

/* a op b for numbers without a branch on op: the outcome (less 1, equal 2, greater 4,
 * unordered 8 for NaN) tested against the outcomes each operator accepts. */
static const unsigned char compare_accepts[LANG_OP_COUNT] = {
    [LANG_OP_LT] = 1, [LANG_OP_LE] = 3, [LANG_OP_EQ] = 2, [LANG_OP_NE] = 13,
    [LANG_OP_GT] = 4, [LANG_OP_GE] = 6,
};

static inline int num_compare(lang_opcode op, double a, double b)
{
    unsigned outcome = a < b ? 1u : a == b ? 2u : a > b ? 4u : 8u;
    return (compare_accepts[op] & outcome) != 0;
}

/* Sets up a frame for a call of closure f with argc arguments at args (the callee sits at
 * args[-1]). Binds keyword arguments and defaults; every local slot ends up owned. */
static lang_status push_frame(lang_vm *vm, lang_func *f, lang_value *args, int argc,
                              lang_tuple *kwnames, lang_value **sp_io)
{
    lang_proto *p = f->proto;
    if (vm->nframes >= LANG_FRAMES_MAX || args + p->max_stack + 8 > vm->stack + LANG_STACK_MAX) {
        lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded (%d nested calls)",
                   vm->nframes);
        lang_hint(vm, "does '%s' call itself without reaching a base case?", p->name->chars);
        return LANG_ERR_RECURSION;
    }
    if (kwnames || argc != p->nparams) {
        lang_value slots[LANG_MAX_PARAMS * 16];
        if (p->nparams > (int)(sizeof slots / sizeof slots[0]))
            return lang_raise(vm, LANG_ERR_TYPE, "too many parameters");
        lang_status st = lang_bind_args(vm, f, args, argc, kwnames, slots);
        if (st != LANG_OK) return st;
        for (int i = 0; i < argc; i++) lang_decref(vm, args[i]);
        memcpy(args, slots, (size_t)p->nparams * sizeof *slots);
    }
    lang_value *sp = args + p->nparams;
    for (int i = p->nparams; i < p->nlocals; i++) *sp++ = lang_undef();
    lang_frame *fr = &vm->frames[vm->nframes++];
    fr->fn = f;
    fr->ip = p->chunk.code;
    fr->base = args;
    *sp_io = sp;
    return LANG_OK;
}

/* Calls callee with argc arguments on the stack above it. A closure gets a new frame
 * (*entered = 1); anything else runs to completion here and its result replaces the callee
 * and arguments. */
static lang_status call_value(lang_vm *vm, lang_value *callee, int argc, lang_tuple *kwnames,
                              lang_value **sp_io, int *entered)
{
    *entered = 0;
    lang_value *args = callee + 1, result;
    lang_status st;
    if (LANG_IS_TYPE(*callee, LANG_OBJ_FUNC)) {
        st = push_frame(vm, (lang_func *)callee->as.obj, args, argc, kwnames, sp_io);
        *entered = st == LANG_OK;
        return st;
    }
    if (LANG_IS_TYPE(*callee, LANG_OBJ_BUILTIN)) {
        st = lang_call_builtin(vm, (lang_builtin *)callee->as.obj, NULL, args, argc, kwnames, &result);
    } else if (LANG_IS_TYPE(*callee, LANG_OBJ_METHOD)) {
        lang_method *m = (lang_method *)callee->as.obj;
        st = lang_call_builtin(vm, m->fn, &m->self, args, argc, kwnames, &result);
    } else if (LANG_IS_TYPE(*callee, LANG_OBJ_NATIVE) && LANG_AS_NATIVE(*callee)->cls->call) {
        st = lang_call_native(vm, LANG_AS_NATIVE(*callee), args, argc, kwnames, &result);
    } else {
        st = lang_raise(vm, LANG_ERR_TYPE, "a %s is not callable", lang_type_name(*callee));
        if (LANG_IS_TENSOR(*callee)) lang_hint(vm, "to multiply, write the * explicitly: 2 * (x + 1)");
    }
    if (st != LANG_OK) return st;
    for (int i = -1; i < argc; i++) lang_decref(vm, args[i]);
    *callee = result;
    *sp_io = callee + 1;
    return LANG_OK;
}

/* obj.name(args): a builtin method is called with the receiver as its first argument; any
 * other attribute is fetched and called like a value. */
static lang_status call_method(lang_vm *vm, lang_str *name, int argc, lang_tuple *kwnames,
                               lang_value **sp_io, int *entered)
{
    lang_value *recv = *sp_io - argc - 1;
    *entered = 0;
    lang_builtin *m = lang_find_method(vm, *recv, name->chars);
    if (m) {
        lang_value result;
        lang_status st = lang_call_builtin(vm, m, recv, recv + 1, argc, kwnames, &result);
        if (st != LANG_OK) return st;
        for (int i = 0; i <= argc; i++) lang_decref(vm, recv[i]);
        *recv = result;
        *sp_io = recv + 1;
        return LANG_OK;
    }
    lang_value attr;
    lang_status st = lang_op_get_attr(vm, *recv, name, &attr);
    if (st != LANG_OK) return st;
    lang_decref(vm, *recv);
    *recv = attr;
    st = call_value(vm, recv, argc, kwnames, sp_io, entered);
    if (st == LANG_ERR_TYPE && strstr(vm->err->msg, "is not callable"))
        lang_hint(vm, "%s is a value, not a method: write .%s without ()", name->chars, name->chars);
    return st;
}

static lang_status make_closure(lang_vm *vm, lang_proto *p, int ndefaults, lang_value *defaults,
                                const uint8_t **ip_io, lang_frame *fr, lang_value *out)
{
    lang_func *f = calloc(1, sizeof *f);
    lang_cell **cells = calloc((size_t)(p->ncaptures ? p->ncaptures : 1), sizeof *cells);
    lang_value *defs = calloc((size_t)(ndefaults ? ndefaults : 1), sizeof *defs);
    if (!f || !cells || !defs) {
        free(f); free(cells); free(defs);
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory creating a function");
    }
    const uint8_t *ip = *ip_io;
    for (int i = 0; i < p->ncaptures; i++) {
        int from_local = *ip++, index = *ip++;
        lang_cell *c = from_local ? (lang_cell *)fr->base[index].as.obj : fr->fn->cells[index];
        c->h.refcount++;
        cells[i] = c;
    }
    *ip_io = ip;
    memcpy(defs, defaults, (size_t)ndefaults * sizeof *defs);   /* takes the stack's references */
    f->h.refcount = 1;
    f->h.type = LANG_OBJ_FUNC;
    f->proto = p;
    p->h.refcount++;
    f->ndefaults = ndefaults;
    f->defaults = defs;
    f->ncells = p->ncaptures;
    f->cells = cells;
    lang_gc_track(vm, &f->h);
    *out = lang_obj_val(f);
    return LANG_OK;
}

static lang_status name_error(lang_vm *vm, const char *name, int local)
{
    lang_raise(vm, LANG_ERR_NAME, local ? "local variable '%s' is used before it is assigned"
                                        : "name '%s' is not defined", name);
    int g = local ? lang_global_find(vm, name) : -1;
    const lang_proto *p = vm->frames[vm->nframes - 1].fn->proto;
    if (g >= 0 && !LANG_IS_UNDEF(vm->globals.values[g]))
        lang_hint(vm, "to change the global '%s' here, add 'global %s' at the top of the function",
                  name, name);
    else if (local && p->nested)
        lang_hint(vm, "if '%s' belongs to the enclosing function, add 'nonlocal %s' to change it",
                  name, name);
    else
        lang_suggest_name(vm, name);
    return LANG_ERR_NAME;
}

/* `with ctx:` -- ctx must be a native object with enter/leave hooks (no_grad()). */
static lang_status with_enter(lang_vm *vm, lang_value ctx, lang_value *out)
{
    if (!LANG_IS_TYPE(ctx, LANG_OBJ_NATIVE) || !LANG_AS_NATIVE(ctx)->cls->enter)
        return lang_raise(vm, LANG_ERR_TYPE, "a %s cannot be used in 'with' (try: with no_grad():)",
                          lang_type_name(ctx));
    if (vm->nwiths == (int)(sizeof vm->withs / sizeof vm->withs[0]))
        return lang_raise(vm, LANG_ERR_RECURSION, "too many nested 'with' blocks");
    lang_native *n = LANG_AS_NATIVE(ctx);
    lang_status st = n->cls->enter(vm, n->ptr, out);
    if (st != LANG_OK) return st;
    vm->withs[vm->nwiths].ctx = ctx;
    vm->withs[vm->nwiths++].frame = vm->nframes - 1;
    return LANG_OK;
}

static void with_exit(lang_vm *vm)
{
    lang_value ctx = vm->withs[--vm->nwiths].ctx;
    lang_native *n = LANG_AS_NATIVE(ctx);
    n->cls->leave(vm, n->ptr);
    lang_decref(vm, ctx);
}

/* A traceback line for a frame being unwound: where its caller called it. */
static void add_trace(lang_vm *vm, int frame_index, int *lines)
{
    if (frame_index == 0) return;
    lang_frame *caller = &vm->frames[frame_index - 1];
    lang_frame *fr = &vm->frames[frame_index];
    size_t off = (size_t)(caller->ip - caller->fn->proto->chunk.code);
    int line = off ? caller->fn->proto->chunk.pos[off - 1].line : 0;
    lang_error *e = vm->err;
    size_t used = strlen(e->trace);
    if (++*lines > 8) {
        if (*lines == 9 && used + 40 < sizeof e->trace)
            snprintf(e->trace + used, sizeof e->trace - used, "  ... (more calls)\n");
        return;
    }
    if (used + 80 < sizeof e->trace)
        snprintf(e->trace + used, sizeof e->trace - used, "  in %s, called from line %d\n",
                 fr->fn->proto->name->chars, line);
}

/* Unwinds every frame above entry (exclusive) after an error at ip in the top frame. */
static void unwind(lang_vm *vm, int entry, const uint8_t *op_ip, lang_value *sp)
{
    lang_frame *top = &vm->frames[vm->nframes - 1];
    if (!vm->raised_pos) {
        size_t off = (size_t)(op_ip - top->fn->proto->chunk.code);
        lang_error_set_pos(vm, &top->fn->proto->chunk.pos[off], top->fn->proto->file);
        vm->raised_pos = 1;
    }
    int lines = 0;
    while (vm->nwiths > 0 && vm->withs[vm->nwiths - 1].frame >= entry) with_exit(vm);
    lang_value *floor = vm->frames[entry].base - 1;
    for (int i = vm->nframes - 1; i >= entry; i--) add_trace(vm, i, &lines);
    while (sp > floor) lang_decref(vm, *--sp);
    vm->sp = floor;
    vm->nframes = entry;
}

/* Runs frames from vm->frames[entry] until that frame returns; its result goes to *result. */
static lang_status execute(lang_vm *vm, int entry, lang_value *result)
{
    static void *const dispatch[LANG_OP_COUNT] = {
#define L(op) [LANG_OP_##op] = &&op_##op
        L(CONST), L(NONE), L(TRUE), L(FALSE), L(POP), L(DUP), L(DUP2), L(SWAP), L(ROT3),
        L(GET_LOCAL), L(SET_LOCAL), L(GET_GLOBAL), L(SET_GLOBAL), L(GET_CELL), L(SET_CELL),
        L(GET_FREE), L(SET_FREE), L(MAKE_CELL), L(DEL_LOCAL), L(DEL_GLOBAL), L(GET_ATTR),
        L(SET_ATTR), L(GET_INDEX), L(SET_INDEX), L(DEL_INDEX), L(SLICE),
        L(ADD), L(SUB), L(MUL), L(DIV), L(FLOORDIV), L(MOD), L(POW), L(MATMUL),
        L(BITAND), L(BITOR), L(BITXOR), L(LSHIFT), L(RSHIFT),
        L(NEG), L(POS), L(INVERT), L(NOT), L(EQ), L(NE), L(LT), L(LE), L(GT), L(GE),
        L(IN), L(NOT_IN), L(IS), L(IS_NOT), L(INPLACE), L(JUMP), L(LOOP), L(JUMP_IF_FALSE),
        L(JUMP_IF_TRUE), L(AND), L(OR), L(BUILD_LIST), L(BUILD_TUPLE), L(BUILD_DICT),
        L(LIST_APPEND), L(DICT_SET), L(UNPACK), L(UNPACK_STAR), L(LIST_EXTEND), L(CALL_STAR), L(GET_ITER), L(FOR_LOOP), L(FOR_LOOP_LOCAL), L(FOR_LOOP_GLOBAL),
        L(INPLACE_LOCAL), L(INPLACE_GLOBAL), L(INPLACE_LL), L(INPLACE_GG), L(ADD_K), L(SUB_K), L(CMP_JUMP), L(CMP_JUMP_K), L(CALL), L(CALL_KW),
        L(CALL_METHOD), L(CALL_METHOD_KW), L(CLOSURE), L(RETURN), L(ECHO), L(FORMAT),
        L(BUILD_STRING), L(ASSERT), L(WITH_ENTER), L(WITH_EXIT),
#undef L
    };
    lang_frame *fr = &vm->frames[vm->nframes - 1];
    const uint8_t *ip = fr->ip, *op_ip = ip;
    lang_value *sp = vm->sp, *base = fr->base;
    lang_value *consts = fr->fn->proto->chunk.consts;
    lang_status st = LANG_OK;
    lang_value v;
    int entered;
    uint32_t ticks = 0;   /* backward jumps; every 16384th asks the host to poll */

#define DISPATCH() do { op_ip = ip; goto *dispatch[*ip++]; } while (0)
#define CHECK(expr) do { if ((st = (expr)) != LANG_OK) goto error; } while (0)
#define SAVE()   (fr->ip = (uint8_t *)ip, vm->sp = sp)
#define LOAD_FRAME() (fr = &vm->frames[vm->nframes - 1], ip = fr->ip, base = fr->base, \
                      consts = fr->fn->proto->chunk.consts)

    DISPATCH();

op_CONST: PUSH(lang_incref(consts[READ_U16()])); DISPATCH();
op_NONE: PUSH(lang_none()); DISPATCH();
op_TRUE: PUSH(lang_bool(1)); DISPATCH();
op_FALSE: PUSH(lang_bool(0)); DISPATCH();
op_POP: v = POP(); lang_decref(vm, v); DISPATCH();
op_DUP: v = PEEK(0); PUSH(lang_incref(v)); DISPATCH();
op_DUP2: sp[0] = lang_incref(sp[-2]); sp[1] = lang_incref(sp[-1]); sp += 2; DISPATCH();
op_SWAP: v = sp[-1]; sp[-1] = sp[-2]; sp[-2] = v; DISPATCH();
op_ROT3: v = sp[-1]; sp[-1] = sp[-2]; sp[-2] = sp[-3]; sp[-3] = v; DISPATCH();

op_GET_LOCAL: {
    lang_value *slot = &base[READ_U8()];
    if (LANG_IS_UNDEF(*slot)) {
        st = name_error(vm, lang_local_name(fr->fn->proto, (int)(slot - base)), 1);
        goto error;
    }
    PUSH(lang_incref(*slot));
    DISPATCH();
}
op_SET_LOCAL: {
    lang_value *slot = &base[READ_U8()];
    v = *slot;
    *slot = POP();
    lang_decref(vm, v);
    DISPATCH();
}
op_GET_GLOBAL: {
    unsigned g = READ_U16();
    v = vm->globals.values[g];
    if (LANG_IS_UNDEF(v)) { st = name_error(vm, vm->globals.names[g], 0); goto error; }
    PUSH(lang_incref(v));
    DISPATCH();
}
op_SET_GLOBAL: {
    unsigned g = READ_U16();
    v = vm->globals.values[g];
    vm->globals.values[g] = POP();
    lang_decref(vm, v);
    DISPATCH();
}
op_GET_CELL: {
    int slot = READ_U8();
    v = ((lang_cell *)base[slot].as.obj)->v;
    if (LANG_IS_UNDEF(v)) { st = name_error(vm, lang_local_name(fr->fn->proto, slot), 1); goto error; }
    PUSH(lang_incref(v));
    DISPATCH();
}
op_SET_CELL: {
    lang_cell *c = (lang_cell *)base[READ_U8()].as.obj;
    v = c->v;
    c->v = POP();
    lang_decref(vm, v);
    DISPATCH();
}
op_GET_FREE: {
    int i = READ_U8();
    v = fr->fn->cells[i]->v;
    if (LANG_IS_UNDEF(v)) { st = name_error(vm, lang_free_name(fr->fn->proto, i), 1); goto error; }
    PUSH(lang_incref(v));
    DISPATCH();
}
op_SET_FREE: {
    lang_cell *c = fr->fn->cells[READ_U8()];
    v = c->v;
    c->v = POP();
    lang_decref(vm, v);
    DISPATCH();
}
op_MAKE_CELL: {
    lang_value *slot = &base[READ_U8()];
    lang_cell *c = lang_cell_new(vm, *slot);
    if (!c) { *slot = lang_undef(); st = LANG_ERR_MEMORY; goto error; }
    *slot = lang_obj_val(c);
    DISPATCH();
}
op_DEL_LOCAL: {
    lang_value *slot = &base[READ_U8()];
    if (LANG_IS_UNDEF(*slot)) {
        st = name_error(vm, lang_local_name(fr->fn->proto, (int)(slot - base)), 1);
        goto error;
    }
    v = *slot;
    *slot = lang_undef();
    lang_decref(vm, v);
    DISPATCH();
}
op_DEL_GLOBAL: {
    unsigned g = READ_U16();
    v = vm->globals.values[g];
    if (LANG_IS_UNDEF(v)) { st = name_error(vm, vm->globals.names[g], 0); goto error; }
    vm->globals.values[g] = lang_incref(vm->globals.builtins[g]);   /* UNDEF, or the builtin again */
    lang_decref(vm, v);
    DISPATCH();
}
op_GET_ATTR: {
    lang_str *name = LANG_AS_STR(consts[READ_U16()]);
    SAVE();
    CHECK(lang_op_get_attr(vm, sp[-1], name, &v));
    lang_decref(vm, sp[-1]);
    sp[-1] = v;
    DISPATCH();
}
op_SET_ATTR: {
    lang_str *name = LANG_AS_STR(consts[READ_U16()]);
    SAVE();
    CHECK(lang_op_set_attr(vm, sp[-1], name, sp[-2]));
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp -= 2;
    DISPATCH();
}
op_GET_INDEX:
    SAVE();
    CHECK(lang_op_get_index(vm, sp[-2], sp[-1], &v));
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp[-2] = v;
    sp--;
    DISPATCH();
op_SET_INDEX:   /* value obj idx */
    SAVE();
    CHECK(lang_op_set_index(vm, sp[-2], sp[-1], sp[-3]));
    for (int i = 1; i <= 3; i++) lang_decref(vm, sp[-i]);
    sp -= 3;
    DISPATCH();
op_DEL_INDEX:
    SAVE();
    CHECK(lang_op_del_index(vm, sp[-2], sp[-1]));
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp -= 2;
    DISPATCH();
op_SLICE: {
    lang_slice *s = lang_slice_new(vm, sp[-3], sp[-2], sp[-1]);
    if (!s) { st = LANG_ERR_MEMORY; goto error; }
    for (int i = 1; i <= 3; i++) lang_decref(vm, sp[-i]);
    sp -= 2;
    sp[-1] = lang_obj_val(s);
    DISPATCH();
}

#define ARITH(OP)                                                                     \
    op_##OP: {                                                                        \
        double r;                                                                     \
        if (LANG_IS_NUM(sp[-2]) && LANG_IS_NUM(sp[-1]) &&                             \
            num_arith(LANG_OP_##OP, sp[-2].as.num, sp[-1].as.num, &r)) {              \
            sp[-2].as.num = r;                                                        \
            sp--;                                                                     \
            DISPATCH();                                                               \
        }                                                                             \
        SAVE();                                                                       \
        CHECK(lang_op_binary(vm, LANG_OP_##OP, sp[-2], sp[-1], NULL, &v));            \
        lang_decref(vm, sp[-1]);                                                      \
        lang_decref(vm, sp[-2]);                                                      \
        sp[-2] = v;                                                                   \
        sp--;                                                                         \
        DISPATCH();                                                                   \
    }
    ARITH(ADD) ARITH(SUB) ARITH(MUL) ARITH(DIV) ARITH(FLOORDIV) ARITH(MOD) ARITH(POW)
#undef ARITH

#define SLOW_BINARY(OP)                                                               \
    op_##OP:                                                                          \
        SAVE();                                                                       \
        CHECK(lang_op_binary(vm, LANG_OP_##OP, sp[-2], sp[-1], NULL, &v));            \
        lang_decref(vm, sp[-1]);                                                      \
        lang_decref(vm, sp[-2]);                                                      \
        sp[-2] = v;                                                                   \
        sp--;                                                                         \
        DISPATCH();
    SLOW_BINARY(BITAND) SLOW_BINARY(BITOR) SLOW_BINARY(BITXOR) SLOW_BINARY(LSHIFT)
    SLOW_BINARY(RSHIFT)
#undef SLOW_BINARY

op_MATMUL: {
    unsigned k = READ_U16();
    SAVE();
    CHECK(lang_op_binary(vm, LANG_OP_MATMUL, sp[-2], sp[-1],
                         k == 0xffff ? NULL : LANG_AS_STR(consts[k])->chars, &v));
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp[-2] = v;
    sp--;
    DISPATCH();
}

op_ADD_K:
op_SUB_K: {
    lang_value k = consts[READ_U16()];
    if (LANG_IS_NUM(sp[-1])) {
        sp[-1].as.num = *op_ip == LANG_OP_ADD_K ? sp[-1].as.num + k.as.num : sp[-1].as.num - k.as.num;
        DISPATCH();
    }
    SAVE();
    CHECK(lang_op_binary(vm, *op_ip == LANG_OP_ADD_K ? LANG_OP_ADD : LANG_OP_SUB, sp[-1], k, NULL, &v));
    lang_decref(vm, sp[-1]);
    sp[-1] = v;
    DISPATCH();
}
op_CMP_JUMP_K: {
    lang_opcode op = (lang_opcode)READ_U8();
    lang_value k = consts[READ_U16()];
    unsigned d = READ_U16();
    if (LANG_IS_NUM(sp[-1])) {
        int t = num_compare(op, sp[-1].as.num, k.as.num);
        sp--;
        if (!t) ip += d;
        DISPATCH();
    }
    SAVE();
    CHECK(lang_op_compare(vm, op, sp[-1], k, &v));
    lang_decref(vm, sp[-1]);
    sp--;
    int t = v.tag == LANG_VAL_BOOL ? v.as.boolean : lang_truthy(vm, v, &st);
    lang_decref(vm, v);
    if (st != LANG_OK) goto error;
    if (!t) ip += d;
    DISPATCH();
}
op_CMP_JUMP: {
    lang_opcode op = (lang_opcode)READ_U8();
    unsigned d = READ_U16();
    int t;
    if (LANG_IS_NUM(sp[-2]) && LANG_IS_NUM(sp[-1])) {
        t = num_compare(op, sp[-2].as.num, sp[-1].as.num);
        sp -= 2;
    } else {
        SAVE();
        CHECK(lang_op_compare(vm, op, sp[-2], sp[-1], &v));
        lang_decref(vm, sp[-1]);
        lang_decref(vm, sp[-2]);
        sp -= 2;
        t = v.tag == LANG_VAL_BOOL ? v.as.boolean : lang_truthy(vm, v, &st);
        lang_decref(vm, v);
        if (st != LANG_OK) goto error;
    }
    if (!t) ip += d;
    DISPATCH();
}

op_NEG:
    if (LANG_IS_NUM(sp[-1])) { sp[-1].as.num = -sp[-1].as.num; DISPATCH(); }
    /* fall through */
op_POS:
op_INVERT:
    SAVE();
    CHECK(lang_op_unary(vm, (lang_opcode)*op_ip, sp[-1], &v));
    lang_decref(vm, sp[-1]);
    sp[-1] = v;
    DISPATCH();
op_NOT: {
    int t = lang_truthy(vm, sp[-1], &st);
    if (st != LANG_OK) goto error;
    lang_decref(vm, sp[-1]);
    sp[-1] = lang_bool(!t);
    DISPATCH();
}

#define COMPARE(OP)                                                                   \
    op_##OP:                                                                          \
        if (LANG_IS_NUM(sp[-2]) && LANG_IS_NUM(sp[-1])) {                             \
            sp[-2] = lang_bool(num_compare(LANG_OP_##OP, sp[-2].as.num, sp[-1].as.num)); \
            sp--;                                                                     \
            DISPATCH();                                                               \
        }                                                                             \
        SAVE();                                                                       \
        CHECK(lang_op_compare(vm, LANG_OP_##OP, sp[-2], sp[-1], &v));                 \
        lang_decref(vm, sp[-1]);                                                      \
        lang_decref(vm, sp[-2]);                                                      \
        sp[-2] = v;                                                                   \
        sp--;                                                                         \
        DISPATCH();
    COMPARE(EQ) COMPARE(NE) COMPARE(LT) COMPARE(LE) COMPARE(GT) COMPARE(GE)
#undef COMPARE

op_IN:
op_NOT_IN: {
    int found;
    SAVE();
    CHECK(lang_op_contains(vm, sp[-1], sp[-2], &found));
    if (*op_ip == LANG_OP_NOT_IN) found = !found;
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp[-2] = lang_bool(found);
    sp--;
    DISPATCH();
}
op_IS:
op_IS_NOT: {
    lang_value a = sp[-2], b = sp[-1];
    int same = a.tag == b.tag && (a.tag != LANG_VAL_OBJ ? lang_equal(a, b) : a.as.obj == b.as.obj);
    if (*op_ip == LANG_OP_IS_NOT) same = !same;
    lang_decref(vm, a);
    lang_decref(vm, b);
    sp[-2] = lang_bool(same);
    sp--;
    DISPATCH();
}
op_INPLACE: {
    lang_opcode op = (lang_opcode)READ_U8();
    double r;
    if (op == LANG_OP_ADD && LANG_IS_NUM(sp[-2]) && LANG_IS_NUM(sp[-1])) {   /* s += x */
        sp[-2].as.num += sp[-1].as.num;
        sp--;
        DISPATCH();
    }
    if (LANG_IS_NUM(sp[-2]) && LANG_IS_NUM(sp[-1]) &&
        num_arith(op, sp[-2].as.num, sp[-1].as.num, &r)) {
        sp[-2].as.num = r;
        sp--;
        DISPATCH();
    }
    SAVE();
    CHECK(lang_op_inplace(vm, op, sp[-2], sp[-1], &v));
    lang_decref(vm, sp[-1]);
    lang_decref(vm, sp[-2]);
    sp[-2] = v;
    sp--;
    DISPATCH();
}

op_JUMP: { unsigned d = READ_U16(); ip += d; DISPATCH(); }
op_LOOP: {
    unsigned d = READ_U16();
    ip -= d;
    if (lang_interrupted || (++ticks & 0x3fff) == 0) {
        SAVE();
        CHECK(lang_vm_check_interrupt(vm));
    }
    DISPATCH();
}
op_JUMP_IF_FALSE:
op_JUMP_IF_TRUE: {
    unsigned d = READ_U16();
    v = POP();
    int t;
    if (v.tag == LANG_VAL_BOOL) t = v.as.boolean;
    else {
        t = lang_truthy(vm, v, &st);
        lang_decref(vm, v);
        if (st != LANG_OK) goto error;
    }
    if (t == (*op_ip == LANG_OP_JUMP_IF_TRUE)) ip += d;
    DISPATCH();
}
op_AND:
op_OR: {
    unsigned d = READ_U16();
    int t = lang_truthy(vm, sp[-1], &st);
    if (st != LANG_OK) goto error;
    if (t == (*op_ip == LANG_OP_OR)) ip += d;
    else { v = POP(); lang_decref(vm, v); }
    DISPATCH();
}

op_BUILD_LIST: {
    int n = (int)READ_U16();
    int flag = READ_U8();
    SAVE();
    CHECK(lang_build_list(vm, sp - n, n, flag, &v));
    sp -= n;
    PUSH(v);
    DISPATCH();
}
op_BUILD_TUPLE: {
    int n = (int)READ_U16();
    lang_tuple *t = lang_tuple_new(vm, (size_t)n);
    if (!t) { st = LANG_ERR_MEMORY; goto error; }
    sp -= n;
    memcpy(t->items, sp, (size_t)n * sizeof *sp);
    PUSH(lang_obj_val(t));
    DISPATCH();
}
op_BUILD_DICT: {
    int n = (int)READ_U16();
    SAVE();
    CHECK(lang_build_dict(vm, sp - 2 * n, n, &v));
    sp -= 2 * n;
    PUSH(v);
    DISPATCH();
}
op_LIST_APPEND: {
    int depth = READ_U8();
    v = POP();
    CHECK(lang_list_append(vm, LANG_AS_LIST(sp[-depth - 1]), v));
    DISPATCH();
}
op_DICT_SET: {
    int depth = READ_U8();
    lang_value val = POP(), key = POP();
    st = lang_dict_set(vm, LANG_AS_DICT(sp[-depth - 1]), key, val);
    lang_decref(vm, key);
    lang_decref(vm, val);
    if (st != LANG_OK) goto error;
    DISPATCH();
}
op_UNPACK: {
    int n = READ_U8();
    SAVE();
    lang_value seq = sp[-1];
    CHECK(lang_op_unpack(vm, seq, n, sp - 1));   /* writes n values, first on top */
    lang_decref(vm, seq);
    sp += n - 1;
    DISPATCH();
}
op_UNPACK_STAR: {
    int before = READ_U8(), after = READ_U8();
    SAVE();
    lang_value seq = sp[-1];
    if (sp + before + after + 8 > vm->stack + LANG_STACK_MAX) {
        st = lang_raise(vm, LANG_ERR_RECURSION, "no stack room to unpack");
        goto error;
    }
    CHECK(lang_op_unpack_star(vm, seq, before, after, sp - 1));
    lang_decref(vm, seq);
    sp += before + after;
    DISPATCH();
}
op_LIST_EXTEND: {
    int depth = READ_U8();
    SAVE();
    st = lang_list_extend(vm, LANG_AS_LIST(sp[-depth - 2]), sp[-1]);
    if (st != LANG_OK) goto error;
    v = POP();
    lang_decref(vm, v);
    DISPATCH();
}
op_CALL_STAR: {
    int nkw = READ_U8();
    unsigned k = READ_U16();
    lang_tuple *kw = k == 0xffff ? NULL : LANG_AS_TUPLE(consts[k]);
    lang_value *list_slot = sp - nkw - 1;
    lang_list *args = LANG_AS_LIST(*list_slot);
    size_t n = args->len;
    if (n > 255 || sp + n + 8 > vm->stack + LANG_STACK_MAX) {
        SAVE();
        st = lang_raise(vm, LANG_ERR_TYPE, "too many arguments (%zu)", n);
        goto error;
    }
    /* spread: callee list kw... -> callee args... kw... */
    lang_value kwv[255];
    memcpy(kwv, list_slot + 1, (size_t)nkw * sizeof *kwv);
    for (size_t i = 0; i < n; i++) list_slot[i] = lang_incref(args->items[i]);
    memcpy(list_slot + n, kwv, (size_t)nkw * sizeof *kwv);
    sp = list_slot + n + nkw;
    lang_decref(vm, lang_obj_val(args));
    SAVE();
    lang_value *nsp = sp;
    st = call_value(vm, list_slot - 1, (int)n + nkw, kw, &nsp, &entered);
    sp = nsp;
    if (st != LANG_OK) goto error;
    if (entered) LOAD_FRAME();
    DISPATCH();
}
op_GET_ITER:
    SAVE();
    CHECK(lang_op_iter(vm, sp[-1], &v));
    lang_decref(vm, sp[-1]);
    sp[-1] = v;
    PUSH(lang_num(LANG_IS_TYPE(v, LANG_OBJ_RANGE) ? ((lang_range *)v.as.obj)->start : 0));
    DISPATCH();
/* The end of a for loop: the next item of sp[-2] (position sp[-1]) goes to STORE(item) and
 * the loop jumps back; when there is none the iteration state is popped. */
#define FOR_LOOP_BODY(STORE)                                                          \
    if (LANG_IS_TYPE(sp[-2], LANG_OBJ_RANGE) && !lang_interrupted && (++ticks & 0x3fff)) { \
        lang_range *r = (lang_range *)sp[-2].as.obj;                                  \
        double cur = sp[-1].as.num;                                                   \
        if (r->step > 0 ? cur < r->stop : cur > r->stop) {                            \
            sp[-1].as.num = cur + r->step;                                            \
            STORE(lang_num(cur));                                                     \
            ip -= d;                                                                  \
            DISPATCH();                                                               \
        }                                                                             \
    }                                                                                 \
    lang_value it = sp[-2];                                                           \
    if (lang_interrupted || (ticks & 0x3fff) == 0) {                                \
        SAVE();                                                                       \
        CHECK(lang_vm_check_interrupt(vm));                                           \
    }                                                                                 \
    if (LANG_IS_TYPE(it, LANG_OBJ_RANGE)) {                                           \
        lang_range *r = (lang_range *)it.as.obj;                                      \
        double cur = sp[-1].as.num;                                                   \
        if (r->step > 0 ? cur < r->stop : cur > r->stop) {                            \
            sp[-1].as.num = cur + r->step;                                            \
            STORE(lang_num(cur));                                                     \
            ip -= d;                                                                  \
            DISPATCH();                                                               \
        }                                                                             \
    } else {                                                                          \
        SAVE();                                                                       \
        int more = lang_op_next(vm, it, &sp[-1].as.num, &v, &st);                     \
        if (st != LANG_OK) goto error;                                                \
        if (more) {                                                                   \
            STORE(v);                                                                 \
            ip -= d;                                                                  \
            DISPATCH();                                                               \
        }                                                                             \
    }                                                                                 \
    lang_decref(vm, it);                                                              \
    sp -= 2;                                                                          \
    DISPATCH();

op_FOR_LOOP: {
    unsigned d = READ_U16();
#define STORE_PUSH(x) PUSH(x)
    FOR_LOOP_BODY(STORE_PUSH)
}
op_FOR_LOOP_LOCAL: {
    lang_value *slot = &base[READ_U8()];
    unsigned d = READ_U16();
#define STORE_SLOT(x) do { lang_value old_ = *slot; *slot = (x); \
                           if (old_.tag == LANG_VAL_OBJ) lang_decref(vm, old_); } while (0)
    FOR_LOOP_BODY(STORE_SLOT)
}
op_FOR_LOOP_GLOBAL: {
    unsigned g = READ_U16();
    unsigned d = READ_U16();
    lang_value *slot = &vm->globals.values[g];
    FOR_LOOP_BODY(STORE_SLOT)
#undef STORE_SLOT
#undef STORE_PUSH
}
/* s op= x on a local or global slot: the number += is done in place. */
#define INPLACE_SLOT(slot, name, is_local)                                            \
    lang_opcode op = (lang_opcode)READ_U8();                                          \
    if (op == LANG_OP_ADD && LANG_IS_NUM(*slot) && LANG_IS_NUM(sp[-1])) {             \
        slot->as.num += sp[-1].as.num;                                                \
        sp--;                                                                         \
        DISPATCH();                                                                   \
    }                                                                                 \
    if (LANG_IS_UNDEF(*slot)) { st = name_error(vm, name, is_local); goto error; }    \
    SAVE();                                                                           \
    CHECK(lang_op_inplace(vm, op, *slot, sp[-1], &v));                                \
    lang_decref(vm, sp[-1]);                                                          \
    sp--;                                                                             \
    lang_value old = *slot;                                                           \
    *slot = v;                                                                        \
    lang_decref(vm, old);                                                             \
    DISPATCH();

op_INPLACE_LOCAL: {
    int i = READ_U8();
    lang_value *slot = &base[i];
    INPLACE_SLOT(slot, lang_local_name(fr->fn->proto, i), 1)
}
op_INPLACE_GLOBAL: {
    unsigned g = READ_U16();
    lang_value *slot = &vm->globals.values[g];
    INPLACE_SLOT(slot, vm->globals.names[g], 0)
}
op_INPLACE_LL: {
    int i = READ_U8(), j = READ_U8();
    lang_value *slot = &base[i];
    if (ip[0] == LANG_OP_ADD && LANG_IS_NUM(*slot) && LANG_IS_NUM(base[j])) {
        slot->as.num += base[j].as.num;
        ip++;
        DISPATCH();
    }
    if (LANG_IS_UNDEF(base[j])) { st = name_error(vm, lang_local_name(fr->fn->proto, j), 1); goto error; }
    PUSH(lang_incref(base[j]));
    INPLACE_SLOT(slot, lang_local_name(fr->fn->proto, i), 1)
}
op_INPLACE_GG: {
    unsigned g = READ_U16(), h = READ_U16();
    lang_value *slot = &vm->globals.values[g];
    if (ip[0] == LANG_OP_ADD && LANG_IS_NUM(*slot) && LANG_IS_NUM(vm->globals.values[h])) {
        slot->as.num += vm->globals.values[h].as.num;
        ip++;
        DISPATCH();
    }
    v = vm->globals.values[h];
    if (LANG_IS_UNDEF(v)) { st = name_error(vm, vm->globals.names[h], 0); goto error; }
    PUSH(lang_incref(v));
    INPLACE_SLOT(slot, vm->globals.names[g], 0)
}
#undef INPLACE_SLOT

op_CALL: {
    int argc = READ_U8();
    SAVE();
    if (lang_interrupted) CHECK(lang_vm_check_interrupt(vm));
    lang_value *callee = sp - argc - 1;
    if (LANG_IS_TYPE(*callee, LANG_OBJ_FUNC)) {   /* the common case, without the helpers */
        lang_func *f = (lang_func *)callee->as.obj;
        lang_proto *p = f->proto;
        if (argc == p->nparams && vm->nframes < LANG_FRAMES_MAX &&
            sp + p->max_stack + 8 < vm->stack + LANG_STACK_MAX) {
            for (int i = p->nparams; i < p->nlocals; i++) *sp++ = lang_undef();
            fr = &vm->frames[vm->nframes++];
            fr->fn = f;
            ip = p->chunk.code;
            fr->ip = p->chunk.code;
            fr->base = base = callee + 1;
            consts = p->chunk.consts;
            DISPATCH();
        }
    }
    lang_value *nsp = sp;   /* a copy: taking &sp would keep sp out of a register */
    st = call_value(vm, sp - argc - 1, argc, NULL, &nsp, &entered);
    sp = nsp;
    if (st != LANG_OK) goto error;
    if (entered) LOAD_FRAME();
    DISPATCH();
}
op_CALL_KW: {
    int argc = READ_U8();
    lang_tuple *kw = LANG_AS_TUPLE(consts[READ_U16()]);
    SAVE();
    lang_value *nsp = sp;
    st = call_value(vm, sp - argc - 1, argc, kw, &nsp, &entered);
    sp = nsp;
    if (st != LANG_OK) goto error;
    if (entered) LOAD_FRAME();
    DISPATCH();
}
op_CALL_METHOD:
op_CALL_METHOD_KW: {
    lang_str *name = LANG_AS_STR(consts[READ_U16()]);
    int argc = READ_U8();
    lang_tuple *kw = *op_ip == LANG_OP_CALL_METHOD_KW ? LANG_AS_TUPLE(consts[READ_U16()]) : NULL;
    SAVE();
    lang_value *nsp = sp;
    st = call_method(vm, name, argc, kw, &nsp, &entered);
    sp = nsp;
    if (st != LANG_OK) goto error;
    if (entered) LOAD_FRAME();
    DISPATCH();
}
op_CLOSURE: {
    lang_proto *p = (lang_proto *)consts[READ_U16()].as.obj;
    int ndefaults = READ_U8();
    const uint8_t *nip = ip;
    CHECK(make_closure(vm, p, ndefaults, sp - ndefaults, &nip, fr, &v));
    ip = nip;
    sp -= ndefaults;
    PUSH(v);
    DISPATCH();
}
op_RETURN: {
    lang_value r = POP();
    lang_value *floor = base - 1;
    while (sp > floor) lang_decref(vm, *--sp);
    vm->nframes--;
    if (vm->nframes == entry) {
        vm->sp = sp;
        *result = r;
        return LANG_OK;
    }
    PUSH(r);
    LOAD_FRAME();
    DISPATCH();
}
op_ECHO:
    v = POP();
    SAVE();
    st = lang_echo(vm, v);
    lang_decref(vm, v);
    if (st != LANG_OK) goto error;
    DISPATCH();
op_FORMAT: {
    unsigned k = READ_U16();
    int repr = READ_U8();
    SAVE();
    CHECK(lang_op_format(vm, sp[-1], k == 0xffff ? NULL : LANG_AS_STR(consts[k]), repr, &v));
    lang_decref(vm, sp[-1]);
    sp[-1] = v;
    DISPATCH();
}
op_BUILD_STRING: {
    int n = (int)READ_U16();
    SAVE();
    CHECK(lang_op_concat_strings(vm, sp - n, n, &v));
    for (int i = 1; i <= n; i++) lang_decref(vm, sp[-i]);
    sp -= n;
    PUSH(v);
    DISPATCH();
}
op_ASSERT: {
    int has_msg = READ_U8();
    lang_value cond = sp[-1 - has_msg];
    int t = lang_truthy(vm, cond, &st);
    if (st != LANG_OK) goto error;
    if (!t) {
        SAVE();
        if (has_msg) {
            lang_str *m = lang_value_str(vm, sp[-1], 0);
            st = m ? lang_raise(vm, LANG_ERR_VALUE, "assertion failed: %s", m->chars) : LANG_ERR_MEMORY;
            if (m) lang_decref(vm, lang_obj_val(m));
        } else {
            st = lang_raise(vm, LANG_ERR_VALUE, "assertion failed");
        }
        goto error;
    }
    for (int i = 0; i <= has_msg; i++) { v = POP(); lang_decref(vm, v); }
    DISPATCH();
}

op_WITH_ENTER:
    SAVE();
    CHECK(with_enter(vm, sp[-1], &v));
    sp[-1] = v;   /* the context's reference moved to the with-stack */
    DISPATCH();
op_WITH_EXIT:
    with_exit(vm);
    DISPATCH();

error:
    unwind(vm, entry, op_ip, sp);
    return st;
}

lang_status lang_vm_run(lang_vm *vm, lang_func *fn, lang_value *result)
{
    lang_value *args = vm->sp + 1;
    *vm->sp = lang_obj_val(fn);   /* the callee slot below the frame */
    fn->h.refcount++;
    int entry = vm->nframes;
    lang_value *sp;
    lang_status st = push_frame(vm, fn, args, 0, NULL, &sp);
    if (st != LANG_OK) {
        lang_decref(vm, *vm->sp);
        return st;
    }
    vm->sp = sp;
    return execute(vm, entry, result);
}

lang_status lang_call_value(lang_vm *vm, lang_value fn, int nargs, const lang_value *args,
                            lang_value *out)
{
    lang_value *callee = vm->sp;
    if (callee + nargs + 2 > vm->stack + LANG_STACK_MAX)
        return lang_raise(vm, LANG_ERR_RECURSION, "maximum recursion depth exceeded");
    callee[0] = lang_incref(fn);
    for (int i = 0; i < nargs; i++) callee[1 + i] = lang_incref(args[i]);
    lang_value *sp = callee + 1 + nargs;
    int entered, entry = vm->nframes;
    lang_status st = call_value(vm, callee, nargs, NULL, &sp, &entered);
    if (st != LANG_OK) {
        while (sp > callee) lang_decref(vm, *--sp);
        vm->sp = callee;
        return st;
    }
    if (!entered) {
        *out = *callee;
        vm->sp = callee;
        return LANG_OK;
    }
    vm->sp = sp;
    return execute(vm, entry, out);
}
