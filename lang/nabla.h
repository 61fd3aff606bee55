/*
 * nabla.h -- the nabla language: the one header front ends (repl/, kernel/, lessons/) include.
 *
 * nabla is a small Python-flavoured array language. Source text is lexed, parsed to an AST,
 * compiled to bytecode and run by a stack VM (lang/vm.c). The interpreter never writes to
 * stdout/stderr itself: everything a program shows goes through a lang_host, a struct of
 * callbacks the front end fills in. The REPL implements it for a terminal, the Jupyter kernel
 * with IOPub messages, the tests with a buffer.
 *
 * Usage:
 *
 *     static void out(void *ud, const char *s, size_t n) { fwrite(s, 1, n, stdout); }
 *     lang_host host = { .print = out, .warn = out };
 *     lang_vm *vm = lang_vm_new(&host);
 *     lang_error err;
 *     if (lang_eval(vm, "print(6*7)", "<stdin>", 0, &err) != LANG_OK) {
 *         char buf[2048];
 *         lang_error_format(&err, buf, sizeof buf);   // "NameError: line 1, col 1: ..."
 *         fputs(buf, stderr);
 *     }
 *     lang_vm_free(vm);
 *
 * Ownership: the VM owns every value it creates; a front end only sees text (UTF-8, not owned
 * past the callback unless a function says so). Strings returned through `char **` out
 * parameters are malloc'd and owned by the caller (free them with free()).
 *
 * Errors: every entry point returns a lang_status (LANG_OK == 0) and, on failure, fills a
 * caller-owned lang_error with the kind, a message in the learner's terms, the position and
 * the source line. A program can never crash the host: deep recursion is LANG_ERR_RECURSION,
 * an impossible allocation LANG_ERR_MEMORY, an interrupt LANG_ERR_INTERRUPT.
 */
#ifndef NABLA_H
#define NABLA_H

#include <stddef.h>

#define LANG_VERSION "0.1.0"

/* Status codes double as error kinds. ORDER LANG_STATUS: lang_status_name() in report.c. */
typedef enum lang_status {
    LANG_OK = 0,
    LANG_ERR_SYNTAX,
    LANG_ERR_NAME,
    LANG_ERR_TYPE,
    LANG_ERR_SHAPE,
    LANG_ERR_INDEX,
    LANG_ERR_KEY,
    LANG_ERR_VALUE,
    LANG_ERR_IO,
    LANG_ERR_MEMORY,
    LANG_ERR_RECURSION,
    LANG_ERR_INTERRUPT,   /* reported as "KeyboardInterrupt" */
    LANG_ERR_INCOMPLETE,  /* the parser needs more input: open bracket or unfinished block */
    LANG_STATUS_COUNT
} lang_status;

/* A caller-owned error report. `line`/`col` are 1-based; 0 when unknown. */
typedef struct lang_error {
    lang_status kind;
    int line, col;
    int len;                 /* width of the caret underline, at least 1 */
    int caret_col;           /* where the caret goes (the operator of `x @ w`); 0: at col */
    char file[128];
    char msg[512];           /* "cannot matmul (64, 784) @ (10, 784): inner sizes ..." */
    char hint[256];          /* "" or "w.T has shape (784, 10)" */
    char source_line[256];   /* the offending line of source, "" when unknown */
    char trace[1024];        /* "  in f (line 3)\n  in g (line 7)\n" innermost first; may be "" */
} lang_error;

/* "SyntaxError", "NameError", ... "KeyboardInterrupt". */
const char *lang_status_name(lang_status s);

/* Writes the full report into buf (always NUL-terminated):
 *     ShapeError: line 4, col 9: cannot matmul (64, 784) @ (10, 784): ...
 *         h = x @ w
 *               ^
 *     hint: w.T has shape (784, 10)
 * Returns the length written. */
size_t lang_error_format(const lang_error *err, char *buf, size_t cap);

/* A MIME bundle for display(). Any field may be NULL; text_plain never is. */
typedef struct lang_mime_bundle {
    const char *text_plain;
    const char *text_html;
    const char *text_markdown;
    const char *image_svg;
    const unsigned char *image_png;
    size_t image_png_len;
} lang_mime_bundle;

