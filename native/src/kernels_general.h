/*
 * elu4j family kernels: the general f32 forward kernel (any alpha, scale, input scale) in float pairs.
 * Included only by kernels_impl.h, inside one ISA level's translation unit (FAM() names, the
 * level's compiler flags); see kernels_impl.h's file comment for the arithmetic.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/* --- the general f32 ELU kernel ------------------------------------------------------------------ */

/* The constants of the float ELU kernel (elu4j_internal.h) where they are the same. */
#define FAM_G_LOG2E ELU4J_LOG2E
#define FAM_G_SHIFT ELU4J_SHIFT
#define FAM_G_LN2 ELU4J_LN2 /* ln 2 rounded to f32: t - n * FAM_G_LN2 is exact (file comment) */

/*
 * One element of the general kernel (file comment). unit_input and pos_kind are constants after
 * inlining, so each of the six combinations is its own branch-free loop.
 */
FAM_INLINE float FAM(gen_one)(float x, const elu4j_general g, const int unit_input,
                              const int pos_kind)
{
    /* scale * x correctly rounded: one fma while plo * x is a normal float; below 2^-100 (a
       subnormal or nearly subnormal result) in double, rounded once (the pair would round twice) */
    const float pos = pos_kind == 0 ? x
                      : pos_kind == 1 ? g.phi * x
                      : x < 0x1p-100f ? (float)(g.scale * (double)x)
                                      : FAM_FMAF(g.phi, x, g.plo * x);
    const float xc = x > g.xmin ? x : g.xmin;
    const float th = unit_input ? xc : g.shi * xc;
    const float tl = unit_input ? 0.0f : FAM_FMAF(g.slo, xc, FAM_FMAF(g.shi, xc, -th));
    const float k = FAM_FMAF(th, FAM_G_LOG2E, FAM_G_SHIFT);
    const float nf = k - FAM_G_SHIFT;
    const float rh = FAM_FMAF(nf, -FAM_G_LN2, th);
    float q = FAM_FMAF(ELU4J_GQ4, rh, ELU4J_GQ3);
    q = FAM_FMAF(q, rh, ELU4J_GQ2);
    q = FAM_FMAF(q, rh, ELU4J_GQ1);
    q = FAM_FMAF(q, rh, ELU4J_GQ0);
    const float r2 = rh * rh;
    const float w = unit_input ? r2 * q : FAM_FMAF(r2, q, FAM_FMAF(tl, rh, tl));
    const float s = fam_float(fam_bits_f(k) << 23); /* 2^n, n in [-126, 0] */
    const float sm1 = s - 1.0f;
    const float eh = FAM_FMAF(s, rh, sm1);
    const float e0 = FAM_FMAF(s, rh, sm1 - eh);
    const float el = FAM_FMAF(s, w, e0);
    const float negm = FAM_FMAF(g.chi, eh, FAM_FMAF(g.chi, el, g.clo * eh));
    const float neg = unit_input ? negm : x > -g.lin ? FAM_FMAF(g.cshi, x, g.cslo * x) : negm;
    return x > 0.0f ? pos : x < 0.0f ? neg : x;
}

/* The general kernel over n floats at any byte alignment; in place when x == y. */
#define FAM_GEN_LOOP(X, Y, UNIT, POS)                                                              \
    for (size_t i = 0; i < n; i++) {                                                               \
        float v;                                                                                   \
        memcpy(&v, (X) + 4 * i, 4);                                                                \
        const float r = FAM(gen_one)(v, g, UNIT, POS);                                             \
        memcpy((Y) + 4 * i, &r, 4);                                                                \
    }

#define FAM_GEN_SWITCH(X, Y)                                                                       \
    switch (g.unit_input * 3 + g.pos_kind) {                                                       \
    case 0: FAM_GEN_LOOP(X, Y, 0, 0) break;                                                        \
    case 1: FAM_GEN_LOOP(X, Y, 0, 1) break;                                                        \
    case 2: FAM_GEN_LOOP(X, Y, 0, 2) break;                                                        \
    case 3: FAM_GEN_LOOP(X, Y, 1, 0) break;                                                        \
    case 4: FAM_GEN_LOOP(X, Y, 1, 1) break;                                                        \
    default: FAM_GEN_LOOP(X, Y, 1, 2) break;                                                       \
    }

static void FAM(gen_f32_inplace)(const elu4j_general *gp, unsigned char *d, size_t n)
{
    const elu4j_general g = *gp;
    FAM_GEN_SWITCH(d, d)
}

static void FAM(gen_f32_out)(const elu4j_general *gp, const unsigned char *restrict x,
                             unsigned char *restrict y, size_t n)
{
    const elu4j_general g = *gp;
    FAM_GEN_SWITCH(x, y)
}

/*
 * The general kernel from src to dst (identical or disjoint, any alignment): the including file's
 * gen_f32_kernel where it defines ELU4J_GEN_KERNEL (the same operations, written by hand), else
 * the C loop above.
 */
FAM_NOINLINE static void FAM(gen_f32)(const elu4j_general *g, const void *src, void *dst, size_t n)
{
#if defined(ELU4J_GEN_KERNEL)
    gen_f32_kernel(g, src, dst, n);
    return;
#endif
    if (src == dst) {
        FAM(gen_f32_inplace)(g, (unsigned char *)dst, n);
    } else {
        FAM(gen_f32_out)(g, (const unsigned char *)src, (unsigned char *)dst, n);
    }
}
