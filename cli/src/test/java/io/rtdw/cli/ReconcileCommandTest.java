package io.rtdw.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line of {@code rtdw reconcile}: wrong ones exit 2 with a reason and read nothing. */
class ReconcileCommandTest {

    private static final Map<String, String> KAFKA_ENV = Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:1",
            "RTDW_REGISTRY_URL", "http://localhost:1/apis/registry/v3");

    private static String usageError(final Map<String, String> env, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Reconcile.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> true);
        assertEquals(Help.USAGE, exit, out.toString(StandardCharsets.UTF_8) + err);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing was run");
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void wrongCommandLinesExitTwoAndSayWhy() {
        assertTrue(usageError(KAFKA_ENV, "--bogus").contains("unknown option '--bogus'"));
        assertTrue(usageError(KAFKA_ENV, "--vehicles-from-topic", "--http-port", "0").contains("--http-port needs --every"));
        assertTrue(usageError(KAFKA_ENV, "--wait", "5s", "--every", "5s").contains("do not go together"));
        assertTrue(usageError(KAFKA_ENV, "--timeout", "soon").contains("--timeout needs a duration"));
        assertTrue(usageError(KAFKA_ENV, "--max-lines", "0").contains("--max-lines needs a positive whole number"));
        assertTrue(usageError(KAFKA_ENV, "--pinot").contains("--pinot needs a value"));
        assertTrue(usageError(KAFKA_ENV, "--no-pinot", "--pinot", "http://x").contains("contradict"));
        assertTrue(usageError(KAFKA_ENV, "--vehicles-from-topic", "--lake", "/no/such/dir").contains("not a directory"));
    }

    @Test
    void missingSourcesOrClusterAreUsageErrors() {
        assertTrue(usageError(KAFKA_ENV).contains("MONGODB_URI is not set"), "no vehicle source");
        assertTrue(usageError(Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:1"), "--vehicles-from-topic")
                .contains("RTDW_REGISTRY_URL"), "the output needs the registry");
        assertTrue(usageError(Map.of("KAFKA_BOOTSTRAP_SERVERS", "localhost:1", "RTDW_REGISTRY_URL",
                "http://localhost:1/apis/registry/v3", "PG_PORT", "seventy"), "--vehicles-from-topic")
                .contains("PG_PORT"));
    }

    @Test
    void durationsAndTheOptionalWaitValue() {
        assertEquals(Duration.ofMillis(500), Reconcile.duration("500ms", "--x"));
        assertEquals(Duration.ofSeconds(30), Reconcile.duration("30", "--x"));
        assertEquals(Duration.ofMinutes(2), Reconcile.duration("2m", "--x"));
        assertThrows(IllegalArgumentException.class, () -> Reconcile.duration("0s", "--x"));
        assertEquals(Reconcile.DEFAULT_WAIT, Reconcile.parse(List.of("--wait", "--no-pinot")).waitFor());
        assertEquals(Duration.ofSeconds(90), Reconcile.parse(List.of("--wait", "90s")).waitFor());
    }

    @Test
    void theHelpDocumentsEveryOptionTheParserKnows() throws Exception {
        final String help = Help.text("reconcile");
        final String source = new String(Reconcile.class.getResourceAsStream("Reconcile.class").readAllBytes(),
                StandardCharsets.ISO_8859_1);
        final java.util.regex.Matcher options = java.util.regex.Pattern.compile("--[a-z][a-z-]+").matcher(source);
        int seen = 0;
        while (options.find()) {
            seen++;
            assertTrue(help.contains(options.group()), options.group() + " is documented in reconcile.txt");
        }
        assertTrue(seen >= 14, "found the options in the class: " + seen);
        for (final String code : List.of("  0  ", "  1  ", "  2  ")) {
            assertTrue(help.contains(code), "exit code documented: " + code);
        }
    }
}
