/*
 * session.c -- the ways `nabla` runs code: the interactive REPL, piped stdin, a script file, a
 * string, and the disassembler. All of them end in repl_eval_entry(), which evaluates and
 * reports; the REPL and the piped mode share the line feeding of feed_line().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repl/repl_internal.h"

enum { EXIT_ERROR = 1, EXIT_INTERRUPTED = 130 };   /* 130 = 128 + SIGINT, as shells report */

int repl_session_init(repl_session *s, FILE *in)
{
    memset(s, 0, sizeof *s);
    s->in = in;
    s->interactive = isatty(fileno(in));
    s->out_tty = isatty(fileno(stdout));
    repl_host_init(s);   /* host.ud = s: the session must not move after this */
    s->vm = lang_vm_new(&s->host);
    if (!s->vm) {
        fputs("nabla: out of memory creating the interpreter\n", stderr);
        return -1;
    }
    repl_signal_install();
    return 0;
}

void repl_session_free(repl_session *s)
{
    repl_completion_attach(NULL);
    if (s->vm) lang_vm_free(s->vm);
    s->vm = NULL;
}

/* The formatted report on stderr, ending in a newline. */
static void report_error(repl_session *s, const lang_error *err)
{
    char buf[4096];
    size_t n = lang_error_format(err, buf, sizeof buf);
    repl_flush();
    fputs(buf, stderr);
    if (n == 0 || buf[n - 1] != '\n') fputc('\n', stderr);
    s->errors++;
}

int repl_eval_entry(repl_session *s, const char *text, const char *file, int echo)
{
    lang_error err;
    memset(&err, 0, sizeof err);
    repl_signal_clear();
    s->input_cancelled = 0;
    lang_status st = lang_eval(s->vm, text, file, echo ? LANG_EVAL_ECHO : 0, &err);
    repl_flush();
    if (st == LANG_ERR_INTERRUPT && isatty(fileno(stderr)) && !s->input_cancelled)
        fputc('\n', stderr);   /* the terminal echoed "^C": start the report on its own line */
    if (st != LANG_OK) report_error(s, &err);
    s->interrupted = st == LANG_ERR_INTERRUPT;
    repl_signal_clear();   /* a Ctrl-C that came too late to stop this entry stops nothing */
    return st;
}

static int exit_status(lang_status st)
{
    if (st == LANG_OK) return 0;
    return st == LANG_ERR_INTERRUPT ? EXIT_INTERRUPTED : EXIT_ERROR;
}

/* ---- the REPL and the piped mode ---------------------------------------------------------- */

/* The entry without its trailing blank lines, for the history. Modifies e->text. */
static const char *trimmed(repl_entry *e)
{
    while (e->len > 0 && e->text[e->len - 1] == '\n') e->text[--e->len] = '\0';
    return e->text;
}

/* Runs a finished entry. Piped input keeps its line numbers in error reports: the entry is
 * evaluated behind as many empty lines as precede it in the stream. */
static void run_entry(repl_session *s, repl_entry *e, int history)
{
    if (repl_entry_is_blank(e)) return;
    if (history) repl_add_history(trimmed(e));
    if (s->interactive || e->first_line <= 1) {
        repl_eval_entry(s, e->text, "<stdin>", 1);
        return;
    }
    size_t pad = (size_t)e->first_line - 1;
    char *src = malloc(pad + e->len + 1);
    if (!src) {
        fputs("MemoryError: out of memory reading input\n", stderr);
        s->errors++;
        return;
    }
    memset(src, '\n', pad);
    memcpy(src + pad, e->text, e->len + 1);
    repl_eval_entry(s, src, "<stdin>", 1);
    free(src);
}

/* Adds one line (number `lineno` of its stream) to the entry and runs the entry when it is
 * finished. */
static void feed_line(repl_session *s, repl_entry *e, const char *line, int lineno, int history)
{
    if (e->lines == 0) e->first_line = lineno;
    repl_entry_state st = repl_entry_add(e, line);
    if (st == REPL_ENTRY_SPLIT) {   /* the entry ended before this line: run it, start anew */
        run_entry(s, e, history);
        repl_entry_reset(e);
        e->first_line = lineno;
        st = repl_entry_add(e, line);
    }
    if (st == REPL_ENTRY_MORE) return;
    run_entry(s, e, history);
    repl_entry_reset(e);
}

