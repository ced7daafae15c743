/*
 * elu4j family kernels: ReLU and LeakyReLU straight from src to dst, without kernels_impl.h's
 * blocks (copies that would cost more than these functions). Included only by kernels_impl.h,
 * inside one ISA level's translation unit (FAM() names, the level's compiler flags).
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/*
 * f32 ReLU, and LeakyReLU with a slope that is a float, straight from src to dst: a copy-speed
 * function would otherwise spend most of its time in kernels_impl.h's block copies. float * float is
 * the correctly rounded product, as the double evaluation of the block path gives for such a
 * slope, so both paths give the same bits. src and dst may have any alignment (heap byte arrays
 * and ByteBuffers arrive at odd offsets), so elements are moved with memcpy, which GCC turns into
 * unaligned vector loads and stores. In place gets its own loop over one pointer (no restrict
 * promise to break); otherwise src and dst are disjoint (checked by the caller).
 */
FAM_INLINE float FAM(relu_one)(float v, float slope, int zero)
{
    return v > 0.0f ? v : isnan(v) ? v : zero ? 0.0f : slope * v;
}

static void FAM(relu_f32_inplace)(unsigned char *d, size_t n, float slope, int zero)
{
    for (size_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, d + 4 * i, 4);
        const float r = FAM(relu_one)(v, slope, zero);
        memcpy(d + 4 * i, &r, 4);
    }
}

static void FAM(relu_f32_out)(const unsigned char *restrict x, unsigned char *restrict y, size_t n,
                              float slope, int zero)
{
    for (size_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, x + 4 * i, 4);
        const float r = FAM(relu_one)(v, slope, zero);
        memcpy(y + 4 * i, &r, 4);
    }
}

/* Runs the direct f32 ReLU / LeakyReLU loops when they apply; returns 0 when they do not. */
static int FAM(relu_f32_direct)(const elu4j_params *p, const void *src, void *dst, size_t n)
{
    int zero;
    float slope;
    if (p->function == ELU4J_FN_RELU) {
        zero = 1;
        slope = 0.0f;
    } else if (p->function == ELU4J_FN_LEAKY_RELU && (double)(float)p->alpha == p->alpha) {
        zero = 0;
        slope = (float)p->alpha;
    } else {
        return 0;
    }
    if (src == dst) {
        FAM(relu_f32_inplace)((unsigned char *)dst, n, slope, zero);
    } else {
        FAM(relu_f32_out)((const unsigned char *)src, (unsigned char *)dst, n, slope, zero);
    }
    return 1;
}

/*
 * bf16/f16 ReLU, forward and backward, and the f32 ReLU backward, on the element patterns: ReLU
 * only chooses between its input (or dy) and +0, so the block path's widening and narrowing change
 * nothing but NaN, which comes back with the quiet bit that bf16_narrow (0x40) or f16_narrow
 * (0x200) sets. On a half that is not NaN, the float test x <= 0 is "sign bit set or +0"; a NaN is
 * never <= 0 (forward: it stays NaN; backward: a NaN d passes dy, as PyTorch's threshold_backward).
 * The tests compare with 16-bit operands so that GCC keeps 16-bit lanes.
 *
 * Memory as in kernels_impl.h: any alignment (memcpy per element), and dst may be src (or dy or
 * d): each element is read before it is written, and nothing is declared restrict, so GCC
 * vectorises behind a run-time overlap test, which identical pointers pass (a dependence at
 * distance 0).
 */

/* Whether half h is <= 0 as a float: sign set (-0 included) or +0, and not NaN (above inf). */
FAM_INLINE int FAM(half_le0)(uint16_t h, uint16_t inf)
{
    const uint16_t a = (uint16_t)(h & 0x7FFFu);
    return ((h & 0x8000u) != 0 || h == 0) && a <= inf;
}

/* h after the block path's widening and narrowing: a NaN gets the quiet bit. */
FAM_INLINE uint16_t FAM(half_round_trip)(uint16_t h, uint16_t inf, uint16_t quiet)
{
    const uint16_t a = (uint16_t)(h & 0x7FFFu);
    return a > inf ? (uint16_t)(h | quiet) : h;
}

/* ReLU forward (diff_dst NULL: bf16 or f16) or backward (f32, bf16, f16) over n elements. */
static void FAM(relu_direct)(int dtype, const void *diff_dst, const void *data, void *out_, size_t n)
{
    const unsigned char *g = (const unsigned char *)diff_dst; /* NULL: the forward */
    const unsigned char *d = (const unsigned char *)data;
    unsigned char *out = (unsigned char *)out_;
    const uint16_t inf = dtype == ELU4J_DT_BF16 ? 0x7F80u : 0x7C00u;
    const uint16_t quiet = dtype == ELU4J_DT_BF16 ? 0x0040u : 0x0200u;
    if (g == NULL) {
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, d + 2 * i, 2);
            const uint16_t r = FAM(half_le0)(h, inf) ? (uint16_t)0 : FAM(half_round_trip)(h, inf, quiet);
            memcpy(out + 2 * i, &r, 2);
        }
    } else if (dtype == ELU4J_DT_F32) {
        for (size_t i = 0; i < n; i++) {
            float fg, fd;
            memcpy(&fg, g + 4 * i, 4);
            memcpy(&fd, d + 4 * i, 4);
            const float r = fd <= 0.0f ? 0.0f : fg; /* NaN d passes dy */
            memcpy(out + 4 * i, &r, 4);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint16_t hg, hd;
            memcpy(&hg, g + 2 * i, 2);
            memcpy(&hd, d + 2 * i, 2);
            const uint16_t r = FAM(half_le0)(hd, inf) ? (uint16_t)0 : FAM(half_round_trip)(hg, inf, quiet);
            memcpy(out + 2 * i, &r, 2);
        }
    }
}
