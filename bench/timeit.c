/*
 * timeit.c -- the bench's stopwatch: runs each command RUNS times and prints the best
 * wall-clock time of each, in seconds, one per line. Commands are separated by a ";"
 * argument and their runs interleaved (A B C A B C ...), so a burst of load from elsewhere on
 * the machine hits all of them alike. stdout goes to /dev/null; a failing run is an error.
 *
 *     timeit 5 lua5.4 fib.lua ";" python3 fib.py      ->  "0.041234\n0.081234\n"
 *
 * Built by bench/run.sh (cc -O2 bench/timeit.c -o BUILD/bench/timeit); not part of nabla.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One run: wall-clock seconds from fork to exit, or -1 when the command failed. */
static double run_once(char **argv)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, STDOUT_FILENO);
        execvp(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) return -1;
    double t = now() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

enum { MAX_COMMANDS = 16 };

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1) {
        fputs("usage: timeit RUNS COMMAND [ARGS...] [\";\" COMMAND [ARGS...]]...\n", stderr);
        return 2;
    }
    int runs = atoi(argv[1]), n = 0;
    char **cmd[MAX_COMMANDS];
    cmd[n++] = argv + 2;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], ";") != 0) continue;
        argv[i] = NULL;   /* ends the previous command's argv */
        if (i + 1 >= argc || n == MAX_COMMANDS) {
            fputs("timeit: empty command or too many commands\n", stderr);
            return 2;
        }
        cmd[n++] = argv + i + 1;
    }
    double best[MAX_COMMANDS];
    for (int c = 0; c < n; c++) best[c] = -1;
    for (int r = 0; r < runs; r++) {
        for (int c = 0; c < n; c++) {
            double t = run_once(cmd[c]);
            if (t < 0) {
                fprintf(stderr, "timeit: '%s' failed\n", cmd[c][0]);
                return 1;
            }
            if (best[c] < 0 || t < best[c]) best[c] = t;
        }
    }
    for (int c = 0; c < n; c++) printf("%.6f\n", best[c]);
    return 0;
}
