package org.elu4j.internal.scalar;

import org.elu4j.Backend;
import org.elu4j.testing.Candidate;
import org.elu4j.testing.ConformanceSuite;

/**
 * The scalar backend (the oracle itself, through the public API) on the conformance suite: it
 * must run every cell, and computes bf16/f16 in f32. Its accuracy against the high-precision
 * reference is {@code ScalarOracleTest}'s.
 */
class ScalarConformanceTest extends ConformanceSuite {
    @Override
    protected Candidate subject() {
        return Candidate.of(Backend.SCALAR);
    }

    @Override
    protected boolean halfIsItsF32ResultRounded() {
        return true;
    }
}
