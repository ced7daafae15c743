/*
 * elu4j native tests (c): f32 ELU of elu4j_forward: sizes, alignments, in-place operation, guard
 * bytes and bit-identical results across ISAs (each pinned with elu4j_pin_isa).
 *
 * For n in {0, 1, 7, 15, 16, 17, 31, 63, 64, 65, 1023, 1025, 65537}, source and destination
 * byte offsets 0..4 from a 64-byte-aligned block, out of place and in place, every supported ISA
 * must produce exactly the portable kernel's bits, leave the source untouched (out of place) and
 * never write the guard bytes just before and after the destination range.
 */
#include "test_util.h"

#define GUARD 64       /* guard bytes on each side of a destination range */
#define MAX_N 65537
#define N_OFFSETS 5

static const size_t k_sizes[] = {0, 1, 7, 15, 16, 17, 31, 63, 64, 65, 1023, 1025, 65537};
#define N_SIZES (sizeof k_sizes / sizeof k_sizes[0])

/* Bytes of a block holding GUARD + 4-byte offset + data + GUARD, rounded up to 64. */
#define BLOCK_BYTES ((GUARD + N_OFFSETS + MAX_N * sizeof(float) + GUARD + 63) / 64 * 64)

/* A mix of ordinary values and every kind of special value, bit patterns included. */
static void fill_inputs(float *x, size_t n, uint64_t seed)
{
    static const uint32_t specials[] = {
        0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u,
        0x7f800001u, 0x00000001u, 0x80000001u, 0x807fffffu, 0xff7fffffu, 0x7f7fffffu,
        0xc2b00000u /* -88 */, 0xc2d00000u /* -104 */, 0xbf800000u /* -1 */,
    };
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++) {
        const uint32_t r = rng_next(&state);
        if (r % 11 == 0) {
            x[i] = float_of(specials[(r >> 8) % (sizeof specials / sizeof specials[0])]);
        } else if (r % 11 == 1) {
            x[i] = rng_uniform(&state, -1e-6f, 1e-6f);
        } else {
            x[i] = rng_uniform(&state, -20.0f, 5.0f);
        }
    }
}

int main(void)
{
    unsigned char *src_block = aligned_alloc(64, BLOCK_BYTES);
    unsigned char *dst_block = aligned_alloc(64, BLOCK_BYTES);
    /* C11 aligned_alloc wants a size that is a multiple of the alignment. */
    const size_t data_bytes = (MAX_N * sizeof(float) + 63) / 64 * 64;
    float *input = aligned_alloc(64, data_bytes);
    float *expect = aligned_alloc(64, data_bytes);
    if (!src_block || !dst_block || !input || !expect) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }
    /* The float kernel's alpha = 1 loop and its general one (powers of two), and the double
       evaluation of a general alpha. */
    const float alphas[] = {1.0f, 0.5f, 1.6732632f};
    long runs = 0;

    for (size_t si = 0; si < N_SIZES; si++) {
        const size_t n = k_sizes[si];
        const size_t bytes = n * sizeof(float);
        /* the part of a block a call uses: the whole block's guard band at the largest size, the
           same band after a smaller call's end (whole blocks reset and scanned at every size took
           most of the program's time under valgrind) */
        const size_t span = BLOCK_BYTES - MAX_N * sizeof(float) + bytes;
        fill_inputs(input, n, 0x9e3779b97f4a7c15ull + n);
        for (size_t ai = 0; ai < sizeof alphas / sizeof alphas[0]; ai++) {
            const float alpha = alphas[ai];
            /* The reference: the portable kernel on aligned, separate buffers. */
            int st = elu_f32_on(ELU4J_ISA_PORTABLE, input, expect, n, alpha);
            CHECK(st == ELU4J_OK, "portable n=%zu: %s", n, elu4j_status_name(st));
            for (size_t k = 0; k < n; k++) { /* spot check of the reference itself */
                const float want = elu_ref(input[k], alpha);
                CHECK(isnan(want) ? bits_of(expect[k]) == bits_of(input[k])
                                  : ulp_distance(expect[k], want) <= 2,
                      "portable n=%zu k=%zu: x=%a gave %a, reference %a", n, k,
                      (double)input[k], (double)expect[k], (double)want);
            }
            for (int ii = 0; ii < N_ISAS; ii++) {
                const int isa = k_all_isas[ii];
                if (!elu4j_isa_supported(isa)) {
                    continue;
                }
                for (size_t so = 0; so < N_OFFSETS; so++) {
                    for (size_t dof = 0; dof < N_OFFSETS; dof++) {
                        const size_t s_off = GUARD + so, d_off = GUARD + dof;
                        /* out of place */
                        memset(src_block, 0x5A, span);
                        memcpy(src_block + s_off, input, bytes);
                        memset(dst_block, GUARD_BYTE, span);
                        st = elu_f32_on(isa, src_block + s_off, dst_block + d_off, n, alpha);
                        runs++;
                        CHECK(st == ELU4J_OK, "%s n=%zu: %s", elu4j_isa_name(isa), n,
                              elu4j_status_name(st));
                        CHECK(memcmp(dst_block + d_off, expect, bytes) == 0,
                              "%s n=%zu src+%zu dst+%zu alpha %g: differs from portable",
                              elu4j_isa_name(isa), n, so, dof, (double)alpha);
                        CHECK(guards_ok(dst_block, span, d_off, bytes),
                              "%s n=%zu src+%zu dst+%zu: wrote outside dst", elu4j_isa_name(isa),
                              n, so, dof);
                        CHECK(memcmp(src_block + s_off, input, bytes) == 0,
                              "%s n=%zu src+%zu: source modified", elu4j_isa_name(isa), n, so);
                        if (so != 0) {
                            continue; /* in place: one pass per destination offset is enough */
                        }
                        /* in place */
                        memset(dst_block, GUARD_BYTE, span);
                        memcpy(dst_block + d_off, input, bytes);
                        st = elu_f32_on(isa, dst_block + d_off, dst_block + d_off, n, alpha);
                        runs++;
                        CHECK(st == ELU4J_OK, "%s in place n=%zu: %s", elu4j_isa_name(isa), n,
                              elu4j_status_name(st));
                        CHECK(memcmp(dst_block + d_off, expect, bytes) == 0,
                              "%s in place n=%zu dst+%zu alpha %g: differs from portable",
                              elu4j_isa_name(isa), n, dof, (double)alpha);
                        CHECK(guards_ok(dst_block, span, d_off, bytes),
                              "%s in place n=%zu dst+%zu: wrote outside dst", elu4j_isa_name(isa),
                              n, dof);
                    }
                }
            }
            /* The auto-dispatching entry point gives the same bits. */
            memset(dst_block, GUARD_BYTE, span);
            st = elu_f32(input, dst_block + GUARD + 1, n, alpha);
            CHECK(st == ELU4J_OK && memcmp(dst_block + GUARD + 1, expect, bytes) == 0 &&
                      guards_ok(dst_block, span, GUARD + 1, bytes),
                  "unpinned elu4j_forward n=%zu differs from portable", n);
        }
    }
    printf("test_sizes: %ld kernel runs over %zu sizes, %d x %d byte offsets, in and out of place\n",
           runs, N_SIZES, N_OFFSETS, N_OFFSETS);
    free(src_block);
    free(dst_block);
    free(input);
    free(expect);
    return test_summary("test_sizes");
}
