/*
 * chunk.h -- lang internal: bytecode. A function prototype (lang_proto) owns a chunk: the
 * code bytes, the constants, and per-instruction source positions for error messages.
 *
 * Instructions are one opcode byte followed by fixed operands; the operand layout of each
 * opcode is in the table in disasm.c (ORDER LANG_OP). `u8`/`u16` operands are little-endian.
 */
#ifndef LANG_CHUNK_H
#define LANG_CHUNK_H

#include <stdint.h>
#include "lang/value.h"

/* ORDER LANG_OP: op_info[] in disasm.c */
typedef enum lang_opcode {
    LANG_OP_CONST,          /* u16 k: push constants[k] */
    LANG_OP_NONE, LANG_OP_TRUE, LANG_OP_FALSE,
    LANG_OP_POP, LANG_OP_DUP, LANG_OP_DUP2, LANG_OP_SWAP, LANG_OP_ROT3,  /* ROT3: a b c -> c a b */
    LANG_OP_GET_LOCAL,      /* u8 slot */
    LANG_OP_SET_LOCAL,      /* u8 slot: pops */
    LANG_OP_GET_GLOBAL,     /* u16 global index */
    LANG_OP_SET_GLOBAL,     /* u16: pops */
    LANG_OP_GET_CELL,       /* u8 local slot holding a cell */
    LANG_OP_SET_CELL,       /* u8 */
    LANG_OP_GET_FREE,       /* u8 index into the closure's captured cells */
    LANG_OP_SET_FREE,       /* u8 */
    LANG_OP_MAKE_CELL,      /* u8 slot: box the slot's value (parameters captured by closures) */
    LANG_OP_DEL_LOCAL,      /* u8 */
    LANG_OP_DEL_GLOBAL,     /* u16 */
    LANG_OP_GET_ATTR,       /* u16 k (name) */
    LANG_OP_SET_ATTR,       /* u16 k: obj value -> */
    LANG_OP_GET_INDEX,      /* obj idx -> value */
    LANG_OP_SET_INDEX,      /* value obj idx -> */
    LANG_OP_DEL_INDEX,      /* obj idx -> */
    LANG_OP_SLICE,          /* lo hi step -> slice */
    LANG_OP_ADD, LANG_OP_SUB, LANG_OP_MUL, LANG_OP_DIV, LANG_OP_FLOORDIV, LANG_OP_MOD,
    LANG_OP_POW,
    LANG_OP_MATMUL,         /* u16 k: name of the right operand or 0xFFFF (for the hint) */
    LANG_OP_BITAND, LANG_OP_BITOR, LANG_OP_BITXOR, LANG_OP_LSHIFT, LANG_OP_RSHIFT,
    LANG_OP_NEG, LANG_OP_POS, LANG_OP_INVERT, LANG_OP_NOT,
    LANG_OP_EQ, LANG_OP_NE, LANG_OP_LT, LANG_OP_LE, LANG_OP_GT, LANG_OP_GE,
    LANG_OP_IN, LANG_OP_NOT_IN, LANG_OP_IS, LANG_OP_IS_NOT,
    LANG_OP_INPLACE,        /* u8 binary opcode: target value -> result (tensors in place) */
    LANG_OP_JUMP,           /* u16 forward offset */
    LANG_OP_LOOP,           /* u16 backward offset; checks for interrupts */
    LANG_OP_JUMP_IF_FALSE,  /* u16: pops the condition */
    LANG_OP_JUMP_IF_TRUE,   /* u16: pops */
    LANG_OP_AND,            /* u16: if top is falsy jump (keep it), else pop */
    LANG_OP_OR,             /* u16: if top is truthy jump (keep it), else pop */
    LANG_OP_BUILD_LIST,     /* u16 n, u8 flag (1: number literal, 2: nested literal) */
    LANG_OP_BUILD_TUPLE,    /* u16 n */
    LANG_OP_BUILD_DICT,     /* u16 n pairs */
    LANG_OP_LIST_APPEND,    /* u8 depth: list at stack[-depth-1] gets the popped value */
    LANG_OP_DICT_SET,       /* u8 depth: dict at stack[-depth-2] gets the popped key, value */
    LANG_OP_UNPACK,         /* u8 n: sequence -> n values (first on top) */
    LANG_OP_UNPACK_STAR,    /* u8 before, u8 after: sequence -> before + 1 + after values, the
                               middle one a list (a, *rest = xs); first on top */
    LANG_OP_LIST_EXTEND,    /* u8 depth: the list at stack[-depth-1] gets the popped iterable's items */
    LANG_OP_CALL_STAR,      /* u8 nkw, u16 k keyword names or 0xFFFF: callee arglist kwvalues -> result */
    LANG_OP_GET_ITER,       /* iterable -> iterable state */
    LANG_OP_FOR_LOOP,       /* u16 back offset: push next item and jump back, or pop both */
    LANG_OP_FOR_LOOP_LOCAL, /* u8 slot, u16 back: like FOR_LOOP, storing the item in a local */
    LANG_OP_FOR_LOOP_GLOBAL,/* u16 global, u16 back: the same for a global */
    LANG_OP_INPLACE_LOCAL,  /* u8 slot, u8 binary opcode: local op= popped value */
    LANG_OP_INPLACE_GLOBAL, /* u16 global, u8 binary opcode */
    LANG_OP_INPLACE_LL,     /* u8 slot, u8 source slot, u8 opcode: local op= local */
    LANG_OP_ADD_K,          /* u16 k: top + constants[k] */
    LANG_OP_SUB_K,          /* u16 k: top - constants[k] */
    LANG_OP_CMP_JUMP,       /* u8 comparison opcode, u16 offset: pops a b; jumps if not (a op b) */
    LANG_OP_CMP_JUMP_K,     /* u8 comparison opcode, u16 k, u16 offset: the same with b = constants[k] */
    LANG_OP_INPLACE_GG,     /* u16 global, u16 source global, u8 opcode: global op= global */
    LANG_OP_CALL,           /* u8 argc */
    LANG_OP_CALL_KW,        /* u8 argc (incl. keywords), u16 k: tuple of keyword names */
    LANG_OP_CALL_METHOD,    /* u16 k name, u8 argc: receiver args -> result */
    LANG_OP_CALL_METHOD_KW, /* u16 k name, u8 argc, u16 k keyword names */
    LANG_OP_CLOSURE,        /* u16 k proto, u8 ndefaults; then per captured cell: u8 from_local, u8 index */
    LANG_OP_RETURN,
    LANG_OP_ECHO,           /* pops and reports the value through host->result */
    LANG_OP_FORMAT,         /* u16 k: spec string or 0xFFFF, u8 repr flag */
    LANG_OP_BUILD_STRING,   /* u16 n: concatenates n strings */
    LANG_OP_ASSERT,         /* u8 has_message: cond [msg] -> */
    LANG_OP_WITH_ENTER,     /* ctx -> value: ctx goes to the VM's with-stack, enter() called */
    LANG_OP_WITH_EXIT,      /* pops the with-stack and calls the context's leave() */
    LANG_OP_COUNT
} lang_opcode;

