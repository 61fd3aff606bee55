/*
 * disasm.c -- the bytecode made visible (`nabla --dis FILE`), in clox's layout:
 *
 *     == f (2 params, 3 locals) ==
 *     0000    1  GET_LOCAL        0
 *     0002    |  CONST            0  '1'
 */
#include <stdlib.h>
#include "lang/chunk.h"

void lang_chunk_free(lang_chunk *c)
{
    free(c->code);
    free(c->pos);
    free(c->consts);
    c->code = NULL;
    c->pos = NULL;
    c->consts = NULL;
    c->len = c->cap = c->nconsts = c->capconsts = 0;
}

/* Operand layout: a string of 'b' (u8) and 'w' (u16) per opcode.  ORDER LANG_OP */
typedef struct op_info { const char *name; const char *operands; } op_info;

static const op_info op_info_table[LANG_OP_COUNT] = {
    [LANG_OP_CONST] = {"CONST", "w"}, [LANG_OP_NONE] = {"NONE", ""},
    [LANG_OP_TRUE] = {"TRUE", ""}, [LANG_OP_FALSE] = {"FALSE", ""}, [LANG_OP_POP] = {"POP", ""},
    [LANG_OP_DUP] = {"DUP", ""}, [LANG_OP_DUP2] = {"DUP2", ""}, [LANG_OP_SWAP] = {"SWAP", ""},
    [LANG_OP_ROT3] = {"ROT3", ""}, [LANG_OP_GET_LOCAL] = {"GET_LOCAL", "b"},
    [LANG_OP_SET_LOCAL] = {"SET_LOCAL", "b"}, [LANG_OP_GET_GLOBAL] = {"GET_GLOBAL", "w"},
    [LANG_OP_SET_GLOBAL] = {"SET_GLOBAL", "w"}, [LANG_OP_GET_CELL] = {"GET_CELL", "b"},
    [LANG_OP_SET_CELL] = {"SET_CELL", "b"}, [LANG_OP_GET_FREE] = {"GET_FREE", "b"},
    [LANG_OP_SET_FREE] = {"SET_FREE", "b"}, [LANG_OP_MAKE_CELL] = {"MAKE_CELL", "b"},
    [LANG_OP_DEL_LOCAL] = {"DEL_LOCAL", "b"}, [LANG_OP_DEL_GLOBAL] = {"DEL_GLOBAL", "w"},
    [LANG_OP_GET_ATTR] = {"GET_ATTR", "w"}, [LANG_OP_SET_ATTR] = {"SET_ATTR", "w"},
    [LANG_OP_GET_INDEX] = {"GET_INDEX", ""}, [LANG_OP_SET_INDEX] = {"SET_INDEX", ""},
    [LANG_OP_DEL_INDEX] = {"DEL_INDEX", ""}, [LANG_OP_SLICE] = {"SLICE", ""},
    [LANG_OP_ADD] = {"ADD", ""}, [LANG_OP_SUB] = {"SUB", ""}, [LANG_OP_MUL] = {"MUL", ""},
    [LANG_OP_DIV] = {"DIV", ""}, [LANG_OP_FLOORDIV] = {"FLOORDIV", ""}, [LANG_OP_MOD] = {"MOD", ""},
    [LANG_OP_POW] = {"POW", ""}, [LANG_OP_MATMUL] = {"MATMUL", "w"},
    [LANG_OP_BITAND] = {"BITAND", ""}, [LANG_OP_BITOR] = {"BITOR", ""},
    [LANG_OP_BITXOR] = {"BITXOR", ""}, [LANG_OP_LSHIFT] = {"LSHIFT", ""},
    [LANG_OP_RSHIFT] = {"RSHIFT", ""}, [LANG_OP_NEG] = {"NEG", ""}, [LANG_OP_POS] = {"POS", ""},
    [LANG_OP_INVERT] = {"INVERT", ""}, [LANG_OP_NOT] = {"NOT", ""}, [LANG_OP_EQ] = {"EQ", ""},
    [LANG_OP_NE] = {"NE", ""}, [LANG_OP_LT] = {"LT", ""}, [LANG_OP_LE] = {"LE", ""},
    [LANG_OP_GT] = {"GT", ""}, [LANG_OP_GE] = {"GE", ""}, [LANG_OP_IN] = {"IN", ""},
    [LANG_OP_NOT_IN] = {"NOT_IN", ""}, [LANG_OP_IS] = {"IS", ""}, [LANG_OP_IS_NOT] = {"IS_NOT", ""},
    [LANG_OP_INPLACE] = {"INPLACE", "b"}, [LANG_OP_JUMP] = {"JUMP", "w"},
    [LANG_OP_LOOP] = {"LOOP", "w"}, [LANG_OP_JUMP_IF_FALSE] = {"JUMP_IF_FALSE", "w"},
    [LANG_OP_JUMP_IF_TRUE] = {"JUMP_IF_TRUE", "w"}, [LANG_OP_AND] = {"AND", "w"},
    [LANG_OP_OR] = {"OR", "w"}, [LANG_OP_BUILD_LIST] = {"BUILD_LIST", "wb"},
    [LANG_OP_BUILD_TUPLE] = {"BUILD_TUPLE", "w"}, [LANG_OP_BUILD_DICT] = {"BUILD_DICT", "w"},
    [LANG_OP_LIST_APPEND] = {"LIST_APPEND", "b"}, [LANG_OP_DICT_SET] = {"DICT_SET", "b"},
    [LANG_OP_UNPACK] = {"UNPACK", "b"}, [LANG_OP_UNPACK_STAR] = {"UNPACK_STAR", "bb"},
    [LANG_OP_LIST_EXTEND] = {"LIST_EXTEND", "b"}, [LANG_OP_CALL_STAR] = {"CALL_STAR", "bw"}, [LANG_OP_GET_ITER] = {"GET_ITER", ""},
    [LANG_OP_FOR_LOOP] = {"FOR_LOOP", "w"},
    [LANG_OP_FOR_LOOP_LOCAL] = {"FOR_LOOP_LOCAL", "bw"},
    [LANG_OP_FOR_LOOP_GLOBAL] = {"FOR_LOOP_GLOBAL", "ww"},
    [LANG_OP_INPLACE_LOCAL] = {"INPLACE_LOCAL", "bb"},
    [LANG_OP_INPLACE_GLOBAL] = {"INPLACE_GLOBAL", "wb"},
    [LANG_OP_INPLACE_LL] = {"INPLACE_LL", "bbb"},
    [LANG_OP_ADD_K] = {"ADD_K", "w"}, [LANG_OP_SUB_K] = {"SUB_K", "w"},
    [LANG_OP_CMP_JUMP] = {"CMP_JUMP", "bw"}, [LANG_OP_CMP_JUMP_K] = {"CMP_JUMP_K", "bww"}, [LANG_OP_INPLACE_GG] = {"INPLACE_GG", "wwb"}, [LANG_OP_CALL] = {"CALL", "b"},
    [LANG_OP_CALL_KW] = {"CALL_KW", "bw"}, [LANG_OP_CALL_METHOD] = {"CALL_METHOD", "wb"},
    [LANG_OP_CALL_METHOD_KW] = {"CALL_METHOD_KW", "wbw"}, [LANG_OP_CLOSURE] = {"CLOSURE", "wb"},
    [LANG_OP_RETURN] = {"RETURN", ""}, [LANG_OP_ECHO] = {"ECHO", ""},
    [LANG_OP_FORMAT] = {"FORMAT", "wb"}, [LANG_OP_BUILD_STRING] = {"BUILD_STRING", "w"},
    [LANG_OP_ASSERT] = {"ASSERT", "b"}, [LANG_OP_WITH_ENTER] = {"WITH_ENTER", ""},
    [LANG_OP_WITH_EXIT] = {"WITH_EXIT", ""},
};

