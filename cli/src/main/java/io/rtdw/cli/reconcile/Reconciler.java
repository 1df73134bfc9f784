package io.rtdw.cli.reconcile;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.serde.RegistrySerdes;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/** One reconcile run over the configured sources and copies. */
public final class Reconciler {

    /**
     * Where everything is. A null {@code kafka} skips the output (and forbids vehicles from the topic), a null
     * {@code pinotBroker} skips Pinot, a null {@code lake} skips Parquet; {@code skipped} says why, per copy.
     */
    public record Config(String pgUrl, String pgUser, String pgPassword, String pgSchema, String mongoUri,
                         boolean vehiclesFromTopic, KafkaClients kafka, RegistrySerdes serdes, TopicCatalog catalog,
                         String pinotBroker, String pinotUser, String pinotPassword, Path lake, int maxChildren,
                         Duration timeout, Map<String, String> skipped) {
    }

    private final Config config;

    public Reconciler(final Config config) {
        this.config = config;
    }

    /** Reads the sources, then every copy, and compares. Never throws for an unreadable source or copy. */
    public Result run() {
        final long start = System.nanoTime();
        final SourceState source = new SourceState();
        String failure = null;
        final Instant at = Instant.now();
        try {
            readSources(source);
        } catch (final Exception e) {
            failure = describe(e);
        }
        final Result result = new Result(at, source, failure);
        result.phase("source", System.nanoTime() - start);
        final long joined = System.nanoTime();
        final Map<Integer, View> expected = failure == null ? source.expected() : Map.of();
        result.phase("join", System.nanoTime() - joined);
        copy(result, expected, "output", config.kafka() == null ? null
                : () -> Topics.output(config.kafka(), config.serdes(), config.catalog().unifiedCustomers(),
                config.timeout()));
        copy(result, expected, "pinot", config.pinotBroker() == null ? null
                : () -> new PinotTable(config.pinotBroker(), config.pinotUser(), config.pinotPassword(),
                config.timeout(), 10_000).read());
        copy(result, expected, "parquet", config.lake() == null ? null : () -> ParquetSnapshot.read(config.lake()));
        result.duration(Duration.ofNanos(System.nanoTime() - start));
        return result;
    }

    private void readSources(final SourceState source) throws SQLException {
        final Properties props = new Properties();
        props.setProperty("user", config.pgUser());
        props.setProperty("password", config.pgPassword());
        final String seconds = String.valueOf(Math.max(1, config.timeout().toSeconds()));
        props.setProperty("connectTimeout", seconds);
        props.setProperty("socketTimeout", seconds);
        props.setProperty("ApplicationName", "rtdw-reconcile");
        try (Connection c = DriverManager.getConnection(config.pgUrl(), props)) {
            PostgresSource.read(c, config.pgSchema(), source);
        }
        if (config.vehiclesFromTopic()) {
            Topics.vehicles(config.kafka(), config.serdes(), config.catalog().vehicles(), config.timeout(), source);
        } else {
            MongoSource.read(config.mongoUri(), config.catalog().mongoDb(), config.timeout(), source);
        }
    }

    private void copy(final Result result, final Map<Integer, View> expected, final String name,
                      final Callable<Copy> reader) {
        final String skipped = config.skipped().get(name);
        if (skipped != null || reader == null) {
            result.add(new Result.Outcome(name, null, skipped == null ? "not configured" : skipped, null, null));
            return;
        }
        try {
            final long start = System.nanoTime();
            final Copy copy = reader.call();
            result.phase(name, System.nanoTime() - start);
            final long compared = System.nanoTime();
            result.add(new Result.Outcome(name, copy, null, null, result.sourceCustomers() < 0 ? new java.util.TreeMap<>()
                    : Compare.differences(expected, copy.live(), config.maxChildren())));
            result.phase("compare", System.nanoTime() - compared);
        } catch (final Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            result.add(new Result.Outcome(name, null, null, describe(e), null));
        }
    }

    private static String describe(final Throwable e) {
        final StringBuilder b = new StringBuilder(String.valueOf(e.getMessage() == null ? e.toString() : e.getMessage()));
        Throwable cause = e.getCause();
        while (cause != null && cause != cause.getCause()) {
            if (cause.getMessage() != null && !b.toString().contains(cause.getMessage())) {
                b.append(": ").append(cause.getMessage());
            }
            cause = cause.getCause();
        }
        return b.toString();
    }
}
