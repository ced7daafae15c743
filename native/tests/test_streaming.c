/*
 * elu4j native tests (f): the kernels that write with streaming stores (elu4j_internal.h: the
 * float ELU kernel, and the f32 and f64 backward of ELU from the output, at the AVX-512 and AVX2
 * levels) around their threshold, ELU4J_STREAM_MIN_BYTES of output. Built twice: against
 * libelu4j, where the threshold is the real one (sizes just below, at and above it), and as
 * test_streaming_stream_always, with ELU4J_STREAM_MIN_BYTES=4 against the library variant that
 * streams every out-of-place call, where the same checks run on small, awkward sizes.
 *
 * For each case and each SIMD level: every destination offset from a 64-byte boundary that is a
 * multiple of the element size (so every count of elements before the first streamed line) at
 * some sizes, a few at the others; destinations not aligned to the element size (which do not
 * stream); and in place (which never streams). The results must be exactly the portable level's
 * bits, the inputs must stay unchanged and the guard bytes around the destination untouched.
 * The inputs hold the special values that send vectors to the kernels' rare paths (NaN, zeros,
 * infinities, huge and subnormal values), so those run inside the streamed range too.
 *
 * (test_sizes_stream_always, test_special_stream_always and test_family_stream_always run
 * those suites against the variant that streams every out-of-place call.)
 */
#include "test_util.h"

#include "elu4j_internal.h"

#include <float.h>

#define GUARD 64

typedef struct scase {
    const char *name;
    int dtype;
    int from_dst; /* 0: forward; 1: backward from the output (dy, y -> dx) */
    double alpha, scale, is;
} scase;

static const scase k_cases[] = {
    {"elu(1) fwd f32", ELU4J_DT_F32, 0, 1.0, 1.0, 1.0},      /* the float kernel, alpha 1 */
    {"elu(0.5) fwd f32", ELU4J_DT_F32, 0, 0.5, 1.0, 1.0},    /* and its other loop */
    {"elu(1) bwd(y) f32", ELU4J_DT_F32, 1, 1.0, 1.0, 1.0},   /* the one-fma form */
    {"selu bwd(y) f32", ELU4J_DT_F32, 1, 1.6732632423543772, 1.0507009873554805, 1.0}, /* pairs */
    {"celu(0.3) bwd(y) f32", ELU4J_DT_F32, 1, 0.3, 1.0, 1.0 / 0.3}, /* an input scale */
    {"elu(1) bwd(y) f64", ELU4J_DT_F64, 1, 1.0, 1.0, 1.0},
    {"celu(0.3) bwd(y) f64", ELU4J_DT_F64, 1, 0.3, 1.0, 1.0 / 0.3},
};
#define N_CASES (sizeof k_cases / sizeof k_cases[0])

/* Small sizes for a low threshold: every tail length of the vectors and steps, and longer runs. */
static const size_t k_small_sizes[] = {1,  2,  3,  4,   5,   7,   8,   9,    15,   16,  17,
                                       31, 32, 33, 63,  64,  65,  100, 127,  128,  129, 255,
                                       257, 511, 513, 1000, 1023, 1025, 4099, 16411};
#define N_SMALL (sizeof k_small_sizes / sizeof k_small_sizes[0])

static size_t g_max_bytes, g_block_bytes; /* the largest size of any case, in bytes */
static unsigned char *g_x, *g_dy, *g_expect;           /* inputs and the portable result */
static unsigned char *g_src_block, *g_data_block, *g_dst_block;

/* Element i of the inputs: x (or y) mixed, dy in [-1, 1]; both with special values. */
static void make_inputs(int dtype)
{
    const size_t es = elu4j_dtype_size(dtype), max_n = g_max_bytes / es;
    float *xf = malloc(max_n * sizeof(float)), *gf = malloc(max_n * sizeof(float));
    if (!xf || !gf) {
        fprintf(stderr, "out of memory\n");
        exit(EXIT_FAILURE);
    }
    fill_mixed_inputs(xf, max_n, 0x5eed5eedull);
    uint64_t st = 0xd1ce;
    static const float g_specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f, -1e30f,
                                       0x1p-149f, -3e-39f, 0x1p70f};
    for (size_t i = 0; i < max_n; i++) {
        const uint32_t r = rng_next(&st);
        gf[i] = r % 17 == 0 ? g_specials[(r >> 8) % (sizeof g_specials / sizeof g_specials[0])]
                            : rng_uniform(&st, -1.0f, 1.0f);
    }
    for (size_t i = 0; i < max_n; i++) {
        if (es == 4) {
            memcpy(g_x + 4 * i, &xf[i], 4);
            memcpy(g_dy + 4 * i, &gf[i], 4);
        } else {
            /* doubles: the floats, some huge or subnormal for the f64 rare lanes */
            double xd = xf[i], gd = gf[i];
            if (i % 29 == 3) {
                xd = -1e300;
            } else if (i % 31 == 5) {
                gd = 1e300;
            } else if (i % 37 == 7) {
                xd = -0x1p-1070;
            }
            memcpy(g_x + 8 * i, &xd, 8);
            memcpy(g_dy + 8 * i, &gd, 8);
        }
    }
    free(xf);
    free(gf);
}

