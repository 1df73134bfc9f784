package io.rtdw.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wrong command lines of {@code rtdw tail} and {@code rtdw dlq}: exit 2 with a message naming the problem, before
 * any connection (the variables point at ports where nothing listens, so a connection attempt would fail with 1 or
 * hang, not exit 2).
 */
class TailAndDlqArgsTest {

    private static final Map<String, String> ENV = Map.of(
            "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1",
            "RTDW_REGISTRY_URL", "http://127.0.0.1:1/apis/registry/v3");

    private record Result(int code, String out, String err) {
    }

    private static Result tail(final Map<String, String> env, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = Tail.run(List.of(args), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Result dlq(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = DeadLetters.run(List.of(args), ENV, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void usage(final Result r, final String expected) {
        assertEquals(Help.USAGE, r.code, r.err);
        assertTrue(r.err.contains(expected), "'" + expected + "' in: " + r.err);
        assertTrue(r.err.contains("--help"), "points at --help: " + r.err);
        assertEquals("", r.out, "nothing printed on stdout");
    }

    @Test
    void tailCommandLineErrors() {
        usage(tail(ENV), "which TOPIC");
        usage(tail(ENV, "rtdw.public.customers", "rtdw.public.flight"), "one TOPIC only");
        usage(tail(ENV, "rtdw.public.customers", "--bogus"), "unknown option --bogus");
        usage(tail(ENV, "rtdw.public.customers", "--max"), "--max needs a value");
        usage(tail(ENV, "rtdw.public.customers", "--max", "0"), "--max must be in [1,");
        usage(tail(ENV, "rtdw.public.customers", "--max", "ten"), "--max must be a whole number, was 'ten'");
        usage(tail(ENV, "rtdw.public.customers", "--partition", "-1"), "--partition must be in [0,");
        usage(tail(ENV, "rtdw.public.customers", "--key", "--key"), "--key is given twice");
        usage(tail(ENV, "rtdw.public.customers", "--key=yes"), "--key takes no value");
        usage(tail(ENV, "rtdw.public.customers", "--last", "5", "--follow"), "--last is for a one-off read");
        usage(tail(ENV, "rtdw.public.customers", "--timeout", "5", "--follow"), "--timeout is for a one-off read");
    }

    @Test
    void tailNamesTheCatalogsTopicsForAnUnknownOne() {
        final Result r = tail(ENV, "customers");
        usage(r, "'customers' is not a topic of the catalog");
        for (final String name : List.of("rtdw.public.customers", "rtdw.public.flight", "rtdw.rtdw.vehicle",
                "rtdw.warehouse.unified_customer", "rtdw.dlq.cdc", "rtdw.dlq.streams", "rtdw.dlq.lake-sink")) {
            assertTrue(r.err.contains(name), name + " listed: " + r.err);
        }
        // The catalog comes from the environment: another prefix, other names.
        final Map<String, String> other = new java.util.HashMap<>(ENV);
        other.put("RTDW_TOPIC_PREFIX", "prod");
        final Result prefixed = tail(other, "rtdw.public.customers");
        usage(prefixed, "prod.public.customers");
    }

    @Test
    void aMissingRegistryIsAConfigurationError() {
        final Result r = tail(Map.of("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"), "rtdw.public.customers");
        usage(r, "RTDW_REGISTRY_URL is required");
    }

    @Test
    void kafkaOutOfReachIsAFailureWithinTheTimeout() {
        final long began = System.nanoTime();
        final Result r = tail(ENV, "--timeout", "2", "rtdw.public.customers");
        assertEquals(Help.FAILED, r.code, r.err);
        assertTrue(r.err.startsWith("rtdw tail: Kafka: "), r.err);
        final Result list = dlq("list", "--timeout", "2");
        assertEquals(Help.FAILED, list.code, list.err);
        assertTrue(list.err.startsWith("rtdw dlq: Kafka: "), list.err);
        final double seconds = (System.nanoTime() - began) / 1e9;
        assertTrue(seconds < 60, "gave up after the 2 s timeouts, not Kafka's default minute: " + seconds + " s");
    }

    @Test
    void dlqCommandLineErrors() {
        usage(dlq(), "list or replay?");
        usage(dlq("show"), "unknown action 'show'");
        usage(dlq("list", "--offset", "3"), "unknown option --offset");
        usage(dlq("list", "--topic", "rtdw.public.customers"), "is not a dead-letter topic of the catalog");
        usage(dlq("replay"), "which dead letters?");
        usage(dlq("replay", "--topic", "rtdw.dlq.streams"), "--offset N (several allowed)");
        usage(dlq("replay", "--topic", "rtdw.dlq.streams", "--offset", "1", "--partition", "0"),
                "--partition without a following --offset");
        usage(dlq("replay", "--topic", "rtdw.dlq.streams", "--offset", "x"), "--offset must be a whole number");
        usage(dlq("replay", "--topic", "rtdw.dlq.streams", "--offset", "1", "--offset", "2", "--value-json", "f.json"),
                "--value-json corrects one dead letter");
        usage(dlq("replay", "--all-from", "streams-app", "--offset", "1"), "--all-from replays the original bytes");
        usage(dlq("replay", "--all-from", "streams-app", "--dry-run", "--dry-run"), "--dry-run is given twice");
        usage(dlq("replay", "--topic", "rtdw.dlq.streams", "--offset", "1", "extra"), "unexpected [extra]");
    }
}
