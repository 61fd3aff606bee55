/*
 * repl_internal.h -- what the files of repl/ share with each other; not for other folders.
 *
 *   signal.c   the SIGINT flag (the one volatile sig_atomic_t of the process)
 *   host.c     the lang_host callbacks for a terminal
 *   line.c     the line-editor seam: readline (or fgets), history file, tab completion
 *   entry.c    accumulating lines into one complete entry (lang_is_complete)
 *   session.c  the modes: interactive, piped, file, string, disassembly
 *   main.c     the command line
 */
#ifndef REPL_INTERNAL_H
#define REPL_INTERNAL_H

#include <stddef.h>

#include "repl/repl.h"

/* ---- signal.c ----------------------------------------------------------------------------
 * SIGINT sets the flag and calls lang_interrupt(), so a running eval stops at its next check
 * and a prompt waiting in repl_readline() cancels its line. */
void repl_signal_install(void);
int repl_signal_pending(void);
void repl_signal_clear(void);   /* also clears lang's pending interrupt */

/* ---- host.c ------------------------------------------------------------------------------ */
void repl_host_init(repl_session *s);   /* fills s->host, with s as ud */
void repl_flush(void);                  /* stdout, before stderr output and prompts */

/* ---- line.c ------------------------------------------------------------------------------
 * The seam around the line editor (sqlite3's shell_readline, lua.c's lua_readline). Built
 * with -DREPL_NO_READLINE it falls back to fgets with no history and no completion. */

/* Reads one line at `prompt` (without its newline; malloc'd, caller frees). `prefill` is
 * typed in for the user (the suggested indent; may be NULL). Returns NULL at end of input
 * (Ctrl-D) with *cancelled = 0, or when Ctrl-C cancelled the line, with *cancelled = 1 (the
 * cursor is then at the start of a new line; the SIGINT flag stays set). */
char *repl_readline(const char *prompt, const char *prefill, int *cancelled);
void repl_add_history(const char *entry);
/* History file: $NABLA_HISTORY, else $XDG_STATE_HOME/nabla/history, else
 * ~/.local/state/nabla/history. Loads it (creating its directory); entries are appended to it
 * as they are added. Returns 0, or -1 when no usable path exists (history stays in memory). */
int repl_history_open(void);
void repl_history_close(void);
/* Tab completion through lang_complete() on `vm` (kept until repl_completion_attach(NULL)). */
void repl_completion_attach(lang_vm *vm);

/* ---- entry.c -----------------------------------------------------------------------------
 * An entry is what the user means as one unit: a statement, or a block and its body. Lines
 * are added until lang_is_complete() says the text is complete; a block needs a blank line. */
typedef struct repl_entry {
    char *text;          /* lines joined with '\n', NUL-terminated; owned */
    size_t len, cap;
    int lines;           /* lines added */
    int first_line;      /* line number of the entry's first line in its stream (1-based) */
    char indent[64];     /* suggested indentation of the next line */
} repl_entry;

typedef enum repl_entry_state {
    REPL_ENTRY_MORE,          /* needs another line */
    REPL_ENTRY_COMPLETE,      /* ready to evaluate */
    REPL_ENTRY_INVALID,       /* a syntax error no further line can fix: evaluate to report it */
    REPL_ENTRY_SPLIT          /* the entry is complete WITHOUT the line just offered (it was not
                               * added): evaluate it, reset, then offer that line again */
} repl_entry_state;

void repl_entry_init(repl_entry *e);
void repl_entry_free(repl_entry *e);
void repl_entry_reset(repl_entry *e);
/* Adds `line` (no trailing newline; it may itself hold several lines, as a recalled history
 * entry does) and says what the entry needs now; e->indent then holds the suggested
 * indentation of the next line. A whitespace-only line counts as blank. An entry that is only
 * a blank line is COMPLETE and blank (repl_entry_is_blank). Out of memory: INVALID, with the
 * line not added. */
repl_entry_state repl_entry_add(repl_entry *e, const char *line);
int repl_entry_is_blank(const repl_entry *e);

/* ---- session.c ---------------------------------------------------------------------------- */
/* Evaluates one entry, reporting its value (echo) or its error. Returns the lang_status. */
int repl_eval_entry(repl_session *s, const char *text, const char *file, int echo);

#endif
