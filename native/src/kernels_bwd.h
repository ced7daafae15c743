/*
 * elu4j family kernels: the backward one-element kernels, blocks and loops (f32 pairs, double).
 * Included only by kernels_impl.h, inside one ISA level's translation unit (FAM() names, the
 * level's compiler flags); see kernels_impl.h's file comment for the arithmetic.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/*
 * FAM_BWD_NAN: where the data (x or y) is NaN, dx is that NaN, quieted (d + d); else a NaN dy
 * gives dy's NaN. Stated, not left to the operations: with two NaN operands x86 returns the
 * first source's, and which operand comes first is the compiler's choice, so the levels would
 * differ. (ReLU and LeakyReLU pass dy for a NaN x, as PyTorch does.)
 */

/* --- the f32 backward from the output in f32 ---------------------------------------------------- */

/*
 * dx for one element of ELU's backward from y (p->bwd.enabled: positive parameters in range):
 *   y > 0: dy * scale                      dy, phi * dy or phi * dy + plo * dy (one fma), by
 *                                          pos_kind as in the forward (plo > 0: no 0 * inf)
 *   else:  dy * input_scale * (y + coef)   y + coef as sh + sl (fast two-sum: for an ELU output
 *                                          |y| <= coef, where the sum cancels, so it is exact
 *                                          there), times input_scale as the pair ah + al, then
 *                                          dy * (ah + al) rounded once: within 1 ulp
 *          (fma_y: input_scale 1 and coef a power of two, e.g. ELU with alpha 1: fma(dy, y, dy * coef),
 *          dy * coef exact, so dy * (y + coef) rounded once: correctly rounded unless dy * coef
 *          overflows or is subnormal, then within 1 ulp; one multiply and one fma, as cheap as
 *          oneDNN's (y + coef) * dy with its two roundings; where the fma gives zero, infinity or
 *          NaN, the plain product dy * (coef + y) instead: the sign of a zero, dy * coef's
 *          overflow, inf * 0 and inf - inf)
 *   plain products instead where |y| or |dy| > 2^64 with an input scale (no ELU output, or a
 *   product far from 1: infinities then give infinities, not inf - inf; for a huge y, dy and sh
 *   scaled by 2^64 and 2^-64 first, so that neither sh * shi overflows nor dy * shi underflows on
 *   the way to a representable result) and where the fma gives infinity or NaN. Where it gives
 *   zero (dy = 0, or a product below half the smallest subnormal), the zero takes the exact
 *   product's sign, dy * (ah + al)'s, not the +0 of two opposite zeros: for y in [ylow, 0]
 *   (elu4j_internal.h), where y + coef > 0, that is dy's sign, so the SIMD levels' common lanes
 *   set it with one bit select. NaN in y or dy gives NaN.
 */
FAM_INLINE float FAM(bwd_y_one)(float g, float y, const elu4j_general b, const int pos_kind)
{
    const float pos = pos_kind == 0 ? g : pos_kind == 1 ? b.phi * g : FAM_FMAF(b.phi, g, b.plo * g);
    if (b.fma_y) {
        /* dy * chi is exact (chi a power of two) unless it overflows or is subnormal, so one fma is
           dy * (y + coef) rounded once; a zero, infinite or NaN fma takes the plain product */
        const float fma_r = FAM_FMAF(g, y, g * b.chi);
        const float neg_r = isfinite(fma_r) && fma_r != 0.0f ? fma_r : g * (b.chi + y);
        return isnan(y) ? y + y : y > 0.0f ? pos : neg_r; /* NaN: see FAM_BWD_NAN */
    }
    const float sh = b.chi + y;
    const float sl = (y - (sh - b.chi)) + b.clo;
    const float ah = sh * b.shi;
    const float al = FAM_FMAF(sh, b.shi, -ah) + FAM_FMAF(sl, b.shi, sh * b.slo);
    const float ay = fabsf(y), ag = fabsf(g);
    const float fine = FAM_FMAF(g, ah, g * al);
    const float coarse = ay > 0x1p64f ? (g * 0x1p64f) * ((sh * 0x1p-64f) * b.shi) : g * (ah + al);
    /* with input_scale 1 the fma alone shows the operands' trouble: sh * shi and dy * shi are exact */
    const int huge = !b.unit_input && (ay > 0x1p64f || ag > 0x1p64f);
    const float neg = huge || !isfinite(fine) ? coarse : fine == 0.0f ? copysignf(0.0f, coarse) : fine;
    return isnan(y) ? y + y : y > 0.0f ? pos : neg; /* NaN: kernels_bwd.h's rule, see FAM_BWD_NAN */
}

