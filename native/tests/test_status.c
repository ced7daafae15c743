/*
 * elu4j native tests (d): status codes, names, version and ISA reporting.
 *
 * f32 ELU of elu4j_forward on each ISA level (pinned) and unpinned: NULL pointers, partial overlap
 * (refused before anything is written), non-finite alpha, sizes whose byte range cannot exist;
 * n == 0 is fine even with NULL pointers; elu4j_pin_isa and elu4j_pin_thread_isa (a thread's own
 * pin, invisible to other threads) with supported, unknown and unsupported ISA numbers;
 * and the names and numbers the Java side relies on. (test_family checks the statuses of every
 * function, type and direction.)
 */
#include "test_util.h"

#include <float.h>
#include <pthread.h>

#define BUF 64

static float g_buf[BUF];
static float g_before[BUF];

/* The level a fresh thread's calls run on (it holds no thread pin). */
static void *active_isa_elsewhere(void *out)
{
    *(int *)out = elu4j_active_isa();
    return NULL;
}

static void reset_buffer(void)
{
    for (int i = 0; i < BUF; i++) {
        g_buf[i] = (float)(i - 32) * 0.25f;
    }
    memcpy(g_before, g_buf, sizeof g_buf);
}

static int buffer_untouched(void)
{
    return memcmp(g_before, g_buf, sizeof g_buf) == 0;
}

