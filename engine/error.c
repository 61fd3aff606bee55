/*
 * error.c -- filling eng_error values. Every engine error goes through eng_err so that a NULL
 * err is always allowed and the hint never carries over from an earlier error.
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine/engine_internal.h"

/* ORDER eng_status */
static const char *const status_names[ENG_ERR_COUNT] = {
    [ENG_OK]         = "OK",
    [ENG_ERR_SHAPE]  = "ShapeError",
    [ENG_ERR_INDEX]  = "IndexError",
    [ENG_ERR_VALUE]  = "ValueError",
    [ENG_ERR_TYPE]   = "TypeError",
    [ENG_ERR_MEMORY] = "MemoryError",
    [ENG_ERR_IO]     = "IOError",
};

const char *eng_status_name(int code)
{
    if (code < 0 || code >= ENG_ERR_COUNT)
        return "Error";
    return status_names[code];
}

int eng_err(eng_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
        err->hint[0] = '\0';
    }
    return code;
}

void eng_err_hint(eng_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->hint, sizeof err->hint, fmt, ap);
        va_end(ap);
    }
}

void eng_err_clear(eng_error *err)
{
    if (err) {
        err->code = ENG_OK;
        err->msg[0] = '\0';
        err->hint[0] = '\0';
    }
}
