package org.elu4j;

/**
 * An explicitly requested backend cannot run on this machine or for these arguments, or the backend
 * a call was bound to can no longer run (oneDNN after its shutdown, also under AUTO where AUTO had
 * bound oneDNN). The message says why (library missing, module not enabled, heap memory given to a
 * native-only backend...).
 */
public final class BackendUnavailableException extends Elu4jException {
    private static final long serialVersionUID = 1L;
    /** The backend that cannot run the call. */
    private final Backend backend;

    /**
     * An exception whose message is {@code "backend <name> is unavailable: <reason>"}.
     *
     * @param backend the backend that cannot run the call
     * @param reason  why it cannot run, for people
     * @throws NullPointerException if backend is null
     */
    public BackendUnavailableException(Backend backend, String reason) {
        super("backend " + backend.cliName() + " is unavailable: " + reason);
        this.backend = backend;
    }

    /**
     * An exception whose message is {@code "backend <name> is unavailable: <reason>"}, with the
     * failure that made the backend unavailable.
     *
     * @param backend the backend that cannot run the call
     * @param reason  why it cannot run, for people
     * @param cause   the underlying failure (may be null)
     * @throws NullPointerException if backend is null
     */
    public BackendUnavailableException(Backend backend, String reason, Throwable cause) {
        super("backend " + backend.cliName() + " is unavailable: " + reason, cause);
        this.backend = backend;
    }

    /** {@return the backend that cannot run the call: the one requested, or the one AUTO had bound} */
    public Backend backend() {
        return backend;
    }
}
