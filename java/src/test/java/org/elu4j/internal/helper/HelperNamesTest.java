package org.elu4j.internal.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.elu4j.Backend;
import org.elu4j.Elu4j;
import org.elu4j.internal.helper.ffi.Elu4jNative;
import org.junit.jupiter.api.Test;

/**
 * The names and codes HelperBackend knows without a downcall or the generated bindings (to start
 * faster) are the library's own: {@code elu4j_isa_name} for every level, {@code elu4j_version_string}
 * for the version, elu4j.h's ISA and data type codes.
 */
class HelperNamesTest {
    @Test
    void isaNamesAndVersionAreTheLibrarys() {
        assumeTrue(Elu4j.isAvailable(Backend.HELPER), "the helper is unavailable here");
        for (int isa = Elu4jNative.ELU4J_ISA_PORTABLE(); isa <= Elu4jNative.ELU4J_ISA_AVX512(); isa++) {
            assertEquals(Elu4jNative.elu4j_isa_name(isa).reinterpret(256).getString(0), HelperBackend.isaName(isa));
        }
        assertEquals(Elu4jNative.ELU4J_VERSION_NUMBER(), HelperBackend.BINDINGS_VERSION);
        // The codes HelperBackend keeps so that a first call never initialises the bindings.
        assertEquals(Elu4jNative.ELU4J_ISA_PORTABLE(), HelperBackend.ISA_PORTABLE);
        assertEquals(Elu4jNative.ELU4J_ISA_AVX2(), HelperBackend.ISA_AVX2);
        assertEquals(Elu4jNative.ELU4J_ISA_AVX512(), HelperBackend.ISA_AVX512);
        assertEquals(Elu4jNative.ELU4J_DT_F32(), HelperBackend.DT_F32);
        assertEquals(Elu4jNative.ELU4J_DT_F64(), HelperBackend.DT_F64);
        assertEquals(Elu4jNative.ELU4J_DT_BF16(), HelperBackend.DT_BF16);
        assertEquals(Elu4jNative.ELU4J_DT_F16(), HelperBackend.DT_F16);
        String version = Elu4jNative.elu4j_version_string().reinterpret(256).getString(0);
        assertEquals("helper " + version, HelperBackend.probe());
        assertEquals("helper " + version + " (", HelperBackend.best().description().substring(0, 9 + version.length()));
    }
}
