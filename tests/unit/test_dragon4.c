/* test_dragon4.c -- engine/dragon4.c: float32 digits as NumPy's Dragon4 produces them
 * (expected digits from numpy.format_float_scientific / format_float_positional). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/test_engine.h"
#include "engine/engine_internal.h"

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Digits of x (as a string) and the exponent of the first one. */
static void expect_digits(float x, int total, int cut_max, int cut_min, const char *want,
                          int want_exp)
{
    char d[65];
    int e, n = eng_dragon4_f32(x, total, cut_max, cut_min, d, &e);
    d[n] = '\0';
    if (strcmp(d, want) != 0 || e != want_exp)
        fail_msg("%.9g: got %se%d, want %se%d", (double)x, d, e, want, want_exp);
}

static void test_dragon4_shortest_digits(void **state)
{
    expect_digits(0.1f, 1, -1, -1, "1", -1);
    expect_digits(1.0f, 1, -1, -1, "1", 0);
    expect_digits(-2.5f, 1, -1, -1, "25", 0);              /* sign is the caller's business */
    expect_digits(0.0f, 1, -1, -1, "0", 0);
    expect_digits(1.0f / 3, 1, -1, -1, "33333334", -1);
    expect_digits(16777216.0f, 1, -1, -1, "16777216", 7);
    expect_digits(82109984.0f, 1, -1, -1, "8210998", 7);
    expect_digits(3.4028235e38f, 1, -1, -1, "34028235", 38);
    expect_digits(from_bits(1), 1, -1, -1, "1", -45);        /* smallest subnormal */
    expect_digits(from_bits(0x007fffffu), 1, -1, -1, "11754942", -38);
}

/* Powers of two have a lopsided rounding interval; NumPy keeps the digit that stays inside
 * it (…775), not the nearest one (…774), which would read back as another float. */
static void test_dragon4_unequal_margins(void **state)
{
    expect_digits(0x1p-96f, 1, -1, -1, "12621775", -29);
    expect_digits(0x1p-96f, 1, 8, 8, "12621775", -29);
    /* format_float_scientific(np.float32(2**-96), precision=8, min_digits=8) */
    expect_digits(0x1p-96f, 1, 9, 9, "126217745", -29);
    expect_digits(0x1p87f, 1, -1, -1, "15474251", 26);
}

static void test_dragon4_cutoff_and_min_digits(void **state)
{
    /* format_float_positional(np.float32(0.00012345678), precision=8) -> 0.00012346 */
    expect_digits(0.00012345678f, 0, 8, -1, "12346", -4);
    /* ... precision=3 of 0.99999994 -> "1." (the carry runs through every 9) */
    expect_digits(0.99999994f, 0, 3, -1, "1", 0);
    /* min_digits 0 in positional mode prints every integer digit exactly */
    expect_digits(82109984.0f, 0, 8, 0, "82109984", 7);
    /* format_float_scientific(np.float32(1.7336999936e10), precision=8, min_digits=8) */
    expect_digits(1.7336999936e10f, 1, 9, 9, "173369999", 10);
    expect_digits(1.0f, 1, 4, 4, "1000", 0);
}

/* Random float32 bit patterns against numpy.format_float_scientific(x, unique=True). */
static void test_dragon4_random_values_match_numpy(void **state)
{
    static const struct { uint32_t bits; const char *digits; int exp; } cases[] = {
        { 0x2240cc4eu, "2612901", -18 },  { 0x20e9fa10u, "39637213", -19 },
        { 0x4c0d7a67u, "37087644", 7 },   { 0x170c647cu, "4536327", -25 },
        { 0x19fbcbdeu, "26035133", -23 }, { 0x3650ebd3u, "31131683", -6 },
        { 0x075829b0u, "16262285", -34 }, { 0x7c49f18du, "41942036", 36 },
        { 0x25de7bdfu, "385948", -16 },   { 0x66c83754u, "47274696", 23 },
        { 0x6d9f3cd3u, "6160206", 27 },   { 0x0c398a35u, "14293472", -31 },
        { 0x12071537u, "4262464", -28 },  { 0x0af14376u, "23232832", -32 },
        { 0x2138dd94u, "6263488", -19 },  { 0x4122d059u, "10175866", 1 },
        { 0x72c5a74cu, "7829862", 30 },   { 0x7abcf3b1u, "49054723", 35 },
        { 0x1f33c35cu, "38066322", -20 }, { 0x5e4b2490u, "36594958", 18 },
        { 0x5e765556u, "4437547", 18 },   { 0x254f393bu, "17973778", -16 },
        { 0x02ea74dbu, "34450282", -37 }, { 0x71988ad5u, "15107059", 30 },
    };
    for (int i = 0; i < NELEMS(cases); i++)
        expect_digits(from_bits(cases[i].bits), 1, 9, -1, cases[i].digits, cases[i].exp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dragon4_shortest_digits),
        cmocka_unit_test(test_dragon4_unequal_margins),
        cmocka_unit_test(test_dragon4_cutoff_and_min_digits),
        cmocka_unit_test(test_dragon4_random_values_match_numpy),
    };
    return cmocka_run_group_tests_name("dragon4", tests, NULL, NULL);
}
