package io.rtdw.streams.topology;

import io.rtdw.schemas.DeadLetter;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.rtdw.catalog.CustomerPartitioner;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.time.Instant;
import java.util.Optional;

/**
 * Decodes a change value and checks its contract. A value that cannot be decoded, or that breaks the contract,
 * becomes a {@link DeadLetter} with the reason, its source offset and its original bytes; it is written to the
 * dead-letter topic in the same transaction as the rest of the task's output, so it is neither lost nor doubled.
 * Tombstones (null values, Debezium's compaction markers) carry no change and are skipped.
 */
final class DecodeProcessor<K, V> implements FixedKeyProcessor<K, byte[], Decoded<V>> {

    private static final Logger LOG = LoggerFactory.getLogger(DecodeProcessor.class);
    static final String STAGE = "streams-app";

    private final SourceTable<K, V> table;
    private final Deserializer<?> valueDeserializer;
    private final Serializer<K> keySerializer;
    private final PipelineMetrics metrics;
    private final int partitions;
    private FixedKeyProcessorContext<K, Decoded<V>> context;

    DecodeProcessor(final SourceTable<K, V> table, final Deserializer<?> valueDeserializer,
                    final Serializer<K> keySerializer, final PipelineMetrics metrics, final int partitions) {
        this.table = table;
        this.valueDeserializer = valueDeserializer;
        this.keySerializer = keySerializer;
        this.metrics = metrics;
        this.partitions = partitions;
    }

    @Override
    public void init(final FixedKeyProcessorContext<K, Decoded<V>> context) {
        this.context = context;
    }

    @Override
    public void process(final FixedKeyRecord<K, byte[]> record) {
        if (record.value() == null) {
            metrics.tombstoneIgnored();
            return;
        }
        final Optional<RecordMetadata> meta = context.recordMetadata();
        final String topic = meta.map(RecordMetadata::topic).orElse(null);
        final String framing = framingProblem(record.value());
        if (framing != null) {
            reject(record, framing, null);
            return;
        }
        final Object decoded;
        try {
            decoded = valueDeserializer.deserialize(topic, record.headers(), record.value());
        } catch (final RuntimeException e) {
            reject(record, "value with schema id " + schemaId(record.value()) + " cannot be read as "
                    + table.type().getSimpleName() + ": " + rootMessage(e), e.getClass().getName());
            return;
        }
        if (decoded != null && !table.type().isInstance(decoded)) {
            reject(record, "value is " + describe(decoded) + " (schema id " + schemaId(record.value()) + "), expected "
                    + table.type().getSimpleName() + ": it belongs on another topic", null);
            return;
        }
        final V change = table.type().cast(decoded);
        final String violation = change == null ? "contract: value decoded to nothing" : table.violation(record.key(), change);
        if (violation != null) {
            reject(record, violation, null);
            return;
        }
        final String misrouted = misrouted(change);
        if (misrouted != null) {
            reject(record, misrouted, null);
            return;
        }
        metrics.change(table.name());
        context.forward(record.withValue(Decoded.ok(change)));
    }

    /**
     * Why this task must not apply {@code change}, or null: a change read from a partition its customer does not
     * belong to ({@link CustomerPartitioner}) would be joined with another task's customers, silently wrong. Its
     * producer does not route by customer (a capture of 0.1, or Kafka Connect without the partitioner).
     */
    private String misrouted(final V change) {
        if (partitions <= 1) {
            return null;
        }
        final int partition = context.recordMetadata().map(RecordMetadata::partition).orElse(-1);
        if (partition < 0) {
            return null;
        }
        for (final int p : CustomerPartitioner.partitions(change, partitions)) {
            if (p == partition) {
                return null;
            }
        }
        return "misrouted: read from partition " + partition + ", but " + table.name() + " changes go to the partition"
                + " of their customer (" + Arrays.toString(CustomerPartitioner.partitions(change, partitions))
                + " of " + partitions + "): the producer does not route by customer (io.rtdw.catalog.CustomerPartitioner;"
                + " cdc-sources/README.md, Partitioning)";
    }

    private void reject(final FixedKeyRecord<K, byte[]> record, final String reason, final String errorClass) {
        final Optional<RecordMetadata> meta = context.recordMetadata();
        final DeadLetter deadLetter = DeadLetter.newBuilder()
                .setReason(reason)
                .setErrorClass(errorClass)
                .setStage(STAGE)
                .setSourceTopic(meta.map(RecordMetadata::topic).orElse(null))
                .setSourcePartition(meta.map(RecordMetadata::partition).orElse(-1))
                .setSourceOffset(meta.map(RecordMetadata::offset).orElse(-1L))
                .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(keySerializer.serialize(null, record.key())))
                .setOriginalValue(ByteBuffer.wrap(record.value()))
                .setFailedAtMs(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .build();
        metrics.deadLetter();
        LOG.warn("dead letter from {}-{}@{}: {}", deadLetter.getSourceTopic(), deadLetter.getSourcePartition(),
                deadLetter.getSourceOffset(), reason);
        context.forward(record.withValue(Decoded.rejected(deadLetter)));
    }

    /**
     * Why {@code value} cannot be a registry-framed Avro value (magic byte 0, then the 4-byte schema id the
     * registry serdes write), or null when its framing is fine.
     */
    static String framingProblem(final byte[] value) {
        if (value.length < FRAME_HEADER) {
            return "value is not registry-framed Avro: " + value.length + " bytes, shorter than the " + FRAME_HEADER
                    + "-byte header (magic byte 0, 4-byte schema id)";
        }
        if (value[0] != 0) {
            return String.format("value is not registry-framed Avro: first byte is 0x%02X, expected the magic byte 0x00"
                    + " (%d bytes, starting '%s')", value[0], value.length, printable(value));
        }
        return null;
    }

    private static final int FRAME_HEADER = 5;

    private static int schemaId(final byte[] value) {
        return ByteBuffer.wrap(value, 1, 4).getInt();
    }

    private static String describe(final Object decoded) {
        if (decoded instanceof org.apache.avro.generic.GenericContainer record) {
            return "a " + record.getSchema().getName() + " (" + record.getSchema().getFullName() + ")";
        }
        return "a " + decoded.getClass().getName();
    }

    /** The first bytes as text, non-printable ones as '.', so a person recognises JSON, a string, or binary. */
    private static String printable(final byte[] value) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(24, value.length); i++) {
            final int c = value[i] & 0xFF;
            out.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
        }
        return out.append(value.length > 24 ? "..." : "").toString();
    }

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
