/*
 * install.c -- writes the kernelspec "nabla": kernel.json plus the two logos, into the Jupyter
 * data directory chosen like `jupyter kernelspec install` does (jupyter_core paths).
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t errcap)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errcap, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errcap, "cannot create %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = c;
        if (c == '\0') return 0;
    }
}

/* The Jupyter user data dir: $JUPYTER_DATA_DIR, $XDG_DATA_HOME/jupyter, ~/.local/share/jupyter. */
static int user_data_dir(char *out, size_t cap, char *err, size_t errcap)
{
    const char *v;
    if ((v = getenv("JUPYTER_DATA_DIR")) && *v) snprintf(out, cap, "%s", v);
    else if ((v = getenv("XDG_DATA_HOME")) && *v) snprintf(out, cap, "%s/jupyter", v);
    else if ((v = getenv("HOME")) && *v) snprintf(out, cap, "%s/.local/share/jupyter", v);
    else { snprintf(err, errcap, "--user needs $HOME or $JUPYTER_DATA_DIR"); return -1; }
    return 0;
}

static int spec_base(kern_install_mode mode, const char *prefix, char *out, size_t cap,
                     char *err, size_t errcap)
{
    const char *v;
    switch (mode) {
    case KERN_INSTALL_USER:
        return user_data_dir(out, cap, err, errcap);
    case KERN_INSTALL_PREFIX:
        if (!prefix || !*prefix) { snprintf(err, errcap, "--prefix needs a directory"); return -1; }
        snprintf(out, cap, "%s/share/jupyter", prefix);
        return 0;
    case KERN_INSTALL_SYS_PREFIX:
        if (!((v = getenv("CONDA_PREFIX")) && *v) && !((v = getenv("VIRTUAL_ENV")) && *v)) v = "/usr";
        snprintf(out, cap, "%s/share/jupyter", v);
        return 0;
    case KERN_INSTALL_SYSTEM:
    default:
        snprintf(out, cap, "/usr/local/share/jupyter");
        return 0;
    }
}

static int write_kernel_json(const char *dir, const char *exe, char *err, size_t errcap)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/kernel.json", dir);
    json_t *spec = json_pack("{s:[s,s,s],s:s,s:s,s:s,s:{s:b}}",
                             "argv", exe, "-f", "{connection_file}",
                             "display_name", "Nabla", "language", "nabla",
                             "interrupt_mode", "signal", "metadata", "debugger", 0);
    int rc = spec ? json_dump_file(spec, path, JSON_INDENT(1)) : -1;
    json_decref(spec);
    if (rc != 0) snprintf(err, errcap, "cannot write %s", path);
    return rc;
}

int kern_install(kern_install_mode mode, const char *prefix, const char *exe, char *dir,
                 size_t dircap, char *err, size_t errcap)
{
    char base[PATH_MAX - 64], self[PATH_MAX];
    if (spec_base(mode, prefix, base, sizeof base, err, errcap) != 0) return -1;
    if (!exe) {
        if (!realpath("/proc/self/exe", self)) {
            snprintf(err, errcap, "cannot find this program's path: %s", strerror(errno));
            return -1;
        }
        exe = self;
        /* `make install DESTDIR=stage` runs the staged binary: the kernelspec must name the
         * final path, without the staging prefix. */
        const char *stage = getenv("DESTDIR");
        size_t n = stage ? strlen(stage) : 0;
        while (n > 1 && stage[n - 1] == '/') n--;
        if (n > 0 && strncmp(self, stage, n) == 0 && self[n] == '/') exe = self + n;
    }
    snprintf(dir, dircap, "%s/kernels/nabla", base);
    if (make_dirs(dir, err, errcap) != 0 || write_kernel_json(dir, exe, err, errcap) != 0)
        return -1;
    const int sizes[2] = {32, 64};
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/logo-%dx%d.png", dir, sizes[i], sizes[i]);
        if (kern_logo_write_png(path, sizes[i], err, errcap) != 0) return -1;
    }
    return 0;
}