/* The vector kernels' forms of bwd_y_one (a compile-time argument): the pairs with coef's low part,
   the pairs where clo = 0, and fma_y's one fma. */
#define FAM_BWD_Y_PAIRS 0
#define FAM_BWD_Y_PAIRS_NO_CLO 1
#define FAM_BWD_Y_FMA 2
/* Their loops' switch: yform * 6 + unit_input * 3 + pos_kind (fma_y has a unit input: 15..17). */
#define FAM_BWD_Y_CASE(b)                                                                          \
    (((b)->fma_y ? FAM_BWD_Y_FMA : (b)->clo == 0.0f) * 6 + (b)->unit_input * 3 + (b)->pos_kind)
/*
 * The backward from x's case that the AVX-512 and AVX2 loops run with unit_input = 2 (bwd_avx512.h's
 * bwd_x16): ELU with a power-of-two alpha and scale 1 (input scale 1), where gh = dy * cis is
 * exact but where subnormal and bwd_x_one's gl is a zero.
 */
#define FAM_BWD_X_EXACT_GH(b) ((b)->fma_y && (b)->pos_kind == 0)

/*
 * dx for one element of ELU's backward from x (p->bwd.enabled), in a group whose every element
 * has t = shi * x >= FAM_BWD_X_LOW (or NaN) and |dy| <= 2^64 (bwd_f32_block checks; other groups
 * take the double loop):
 *   x > 0: dy * scale, as bwd_y_one
 *   else:  dy * cis * exp(t)   exp(t) as the pair eh + el: the forward's reduction (n, exact rh,
 *                              rest tl and ln 2's rest, the same q, 2^n a normal float for
 *                              t >= -87), then
 *                              e^t = s + s rh + s w, w = rh^2 q + lo e^rh (lo: what r lost, t's
 *                              rest and ln 2's; with an input scale it reaches ~2^-17 for
 *                              |t| > 64, so lo (1 + rh) alone would be up to ~6 ulp short: lo
 *                              is multiplied by 1 + (rh + rh^2 q)), eh = fma(s, rh, s) and its exact error
 *                              (Sterbenz: eh is within a factor 2 of s); dy * cis as the pair
 *                              gh + gl (fma), and one rounding of (gh + gl)(eh + el): within 1 ulp
 *   a zero result takes gh * eh's sign (the exact product's, not the +0 of opposite zeros).
 */
#define FAM_BWD_X_LOW (-87.0f)
/* ln 2 - ELU4J_LN2 (f32 ln 2 is 1.9e-9 too large): exp(t), unlike expm1(t) near -1, feels it as a
   relative error n * 1.9e-9, up to 20 ulps at n = -126, so the reduction keeps it. */
#define FAM_LN2_LO_F (-0x1.05c610p-29f)

