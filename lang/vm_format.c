/*
 * vm_format.c -- f-strings and the echo of a bare expression. Format specs follow Python's
 * mini-language for what learners write: f"{loss:.4f}", f"{acc:.1%}", f"{n:5d}",
 * f"{name:>10}", f"{x:e}", f"{x:,}".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lang/vm.h"

typedef struct spec {
    char fill, align, sign, type;
    int width, precision, comma, zero;
} spec;

static int parse_spec(const char *s, spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->fill = ' ';
    sp->precision = -1;
    if (s[0] && (s[1] == '<' || s[1] == '>' || s[1] == '^')) { sp->fill = s[0]; sp->align = s[1]; s += 2; }
    else if (s[0] == '<' || s[0] == '>' || s[0] == '^') sp->align = *s++;
    if (*s == '+' || *s == '-' || *s == ' ') sp->sign = *s++;
    if (*s == '0') { sp->zero = 1; s++; }
    while (*s >= '0' && *s <= '9') sp->width = sp->width * 10 + (*s++ - '0');
    if (*s == ',') { sp->comma = 1; s++; }
    if (*s == '.') {
        s++;
        sp->precision = 0;
        while (*s >= '0' && *s <= '9') sp->precision = sp->precision * 10 + (*s++ - '0');
    }
    if (*s && strchr("fFeEgGd%s", *s)) sp->type = *s++;
    return *s == '\0';
}

/* Inserts thousands separators into the integer part of a formatted number. */
static void add_commas(char *num, size_t cap)
{
    char *start = num + (*num == '-' || *num == '+'), *end = start;
    while (*end >= '0' && *end <= '9') end++;
    size_t digits = (size_t)(end - start), commas = digits ? (digits - 1) / 3 : 0;
    if (!commas || strlen(num) + commas + 1 > cap) return;
    memmove(end + commas, end, strlen(end) + 1);
    char *src = end - 1, *dst = end + commas - 1;
    for (size_t k = 0; src >= start; k++) {
        if (k && k % 3 == 0) *dst-- = ',';
        *dst-- = *src--;
    }
}

/* The number in printf's form for the spec's type, before grouping (malloc'd; NULL on OOM).
 * Precisions are capped at 1000 digits; 1e300 with 'f' has 301 integer digits. */
static char *number_text(double d, const spec *sp)
{
    int prec = sp->precision < 0 ? 6 : sp->precision > 1000 ? 1000 : sp->precision;
    char fmt[8] = "%.*f";
    double x = d;
    switch (sp->type) {
    case 'f': case 'F': break;
    case 'e': case 'E': fmt[3] = sp->type; break;
    case 'g': case 'G': fmt[3] = sp->type; prec = prec ? prec : 1; break;
    case '%': strcpy(fmt, "%.*f%%"); x = d * 100; break;
    case 'd': prec = 0; break;
    default:
        if (sp->precision >= 0) {
            fmt[3] = 'g';
            prec = prec ? prec : 1;
            break;
        }
        lang_buf t = {0};
        lang_num_write(&t, d);
        return t.data;
    }
    int n = snprintf(NULL, 0, fmt, prec, x);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) snprintf(s, (size_t)n + 1, fmt, prec, x);
    return s;
}

static lang_status format_number(lang_vm *vm, double d, const spec *sp, lang_buf *b)
{
    if (sp->type == 'd' && d != floor(d))
        return lang_raise(vm, LANG_ERR_VALUE, "format 'd' needs a whole number, got %g", d);
    char *num = number_text(d, sp);
    if (!num) return lang_raise(vm, LANG_ERR_MEMORY, "out of memory formatting a number");
    if (sp->comma) {   /* room for one comma per three digits */
        size_t cap = strlen(num) * 2 + 2;
        char *grouped = realloc(num, cap);
        if (!grouped) {
            free(num);
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory formatting a number");
        }
        num = grouped;
        add_commas(num, cap);
    }
    if (sp->sign == '+' && d >= 0) lang_buf_add(b, "+", 1);
    else if (sp->sign == ' ' && d >= 0) lang_buf_add(b, " ", 1);
    lang_buf_add(b, num, strlen(num));
    free(num);
    return LANG_OK;
}

/* Python's format(42.0, "012,.1f") == "00,000,042.0": zeros join the integer digits and the
 * grouping, until the text is `width` long. */
static void zero_pad_grouped(lang_buf *text, size_t width, lang_buf *out)
{
    char digits[128], res[256];
    size_t k = 0, i = 0;
    int neg = text->len && text->data[0] == '-';
    if (neg) i = 1;
    for (; i < text->len && k < sizeof digits - 1; i++)
        if (text->data[i] != ',') digits[k++] = text->data[i];
    digits[k] = '\0';
    for (;;) {
        snprintf(res, sizeof res, "%s%s", neg ? "-" : "", digits);
        add_commas(res, sizeof res);
        if (strlen(res) >= width || k + 2 >= sizeof digits) break;
        memmove(digits + 1, digits, ++k);
        digits[0] = '0';
    }
    /* a leading ",0..." is not a group: Python pads "0,000" rather than ",000" */
    if (res[neg] == ',') {
        memmove(res + neg + 1, res + neg, strlen(res + neg) + 1);
        res[neg] = '0';
    }
    lang_buf_add(out, res, strlen(res));
}

