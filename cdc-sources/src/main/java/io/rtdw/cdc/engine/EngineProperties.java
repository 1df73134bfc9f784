package io.rtdw.cdc.engine;

import io.rtdw.cdc.CdcConfig;

import java.util.Properties;

/** Settings every embedded engine shares: Kafka offset storage, heartbeats, retries. */
public final class EngineProperties {

    private EngineProperties() {
    }

    /**
     * Offsets go to the catalog's offsets topic (RF from the catalog, one compacted partition); each engine keys
     * its offsets by its {@code name}. Retriable connection errors restart the connector with backoff
     * ({@code errors.retry.delay.*}) up to {@code errors.max.retries} times; then the engine fails and the process
     * exits non-zero.
     */
    public static Properties common(final CdcConfig config, final String name) {
        final Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("topic.prefix", config.catalog().prefix());
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        // The offset store's producer, consumer and admin client read the worker's top-level properties: the
        // bootstrap servers and the KAFKA_* pass-through (TLS, SASL) go there, as for every other client.
        config.kafka().common().forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        p.setProperty("offset.storage.topic", config.catalog().cdcOffsets().name());
        p.setProperty("offset.storage.partitions", String.valueOf(config.catalog().cdcOffsets().partitions()));
        p.setProperty("offset.storage.replication.factor", String.valueOf(config.catalog().replicationFactor()));
        p.setProperty("offset.flush.interval.ms", String.valueOf(config.offsetFlushMs()));
        p.setProperty("offset.flush.timeout.ms", "10000");
        p.setProperty("heartbeat.interval.ms", String.valueOf(config.heartbeatMs()));
        p.setProperty("topic.heartbeat.prefix", "__debezium-heartbeat");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("errors.max.retries", String.valueOf(config.maxRetries()));
        p.setProperty("errors.retry.delay.initial.ms", String.valueOf(config.retryBackoffMs()));
        p.setProperty("errors.retry.delay.max.ms", "30000");
        p.setProperty("retriable.restart.connector.wait.ms", String.valueOf(config.retryBackoffMs()));
        p.setProperty("snapshot.mode", config.snapshotMode());
        // Debezium waits this long when the source has nothing new (default 500 ms): it bounds capture latency.
        p.setProperty("poll.interval.ms", String.valueOf(config.pollIntervalMs()));
        // The engine's own converters are unused (we map Connect records ourselves) but must be loadable.
        p.setProperty("key.converter.schemas.enable", "false");
        p.setProperty("value.converter.schemas.enable", "false");
        return p;
    }
}
