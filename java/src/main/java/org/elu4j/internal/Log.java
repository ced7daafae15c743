package org.elu4j.internal;

/**
 * elu4j's {@link System.Logger}, {@code org.elu4j}, obtained on first use.
 *
 * <p>The first call logs the start line, and starting the logging backend is a large part of a
 * fresh JVM's first call after the JDK's own first downcall: java.util.logging's configuration,
 * handler and formatter (its dates, its locale data) take tens of milliseconds of CPU
 * (docs/benchmarks.md, "The logging backend's start off the first call"). So the first binding
 * has a daemon thread ({@link #startInBackground}) obtain the logger meanwhile and,
 * where java.util.logging's own formatters write the line, format a record of its own with each
 * (not published): the first call then finds all of it loaded. The line itself is still logged by
 * the first call, so a JVM that exits right after it still writes it.
 */
final class Log {
    private Log() {
    }

    /** The name of the thread {@link #startInBackground} starts. */
    static final String THREAD_NAME = "elu4j-log-start";

    private static final class Holder {
        static final System.Logger LOGGER = System.getLogger("org.elu4j");
    }

    static System.Logger get() {
        return Holder.LOGGER;
    }

    /** Whether {@link #startInBackground} has run. */
    private static final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Starts the logging backend on a daemon thread ({@value #THREAD_NAME}), as the class comment
     * says, once per JVM: called by each binding ({@code BackendProvider.bind}), so the first one,
     * before it links the helper or loads oneDNN (tens of milliseconds), starts it. Not at the
     * provider's start: a JVM that only asks what runs makes none of its handlers.
     */
    static void startInBackground() {
        if (started.get() || !started.compareAndSet(false, true)) {
            return;
        }
        try {
            Thread t = new Thread(new Starter(), THREAD_NAME); // a class, not a lambda: the first call's path
            t.setDaemon(true);
            t.start();
        } catch (RuntimeException | OutOfMemoryError e) {
            // No thread to be had (a process at its thread limit): the first record starts the backend, as before.
        }
    }

    /** Whether {@code System.Logger}'s loggers are java.util.logging's: the JDK's default finder, in module java.logging. */
    static boolean julIsBackend() {
        return "java.logging".equals(System.LoggerFinder.getLoggerFinder().getClass().getModule().getName());
    }

    private static final class Starter implements Runnable {
        @Override
        public void run() {
            try {
                if (get().isLoggable(System.Logger.Level.INFO) && julIsBackend()) {
                    JulStart.formatOnce("org.elu4j");
                }
            } catch (RuntimeException | LinkageError e) {
                // Only a head start: the first record pays for whatever did not start here.
            }
        }
    }
}
