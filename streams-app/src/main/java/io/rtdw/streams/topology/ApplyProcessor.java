package io.rtdw.streams.topology;

import io.rtdw.schemas.Op;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns a change into the table's new value for its key: the change itself, or null for a delete.
 *
 * <p>Drops any change whose source position is not newer than the last one applied to the key, so a replay of
 * the CDC stream (a restarted connector re-sends from its last committed offset) changes nothing. Ordering uses
 * the source's commit order, never the business column {@code dt_update}, which may go backwards.
 *
 * <p>The record's timestamp becomes the source commit time: Kafka Streams carries the maximum timestamp through
 * aggregations and joins, which makes the output's {@code source_ts_ms} the newest contributing commit, deletes
 * and moves included.
 */
final class ApplyProcessor<K, V> implements FixedKeyProcessor<K, V, V> {

    private final SourceTable<K, V> table;
    private final String positionsStore;
    private final PipelineMetrics metrics;
    private FixedKeyProcessorContext<K, V> context;
    private KeyValueStore<K, Long> positions;

    ApplyProcessor(final SourceTable<K, V> table, final String positionsStore, final PipelineMetrics metrics) {
        this.table = table;
        this.positionsStore = positionsStore;
        this.metrics = metrics;
    }

    @Override
    public void init(final FixedKeyProcessorContext<K, V> context) {
        this.context = context;
        this.positions = context.getStateStore(positionsStore);
    }

    @Override
    public void process(final FixedKeyRecord<K, V> record) {
        final long sequence = table.source(record.value()).getSequence();
        final Long applied = positions.get(record.key());
        if (applied != null && sequence <= applied) {
            metrics.replayDropped();
            return;
        }
        positions.put(record.key(), sequence);
        final V value = table.op(record.value()) == Op.DELETE ? null : record.value();
        context.forward(record.withValue(value).withTimestamp(table.source(record.value()).getCommitTsMs()));
    }
}
