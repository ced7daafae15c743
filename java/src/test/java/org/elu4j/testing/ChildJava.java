package org.elu4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A probe's main class run in a fresh JVM on this JVM's class path (native access for the unnamed
 * module), for tests whose subject is a process's first moments or its end: it must end within
 * 60 s with exit status 0; its output (stdout and stderr) comes back as lines.
 */
public final class ChildJava {
    private ChildJava() {
    }

    /**
     * @param options JVM options before the class path (e.g. {@code -XX:ActiveProcessorCount=1})
     * @param main    the probe's class
     * @param args    its arguments
     * @return its output lines
     */
    public static List<String> run(List<String> options, Class<?> main, String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("elu4j-child-" + main.getSimpleName(), ".txt");
        try {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(options);
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    main.getName()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean ended = p.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly().waitFor();
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertTrue(ended, () -> main.getSimpleName() + " did not end within 60 s\n" + text);
            assertEquals(0, p.exitValue(), text);
            return text.lines().toList();
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