/* Expects `want` from the call on every ISA (the usable ones; pinning others is UNSUPPORTED). */
#define EXPECT_STATUS(want, src, dst, n, alpha)                                                   \
    do {                                                                                          \
        for (int ii_ = 0; ii_ < N_ISAS; ii_++) {                                                  \
            const int isa_ = k_all_isas[ii_];                                                     \
            const int want_ = elu4j_isa_supported(isa_) ? (want) : ELU4J_ERR_UNSUPPORTED_ISA;    \
            reset_buffer();                                                                       \
            const int got_ = elu_f32_on(isa_, (src), (dst), (n), (alpha));                       \
            CHECK(got_ == want_, "isa %s: %s -> %s, want %s", elu4j_isa_name(isa_), #src ", " #dst \
                  ", " #n ", " #alpha, elu4j_status_name(got_), elu4j_status_name(want_));        \
            if (want_ != ELU4J_OK) {                                                              \
                CHECK(buffer_untouched(), "isa %s: memory changed on error %s",                   \
                      elu4j_isa_name(isa_), elu4j_status_name(got_));                             \
            }                                                                                     \
        }                                                                                         \
        reset_buffer();                                                                           \
        const int auto_ = elu_f32((src), (dst), (n), (alpha));                                    \
        CHECK(auto_ == (want), "unpinned: %s -> %s, want %s",                                     \
              #src ", " #dst ", " #n ", " #alpha, elu4j_status_name(auto_),                       \
              elu4j_status_name(want));                                                           \
        if ((want) != ELU4J_OK) {                                                                 \
            CHECK(buffer_untouched(), "unpinned: memory changed on error");                      \
        }                                                                                         \
    } while (0)

int main(void)
{
    /* Numbers shared with the Java bindings. */
    CHECK(ELU4J_OK == 0 && ELU4J_ERR_NULL_POINTER == 1 && ELU4J_ERR_INVALID_ARGUMENT == 2 &&
              ELU4J_ERR_OVERLAP == 3 && ELU4J_ERR_UNSUPPORTED_ISA == 4,
          "status numbers changed");
    CHECK(ELU4J_ISA_PORTABLE == 0 && ELU4J_ISA_AVX2 == 1 && ELU4J_ISA_AVX512 == 2,
          "ISA numbers changed");

    /* Version. */
    CHECK(elu4j_version() == ELU4J_VERSION_NUMBER, "version %d", elu4j_version());
    CHECK(elu4j_version() == 200, "version %d, want 200 (0.2.0)", elu4j_version());
    CHECK(strcmp(elu4j_version_string(), "0.2.0") == 0, "version string %s",
          elu4j_version_string());

    /* Names. */
    CHECK(strcmp(elu4j_isa_name(ELU4J_ISA_PORTABLE), "portable") == 0, "name");
    CHECK(strcmp(elu4j_isa_name(ELU4J_ISA_AVX2), "avx2") == 0, "name");
    CHECK(strcmp(elu4j_isa_name(ELU4J_ISA_AVX512), "avx512") == 0, "name");
    CHECK(strcmp(elu4j_isa_name(-1), "unknown") == 0, "name");
    CHECK(strcmp(elu4j_isa_name(3), "unknown") == 0, "name");
    CHECK(strcmp(elu4j_status_name(ELU4J_OK), "ELU4J_OK") == 0, "name");
    CHECK(strcmp(elu4j_status_name(ELU4J_ERR_NULL_POINTER), "ELU4J_ERR_NULL_POINTER") == 0, "name");
    CHECK(strcmp(elu4j_status_name(ELU4J_ERR_INVALID_ARGUMENT), "ELU4J_ERR_INVALID_ARGUMENT") == 0,
          "name");
    CHECK(strcmp(elu4j_status_name(ELU4J_ERR_OVERLAP), "ELU4J_ERR_OVERLAP") == 0, "name");
    CHECK(strcmp(elu4j_status_name(ELU4J_ERR_UNSUPPORTED_ISA), "ELU4J_ERR_UNSUPPORTED_ISA") == 0,
          "name");
    CHECK(strcmp(elu4j_status_name(-1), "unknown status") == 0, "name");
    CHECK(strcmp(elu4j_status_name(5), "unknown status") == 0, "name");

    /* ISA reporting: the best ISA is supported, anything above it is not, portable always is. */
    const int best = elu4j_best_isa();
    printf("best ISA: %s; supported:", elu4j_isa_name(best));
    for (int i = 0; i < N_ISAS; i++) {
        if (elu4j_isa_supported(k_all_isas[i])) {
            printf(" %s", elu4j_isa_name(k_all_isas[i]));
        }
    }
    printf("\n");
    CHECK(best >= ELU4J_ISA_PORTABLE && best <= ELU4J_ISA_AVX512, "best %d", best);
    CHECK(elu4j_isa_supported(best) == 1, "best ISA not supported");
    CHECK(elu4j_isa_supported(ELU4J_ISA_PORTABLE) == 1, "portable must be supported");
    for (int isa = best + 1; isa <= ELU4J_ISA_AVX512; isa++) {
        CHECK(!elu4j_isa_supported(isa), "%s supported but best is %s", elu4j_isa_name(isa),
              elu4j_isa_name(best));
    }
    CHECK(!elu4j_isa_supported(ELU4J_ISA_AVX512) || elu4j_isa_supported(ELU4J_ISA_AVX2),
          "AVX-512 without AVX2");
    CHECK(elu4j_isa_supported(-1) == 0 && elu4j_isa_supported(3) == 0 &&
              elu4j_isa_supported(1000) == 0,
          "unknown ISA numbers must be unsupported");

    /* The pin: every supported level can be pinned and is then the active one; an unsupported
       or unknown level is refused and leaves the pin as it was; ELU4J_ISA_BEST undoes it. */
    CHECK(elu4j_active_isa() == best, "unpinned: active %d, best %d", elu4j_active_isa(), best);
    for (int i = 0; i < N_ISAS; i++) {
        const int isa = k_all_isas[i];
        if (elu4j_isa_supported(isa)) {
            CHECK(elu4j_pin_isa(isa) == ELU4J_OK, "pin %s", elu4j_isa_name(isa));
            CHECK(elu4j_active_isa() == isa, "pinned %s, active %d", elu4j_isa_name(isa),
                  elu4j_active_isa());
            float in[19], out[19];
            for (int k = 0; k < 19; k++) {
                in[k] = (float)k - 9.5f;
            }
            CHECK(elu_f32(in, out, 19, 1.0f) == ELU4J_OK, "pinned %s call", elu4j_isa_name(isa));
            CHECK(out[0] < 0.0f && out[18] == 8.5f, "pinned %s result", elu4j_isa_name(isa));
        } else {
            CHECK(elu4j_pin_isa(ELU4J_ISA_PORTABLE) == ELU4J_OK, "pin portable");
            CHECK(elu4j_pin_isa(isa) == ELU4J_ERR_UNSUPPORTED_ISA, "pin unsupported %s",
                  elu4j_isa_name(isa));
            CHECK(elu4j_active_isa() == ELU4J_ISA_PORTABLE, "a refused pin changed the pin");
        }
    }
    CHECK(elu4j_pin_isa(3) == ELU4J_ERR_INVALID_ARGUMENT, "pin 3");
    CHECK(elu4j_pin_isa(-2) == ELU4J_ERR_INVALID_ARGUMENT, "pin -2");
    CHECK(elu4j_pin_isa(ELU4J_ISA_BEST) == ELU4J_OK, "unpin");
    CHECK(elu4j_active_isa() == best, "unpinned again: active %d", elu4j_active_isa());

    /* The thread pin: it overrides the process pin for the calling thread only, is refused like
       the process pin, and ELU4J_ISA_BEST removes it. */
    CHECK(elu4j_pin_thread_isa(3) == ELU4J_ERR_INVALID_ARGUMENT, "thread pin 3");
    CHECK(elu4j_pin_thread_isa(-2) == ELU4J_ERR_INVALID_ARGUMENT, "thread pin -2");
    for (int i = 0; i < N_ISAS; i++) {
        if (!elu4j_isa_supported(k_all_isas[i])) {
            CHECK(elu4j_pin_thread_isa(k_all_isas[i]) == ELU4J_ERR_UNSUPPORTED_ISA,
                  "thread pin unsupported %s", elu4j_isa_name(k_all_isas[i]));
        }
    }
    CHECK(elu4j_active_isa() == best, "a refused thread pin changed the level");
    CHECK(elu4j_pin_isa(best) == ELU4J_OK, "pin best");
    CHECK(elu4j_pin_thread_isa(ELU4J_ISA_PORTABLE) == ELU4J_OK, "thread pin portable");
    CHECK(elu4j_active_isa() == ELU4J_ISA_PORTABLE, "thread pin: active %d", elu4j_active_isa());
    {
        pthread_t other;
        int seen = -100;
        CHECK(pthread_create(&other, NULL, active_isa_elsewhere, &seen) == 0, "pthread_create");
        CHECK(pthread_join(other, NULL) == 0, "pthread_join");
        CHECK(seen == best, "another thread saw level %d, want the process's %d", seen, best);
    }
    {
        float in[19], out[19];
        for (int k = 0; k < 19; k++) {
            in[k] = (float)k - 9.5f;
        }
        CHECK(elu_f32(in, out, 19, 1.0f) == ELU4J_OK && out[18] == 8.5f, "thread-pinned call");
    }
    CHECK(elu4j_pin_thread_isa(ELU4J_ISA_BEST) == ELU4J_OK, "thread unpin");
    CHECK(elu4j_active_isa() == best, "thread unpinned: active %d", elu4j_active_isa());
    CHECK(elu4j_pin_isa(ELU4J_ISA_BEST) == ELU4J_OK, "unpin");

    float *const buf = g_buf;
    const size_t big = SIZE_MAX / sizeof(float); /* n whose byte range cannot exist */

    /* Success, in place and with n == 0. */
    EXPECT_STATUS(ELU4J_OK, buf, buf + 32, 32, 1.0f);
    EXPECT_STATUS(ELU4J_OK, buf + 32, buf, 32, 1.0f);  /* adjacent, not overlapping */
    EXPECT_STATUS(ELU4J_OK, buf, buf, BUF, 1.0f);       /* in place */
    EXPECT_STATUS(ELU4J_OK, buf, buf + 1, 0, 1.0f);     /* n == 0 needs no valid ranges */
    EXPECT_STATUS(ELU4J_OK, NULL, NULL, 0, 1.0f);
    EXPECT_STATUS(ELU4J_OK, NULL, buf, 0, 1.0f);
    EXPECT_STATUS(ELU4J_OK, buf, NULL, 0, NAN);         /* n == 0: nothing else is checked */
    EXPECT_STATUS(ELU4J_OK, buf, buf + 32, 32, 0.0f);   /* any finite alpha is accepted */
    EXPECT_STATUS(ELU4J_OK, buf, buf + 32, 32, -3.0f);
    EXPECT_STATUS(ELU4J_OK, buf, buf + 32, 32, FLT_MAX);
    EXPECT_STATUS(ELU4J_OK, buf, buf + 32, 32, 0x1p-149f);

    /* NULL pointers. */
    EXPECT_STATUS(ELU4J_ERR_NULL_POINTER, NULL, buf, 1, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_NULL_POINTER, buf, NULL, 1, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_NULL_POINTER, NULL, NULL, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_NULL_POINTER, NULL, buf, 1, NAN); /* NULL is reported first */

    /* Non-finite alpha. */
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, 32, NAN);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, 32, -NAN);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, 32, INFINITY);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, 32, -INFINITY);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf, 1, NAN);

    /* ELU's products out of range (infinite, or below 2^-969 from non-zero factors), forward and
       backward, every type; a zero factor, and 2^-969 itself, pass. */
    {
        const double bad[][3] = {{1e200, 1e200, 1e-300}, {1, 1e300, 1e10}, {1e-160, 1e-160, 1},
                                 {1, 1e-200, 1e-200}, {0x1p-1074, 1, 1}, {0x1p-970, 1, 1}, {1, 1, 0x1p-970}};
        const double good[][3] = {{0, 1e300, 1e300}, {1e300, 0, 1}, {1, 1, 0}, {0x1p-969, 1, 1}, {1e154, 1e154, 1e-300}};
        for (int dt = 0; dt < 4; dt++) {
            for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                const int f = elu4j_forward(ELU4J_FN_ELU, dt, buf, buf + 32, 8, bad[k][0], bad[k][1], bad[k][2]);
                const int b = elu4j_backward(ELU4J_FN_ELU, dt, 0, buf, buf, buf + 32, 8, bad[k][0], bad[k][1], bad[k][2]);
                CHECK(f == ELU4J_ERR_INVALID_ARGUMENT && b == ELU4J_ERR_INVALID_ARGUMENT,
                      "dtype %d elu(%g, %g, %g): forward %s, backward %s", dt, bad[k][0], bad[k][1], bad[k][2],
                      elu4j_status_name(f), elu4j_status_name(b));
                /* LeakyReLU and ReLU ignore scale and input_scale */
                CHECK(elu4j_forward(ELU4J_FN_RELU, dt, buf, buf + 32, 8, bad[k][0], bad[k][1], bad[k][2]) == ELU4J_OK,
                      "relu with elu's bad products");
            }
            for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
                const int f = elu4j_forward(ELU4J_FN_ELU, dt, buf, buf + 32, 8, good[k][0], good[k][1], good[k][2]);
                CHECK(f == ELU4J_OK, "dtype %d elu(%g, %g, %g): %s", dt, good[k][0], good[k][1], good[k][2],
                      elu4j_status_name(f));
            }
        }
    }

    /* Byte ranges that cannot exist (n * 4 overflows, or the range wraps around). */
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, big + 1, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, SIZE_MAX, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_INVALID_ARGUMENT, buf, buf + 32, big, 1.0f);

    /* Partial overlap, either direction, by whole floats or by single bytes. */
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf, buf + 1, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf + 1, buf, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf, buf + 15, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf + 15, buf, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf, (unsigned char *)buf + 1, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, (unsigned char *)buf + 63, buf, 16, 1.0f);
    EXPECT_STATUS(ELU4J_ERR_OVERLAP, buf, buf + 31, 32, 1.0f);
    EXPECT_STATUS(ELU4J_OK, buf, buf + 1, 1, 1.0f); /* n = 1: buf and buf + 1 only touch */

    /* Unknown ISA numbers: the pin refuses them (INVALID_ARGUMENT) and stays as it was. */
    const int unknown[] = {-2, 3, 7, 1000};
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
        const int st = elu4j_pin_isa(unknown[k]);
        CHECK(st == ELU4J_ERR_INVALID_ARGUMENT && elu4j_active_isa() == elu4j_best_isa(),
              "pin %d: %s", unknown[k], elu4j_status_name(st));
    }

    /* Unsupported ISAs: the pin refuses them (UNSUPPORTED_ISA) and stays as it was. */
    int all_supported = 1;
    for (int i = 0; i < N_ISAS; i++) {
        if (!elu4j_isa_supported(k_all_isas[i])) {
            all_supported = 0;
            const int st = elu4j_pin_isa(k_all_isas[i]);
            CHECK(st == ELU4J_ERR_UNSUPPORTED_ISA && elu4j_active_isa() == elu4j_best_isa(),
                  "%s: %s", elu4j_isa_name(k_all_isas[i]), elu4j_status_name(st));
        }
    }
    if (all_supported) {
        printf("this CPU supports every ISA: ELU4J_ERR_UNSUPPORTED_ISA only checked by number\n");
    }

    /* A successful call writes dst and leaves src alone. */
    reset_buffer();
    CHECK(elu_f32(buf, buf + 32, 32, 1.0f) == ELU4J_OK, "ok call");
    CHECK(memcmp(buf, g_before, 32 * sizeof(float)) == 0, "src changed");
    for (int i = 0; i < 32; i++) {
        CHECK(ulp_distance(buf[32 + i], elu_ref(g_before[i], 1.0f)) <= 1, "value %d", i);
    }
    return test_summary("test_status");
}
