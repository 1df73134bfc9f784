package io.rtdw.cdc.it;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.RegistryServer;

import java.util.HashMap;
import java.util.Map;

/** The environment of a PostgreSQL-only {@code CdcMain} child in the ITs; each test adds its own timings. */
final class CaptureEnv {

    private CaptureEnv() {
    }

    /** Capture of {@code database} on the embedded server at {@code pgPort} (user and password postgres). */
    static Map<String, String> postgres(final String bootstrap, final int pgPort, final String database,
                                        final TopicCatalog catalog, final int httpPort) {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), bootstrap);
        env.put(CdcConfig.PG_HOST.name(), "localhost");
        env.put(CdcConfig.PG_PORT.name(), String.valueOf(pgPort));
        env.put(CdcConfig.PG_DATABASE.name(), database);
        env.put(CdcConfig.PG_USER.name(), "postgres");
        env.put(CdcConfig.PG_PASSWORD.name(), "postgres");
        env.put(CdcConfig.SOURCES.name(), "postgres");
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(httpPort));
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));
        env.put(CdcConfig.HEARTBEAT_MS.name(), "1000");
        return env;
    }
}
