/*
 * logo.c -- nabla draws its own kernelspec logos: the nabla symbol, a downward triangle drawn
 * as a thick outline, anti-aliased by 4x4 supersampling, on a transparent ground.
 */
#include "kernel/kernel.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Signed distance of (x, y) from the edge a->b; positive on the triangle's inner side. */
static double edge_dist(double x, double y, const double a[2], const double b[2])
{
    double ex = b[0] - a[0], ey = b[1] - a[1];
    double len = ex * ex + ey * ey;
    if (len <= 0) return 0;
    /* Vertices are listed clockwise on screen (y down), so the inside is to the right. */
    return ((x - a[0]) * ey - (y - a[1]) * ex) / sqrt(len) * -1.0;
}

/* Fraction (0..1) of the pixel (px, py) covered by the outline of the triangle. */
static double coverage(int px, int py, const double v[3][2], double stroke)
{
    int hits = 0;
    for (int sy = 0; sy < 4; sy++)
        for (int sx = 0; sx < 4; sx++) {
            double x = px + (sx + 0.5) / 4, y = py + (sy + 0.5) / 4;
            double d0 = edge_dist(x, y, v[0], v[1]);
            double d1 = edge_dist(x, y, v[1], v[2]);
            double d2 = edge_dist(x, y, v[2], v[0]);
            double d = d0 < d1 ? (d0 < d2 ? d0 : d2) : (d1 < d2 ? d1 : d2);
            if (d >= 0 && d <= stroke) hits++;
        }
    return hits / 16.0;
}

/* RGBA pixels of the logo, size*size*4 bytes, malloc'd. */
static unsigned char *draw_logo(int size)
{
    unsigned char *px = calloc((size_t)size * size, 4);
    if (!px) return NULL;
    double s = size;
    double v[3][2] = {{0.08 * s, 0.14 * s}, {0.92 * s, 0.14 * s}, {0.5 * s, 0.9 * s}};
    double stroke = 0.14 * s;
    for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++) {
            double c = coverage(x, y, v, stroke);
            unsigned char *p = px + ((size_t)y * size + x) * 4;
            p[0] = 0x24; p[1] = 0x63; p[2] = 0xEB;   /* blue #2463EB */
            p[3] = (unsigned char)(c * 255 + 0.5);
        }
    return px;
}

/* libpng reports errors by longjmp; the jump never leaves this function. */
static int write_png(FILE *f, const unsigned char *px, int size)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) { png_destroy_write_struct(&png, NULL); return -1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < size; y++) png_write_row(png, px + (size_t)y * size * 4);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int kern_logo_write_png(const char *path, int size, char *err, size_t errcap)
{
    if (size < 8 || size > 1024) {
        snprintf(err, errcap, "logo size %d is out of range", size);
        return -1;
    }
    unsigned char *px = draw_logo(size);
    if (!px) { snprintf(err, errcap, "out of memory drawing the logo"); return -1; }
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (!f) {
        snprintf(err, errcap, "cannot write %s", path);
    } else {
        rc = write_png(f, px, size);
        if (fclose(f) != 0) rc = -1;
        if (rc != 0) snprintf(err, errcap, "cannot write the PNG %s", path);
    }
    free(px);
    return rc;
}
