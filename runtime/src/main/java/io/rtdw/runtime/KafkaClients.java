package io.rtdw.runtime;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one source of Kafka client settings for every service: the bootstrap servers, the durability defaults, and
 * the {@code KAFKA_<NAME>} pass-through (TLS, SASL, timeouts ...) applied to every producer, consumer and admin
 * client, Debezium's offset store and Kafka Streams included.
 *
 * <p>The durability settings cannot be weakened by a pass-through variable: {@code acks=all},
 * {@code enable.idempotence=true}, {@code isolation.level=read_committed} and {@code enable.auto.commit=false} are
 * what the pipeline's exactly-once and no-loss guarantees are built on; an override is a configuration error.
 */
public final class KafkaClients {

    public static final Setting<String> BOOTSTRAP_SERVERS = Setting.string("KAFKA_BOOTSTRAP_SERVERS",
            "localhost:9092", "Kafka brokers, host:port[,host:port...]");
    public static final Setting<Integer> MAX_IN_FLIGHT = Setting.integer("RTDW_MAX_IN_FLIGHT", 1, 1, 5,
            "producer max.in.flight.requests.per.connection; idempotence keeps order up to 5, 1 is the safe default "
                    + "the durability table asks for");
    public static final Setting<String> PASS_THROUGH = Setting.family("KAFKA_",
            "a Kafka client property, '_' read as '.': KAFKA_SECURITY_PROTOCOL=SASL_SSL sets security.protocol on "
                    + "every client of the service (Kafka Streams' prefixes work too: KAFKA_PRODUCER_LINGER_MS); it "
                    + "wins over the service's own choice, except acks, enable.idempotence, isolation.level and "
                    + "enable.auto.commit, which it cannot change; a name that is no client property is refused; values "
                    + "of names holding password, secret, jaas, token, key or credential are redacted in logs; a secret "
                    + "can stay in a mounted file: a Kubernetes Secret mounted as a directory (one file per key, as "
                    + "Strimzi's KafkaUser Secrets) with KAFKA_CONFIG_PROVIDERS=dir, KAFKA_CONFIG_PROVIDERS_DIR_CLASS="
                    + "org.apache.kafka.common.config.provider.DirectoryConfigProvider, then ${dir:/path:key} as a value; "
                    + "a properties file with the FileConfigProvider and ${file:/path:key}");

    /** Every variable read by {@link #fromEnv}. */
    public static final List<Setting<?>> SETTINGS = List.of(BOOTSTRAP_SERVERS, MAX_IN_FLIGHT, PASS_THROUGH);

    /** Values the pipeline's guarantees rest on; a pass-through variable may repeat them but not change them. */
    private static final Map<String, String> FIXED = Map.of(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");

    private final String bootstrapServers;
    private final int maxInFlight;
    private final Map<String, String> overrides;

    private KafkaClients(final String bootstrapServers, final int maxInFlight, final Map<String, String> overrides) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.maxInFlight = maxInFlight;
        this.overrides = Map.copyOf(overrides);
    }

    /** Reads {@link #SETTINGS}; problems are recorded in {@code env}. */
    public static KafkaClients fromEnv(final Env env) {
        final String bootstrap = env.get(BOOTSTRAP_SERVERS);
        env.check(bootstrap == null || !bootstrap.isBlank(), BOOTSTRAP_SERVERS.name() + " must not be empty");
        final Integer inFlight = env.get(MAX_IN_FLIGHT);
        final Map<String, String> overrides = env.family(PASS_THROUGH, BOOTSTRAP_SERVERS);
        overrides.forEach((key, given) -> {
            final String variable = PASS_THROUGH.member(key);
            final String property = unprefixed(key);
            env.check(isClientProperty(property) || property.startsWith("config.providers"), variable
                    + " is not a Kafka client property (" + key + "): check its spelling");
            final String fixed = FIXED.get(property);
            env.check(fixed == null || given.trim().equalsIgnoreCase(fixed), variable + " cannot change " + property
                    + " from " + fixed + ": the pipeline's no-loss and exactly-once guarantees depend on it");
        });
        return new KafkaClients(bootstrap == null ? "" : bootstrap, inFlight == null ? 1 : inFlight, overrides);
    }

