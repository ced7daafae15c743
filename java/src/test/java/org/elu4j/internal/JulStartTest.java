package org.elu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

/**
 * The logging backend's head start ({@link Log#startInBackground}, {@link JulStart}): it asks
 * every handler that would write the logger's records for its formatter, formats with the JDK's
 * own formatters only, and publishes nothing.
 */
class JulStartTest {

    /** A handler that counts what it is asked and what it publishes. */
    private static final class CountingHandler extends Handler {
        int formatterAsked;
        int published;

        CountingHandler(Formatter f) {
            setFormatter(f);
        }

        @Override
        public Formatter getFormatter() {
            formatterAsked++;
            return super.getFormatter();
        }

        @Override
        public void publish(LogRecord record) {
            published++;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /** An application's own formatter: it might count or keep what it formats, so it is not called. */
    private static final class CountingFormatter extends Formatter {
        int formatted;

        @Override
        public String format(LogRecord record) {
            formatted++;
            return "";
        }
    }

    @Test
    void javaUtilLoggingIsSystemLoggersBackendHere() {
        assertTrue(Log.julIsBackend(), "the JDK's default LoggerFinder, in module java.logging");
    }

    @Test
    void visitsTheHandlersThatWouldWriteFormatsWithTheJdksFormattersOnlyAndPublishesNothing() {
        Logger parent = Logger.getLogger("org.elu4j.test.julstart");
        Logger child = Logger.getLogger("org.elu4j.test.julstart.child");
        Logger isolated = Logger.getLogger("org.elu4j.test.julstart.isolated");
        Logger below = Logger.getLogger("org.elu4j.test.julstart.isolated.below"); // held: JUL keeps loggers weakly
        CountingHandler jdk = new CountingHandler(new SimpleFormatter());
        CountingFormatter own = new CountingFormatter();
        CountingHandler custom = new CountingHandler(own);
        CountingHandler above = new CountingHandler(new SimpleFormatter());
        CountingHandler own2 = new CountingHandler(new SimpleFormatter());
        parent.addHandler(above);
        parent.setUseParentHandlers(false);
        child.addHandler(jdk);
        child.addHandler(custom);
        isolated.setUseParentHandlers(false);
        try {
            assertEquals(2, JulStart.formatOnce(child.getName()), "the child's and the parent's SimpleFormatter");
            assertEquals(1, jdk.formatterAsked);
            assertEquals(1, custom.formatterAsked);
            assertEquals(1, above.formatterAsked, "the parent's handlers write the child's records");
            assertEquals(0, own.formatted, "an application's own formatter is not called");
            assertEquals(0, jdk.published + custom.published + above.published, "nothing is published");

            isolated.addHandler(own2);
            assertEquals(1, JulStart.formatOnce(isolated.getName()));
            assertEquals(1, own2.formatterAsked);
            assertEquals(1, above.formatterAsked, "a logger that passes no records up stops there");
            assertEquals(1, JulStart.formatOnce(below.getName()), "passes up to isolated, which stops");
            assertEquals(2, own2.formatterAsked);
            assertEquals(1, above.formatterAsked);
            assertEquals(1, jdk.formatterAsked, "the other branch's handlers are not visited");
            assertEquals(0, above.published + own2.published);
        } finally {
            child.removeHandler(jdk);
            child.removeHandler(custom);
            isolated.removeHandler(own2);
            parent.removeHandler(above);
            parent.setUseParentHandlers(true);
            isolated.setUseParentHandlers(true);
        }
    }
}
