package org.elu4j;

/**
 * An explicitly requested backend cannot run on this machine or for these arguments. The message
 * says why (library missing, module not enabled, heap memory given to a native-only backend...).
 */
public final class BackendUnavailableException extends Elu4jException {
    private static final long serialVersionUID = 1L;
    private final Backend backend;

    public BackendUnavailableException(Backend backend, String reason) {
        super("backend " + backend.cliName() + " is unavailable: " + reason);
        this.backend = backend;
    }

    public BackendUnavailableException(Backend backend, String reason, Throwable cause) {
        super("backend " + backend.cliName() + " is unavailable: " + reason, cause);
        this.backend = backend;
    }

    /** The backend that was requested. */
    public Backend backend() {
        return backend;
    }
}
