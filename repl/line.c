/*
 * line.c -- the line-editor seam (sqlite3's shell_readline, lua.c's lua_readline): readline
 * with history and tab completion, or, built with -DREPL_NO_READLINE, plain fgets.
 *
 * We drive readline through its callback interface (rl_callback_read_char) from our own
 * pselect() loop rather than calling readline(): that is the documented way to cancel a line
 * on Ctrl-C (readline's blocking call would swallow the signal and keep the line), and the
 * same loop is where the SDL window of a later issue will pump its events while the prompt
 * waits.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repl/repl_internal.h"

#ifndef REPL_NO_READLINE
#include <readline/history.h>
#include <readline/readline.h>

enum { HISTORY_MAX = 2000 };

/* readline's callbacks carry no user pointer, so what they share lives here (house rule 12
 * allows readline's globals, inside repl/). */
static struct {
    char *line;            /* the line on_line() received (malloc'd by readline) */
    int done;              /* on_line() was called */
    int ready;             /* rl_initialize() and our key bindings are done */
    lang_vm *vm;           /* completion source; NULL: no completion */
    char path[PATH_MAX];   /* history file; "" when history is not saved */
} rl;

/* ---- reading a line -------------------------------------------------------------------- */

static void on_line(char *line)
{
    rl.line = line;
    rl.done = 1;
    rl_callback_handler_remove();
}

/* Waits until stdin is readable. Returns 1 when it is, 0 when Ctrl-C came first, -1 on
 * error. SIGINT stays blocked except inside pselect, so a Ctrl-C cannot slip in between the
 * flag test and the wait. */
static int wait_for_key(int fd)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    int r = 0;
    while (!repl_signal_pending()) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        r = pselect(fd + 1, &fds, NULL, NULL, NULL, &old);
        if (r > 0 || (r < 0 && errno != EINTR)) break;
        r = 0;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r > 0 ? 1 : (r < 0 ? -1 : 0);
}

/* Ctrl-C at the prompt: drop the half-typed line, restore the terminal, go to a new line. */
static void cancel_line(void)
{
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_cleanup_after_signal();
    rl_callback_handler_remove();
    fputc('\n', rl_outstream ? rl_outstream : stdout);
    fflush(rl_outstream ? rl_outstream : stdout);
}

static void setup_once(void);

char *repl_readline(const char *prompt, const char *prefill, int *cancelled)
{
    setup_once();
    *cancelled = 0;
    rl.line = NULL;
    rl.done = 0;
    rl_reset_screen_size();   /* the window may have been resized while code ran */
    rl_callback_handler_install(prompt, on_line);
    if (prefill && *prefill) {
        rl_insert_text(prefill);
        rl_redisplay();
    }
    int fd = fileno(rl_instream ? rl_instream : stdin);
    while (!rl.done) {
        int r = wait_for_key(fd);
        if (r == 0) {
            cancel_line();
            *cancelled = 1;
            return NULL;
        }
        if (r < 0) {
            rl_callback_handler_remove();
            return NULL;
        }
        rl_callback_read_char();
    }
    return rl.line;
}

/* ---- history ----------------------------------------------------------------------------- */

void repl_add_history(const char *entry)
{
    HIST_ENTRY *last = history_get(history_base + history_length - 1);
    if (!entry[0] || (last && strcmp(last->line, entry) == 0)) return;
    add_history(entry);
    if (rl.path[0] && append_history(1, rl.path) != 0) rl.path[0] = '\0';
}

/* mkdir -p of the directory part of `path` (new directories private: XDG says 0700). */
static int make_parent_dirs(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

/* The history file's name into buf. Returns 0, or -1 when there is none (NABLA_HISTORY set
 * to "" turns history saving off). */
static int history_path(char *buf, size_t cap)
{
    const char *env = getenv("NABLA_HISTORY");
    if (env) return env[0] && snprintf(buf, cap, "%s", env) < (int)cap ? 0 : -1;
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0] == '/')   /* the XDG spec ignores relative paths */
        return snprintf(buf, cap, "%s/nabla/history", state) < (int)cap ? 0 : -1;
    const char *home = getenv("HOME");
    if (!home || !home[0]) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home) return -1;
    return snprintf(buf, cap, "%s/.local/state/nabla/history", home) < (int)cap ? 0 : -1;
}

/* Multi-line entries survive the file: each entry is written after a "#<time>" line, and
 * history_multiline_entries joins the lines between two such marks into one entry.
 * (history_comment_char must be set, or readline stamps entries with an empty time.) */
int repl_history_open(void)
{
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = 1;
    stifle_history(HISTORY_MAX);
    rl.path[0] = '\0';
    char path[PATH_MAX];
    if (history_path(path, sizeof path) != 0 || make_parent_dirs(path) != 0) return -1;
    if (access(path, F_OK) != 0 && write_history(path) != 0) return -1;   /* create it */
    read_history(path);
    snprintf(rl.path, sizeof rl.path, "%s", path);
    return 0;
}

