/*
 * host.c -- the lang_host callbacks for a terminal (DESIGN.md 1: lang never prints; the front
 * end decides where text goes).
 *
 *   print, result, page      -> stdout
 *   warn                     -> stderr (after flushing stdout, so the two interleave in order)
 *   display, update_display  -> the bundle's text/plain on stdout. Pictures are for the SDL
 *                               window of a later issue: show_bundle() is the one seam it needs.
 *   clear_output             -> erases the current line on a terminal, nothing otherwise
 *   input                    -> readline at a terminal, else a line of the session's input
 *   poll                     -> the Ctrl-C flag
 *   progress                 -> a training bar redrawn with '\r' on a terminal, final lines only otherwise
 *
 * stdout is flushed after every write when it is a terminal (prompts and progress bars must
 * appear at once); when it is a pipe or file it stays block-buffered for speed and is flushed
 * before anything goes to stderr, before input is read and after every entry.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repl/repl_internal.h"

void repl_flush(void)
{
    fflush(stdout);
}

static void write_out(repl_session *s, const char *text, size_t n)
{
    fwrite(text, 1, n, stdout);
    if (s->out_tty) fflush(stdout);
}

/* Writes `text` and a newline unless it already ends in one. */
static void write_line(repl_session *s, const char *text)
{
    size_t n = strlen(text);
    fwrite(text, 1, n, stdout);
    if (n == 0 || text[n - 1] != '\n') fputc('\n', stdout);
    if (s->out_tty) fflush(stdout);
}

static void host_print(void *ud, const char *text, size_t n)
{
    write_out(ud, text, n);
}

static void host_warn(void *ud, const char *text, size_t n)
{
    (void)ud;
    repl_flush();
    fwrite(text, 1, n, stderr);
}

static void host_result(void *ud, const lang_mime_bundle *b)
{
    write_line(ud, b->text_plain);
}

/* The seam for pictures: a terminal shows the text form. The SDL window (a later issue) will
 * show b->image_png here and fall back to the text when no display is available. */
static void show_bundle(repl_session *s, const lang_mime_bundle *b, const char *display_id)
{
    (void)display_id;
    write_line(s, b->text_plain);
}

static void host_display(void *ud, const lang_mime_bundle *b, const char *display_id)
{
    show_bundle(ud, b, display_id);
}

static void host_update_display(void *ud, const lang_mime_bundle *b, const char *display_id)
{
    show_bundle(ud, b, display_id);
}

static void host_clear_output(void *ud, int wait)
{
    repl_session *s = ud;
    (void)wait;
    if (s->out_tty) write_out(s, "\r\033[K", 4);
}

static void host_page(void *ud, const char *text)
{
    write_line(ud, text);
}

/* A training bar: redrawn in place on a terminal; elsewhere only finished lines are kept (one
 * line per epoch, as Keras writes to a file). */
static void host_progress(void *ud, const char *line, int final)
{
    repl_session *s = ud;
    if (s->out_tty) {
        write_out(s, "\r", 1);
        write_out(s, line, strlen(line));
        write_out(s, final ? "\033[K\n" : "\033[K", final ? 4 : 3);
    } else if (final) {
        write_line(s, line);
    }
}

/* A line from a non-terminal input: the prompt is still shown, as Python's input() does. */
static int read_stream_line(repl_session *s, const char *prompt, char **line)
{
    fputs(prompt, stdout);
    repl_flush();
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getline(&buf, &cap, s->in);
    if (n < 0) {
        free(buf);
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
    *line = buf;
    return 0;
}

static int host_input(void *ud, const char *prompt, char **line)
{
    repl_session *s = ud;
    if (!prompt) prompt = "";
    if (!isatty(fileno(s->in))) return read_stream_line(s, prompt, line);
    repl_flush();
    int cancelled = 0;
    *line = repl_readline(prompt, NULL, &cancelled);
    if (cancelled) s->input_cancelled = 1;   /* the flag stays set: the eval stops */
    return *line ? 0 : -1;
}

static int host_poll(void *ud)
{
    (void)ud;
    return repl_signal_pending();
}

void repl_host_init(repl_session *s)
{
    lang_host h = {
        .ud = s,
        .print = host_print,
        .warn = host_warn,
        .result = host_result,
        .display = host_display,
        .update_display = host_update_display,
        .clear_output = host_clear_output,
        .page = host_page,
        .input = host_input,
        .poll = host_poll,
        .progress = host_progress,
    };
    s->host = h;
}