    /** Kafka Streams' per-client prefixes: {@code producer.acks} is {@code acks} for its producers. */
    private static final List<String> CLIENT_PREFIXES = List.of("main.consumer.", "restore.consumer.",
            "global.consumer.", "producer.", "consumer.", "admin.", "topic.");

    private static String unprefixed(final String key) {
        for (final String prefix : CLIENT_PREFIXES) {
            if (key.startsWith(prefix)) {
                return prefix.equals("topic.") ? "topic" : key.substring(prefix.length());
            }
        }
        return key;
    }

    /** True for a property of Kafka's producer, consumer, admin client or Kafka Streams (or a topic prefix). */
    public static boolean isClientProperty(final String property) {
        return property.equals("topic") || ProducerConfig.configNames().contains(property)
                || ConsumerConfig.configNames().contains(property)
                || AdminClientConfig.configNames().contains(property) || STREAMS_CONFIG_NAMES.contains(property);
    }

    /** Kafka Streams' own property names, when Kafka Streams is on the class path (the streams app). */
    private static final java.util.Set<String> STREAMS_CONFIG_NAMES = streamsConfigNames();

    private static java.util.Set<String> streamsConfigNames() {
        try {
            final Class<?> streams = Class.forName("org.apache.kafka.streams.StreamsConfig");
            final Object def = streams.getMethod("configDef").invoke(null);
            @SuppressWarnings("unchecked")
            final java.util.Set<String> names = (java.util.Set<String>) def.getClass().getMethod("names").invoke(def);
            return names;
        } catch (final ReflectiveOperationException | LinkageError e) {
            return java.util.Set.of();
        }
    }

    /** For tests and tools: {@code bootstrapServers}, the defaults, no pass-through. */
    public static KafkaClients of(final String bootstrapServers) {
        return new KafkaClients(bootstrapServers, 1, Map.of());
    }

    /** The same clients with another {@link #MAX_IN_FLIGHT}. */
    public KafkaClients withMaxInFlight(final int n) {
        if (n < 1 || n > 5) {
            throw new IllegalArgumentException("max.in.flight must be 1..5, was " + n);
        }
        return new KafkaClients(bootstrapServers, n, overrides);
    }

    /** The same clients with other pass-through properties (tests: a secured listener's settings). */
    public KafkaClients withOverrides(final Map<String, String> more) {
        final Map<String, String> all = new HashMap<>(overrides);
        all.putAll(more);
        return new KafkaClients(bootstrapServers, maxInFlight, all);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    /** The pass-through properties, as given. */
    public Map<String, String> overrides() {
        return overrides;
    }

    /** Settings every client shares: bootstrap servers and the pass-through (security, timeouts ...). */
    public Map<String, Object> common() {
        final Map<String, Object> c = new HashMap<>();
        c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.putAll(overrides);
        return c;
    }

    /** An idempotent producer writing with {@code acks=all} and {@link #MAX_IN_FLIGHT}. */
    public Map<String, Object> producer(final String clientId) {
        final Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, maxInFlight);
        c.putAll(common());
        c.put(ProducerConfig.ACKS_CONFIG, FIXED.get(ProducerConfig.ACKS_CONFIG));
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return c;
    }

    /** A consumer that reads committed records only and never commits on its own. */
    public Map<String, Object> consumer(final String groupId) {
        final Map<String, Object> c = new HashMap<>();
        if (groupId != null) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.putAll(common());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, FIXED.get(ConsumerConfig.ISOLATION_LEVEL_CONFIG));
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return c;
    }

    /** An admin client. */
    public Map<String, Object> admin() {
        final Map<String, Object> c = common();
        c.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return c;
    }

    /** For the start-up line: bootstrap servers and pass-through names, values of secret-looking names hidden. */
    @Override
    public String toString() {
        final Map<String, String> shown = new java.util.TreeMap<>();
        overrides.forEach((k, v) -> shown.put(k, Env.looksSecret(k) ? "***" : v));
        return "KafkaClients{bootstrap=" + bootstrapServers + ", maxInFlight=" + maxInFlight + ", overrides=" + shown
                + "}";
    }
}
