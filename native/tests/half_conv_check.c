/*
 * elu4j native tests (j): the AVX-512 bf16/f16 conversions of src/half_avx512.h, and the 256-bit
 * F16C conversions of the AVX2 level, against the portable conversions of kernels_impl.h
 * (repeated below, as a reference), lane by lane.
 *
 *   half_conv_check          every float whose low 12 bits are one of 12 patterns (0, 1, the
 *                            halfway points and their neighbours, all ones, ...) and whose top 20
 *                            bits are anything: every sign, exponent and rounding position of both
 *                            formats, ties included, 12.6M floats; and all 65,536 halves widened
 *   half_conv_check --all    every one of the 2^32 float bit patterns (about 10 s)
 *
 * Widening must give the portable bits, but for f16 signalling NaNs, which vcvtph2ps quietens
 * (half_avx512.h): those must differ in the quiet bit alone. bf16 is narrowed by both packs,
 * elu4j_bf16_pack_ne only where the CPU has AVX512_BF16. Exits 77 (ctest: skipped) where the
 * CPU lacks AVX-512 F/BW/VL or F16C.
 *
 * This file is compiled with the AVX-512 level's flags, so any of its code may hold AVX-512
 * instructions (ASan's frame set-up in a function with stack arrays stores zmm registers): main
 * and the CPU check live in half_conv_check_main.c, built without them.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "half_avx512.h"
#include "half_conv_check.h"

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float flt(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* kernels_impl.h's conversions, one element each. */
static uint16_t ref_bf16_narrow(uint32_t b)
{
    const uint32_t rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
    const uint32_t nan = (b >> 16) | 0x40u;
    return (uint16_t)((b & 0x7FFFFFFFu) > 0x7F800000u ? nan : rounded);
}

static uint32_t ref_f16_widen(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7FFFu;
    const uint32_t normal = (em << 13) + 0x38000000u;
    const uint32_t infnan = (em << 13) | 0x7F800000u;
    const uint32_t sub = bits((float)(int32_t)em * 0x1p-24f);
    const uint32_t r = em >= 0x7C00u ? infnan : em >= 0x400u ? normal : sub;
    return r | sign;
}

static uint16_t ref_f16_narrow(uint32_t b)
{
    const uint32_t sign = (b >> 16) & 0x8000u;
    const uint32_t a = b & 0x7FFFFFFFu;
    const uint32_t nan = 0x7E00u | ((a >> 13) & 0x3FFu);
    const uint32_t normal = (a - 0x38000000u + 0xFFFu + ((a >> 13) & 1u)) >> 13;
    const uint32_t sub = bits(flt(a) + 0.5f) - 0x3F000000u;
    const uint32_t r = a > 0x7F800000u ? nan
                       : a >= 0x47800000u ? 0x7C00u
                       : a >= 0x38800000u ? normal
                                          : sub;
    return (uint16_t)(sign | r);
}

static long g_bad;

static void fail(const char *what, uint32_t in, uint32_t got, uint32_t want)
{
    if (g_bad++ < 20) {
        fprintf(stderr, "FAIL %s %08x: got %08x, portable %08x\n", what, in, got, want);
    }
}

/* 32 floats b[0..31]: bf16 narrow (as two vectors of 16: even and odd lanes) and f16 narrow. */
static void check32(const uint32_t *b)
{
    uint32_t e[16], o[16];
    for (int j = 0; j < 16; j++) {
        e[j] = b[2 * j];
        o[j] = b[2 * j + 1];
    }
    const __m512 ye = _mm512_castsi512_ps(_mm512_loadu_si512(e));
    const __m512 yo = _mm512_castsi512_ps(_mm512_loadu_si512(o));
    uint16_t h[32], f[32];
    _mm512_storeu_si512(h, elu4j_bf16_pack(ye, yo));
    _mm256_storeu_si256((__m256i *)(void *)f, elu4j_f16_narrow(ye));
    _mm256_storeu_si256((__m256i *)(void *)(f + 16), elu4j_f16_narrow(yo));
    /* the 256-bit F16C form of the AVX2 level (imm: round to nearest even), on ye */
    uint16_t f8[16];
    _mm_storeu_si128((__m128i *)(void *)f8,
                     _mm256_cvtps_ph(_mm512_castps512_ps256(ye), _MM_FROUND_TO_NEAREST_INT));
    _mm_storeu_si128((__m128i *)(void *)(f8 + 8),
                     _mm256_cvtps_ph(_mm512_extractf32x8_ps(ye, 1), _MM_FROUND_TO_NEAREST_INT));
    for (int j = 0; j < 16; j++) {
        if (f8[j] != f[j]) {
            fail("f16 narrow (256-bit)", e[j], f8[j], f[j]);
        }
    }
    for (int j = 0; j < 32; j++) {
        const uint16_t wb = ref_bf16_narrow(b[j]);
        if (h[j] != wb) {
            fail("bf16 narrow", b[j], h[j], wb);
        }
        const uint16_t wf = ref_f16_narrow(b[j]);
        const uint16_t gf = j % 2 == 0 ? f[j / 2] : f[16 + j / 2]; /* lane j/2 of ye or yo */
        if (gf != wf) {
            fail("f16 narrow", b[j], gf, wf);
        }
    }
}

