package org.elu4j;

/**
 * A native call (oneDNN or the elu4j helper) returned a failure status. The message names the
 * library, the function and the status, e.g.
 * {@code oneDNN dnnl_primitive_execute failed: dnnl_invalid_arguments (2)}.
 */
public final class NativeCallException extends Elu4jException {
    private static final long serialVersionUID = 1L;
    /** {@code "oneDNN"} or {@code "elu4j helper"}. */
    private final String library;
    /** The C function that failed. */
    private final String call;
    /** The raw status code. */
    private final int status;
    /** The status code's name. */
    private final String statusName;

    /**
     * An exception whose message is {@code "<library> <call> failed: <statusName> (<status>)"}.
     *
     * @param library    the native library: {@code "oneDNN"} or {@code "elu4j helper"}
     * @param call       the C function that failed, e.g. {@code dnnl_primitive_create}
     * @param status     the raw status code it returned
     * @param statusName the status code's name, e.g. {@code dnnl_out_of_memory}
     */
    public NativeCallException(String library, String call, int status, String statusName) {
        super(library + " " + call + " failed: " + statusName + " (" + status + ")");
        this.library = library;
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** {@return the native library: {@code "oneDNN"} or {@code "elu4j helper"}} */
    public String library() {
        return library;
    }

    /** {@return the C function that failed, e.g. {@code dnnl_primitive_create}} */
    public String call() {
        return call;
    }

    /** {@return the raw status code the function returned} */
    public int status() {
        return status;
    }

    /** {@return the status code's name, e.g. {@code dnnl_out_of_memory}} */
    public String statusName() {
        return statusName;
    }
}
