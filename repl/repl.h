/*
 * repl.h -- nabla's terminal front end: the `nabla` executable.
 *
 * One program, five ways in (DESIGN.md 9):
 *
 *     nabla                      a readline REPL when stdin is a terminal; otherwise the piped
 *                                mode: stdin is read like typed lines, without prompts; an
 *                                error is reported and the next entry runs (Ctrl-C stops all)
 *     nabla FILE.nabla [args]    runs a script; `argv` in the program is [FILE, args...]
 *     nabla -e 'CODE' [args]     runs a string
 *     nabla --dis FILE           prints the bytecode of FILE
 *     nabla --version | --help
 *
 * Exit status: 0 on success; 1 when the program raised an error (the report goes to stderr) or a
 * file cannot be read; 2 for a usage error; 130 when a script was stopped by Ctrl-C.
 *
 * The REPL accumulates lines until lang_is_complete() says the entry is complete (an open
 * bracket or a block keeps it going; a block ends at a blank line, as in Python's REPL),
 * evaluates it with LANG_EVAL_ECHO so a bare expression's value is shown, and prints errors
 * with lang_error_format() on stderr. State survives errors and Ctrl-C.
 *
 * Usage from C (what main() does):
 *
 *     repl_session s;
 *     if (repl_session_init(&s, stdin) != 0) return 1;   // makes the lang_vm
 *     int status = repl_run_interactive(&s);             // or repl_run_file(&s, path) ...
 *     repl_session_free(&s);
 *
 * Ownership: a repl_session owns its lang_vm and nothing else; `in` stays the caller's.
 *
 * Global state (house rule 12): one volatile sig_atomic_t interrupt flag (signal.c) and the
 * few statics readline's callbacks force on us (line.c). Everything else hangs off the
 * session.
 */
#ifndef REPL_H
#define REPL_H

#include <stdio.h>

#include "lang/nabla.h"

/* One terminal session: the interpreter and what we know about the terminal. */
typedef struct repl_session {
    lang_vm *vm;
    lang_host host;      /* the terminal's callbacks (host.c); host.ud points at this session */
    FILE *in;            /* where code and input() lines come from when not interactive */
    int interactive;     /* stdin and stdout are terminals: prompts, readline, history */
    int out_tty;         /* stdout is a terminal: flush eagerly, clear_output may erase */
    int errors;          /* errors reported so far (piped mode's exit status) */
    int input_cancelled; /* Ctrl-C ended an input() line during the current eval */
    int interrupted;     /* the last entry was stopped by Ctrl-C (piped mode then stops) */
} repl_session;

/* Sets up the session and its interpreter reading from `in`. Returns 0, or -1 when the
 * interpreter cannot be created (out of memory). */
int repl_session_init(repl_session *s, FILE *in);
void repl_session_free(repl_session *s);

/* The modes. Each returns the process exit status described above. */
int repl_run_interactive(repl_session *s);          /* banner, prompts, history, completion */
int repl_run_stream(repl_session *s);               /* piped stdin: REPL semantics, no prompts */
int repl_run_file(repl_session *s, const char *path);
int repl_run_string(repl_session *s, const char *code, const char *name);
int repl_disassemble_file(repl_session *s, const char *path);

/* The whole command line (main() calls only this). */
int repl_main(int argc, char **argv);

#endif
