package io.rtdw.cdc;

import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.serde.RegistrySerdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CDC process: captures PostgreSQL {@code customers} and {@code flight} and the MongoDB {@code vehicle}
 * collection into the catalog's CDC topics. Configured only by environment variables ({@code --help}).
 *
 * <p>Exit status: 143 after SIGTERM (clean shutdown), 1 when a capture failed at run time (lost database beyond the
 * retry limit, Kafka not acknowledging), 2 when the configuration or the set-up is wrong (the message says what to
 * fix).
 */
public final class CdcMain {

    static {
        // This module's logging config, unless the operator names one; set before the first logger exists. Not called
        // log4j2.xml so that programs using this module as a library keep their own.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-cdc.xml");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CdcMain.class);

    private CdcMain() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 0) {
            if (args[0].equals("--help") || args[0].equals("-h")) {
                System.out.println(usage());
                return;
            }
            System.err.println("unknown argument " + args[0] + "\n\n" + usage());
            System.exit(2);
        }
        final Map<String, String> env = System.getenv();
        final CdcConfig config;
        try {
            config = CdcConfig.fromEnv(env);
        } catch (final IllegalArgumentException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        final AtomicReference<String> failure = new AtomicReference<>();
        final CdcProcess process;
        try {
            process = CdcProcess.start(config, RegistrySerdes.fromEnv(env), (message, error) -> {
                LOG.error("{}; exiting with status 1 so the orchestrator restarts the process", message, error);
                failure.compareAndSet(null, message);
                stopped.countDown();
            });
        } catch (final PostgresPreflight.MisconfigurationException e) {
            LOG.error("cannot start: {}", e.getMessage());
            System.err.println("cannot start: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down");
            process.close();
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        if (failure.get() != null) {
            // Close what can be closed, but never hang on the way out: Kubernetes restarts us either way.
            final Thread closer = new Thread(process::close, "close-after-failure");
            closer.setDaemon(true);
            closer.start();
            closer.join(20_000);
            Runtime.getRuntime().halt(1);
        }
    }

    static String usage() {
        final StringBuilder b = new StringBuilder();
        b.append("""
                Usage: java -cp <classpath> io.rtdw.cdc.CdcMain [--help]

                Captures PostgreSQL public.customers and public.flight (Debezium, pgoutput) and the MongoDB collection
                vehicle (Debezium, change streams) into the catalog's CDC topics. Offsets are kept in Kafka and
                committed only after Kafka acknowledged the change: a crash replays changes, it never loses one.

                Environment (default in brackets):
                """);
        CdcConfig.DEFAULTS.forEach((name, value) -> b.append(String.format("  %-28s [%s]%n", name,
                value == null ? "required for mongodb" : name.contains("PASSWORD") ? "" : value)));
        b.append("""
                  RTDW_REGISTRY_AUTO_REGISTER  [true]
                  RTDW_TOPIC_PREFIX, RTDW_PG_SCHEMA, RTDW_MONGO_DATABASE, RTDW_TOPIC_PARTITIONS,
                  RTDW_REPLICATION_FACTOR      topic catalog (see io.rtdw.catalog.TopicCatalog)

                HTTP: /health/live, /health/ready, /metrics (Prometheus text) on RTDW_HTTP_PORT (-1 disables).
                Exit status: 143 stopped by SIGTERM, 1 capture failed at run time, 2 configuration or set-up error.
                """);
        return b.toString();
    }
}
