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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
        final Instant at = Instant.now();
        // The copies are read while the sources are: the reads are closer in time, and the run takes about as long
        // as its slowest read rather than their sum. Comparing waits for the sources.
        final ExecutorService readers = Executors.newFixedThreadPool(3, r -> {
            final Thread t = new Thread(r, "rtdw-reconcile-read");
            t.setDaemon(true);
            return t;
        });
        try {
            final Map<String, Future<Read>> reads = new LinkedHashMap<>();
            reads.put("output", read(readers, "output", config.kafka() == null ? null
                    : () -> Topics.output(config.kafka(), config.serdes(), config.catalog().unifiedCustomers(),
                    config.timeout())));
            reads.put("pinot", read(readers, "pinot", config.pinotBroker() == null ? null
                    : () -> new PinotTable(config.pinotBroker(), config.pinotUser(), config.pinotPassword(),
                    config.timeout(), 10_000).read()));
            reads.put("parquet", read(readers, "parquet", config.lake() == null ? null
                    : () -> ParquetSnapshot.read(config.lake())));
            final SourceState source = new SourceState();
            String failure = null;
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
            reads.forEach((name, future) -> compare(result, expected, name, future));
            result.duration(Duration.ofNanos(System.nanoTime() - start));
            return result;
        } finally {
            readers.shutdownNow();
        }
    }

    /** A copy as read, or why not, and how long reading took. */
    private record Read(Copy copy, String skipped, String failed, long nanos) {
    }

    private Future<Read> read(final ExecutorService readers, final String name, final Callable<Copy> reader) {
        final String skipped = config.skipped().get(name);
        if (skipped != null || reader == null) {
            return CompletableFuture.completedFuture(new Read(null, skipped == null ? "not configured" : skipped,
                    null, 0));
        }
        return readers.submit(() -> {
            final long start = System.nanoTime();
            try {
                return new Read(reader.call(), null, null, System.nanoTime() - start);
            } catch (final Exception e) {
                return new Read(null, null, describe(e), System.nanoTime() - start);
            }
        });
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

    private void compare(final Result result, final Map<Integer, View> expected, final String name,
                         final Future<Read> future) {
        final Read read;
        try {
            // Each read is bounded by the timeout on its own calls; this bound only guards against a hung one.
            read = future.get(config.timeout().toMillis() * 3 + 10_000, TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            result.add(new Result.Outcome(name, null, null, "interrupted", null));
            return;
        } catch (final ExecutionException | TimeoutException e) {
            result.add(new Result.Outcome(name, null, null, describe(e), null));
            return;
        }
        if (read.copy() == null) {
            result.add(new Result.Outcome(name, null, read.skipped(), read.failed(), null));
            return;
        }
        result.phase(name, read.nanos());
        final long compared = System.nanoTime();
        result.add(new Result.Outcome(name, read.copy(), null, null, result.sourceCustomers() < 0
                ? new TreeMap<>() : Compare.differences(expected, read.copy().live(), config.maxChildren())));
        result.phase("compare", System.nanoTime() - compared);
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
