/* test_lib_nn_model.c -- lang/lib_nn_model.c through a host, the way front ends see fit:
 * Keras's "Epoch 1/3" lines through print, the bar through host->progress (redraws, then one
 * final line per epoch with the validation figures) or, without that callback, final lines
 * only; verbose 2 and 0; Ctrl-C from host->poll stopping training with the History so far and
 * a warning; a NaN loss warned about; the summary and History as HTML for notebooks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/value.h"

typedef struct host_log {
    char out[1 << 16], warn[4096], last_final[512];
    size_t nout, nwarn;
    int progress_calls, finals, polls, stop_after_polls;
    char html[8192];
} host_log;

static void add(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n >= cap) n = cap - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

static void h_print(void *ud, const char *s, size_t n)
{
    host_log *h = ud;
    add(h->out, sizeof h->out, &h->nout, s, n);
}

static void h_warn(void *ud, const char *s, size_t n)
{
    host_log *h = ud;
    add(h->warn, sizeof h->warn, &h->nwarn, s, n);
}

static void h_progress(void *ud, const char *line, int final)
{
    host_log *h = ud;
    h->progress_calls++;
    if (final) {
        h->finals++;
        snprintf(h->last_final, sizeof h->last_final, "%s", line);
    }
}

static int h_poll(void *ud)
{
    host_log *h = ud;
    return h->stop_after_polls && ++h->polls >= h->stop_after_polls;
}

static void h_result(void *ud, const lang_mime_bundle *b)
{
    host_log *h = ud;
    snprintf(h->html, sizeof h->html, "%s", b->text_html ? b->text_html : "");
}

static lang_vm *vm_with(host_log *h, int progress)
{
    memset(h, 0, sizeof *h);
    lang_host host = { .ud = h, .print = h_print, .warn = h_warn, .poll = h_poll,
                       .result = h_result, .progress = progress ? h_progress : NULL };
    lang_vm *vm = lang_vm_new(&host);
    assert_non_null(vm);
    return vm;
}

static void run(lang_vm *vm, const char *src)
{
    lang_error err;
    if (lang_eval(vm, src, "<test>", LANG_EVAL_ECHO, &err) != LANG_OK) {
        char buf[2048];
        lang_error_format(&err, buf, sizeof buf);
        fail_msg("%s", buf);
    }
}

static const char setup_src[] =
    "x, y = circle(100, seed=1)\n"
    "seed(0)\n"
    "m = Sequential([Dense(4, activation='tanh', input_shape=(2,)), Dense(1, activation='sigmoid')])\n"
    "m.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])\n";

static void test_lib_nn_fit_progress(void **state)
{
    (void)state;
    host_log h;
    lang_vm *vm = vm_with(&h, 1);
    run(vm, setup_src);
    run(vm, "hist = m.fit(x, y, epochs=3, batch_size=10, validation_split=0.2)");
    assert_string_equal(h.out, "Epoch 1/3\nEpoch 2/3\nEpoch 3/3\n");
    assert_int_equal(h.finals, 3);                     /* one finished bar per epoch */
    assert_true(h.progress_calls >= 3);
    /* the final line: "8/8 [====...] - 0s ...us/step - loss: ... - val_accuracy: ..." */
    assert_memory_equal(h.last_final, "8/8 [==============================] - ", 39);
    assert_non_null(strstr(h.last_final, "/step - loss: "));
    assert_non_null(strstr(h.last_final, " - accuracy: "));
    assert_non_null(strstr(h.last_final, " - val_loss: "));
    assert_non_null(strstr(h.last_final, " - val_accuracy: "));
    assert_int_equal(h.nwarn, 0);
    /* verbose=2: only final lines, Keras's per-epoch form; verbose=0: nothing */
    h.finals = 0;
    h.nout = 0;
    run(vm, "m.fit(x, y, epochs=2, verbose=2)");
    assert_int_equal(h.finals, 2);
    assert_memory_equal(h.last_final, "4/4 - 0s - loss: ", 17);
    assert_non_null(strstr(h.last_final, "/epoch - "));
    h.finals = 0;
    h.progress_calls = 0;
    h.nout = 0;
    h.out[0] = '\0';
    run(vm, "m.fit(x, y, epochs=2, verbose=0)");
    assert_int_equal(h.progress_calls, 0);
    assert_string_equal(h.out, "");
    /* evaluate and predict show one bar each (Keras's default verbose=1) */
    run(vm, "r = m.evaluate(x, y)");
    assert_int_equal(h.finals, 1);
    assert_memory_equal(h.last_final, "4/4 [==============================] - ", 39);
    assert_non_null(strstr(h.last_final, " - accuracy: "));
    run(vm, "p = m.predict(x)");
    assert_int_equal(h.finals, 2);
    assert_null(strstr(h.last_final, "loss"));
    lang_vm_free(vm);
}

