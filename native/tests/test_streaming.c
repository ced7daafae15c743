/*
 * elu4j native tests (f): the AVX-512 and AVX2 float ELU kernels (f32 ELU of elu4j_forward with
 * alpha a power of two) around their streaming-store threshold (ELU4J_STREAM_MIN_BYTES of
 * elu4j_internal.h; large out-of-place outputs use non-temporal stores). Just below, at and above it, for every destination byte offset from a 64-byte
 * boundary that gives each prologue length (0..15 floats before the first aligned line), for
 * destinations that are not 4-byte aligned (no streaming), and in place (no streaming): the
 * results must be exactly the portable kernel's bits, the source must stay unchanged and the
 * guard bytes around the destination must stay untouched.
 *
 * (test_sizes_stream_always and test_special_stream_always run the small-size suites against a
 * build that streams every out-of-place call.)
 */
#include "test_util.h"

#include "elu4j_internal.h"

#define GUARD 64

static size_t g_block_bytes;

int main(void)
{
    const size_t t = ELU4J_STREAM_MIN_BYTES / sizeof(float); /* first streamed size */
    /* Below (ordinary stores), at, and above with tails of 5 and 15 floats after the lines. */
    const size_t sizes[] = {t - 1, t, t + 5, t + 64 + 15};
    const size_t n_sizes = sizeof sizes / sizeof sizes[0];
    const size_t max_n = sizes[n_sizes - 1];
    g_block_bytes = (GUARD + 64 + max_n * sizeof(float) + GUARD + 63) / 64 * 64;
    const size_t data_bytes = (max_n * sizeof(float) + 63) / 64 * 64;

    unsigned char *src_block = aligned_alloc(64, g_block_bytes);
    unsigned char *dst_block = aligned_alloc(64, g_block_bytes);
    float *input = aligned_alloc(64, data_bytes);
    float *expect = aligned_alloc(64, data_bytes);
    if (!src_block || !dst_block || !input || !expect) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }
    fill_mixed_inputs(input, max_n, 0x5eed5eedull);
    /* Powers of two, so that the float kernel runs: its alpha = 1 loop and its general one. */
    const float alphas[] = {1.0f, 0.5f};
    long runs = 0;

    for (size_t ai = 0; ai < sizeof alphas / sizeof alphas[0]; ai++) {
        const float alpha = alphas[ai];
        /* ELU is elementwise: the first n floats of the max_n result are the n-float result. */
        int st = elu_f32_on(ELU4J_ISA_PORTABLE, input, expect, max_n, alpha);
        CHECK(st == ELU4J_OK, "portable: %s", elu4j_status_name(st));
        for (int ii = 0; ii < N_ISAS; ii++) {
            const int isa = k_all_isas[ii];
            if (isa == ELU4J_ISA_PORTABLE || !elu4j_isa_supported(isa)) {
                continue;
            }
            for (size_t si = 0; si < n_sizes; si++) {
                const size_t n = sizes[si];
                const size_t bytes = n * sizeof(float);
                /* Destination offsets from a 64-byte boundary: 0, 4, ..., 60 give prologues of
                   0, 15, ..., 1 floats; 1, 2 and 3 are not float aligned. The full set at one
                   size, a few at the others. */
                size_t offsets[19];
                size_t n_off = 0;
                if (si == 2) {
                    for (size_t o = 0; o < 64; o += 4) {
                        offsets[n_off++] = o;
                    }
                } else {
                    offsets[n_off++] = 0;
                    offsets[n_off++] = 4;
                    offsets[n_off++] = 60;
                }
                offsets[n_off++] = 1;
                offsets[n_off++] = 2;
                offsets[n_off++] = 3;
                for (size_t k = 0; k < n_off; k++) {
                    const size_t d_off = GUARD + offsets[k];
                    const size_t s_off = GUARD + (k * 7) % 64; /* any source alignment */
                    memset(src_block, 0x5A, g_block_bytes);
                    memcpy(src_block + s_off, input, bytes);
                    memset(dst_block, GUARD_BYTE, g_block_bytes);
                    st = elu_f32_on(isa, src_block + s_off, dst_block + d_off, n, alpha);
                    runs++;
                    CHECK(st == ELU4J_OK, "%s n=%zu: %s", elu4j_isa_name(isa), n,
                          elu4j_status_name(st));
                    CHECK(memcmp(dst_block + d_off, expect, bytes) == 0,
                          "%s n=%zu src+%zu dst+%zu alpha %g: differs from portable",
                          elu4j_isa_name(isa), n, s_off - GUARD, d_off - GUARD, (double)alpha);
                    CHECK(guards_ok(dst_block, g_block_bytes, d_off, bytes), "%s n=%zu dst+%zu: wrote outside dst",
                          elu4j_isa_name(isa), n, d_off - GUARD);
                    CHECK(memcmp(src_block + s_off, input, bytes) == 0,
                          "%s n=%zu src+%zu: source modified", elu4j_isa_name(isa), n,
                          s_off - GUARD);
                }
                /* In place (never streamed), aligned and not. */
                for (size_t d = 0; d < 2; d++) {
                    const size_t d_off = GUARD + d * 4;
                    memset(dst_block, GUARD_BYTE, g_block_bytes);
                    memcpy(dst_block + d_off, input, bytes);
                    st = elu_f32_on(isa, dst_block + d_off, dst_block + d_off, n, alpha);
                    runs++;
                    CHECK(st == ELU4J_OK && memcmp(dst_block + d_off, expect, bytes) == 0 &&
                              guards_ok(dst_block, g_block_bytes, d_off, bytes),
                          "%s in place n=%zu dst+%zu alpha %g: wrong", elu4j_isa_name(isa), n,
                          d_off - GUARD, (double)alpha);
                }
            }
        }
        /* The auto-dispatching entry point, streamed. */
        memset(dst_block, GUARD_BYTE, g_block_bytes);
        st = elu_f32(input, dst_block + GUARD + 8, max_n, alpha);
        CHECK(st == ELU4J_OK && memcmp(dst_block + GUARD + 8, expect, max_n * sizeof(float)) == 0 &&
                  guards_ok(dst_block, g_block_bytes, GUARD + 8, max_n * sizeof(float)),
              "unpinned elu4j_forward n=%zu differs from portable", max_n);
    }
    printf("test_streaming: threshold %zu floats (%zu bytes), %ld kernel runs\n", t,
           (size_t)ELU4J_STREAM_MIN_BYTES, runs);
    free(src_block);
    free(dst_block);
    free(input);
    free(expect);
    return test_summary("test_streaming");
}
