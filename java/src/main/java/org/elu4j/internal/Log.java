package org.elu4j.internal;

/**
 * elu4j's {@link System.Logger}, {@code org.elu4j}, obtained on first use: a JVM in which elu4j
 * logs nothing (a healthy start that has not run a call yet) never initialises the logging
 * backend behind {@code System.Logger} (java.util.logging by default: about 15 ms).
 */
final class Log {
    private Log() {
    }

    private static final class Holder {
        static final System.Logger LOGGER = System.getLogger("org.elu4j");
    }

    static System.Logger get() {
        return Holder.LOGGER;
    }
}
