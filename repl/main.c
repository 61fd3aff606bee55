/*
 * main.c -- the command line of `nabla` (see repl.h for the modes and exit statuses).
 */
#include <stdlib.h>
#include <string.h>

#include "repl/repl_internal.h"

enum { EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: nabla [FILE.nabla [ARGS...]]   run a script (argv is [FILE, ARGS...])\n"
    "       nabla -e CODE [ARGS...]        run CODE\n"
    "       nabla --dis FILE               show the bytecode of FILE\n"
    "       nabla -                        read the program from stdin\n"
    "       nabla                          interactive REPL (or stdin, when it is piped)\n"
    "       nabla --version | --help\n"
    "\n"
    "In the REPL: help() for help, Tab completes, Ctrl-C interrupts, Ctrl-D leaves.\n"
    "History is kept in $NABLA_HISTORY, else $XDG_STATE_HOME/nabla/history,\n"
    "else ~/.local/state/nabla/history.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("nabla: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(usage_text, stderr);
    return EXIT_USAGE;
}

/* `nabla` with no file: the REPL at a terminal, the piped mode otherwise. */
static int run_stdin(repl_session *s, int force_stream)
{
    if (s->interactive && !force_stream) return repl_run_interactive(s);
    return repl_run_stream(s);
}

/* Runs the mode chosen by argv[i] onwards. */
static int run_mode(repl_session *s, int argc, char **argv, int i)
{
    if (i >= argc) return run_stdin(s, 0);
    const char *a = argv[i];
    if (strcmp(a, "-e") == 0) {
        if (i + 1 >= argc) return usage_error("%s needs CODE", a);
        const char *code = argv[i + 1];
        argv[i + 1] = argv[i];   /* the program's argv is ["-e", ARGS...], like Python's -c */
        lang_set_argv(s->vm, argc - i - 1, argv + i + 1);
        return repl_run_string(s, code, "<string>");
    }
    if (strcmp(a, "--dis") == 0) {
        if (i + 1 >= argc) return usage_error("%s needs a FILE", a);
        return repl_disassemble_file(s, argv[i + 1]);
    }
    lang_set_argv(s->vm, argc - i, argv + i);
    if (strcmp(a, "-") == 0) return run_stdin(s, 1);
    if (a[0] == '-') return usage_error("unknown option '%s'", a);
    return repl_run_file(s, a);
}

int repl_main(int argc, char **argv)
{
    const char *first = argc > 1 ? argv[1] : "";
    if (!strcmp(first, "--version") || !strcmp(first, "-V")) {
        printf("nabla %s\n", LANG_VERSION);
        return 0;
    }
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    repl_session s;
    if (repl_session_init(&s, stdin) != 0) return 1;
    int status = run_mode(&s, argc, argv, 1);
    repl_session_free(&s);
    fflush(stdout);
    return status;
}

int main(int argc, char **argv)
{
    return repl_main(argc, argv);
}
