package io.rtdw.pinot.decoder;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.apache.pinot.spi.stream.StreamMessageDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pinot stream decoder for the pipeline's output topic: registry-framed Avro (magic byte 0, 4-byte big-endian
 * schema id, Avro binary), the wire format of the Apicurio serdes in Confluent-compatible mode.
 *
 * <p>It runs inside Pinot 0.11's JVM (avro 1.7.7, no registry client), so it needs no registry: the jar carries
 * every released {@code UnifiedCustomer} schema, and a schema's id is computed from its content exactly like
 * {@code io.rtdw.serde.EmbeddedRegistryClient.idOf} does (Avro parsing fingerprint folded to 31 bits). Records
 * written with any released version are resolved to the newest one. With a real Apicurio Registry in production,
 * use Pinot's {@code KafkaConfluentSchemaRegistryAvroMessageDecoder} against Apicurio's ccompat API instead (see
 * the module README).
 *
 * <p>Only avro APIs that exist in 1.7.7 are used here. Empty values (tombstones) and undecodable values return
 * {@code null}, which Pinot counts as a dropped row, like Pinot's own decoders do; they are logged.
 *
 * <p>Table config: {@code "stream.kafka.decoder.class.name": "io.rtdw.pinot.decoder.RegistryFramedAvroDecoder"}.
 */
public class RegistryFramedAvroDecoder implements StreamMessageDecoder<byte[]> {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFramedAvroDecoder.class);
    private static final String SCHEMA_RESOURCE = "io/rtdw/schemas/released/UnifiedCustomer/v%d.avsc";
    private static final int HEADER = 5;
    private static final byte MAGIC = 0;

    private final Map<Long, Schema> writerSchemas = new HashMap<>();
    private final Map<Long, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private Schema readerSchema;
    private Set<String> fieldsToRead;
    private BinaryDecoder decoder;
    private long dropped;

    @Override
    public void init(final Map<String, String> props, final Set<String> fieldsToRead, final String topicName)
            throws Exception {
        for (int version = 1; ; version++) {
            final String schema = resource(String.format(SCHEMA_RESOURCE, version));
            if (schema == null) {
                break;
            }
            readerSchema = new Schema.Parser().parse(schema);
            writerSchemas.put(idOf(readerSchema), readerSchema);
        }
        if (readerSchema == null) {
            throw new IllegalStateException("no UnifiedCustomer schema found at " + String.format(SCHEMA_RESOURCE, 1)
                    + ": the decoder jar is incomplete");
        }
        this.fieldsToRead = fieldsToRead;
        LOG.info("decoding {} with UnifiedCustomer schema ids {}", topicName, writerSchemas.keySet());
    }

    /** Content-addressed schema id; must stay equal to {@code EmbeddedRegistryClient.idOf}. */
    static long idOf(final Schema schema) {
        final long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        return (fingerprint ^ (fingerprint >>> 32)) & 0x7fffffffL;
    }

    @Override
    public GenericRow decode(final byte[] payload, final GenericRow destination) {
        return payload == null ? null : decode(payload, 0, payload.length, destination);
    }

    @Override
    public GenericRow decode(final byte[] payload, final int offset, final int length, final GenericRow destination) {
        if (payload == null || length == 0) {
            return null;
        }
        if (length < HEADER || payload[offset] != MAGIC) {
            return drop("value is not registry-framed Avro (no magic byte 0)", null);
        }
        final long id = ((payload[offset + 1] & 0xffL) << 24) | ((payload[offset + 2] & 0xffL) << 16)
                | ((payload[offset + 3] & 0xffL) << 8) | (payload[offset + 4] & 0xffL);
        GenericDatumReader<GenericRecord> reader = readers.get(id);
        if (reader == null) {
            final Schema writer = writerSchemas.get(id);
            if (writer == null) {
                return drop("unknown schema id " + id + "; known " + writerSchemas.keySet()
                        + " (deploy a decoder jar built with the new schema)", null);
            }
            reader = new GenericDatumReader<>(writer, readerSchema);
            readers.put(id, reader);
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(payload, offset + HEADER, length - HEADER, decoder);
            final GenericRecord record = reader.read(null, decoder);
            return extract(record, destination);
        } catch (final IOException | RuntimeException e) {
            return drop("cannot decode Avro value with schema id " + id, e);
        }
    }

    /**
     * Record to row the way Pinot's AvroRecordExtractor does it (nested records become maps, arrays become
     * {@code Object[]}, Avro strings become Java strings), written here so that the jar needs nothing but
     * pinot-spi: pinot-avro-base would bring guava into every test that loads the decoder.
     */
    private GenericRow extract(final GenericRecord record, final GenericRow row) {
        final boolean all = fieldsToRead == null || fieldsToRead.isEmpty();
        for (final Schema.Field field : record.getSchema().getFields()) {
            if (all || fieldsToRead.contains(field.name())) {
                row.putValue(field.name(), convert(record.get(field.pos())));
            }
        }
        return row;
    }

    private static Object convert(final Object value) {
        if (value instanceof CharSequence) {
            return value.toString();
        }
        if (value instanceof GenericRecord) {
            final GenericRecord nested = (GenericRecord) value;
            final Map<String, Object> map = new LinkedHashMap<>();
            for (final Schema.Field field : nested.getSchema().getFields()) {
                map.put(field.name(), convert(nested.get(field.pos())));
            }
            return map;
        }
        if (value instanceof List) {
            final List<?> list = (List<?>) value;
            final Object[] array = new Object[list.size()];
            for (int i = 0; i < array.length; i++) {
                array[i] = convert(list.get(i));
            }
            return array;
        }
        if (value instanceof ByteBuffer) {
            final ByteBuffer buffer = ((ByteBuffer) value).duplicate();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        }
        if (value instanceof org.apache.avro.generic.GenericEnumSymbol) {
            return value.toString();
        }
        return value;
    }

    private GenericRow drop(final String why, final Exception cause) {
        dropped++;
        // Logged for the first few and then every 1000th: a bad producer must not flood Pinot's log.
        if (dropped <= 10 || dropped % 1000 == 0) {
            LOG.error("dropping record #{}: {}", dropped, why, cause);
        }
        return null;
    }

    private static String resource(final String name) throws IOException {
        final ClassLoader loader = RegistryFramedAvroDecoder.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                return null;
            }
            final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            final byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
            }
            return new String(out.toByteArray(), StandardCharsets.UTF_8);
        }
    }
}
