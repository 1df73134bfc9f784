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

import java.nio.ByteBuffer;
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
    private final Deserializer<V> valueDeserializer;
    private final Serializer<K> keySerializer;
    private final PipelineMetrics metrics;
    private FixedKeyProcessorContext<K, Decoded<V>> context;

    DecodeProcessor(final SourceTable<K, V> table, final Deserializer<V> valueDeserializer,
                    final Serializer<K> keySerializer, final PipelineMetrics metrics) {
        this.table = table;
        this.valueDeserializer = valueDeserializer;
        this.keySerializer = keySerializer;
        this.metrics = metrics;
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
        final V change;
        try {
            change = valueDeserializer.deserialize(topic, record.headers(), record.value());
        } catch (final RuntimeException e) {
            reject(record, "undeserializable value: " + rootMessage(e), e.getClass().getName());
            return;
        }
        final String violation = change == null ? "contract: value decoded to nothing" : table.violation(record.key(), change);
        if (violation != null) {
            reject(record, violation, null);
            return;
        }
        metrics.change(table.name());
        context.forward(record.withValue(Decoded.ok(change)));
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

    private static String rootMessage(final Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
