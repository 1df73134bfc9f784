package io.rtdw.streams.config;

import io.rtdw.catalog.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Every setting of the streams app, read once from the environment, validated, and immutable.
 *
 * @param bootstrapServers   {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param applicationId      {@code RTDW_APPLICATION_ID}: consumer group and prefix of internal topics
 * @param exactlyOnce        {@code RTDW_PROCESSING_GUARANTEE}: exactly_once_v2 (true) or at_least_once (false)
 * @param commitIntervalMs   {@code RTDW_COMMIT_INTERVAL_MS}: with exactly-once, the transaction length
 * @param standbyReplicas    {@code RTDW_NUM_STANDBY_REPLICAS}
 * @param streamThreads      {@code RTDW_NUM_STREAM_THREADS}
 * @param stateDir           {@code RTDW_STATE_DIR}
 * @param instanceId         {@code RTDW_INSTANCE_ID}: static membership ({@code group.instance.id}), e.g. the pod name; empty for dynamic
 * @param httpPort           {@code RTDW_HTTP_PORT}: health and metrics; 0 picks a free port, -1 disables
 * @param maxChildren        {@code RTDW_MAX_CHILDREN}: cap of each array in the output record
 * @param maxInFlight        {@code RTDW_MAX_IN_FLIGHT}: max.in.flight.requests.per.connection of the producers
 * @param cacheMaxBytes      {@code RTDW_CACHE_MAX_BYTES}: record cache (0 = every update goes downstream)
 * @param catalog            topic catalog ({@code RTDW_TOPIC_*})
 * @param kafkaOverrides     every other {@code KAFKA_<NAME>} variable as client property {@code <name>}
 */
public record StreamsSettings(String bootstrapServers, String applicationId, boolean exactlyOnce,
                              long commitIntervalMs, int standbyReplicas, int streamThreads, String stateDir,
                              String instanceId, int httpPort, int maxChildren, int maxInFlight, long cacheMaxBytes,
                              TopicCatalog catalog, Map<String, String> kafkaOverrides) {

    public static final String HELP = """
            rtdw streams-app: unifies the customers, flight and vehicle CDC topics into one record per customer.

            Usage: streams-app [--help]        (all configuration comes from the environment)

              KAFKA_BOOTSTRAP_SERVERS     Kafka brokers                                   (localhost:9092)
              KAFKA_<NAME>                any Kafka client property <name>, '_' -> '.', e.g.
                                          KAFKA_SECURITY_PROTOCOL=SASL_SSL, KAFKA_SASL_JAAS_CONFIG=... (secret)
              RTDW_APPLICATION_ID         consumer group, prefix of internal topics       (rtdw-unified-customer)
              RTDW_PROCESSING_GUARANTEE   exactly_once_v2 | at_least_once                 (exactly_once_v2)
              RTDW_COMMIT_INTERVAL_MS     commit (= transaction) interval                 (100)
              RTDW_NUM_STANDBY_REPLICAS   warm copies of each store on other instances    (1)
              RTDW_NUM_STREAM_THREADS     processing threads                              (1)
              RTDW_STATE_DIR              local state directory                           (/var/lib/rtdw/state)
              RTDW_INSTANCE_ID            static membership id, e.g. the pod name         (unset: dynamic)
              RTDW_HTTP_PORT              /health/live, /health/ready, /metrics           (8080)
              RTDW_MAX_CHILDREN           max flights and max vehicles per output record  (100)
              RTDW_MAX_IN_FLIGHT          producer max.in.flight.requests.per.connection  (1)
              RTDW_CACHE_MAX_BYTES        record cache; 0 sends every update downstream   (10485760)
              RTDW_REGISTRY_URL           Apicurio Registry v3 URL, or 'embedded'          (embedded)
              RTDW_TOPIC_PREFIX, RTDW_PG_SCHEMA, RTDW_MONGO_DATABASE, RTDW_TOPIC_PARTITIONS,
              RTDW_REPLICATION_FACTOR     topic catalog                                   (rtdw, public, rtdw, 6, 3)
            """;

    private static final List<String> SECRET_MARKERS = List.of("password", "secret", "jaas", "token", "key");

    public StreamsSettings {
        final List<String> problems = new ArrayList<>();
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            problems.add("KAFKA_BOOTSTRAP_SERVERS must not be empty");
        }
        if (applicationId == null || !applicationId.matches("[a-zA-Z0-9._-]+")) {
            problems.add("RTDW_APPLICATION_ID must be letters, digits, '.', '_' or '-', was '" + applicationId + "'");
        }
        if (commitIntervalMs < 1) {
            problems.add("RTDW_COMMIT_INTERVAL_MS must be >= 1, was " + commitIntervalMs);
        }
        if (standbyReplicas < 0) {
            problems.add("RTDW_NUM_STANDBY_REPLICAS must be >= 0, was " + standbyReplicas);
        }
        if (streamThreads < 1) {
            problems.add("RTDW_NUM_STREAM_THREADS must be >= 1, was " + streamThreads);
        }
        if (maxChildren < 1) {
            problems.add("RTDW_MAX_CHILDREN must be >= 1, was " + maxChildren);
        }
        if (maxInFlight < 1 || maxInFlight > 5) {
            problems.add("RTDW_MAX_IN_FLIGHT must be 1..5 (idempotence keeps order up to 5), was " + maxInFlight);
        }
        if (httpPort < -1 || httpPort > 65535) {
            problems.add("RTDW_HTTP_PORT must be -1 (off), 0 (any) or a port, was " + httpPort);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid configuration:\n  " + String.join("\n  ", problems));
        }
        kafkaOverrides = Map.copyOf(kafkaOverrides);
    }

    /** Reads and validates the settings; throws {@link IllegalArgumentException} naming every bad variable. */
    public static StreamsSettings fromEnv(final Map<String, String> env) {
        final Map<String, String> overrides = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !name.equals("KAFKA_BOOTSTRAP_SERVERS")) {
                overrides.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        final String guarantee = env.getOrDefault("RTDW_PROCESSING_GUARANTEE", StreamsConfig.EXACTLY_ONCE_V2);
        if (!guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2) && !guarantee.equals(StreamsConfig.AT_LEAST_ONCE)) {
            throw new IllegalArgumentException("invalid configuration:\n  RTDW_PROCESSING_GUARANTEE must be "
                    + StreamsConfig.EXACTLY_ONCE_V2 + " or " + StreamsConfig.AT_LEAST_ONCE + ", was " + guarantee);
        }
        try {
            return new StreamsSettings(
                    env.getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
                    env.getOrDefault("RTDW_APPLICATION_ID", "rtdw-unified-customer"),
                    guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2),
                    Long.parseLong(env.getOrDefault("RTDW_COMMIT_INTERVAL_MS", "100")),
                    Integer.parseInt(env.getOrDefault("RTDW_NUM_STANDBY_REPLICAS", "1")),
                    Integer.parseInt(env.getOrDefault("RTDW_NUM_STREAM_THREADS", "1")),
                    env.getOrDefault("RTDW_STATE_DIR", "/var/lib/rtdw/state"),
                    env.getOrDefault("RTDW_INSTANCE_ID", ""),
                    Integer.parseInt(env.getOrDefault("RTDW_HTTP_PORT", "8080")),
                    Integer.parseInt(env.getOrDefault("RTDW_MAX_CHILDREN", "100")),
                    Integer.parseInt(env.getOrDefault("RTDW_MAX_IN_FLIGHT", "1")),
                    Long.parseLong(env.getOrDefault("RTDW_CACHE_MAX_BYTES", String.valueOf(10L * 1024 * 1024))),
                    TopicCatalog.fromEnv(env),
                    overrides);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("invalid configuration: a numeric RTDW_* variable is not a number: "
                    + e.getMessage(), e);
        }
    }

    /** Kafka Streams properties, with every durability setting explicit rather than left to defaults. */
    public Properties toProperties() {
        final Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                exactlyOnce ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) catalog.replicationFactor());
        p.put(StreamsConfig.topicPrefix("min.insync.replicas"), catalog.replicationFactor() >= 2 ? "2" : "1");
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, cacheMaxBytes);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                "io.rtdw.streams.ops.DeadLetterDeserializationHandler");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        p.put(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), true);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), maxInFlight);
        // Output records can be large (a customer with many children); arrays are capped, see RTDW_MAX_CHILDREN.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 4 * 1024 * 1024);
        // enable.auto.commit=false holds by construction: Kafka Streams commits itself and rejects the setting.
        // Exactly-once sets read_committed itself; at-least-once keeps it too, so benchmarks compare like with like.
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        if (!instanceId.isBlank()) {
            p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
        }
        p.putAll(kafkaOverrides);
        return p;
    }

    /** The effective configuration as one log-friendly string, with secret values replaced by {@code [redacted]}. */
    public String describeRedacted() {
        final Map<String, Object> shown = new TreeMap<>();
        toProperties().forEach((k, v) -> shown.put(String.valueOf(k), isSecret(String.valueOf(k)) ? "[redacted]" : v));
        shown.put("rtdw.max.children", maxChildren);
        shown.put("rtdw.http.port", httpPort);
        shown.put("rtdw.topics", catalog.all());
        return shown.toString();
    }

    static boolean isSecret(final String property) {
        final String lower = property.toLowerCase(Locale.ROOT);
        if (lower.equals("key.serializer") || lower.equals("key.deserializer")) {
            return false;
        }
        return SECRET_MARKERS.stream().anyMatch(lower::contains);
    }
}