static void print_banner(void)
{
    printf("nabla %s -- a small array language for learning deep learning\n"
           "Type help() for help, Ctrl-D to leave.\n",
           LANG_VERSION);
}

int repl_run_interactive(repl_session *s)
{
    static char *const no_args[] = {""};
    lang_set_argv(s->vm, 1, (char **)no_args);
    print_banner();
    int history = isatty(fileno(stdin));
    if (history) repl_history_open();
    repl_completion_attach(s->vm);
    repl_entry e;
    repl_entry_init(&e);
    for (int lineno = 1;; lineno++) {
        int cancelled = 0;
        repl_flush();
        char *line = repl_readline(e.lines ? "... " : ">>> ", e.lines ? e.indent : NULL,
                                   &cancelled);
        if (!line && cancelled) {   /* Ctrl-C: a fresh prompt, nothing lost but the line */
            fputs("KeyboardInterrupt\n", stdout);
            repl_signal_clear();
            repl_entry_reset(&e);
            continue;
        }
        if (!line) break;           /* Ctrl-D */
        feed_line(s, &e, line, lineno, history);
        free(line);
    }
    fputc('\n', stdout);
    repl_entry_free(&e);
    if (history) repl_history_close();
    return 0;
}

/* One line of the stream into *buf, without its line end. Returns its length, or -1 at the
 * end (or when Ctrl-C came while waiting for input). */
static ssize_t read_line(repl_session *s, char **buf, size_t *cap)
{
    ssize_t n;
    for (;;) {
        errno = 0;
        n = getline(buf, cap, s->in);
        if (n >= 0 || errno != EINTR) break;
        clearerr(s->in);
        if (repl_signal_pending()) {
            fputs("KeyboardInterrupt\n", stderr);
            s->interrupted = 1;
            break;
        }
    }
    while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r')) (*buf)[--n] = '\0';
    return n;
}

int repl_run_stream(repl_session *s)
{
    static char *const no_args[] = {""};
    lang_set_argv(s->vm, 1, (char **)no_args);
    repl_entry e;
    repl_entry_init(&e);
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (!s->interrupted && read_line(s, &buf, &cap) >= 0)
        feed_line(s, &e, buf, ++lineno, 0);
    if (!s->interrupted && e.lines > 0) run_entry(s, &e, 0);   /* closed by the end of input */
    free(buf);
    repl_entry_free(&e);
    if (s->interrupted) return EXIT_INTERRUPTED;
    return s->errors ? EXIT_ERROR : 0;
}

/* ---- files and strings -------------------------------------------------------------------- */

/* The whole file, NUL-terminated and malloc'd, or NULL with the reason on stderr. */
static char *read_source(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "nabla: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *src = malloc(cap);
    size_t n;
    while (src && (n = fread(src + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *p = realloc(src, cap * 2);
            if (!p) free(src);
            src = p;
            cap *= 2;
        }
    }
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (!src || failed) {
        fprintf(stderr, "nabla: cannot read '%s': %s\n", path, src ? strerror(saved) : "out of memory");
        free(src);
        return NULL;
    }
    src[len] = '\0';
    if (strlen(src) != len) {
        fprintf(stderr, "nabla: cannot run '%s': it contains a NUL byte (not a text file?)\n", path);
        free(src);
        return NULL;
    }
    return src;
}

int repl_run_file(repl_session *s, const char *path)
{
    char *src = read_source(path);
    if (!src) return EXIT_ERROR;
    lang_status st = repl_eval_entry(s, src, path, 0);
    free(src);
    return exit_status(st);
}

int repl_run_string(repl_session *s, const char *code, const char *name)
{
    return exit_status(repl_eval_entry(s, code, name, 0));
}

int repl_disassemble_file(repl_session *s, const char *path)
{
    char *src = read_source(path);
    if (!src) return EXIT_ERROR;
    char *out = NULL;
    lang_error err;
    memset(&err, 0, sizeof err);
    lang_status st = lang_disassemble(s->vm, src, path, &out, &err);
    free(src);
    if (st != LANG_OK) {
        report_error(s, &err);
        free(out);
        return EXIT_ERROR;
    }
    fputs(out ? out : "", stdout);
    free(out);
    return 0;
}
