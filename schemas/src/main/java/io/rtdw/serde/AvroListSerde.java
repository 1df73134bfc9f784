package io.rtdw.serde;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Plain Avro binary serde for a list of generated records (an Avro array), without registry framing: used for
 * the streams app's per-customer child lists in state stores.
 *
 * @param <T> element class
 */
public final class AvroListSerde<T extends SpecificRecord>
        implements Serde<List<T>>, Serializer<List<T>>, Deserializer<List<T>> {

    private final SpecificDatumWriter<List<T>> writer;
    private final SpecificDatumReader<List<T>> reader;

    public AvroListSerde(final Schema elementSchema) {
        final Schema array = Schema.createArray(elementSchema);
        this.writer = new SpecificDatumWriter<>(array);
        this.reader = new SpecificDatumReader<>(array);
    }

    @Override
    public byte[] serialize(final String topic, final List<T> data) {
        if (data == null) {
            return null;
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(64 * (1 + data.size()));
        final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(data, encoder);
            encoder.flush();
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("cannot write list for " + topic, e);
        }
        return out.toByteArray();
    }

    @Override
    public List<T> deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, null);
            return List.copyOf(reader.read(null, decoder));
        } catch (final IOException | RuntimeException e) {
            throw new SerializationException("cannot read list from " + topic, e);
        }
    }

    @Override
    public void configure(final Map<String, ?> configs, final boolean isKey) {
        // the schema is fixed at construction
    }

    @Override
    public void close() {
        // stateless
    }

    @Override
    public Serializer<List<T>> serializer() {
        return this;
    }

    @Override
    public Deserializer<List<T>> deserializer() {
        return this;
    }
}
