package io.rtdw.bench;

import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.CdcProcess;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real CDC process of cdc-sources (the code {@code CdcMain} runs), started in this JVM on the PostgreSQL source,
 * configured through the same environment map {@code CdcMain} reads.
 */
public final class Capture {

    private Capture() {
    }

    /**
     * Starts PostgreSQL capture into {@code catalog}'s CDC topics and waits until it streams.
     *
     * @param slot        replication slot (one per capture; reused by a restart, which resumes where it stopped)
     * @param maxInFlight {@code RTDW_MAX_IN_FLIGHT}
     */
    public static CdcProcess startPostgres(final String bootstrap, final TopicCatalog catalog, final int pgPort,
                                           final String database, final String slot, final int maxInFlight,
                                           final long pollMs) throws Exception {
        final Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("RTDW_CDC_SOURCES", "postgres");
        env.put("PG_PORT", String.valueOf(pgPort));
        env.put("PG_DATABASE", database);
        env.put("PG_PASSWORD", "postgres");
        env.put("RTDW_PG_SLOT", slot);
        env.put("RTDW_HTTP_PORT", "-1");
        env.put("RTDW_MAX_IN_FLIGHT", String.valueOf(maxInFlight));
        env.put("RTDW_CDC_POLL_INTERVAL_MS", String.valueOf(pollMs));
        env.put("RTDW_TOPIC_PREFIX", catalog.prefix());
        env.put("RTDW_TOPIC_PARTITIONS", String.valueOf(catalog.partitions()));
        env.put("RTDW_PG_SCHEMA", catalog.pgSchema());
        env.put("RTDW_MONGO_DATABASE", catalog.mongoDb());
        final CdcProcess process = CdcProcess.start(CdcConfig.fromEnv(env), RegistryServer.shared().serdes(),
                (message, error) -> System.err.println("capture failed: " + message + (error == null ? "" : ": " + error)));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!process.ready()) {
            if (!process.live() || System.nanoTime() > deadline) {
                process.close();
                throw new IllegalStateException("capture did not start streaming within 120 s (live=" + process.live() + ")");
            }
            Thread.sleep(100);
        }
        return process;
    }
}
