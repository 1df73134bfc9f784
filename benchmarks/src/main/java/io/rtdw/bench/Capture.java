package io.rtdw.bench;

import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.KafkaClients;
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
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrap);
        env.put(CdcConfig.SOURCES.name(), "postgres");
        env.put(CdcConfig.PG_PORT.name(), String.valueOf(pgPort));
        env.put(CdcConfig.PG_DATABASE.name(), database);
        env.put(CdcConfig.PG_PASSWORD.name(), "postgres");
        env.put(CdcConfig.PG_SLOT.name(), slot);
        env.put(OpsServer.HTTP_PORT.name(), "-1");
        env.put(KafkaClients.MAX_IN_FLIGHT.name(), String.valueOf(maxInFlight));
        env.put(CdcConfig.POLL_INTERVAL_MS.name(), String.valueOf(pollMs));
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        env.put(TopicCatalog.PG_SCHEMA.name(), catalog.pgSchema());
        env.put(TopicCatalog.MONGO_DATABASE.name(), catalog.mongoDb());
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