/* The same for elu4j_bf16_pack_ne (AVX512_BF16; its subnormal lanes take elu4j_bf16_pack). */
static ELU4J_HALF_BF16 void check32_ne(const uint32_t *b)
{
    uint32_t e[16], o[16];
    for (int j = 0; j < 16; j++) {
        e[j] = b[2 * j];
        o[j] = b[2 * j + 1];
    }
    uint16_t h[32];
    _mm512_storeu_si512(h, elu4j_bf16_pack_ne(_mm512_castsi512_ps(_mm512_loadu_si512(e)),
                                              _mm512_castsi512_ps(_mm512_loadu_si512(o))));
    for (int j = 0; j < 32; j++) {
        const uint16_t wb = ref_bf16_narrow(b[j]);
        if (h[j] != wb) {
            fail("bf16 narrow (vcvtne2ps2bf16)", b[j], h[j], wb);
        }
    }
}

static int g_ne; /* the CPU has AVX512_BF16 */

static void check(const uint32_t *b)
{
    check32(b);
    if (g_ne) {
        check32_ne(b);
    }
}

int half_conv_check_run(int all, int ne)
{
    g_ne = ne;

    /* widening, every half: bf16 as the even and odd lanes of 32-element vectors */
    long snan = 0;
    for (uint32_t base = 0; base < 65536; base += 32) {
        uint16_t h[32];
        for (int j = 0; j < 32; j++) {
            h[j] = (uint16_t)(base + (uint32_t)j);
        }
        const __m512i v = _mm512_loadu_si512(h);
        uint32_t e[16], o[16], f0[16], f1[16];
        _mm512_storeu_si512(e, _mm512_castps_si512(elu4j_bf16_even(v)));
        _mm512_storeu_si512(o, _mm512_castps_si512(elu4j_bf16_odd(v)));
        _mm512_storeu_si512(f0, _mm512_castps_si512(elu4j_f16_widen(_mm512_castsi512_si256(v))));
        _mm512_storeu_si512(f1, _mm512_castps_si512(elu4j_f16_widen(_mm512_extracti64x4_epi64(v, 1))));
        uint32_t f8[8]; /* the 256-bit F16C form of the AVX2 level, on the first 8 */
        _mm256_storeu_si256((__m256i *)(void *)f8,
                            _mm256_castps_si256(_mm256_cvtph_ps(_mm512_castsi512_si128(v))));
        for (int j = 0; j < 8; j++) {
            if (f8[j] != f0[j]) {
                fail("f16 widen (256-bit)", h[j], f8[j], f0[j]);
            }
        }
        for (int j = 0; j < 32; j++) {
            const uint32_t gb = j % 2 == 0 ? e[j / 2] : o[j / 2];
            if (gb != (uint32_t)h[j] << 16) {
                fail("bf16 widen", h[j], gb, (uint32_t)h[j] << 16);
            }
            const uint32_t gf = j < 16 ? f0[j] : f1[j - 16], wf = ref_f16_widen(h[j]);
            const int is_snan = (h[j] & 0x7E00u) == 0x7C00u && (h[j] & 0x1FFu) != 0;
            if (is_snan && gf == (wf | 0x00400000u)) {
                snan++; /* quietened (see above) */
            } else if (gf != wf) {
                fail("f16 widen", h[j], gf, wf);
            }
        }
    }
    if (snan != 1022) {
        fail("f16 widen: signalling NaNs quietened", 1022, (uint32_t)snan, 1022);
    }

    /* narrowing */
    static const uint32_t lows[] = {0x000, 0x001, 0x002, 0x3FF, 0x400, 0x7FF,
                                    0x800, 0x801, 0xBFF, 0xC00, 0xFFE, 0xFFF};
    uint32_t b[32];
    uint64_t count = 0;
    if (all) {
        for (uint64_t x = 0; x < (UINT64_C(1) << 32); x += 32) {
            for (int j = 0; j < 32; j++) {
                b[j] = (uint32_t)x + (uint32_t)j;
            }
            check(b);
            count += 32;
        }
    } else {
        int k = 0;
        for (uint32_t hi = 0; hi < (1u << 20); hi++) {
            for (size_t l = 0; l < sizeof lows / sizeof lows[0]; l++) {
                b[k++] = hi << 12 | lows[l];
                if (k == 32) {
                    check(b);
                    count += 32;
                    k = 0;
                }
            }
        }
    }
    printf("half_conv_check: widened all 65536 bf16 and f16 (%ld f16 signalling NaNs quietened), "
           "narrowed %llu floats%s%s: %ld failures -> %s\n",
           snan, (unsigned long long)count, all ? " (every bit pattern)" : "",
           g_ne ? ", bf16 also with vcvtne2ps2bf16" : "", g_bad,
           g_bad == 0 ? "PASS" : "FAIL");
    return g_bad == 0 ? 0 : 1;
}
