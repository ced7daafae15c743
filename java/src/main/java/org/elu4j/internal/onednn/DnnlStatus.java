package org.elu4j.internal.onednn;

import static org.elu4j.internal.onednn.ffi.Dnnl.*;

import java.util.LinkedHashMap;
import java.util.Map;
import org.elu4j.NativeCallException;

/** oneDNN status codes and CPU ISA values as names; failures become {@link NativeCallException}s. */
final class DnnlStatus {
    private static final Map<Integer, String> STATUS = new LinkedHashMap<>();
    private static final Map<Integer, String> ISA = new LinkedHashMap<>();

    static {
        STATUS.put(dnnl_success(), "dnnl_success");
        STATUS.put(dnnl_out_of_memory(), "dnnl_out_of_memory");
        STATUS.put(dnnl_invalid_arguments(), "dnnl_invalid_arguments");
        STATUS.put(dnnl_unimplemented(), "dnnl_unimplemented");
        STATUS.put(dnnl_last_impl_reached(), "dnnl_last_impl_reached");
        STATUS.put(dnnl_runtime_error(), "dnnl_runtime_error");
        STATUS.put(dnnl_not_required(), "dnnl_not_required");
        STATUS.put(dnnl_invalid_graph(), "dnnl_invalid_graph");
        STATUS.put(dnnl_invalid_graph_op(), "dnnl_invalid_graph_op");
        STATUS.put(dnnl_invalid_shape(), "dnnl_invalid_shape");
        STATUS.put(dnnl_invalid_data_type(), "dnnl_invalid_data_type");
        // Several ISA names share a value in oneDNN 3.13; the first one put wins.
        ISA.putIfAbsent(dnnl_cpu_isa_avx10_2_512_amx_2(), "avx10_2_512_amx_2");
        ISA.putIfAbsent(dnnl_cpu_isa_avx10_2_512(), "avx10_2_512");
        ISA.putIfAbsent(dnnl_cpu_isa_avx10_1_512_amx_fp16(), "avx10_1_512_amx_fp16");
        ISA.putIfAbsent(dnnl_cpu_isa_avx10_1_512_amx(), "avx10_1_512_amx");
        ISA.putIfAbsent(dnnl_cpu_isa_avx10_1_512(), "avx10_1_512 (avx512_core_fp16)");
        ISA.putIfAbsent(dnnl_cpu_isa_avx512_core_bf16(), "avx512_core_bf16");
        ISA.putIfAbsent(dnnl_cpu_isa_avx512_core_vnni(), "avx512_core_vnni");
        ISA.putIfAbsent(dnnl_cpu_isa_avx512_core(), "avx512_core");
        ISA.putIfAbsent(dnnl_cpu_isa_avx2_vnni_2(), "avx2_vnni_2");
        ISA.putIfAbsent(dnnl_cpu_isa_avx2_vnni(), "avx2_vnni");
        ISA.putIfAbsent(dnnl_cpu_isa_avx2(), "avx2");
        ISA.putIfAbsent(dnnl_cpu_isa_avx(), "avx");
        ISA.putIfAbsent(dnnl_cpu_isa_sse41(), "sse41");
        ISA.putIfAbsent(dnnl_cpu_isa_default(), "default");
    }

    private DnnlStatus() {
    }

    static String name(int status) {
        return STATUS.getOrDefault(status, "unknown oneDNN status");
    }

    static String isaName(int isa) {
        return ISA.getOrDefault(isa, "isa 0x" + Integer.toHexString(isa));
    }

    /** Throws a {@link NativeCallException} naming the call and the status unless it is dnnl_success. */
    static void check(int status, String call) {
        if (status != dnnl_success()) {
            throw new NativeCallException("oneDNN", call, status, name(status));
        }
    }
}