void repl_history_close(void)
{
    if (rl.path[0]) history_truncate_file(rl.path, HISTORY_MAX);
    rl.path[0] = '\0';
}

/* ---- tab completion ---------------------------------------------------------------------- */

/* The longest common prefix of the matches, malloc'd. */
static char *common_prefix(char **m, size_t n)
{
    size_t len = strlen(m[0]);
    for (size_t i = 1; i < n; i++) {
        size_t k = 0;
        while (k < len && m[i][k] == m[0][k]) k++;
        len = k;
    }
    return strndup(m[0], len);
}

static void free_matches(char **m, int n)
{
    for (int i = 0; i < n; i++) free(m[i]);
    free(m);
}

/* lang_complete's matches replace the line from `wstart`; readline replaces from `start`.
 * Re-bases each match onto `start` (the two agree when the word breaks match ours). */
static char *rebase(const char *match, size_t wstart, size_t start)
{
    if (wstart == start) return strdup(match);
    if (wstart < start) {
        size_t skip = start - wstart;
        return strdup(strlen(match) >= skip ? match + skip : "");
    }
    size_t pre = wstart - start;
    char *s = malloc(pre + strlen(match) + 1);
    if (!s) return NULL;
    memcpy(s, rl_line_buffer + start, pre);
    strcpy(s + pre, match);
    return s;
}

/* readline's completion array: [0] the text to insert (the common prefix), then the matches,
 * then NULL. readline frees it. */
static char **to_readline_matches(char **m, int n, size_t wstart, size_t start)
{
    char **out = calloc((size_t)n + 2, sizeof *out);
    if (!out) return NULL;
    int k = 1;
    for (int i = 0; i < n; i++)
        if ((out[k] = rebase(m[i], wstart, start))) k++;
    if (k == 1) {
        free(out);
        return NULL;
    }
    if (k == 2) {   /* one match: readline wants it alone in [0] */
        out[0] = out[1];
        out[1] = NULL;
        return out;
    }
    out[0] = common_prefix(out + 1, (size_t)k - 1);
    return out;
}

static char **attempt_completion(const char *text, int start, int end)
{
    (void)text;
    rl_attempted_completion_over = 1;   /* never fall back to file names */
    rl_completion_append_character = '\0';
    if (!rl.vm) return NULL;
    char **m = NULL;
    size_t wstart = (size_t)start;
    int n = lang_complete(rl.vm, rl_line_buffer, (size_t)end, &m, &wstart);
    if (n <= 0) {
        free(m);
        return NULL;
    }
    char **out = to_readline_matches(m, n, wstart, (size_t)start);
    free_matches(m, n);
    return out;
}

/* Tab indents when only blanks precede the cursor (as Python's REPL does); else completes.
 * rl_complete() lists the matches on a second Tab only when it was the last command, so a
 * second press of this key is passed on as such. */
static int tab_key(int count, int key)
{
    for (int i = 0; i < rl_point; i++) {
        if (rl_line_buffer[i] == ' ' || rl_line_buffer[i] == '\t') continue;
        if (rl_last_func == tab_key) rl_last_func = rl_complete;
        return rl_complete(count, key);
    }
    rl_insert_text("    ");
    return 0;
}

void repl_completion_attach(lang_vm *vm)
{
    rl.vm = vm;
}

/* Word breaks are every character that cannot be part of a name, so readline's word is the
 * name (or attribute) being typed, as lang_complete sees it. */
static void setup_once(void)
{
    if (rl.ready) return;
    rl.ready = 1;
    rl_readline_name = "nabla";
    rl_catch_signals = 0;   /* our SIGINT handler and wait_for_key() do it */
    rl_persistent_signal_handlers = 1;   /* SIGWINCH noticed while the prompt waits, too */
    rl_initialize();
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(}[]),.+-*/%:!~^#";
    rl_completer_word_break_characters = rl_basic_word_break_characters;
    rl_attempted_completion_function = attempt_completion;
    rl_bind_key('\t', tab_key);
}

#else /* REPL_NO_READLINE: fgets, no history, no completion */

char *repl_readline(const char *prompt, const char *prefill, int *cancelled)
{
    (void)prefill;
    *cancelled = 0;
    fputs(prompt, stdout);
    fflush(stdout);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getline(&buf, &cap, stdin);
    if (n < 0) {
        free(buf);
        if (errno == EINTR && repl_signal_pending()) {
            clearerr(stdin);
            fputc('\n', stdout);
            *cancelled = 1;
        }
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = '\0';
    return buf;
}

void repl_add_history(const char *entry) { (void)entry; }
int repl_history_open(void) { return -1; }
void repl_history_close(void) {}
void repl_completion_attach(lang_vm *vm) { (void)vm; }

#endif
