package io.rtdw.serde;

import io.apicurio.registry.resolver.client.RegistryClientFacade;
import io.apicurio.registry.resolver.config.SchemaResolverConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.serde.avro.AvroSerdeConfig;
import io.rtdw.catalog.Topic;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import io.rtdw.runtime.Env;
import io.rtdw.runtime.Setting;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one factory of the pipeline's serdes: Apicurio Registry Avro serdes for values, {@link PlainAvroSerde} for
 * keys.
 *
 * <p>Services write with the schemas registered in the Apicurio Registry named by {@code RTDW_REGISTRY_URL}
 * (required). {@link #embedded()} gives serdes on an {@link EmbeddedRegistryClient} instead, for
 * {@code TopologyTestDriver} tests and offline tools: same wire format, no network.
 */
public final class RegistrySerdes {

    /** Value of {@code RTDW_REGISTRY_URL} that selects the in-process registry. */
    public static final String EMBEDDED = "embedded";

    private final String url;
    private final boolean autoRegister;
    private final RegistryClientFacade embeddedClient;
    private final String username;
    private final String password;

    private RegistrySerdes(final String url, final boolean autoRegister) {
        this(url, autoRegister, null, null);
    }

    private RegistrySerdes(final String url, final boolean autoRegister, final String username,
                           final String password) {
        this.url = Objects.requireNonNull(url, "url");
        this.autoRegister = autoRegister;
        this.embeddedClient = EMBEDDED.equals(url) ? new EmbeddedRegistryClient() : null;
        this.username = username;
        this.password = password;
    }

    /** Serdes backed by the in-process registry. */
    public static RegistrySerdes embedded() {
        return new RegistrySerdes(EMBEDDED, true);
    }

    /** Serdes backed by the Apicurio Registry at {@code url} (the v3 API, {@code .../apis/registry/v3}). */
    public static RegistrySerdes remote(final String url, final boolean autoRegister) {
        return new RegistrySerdes(url, autoRegister);
    }

    public static final Setting<String> URL = Setting.string("RTDW_REGISTRY_URL", null,
            "Apicurio Registry v3 API, e.g. http://apicurio:8080/apis/registry/v3: every value written carries the id "
                    + "of its schema there").required().map(RegistrySerdes::checkUrl);
    public static final Setting<Boolean> AUTO_REGISTER = Setting.bool("RTDW_REGISTRY_AUTO_REGISTER", true,
            "register a schema the registry does not know yet (its compatibility rule still applies); false makes "
                    + "a missing schema an error");
    public static final Setting<String> USERNAME = Setting.string("RTDW_REGISTRY_USERNAME", "",
            "user the serdes log into the registry as (HTTP Basic); empty = anonymous, which a registry with "
                    + "authentication allows to read schemas only");
    public static final Setting<String> PASSWORD = Setting.string("RTDW_REGISTRY_PASSWORD", "",
            "password of RTDW_REGISTRY_USERNAME (from a Kubernetes Secret)").secret();

    /** Every variable {@link #fromEnv(Env)} reads. */
    public static final List<Setting<?>> SETTINGS = List.of(URL, AUTO_REGISTER, USERNAME, PASSWORD);

    /**
     * Serdes on the registry named by {@link #URL}. A service never falls back to the in-process registry: ids it
     * wrote would be unknown to every other reader.
     */
    public static RegistrySerdes fromEnv(final Env env) {
        final String url = env.get(URL);
        final Boolean autoRegister = env.get(AUTO_REGISTER);
        final String username = env.get(USERNAME);
        final String password = env.get(PASSWORD);
        env.check(username == null || password == null || username.isEmpty() == password.isEmpty(),
                USERNAME.name() + " and " + PASSWORD.name() + " go together: set both or neither");
        if (url == null || autoRegister == null || !env.ok()) {
            return null;
        }
        final RegistrySerdes serdes = remote(url, autoRegister);
        return username.isEmpty() ? serdes : serdes.withCredentials(username, password);
    }

    /** The same serdes, logging into the registry as {@code username} with HTTP Basic authentication. */
    public RegistrySerdes withCredentials(final String username, final String password) {
        if (isEmbedded()) {
            throw new IllegalStateException("the in-process registry has no users");
        }
        return new RegistrySerdes(url, autoRegister, Objects.requireNonNull(username, "username"),
                Objects.requireNonNull(password, "password"));
    }

    /** The user the serdes log in as; empty when anonymous. */
    public String username() {
        return username == null ? "" : username;
    }

    /** {@link #fromEnv(Env)} over a map (a Kafka Connect converter's configuration); throws on a problem. */
    public static RegistrySerdes fromEnv(final Map<String, String> settings) {
        return Env.read(settings, RegistrySerdes::fromEnv);
    }

    private static String checkUrl(final String url) {
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException("must be the http(s) URL of an Apicurio Registry v3 API"
                    + " (the in-process registry is for tests only)");
        }
        return url;
    }

    /** True when no registry server is used. */
    public boolean isEmbedded() {
        return embeddedClient != null;
    }

    /** Registry URL, or {@code embedded}. */
    public String url() {
        return url;
    }

    /** Serde for the values of {@code topic}. */
    public <V extends SpecificRecord> Serde<V> valueSerde(final Topic<?, V> topic) {
        return value(topic.valueType());
    }

    /** Serde for the keys of {@code topic}: plain Avro records, or raw bytes for dead-letter topics. */
    @SuppressWarnings("unchecked")
    public static <K> Serde<K> keySerde(final Topic<K, ?> topic) {
        if (topic.keyType() == byte[].class) {
            return (Serde<K>) Serdes.ByteArray();
        }
        return (Serde<K>) new PlainAvroSerde<>(topic.keyType().asSubclass(SpecificRecord.class));
    }

    /** A registry-framed Avro value serde for any generated record class. */
    public <V extends SpecificRecord> Serde<V> value(final Class<V> type) {
        return serde(true, autoRegister);
    }

    /**
     * A registry-framed Avro serde for the streams app's own state (store values and their changelogs): every value
     * carries the registry id of the schema it was written with and is read by resolving that schema against this
     * build's class, so a release that adds an optional field reads the previous release's state and the previous
     * release, during a rolling upgrade or a rollback, reads the new one. State schemas are always registered: they
     * belong to the app, not to a topic contract an operator curates.
     */
    public <V extends SpecificRecord> Serde<V> state(final Class<V> type) {
        return serde(true, true);
    }

    /**
     * A registry-framed Avro value serde for generic records of any schema: values are written with (and, with
     * auto-registration, registered as) the record's own schema and read back with the writer's schema. For tools
     * and schema-evolution tests; the pipeline itself uses {@link #value(Class)}.
     */
    public Serde<GenericRecord> genericValue() {
        return serde(false, autoRegister);
    }

    private <V> Serde<V> serde(final boolean specific, final boolean register) {
        final AvroKafkaSerializer<V> serializer = embeddedClient == null
                ? new AvroKafkaSerializer<>() : new AvroKafkaSerializer<>(embeddedClient);
        final AvroKafkaDeserializer<V> deserializer = embeddedClient == null
                ? new AvroKafkaDeserializer<>() : new AvroKafkaDeserializer<>(embeddedClient);
        final Map<String, Object> config = config(specific, register);
        serializer.configure(config, false);
        deserializer.configure(config, false);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    private Map<String, Object> config(final boolean specific, final boolean register) {
        final Map<String, Object> config = new HashMap<>();
        config.put(AvroSerdeConfig.REGISTRY_URL, isEmbedded() ? "http://embedded.invalid/apis/registry/v3" : url);
        config.put(AvroSerdeConfig.AUTO_REGISTER_ARTIFACT, register);
        config.put(AvroSerdeConfig.USE_SPECIFIC_AVRO_READER, specific);
        // The 4-byte id after the magic byte is the registry's contentId: the 3.1.7 serdes' default
        // (SerdeConfig.USE_ID = apicurio.registry.use-id, default "contentId", written by Default4ByteIdHandler).
        // Not set here on purpose; the Pinot decoder and Apicurio's ccompat API (non-legacy id mode) resolve
        // contentIds. RegistrySerdesRemoteIT (test-support) checks it against the real server.
        // One self-contained schema per artifact, no references between artifacts: readers in other processes
        // (the Pinot decoder, ksqlDB, DuckDB users) get the full schema from one id.
        config.put(AvroSerdeConfig.DEREFERENCE_SCHEMA, true);
        if (username != null) {
            // HTTP Basic on every registry request of the serdes (the registry checks it against its users: k8s README).
            config.put(SchemaResolverConfig.AUTH_USERNAME, username);
            config.put(SchemaResolverConfig.AUTH_PASSWORD, password);
        }
        return config;
    }
}