/* Pads b's text to the spec's width (numbers align right by default, text left). */
static void pad(const spec *sp, int is_number, lang_buf *text, lang_buf *out)
{
    size_t len = 0;
    for (size_t i = 0; i < text->len; i++)   /* count characters, not bytes */
        if (((unsigned char)text->data[i] & 0xC0) != 0x80) len++;
    size_t w = sp->width > 0 ? (size_t)sp->width : 0, fill = w > len ? w - len : 0;
    char align = sp->align ? sp->align : (is_number ? '>' : '<');
    char f = sp->zero && !sp->align ? '0' : sp->fill;
    if (f == '0' && is_number && sp->comma && fill > 0) {   /* 00,000,042.0: the zeros are grouped too */
        zero_pad_grouped(text, w, out);
        return;
    }
    size_t left = align == '>' ? fill : align == '^' ? fill / 2 : 0;
    if (f == '0' && is_number && text->len && (text->data[0] == '-' || text->data[0] == '+')) {
        lang_buf_add(out, text->data, 1);   /* zero padding goes after the sign */
        for (size_t i = 0; i < left; i++) lang_buf_add(out, "0", 1);
        lang_buf_add(out, text->data + 1, text->len - 1);
        return;
    }
    for (size_t i = 0; i < left; i++) lang_buf_add(out, &f, 1);
    if (text->data) lang_buf_add(out, text->data, text->len);
    for (size_t i = left; i < fill; i++) lang_buf_add(out, &f, 1);
}

lang_status lang_op_format(lang_vm *vm, lang_value v, lang_str *spec_str, int repr, lang_value *out)
{
    if (!spec_str || spec_str->len == 0) {
        lang_str *s = lang_value_str(vm, v, repr);
        if (!s) return LANG_ERR_MEMORY;
        *out = lang_obj_val(s);
        return LANG_OK;
    }
    spec sp;
    if (!parse_spec(spec_str->chars, &sp))
        return lang_raise(vm, LANG_ERR_VALUE, "invalid format spec '%s'", spec_str->chars);
    lang_buf text = {0}, result = {0};
    double d;
    int is_number = !repr && (LANG_IS_NUM(v) || LANG_IS_BOOL(v) ||
                              (LANG_IS_TENSOR(v) && LANG_AS_TENSOR(v)->size == 1));
    lang_status st = LANG_OK;
    if (is_number && sp.type != 's') {
        st = lang_arg_num(vm, v, "a formatted value", &d);
        if (st == LANG_OK) st = format_number(vm, d, &sp, &text);
    } else if (sp.type && sp.type != 's') {
        st = lang_raise(vm, LANG_ERR_VALUE, "format '%c' needs a number, got %s", sp.type, lang_type_name(v));
    } else {
        lang_value_write(&text, v, repr);
        if (sp.precision >= 0) {   /* at most `precision` characters (not bytes) */
            size_t i = 0;
            for (int c = 0; i < text.len; i++)
                if (((unsigned char)text.data[i] & 0xC0) != 0x80 && c++ == sp.precision) break;
            text.len = i;
        }
    }
    if (st == LANG_OK) pad(&sp, is_number, &text, &result);
    lang_buf_free(&text);
    if (st != LANG_OK || result.oom) {
        lang_buf_free(&result);
        return st != LANG_OK ? st : lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    }
    lang_str *s = lang_str_new(vm, result.data ? result.data : "", result.len);
    lang_buf_free(&result);
    if (!s) return LANG_ERR_MEMORY;
    *out = lang_obj_val(s);
    return LANG_OK;
}

/* One %-conversion of "fmt % args": flags, width, precision and type become a format spec
 * ("%-8.3f" -> "<8.3f"), so % and f-strings share one formatter. */
