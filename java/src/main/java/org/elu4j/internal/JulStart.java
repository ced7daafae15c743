package org.elu4j.internal;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging's part of {@link Log#startInBackground}, loaded only where it is the backend
 * behind {@code System.Logger} ({@link Log#julIsBackend}). elu4j logs through
 * {@code System.Logger} only; module {@code java.logging} is a static dependence for this class
 * (absent from some module layers, where this class is never loaded).
 */
final class JulStart {
    private JulStart() {
    }

    /**
     * Formats one INFO record of its own, not published, with the formatter of every handler that
     * would write a record of logger {@code name} (its own, then its parents' while it passes
     * records up), where the formatter is the JDK's own (an application's formatter might count or
     * keep what it formats): their classes, the date and the locale data they read get loaded.
     *
     * @return how many formatters formatted it into some text
     */
    static int formatOnce(String name) {
        int formatted = 0;
        Module jul = Logger.class.getModule();
        LogRecord record = new LogRecord(Level.INFO, "elu4j: logging started");
        record.setLoggerName(name);
        for (Logger l = Logger.getLogger(name); l != null; l = l.getUseParentHandlers() ? l.getParent() : null) {
            for (Handler h : l.getHandlers()) {
                Formatter f = h.getFormatter();
                if (f != null && f.getClass().getModule() == jul) {
                    formatted += f.format(record).isEmpty() ? 0 : 1;
                }
            }
        }
        return formatted;
    }
}
