/*
 * elu4j_soft_fmaf (src/soft_fma.h, the portable level's fused multiply-add) against fmaf from
 * libm, bit for bit: operands of every class (random bit patterns, with zeros, infinities, NaNs
 * and subnormals mixed in), products that cancel against c, results around the subnormal range
 * and the overflow threshold, and constructed cases where p + c rounds to double exactly on a
 * float midpoint but is not one (where rounding twice would go wrong).
 */
#include "soft_fma.h"
#include "test_util.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint32_t next32(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static float any_float(void)
{
    static const uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
                                        0x7fc00000u, 0xffa00001u, 0x00000001u, 0x807fffffu,
                                        0x7f7fffffu, 0x00800000u, 0x3f800000u, 0xbf800000u};
    const uint32_t r = next32();
    return r % 16 == 0 ? float_of(specials[(r >> 8) % (sizeof specials / sizeof specials[0])])
                       : float_of(next32());
}

static float near_one(void)
{
    return 1.0f + (float)(next32() & 0xffffff) * 0x1p-24f;
}

static long g_checked, g_wrong;

static void check(float a, float b, float c)
{
    const float want = fmaf(a, b, c);
    const float got = elu4j_soft_fmaf(a, b, c);
    const float exact = elu4j_soft_fmaf_exact(a, b, c);
    g_checked++;
    const int same = isnan(want) ? isnan(got) && isnan(exact)
                                 : bits_of(want) == bits_of(got) && bits_of(want) == bits_of(exact);
    if (!same) {
        if (g_wrong++ < 10) {
            printf("FAIL fmaf(%a, %a, %a): soft %a (exact path %a), libm %a\n", a, b, c, got, exact,
                   want);
        }
    }
}

int main(void)
{
    for (int i = 0; i < 4000000; i++) { /* every class */
        check(any_float(), any_float(), any_float());
    }
    for (int i = 0; i < 4000000; i++) { /* a * b close to -c: cancellation, tiny results */
        const float a = any_float(), b = near_one();
        const float c = -(float)((double)a * (double)b) * (next32() % 2 ? 1.0f : near_one());
        check(a, b, c);
    }
    for (int i = 0; i < 2000000; i++) { /* results near the subnormal range and near overflow */
        const float a = near_one() * 0x1p-70f, b = near_one() * 0x1p-60f;
        check(a, b, near_one() * 0x1p-130f * (next32() % 2 ? 1.0f : -1.0f));
        check(near_one() * 0x1p64f, near_one() * 0x1p63f, -near_one() * 0x1p127f);
        check(0x1.fffffep127f, near_one(), -0x1p104f * near_one());
    }
    /* p exactly a float midpoint (25 significant bits) plus a c far below it: p + c rounds to
       p in double, but the exact value is not the midpoint */
    long made = 0;
    for (int i = 0; made < 300000 && i < 50000000; i++) {
        const float a = 1.0f + (float)(next32() & 0x1fff) * 0x1p-13f;
        const float b = 1.0f + (float)(next32() & 0x1fff) * 0x1p-13f;
        const double p = (double)a * (double)b;
        uint64_t u;
        memcpy(&u, &p, 8);
        if ((u & 0x1fffffffull) != 0x10000000ull) {
            continue; /* not a float midpoint */
        }
        const int e = (int)(next32() % 200) - 100;
        const float as = ldexpf(a, e), sign = next32() % 2 ? 1.0f : -1.0f;
        const float tiny = ldexpf(near_one(), e - 40 - (int)(next32() % 60));
        check(as, sign * b, tiny);
        check(as, sign * b, -tiny);
        check(as, sign * b, 0.0f); /* a true tie: rounds to even */
        made++;
    }
    CHECK(made >= 100000, "only %ld midpoint cases constructed", made);
    printf("test_soft_fma: %ld operand triples, %ld wrong\n", g_checked, g_wrong);
    CHECK(g_wrong == 0, "elu4j_soft_fmaf differs from fmaf");
    return test_summary("test_soft_fma");
}
