package org.elu4j.internal.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The executor of a thread when the helper library is loaded: a long forward call (more than
 * {@link CallExecutor#CRITICAL_MAX_BYTES}, or oneDNN on several threads) in one ordinary downcall
 * through {@link ExecuteShim}; a short one, and every backward one (three memories, which the
 * unary shim does not take), through a {@link CallExecutor} that sets the data handles only where
 * a tensor moved (critical downcalls) and then executes and waits in one downcall, the helper's
 * {@code elu4j_dnnl_execute_wait}: a short call measured cheaper that way than through the unary
 * shim, which sets both handles every time (docs/benchmarks.md, "oneDNN call path").
 */
final class ShimExecutor implements Executor {
    private final ExecuteShim shim;
    private final MemorySegment stream;
    /** The thread's out-parameters, shared with {@link #calls} (one thread uses both, in turn). */
    private final ExecuteShim.Out status;
    private final CallExecutor calls;

    ShimExecutor(ExecuteShim shim, Stream stream, Arena arena, boolean criticalAllowed) {
        this.shim = shim;
        this.stream = stream.handle();
        this.status = new ExecuteShim.Out(arena);
        this.calls = new CallExecutor(stream, arena, criticalAllowed, shim, status);
    }

    @Override
    public void execute(Primitive primitive, Memory[] memories, MemorySegment in, MemorySegment out, int dataArg,
                        MemorySegment data) {
        if (data != null || calls.critical(in.byteSize())) {
            calls.execute(primitive, memories, in, out, dataArg, data);
            return;
        }
        // The shim sets both data handles; if it fails, which ones it set is not known.
        memories[0].forgetDataAddress();
        memories[1].forgetDataAddress();
        shim.execute(primitive.handle(), stream, memories[0].handle(), memories[1].handle(), in, out, status);
        memories[0].pointedAt(in);
        memories[1].pointedAt(out);
    }
}
