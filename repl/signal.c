/*
 * signal.c -- Ctrl-C. The handler only sets a flag and asks the interpreter to stop
 * (lang_interrupt() is async-signal-safe): the eval returns LANG_ERR_INTERRUPT at its next
 * check with every variable intact, and a prompt waiting in repl_readline() sees the flag
 * when its select() is interrupted and cancels the line. This flag is the one piece of
 * mutable global state of the front end (house rule 12).
 */
#include <signal.h>
#include <string.h>

#include "repl/repl_internal.h"

static volatile sig_atomic_t sigint_pending;

static void on_sigint(int sig)
{
    (void)sig;
    sigint_pending = 1;
    lang_interrupt();
}

/* No SA_RESTART: a blocking read or select returns EINTR, so the prompt can react. */
void repl_signal_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

int repl_signal_pending(void)
{
    return sigint_pending != 0;
}

void repl_signal_clear(void)
{
    sigint_pending = 0;
    lang_interrupt_clear();
}
