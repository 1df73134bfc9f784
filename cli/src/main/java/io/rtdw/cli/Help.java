package io.rtdw.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The help text of every {@code rtdw} command, and the command line's exit codes.
 *
 * <p>Each text is one file, {@code src/main/resources/io/rtdw/cli/help/COMMAND.txt}: the {@code rtdw} script prints
 * it for {@code rtdw COMMAND --help} without building anything, and the command's {@code main} prints the same
 * resource when it is run directly with {@code --help}.
 */
public final class Help {

    /** The command did what was asked (for reconcile: every copy agrees). */
    public static final int OK = 0;
    /** The command ran and found a problem (a difference, a failed component), or could not finish. */
    public static final int FAILED = 1;
    /** The command line or the input is wrong: nothing was done. */
    public static final int USAGE = 2;

    /** The commands of {@code rtdw}, in the order its help lists them. */
    public static final List<String> COMMANDS = List.of("up", "down", "status", "tail", "reconcile", "dlq", "sql",
            "erase", "replay");

    private Help() {
    }

    /** The help text of {@code command} ({@code rtdw} for the script's own). */
    public static String text(final String command) {
        final String resource = "help/" + command + ".txt";
        try (InputStream in = Help.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no help text for rtdw command '" + command + "'");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** True if the arguments ask for help ({@code --help} or {@code -h} anywhere). */
    public static boolean asked(final String... args) {
        return List.of(args).contains("--help") || List.of(args).contains("-h");
    }

    /**
     * Reports a usage error of {@code command} on {@code err} the same way for every command, and returns
     * {@link #USAGE} for the caller to exit with.
     */
    public static int usageError(final String command, final String message, final PrintStream err) {
        err.println("rtdw " + command + ": " + message + " (see: rtdw " + command + " --help)");
        return USAGE;
    }
}
