/*
 * dragon4.c -- the decimal digits of a float32, exactly as NumPy prints them.
 *
 * NumPy formats floats with Dragon4 (Steele & White; Burger & Dybvig, "Printing Floating-Point
 * Numbers Quickly and Accurately", PLDI 1996, in Ryan Juckett's formulation, with NumPy's
 * additions: unbiased rounding at even mantissas and a minimum digit count). To print arrays
 * digit for digit like NumPy we run the same algorithm here.
 *
 * The idea: keep the value v and half the gaps to its float neighbours (the margins) as exact
 * integers over a common scale. Emit decimal digits of v one by one; stop as soon as the
 * digits so far, rounded, can only read back as v (v is within a margin of them), unless a
 * minimum digit count asks for more, or the cutoff is reached. Then round the last digit.
 * The integers need at most ~330 bits for float32, so a small fixed-size bignum does.
 */
#include <math.h>
#include <string.h>

#include "engine/engine_internal.h"

#define BIG_BLOCKS 16                       /* 512 bits */

typedef struct big {
    int      len;                           /* used blocks; 0 means zero */
    uint32_t b[BIG_BLOCKS];
} big;

static void big_set(big *x, uint32_t v)
{
    x->len = v != 0;
    x->b[0] = v;
}

static void big_trim(big *x)
{
    while (x->len > 0 && x->b[x->len - 1] == 0)
        x->len--;
}

static int big_cmp(const big *x, const big *y)
{
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    for (int i = x->len - 1; i >= 0; i--)
        if (x->b[i] != y->b[i])
            return x->b[i] < y->b[i] ? -1 : 1;
    return 0;
}

static void big_mul_small(big *x, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < x->len; i++) {
        uint64_t p = (uint64_t)x->b[i] * m + carry;
        x->b[i] = (uint32_t)p;
        carry = p >> 32;
    }
    if (carry && x->len < BIG_BLOCKS)
        x->b[x->len++] = (uint32_t)carry;
}

static void big_shl(big *x, int bits)
{
    for (; bits >= 31; bits -= 31)
        big_mul_small(x, 1u << 31);
    if (bits > 0)
        big_mul_small(x, 1u << bits);
}

static void big_pow2(big *x, int e)
{
    big_set(x, 1);
    big_shl(x, e);
}

static void big_add(big *r, const big *x, const big *y)
{
    uint64_t carry = 0;
    int n = x->len > y->len ? x->len : y->len;
    for (int i = 0; i < n; i++) {
        uint64_t s = carry + (i < x->len ? x->b[i] : 0) + (i < y->len ? y->b[i] : 0);
        r->b[i] = (uint32_t)s;
        carry = s >> 32;
    }
    r->len = n;
    if (carry && n < BIG_BLOCKS)
        r->b[r->len++] = (uint32_t)carry;
}

/* x -= y, x >= y */
static void big_sub(big *x, const big *y)
{
    int64_t borrow = 0;
    for (int i = 0; i < x->len; i++) {
        int64_t d = (int64_t)x->b[i] - (i < y->len ? y->b[i] : 0) - borrow;
        borrow = d < 0;
        x->b[i] = (uint32_t)(d + (borrow ? ((int64_t)1 << 32) : 0));
    }
    big_trim(x);
}

/* The next digit: quotient of value / scale (known to be < 10), value keeps the remainder. */
static int big_divmod_digit(big *value, const big *scale)
{
    int q = 0;
    while (big_cmp(value, scale) >= 0) {
        big_sub(value, scale);
        q++;
    }
    return q;
}

/* The working state: v = value/scale, margins = half-gaps to the neighbours over scale. */
typedef struct d4_state {
    big value, scale, margin_lo, margin_hi;
    int unequal;                            /* margin_hi == 2 * margin_lo (powers of two) */
    int even;                               /* even mantissa: the margins are inclusive */
    int mantissa_bit, exponent;
} d4_state;

/* v = mantissa * 2^exponent, as NumPy's Dragon4_PrintFloat_IEEE_binary32 splits it. Scaling
 * everything by 2 (or 4 when the margins differ) makes the margins integers. */
static void d4_setup(float x, d4_state *s)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint32_t frac = bits & 0x7fffffu, fexp = (bits >> 23) & 0xffu, mant;
    if (fexp != 0) {
        mant = frac | 0x800000u;
        s->exponent = (int)fexp - 150;
        s->mantissa_bit = 23;
        s->unequal = fexp != 1 && frac == 0;
    } else {
        mant = frac;
        s->exponent = -149;
        s->mantissa_bit = 31 - __builtin_clz(mant);
        s->unequal = 0;
    }
    s->even = (mant & 1) == 0;
    int k = s->unequal ? 2 : 1;             /* the extra factor 2 or 4 */
    big_set(&s->value, mant);
    if (s->exponent > 0) {
        big_shl(&s->value, s->exponent + k);
        big_set(&s->scale, 1u << k);
        big_pow2(&s->margin_lo, s->exponent);
    } else {
        big_shl(&s->value, k);
        big_pow2(&s->scale, -s->exponent + k);
        big_set(&s->margin_lo, 1);
    }
    s->margin_hi = s->margin_lo;
    if (s->unequal)
        big_mul_small(&s->margin_hi, 2);
}

