/*
 * elu4j native tests (b): special values on every supported ISA.
 *
 * NaN (quiet, signalling, negative, with payload) comes back bit for bit; +-0 keep their sign;
 * +inf stays +inf and -inf gives -alpha; positives (subnormal to FLT_MAX) pass through; negative
 * subnormals and tiny negatives give expm1(x) ~ x; -FLT_MAX and everything below about -17.33
 * gives exactly -alpha; each value is tested alone (n = 1, the masked tail) and inside a full
 * vector, since lanes must not influence each other.
 */
#include "test_util.h"

#include <float.h>

#define N_ALPHAS 3
static const float k_alphas[N_ALPHAS] = {1.0f, 0.5f, 1.6732632f};

/* Checks one (x, y) pair: y must equal `expect` bit for bit. */
static void expect_bits(int isa, float alpha, float x, float y, float expect, const char *what)
{
    CHECK(bits_of(y) == bits_of(expect), "%s isa %s alpha %g: x = %a (0x%08x) gave %a (0x%08x), want %a (0x%08x)",
          what, elu4j_isa_name(isa), (double)alpha, (double)x, (unsigned)bits_of(x), (double)y,
          (unsigned)bits_of(y), (double)expect, (unsigned)bits_of(expect));
}

/* Computes y = ELU(x) with the given ISA, alone (n = 1) and in lane `lane` of a 37-float call. */
static void eval(int isa, float x, float alpha, float *alone, float *in_vector, int lane)
{
    float buf_in[37], buf_out[37];
    for (int i = 0; i < 37; i++) {
        buf_in[i] = (float)(i - 18) * 0.37f; /* ordinary neighbours */
    }
    buf_in[lane] = x;
    int st = elu_f32_on(isa, &x, alone, 1, alpha);
    CHECK(st == ELU4J_OK, "isa %s: %s", elu4j_isa_name(isa), elu4j_status_name(st));
    st = elu_f32_on(isa, buf_in, buf_out, 37, alpha);
    CHECK(st == ELU4J_OK, "isa %s: %s", elu4j_isa_name(isa), elu4j_status_name(st));
    *in_vector = buf_out[lane];
}

