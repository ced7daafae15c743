package org.elu4j.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Another process holding the extraction directory's lock file: {@code LockHolder <file> shared|exclusive}
 * locks the file, prints {@code locked}, and holds the lock until its standard input ends.
 */
public final class LockHolder {
    private LockHolder() {
    }

    /** Starts a JVM holding the lock; returns once it holds it. Closing the process's output stream releases it. */
    static Process start(Path file, boolean shared) throws IOException {
        String launcher = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder(launcher, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
                file.toString(), shared ? "shared" : "exclusive").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
        if (!line.equals("locked")) {
            p.destroyForcibly();
            throw new IOException("the lock holder did not lock " + file + ": " + line);
        }
        return p;
    }

    public static void main(String[] args) throws IOException {
        boolean shared = args[1].equals("shared");
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.lock(0, Long.MAX_VALUE, shared);
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our input
            }
        }
    }
}