/* The host interface. Every callback may be NULL (output is then dropped; input fails). */
typedef struct lang_host {
    void *ud;  /* passed back as the first argument of every callback */
    /* Program output (print). Text is not NUL-terminated; `n` bytes. */
    void (*print)(void *ud, const char *text, size_t n);
    /* Warnings and engine diagnostics (warn(), NaN loss). Goes to stderr in a terminal. */
    void (*warn)(void *ud, const char *text, size_t n);
    /* The value of the last bare expression of an eval with LANG_EVAL_ECHO. */
    void (*result)(void *ud, const lang_mime_bundle *b);
    /* display(x), pictures. display_id may be NULL (a plain display). */
    void (*display)(void *ud, const lang_mime_bundle *b, const char *display_id);
    void (*update_display)(void *ud, const lang_mime_bundle *b, const char *display_id);
    void (*clear_output)(void *ud, int wait);
    /* help(x): long text for a pager. NULL: printed through print(). */
    void (*page)(void *ud, const char *text);
    /* input(prompt): store a malloc'd line (no trailing newline) in *line and return 0; return
     * -1 on end of input or when input is not allowed (the VM raises an IOError). */
    int (*input)(void *ud, const char *prompt, char **line);
    /* Called now and then during long work (loops, training). Returns nonzero to interrupt. */
    int (*poll)(void *ud);
    /* Training progress: one status line (Keras's bar, no newline) redrawn in place. final 0:
     * the line will change again (a terminal rewrites it after '\r', Jupyter updates one
     * display); final 1: the line is done and stays. Non-final calls come at most ~20 times a
     * second. NULL: only final lines are shown, through print (Keras's output to a file). */
    void (*progress)(void *ud, const char *line, int final);
} lang_host;

typedef struct lang_vm lang_vm;

/* A new interpreter with the builtins loaded. The host struct is copied. NULL on OOM. */
lang_vm *lang_vm_new(const lang_host *host);
void lang_vm_free(lang_vm *vm);

/* Eval flags. */
enum {
    LANG_EVAL_ECHO = 1,  /* report the value of a final bare expression through host->result */
};

/* Compiles and runs `src`. Globals persist between calls (a REPL session, a notebook).
 * On error the statements already run keep their effects. `file` names the source in errors. */
lang_status lang_eval(lang_vm *vm, const char *src, const char *file, int flags, lang_error *err);

/* Compiles `src` and writes its disassembly into *out (malloc'd). */
lang_status lang_disassemble(lang_vm *vm, const char *src, const char *file, char **out,
                             lang_error *err);

/* Is `src` a complete program? LANG_OK (complete), LANG_ERR_INCOMPLETE (needs more lines;
 * *indent, if not NULL, receives the suggested indentation of the next line, e.g. "    "),
 * or LANG_ERR_SYNTAX (invalid whatever follows). */
lang_status lang_is_complete(const char *src, char indent[64]);

/* Completion of the identifier or attribute before byte offset `cursor` in `code`.
 * Returns the number of matches; *matches receives a malloc'd array of malloc'd strings
 * (free each, then the array). *start receives the byte offset where the completed word begins. */
int lang_complete(lang_vm *vm, const char *code, size_t cursor, char ***matches, size_t *start);

/* Help text for the name or expression at `cursor` (builtins, layers, user functions, values:
 * a tensor's shape and dtype). Returns a malloc'd string, or NULL when nothing is known. */
char *lang_inspect(lang_vm *vm, const char *code, size_t cursor, int detail);

/* Asks a running eval to stop at its next check (loops, calls, training steps) with a
 * KeyboardInterrupt. Async-signal-safe: a SIGINT handler may call it. */
void lang_interrupt(void);
/* Clears a pending interrupt (front ends call this before running new input). */
void lang_interrupt_clear(void);

/* Sets sys.argv-like script arguments, available to programs as `argv` (a list of strings). */
void lang_set_argv(lang_vm *vm, int argc, char **argv);

#endif
