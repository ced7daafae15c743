package org.elu4j;

/** Base class of the exceptions elu4j throws for failures that are not plain bad arguments. */
public class Elu4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what failed, for people
     */
    public Elu4jException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the failure that caused it.
     *
     * @param message what failed, for people
     * @param cause   the underlying failure (may be null)
     */
    public Elu4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