FAM_INLINE float FAM(bwd_x_one)(float g, float x, const elu4j_general b, const int unit_input,
                                const int pos_kind)
{
    const float pos = pos_kind == 0 ? g : pos_kind == 1 ? b.phi * g : FAM_FMAF(b.phi, g, b.plo * g);
    const float th = unit_input ? x : b.shi * x;
    const float tl = unit_input ? 0.0f : FAM_FMAF(b.slo, x, FAM_FMAF(b.shi, x, -th));
    const float k = FAM_FMAF(th, ELU4J_LOG2E, ELU4J_SHIFT);
    const float nf = k - ELU4J_SHIFT;
    const float rh = FAM_FMAF(nf, -ELU4J_LN2, th);
    float q = FAM_FMAF(ELU4J_GQ4, rh, ELU4J_GQ3);
    q = FAM_FMAF(q, rh, ELU4J_GQ2);
    q = FAM_FMAF(q, rh, ELU4J_GQ1);
    q = FAM_FMAF(q, rh, ELU4J_GQ0);
    const float lo = FAM_FMAF(nf, -FAM_LN2_LO_F, tl); /* what r lost: ln 2's rest and t's */
    const float r2q = (rh * rh) * q;
    const float w = r2q + FAM_FMAF(lo, rh + r2q, lo); /* lo * e^rh: see above */
    const float s = fam_float(fam_bits_f(k) << 23);
    const float eh = FAM_FMAF(s, rh, s);
    const float el = FAM_FMAF(s, w, FAM_FMAF(s, rh, s - eh));
    const float gh = g * b.cshi;
    const float gl = FAM_FMAF(g, b.cslo, FAM_FMAF(g, b.cshi, -gh));
    const float fine = FAM_FMAF(gh, eh, FAM_FMAF(gh, el, gl * eh));
    const float neg = fine == 0.0f ? gh * eh : fine;
    return x > 0.0f ? pos : neg;
}

/* --- backward blocks ----------------------------------------------------------------------------- */

/*
 * The backward from x decides between f32 pairs and double per group of FAM_BWD_GROUP elements
 * (counted from the start of the call): a group takes the double loop when one of its elements
 * has t = shi * x < FAM_BWD_X_LOW or |dy| > 2^64. Every level, and the AVX-512 kernel that does a
 * group per vector, decides on the same groups, so their bits agree.
 */
#define FAM_BWD_GROUP 16

FAM_INLINE int FAM(bwd_x_outside)(const elu4j_general *b, const float *dy, const float *d,
                                  size_t m)
{
    int outside = 0;
    for (size_t i = 0; i < m; i++) {
        outside |= !(b->shi * d[i] >= FAM_BWD_X_LOW) | (fabsf(dy[i]) > 0x1p64f); /* NaN x too */
    }
    return outside;
}

/* The backward from x in double, rounded once (the groups the pairs do not take). */
FAM_INLINE float FAM(bwd_x_double_one)(const elu4j_params *p, float dy, float x)
{
    const double g = (double)dy;
    const double pos = g * p->scale;
    const double neg = (g * p->cis) * fam_exp((double)x * p->input_scale, 0);
    return isnan(x) ? x + x : (float)(x > 0.0f ? pos : neg);
}

static void FAM(bwd_x_double)(const elu4j_params *p, const float *restrict dy,
                              const float *restrict d, float *restrict dx, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        dx[i] = FAM(bwd_x_double_one)(p, dy[i], d[i]);
    }
}

static void FAM(bwd_x_pairs)(const elu4j_general *bp, const float *restrict dy,
                             const float *restrict d, float *restrict dx, size_t m)
{
    const elu4j_general b = *bp;
    switch (b.unit_input * 3 + b.pos_kind) {
    case 0: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 0, 0); break;
    case 1: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 0, 1); break;
    case 2: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 0, 2); break;
    case 3: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 1, 0); break;
    case 4: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 1, 1); break;
    default: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_x_one)(dy[i], d[i], b, 1, 2); break;
    }
}