static lang_status percent_one(lang_vm *vm, const char **pp, lang_value v, lang_buf *out)
{
    const char *p = *pp;
    char fs[64];
    size_t k = 0;
    int left = 0, zero = 0, plus = 0, space = 0;
    for (;; p++) {
        if (*p == '-') left = 1;
        else if (*p == '0') zero = 1;
        else if (*p == '+') plus = 1;
        else if (*p == ' ') space = 1;
        else break;
    }
    if (left || !zero) fs[k++] = left ? '<' : '>';   /* printf aligns right unless '-' */
    if (plus) fs[k++] = '+';
    else if (space) fs[k++] = ' ';
    if (zero && !left) fs[k++] = '0';
    while ((*p >= '0' && *p <= '9') || *p == '.')
        if (k < sizeof fs - 3) fs[k++] = *p++;
        else p++;
    char type = *p ? *p++ : '\0';
    *pp = p;
    int repr = type == 'r';
    if (type == 'i' || type == 'u') type = 'd';
    if (!strchr("dfFeEgGsrx", type) || type == '\0')
        return lang_raise(vm, LANG_ERR_VALUE, "unsupported format character '%c' after %%", type ? type : '?');
    double d;
    if (type == 'd' && lang_arg_num(vm, v, "%d", &d) == LANG_OK) v = lang_num(trunc(d));   /* '%d' % 3.7 is 3 */
    else if (type == 'd' || type == 'x') {
        lang_status st = lang_arg_num(vm, v, type == 'd' ? "%d" : "%x", &d);
        if (st != LANG_OK) return st;
    }
    if (type == 'x') {
        char hex[32];
        snprintf(hex, sizeof hex, "%llx", (long long)trunc(d));
        lang_buf_add(out, hex, strlen(hex));
        return LANG_OK;
    }
    if (type != 's' && type != 'r') fs[k++] = type;
    lang_str *sp = lang_str_new(vm, fs, k);
    if (!sp) return LANG_ERR_MEMORY;
    lang_value r;
    lang_status st = lang_op_format(vm, v, k ? sp : NULL, repr, &r);
    lang_decref(vm, lang_obj_val(sp));
    if (st != LANG_OK) return st;
    lang_buf_add(out, LANG_AS_STR(r)->chars, LANG_AS_STR(r)->len);
    lang_decref(vm, r);
    return LANG_OK;
}

/* "loss %.3f at %d" % (x, n): C-style formatting of a str, as in Python. */
lang_status lang_op_percent(lang_vm *vm, lang_str *fmt, lang_value args, lang_value *out)
{
    const lang_value *items = &args;
    size_t n = 1, used = 0;
    if (LANG_IS_TUPLE(args)) {
        items = LANG_AS_TUPLE(args)->items;
        n = LANG_AS_TUPLE(args)->len;
    }
    lang_buf b = {0};
    lang_status st = LANG_OK;
    for (const char *p = fmt->chars; *p && st == LANG_OK;) {
        if (*p != '%') {
            const char *q = strchr(p, '%');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            lang_buf_add(&b, p, len);
            p += len;
            continue;
        }
        p++;
        if (*p == '%') { lang_buf_add(&b, "%", 1); p++; continue; }
        if (used == n) { st = lang_raise(vm, LANG_ERR_TYPE, "not enough arguments for the %% format"); break; }
        st = percent_one(vm, &p, items[used++], &b);
    }
    if (st == LANG_OK && used < n)
        st = lang_raise(vm, LANG_ERR_TYPE, "not all arguments converted during %% formatting");
    if (st == LANG_OK) {
        lang_str *s = lang_str_new(vm, b.data ? b.data : "", b.len);
        if (!s) st = LANG_ERR_MEMORY;
        else *out = lang_obj_val(s);
    }
    lang_buf_free(&b);
    return st;
}

lang_status lang_op_concat_strings(lang_vm *vm, lang_value *items, int n, lang_value *out)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) total += LANG_AS_STR(items[i])->len;
    lang_str *s = lang_str_new(vm, "", 0);
    if (!s) return LANG_ERR_MEMORY;
    if (total) {
        lang_decref(vm, lang_obj_val(s));
        lang_buf b = {0};
        for (int i = 0; i < n; i++) lang_buf_add(&b, LANG_AS_STR(items[i])->chars, LANG_AS_STR(items[i])->len);
        if (b.oom) {
            lang_buf_free(&b);
            return lang_raise(vm, LANG_ERR_MEMORY, "out of memory joining strings");
        }
        s = lang_str_new(vm, b.data, b.len);
        lang_buf_free(&b);
        if (!s) return LANG_ERR_MEMORY;
    }
    *out = lang_obj_val(s);
    return LANG_OK;
}

/* Reports the value of a bare expression (the REPL echo, Jupyter's execute_result). */
lang_status lang_echo(lang_vm *vm, lang_value v)
{
    if (vm->capture) {
        *vm->capture = lang_incref(v);
        return LANG_OK;
    }
    if (LANG_IS_NONE(v) || !vm->host.result) return LANG_OK;
    lang_buf b = {0};
    lang_value_write(&b, v, 1);
    if (b.oom) {
        lang_buf_free(&b);
        return lang_raise(vm, LANG_ERR_MEMORY, "out of memory");
    }
    char *html = lang_value_html(vm, v);
    lang_mime_bundle bundle = { .text_plain = b.data ? b.data : "", .text_html = html };
    vm->host.result(vm->host.ud, &bundle);
    free(html);
    lang_buf_free(&b);
    return LANG_OK;
}
