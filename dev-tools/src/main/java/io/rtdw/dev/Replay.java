package io.rtdw.dev;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import org.apache.kafka.streams.KeyValue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    private static final String USAGE = io.rtdw.cli.Help.text("replay");

    private Replay() {
    }

    public static void main(final String[] args) throws IOException {
        int maxChildren = 100;
        boolean showDeadLetters = false;
        String file = "-";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--max-children" -> maxChildren = Integer.parseInt(args[++i]);
                case "--dead-letters" -> showDeadLetters = true;
                default -> file = args[i];
            }
        }
        final List<ChangeLines.Line> lines;
        try (BufferedReader reader = file.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(file))) {
            lines = ChangeLines.parse(reader);
        } catch (final IllegalArgumentException e) {
            System.err.println("replay: " + e.getMessage());
            System.exit(2);
            return;
        }
        run(lines, maxChildren, showDeadLetters, System.out);
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