/* Runs case c on n elements on level isa (-1: unpinned) from src (forward: x; backward: dy) with
   data (backward: y) to dst. */
static int run(const scase *c, int isa, const void *src, const void *data, void *dst, size_t n)
{
    if (!c->from_dst) {
        return isa < 0 ? elu4j_forward(ELU4J_FN_ELU, c->dtype, src, dst, n, c->alpha, c->scale, c->is)
                       : forward_on(isa, ELU4J_FN_ELU, c->dtype, src, dst, n, c->alpha, c->scale,
                                    c->is);
    }
    return isa < 0 ? elu4j_backward(ELU4J_FN_ELU, c->dtype, 1, src, data, dst, n, c->alpha,
                                    c->scale, c->is)
                   : backward_on(isa, ELU4J_FN_ELU, c->dtype, 1, src, data, dst, n, c->alpha,
                                 c->scale, c->is);
}

/*
 * One call of case c with n elements, src at s_off and dst at d_off bytes into their blocks
 * (in place: src is dst), checked against g_expect.
 */
static void check_one(const scase *c, int isa, size_t n, size_t s_off, size_t d_off, int in_place)
{
    const size_t es = elu4j_dtype_size(c->dtype), bytes = n * es;
    const unsigned char *src_in = c->from_dst ? g_dy : g_x;
    /* the part of the block this call uses, a guard band of 2 GUARD after it (whole blocks reset
       and scanned took most of the program's time at small sizes, several times over under ASan) */
    const size_t span = d_off + bytes + 2 * GUARD < g_block_bytes ? d_off + bytes + 2 * GUARD : g_block_bytes;
    memset(g_dst_block, GUARD_BYTE, span);
    unsigned char *dst = g_dst_block + d_off;
    const unsigned char *src;
    if (in_place) {
        memcpy(dst, src_in, bytes);
        src = dst;
    } else {
        memcpy(g_src_block + s_off, src_in, bytes);
        src = g_src_block + s_off;
    }
    const unsigned char *data = g_data_block + GUARD + 3 * es; /* y, for the backward */
    const int st = run(c, isa, src, data, dst, n);
    const char *isa_name = isa < 0 ? "best" : elu4j_isa_name(isa);
    CHECK(st == ELU4J_OK, "%s %s n=%zu: %s", c->name, isa_name, n, elu4j_status_name(st));
    CHECK(memcmp(dst, g_expect, bytes) == 0,
          "%s %s n=%zu src+%zu dst+%zu%s: differs from portable", c->name, isa_name, n,
          s_off % 64, d_off % 64, in_place ? " in place" : "");
    CHECK(guards_ok(g_dst_block, span, d_off, bytes), "%s %s n=%zu dst+%zu: wrote outside dst",
          c->name, isa_name, n, d_off % 64);
    if (!in_place) {
        CHECK(memcmp(src, src_in, bytes) == 0, "%s %s n=%zu: source modified", c->name, isa_name, n);
    }
    if (c->from_dst) {
        CHECK(memcmp(data, g_x, bytes) == 0, "%s %s n=%zu: data modified", c->name, isa_name, n);
    }
}

/* Case c at n elements on level isa: the destination offsets (all of them when `all`). */
static long check_size(const scase *c, int isa, size_t n, int all)
{
    const size_t es = elu4j_dtype_size(c->dtype);
    long runs = 0;
    for (size_t o = 0; o < 64; o += es) { /* es-aligned: every head length */
        if (!all && o != 0 && o != es && o != 64 - es) {
            continue;
        }
        check_one(c, isa, n, GUARD + (o * 7 + 5 * es) % 64, GUARD + o, 0);
        runs++;
    }
    /* not aligned to the element size: ordinary stores */
    check_one(c, isa, n, GUARD, GUARD + 1, 0);
    check_one(c, isa, n, GUARD + es, GUARD + es / 2, 0);
    /* in place: ordinary stores */
    check_one(c, isa, n, 0, GUARD + es, 1);
    check_one(c, isa, n, 0, GUARD + 1, 1);
    return runs + 4;
}

