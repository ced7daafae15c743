package org.elu4j;

/** Base class of the exceptions elu4j throws for failures that are not plain bad arguments. */
public class Elu4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Elu4jException(String message) {
        super(message);
    }

    public Elu4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