/* m elements from the start of a group (ELU4J_FAM_BLOCK is a multiple of FAM_BWD_GROUP). */
static void FAM(bwd_f32_block)(const elu4j_params *p, int from_dst, const float *restrict dy,
                               const float *restrict d, float *restrict dx, size_t m)
{
    switch (p->function) {
    case ELU4J_FN_RELU:
    case ELU4J_FN_LEAKY_RELU:
        FAM(relu_f32_direct)(p, dy, d, dx, m); /* kernels_relu.h */
        break;
    default: {
        if (!from_dst && p->bwd.enabled) { /* f32 pairs where the group allows: bwd_x_one */
            /* the pairs over the whole block (one long loop vectorises), then the groups
               outside their range again in double (rare; the pairs' values there are dropped) */
            FAM(bwd_x_pairs)(&p->bwd, dy, d, dx, m);
            for (size_t j = 0; j < m; j += FAM_BWD_GROUP) {
                const size_t k = m - j < FAM_BWD_GROUP ? m - j : FAM_BWD_GROUP;
                if (FAM(bwd_x_outside)(&p->bwd, dy + j, d + j, k)) {
                    FAM(bwd_x_double)(p, dy + j, d + j, dx + j, k);
                }
            }
            break;
        }
        if (from_dst && p->bwd.enabled) { /* f32 pairs: see bwd_y_one */
            const elu4j_general b = p->bwd;
            switch (b.pos_kind) {
            case 0: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_y_one)(dy[i], d[i], b, 0); break;
            case 1: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_y_one)(dy[i], d[i], b, 1); break;
            default: for (size_t i = 0; i < m; i++) dx[i] = FAM(bwd_y_one)(dy[i], d[i], b, 2); break;
            }
            break;
        }
        if (from_dst) {
            const double scale = p->scale, is = p->input_scale, coef = p->coef;
            for (size_t i = 0; i < m; i++) {
                const double g = (double)dy[i];
                const double pos = g * scale;
                const double neg = (g * is) * ((double)d[i] + coef);
                dx[i] = isnan(d[i]) ? d[i] + d[i] : (float)(d[i] > 0.0f ? pos : neg);
            }
        } else {
            FAM(bwd_x_double)(p, dy, d, dx, m);
        }
        break;
    }
    }
}

/*
 * The f64 backward from x in double, one element: the block path's loop (vectorised by GCC), and
 * kernels_f64_bwd.h's f64b_other for the lanes outside the table kernel's range.
 * exp magnifies the rounding of x*is (|t|*2^-53 relative: 300 ulps at t = -672);
 * exp(t + terr) = exp(t)*(1 + terr) with the exact error terr of the product (fma) puts it back.
 * terr is 0 where t is not finite (the fma gives NaN or inf there), and an exact t or an infinite
 * e keeps e as it is (no inf*0, no inf-inf). This is the scalar oracle's definition,
 * (dy * cis) * exp(t) in double: where exp(t) is below DBL_MIN its rounding error is large, and
 * only a huge dy would lift such a product back into the normal range.
 */
FAM_INLINE double FAM(bwd_f64_x_double_one)(double g, double x, double scale, double is, double cis)
{
    const double pos = g * scale;
    const double t = x * is;
    const double terr0 = fma(x, is, -t);
    const double terr = fabs(t) <= DBL_MAX ? terr0 : 0.0;
    const double e = fam_exp(t, 1);
    const double ec = terr != 0.0 && e <= DBL_MAX ? e + e * terr : e;
    const double neg = (g * cis) * ec;
    return isnan(x) ? x + x : x > 0.0 ? pos : neg; /* NaN: see FAM_BWD_NAN */
}

static void FAM(bwd_f64_block)(const elu4j_params *p, int from_dst, const double *restrict dy,
                               const double *restrict d, double *restrict dx, size_t m)
{
    switch (p->function) {
    case ELU4J_FN_RELU:
        for (size_t i = 0; i < m; i++) {
            dx[i] = d[i] <= 0.0 ? 0.0 : dy[i]; /* NaN d passes dy, as PyTorch */
        }
        break;
    case ELU4J_FN_LEAKY_RELU: {
        const double slope = p->alpha;
        for (size_t i = 0; i < m; i++) {
            const double neg = slope * dy[i];
            dx[i] = d[i] > 0.0 ? dy[i] : neg;
        }
        break;
    }
    default: {
        const double scale = p->scale, is = p->input_scale, coef = p->coef, clo = p->clo, cis = p->cis;
        if (from_dst) {
            for (size_t i = 0; i < m; i++) {
                const double pos = dy[i] * scale;
                const double neg = (dy[i] * is) * ((d[i] + coef) + clo);
                dx[i] = isnan(d[i]) ? d[i] + d[i] : d[i] > 0.0 ? pos : neg;
            }
        } else {
            for (size_t i = 0; i < m; i++) {
                dx[i] = FAM(bwd_f64_x_double_one)(dy[i], d[i], scale, is, cis);
            }
        }
        break;
    }
    }
}