int main(void)
{
    /* the largest size of any case: t + 79 elements below (t * es < threshold + 8), or the
       largest small size of doubles */
    g_max_bytes = (size_t)ELU4J_STREAM_MIN_BYTES + 8 * (64 + 16);
    if (g_max_bytes < 8 * k_small_sizes[N_SMALL - 1]) {
        g_max_bytes = 8 * k_small_sizes[N_SMALL - 1];
    }
    g_max_bytes = (g_max_bytes + 63) / 64 * 64;
    g_block_bytes = GUARD + 64 + g_max_bytes + GUARD;
    const size_t data_bytes = g_max_bytes;
    g_x = aligned_alloc(64, data_bytes);
    g_dy = aligned_alloc(64, data_bytes);
    g_expect = aligned_alloc(64, data_bytes);
    g_src_block = aligned_alloc(64, g_block_bytes);
    g_data_block = aligned_alloc(64, g_block_bytes);
    g_dst_block = aligned_alloc(64, g_block_bytes);
    if (!g_x || !g_dy || !g_expect || !g_src_block || !g_data_block || !g_dst_block) {
        fprintf(stderr, "out of memory\n");
        return EXIT_FAILURE;
    }
    long runs = 0;
    int last_dtype = -1;
    for (size_t ci = 0; ci < N_CASES; ci++) {
        const scase *c = &k_cases[ci];
        const size_t es = elu4j_dtype_size(c->dtype);
        if (c->dtype != last_dtype) {
            make_inputs(c->dtype);
            last_dtype = c->dtype;
        }
        memset(g_data_block, 0x5A, g_block_bytes);
        memcpy(g_data_block + GUARD + 3 * es, g_x, g_max_bytes);
        /* the first streamed size: t elements of es bytes */
        const size_t t = (ELU4J_STREAM_MIN_BYTES + es - 1) / es;
        size_t sizes[4 + N_SMALL];
        size_t n_sizes = 0, max_n = 0;
        if (t > 1) {
            sizes[n_sizes++] = t - 1; /* below: ordinary stores */
        }
        sizes[n_sizes++] = t;
        sizes[n_sizes++] = t + 5;       /* a tail after the last whole vector */
        sizes[n_sizes++] = t + 64 + 15; /* a longer one */
        if (t * es <= 4096) {           /* a low threshold: every small size streams too */
            for (size_t k = 0; k < N_SMALL; k++) {
                if (k_small_sizes[k] >= t) {
                    sizes[n_sizes++] = k_small_sizes[k];
                }
            }
        }
        for (size_t k = 0; k < n_sizes; k++) {
            max_n = sizes[k] > max_n ? sizes[k] : max_n;
        }
        /* elementwise: the first n elements of the max_n result are the n-element result */
        const int st = c->from_dst ? backward_on(ELU4J_ISA_PORTABLE, ELU4J_FN_ELU, c->dtype, 1, g_dy,
                                                 g_x, g_expect, max_n, c->alpha, c->scale, c->is)
                                   : forward_on(ELU4J_ISA_PORTABLE, ELU4J_FN_ELU, c->dtype, g_x,
                                                g_expect, max_n, c->alpha, c->scale, c->is);
        CHECK(st == ELU4J_OK, "%s portable: %s", c->name, elu4j_status_name(st));
        for (int ii = 0; ii < N_ISAS; ii++) {
            const int isa = k_all_isas[ii];
            if (isa == ELU4J_ISA_PORTABLE || !elu4j_isa_supported(isa)) {
                continue;
            }
            for (size_t k = 0; k < n_sizes; k++) {
                /* every offset at t + 5 and with a low threshold, a few at the others */
                runs += check_size(c, isa, sizes[k], sizes[k] == t + 5 || t * es <= 4096);
            }
        }
        /* the unpinned entry points, streamed */
        check_one(c, -1, max_n, GUARD + 8, GUARD + 2 * es, 0);
        runs++;
    }
    printf("test_streaming: threshold %zu bytes, %ld calls over %zu cases\n",
           (size_t)ELU4J_STREAM_MIN_BYTES, runs, (size_t)N_CASES);
    free(g_x);
    free(g_dy);
    free(g_expect);
    free(g_src_block);
    free(g_data_block);
    free(g_dst_block);
    return test_summary("test_streaming");
}
