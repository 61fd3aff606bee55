/*
 * timeit.c -- the bench's stopwatch: runs a command RUNS times and prints the best wall-clock
 * time in seconds. The command's stdout goes to /dev/null; a failing run is an error.
 *
 *     timeit RUNS COMMAND [ARGS...]      ->  "0.041234"
 *
 * Built by bench/run.sh (cc -O2 bench/timeit.c -o BUILD/bench/timeit); not part of nabla.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1) {
        fputs("usage: timeit RUNS COMMAND [ARGS...]\n", stderr);
        return 2;
    }
    int runs = atoi(argv[1]);
    double best = -1;
    for (int i = 0; i < runs; i++) {
        double t = run_once(argv + 2);
        if (t < 0) {
            fprintf(stderr, "timeit: '%s' failed\n", argv[2]);
            return 1;
        }
        if (best < 0 || t < best) best = t;
    }
    printf("%.6f\n", best);
    return 0;
}
