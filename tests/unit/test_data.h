/*
 * test_data.h -- helpers for the data drivers (test_data_*.c, test_lib_data.c): a scratch
 * folder per test, files written into it (plain or gzip'd), and damaged copies of files.
 * Include after <cmocka.h>. Every helper fails the current test through cmocka on error.
 */
#ifndef NABLA_TEST_DATA_H
#define NABLA_TEST_DATA_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A fresh folder under $TMPDIR or /tmp; the caller removes it with td_rmdir. */
static inline void td_mkdir(char dir[256])
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, 256, "%s/nabla_data_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp %s failed", dir);
}

/* Removes dir and the files in it (no subfolders are made by these tests except one level). */
static inline void td_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1400];
    if (!d) return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (unlink(path) != 0) td_rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

/* dir/name into a static rotating buffer (four live at once). */
static inline const char *td_path(const char *dir, const char *name)
{
    static char bufs[4][1024];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 1024, "%s/%s", dir, name);
    return b;
}

static inline void td_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

static inline void td_write_text(const char *path, const char *text)
{
    td_write(path, text, strlen(text));
}

static inline void td_write_gz(const char *path, const void *data, size_t n)
{
    gzFile f = gzopen(path, "wb");
    if (!f || (n && gzwrite(f, data, (unsigned)n) != (int)n) || gzclose(f) != Z_OK)
        fail_msg("cannot write %s", path);
}

/* The whole file into a malloc'd buffer (caller frees); *n its size. */
static inline unsigned char *td_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) fail_msg("cannot read %s", path);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* Copies the first n bytes of src to dst (a truncated copy). */
static inline void td_copy_prefix(const char *src, const char *dst, size_t n)
{
    size_t len;
    unsigned char *buf = td_read(src, &len);
    td_write(dst, buf, n < len ? n : len);
    free(buf);
}

/* An IDX header: magic 00 00 type ndim, then ndim big-endian sizes; returns its length. */
static inline size_t td_idx_header(unsigned char *out, unsigned char type, int ndim,
                                   const uint32_t *dims)
{
    out[0] = out[1] = 0;
    out[2] = type;
    out[3] = (unsigned char)ndim;
    for (int d = 0; d < ndim; d++) {
        out[4 + 4 * d] = (unsigned char)(dims[d] >> 24);
        out[5 + 4 * d] = (unsigned char)(dims[d] >> 16);
        out[6 + 4 * d] = (unsigned char)(dims[d] >> 8);
        out[7 + 4 * d] = (unsigned char)dims[d];
    }
    return 4 + 4 * (size_t)ndim;
}

#endif
