package org.elu4j.internal.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The executor of a thread when the helper library is loaded: a forward primitive in one downcall
 * through {@link ExecuteShim}, a backward one (three memories, which the unary shim does not take)
 * through the plain calls of a {@link CallExecutor}.
 */
final class ShimExecutor implements Executor {
    private final ExecuteShim shim;
    private final MemorySegment stream;
    private final ExecuteShim.Out status;
    private final CallExecutor backward;

    ShimExecutor(ExecuteShim shim, Stream stream, Arena arena) {
        this.shim = shim;
        this.stream = stream.handle();
        this.status = new ExecuteShim.Out(arena);
        this.backward = new CallExecutor(stream, arena);
    }

    @Override
    public void execute(Primitive primitive, Memory[] memories, MemorySegment in, MemorySegment out, int dataArg,
                        MemorySegment data) {
        if (data != null) {
            backward.execute(primitive, memories, in, out, dataArg, data);
            return;
        }
        shim.execute(primitive.handle(), stream, memories[0].handle(), memories[1].handle(), in, out, status);
    }
}
