package org.elu4j.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;

/**
 * What elu4j says about its backends, as {@link BackendProvider} has found them: the one start
 * line logged when the first call is bound (INFO, or WARNING when a backend is unavailable for a
 * reason that needs fixing; what is absent by choice and the start's times at DEBUG), the lines
 * logged when the helper is linked, the vector backend made or oneDNN loaded later, and the
 * statuses {@code Elu4j.backends()} returns, including those of a helper not linked yet and a
 * oneDNN not loaded yet.
 *
 * <p>Why a class of its own: the provider decides which backend runs and why the others do not;
 * this class only turns its state into text, and reads it without linking or loading anything.
 * The texts are what users, the CLI and the tests read, so they are kept together, apart from the
 * choice, and the choice can change without touching them.
 */
final class BackendReport {
    /** How {@link BackendProvider#statuses()} ends the detail of a helper not linked yet. */
    static final String NOT_LINKED = ", not linked yet: its first call picks the ISA level (Elu4j.helper() does now)";

    /** How {@link BackendProvider#statuses()} begins the detail of a oneDNN that is there but not loaded yet. */
    static final String NOT_LOADED = "onednn, not loaded yet";

    private BackendReport() {
    }

    /**
     * The start line, and the DEBUG lines that go with it; returns whether the line warned that
     * oneDNN is unavailable (then a later failure to load it is not warned about again).
     */
    static boolean logStart(BackendProvider p, Backend auto) {
        boolean oneDnnWarned = false;
        System.Logger log = Log.get();
        if (log.isLoggable(System.Logger.Level.DEBUG)) {
            log.log(System.Logger.Level.DEBUG, "elu4j: backends checked in " + millis(p.startNanos())
                    + " ms (helper library found, checked and loaded: " + millis(p.helperProbeNanos()) + " ms)"
                    + (p.helperLinked() && p.made(Backend.HELPER) != null
                            ? "; helper linked in " + millis(p.helperLinkNanos()) + " ms" : ""));
        }
        if (!log.isLoggable(System.Logger.Level.WARNING)) {
            return oneDnnWarned; // nothing of the line would be written: spare the first call composing it (the helper's level is a downcall)
        }
        StringBuilder line = new StringBuilder("elu4j: AUTO uses ").append(describe(p, auto)).append("; available: ");
        String sep = "";
        for (Backend kind : Backend.values()) {
            if (kind != Backend.AUTO && (kind == Backend.HELPER && !p.helperLinked() || p.made(kind) != null)) {
                line.append(sep).append(describe(p, kind));
                sep = ", ";
            }
        }
        boolean problem = false;
        List<String> byChoice = new ArrayList<>();
        for (Backend kind : List.of(Backend.ONEDNN, Backend.HELPER, Backend.VECTOR)) {
            String why;
            if (kind == Backend.VECTOR && !p.vectorMade()) {
                line.append("; vector loads on first use");
                continue;
            }
            if (kind == Backend.ONEDNN && !p.oneDnnProbed()) {
                BackendStatus dnnl = oneDnnStatusUnloaded(p);
                if (dnnl.available()) {
                    line.append("; onednn loads on first use");
                    continue;
                }
                why = dnnl.detail();
            } else {
                why = p.whyUnavailable(kind);
            }
            if (why == null) {
                continue;
            }
            String text = kind.cliName() + " unavailable: " + why;
            if (BackendProvider.DISABLED.equals(why) || kind == Backend.ONEDNN && p.oneDnnAbsentByChoice()) {
                byChoice.add(text);
            } else {
                line.append("; ").append(text);
                oneDnnWarned |= kind == Backend.ONEDNN;
                // Without --add-modules jdk.incubator.vector, AUTO still has the faster helper: a note, not a warning.
                problem |= !(kind == Backend.VECTOR && why.startsWith(VectorChecks.MODULE_MISSING));
            }
        }
        log.log(problem ? System.Logger.Level.WARNING : System.Logger.Level.INFO, line.toString());
        if (!byChoice.isEmpty()) {
            log.log(System.Logger.Level.DEBUG, () -> "elu4j: by choice: " + String.join("; ", byChoice));
        }
        return oneDnnWarned;
    }

    /** A backend's description as far as known without linking or loading it. */
    private static String describe(BackendProvider p, Backend kind) {
        return kind == Backend.HELPER && !p.helperLinked() ? p.helperPending() : p.made(kind).description();
    }

