package org.elu4j.cli.npy;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@code .npy} file mapped for reading by {@link NpyFile#mapForRead}: its header and a read-only
 * segment of exactly its data bytes, in C order. The segment is valid until the arena it was mapped
 * with is closed.
 *
 * @param path the file
 * @param header its header
 * @param data its {@link NpyHeader#dataBytes()} data bytes, read-only; read elements with
 *     {@code header.dtype().elementLayout()}
 */
public record NpyArray(Path path, NpyHeader header, MemorySegment data) {

    public NpyArray {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(data, "data");
        if (data.byteSize() != header.dataBytes()) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes for " + header.dataBytes()
                    + " bytes of data");
        }
    }

    /** The number of elements. */
    public long elementCount() {
        return header.elementCount();
    }

    /** The dimensions (a copy). */
    public long[] shape() {
        return header.shape();
    }
}
