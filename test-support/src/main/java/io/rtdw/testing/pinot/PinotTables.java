package io.rtdw.testing.pinot;

import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.Setting;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Pinot schema and the two variants of the REALTIME table config of {@code unified_customer}, shipped as
 * resources under {@code pinot/} and rendered with {@code ${NAME}} placeholders.
 *
 * <ul>
 *   <li>{@code local}: Pinot 0.11 (the version that runs here): {@code kafka20} consumer, our
 *       {@code RegistryFramedAvroDecoder} (schemas by id from the Apicurio Registry at {@code ${APICURIO_REGISTRY_URL}},
 *       or the bundled ones when that is empty), deletes filtered through {@code deleted} in queries (0.11 has no
 *       {@code deleteRecordColumn}).</li>
 *   <li>{@code production}: current Pinot (1.x): {@code kafka30} consumer, Pinot's Confluent-registry Avro decoder
 *       against Apicurio's ccompat API, {@code upsertConfig.deleteRecordColumn = deleted}, 3 replicas.</li>
 * </ul>
 * {@code TableConfigConsistencyTest} fails when the two differ anywhere else.
 */
public final class PinotTables {

    /** Resource of the Pinot schema. */
    public static final String SCHEMA = "pinot/unified_customer_schema.json";
    /** Resource of the local (Pinot 0.11) table config. */
    public static final String LOCAL_TABLE = "pinot/unified_customer_realtime_table_config.local.json";
    /** Resource of the production (current Pinot) table config. */
    public static final String PRODUCTION_TABLE = "pinot/unified_customer_realtime_table_config.production.json";
    /** Table name (the REALTIME table is {@code unified_customer_REALTIME}). */
    public static final String TABLE = "unified_customer";

    /*
     * The templates' placeholders are environment variables: the k8s Job pinot-setup fills the production template
     * from its own environment (k8s/base/pinot/setup-job.yaml, checked by PinotSetupTest). Each is declared once
     * here, the brokers being the services' KAFKA_BOOTSTRAP_SERVERS (the same value, KafkaClients'), and both
     * renderings below name them by these declarations.
     */

    /** Placeholder of both templates: the topic the table consumes, the catalog's unified-customers topic. */
    public static final Setting<String> TOPIC = Setting.string("RTDW_UNIFIED_TOPIC", null,
            "the output topic the Pinot table consumes (TopicCatalog's unified-customers topic)").required();
    /** Placeholder of both templates: the brokers Pinot consumes from. */
    public static final Setting<String> BOOTSTRAP_SERVERS = KafkaClients.BOOTSTRAP_SERVERS;
    /** Placeholder of the local template: the v3 API {@code RegistryFramedAvroDecoder} fetches writer schemas from. */
    public static final Setting<String> REGISTRY_URL = Setting.string("APICURIO_REGISTRY_URL", "",
            "Apicurio Registry v3 API the local table's decoder resolves schema ids with; empty: the schemas "
                    + "bundled in the plugin");
    /** Placeholder of the production template: Apicurio's Confluent-compatible API for Pinot's own decoder. */
    public static final Setting<String> CCOMPAT_URL = Setting.string("APICURIO_CCOMPAT_URL", null,
            "Apicurio Registry's Confluent-compatible API (.../apis/ccompat/v7) Pinot's Avro decoder reads "
                    + "schemas from").required();

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

    private PinotTables() {
    }

    /** The schema JSON. */
    public static String schema() {
        return resource(SCHEMA);
    }

    /**
     * The local table config for {@code topic} on {@code bootstrapServers}, decoding with the schemas bundled in the
     * decoder jar (records written through the in-process registry).
     */
    public static String localTable(final String topic, final String bootstrapServers) {
        return localTable(topic, bootstrapServers, "");
    }

    /**
     * The local table config whose decoder resolves schema ids from the Apicurio Registry at {@code registryUrl}
     * (the v3 API, {@code http://host:port/apis/registry/v3}; empty for the bundled schemas).
     */
    public static String localTable(final String topic, final String bootstrapServers, final String registryUrl) {
        return render(resource(LOCAL_TABLE), Map.of(TOPIC.name(), topic, BOOTSTRAP_SERVERS.name(), bootstrapServers,
                REGISTRY_URL.name(), registryUrl));
    }

    /** The production table config; {@code ccompatUrl} is Apicurio's Confluent-compatible API. */
    public static String productionTable(final String topic, final String bootstrapServers, final String ccompatUrl) {
        return render(resource(PRODUCTION_TABLE), Map.of(TOPIC.name(), topic, BOOTSTRAP_SERVERS.name(),
                bootstrapServers, CCOMPAT_URL.name(), ccompatUrl));
    }

    /** Replaces every {@code ${NAME}}; fails on a placeholder without a value. */
    public static String render(final String template, final Map<String, String> values) {
        final Matcher m = PLACEHOLDER.matcher(template);
        final StringBuilder out = new StringBuilder();
        while (m.find()) {
            final String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("no value for placeholder ${" + m.group(1) + "}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** A resource of this module as text. */
    public static String resource(final String name) {
        try (InputStream in = PinotTables.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
