package org.elu4j.bench.peers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_bf16;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_backward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_elu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_elu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_linear;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu_use_dst_for_bwd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f16;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;

/**
 * The ELU family's general form {@code y = s*x (x > 0), a*s*expm1(i*x) (x <= 0)} (ELU, SELU,
 * CELU), forward and both backward passes, composed of oneDNN eltwise primitives called through
 * oneDNN's JavaCPP preset (JNI), the way a JavaCPP user without a fused primitive would: every
 * primitive and memory object is created once; {@link #run()} executes each primitive, then waits
 * for the stream once.
 *
 * <ul>
 * <li>Forward: {@code linear(i)} x to y (if {@code i != 1}), {@code elu(a*i)} (in place if a
 *     linear pass ran), {@code linear(s/i)} in place (if {@code s != i}).</li>
 * <li>Backward from the input ({@code i = 1} only: {@code exp(i*x)} would need a scratch tensor):
 *     {@code linear(s)} dy to dx (if {@code s != 1}), then the {@code elu(a)} backward (dx in place).</li>
 * <li>Backward from the output: {@code linear(s)} dy to dx (if {@code s != 1}),
 *     {@code elu_use_dst_for_bwd(a*s)}, then {@code relu_use_dst_for_bwd(i/s)} in place (if
 *     {@code i != s}); needs {@code a >= 0}.</li>
 * </ul>
 * A composition oneDNN cannot build here (e.g. f16 on a CPU without f16 eltwise kernels) fails in
 * the constructor with the failing create call and its status.
 */
public final class JavaCppOneDnnFamily implements AutoCloseable {
    /** Which pass: {@code y = f(x)}, {@code dx = dy*f'(x)} from x, or from {@code y = f(x)}. */
    public enum Pass { FORWARD, BACKWARD_FROM_INPUT, BACKWARD_FROM_OUTPUT }

    private final dnnl_engine engine;
    private final dnnl_stream stream;
    private final List<dnnl_memory> memories = new ArrayList<>();
    private final List<dnnl_primitive> primitives = new ArrayList<>();
    private final List<dnnl_exec_arg_t> args = new ArrayList<>();
    private final List<Integer> argCounts = new ArrayList<>();
    private final String plan;

    /**
     * @param type  {@code f32}, {@code bf16} or {@code f16} (what oneDNN's memory descriptor takes)
     * @param a     alpha, {@code s} scale, {@code i} input scale of the general form ({@code i > 0})
     * @param in    forward: x; backward: dy
     * @param xy    backward: x (from the input) or y (from the output); forward: unused (null)
     * @param out   forward: y; backward: dx (as large as {@code in}, native, not overlapping it)
     */
    public JavaCppOneDnnFamily(String type, double a, double s, double i, Pass pass, MemorySegment in,
            MemorySegment xy, MemorySegment out) {
        int dt = switch (type) {
            case "f32" -> dnnl_f32;
            case "bf16" -> dnnl_bf16;
            case "f16" -> dnnl_f16;
            default -> throw new IllegalArgumentException("oneDNN has no eltwise for " + type);
        };
        int bytes = type.equals("f32") ? 4 : 2;
        if (!(i > 0)) {
            throw new IllegalArgumentException("input scale must be > 0 to compose (the sign of i*x must be that of x)");
        }
        long n = in.byteSize() / bytes;
        engine = new dnnl_engine();
        check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
        stream = new dnnl_stream();
        check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
        dnnl_memory_desc md = new dnnl_memory_desc();
        check(dnnl_memory_desc_create_with_tag(md, 1, new long[] {n}, dt, dnnl_a), "dnnl_memory_desc_create_with_tag");
        StringBuilder p = new StringBuilder();
        try {
            dnnl_memory inM = memory(md, in);
            dnnl_memory outM = memory(md, out);
            switch (pass) {
                case FORWARD -> {
                    dnnl_memory src = inM;
                    if (i != 1) {
                        forward(md, dnnl_eltwise_linear, (float) i, src, outM, p, "linear");
                        src = outM;
                    }
                    forward(md, dnnl_eltwise_elu, (float) (a * i), src, outM, p, "elu");
                    if (s != i) {
                        forward(md, dnnl_eltwise_linear, (float) (s / i), outM, outM, p, "linear");
                    }
                }
                case BACKWARD_FROM_INPUT -> {
                    if (i != 1) {
                        throw new IllegalArgumentException("oneDNN's elu backward reads x itself: exp(i*x) with i != 1 "
                                + "would need a scratch tensor (not composed)");
                    }
                    dnnl_memory dy = inM;
                    if (s != 1) {
                        forward(md, dnnl_eltwise_linear, (float) s, dy, outM, p, "linear");
                        dy = outM;
                    }
                    backward(md, dnnl_eltwise_elu, false, (float) a, dy, memory(md, xy), outM, p, "elu bwd");
                }
                case BACKWARD_FROM_OUTPUT -> {
                    if (!(a >= 0)) {
                        throw new IllegalArgumentException("oneDNN's _use_dst_for_bwd algorithms need alpha >= 0");
                    }
                    dnnl_memory y = memory(md, xy);
                    dnnl_memory dy = inM;
                    if (s != 1) {
                        forward(md, dnnl_eltwise_linear, (float) s, dy, outM, p, "linear");
                        dy = outM;
                    }
                    backward(md, dnnl_eltwise_elu_use_dst_for_bwd, true, (float) (a * s), dy, y, outM, p,
                            "elu_use_dst bwd");
                    if (i != s) {
                        backward(md, dnnl_eltwise_relu_use_dst_for_bwd, true, (float) (i / s), outM, y, outM, p,
                                "relu_use_dst bwd");
                    }
                }
                default -> throw new IllegalArgumentException(String.valueOf(pass));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            dnnl_memory_desc_destroy(md);
        }
        plan = p.toString();
    }

    /** The primitives run per call, e.g. {@code elu(1.6732632) -> linear(1.050701)}. */
    public String plan() {
        return plan;
    }

    private dnnl_memory memory(dnnl_memory_desc md, MemorySegment s) {
        dnnl_memory m = new dnnl_memory();
        // A JavaCPP Pointer over the segment's memory (a direct ByteBuffer view): no copy.
        check(dnnl_memory_create(m, md, engine, new Pointer(s.asByteBuffer())), "dnnl_memory_create");
        memories.add(m);
        return m;
    }

    private void forward(dnnl_memory_desc md, int alg, float alpha, dnnl_memory src, dnnl_memory dst,
            StringBuilder p, String name) {
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        check(dnnl_eltwise_forward_primitive_desc_create(pd, engine, dnnl_forward_inference, alg, md, md, alpha, 0f,
                null), "dnnl_eltwise_forward_primitive_desc_create (" + name + ")");
        try {
            add(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST}, new dnnl_memory[] {src, dst});
        } finally {
            dnnl_primitive_desc_destroy(pd);
        }
        p.append(p.isEmpty() ? "" : " -> ").append(name).append('(').append(alpha).append(')');
    }

