package io.rtdw.cdc.connect;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.cdc.postgres.PostgresChangeMapper;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Kafka Connect converter that writes Debezium's PostgreSQL and MongoDB events as the pipeline's own records, so
 * the same capture can run on Kafka Connect in distributed mode: values become CustomerChange / FlightChange /
 * VehicleChange through the same mappers and {@link RegistrySerdes} as the embedded process, keys become
 * CustomerKey / FlightKey / VehicleKey (plain Avro, no registry framing).
 *
 * <p>Use it as both {@code key.converter} and {@code value.converter} of the connector, with
 * {@link CommitTimestamp} as a transform. Settings (prefixed {@code key.converter.} / {@code value.converter.}):
 * {@code rtdw.topic.prefix}, {@code rtdw.pg.schema}, {@code rtdw.mongo.database}, {@code rtdw.registry.url}
 * (the {@code TopicCatalog} and {@code RegistrySerdes} environment names, lower-cased with dots). A row that cannot
 * be mapped raises a {@link DataException}: on Connect, {@code errors.tolerance=all} with
 * {@code errors.log.enable=true} logs and skips it (Connect has no dead-letter queue for source connectors; the
 * embedded process writes such rows to the dead-letter topic instead).
 */
public final class ChangeRecordConverter implements Converter {

    private TopicCatalog catalog;
    private RegistrySerdes serdes;
    private boolean isKey;
    private PostgresChangeMapper postgres;
    private DebeziumMongoEventMapper mongo;
    private final JsonConverter json = new JsonConverter();

    /** The converter Kafka Connect instantiates: values go through the registry named by {@code rtdw.registry.url}. */
    public ChangeRecordConverter() {
    }

    /** On given serdes (tests: the in-process registry). */
    ChangeRecordConverter(final RegistrySerdes serdes) {
        this.serdes = serdes;
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        this.isKey = isKey;
        final Map<String, String> env = new HashMap<>();
        configs.forEach((k, v) -> {
            if (k.startsWith("rtdw.") && v != null) {
                env.put(k.replace('.', '_').toUpperCase(java.util.Locale.ROOT), v.toString());
            }
        });
        catalog = TopicCatalog.fromEnv(env);
        if (serdes == null && !isKey) {
            // Keys are plain Avro; only values carry a registry id.
            serdes = RegistrySerdes.fromEnv(env);
        }
        postgres = new PostgresChangeMapper(catalog);
        mongo = new DebeziumMongoEventMapper(catalog);
        json.configure(Map.of("schemas.enable", "false"), false);
    }

    @Override
    public byte[] fromConnectData(final String topic, final Schema schema, final Object value) {
        return fromConnectData(topic, null, schema, value);
    }

    @Override
    @SuppressWarnings("unchecked")
    public byte[] fromConnectData(final String topic, final Headers headers, final Schema schema, final Object value) {
        if (value == null) {
            return null;
        }
        if (isKey) {
            // Keys are converted on their own: the id is all a key holds.
            return keyBytes(topic, value);
        }
        if (!topic.equals(catalog.customers().name()) && !topic.equals(catalog.flights().name())
                && !topic.equals(catalog.vehicles().name())) {
            return json.fromConnectData(topic, schema, value); // heartbeats: Debezium's JSON, no schema
        }
        // Empty: an update whose document is gone (its delete follows). A null value would be a tombstone, so fail
        // the record and let errors.tolerance=all skip it.
        final MappedChange<?, ?> change = map(topic, headers, schema, value)
                .orElseThrow(() -> new DataException("nothing to write for this change on " + topic));
        final Topic<?, ?> target = change.topic();
        final org.apache.kafka.common.serialization.Serializer<Object> serializer =
                (org.apache.kafka.common.serialization.Serializer<Object>) (org.apache.kafka.common.serialization.Serializer<?>)
                        serdes.value(target.valueType().asSubclass(SpecificRecord.class)).serializer();
        return serializer.serialize(target.name(), change.value());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private byte[] keyBytes(final String topic, final Object key) {
        if (!(key instanceof Struct struct) || struct.schema().field("id") == null) {
            throw new DataException("key of " + topic + " has no id field");
        }
        final Object id = struct.get("id");
        final int value;
        if (id instanceof Integer i) {
            value = i;
        } else if (id instanceof String s) {
            value = (int) Double.parseDouble(s.trim()); // MongoDB: the _id as JSON text ("7", "7.0")
        } else {
            throw new DataException("key id of " + topic + " is " + id);
        }
        if (topic.equals(catalog.customers().name())) {
            return RegistrySerdes.keySerde(catalog.customers()).serializer().serialize(topic,
                    new io.rtdw.schemas.CustomerKey(value));
        }
        if (topic.equals(catalog.flights().name())) {
            return RegistrySerdes.keySerde(catalog.flights()).serializer().serialize(topic,
                    new io.rtdw.schemas.FlightKey(value));
        }
        if (topic.equals(catalog.vehicles().name())) {
            return RegistrySerdes.keySerde(catalog.vehicles()).serializer().serialize(topic,
                    new io.rtdw.schemas.VehicleKey(value));
        }
        // Heartbeats and other Debezium topics: keep Debezium's JSON key.
        return json.fromConnectData(topic, null, key);
    }

    private Optional<? extends MappedChange<?, ?>> map(final String topic, final Headers headers, final Schema schema,
                                                      final Object value) {
        try {
            if (topic.equals(catalog.vehicles().name())) {
                // Connect has turned the SMT's string headers into bytes (SimpleHeaderConverter: UTF-8 text).
                final String token = header(headers, CommitTimestamp.RESUME_TOKEN_HEADER);
                final String id = header(headers, CommitTimestamp.KEY_ID_HEADER);
                final String valueJson = new String(json.fromConnectData(topic, schema, value), StandardCharsets.UTF_8);
                final String keyJson = id == null ? null
                        : "{\"id\": " + com.fasterxml.jackson.databind.node.TextNode.valueOf(
                                id).toString() + "}";
                return mongo.map(new DebeziumMongoEventMapper.Event(keyJson, valueJson, token));
            }
            return postgres.map(new SourceRecord(null, null, topic, null, null, null, schema, value));
        } catch (final UnmappableChangeException e) {
            throw new DataException("unmappable change on " + topic + ": " + e.getMessage(), e);
        }
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers == null ? null : headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public SchemaAndValue toConnectData(final String topic, final byte[] value) {
        throw new UnsupportedOperationException("ChangeRecordConverter only writes (source connectors)");
    }
}
