package io.rtdw.streams.config;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.Setting;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Every setting of the streams app, read once from the environment ({@link #SETTINGS}), validated, and immutable.
 *
 * @param kafka            Kafka clients: bootstrap servers, {@code KAFKA_*} pass-through, {@code RTDW_MAX_IN_FLIGHT}
 * @param applicationId    {@link #APPLICATION_ID}
 * @param exactlyOnce      {@link #PROCESSING_GUARANTEE} is exactly_once_v2
 * @param commitIntervalMs {@link #COMMIT_INTERVAL_MS}
 * @param standbyReplicas  {@link #STANDBY_REPLICAS}
 * @param streamThreads    {@link #STREAM_THREADS}
 * @param stateDir         {@link #STATE_DIR}
 * @param instanceId       {@link #INSTANCE_ID}; empty for dynamic membership
 * @param maxChildren      {@link #MAX_CHILDREN}
 * @param rocksDbMemoryMb  {@link #ROCKSDB_MEMORY_MB}
 * @param removedRetentionHours {@link #REMOVED_STATE_RETENTION_HOURS}
 * @param catalog          topic catalog ({@code RTDW_TOPIC_*})
 */
public record StreamsSettings(KafkaClients kafka, String applicationId, boolean exactlyOnce, long commitIntervalMs,
                              int standbyReplicas, int streamThreads, String stateDir, String instanceId,
                              int maxChildren, int rocksDbMemoryMb, int removedRetentionHours,
                              TopicCatalog catalog) {

    public static final Setting<String> APPLICATION_ID = Setting.string("RTDW_APPLICATION_ID", "rtdw-unified-customer",
            "consumer group and prefix of the internal topics; letters, digits, '.', '_', '-'").map(id -> {
                if (!id.matches("[a-zA-Z0-9._-]+")) {
                    throw new IllegalArgumentException("must be letters, digits, '.', '_' or '-'");
                }
                return id;
            });
    public static final Setting<String> PROCESSING_GUARANTEE = Setting.oneOf("RTDW_PROCESSING_GUARANTEE",
            StreamsConfig.EXACTLY_ONCE_V2, List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
            "processing guarantee: exactly_once_v2 writes every record once; at_least_once never loses either, but "
                    + "after a crash may write a record again (same version, same content)");
    public static final Setting<Long> COMMIT_INTERVAL_MS = Setting.longValue("RTDW_COMMIT_INTERVAL_MS", 100, 1,
            "commit interval; with exactly-once, the length of a transaction");
    public static final Setting<Integer> STANDBY_REPLICAS = Setting.integer("RTDW_NUM_STANDBY_REPLICAS", 1, 0, 10,
            "warm copies of each store on other instances");
    public static final Setting<Integer> STREAM_THREADS = Setting.integer("RTDW_NUM_STREAM_THREADS", 1, 1, 64,
            "processing threads");
    public static final Setting<String> STATE_DIR = Setting.string("RTDW_STATE_DIR", "/var/lib/rtdw/state",
            "local state directory (a persistent volume in Kubernetes)");
    public static final Setting<String> INSTANCE_ID = Setting.string("RTDW_INSTANCE_ID", "",
            "static membership id (group.instance.id), e.g. the pod name; empty for dynamic membership");
    public static final Setting<Integer> MAX_CHILDREN = io.rtdw.catalog.SharedSettings.MAX_CHILDREN;
    public static final Setting<Integer> ROCKSDB_MEMORY_MB = Setting.integer("RTDW_ROCKSDB_MEMORY_MB", 256, 16, 1_048_576,
            "off-heap memory of all RocksDB stores together (one shared block cache; memtables, index and filter "
                    + "blocks charged to it); the pod's memory limit must cover it plus the JVM's heap and overhead");

    public static final Setting<Integer> REMOVED_STATE_RETENTION_HOURS = Setting.integer(
            "RTDW_REMOVED_STATE_RETENTION_HOURS", 168, 1, 87_600,
            "how long the state of a deleted (or moved-away) flight or vehicle is kept so that a replayed older change "
                    + "cannot bring it back; then it is purged. Longer than any capture replay (capture restarts "
                    + "replay seconds to minutes)");

    /** Every variable the streams app reads (the registry's are added by {@code StreamsApp.SERVICE}). */
    public static final List<Setting<?>> SETTINGS = Setting.concat(KafkaClients.SETTINGS, List.of(APPLICATION_ID,
            PROCESSING_GUARANTEE, COMMIT_INTERVAL_MS, STANDBY_REPLICAS, STREAM_THREADS, STATE_DIR, INSTANCE_ID,
            OpsServer.HTTP_PORT, MAX_CHILDREN, ROCKSDB_MEMORY_MB, REMOVED_STATE_RETENTION_HOURS),
            TopicCatalog.SETTINGS);

    /** Reads {@link #SETTINGS}; problems are recorded in {@code env} ({@code null} returned then). */
    public static StreamsSettings fromEnv(final Env env) {
        final KafkaClients kafka = KafkaClients.fromEnv(env);
        final String applicationId = env.get(APPLICATION_ID);
        final String guarantee = env.get(PROCESSING_GUARANTEE);
        final Long commit = env.get(COMMIT_INTERVAL_MS);
        final Integer standbys = env.get(STANDBY_REPLICAS);
        final Integer threads = env.get(STREAM_THREADS);
        final String stateDir = env.get(STATE_DIR);
        final String instanceId = env.get(INSTANCE_ID);
        final Integer maxChildren = env.get(MAX_CHILDREN);
        final Integer rocksDb = env.get(ROCKSDB_MEMORY_MB);
        final Integer removedRetention = env.get(REMOVED_STATE_RETENTION_HOURS);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        if (!env.ok()) {
            return null;
        }
        return new StreamsSettings(kafka, applicationId, guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2), commit,
                standbys, threads, stateDir, instanceId, maxChildren, rocksDb, removedRetention, catalog);
    }

    /** Reads and validates; throws a {@link io.rtdw.runtime.ConfigException} naming every problem. */
    public static StreamsSettings fromEnv(final Map<String, String> environment) {
        return Env.read(environment, StreamsSettings::fromEnv);
    }

    /** Kafka Streams properties, with every durability setting explicit rather than left to defaults. */
    public Properties toProperties() {
        final Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) catalog.replicationFactor());
        p.put(StreamsConfig.topicPrefix("min.insync.replicas"), catalog.replicationFactor() >= 2 ? "2" : "1");
        // The store's changelog holds the customers' rows: compaction bounded like the CDC and output topics
        // (TopicCatalog.COMPACTION_BOUNDS). Applied when Kafka Streams creates the changelog; an existing one keeps
        // its configs until altered (README, "Personal data").
        TopicCatalog.COMPACTION_BOUNDS.forEach((key, value) -> p.put(StreamsConfig.topicPrefix(key), value));
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        // The join writes its store and the output itself, per change: no store has a record cache (0.2), so none
        // is allocated.
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDb.class.getName());
        p.put(BoundedRocksDb.MEMORY_BYTES_CONFIG, String.valueOf(rocksDbMemoryMb * 1024L * 1024L));
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                "io.rtdw.streams.ops.DeadLetterDeserializationHandler");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), true);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), kafka.maxInFlight());
        // Output records can be large (a customer with many children); arrays are capped, see RTDW_MAX_CHILDREN.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 4 * 1024 * 1024);
        // enable.auto.commit=false holds by construction: Kafka Streams commits itself and rejects the setting.
        // Exactly-once sets read_committed itself; at-least-once keeps it too, so benchmarks compare like with like.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        if (!instanceId.isBlank()) {
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
        }
        // The KAFKA_* pass-through last, as in every service: the operator's choice wins (Kafka Streams gives the
        // unprefixed ones to every client it creates). It cannot hold a weaker acks, idempotence or isolation level:
        // KafkaClients refuses those at start.
        p.putAll(kafka.overrides());
        return p;
    }
}
