/*
 * test_lang.h -- helpers shared by the language's cmocka drivers (tests/unit/test_<lang file>.c).
 * Include after <cmocka.h>.
 *
 * A buffer host: print appends to f->out, warn to f->warn, an ECHO result's text/plain to
 * f->echo (one line each), display to f->out; input() pops the lines of f->input (NULL: end of
 * input). Programs run through lang_eval exactly as a front end runs them.
 *
 * Checks (tl_expect_*) report a mismatch with print_error and count it, so one test shows every
 * wrong case of a group; end each test with TL_DONE(f), which fails it if any check failed.
 */
#ifndef NABLA_TEST_LANG_H
#define NABLA_TEST_LANG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/nabla.h"

#define TL_BUF_CAP (1 << 17)

typedef struct tl_buf {
    char data[TL_BUF_CAP];
    size_t len;
} tl_buf;

typedef struct tl_fixture {
    lang_vm *vm;
    tl_buf out, warn, echo;
    lang_error err;
    const char *const *input;   /* lines input() returns, NULL-terminated; NULL: no input */
    int n_input_calls;
    int failures;
} tl_fixture;

static inline void tl_buf_add(tl_buf *b, const char *s, size_t n)
{
    if (b->len + n >= sizeof b->data) n = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void tl_buf_clear(tl_buf *b)
{
    b->len = 0;
    b->data[0] = '\0';
}

static inline void tl_host_print(void *ud, const char *s, size_t n)
{
    tl_buf_add(&((tl_fixture *)ud)->out, s, n);
}

static inline void tl_host_warn(void *ud, const char *s, size_t n)
{
    tl_buf_add(&((tl_fixture *)ud)->warn, s, n);
}

static inline void tl_host_result(void *ud, const lang_mime_bundle *b)
{
    tl_fixture *f = ud;
    tl_buf_add(&f->echo, b->text_plain, strlen(b->text_plain));
    tl_buf_add(&f->echo, "\n", 1);
}

static inline int tl_host_input(void *ud, const char *prompt, char **line)
{
    tl_fixture *f = ud;
    f->n_input_calls++;
    if (prompt) tl_buf_add(&f->out, prompt, strlen(prompt));
    if (!f->input || !*f->input) return -1;
    *line = strdup(*f->input++);
    return *line ? 0 : -1;
}

static inline lang_host tl_host(tl_fixture *f)
{
    lang_host h = { .ud = f, .print = tl_host_print, .warn = tl_host_warn,
                    .result = tl_host_result, .input = tl_host_input };
    return h;
}

/* cmocka setup/teardown: *state is a tl_fixture with a fresh VM. */
static inline int tl_setup(void **state)
{
    tl_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    lang_host h = tl_host(f);
    f->vm = lang_vm_new(&h);
    if (!f->vm) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int tl_teardown(void **state)
{
    tl_fixture *f = *state;
    lang_vm_free(f->vm);
    free(f);
    return 0;
}

/* Runs src (flags: 0 or LANG_EVAL_ECHO) with fresh output buffers; returns its status. */
static inline lang_status tl_run_flags(tl_fixture *f, const char *src, int flags)
{
    tl_buf_clear(&f->out);
    tl_buf_clear(&f->warn);
    tl_buf_clear(&f->echo);
    memset(&f->err, 0, sizeof f->err);
    lang_interrupt_clear();
    return lang_eval(f->vm, src, "<test>", flags, &f->err);
}

static inline lang_status tl_run(tl_fixture *f, const char *src) { return tl_run_flags(f, src, 0); }

/* The first line of the formatted error report, without its newline. */
static inline const char *tl_error_line(const lang_error *e, char *line, size_t cap)
{
    char report[4096];
    lang_error_format(e, report, sizeof report);
    size_t n = strcspn(report, "\n");
    if (n >= cap) n = cap - 1;
    memcpy(line, report, n);
    line[n] = '\0';
    return line;
}

/* src must succeed and print exactly want. */
static inline void tl_expect_out(tl_fixture *f, const char *src, const char *want)
{
    lang_status st = tl_run(f, src);
    if (st != LANG_OK) {
        char line[1024];
        print_error("--- program:\n%s\n--- failed: %s\n\n", src, tl_error_line(&f->err, line, sizeof line));
        f->failures++;
    } else if (strcmp(f->out.data, want) != 0) {
        print_error("--- program:\n%s\n--- printed:\n%s--- expected:\n%s\n", src, f->out.data, want);
        f->failures++;
    }
}

/* src must fail; want is the first line of the report ("NameError: line 1, col 7: name 'x'
 * is not defined"), or a prefix of it ending in '*'. */
static inline void tl_expect_error(tl_fixture *f, const char *src, const char *want)
{
    char got[1024];
    size_t n = strlen(want);
    if (tl_run(f, src) == LANG_OK) {
        print_error("--- program:\n%s\n--- succeeded (printed \"%s\"), expected %s\n\n", src,
                    f->out.data, want);
        f->failures++;
        return;
    }
    tl_error_line(&f->err, got, sizeof got);
    int match = n >= 1 && want[n - 1] == '*' ? strncmp(got, want, n - 1) == 0 : strcmp(got, want) == 0;
    if (!match) {
        print_error("--- program:\n%s\n--- error:    %s\n--- expected: %s\n\n", src, got, want);
        f->failures++;
    }
}

/* A condition checked inside a group: reports and counts instead of stopping the test. */
#define TL_CHECK(f, cond)                                                         \
    do {                                                                          \
        if (!(cond)) {                                                            \
            print_error("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            (f)->failures++;                                                      \
        }                                                                         \
    } while (0)

#define TL_DONE(f) assert_int_equal((f)->failures, 0)

#endif
