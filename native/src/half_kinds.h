/*
 * elu4j native helper: the dispatch of a fused bf16/f16 forward loop on the parameters, shared by
 * the AVX-512 and AVX2 levels (fwd_half_avx512.h, fwd_half_avx2.h), which define ELU4J_HALF_KINDS
 * with their own constant types through ELU4J_HALF_KINDS_FOR. Included by those files only.
 *
 * The kinds (constants after inlining, the numbers their half_f32 switches on): 0 the float
 * kernel with alpha = 1, 1 with another alpha, 2 + 3 * unit_input + pos_kind the general kernel,
 * 8 LeakyReLU with a float slope, 9 with a slope pair (the slope's low part in alpha_lo), 10 the
 * general kernel's case 6 (ELU4J_GEN_CASE: lin_x, which its gen16/gen8 take as pos_kind 3).
 * In a function with p (const elu4j_params *), in, out and n; LOOP(in, out, n, ec, gc, kind).
 */
#ifndef ELU4J_HALF_KINDS_H
#define ELU4J_HALF_KINDS_H

#define ELU4J_HALF_KINDS_FOR(LOOP, CONSTS, MAKE_CONSTS, GCONSTS, MAKE_GCONSTS, SET1)                 \
    if (p->function == ELU4J_FN_LEAKY_RELU) {                                                      \
        CONSTS lc = MAKE_CONSTS(p->slope_hi);                                                      \
        lc.alpha_lo = SET1(p->slope_lo);                                                           \
        if (p->leaky_kind == ELU4J_LEAKY_FLOAT) {                                                  \
            LOOP(in, out, n, &lc, NULL, 8);                                                        \
        } else {                                                                                   \
            LOOP(in, out, n, &lc, NULL, 9);                                                        \
        }                                                                                          \
        return;                                                                                    \
    }                                                                                              \
    if (p->fast) {                                                                                 \
        const CONSTS ec = MAKE_CONSTS(p->alpha_f);                                                 \
        if (p->alpha_f == 1.0f) {                                                                  \
            LOOP(in, out, n, &ec, NULL, 0);                                                        \
        } else {                                                                                   \
            LOOP(in, out, n, &ec, NULL, 1);                                                        \
        }                                                                                          \
        return;                                                                                    \
    }                                                                                              \
    const GCONSTS gc = MAKE_GCONSTS(&p->gen);                                                      \
    switch (ELU4J_GEN_CASE(&p->gen)) {                                                             \
    case 0: LOOP(in, out, n, NULL, &gc, 2); break;                                                 \
    case 6: LOOP(in, out, n, NULL, &gc, 10); break;                                                \
    case 1: LOOP(in, out, n, NULL, &gc, 3); break;                                                 \
    case 2: LOOP(in, out, n, NULL, &gc, 4); break;                                                 \
    case 3: LOOP(in, out, n, NULL, &gc, 5); break;                                                 \
    case 4: LOOP(in, out, n, NULL, &gc, 6); break;                                                 \
    default: LOOP(in, out, n, NULL, &gc, 7); break;                                                \
    }

#endif
