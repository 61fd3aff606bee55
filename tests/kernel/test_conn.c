/* test_conn.c -- kernel/conn.c: connection files and bind addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel/kernel.h"

static const char *write_tmp(const char *text)
{
    static char path[4096];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/nabla-conn-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_conn_load_reads_every_field(void **state)
{
    (void)state;
    const char *p = write_tmp("{\"control_port\": 50160, \"shell_port\": 57503, \"transport\": \"tcp\","
                              " \"signature_scheme\": \"hmac-sha256\", \"stdin_port\": 52597,"
                              " \"hb_port\": 42540, \"ip\": \"127.0.0.1\", \"iopub_port\": 40885,"
                              " \"key\": \"a0436f6c-1916\", \"kernel_name\": \"nabla\"}");
    kern_conn c;
    char err[256], addr[300];
    assert_int_equal(kern_conn_load(&c, p, err, sizeof err), 0);
    assert_int_equal(c.shell_port, 57503);
    assert_int_equal(c.hb_port, 42540);
    assert_string_equal(c.key, "a0436f6c-1916");
    kern_conn_address(&c, c.iopub_port, addr, sizeof addr);
    assert_string_equal(addr, "tcp://127.0.0.1:40885");
    strcpy(c.transport, "ipc");
    strcpy(c.ip, "/tmp/k");
    kern_conn_address(&c, 5, addr, sizeof addr);
    assert_string_equal(addr, "ipc:///tmp/k-5");
    unlink(p);
}

static void test_conn_errors_name_the_field(void **state)
{
    (void)state;
    kern_conn c;
    char err[256];
    const char *p = write_tmp("{\"shell_port\": 70000}");
    assert_int_equal(kern_conn_load(&c, p, err, sizeof err), -1);
    assert_non_null(strstr(err, "shell_port"));
    unlink(p);
    p = write_tmp("[1, 2");
    assert_int_equal(kern_conn_load(&c, p, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read connection file"));
    unlink(p);
    assert_int_equal(kern_conn_load(&c, "/nonexistent/x.json", err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_load_reads_every_field),
        cmocka_unit_test(test_conn_errors_name_the_field),
    };
    return cmocka_run_group_tests_name("kernel_conn", tests, NULL, NULL);
}
