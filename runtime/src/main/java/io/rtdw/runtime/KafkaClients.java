package io.rtdw.runtime;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
            "any Kafka client property, '_' read as '.': KAFKA_SECURITY_PROTOCOL=SASL_SSL sets security.protocol on "
                    + "every client of the service; values of names holding password, secret, jaas, token or key "
                    + "are redacted in logs; a secret can stay in a mounted file with KAFKA_CONFIG_PROVIDERS=file "
                    + "and ${file:/path:key}");

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
        FIXED.forEach((property, value) -> {
            final String given = overrides.get(property);
            env.check(given == null || given.trim().equalsIgnoreCase(value), PASS_THROUGH.name()
                    + property.toUpperCase(Locale.ROOT).replace('.', '_') + " cannot change " + property + " from "
                    + value + ": the pipeline's no-loss and exactly-once guarantees depend on it");
        });
        return new KafkaClients(bootstrap == null ? "" : bootstrap, inFlight == null ? 1 : inFlight, overrides);
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