/* Without a progress callback (output to a file): one final line per epoch, through print. */
static void test_lib_nn_fit_without_progress_callback(void **state)
{
    (void)state;
    host_log h;
    lang_vm *vm = vm_with(&h, 0);
    run(vm, setup_src);
    run(vm, "hist = m.fit(x, y, epochs=2, batch_size=50)");
    assert_memory_equal(h.out, "Epoch 1/2\n2/2 [==============================] - ", 48);
    char *second = strstr(h.out, "Epoch 2/2\n2/2 [");
    assert_non_null(second);
    assert_int_equal(h.out[h.nout - 1], '\n');
    int lines = 0;
    for (size_t i = 0; i < h.nout; i++) lines += h.out[i] == '\n';
    assert_int_equal(lines, 4);
    lang_vm_free(vm);
}

static void test_lib_nn_fit_interrupt(void **state)
{
    (void)state;
    host_log h;
    lang_vm *vm = vm_with(&h, 1);
    run(vm, setup_src);
    run(vm, "w0 = m.layers[0].kernel.detach() * 1");
    h.stop_after_polls = 25;            /* Ctrl-C in the third epoch (10 batches each) */
    run(vm, "hist = m.fit(x, y, epochs=5, batch_size=10, verbose=1)");
    assert_non_null(strstr(h.warn, "KeyboardInterrupt: training stopped in epoch 3 after batch"));
    assert_non_null(strstr(h.warn, "the model keeps its weights, the History has 2 epochs"));
    h.stop_after_polls = 0;
    /* the program goes on: the History has the finished epochs, the weights moved */
    run(vm, "print(len(hist.history['loss']), hist.interrupted, allclose(w0, m.layers[0].kernel))");
    assert_non_null(strstr(h.out, "2 True False\n"));
    lang_vm_free(vm);
}

static void test_lib_nn_warnings_and_html(void **state)
{
    (void)state;
    host_log h;
    lang_vm *vm = vm_with(&h, 1);
    run(vm, setup_src);
    run(vm, "m2 = Sequential([Dense(4, activation='relu', input_shape=(2,)), Dense(1)])");
    run(vm, "m2.compile(optimizer=SGD(1e10), loss='mse')");
    run(vm, "h = m2.fit(x * 1e10, y, epochs=2, verbose=0)");
    assert_non_null(strstr(h.warn, "warning: the loss is nan in epoch"));
    char *again = strstr(h.warn, "warning");
    assert_null(strstr(again + 1, "warning"));         /* once per fit */
    h.nwarn = 0;
    run(vm, "m.fit(x, y, callbacks=[EarlyStopping(monitor='val_accuracy')], verbose=0)");
    assert_non_null(strstr(h.warn, "EarlyStopping monitors 'val_accuracy', which fit does not "
                                   "report (no validation data)"));
    run(vm, "m");                                        /* a model echoes its summary table */
    assert_non_null(strstr(h.html, "<td style=\"text-align:left\">dense (Dense)</td>"));
    run(vm, "h");                                        /* a History echoes a table of epochs */
    if (!strstr(h.html, "<tr><td>2</td><td>nan</td></tr>"))
        fail_msg("history html: %s", h.html);
    lang_vm_free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lib_nn_fit_progress),
        cmocka_unit_test(test_lib_nn_fit_without_progress_callback),
        cmocka_unit_test(test_lib_nn_fit_interrupt),
        cmocka_unit_test(test_lib_nn_warnings_and_html),
    };
    return cmocka_run_group_tests_name("lib_nn_model", tests, NULL, NULL);
}
