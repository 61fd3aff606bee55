/*
 * main.c -- build/nabla-kernel: `nabla-kernel -f CONNECTION_FILE` serves one Jupyter kernel;
 * `nabla-kernel --install [--user | --prefix DIR | --sys-prefix]` writes the kernelspec.
 */
#include "kernel/kernel.h"
#include "lang/nabla.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "usage: nabla-kernel -f CONNECTION_FILE\n"
    "       nabla-kernel --install [--user | --prefix DIR | --sys-prefix]\n"
    "\n"
    "The Jupyter kernel of nabla. Jupyter starts it with -f; --install writes the kernelspec\n"
    "\"nabla\" (default: /usr/local/share/jupyter/kernels/nabla). Then open a notebook with\n"
    "the \"Nabla\" kernel, e.g. `jupyter lab` -> New -> Notebook -> Nabla.\n";

static int install(int argc, char **argv)
{
    kern_install_mode mode = KERN_INSTALL_SYSTEM;
    const char *prefix = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--user") == 0) mode = KERN_INSTALL_USER;
        else if (strcmp(argv[i], "--sys-prefix") == 0) mode = KERN_INSTALL_SYS_PREFIX;
        else if (strcmp(argv[i], "--prefix") == 0 && i + 1 < argc) { mode = KERN_INSTALL_PREFIX; prefix = argv[++i]; }
        else if (strncmp(argv[i], "--prefix=", 9) == 0) { mode = KERN_INSTALL_PREFIX; prefix = argv[i] + 9; }
        else { fprintf(stderr, "nabla-kernel: unknown option %s\n%s", argv[i], USAGE); return 2; }
    }
    char dir[4096], err[512];
    if (kern_install(mode, prefix, NULL, dir, sizeof dir, err, sizeof err) != 0) {
        fprintf(stderr, "nabla-kernel: %s\n", err);
        return 1;
    }
    printf("Installed the Nabla kernelspec in %s\n", dir);
    return 0;
}

static int serve(const char *path)
{
    kern_conn conn;
    char err[512];
    if (kern_conn_load(&conn, path, err, sizeof err) != 0) {
        fprintf(stderr, "nabla-kernel: %s\n", err);
        return 1;
    }
    kern_server *srv = kern_server_new(&conn, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "nabla-kernel: %s\n", err);
        return 1;
    }
    int rc = kern_server_run(srv);
    kern_server_free(srv);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--install") == 0) return install(argc, argv);
    if (argc == 3 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--connection-file") == 0))
        return serve(argv[2]);
    if (argc == 2 && strncmp(argv[1], "--connection-file=", 18) == 0) return serve(argv[1] + 18);
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("nabla-kernel %s (Jupyter protocol %s)\n", LANG_VERSION, KERN_PROTOCOL_VERSION);
        return 0;
    }
    fputs(USAGE, argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr);
    return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
}
