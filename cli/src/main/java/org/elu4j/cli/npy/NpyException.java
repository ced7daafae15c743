package org.elu4j.cli.npy;

import java.io.Serial;
import java.nio.file.Path;
import org.elu4j.Elu4jException;

/**
 * A {@code .npy} file that elu4j cannot read or write. The message is one line that names the
 * file and the problem, fit to print as it is:
 * {@code in.npy: unsupported dtype '>f4' (big-endian float32); elu4j reads little-endian '<f4'; ...}.
 * I/O failures (missing file, permission denied, disk full) come as this exception too, with the
 * {@link java.io.IOException} as the cause.
 */
public final class NpyException extends Elu4jException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final String detail;

    /**
     * @param path the file, or null when the bytes came from elsewhere
     * @param detail the problem, without the file name
     */
    public NpyException(Path path, String detail) {
        this(path, detail, null);
    }

    public NpyException(Path path, String detail, Throwable cause) {
        super(path == null ? detail : path + ": " + detail, cause);
        this.path = path;
        this.detail = detail;
    }

    /** The file the problem is in; null if the exception came from parsing bytes with no file. */
    public Path path() {
        return path;
    }

    /** The problem, without the file name. */
    public String detail() {
        return detail;
    }

    /** This exception naming {@code file}: itself if it already names a file. */
    NpyException withPath(Path file) {
        if (path != null || file == null) {
            return this;
        }
        NpyException e = new NpyException(file, detail, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }
}