/* The backward from y over n floats at any byte alignment; dx may be dy (in place). */
#define FAM_BWD_Y_LOOP(G, DX, POS)                                                                 \
    for (size_t i = 0; i < n; i++) {                                                               \
        float gv, dv;                                                                              \
        memcpy(&gv, (G) + 4 * i, 4);                                                               \
        memcpy(&dv, d + 4 * i, 4);                                                                 \
        const float r = FAM(bwd_y_one)(gv, dv, b, POS);                                            \
        memcpy((DX) + 4 * i, &r, 4);                                                               \
    }

static void FAM(bwd_y_f32_inplace)(const elu4j_general *bp, unsigned char *g,
                                   const unsigned char *restrict d, size_t n)
{
    const elu4j_general b = *bp;
    switch (b.pos_kind) {
    case 0: FAM_BWD_Y_LOOP(g, g, 0) break;
    case 1: FAM_BWD_Y_LOOP(g, g, 1) break;
    default: FAM_BWD_Y_LOOP(g, g, 2) break;
    }
}

/*
 * The f64 backward from y of the ELU family over n doubles at any byte alignment: bwd_f64_block's
 * operations (the same bits) without the block path's three copies per block, which cost more
 * than the arithmetic (a product, a sum and two selects per element). In place and out of place
 * are separate loops so that GCC vectorises both without alias checks. (The AVX2 and AVX-512
 * levels run the same operations with intrinsics where the call streams its stores:
 * kernels_f64_bwd_avx512.h's f64_bwd_y_stream.)
 */
#define FAM_BWD_Y_F64_LOOP(G, DX)                                                                  \
    for (size_t i = 0; i < n; i++) {                                                               \
        double gv, dv;                                                                             \
        memcpy(&gv, (G) + 8 * i, 8);                                                               \
        memcpy(&dv, d + 8 * i, 8);                                                                 \
        const double pos = gv * scale;                                                             \
        const double neg = (gv * is) * ((dv + coef) + clo);                                        \
        const double r = isnan(dv) ? dv + dv : dv > 0.0 ? pos : neg;                              \
        memcpy((DX) + 8 * i, &r, 8);                                                               \
    }

static void FAM(bwd_y_f64_inplace)(const elu4j_params *p, unsigned char *g,
                                   const unsigned char *restrict d, size_t n)
{
    const double scale = p->scale, is = p->input_scale, coef = p->coef, clo = p->clo;
    FAM_BWD_Y_F64_LOOP(g, g)
}

static void FAM(bwd_y_f64_out)(const elu4j_params *p, const unsigned char *restrict g,
                               const unsigned char *restrict d, unsigned char *restrict dx,
                               size_t n)
{
    const double scale = p->scale, is = p->input_scale, coef = p->coef, clo = p->clo;
    FAM_BWD_Y_F64_LOOP(g, dx)
}

static void FAM(bwd_y_f32_out)(const elu4j_general *bp, const unsigned char *restrict g,
                               const unsigned char *restrict d, unsigned char *restrict dx,
                               size_t n)
{
    const elu4j_general b = *bp;
    switch (b.pos_kind) {
    case 0: FAM_BWD_Y_LOOP(g, dx, 0) break;
    case 1: FAM_BWD_Y_LOOP(g, dx, 1) break;
    default: FAM_BWD_Y_LOOP(g, dx, 2) break;
    }
}
