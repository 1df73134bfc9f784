package io.rtdw.dev;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cli.Help;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import org.apache.kafka.streams.KeyValue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * "What would the pipeline output for these changes?" Feeds a JSON-lines file of source changes through the real
 * topology (no broker; streams-app's {@link PipelineDriver} test harness) and prints the unified records as JSON
 * lines.
 */
public final class Replay {

    static {
        // Standard output is the result: logs (a dead letter's warning, for one) go to stderr.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-dev-tools.xml");
        }
    }

    private static final String COMMAND = "replay";

    private Replay() {
    }

    public static void main(final String[] args) {
        if (Help.asked(args)) {
            System.out.print(Help.text(COMMAND));
            return;
        }
        System.exit(run(List.of(args), System.in, System.out, System.err));
    }

    /**
     * The command: parses {@code args}, reads the whole input (FILE, or {@code stdin} for {@code -} or none), and only
     * if every line is valid replays it to {@code out}. Input errors go to {@code err}, each naming its line and
     * field, and nothing is printed to {@code out}.
     *
     * @return {@link Help#OK}, {@link Help#USAGE} for a bad command line or input, {@link Help#FAILED} if the
     *         replay itself failed
     */
    static int run(final List<String> args, final InputStream stdin, final PrintStream out, final PrintStream err) {
        int maxChildren = 100;
        boolean showDeadLetters = false;
        String file = null;
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            switch (arg) {
                case "--max-children" -> {
                    if (i + 1 == args.size()) {
                        return Help.usageError(COMMAND, "--max-children needs a value", err);
                    }
                    final String value = args.get(++i);
                    try {
                        maxChildren = Integer.parseInt(value);
                    } catch (final NumberFormatException e) {
                        maxChildren = 0;
                    }
                    if (maxChildren < 1) {
                        return Help.usageError(COMMAND, "--max-children must be a whole number from 1 to "
                                + Integer.MAX_VALUE + ", not '" + value + "'", err);
                    }
                }
                case "--dead-letters" -> showDeadLetters = true;
                default -> {
                    if (arg.startsWith("-") && !arg.equals("-")) {
                        return Help.usageError(COMMAND, "unknown option '" + arg + "'", err);
                    }
                    if (file != null) {
                        return Help.usageError(COMMAND, "one input only, got '" + file + "' and '" + arg + "'", err);
                    }
                    file = arg;
                }
            }
        }
        final boolean fromStdin = file == null || file.equals("-");
        final String name = fromStdin ? "standard input" : file;
        final List<ChangeLines.Line> lines;
        try (BufferedReader reader = fromStdin
                ? new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            lines = ChangeLines.parse(reader);
        } catch (final ChangeLines.InvalidInput e) {
            e.errors().forEach(error -> err.println("rtdw replay: " + name + ": " + error));
            err.println("rtdw replay: " + e.errors().size() + (e.errors().size() == 1 ? " error" : " errors")
                    + " in " + name + ": nothing replayed");
            return Help.USAGE;
        } catch (final NoSuchFileException e) {
            err.println("rtdw replay: no such file: " + file);
            return Help.USAGE;
        } catch (final IOException | UncheckedIOException e) {
            err.println("rtdw replay: cannot read " + name + ": " + e.getMessage());
            return Help.USAGE;
        }
        try {
            run(lines, maxChildren, showDeadLetters, out);
            return Help.OK;
        } catch (final RuntimeException e) {
            err.println("rtdw replay: the replay failed: " + e);
            return Help.FAILED;
        }
    }

    /** Runs {@code lines} through the topology and prints the output to {@code out}. */
    public static void run(final List<ChangeLines.Line> lines, final int maxChildren,
                           final boolean showDeadLetters, final PrintStream out) {
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, maxChildren)) {
            lines.forEach(driver::pipe);
            for (final KeyValue<CustomerKey, UnifiedCustomer> record : driver.readOutput()) {
                out.println(record.value == null
                        ? "{\"customer_id\": " + record.key.getId() + ", \"tombstone\": true}"
                        : record.value.toString());
            }
            if (showDeadLetters) {
                for (final DeadLetter deadLetter : driver.readDeadLetters()) {
                    out.println("{\"dead_letter\": " + deadLetter + "}");
                }
            }
        }
    }
}
