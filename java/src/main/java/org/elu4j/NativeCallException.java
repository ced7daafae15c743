package org.elu4j;

/**
 * A native call (oneDNN or the elu4j helper) returned a failure status. The message names the
 * library, the function and the status, e.g.
 * {@code oneDNN dnnl_primitive_execute failed: dnnl_invalid_arguments (2)}.
 */
public final class NativeCallException extends Elu4jException {
    private static final long serialVersionUID = 1L;
    private final String library;
    private final String call;
    private final int status;
    private final String statusName;

    public NativeCallException(String library, String call, int status, String statusName) {
        super(library + " " + call + " failed: " + statusName + " (" + status + ")");
        this.library = library;
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** {@code "oneDNN"} or {@code "elu4j helper"}. */
    public String library() {
        return library;
    }

    /** The C function that failed, e.g. {@code dnnl_primitive_create}. */
    public String call() {
        return call;
    }

    /** The raw status code the function returned. */
    public int status() {
        return status;
    }

    /** The status code's name, e.g. {@code dnnl_out_of_memory}. */
    public String statusName() {
        return statusName;
    }
}
