package org.elu4j.internal;

import java.util.ArrayList;
import java.util.List;
import org.elu4j.Backend;
import org.elu4j.BackendStatus;

/**
 * What elu4j says about its backends, as {@link BackendProvider} has found them: the one start
 * line logged when the first call is bound (what AUTO uses, what is available, why the others are
 * not, and whether that needs fixing), the DEBUG line of the start's times, and the statuses
 * {@code Elu4j.backends()} returns, including those of a helper not linked yet and a oneDNN not
 * loaded yet. The provider logs the lines (when, and at which level); this class composes them.
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
     * The start line and what goes with it.
     *
     * @param text        the line
     * @param problem     whether a backend is unavailable for a reason that needs fixing (WARNING, else INFO)
     * @param byChoice    the backends absent by choice, for a DEBUG line
     * @param warnsOneDnn whether the line says oneDNN is unavailable (a later failure to load it is
     *                    then not warned about again)
     */
    record StartLine(String text, boolean problem, List<String> byChoice, boolean warnsOneDnn) {
    }

    /** The DEBUG line of what the start took. */
    static String startTimes(BackendProvider p) {
        return "elu4j: backends checked in " + millis(p.startNanos())
                + " ms (helper library found, checked and loaded: " + millis(p.helperProbeNanos()) + " ms)"
                + (p.helperLinked() && p.made(Backend.HELPER) != null
                        ? "; helper linked in " + millis(p.helperLinkNanos()) + " ms" : "");
    }

    /** The start line: what AUTO uses, what is available, and why the others are not. */
    static StartLine startLine(BackendProvider p, Backend auto) {
        StringBuilder line = new StringBuilder("elu4j: AUTO uses ").append(describe(p, auto)).append("; available: ");
        String sep = "";
        for (Backend kind : Backend.values()) {
            if (kind != Backend.AUTO && (kind == Backend.HELPER && !p.helperLinked() || p.made(kind) != null)) {
                line.append(sep).append(describe(p, kind));
                sep = ", ";
            }
        }
        boolean problem = false;
        boolean oneDnnWarned = false;
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
        return new StartLine(line.toString(), problem, byChoice, oneDnnWarned);
    }

    /** A backend's description as far as known without linking or loading it. */
    private static String describe(BackendProvider p, Backend kind) {
        return kind == Backend.HELPER && !p.helperLinked() ? p.helperPending() : p.made(kind).description();
    }

    /** {@code nanos} in milliseconds with one decimal, without {@code String.format} (its classes cost a fresh JVM). */
    static String millis(long nanos) {
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
