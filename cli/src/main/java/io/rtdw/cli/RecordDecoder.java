package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.serde.PlainAvroSerde;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decodes the records of the catalog's topics to JSON objects (see {@link AvroJson} for how values look): keys with
 * the topic's plain-Avro key class, values through the registry (the schema the value was written with, whatever
 * its id). Dead letters get their original key and value decoded with the serdes of their source topic. Nothing
 * here throws on bad bytes: a record that does not decode becomes an object with {@code error} and the raw bytes.
 */
final class RecordDecoder {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String DEAD_LETTER = DeadLetter.getClassSchema().getFullName();

    private final TopicCatalog catalog;
    private final Deserializer<GenericRecord> values;
    private final Map<Class<?>, PlainAvroSerde<?>> keys = new HashMap<>();
    /**
     * A reader per schema id seen: the registry deserializer costs tens of microseconds per value, most of it its
     * own lookups; the value after the 5-byte frame is plain Avro binary of the id's schema.
     */
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private BinaryDecoder decoder;

    RecordDecoder(final TopicCatalog catalog, final RegistrySerdes serdes) {
        this.catalog = catalog;
        this.values = serdes.genericValue().deserializer();
    }

    /** The catalog's topic named {@code name}. */
    Optional<Topic<?, ?>> topic(final String name) {
        return catalog.all().stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Every topic name of the catalog, for error messages. */
    List<String> topicNames() {
        return catalog.all().stream().map(Topic::name).toList();
    }

    /** Thrown when bytes do not decode; the message is the reason shown to the user. */
    static final class DecodeException extends Exception {
        private static final long serialVersionUID = 1L;

        DecodeException(final String message) {
            super(message);
        }
    }

    /**
     * One line of {@code rtdw tail}: {@code topic, partition, offset, timestamp} (the record's, ISO-8601 UTC),
     * {@code key} when asked, {@code headers} when there are any, and {@code value} ({@code null} for a tombstone);
     * or, when the key or value does not decode, {@code error} with {@code raw_key} and {@code raw_value} (base64).
     */
    ObjectNode line(final Topic<?, ?> topic, final ConsumerRecord<byte[], byte[]> record, final boolean withKey) {
        final ObjectNode line = JSON.objectNode();
        line.put("topic", record.topic());
        line.put("partition", record.partition());
        line.put("offset", record.offset());
        line.put("timestamp", Instant.ofEpochMilli(record.timestamp()).toString());
        final StringBuilder errors = new StringBuilder();
        if (withKey) {
            try {
                line.set("key", key(topic, record.key()));
            } catch (final DecodeException e) {
                errors.append("key: ").append(e.getMessage());
            }
        }
        if (record.headers().toArray().length > 0) {
            final ObjectNode headers = line.putObject("headers");
            for (final Header header : record.headers()) {
                headers.put(header.key(), header.value() == null ? null
                        : new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        try {
            line.set("value", value(topic, record.value()));
        } catch (final DecodeException e) {
            errors.append(errors.length() == 0 ? "" : "; ").append("value: ").append(e.getMessage());
        }
        if (errors.length() > 0) {
            line.put("error", errors.toString());
            line.put("raw_key", record.key() == null ? null : AvroJson.base64(record.key()));
            line.put("raw_value", record.value() == null ? null : AvroJson.base64(record.value()));
        }
        return line;
    }

    /** A key of {@code topic} as JSON (base64 text when the topic's keys are raw bytes). */
    JsonNode key(final Topic<?, ?> topic, final byte[] bytes) throws DecodeException {
        if (bytes == null) {
            return JSON.nullNode();
        }
        if (topic.keyType() == byte[].class) {
            return JSON.textNode(AvroJson.base64(bytes));
        }
        final PlainAvroSerde<?> serde = keys.computeIfAbsent(topic.keyType(),
                type -> new PlainAvroSerde<>(type.asSubclass(SpecificRecord.class)));
        try {
            return AvroJson.toJson((SpecificRecord) serde.deserialize(topic.name(), bytes));
        } catch (final RuntimeException e) {
            throw new DecodeException("not a plain-Avro " + topic.keyType().getSimpleName() + " (" + bytes.length
                    + " bytes): " + rootMessage(e));
        }
    }

    /** A value of {@code topic} as JSON: {@code null} for a tombstone; dead letters with their originals decoded. */
    JsonNode value(final Topic<?, ?> topic, final byte[] bytes) throws DecodeException {
        if (bytes == null) {
            return JSON.nullNode();
        }
        if (topic.valueType() == byte[].class) {
            return JSON.textNode(AvroJson.base64(bytes));
        }
        final GenericRecord record = registryValue(topic, bytes);
        final ObjectNode json = (ObjectNode) AvroJson.toJson(record);
        if (DEAD_LETTER.equals(record.getSchema().getFullName())) {
            originals(json, record);
        }
        return json;
    }

    /** The registry-framed value {@code bytes} of {@code topic}, read with the schema it was written with. */
    GenericRecord registryValue(final Topic<?, ?> topic, final byte[] bytes) throws DecodeException {
        if (bytes.length < 5 || bytes[0] != 0) {
            throw new DecodeException("not registry-framed Avro (" + bytes.length + " bytes; expected the magic byte"
                    + " 0x00 and a 4-byte schema id" + (bytes.length > 0 ? String.format(", first byte is 0x%02X",
                    bytes[0]) : "") + ")");
        }
        final int schemaId = ByteBuffer.wrap(bytes, 1, 4).getInt();
        final Object decoded;
        final GenericDatumReader<GenericRecord> known = readers.get(schemaId);
        try {
            if (known != null) {
                decoder = DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, decoder);
                decoded = known.read(null, decoder);
            } else {
                decoded = values.deserialize(topic.name(), bytes);
                if (decoded instanceof GenericRecord record) {
                    // The registry's answer for this id, once: later values with it are read here directly.
                    readers.put(schemaId, new GenericDatumReader<>(record.getSchema()));
                }
            }
        } catch (final IOException | RuntimeException e) {
            throw new DecodeException("schema id " + schemaId + ": cannot be read: " + rootMessage(e));
        }
        final Schema expected = SpecificData.get().getSchema(topic.valueType());
        if (!(decoded instanceof GenericRecord record)
                || !record.getSchema().getFullName().equals(expected.getFullName())) {
            throw new DecodeException("schema id " + schemaId + " is " + (decoded instanceof GenericRecord r
                    ? r.getSchema().getFullName() : String.valueOf(decoded)) + ", not the topic's "
                    + expected.getFullName());
        }
        return record;
    }

    /** Adds {@code original_key_decoded}/{@code original_value_decoded} (or {@code ..._error}) to a dead letter. */
    private void originals(final ObjectNode json, final GenericRecord deadLetter) {
        final Object sourceTopic = deadLetter.get("source_topic");
        final Optional<Topic<?, ?>> source = sourceTopic == null ? Optional.empty() : topic(sourceTopic.toString());
        for (final String part : List.of("key", "value")) {
            final Object bytes = deadLetter.get("original_" + part);
            if (bytes == null) {
                continue;
            }
            if (source.isEmpty()) {
                json.put("original_" + part + "_error", sourceTopic == null ? "no source topic"
                        : "source topic " + sourceTopic + " is not a topic of the catalog");
                continue;
            }
            final ByteBuffer buffer = ((ByteBuffer) bytes).duplicate();
            final byte[] raw = new byte[buffer.remaining()];
            buffer.get(raw);
            try {
                json.set("original_" + part + "_decoded",
                        part.equals("key") ? key(source.get(), raw) : value(source.get(), raw));
            } catch (final DecodeException e) {
                json.put("original_" + part + "_error", e.getMessage());
            }
        }
    }

    static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
