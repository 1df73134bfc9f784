package io.rtdw.streams.topology;

import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Op;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Turns a change into the table's new value for its key: the change itself, or null for a delete.
 *
 * <p>Applies a change only when its {@link SourcePosition} comes after the last one applied to its key in the
 * source's commit order ({@link SourcePosition#against}): a replay of the CDC stream (a restarted capture re-sends
 * from its last committed offset) and a change committed before a snapshot row change nothing, while a change of
 * a transaction that committed after the snapshot applies even when its own LSN is lower. A change of another
 * epoch (the source was restored, failed over or re-snapshotted) starts the row's new history. Ordering never uses
 * the business column {@code dt_update}, which may go backwards.
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
    private KeyValueStore<K, byte[]> positions;

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
        final SourcePosition position = SourcePosition.of(table.source(record.value()));
        final SourcePosition applied = SourcePosition.fromBytes(positions.get(record.key()));
        final SourcePosition.Verdict verdict = position.against(applied);
        switch (verdict) {
            case NOT_NEWER -> {
                metrics.changeDropped(table.name(), position.equals(applied) ? "duplicate" : "older");
                return;
            }
            case NEW_EPOCH -> metrics.epochStarted(table.name(), applied.epoch(), position.epoch());
            case FIRST, NEWER -> {
                // applies
            }
        }
        metrics.applied(table.name(), position);
        positions.put(record.key(), position.toBytes());
        final V value = table.op(record.value()) == Op.DELETE ? null : record.value();
        context.forward(record.withValue(value).withTimestamp(table.source(record.value()).getCommitTsMs()));
    }
}