static void d4_times10(d4_state *s)
{
    big_mul_small(&s->value, 10);
    big_mul_small(&s->margin_lo, 10);
    s->margin_hi = s->margin_lo;
    if (s->unequal)
        big_mul_small(&s->margin_hi, 2);
}

/* Rounds the digit string up by one unit in its last place (9s carry); may bump *exp10. */
static int round_up(char *digits, int n, int *exp10)
{
    while (n > 0 && digits[n - 1] == '9')
        n--;
    if (n == 0) {
        digits[0] = '1';
        (*exp10)++;
        return 1;
    }
    digits[n - 1]++;
    return n;
}

/* Scales value and margins by a power of ten so that value/scale is in [1, 10) -- or lower when
 * a fractional cutoff starts printing before the first significant digit. Returns the decimal
 * exponent of the first digit plus one. */
static int d4_scale(d4_state *s, int total_length, int cutoff_max)
{
    /* floor(log10 v) + 1 estimated from the binary exponent; may be one too small */
    int dexp = (int)ceil((double)(s->mantissa_bit + s->exponent) * 0.30102999566398119521 - 0.69);
    if (cutoff_max >= 0 && !total_length && dexp <= -cutoff_max)
        dexp = -cutoff_max + 1;
    if (dexp > 0) {
        for (int i = 0; i < dexp; i++)
            big_mul_small(&s->scale, 10);
    } else {
        for (int i = 0; i < -dexp; i++)
            d4_times10(s);
    }
    if (big_cmp(&s->value, &s->scale) >= 0)
        dexp++;
    else
        d4_times10(s);
    return dexp;
}

/* Decimal exponents of the last digit allowed (cutoff_max) and of the last digit required
 * (cutoff_min), counted from the first digit or from the decimal point. */
static void d4_cutoffs(int dexp, int total_length, int cutoff_max, int cutoff_min, int *cut_max,
                       int *cut_min)
{
    *cut_max = dexp - 40;                          /* 40: more digits than a float32 has */
    *cut_min = dexp;
    if (cutoff_max >= 0) {
        int want = total_length ? dexp - cutoff_max : -cutoff_max;
        *cut_max = want > *cut_max ? want : *cut_max;
    }
    if (cutoff_min >= 0) {
        int want = total_length ? dexp - cutoff_min : -cutoff_min;
        *cut_min = want < *cut_min ? want : *cut_min;
    }
}

int eng_dragon4_f32(float x, int total_length, int cutoff_max, int cutoff_min, char *digits,
                    int *exp10)
{
    d4_state s;
    int cut_max, cut_min, n = 0, digit, low, high;
    x = fabsf(x);
    if (x == 0.0f) {
        digits[0] = '0';
        *exp10 = 0;
        return 1;
    }
    d4_setup(x, &s);
    int dexp = d4_scale(&s, total_length, cutoff_max);
    d4_cutoffs(dexp, total_length, cutoff_max, cutoff_min, &cut_max, &cut_min);
    *exp10 = dexp - 1;
    for (;;) {
        dexp--;
        digit = big_divmod_digit(&s.value, &s.scale);
        big hi;
        big_add(&hi, &s.value, &s.margin_hi);
        int c1 = big_cmp(&s.value, &s.margin_lo), c2 = big_cmp(&hi, &s.scale);
        low = s.even ? c1 <= 0 : c1 < 0;           /* rounding down still reads back as v */
        high = s.even ? c2 >= 0 : c2 > 0;          /* rounding up does */
        if (((low | high) && dexp <= cut_min) || dexp == cut_max)
            break;
        digits[n++] = (char)('0' + digit);
        d4_times10(&s);
    }
    /* Round the last digit: the way that stays in range, else to nearest (ties to even). */
    int round_down = low;
    if (low == high) {
        big_mul_small(&s.value, 2);
        int c = big_cmp(&s.value, &s.scale);
        round_down = c < 0 || (c == 0 && (digit & 1) == 0);
    }
    if (round_down || digit < 9) {
        digits[n++] = (char)('0' + digit + !round_down);
        return n;
    }
    return round_up(digits, n, exp10);
}