    private void backward(dnnl_memory_desc md, int alg, boolean useDst, float alpha, dnnl_memory dy,
            dnnl_memory data, dnnl_memory dx, StringBuilder p, String name) {
        dnnl_primitive_desc hint = new dnnl_primitive_desc();
        check(dnnl_eltwise_forward_primitive_desc_create(hint, engine, dnnl_forward_training, alg, md, md, alpha, 0f,
                null), "dnnl_eltwise_forward_primitive_desc_create (" + name + " hint)");
        try {
            dnnl_primitive_desc pd = new dnnl_primitive_desc();
            check(dnnl_eltwise_backward_primitive_desc_create(pd, engine, alg, md, md, md, alpha, 0f, hint, null),
                    "dnnl_eltwise_backward_primitive_desc_create (" + name + ")");
            try {
                add(pd, new int[] {DNNL_ARG_DIFF_DST, useDst ? DNNL_ARG_DST : DNNL_ARG_SRC, DNNL_ARG_DIFF_SRC},
                        new dnnl_memory[] {dy, data, dx});
            } finally {
                dnnl_primitive_desc_destroy(pd);
            }
        } finally {
            dnnl_primitive_desc_destroy(hint);
        }
        p.append(p.isEmpty() ? "" : " -> ").append(name).append('(').append(alpha).append(')');
    }

    private void add(dnnl_primitive_desc pd, int[] kinds, dnnl_memory[] mems) {
        dnnl_primitive prim = new dnnl_primitive();
        check(dnnl_primitive_create(prim, pd), "dnnl_primitive_create");
        primitives.add(prim);
        dnnl_exec_arg_t a = new dnnl_exec_arg_t(kinds.length);
        for (int k = 0; k < kinds.length; k++) {
            a.position(k).arg(kinds[k]).memory(mems[k]);
        }
        a.position(0);
        args.add(a);
        argCounts.add(kinds.length);
    }

    /**
     * One call: every primitive in order, then one wait for the stream.
     *
     * @return {@code dnnl_stream_wait}'s status (success)
     */
    public int run() {
        for (int k = 0; k < primitives.size(); k++) {
            int status = dnnl_primitive_execute(primitives.get(k), stream, argCounts.get(k), args.get(k));
            if (status != dnnl_success) {
                throw new IllegalStateException("dnnl_primitive_execute returned " + status);
            }
        }
        return dnnl_stream_wait(stream);
    }

    @Override
    public void close() {
        // Memory objects only hold the buffers' addresses: destroying them does not touch the buffers.
        primitives.forEach(p -> dnnl_primitive_destroy(p));
        primitives.clear();
        memories.forEach(m -> dnnl_memory_destroy(m));
        memories.clear();
        args.forEach(Pointer::close);
        args.clear();
        if (stream != null && !stream.isNull()) {
            dnnl_stream_destroy(stream);
        }
        if (engine != null && !engine.isNull()) {
            dnnl_engine_destroy(engine);
        }
    }

    private static void check(int status, String call) {
        if (status != dnnl_success) {
            throw new IllegalStateException(call + " returned dnnl_status " + status);
        }
    }
}