int main(void)
{
    const float pass_through[] = {
        0.0f, -0.0f, INFINITY, FLT_MAX, FLT_MIN, 0x1p-149f, 0x1.fffffcp-127f, 1e-30f, 1.0f,
        0.5f, 3.0f, 88.0f, 89.0f, 1e30f,
        float_of(0x7fc00000u), /* quiet NaN */
        float_of(0xffc00000u), /* negative quiet NaN */
        float_of(0x7fc12345u), /* NaN with payload */
        float_of(0xfff54321u), /* negative NaN with payload */
        float_of(0x7f800001u), /* signalling NaN */
        float_of(0xff800001u), /* negative signalling NaN */
        float_of(0x7fffffffu),
        float_of(0xffffffffu),
    };
    const size_t n_pass = sizeof pass_through / sizeof pass_through[0];

    /* Values whose result is exactly -alpha: expm1(x) rounds to -1 below about -17.33. */
    const float to_minus_alpha[] = {
        -INFINITY, -FLT_MAX, -1e30f, -1e10f, -104.0f, -103.97f, -100.0f, -89.0f, -88.73f,
        -88.72284f, -88.0f, -87.9f, -87.5f, -87.33655f, -87.0f, -86.0f, -50.0f, -20.0f,
        -17.5f, -17.4f,
    };
    const size_t n_minus = sizeof to_minus_alpha / sizeof to_minus_alpha[0];

    /* Negative values where expm1(x) rounds to x itself (|x| < about 2^-24.5 for alpha = 1). */
    const float to_x[] = {
        -0x1p-149f, -0x3p-149f, -0x1.fffffcp-127f, -FLT_MIN, -0x1.000002p-126f, -1e-30f,
        -1e-20f, -1e-10f, -0x1p-26f,
    };
    const size_t n_to_x = sizeof to_x / sizeof to_x[0];

    /* Ordinary negatives, checked against the double reference: <= 1 ulp for every alpha (the bound docs/accuracy.md states). */
    const float ordinary[] = {
        -0x1p-25f, -3e-8f, -1e-7f, -1e-6f, -1e-3f, -0.01f, -0.1f, -0.25f, -0.3465736f,
        -0.3465737f, -0.5f, -0.6931472f, -1.0f, -2.0f, -5.0f, -10.0f, -15.0f, -16.0f,
        -17.0f, -17.32868f,
    };
    const size_t n_ordinary = sizeof ordinary / sizeof ordinary[0];

    for (int ii = 0; ii < N_ISAS; ii++) {
        const int isa = k_all_isas[ii];
        if (!elu4j_isa_supported(isa)) {
            printf("isa %s: not supported by this CPU, skipped\n", elu4j_isa_name(isa));
            continue;
        }
        for (int a = 0; a < N_ALPHAS; a++) {
            const float alpha = k_alphas[a];
            for (size_t k = 0; k < n_pass; k++) {
                float y1, y2;
                eval(isa, pass_through[k], alpha, &y1, &y2, (int)(k % 37));
                expect_bits(isa, alpha, pass_through[k], y1, pass_through[k], "pass-through (n=1)");
                expect_bits(isa, alpha, pass_through[k], y2, pass_through[k], "pass-through (vector)");
            }
            for (size_t k = 0; k < n_minus; k++) {
                float y1, y2;
                eval(isa, to_minus_alpha[k], alpha, &y1, &y2, (int)((k * 7) % 37));
                expect_bits(isa, alpha, to_minus_alpha[k], y1, -alpha, "-alpha (n=1)");
                expect_bits(isa, alpha, to_minus_alpha[k], y2, -alpha, "-alpha (vector)");
            }
            for (size_t k = 0; k < n_to_x; k++) {
                const float x = to_x[k];
                float y1, y2;
                eval(isa, x, alpha, &y1, &y2, (int)((k * 5 + 3) % 37));
                /* y = alpha * x rounded once: bit-exact against the reference for alpha = 1
                 * and 0.5 (even where 0.5 * x rounds in the subnormal range), <= 1 ulp else. */
                const float want = elu_ref(x, alpha);
                if (alpha == 1.0f || alpha == 0.5f) {
                    expect_bits(isa, alpha, x, y1, want, "tiny negative (n=1)");
                    expect_bits(isa, alpha, x, y2, want, "tiny negative (vector)");
                } else {
                    CHECK(ulp_distance(y1, want) <= 1 && bits_of(y1) == bits_of(y2),
                          "isa %s alpha %g: x = %a gave %a / %a, reference %a",
                          elu4j_isa_name(isa), (double)alpha, (double)x, (double)y1, (double)y2,
                          (double)want);
                }
                CHECK(signbit(y1) && signbit(y2), "isa %s: result of %a lost its sign",
                      elu4j_isa_name(isa), (double)x);
                if (alpha == 1.0f) {
                    CHECK(bits_of(y1) == bits_of(x), "isa %s: expm1(%a) should be x, got %a",
                          elu4j_isa_name(isa), (double)x, (double)y1);
                }
            }
            for (size_t k = 0; k < n_ordinary; k++) {
                const float x = ordinary[k];
                float y1, y2;
                eval(isa, x, alpha, &y1, &y2, (int)((k * 11 + 1) % 37));
                const float want = elu_ref(x, alpha);
                CHECK(ulp_distance(y1, want) <= 1 && bits_of(y1) == bits_of(y2),
                      "isa %s alpha %g: x = %a gave %a / %a, reference %a", elu4j_isa_name(isa),
                      (double)alpha, (double)x, (double)y1, (double)y2, (double)want);
                CHECK(y1 < 0.0f && y1 >= -alpha, "isa %s: %a out of (-alpha, 0)",
                      elu4j_isa_name(isa), (double)y1);
            }
        }
        /* alpha = 0 and negative alpha are finite, hence accepted: y = alpha * expm1(x). */
        float y = 1.0f;
        const float xm = -1.0f;
        CHECK(elu_f32_on(isa, &xm, &y, 1, 0.0f) == ELU4J_OK && bits_of(y) == 0x80000000u,
              "isa %s: alpha 0 should give -0.0, got %a", elu4j_isa_name(isa), (double)y);
        CHECK(elu_f32_on(isa, &xm, &y, 1, -1.0f) == ELU4J_OK && y > 0.6321f && y < 0.6322f,
              "isa %s: alpha -1 should give 0.632..., got %a", elu4j_isa_name(isa), (double)y);
        printf("isa %s: special values checked\n", elu4j_isa_name(isa));
    }
    return test_summary("test_special");
}
