package org.elu4j.cli;

import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.elu4j.Elu4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code elu4j} command line: {@code info}, {@code compare}, {@code apply}, {@code backward}, {@code accuracy}. Errors are printed
 * as one line ({@code elu4j: error: ...}) with exit code 1, or with a stack trace under
 * {@code --verbose}; usage errors exit with 2.
 */
@Command(name = "elu4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "ELU activations over off-heap tensors on oneDNN, a C SIMD helper, the Vector API and plain Java.",
        footer = {"", "From a checkout, the ./elu4j script also runs: build (the command line), test (the whole suite, as"
                + " CI does), java-home (the JDK 25 it uses), bench [--quick|--latency|--steady] and peer-accuracy; its"
                + " first lines say more.%n"},
        subcommands = {InfoCommand.class, CompareCommand.class, ApplyCommand.class, BackwardCommand.class, AccuracyCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Log the backend choice and print stack traces on errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: info, compare, apply, backward or accuracy");
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    private static final Logger ELU4J_LOGGER = Logger.getLogger("org.elu4j");

    /** Runs the command line with the given streams and returns the exit code (for tests). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parseResult -> {
            // The library logs its backend choice at INFO: the CLI shows it only with --verbose.
            // (The logger is held in a field: java.util.logging keeps loggers weakly, and a
            // collection before the library's first record would drop the level set here.)
            ELU4J_LOGGER.setLevel(main.verbose ? Level.INFO : Level.WARNING);
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (OutOfMemoryError e) { // a tensor too large for this machine: one line, as other errors
                throw new CommandLine.ExecutionException(cl, "out of memory",
                        new IllegalStateException("out of memory: " + e.getMessage() + " (a smaller input or --size)", e));
            }
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (main.verbose) {
                ex.printStackTrace(commandLine.getErr());
            } else {
                commandLine.getErr().println("elu4j: error: " + oneLine(ex));
            }
            commandLine.getErr().flush();
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    private static String oneLine(Throwable ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        return message.replace('\n', ' ');
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"elu4j " + Elu4j.VERSION};
        }
    }
}