const char *lang_op_name(lang_opcode op)
{
    return op < LANG_OP_COUNT && op_info_table[op].name ? op_info_table[op].name : "?";
}

/* Does op take a forward jump offset (printed as the target)? */
static int is_jump(lang_opcode op)
{
    return op == LANG_OP_JUMP || op == LANG_OP_JUMP_IF_FALSE || op == LANG_OP_JUMP_IF_TRUE ||
           op == LANG_OP_AND || op == LANG_OP_OR;
}

static void write_const(lang_buf *b, const lang_proto *p, unsigned k)
{
    if (k >= p->chunk.nconsts) return;
    lang_buf_add(b, "  ", 2);
    lang_value v = p->chunk.consts[k];
    if (LANG_IS_TYPE(v, LANG_OBJ_PROTO)) lang_buf_addf(b, "<code %s>", ((lang_proto *)v.as.obj)->name->chars);
    else lang_value_write(b, v, 1);
}

/* Prints one instruction; returns the offset of the next. */
static size_t disasm_instr(lang_buf *b, const lang_proto *p, size_t off, int prev_line,
                           char *const *globals)
{
    const uint8_t *code = p->chunk.code;
    lang_opcode op = (lang_opcode)code[off];
    int line = p->chunk.pos[off].line;
    if (line == prev_line) lang_buf_addf(b, "%04zu    |  ", off);
    else lang_buf_addf(b, "%04zu %4d  ", off, line);
    lang_buf_addf(b, "%-16s", lang_op_name(op));
    size_t at = off + 1;
    unsigned args[3] = {0};
    int nargs = 0;
    for (const char *o = op_info_table[op].operands; *o; o++) {
        if (*o == 'w') { args[nargs++] = (unsigned)(code[at] | code[at + 1] << 8); at += 2; }
        else args[nargs++] = code[at++];
    }
    for (int i = 0; i < nargs; i++) lang_buf_addf(b, "%s%u", i ? " " : "", args[i]);
    if (is_jump(op)) lang_buf_addf(b, "  -> %04zu", at + args[0]);
    else if (op == LANG_OP_CMP_JUMP) lang_buf_addf(b, "  %s -> %04zu", lang_op_name((lang_opcode)args[0]), at + args[1]);
    else if (op == LANG_OP_CMP_JUMP_K) {
        lang_buf_addf(b, "  %s", lang_op_name((lang_opcode)args[0]));
        write_const(b, p, args[1]);
        lang_buf_addf(b, " -> %04zu", at + args[2]);
    }
    else if (op == LANG_OP_LOOP || op == LANG_OP_FOR_LOOP) lang_buf_addf(b, "  -> %04zu", at - args[0]);
    else if (op == LANG_OP_FOR_LOOP_LOCAL || op == LANG_OP_FOR_LOOP_GLOBAL)
        lang_buf_addf(b, "  -> %04zu", at - args[1]);
    else if (op == LANG_OP_CONST || op == LANG_OP_GET_ATTR || op == LANG_OP_SET_ATTR ||
             op == LANG_OP_CALL_METHOD || op == LANG_OP_CALL_METHOD_KW || op == LANG_OP_CLOSURE ||
             op == LANG_OP_ADD_K || op == LANG_OP_SUB_K ||
             (op == LANG_OP_FORMAT && args[0] != 0xffff) || (op == LANG_OP_MATMUL && args[0] != 0xffff))
        write_const(b, p, args[0]);
    else if (op == LANG_OP_GET_LOCAL || op == LANG_OP_SET_LOCAL || op == LANG_OP_GET_CELL ||
             op == LANG_OP_SET_CELL || op == LANG_OP_MAKE_CELL || op == LANG_OP_DEL_LOCAL)
        lang_buf_addf(b, "  %s", p->local_names && p->local_names[args[0]] ? p->local_names[args[0]] : "?");
    else if (globals && (op == LANG_OP_GET_GLOBAL || op == LANG_OP_SET_GLOBAL ||
                         op == LANG_OP_DEL_GLOBAL || op == LANG_OP_INPLACE_GLOBAL ||
                         op == LANG_OP_FOR_LOOP_GLOBAL))
        lang_buf_addf(b, "  %s", globals[args[0]]);
    else if (globals && op == LANG_OP_INPLACE_GG)
        lang_buf_addf(b, "  %s %s", globals[args[0]], globals[args[1]]);
    else if (op == LANG_OP_GET_FREE || op == LANG_OP_SET_FREE)
        lang_buf_addf(b, "  %s", p->free_names && p->free_names[args[0]] ? p->free_names[args[0]] : "?");
    if (op == LANG_OP_CLOSURE) {   /* then one (from_local, index) pair per captured cell */
        const lang_proto *inner = (const lang_proto *)p->chunk.consts[args[0]].as.obj;
        for (int i = 0; i < inner->ncaptures; i++, at += 2)
            lang_buf_addf(b, " [%s %u]", code[at] ? "local" : "free", code[at + 1]);
    }
    lang_buf_add(b, "\n", 1);
    return at;
}

void lang_disasm_proto(lang_buf *b, const lang_proto *p, char *const *globals)
{
    lang_buf_addf(b, "== %s (%d params, %d locals, stack %d) ==\n", p->name->chars, p->nparams,
                  p->nlocals, p->max_stack);
    int prev = -1;
    for (size_t off = 0; off < p->chunk.len;) {
        int line = p->chunk.pos[off].line;
        off = disasm_instr(b, p, off, prev, globals);
        prev = line;
    }
    for (size_t i = 0; i < p->chunk.nconsts; i++) {
        lang_value v = p->chunk.consts[i];
        if (LANG_IS_TYPE(v, LANG_OBJ_PROTO)) {
            lang_buf_add(b, "\n", 1);
            lang_disasm_proto(b, (const lang_proto *)v.as.obj, globals);
        }
    }
}