/* Where an instruction came from: the error position and the caret column. */
typedef struct lang_srcpos {
    int32_t line;
    uint16_t col, caret;
} lang_srcpos;

typedef struct lang_chunk {
    uint8_t *code;
    lang_srcpos *pos;          /* one per byte (only opcode bytes are read) */
    size_t len, cap;
    lang_value *consts;
    size_t nconsts, capconsts;
} lang_chunk;

/* A compiled function. Owned by the constants of its parent (or by lang_eval). */
typedef struct lang_proto {
    lang_obj h;
    lang_chunk chunk;
    lang_str *name;            /* "f", "<lambda>", "<module>" */
    int nparams;
    int nlocals;               /* params first; slots [0, nlocals) */
    int max_stack;             /* an upper bound of the stack the body needs */
    int ncaptures;             /* cells the closure captures */
    char **local_names;        /* nlocals malloc'd names; parameters first (keyword binding) */
    char **free_names;         /* ncaptures malloc'd names of the captured variables */
    lang_str *doc;             /* docstring or NULL */
    char *file;                /* malloc'd; for error messages */
    lang_str *src;             /* the whole source text it was compiled from (shared) */
    int line;                  /* where the def or lambda starts */
    int nested;                /* defined inside another function (its free names may be outer locals) */
    char *source;              /* malloc'd text of the def (for help and inspect), may be NULL */
} lang_proto;

/* A closure: a proto plus its parameter defaults and captured cells. */
typedef struct lang_func {
    lang_obj h;
    lang_proto *proto;         /* one reference */
    int ndefaults;             /* defaults for the last ndefaults parameters */
    lang_value *defaults;
    int ncells;
    lang_cell **cells;
} lang_func;

void lang_chunk_free(lang_chunk *c);
/* Writes the disassembly of proto (and of every nested proto) into b; `globals` (may be NULL)
 * names the global slots. */
void lang_disasm_proto(lang_buf *b, const lang_proto *proto, char *const *globals);
const char *lang_op_name(lang_opcode op);

#endif
