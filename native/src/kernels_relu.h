/*
 * elu4j family kernels: ReLU and LeakyReLU straight from src to dst, without kernels_impl.h's
 * blocks (copies that would cost more than these functions). Included only by kernels_impl.h,
 * inside one ISA level's translation unit (FAM() names, the level's compiler flags).
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/* LeakyReLU's slope as the loops read it: by value, so that GCC keeps it in registers (a load
   through the params pointer may alias the stores and is repeated per element). */
typedef struct fam_slope {
    float hi, lo;
    double slope;
} fam_slope;

/* The slope of p (any function: unused for ReLU). */
FAM_INLINE fam_slope FAM(slope_of)(const elu4j_params *p)
{
    const fam_slope s = {p->slope_hi, p->slope_lo, p->alpha};
    return s;
}

/*
 * LeakyReLU's negative side, slope * v for a float v, as p->leaky_kind says (elu4j.c's
 * fill_leaky): a float slope's product (correctly rounded); the pair fma(hi, v, lo * v), whose
 * error before its one rounding is below 2^-46 of the product (what hi + lo misses of the slope
 * and lo * v's rounding), so the result is within 1 ulp and almost always the correctly rounded
 * one, at float speed (where lo * v underflows, products below about 2^-100, that rounding costs
 * up to half an ulp: still within 1); else the product in double, rounded once. The kind is a
 * constant where this is inlined into a loop, so each kind is its own branch-free loop. The block
 * path's bf16, f16 and the straight f32 paths all use it: halves are their f32 result rounded.
 */
FAM_INLINE float FAM(leaky_neg)(float v, const fam_slope s, int kind)
{
    return kind == ELU4J_LEAKY_FLOAT ? s.hi * v
           : kind == ELU4J_LEAKY_PAIR ? FAM_FMAF(s.hi, v, s.lo * v)
                                      : (float)(s.slope * (double)v);
}

/* One forward element: kind -1 is ReLU (+0 for v <= 0), else LeakyReLU of that kind. NaN passes. */
FAM_INLINE float FAM(relu_one)(float v, const fam_slope s, int kind)
{
    const float neg = kind < 0 ? 0.0f : FAM(leaky_neg)(v, s, kind);
    return v > 0.0f ? v : FAM(keep_nan_f32)(v, neg);
}

/* One backward element: ReLU's threshold_backward, LeakyReLU's leaky_relu_backward (PyTorch's). */
FAM_INLINE float FAM(relu_bwd_one)(float g, float d, const fam_slope s, int kind)
{
    return kind < 0 ? (d <= 0.0f ? 0.0f : g) : (d > 0.0f ? g : FAM(leaky_neg)(g, s, kind));
}

/* The kind of relu_one / relu_bwd_one for p: -1 for ReLU, else p->leaky_kind. */
static int FAM(relu_kind)(const elu4j_params *p)
{
    return p->function == ELU4J_FN_RELU ? -1 : p->leaky_kind;
}

/*
 * f32 ReLU and LeakyReLU, forward and backward, straight from src to dst (a copy-speed function
 * would otherwise spend most of its time in kernels_impl.h's block copies; the block path of
 * bf16/f16 calls it on its float blocks). Any alignment (memcpy per element, which GCC turns
 * into unaligned vector accesses), and dst may be an input: each element is read before it is
 * written, and nothing is declared restrict, so GCC vectorises behind a run-time overlap test,
 * which identical pointers pass (a dependence at distance 0; measured with GCC 12: in place as fast
 * as out of place). Another compiler may take the scalar loop there: slower, the same bits.
 */
FAM_INLINE void FAM(relu_f32_loop)(const fam_slope s, const unsigned char *g,
                                   const unsigned char *d, unsigned char *out, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        float v, fg = 0.0f;
        memcpy(&v, d + 4 * i, 4);
        if (g != NULL) {
            memcpy(&fg, g + 4 * i, 4);
        }
        const float r = g == NULL ? FAM(relu_one)(v, s, kind) : FAM(relu_bwd_one)(fg, v, s, kind);
        memcpy(out + 4 * i, &r, 4);
    }
}

/* f32 ReLU / LeakyReLU: forward (diff_dst NULL) or backward, straight. */
static void FAM(relu_f32_direct)(const elu4j_params *p, const void *diff_dst, const void *data,
                                 void *out, size_t n)
{
    const unsigned char *g = (const unsigned char *)diff_dst;
    const unsigned char *d = (const unsigned char *)data;
    unsigned char *o = (unsigned char *)out;
    const fam_slope s = FAM(slope_of)(p);
    switch (FAM(relu_kind)(p)) {
    case -1: FAM(relu_f32_loop)(s, g, d, o, n, -1); break;
    case ELU4J_LEAKY_FLOAT: FAM(relu_f32_loop)(s, g, d, o, n, ELU4J_LEAKY_FLOAT); break;
    case ELU4J_LEAKY_PAIR: FAM(relu_f32_loop)(s, g, d, o, n, ELU4J_LEAKY_PAIR); break;
    default: FAM(relu_f32_loop)(s, g, d, o, n, ELU4J_LEAKY_DOUBLE); break;
    }
}

/*
 * bf16/f16 ReLU, forward and backward, on the element patterns: ReLU
 * only chooses between its input (or dy) and +0, so the block path's widening and narrowing change
 * nothing but NaN, which comes back with the quiet bit that bf16_narrow (0x40) or f16_narrow
 * (0x200) sets. On a half that is not NaN, the float test x <= 0 is "sign bit set or +0"; a NaN is
 * never <= 0 (forward: it stays NaN; backward: a NaN d passes dy, as PyTorch's threshold_backward).
 * The tests compare with 16-bit operands so that GCC keeps 16-bit lanes.
 *
 * Memory as relu_f32_direct's.
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

/* bf16/f16 ReLU forward (diff_dst NULL) or backward over n elements. */
static void FAM(relu_half_direct)(int dtype, const void *diff_dst, const void *data, void *out_,
                                  size_t n)
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
            const uint16_t r =
                FAM(half_le0)(h, inf) ? (uint16_t)0 : FAM(half_round_trip)(h, inf, quiet);
            memcpy(out + 2 * i, &r, 2);
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint16_t hg, hd;
            memcpy(&hg, g + 2 * i, 2);
            memcpy(&hd, d + 2 * i, 2);
            const uint16_t r =
                FAM(half_le0)(hd, inf) ? (uint16_t)0 : FAM(half_round_trip)(hg, inf, quiet);
            memcpy(out + 2 * i, &r, 2);
        }
    }
}
