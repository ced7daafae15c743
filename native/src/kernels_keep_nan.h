/*
 * The forward's NaN pass-through of the family kernels: included by kernels_impl.h after its FAM
 * macros, once per ISA level (the functions take the level's suffix). One function per floating
 * type, the same rule on each type's bits.
 */
#ifndef FAM
#error "included by kernels_impl.h only"
#endif

/*
 * v itself where v is a NaN, else r: the forward's "NaN -> the same bits" (r is computed from v).
 * GCC keeps isnan(v) ? v : r as written (and vectorises the callers' selects in the order they
 * are written: the ReLU loops keep v > 0 ? v : first, as before, which measured 2x faster).
 * LLVM does not: it treats x * 1.0 as x even for a signalling NaN, and rewrote v > 0 ? v : isnan(v) ? v : c * v into v * (v > 0 ? 1 : c), which
 * quiets a signalling NaN; an integer select on the bits became the same float select. So under
 * Clang the test and the select go through bits that an empty asm hides from the optimiser: the
 * loops around it then run scalar in a Clang build (slower, the same bits).
 */
FAM_INLINE float FAM(keep_nan_f32)(float v, float r)
{
#if defined(__clang__)
    uint32_t bv, br;
    memcpy(&bv, &v, sizeof bv);
    memcpy(&br, &r, sizeof br);
    __asm__("" : "+r"(bv));
    const uint32_t o = (bv & 0x7FFFFFFFu) > 0x7F800000u ? bv : br;
    float out;
    memcpy(&out, &o, sizeof out);
    return out;
#else
    return isnan(v) ? v : r;
#endif
}

FAM_INLINE double FAM(keep_nan_f64)(double v, double r)
{
#if defined(__clang__)
    uint64_t bv, br;
    memcpy(&bv, &v, sizeof bv);
    memcpy(&br, &r, sizeof br);
    __asm__("" : "+r"(bv));
    const uint64_t o = (bv & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull ? bv : br;
    double out;
    memcpy(&out, &o, sizeof out);
    return out;
#else
    return isnan(v) ? v : r;
#endif
}