    /** After the start line: a WARNING when linking the helper failed, else its time at DEBUG. */
    static void helperLinked(String why, long nanos, EluBackend helper) {
        if (why != null) {
            Log.get().log(System.Logger.Level.WARNING, "elu4j: helper unavailable: " + why);
        } else if (Log.get().isLoggable(System.Logger.Level.DEBUG)) { // the description reads the level: a downcall
            Log.get().log(System.Logger.Level.DEBUG, "elu4j: helper linked in " + millis(nanos)
                    + " ms: " + helper.description());
        }
    }

    /**
     * The vector backend made (DEBUG, with its time since {@code start}) or unavailable: a WARNING,
     * but only DEBUG when its module is not enabled (AUTO prefers the helper anyway).
     */
    static void vectorMade(String why, long start, EluBackend b) {
        boolean note = why != null && why.startsWith(VectorChecks.MODULE_MISSING);
        Log.get().log(why != null && !note ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                () -> b != null ? String.format(Locale.ROOT, "elu4j: vector backend made in %.0f ms: %s",
                        (System.nanoTime() - start) / 1e6, b.description())
                        : "elu4j: vector unavailable: " + why);
    }

    /** oneDNN loaded (with its time since {@code start}) or unavailable, at the level the provider chose. */
    static void oneDnnLoaded(boolean warn, String why, long start, EluBackend b) {
        Log.get().log(warn ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                () -> b != null ? String.format(Locale.ROOT, "elu4j: onednn loaded in %.0f ms: %s",
                        (System.nanoTime() - start) / 1e6, b.description())
                        : "elu4j: onednn unavailable: " + why);
    }

    /** {@code nanos} in milliseconds with one decimal, without {@code String.format} (its classes cost a fresh JVM). */
    private static String millis(long nanos) {
        long tenths = (nanos + 50_000) / 100_000;
        return tenths / 10 + "." + tenths % 10;
    }

    /**
     * Status of every backend but AUTO, in enum order, from what the provider has made so far: a
     * helper not linked yet is reported available ({@link #helperStatusUnlinked}), a oneDNN not
     * loaded yet from where its natives are ({@link #oneDnnStatusUnloaded}).
     */
    static List<BackendStatus> statuses(BackendProvider p) {
        List<BackendStatus> list = new ArrayList<>();
        for (Backend kind : Backend.values()) {
            if (kind == Backend.AUTO) {
                continue;
            }
            if (kind == Backend.ONEDNN && !p.oneDnnProbed()) {
                list.add(oneDnnStatusUnloaded(p));
                continue;
            }
            if (kind == Backend.HELPER && !p.helperLinked()) {
                list.add(helperStatusUnlinked(p));
                continue;
            }
            EluBackend b = p.made(kind);
            list.add(b != null ? new BackendStatus(kind, true, b.description())
                    : new BackendStatus(kind, false, p.whyUnavailable(kind)));
        }
        return List.copyOf(list);
    }

    /**
     * oneDNN's status without loading it: disabled, absent (no natives), or present and not yet
     * loaded (reported available, since a load is expected to succeed).
     */
    private static BackendStatus oneDnnStatusUnloaded(BackendProvider p) {
        if (p.disabled(Backend.ONEDNN)) {
            return new BackendStatus(Backend.ONEDNN, false, BackendProvider.DISABLED);
        }
        NativeLibraries.Location where = NativeLibraries.dnnlLocation();
        if (!where.present()) {
            return new BackendStatus(Backend.ONEDNN, false, where.absence());
        }
        String denied = NativeLibraries.nativeAccessDenied();
        if (denied != null) { // the helper was refused native access: so would oneDNN be
            return new BackendStatus(Backend.ONEDNN, false, "oneDNN: " + denied);
        }
        return new BackendStatus(Backend.ONEDNN, true, NOT_LOADED + " (natives: " + where.origin()
                + "); it loads on first use, Elu4j.isAvailable(Backend.ONEDNN) loads it now");
    }

    /** The helper's status before it is linked: available, its ISA level not known yet. */
    private static BackendStatus helperStatusUnlinked(BackendProvider p) {
        return new BackendStatus(Backend.HELPER, true, p.helperPending() + NOT_LINKED);
    }
}
