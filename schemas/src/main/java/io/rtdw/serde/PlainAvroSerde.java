package io.rtdw.serde;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Serde for plain Avro binary with no registry framing: record keys, and the streams app's internal state.
 *
 * <p>Why no registry: the partition of a key is the murmur2 hash of its bytes. With registry framing, those bytes
 * would contain a schema id, so a registry migration (or two registries giving different ids) would move keys to
 * other partitions and break co-partitioning and Pinot's upsert. Key schemas never change, so nothing is lost.
 * Internal state of the streams app is read only by the same build, so it needs no registry either (a rolling
 * upgrade that changes a state schema must be checked by the topology compatibility check).
 *
 * @param <T> the record class
 */
public final class PlainAvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;
    private final Class<T> type;

    public PlainAvroSerde(final Class<T> type) {
        this.type = type;
        final org.apache.avro.Schema schema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema);
        this.reader = new SpecificDatumReader<>(schema);
    }

    @Override
    public byte[] serialize(final String topic, final T data) {
        if (data == null) {
            return null;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(8);
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(data, encoder);
            encoder.flush();
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("cannot write " + type.getSimpleName() + " for topic " + topic, e);
        }
        return out.toByteArray();
    }

    @Override
    public T deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, null);
        try {
            final T key = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("trailing bytes after " + type.getSimpleName() + " record");
            }
            return key;
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("cannot read " + type.getSimpleName() + " from topic " + topic, e);
        }
    }

    @Override
    public void configure(final java.util.Map<String, ?> configs, final boolean isKey) {
        // nothing to configure: the schema is the class's
    }

    @Override
    public void close() {
        // stateless
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }
}
