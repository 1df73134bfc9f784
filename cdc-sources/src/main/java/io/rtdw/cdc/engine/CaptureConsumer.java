package io.rtdw.cdc.engine;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.SourceInfo;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Debezium batch consumer: maps each record, produces it, waits until Kafka acknowledged it, and only then marks the
 * records processed. The engine commits offsets only for processed records, so a crash at any moment replays (never
 * skips) what was not yet acknowledged: at-least-once, duplicates possible.
 *
 * <p>With {@link TransactionEnds} (PostgreSQL), a streamed change whose {@code commit_sequence} is still unknown
 * ({@code < 0}) is held in the open transaction's buffer, across batches, until the transaction's END record gives
 * the commit position: then every change of the transaction is stamped with it and produced. No record from the
 * transaction's first change on is marked processed before the END's changes are acknowledged, so the committed
 * offset never points inside a transaction and a restart replays the whole transaction. A transaction with more than
 * {@code maxTxChanges} changes is produced in chunks stamped with the LSN of its newest change so far (a lower bound
 * of its commit, see cdc-sources/README "Source order"), with a warning and the {@code tx.spills} counter, instead of
 * growing the heap without bound.
 *
 * <p>With a {@link SnapshotReconciler}, the record that ends a snapshot (Debezium's {@code source.snapshot} =
 * {@code "last"}) waits until every change before it is acknowledged, then the reconciler deletes what the snapshot
 * did not see, synchronously, before the record is marked: a crash or a failed delete leaves the snapshot's end
 * uncommitted, and Debezium redoes the snapshot on the next start (its offsets still say "snapshot running").
 *
 * <p>A record the mapper rejects goes to the dead-letter topic with the reason (and its retraction, if it has one,
 * as a change), and counts as processed once the dead letter is acknowledged. A failed produce fails the batch: the
 * engine stops, the process exits non-zero and resumes from the last committed offset after the restart.
 */
public final class CaptureConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    /** Recognises the record that ends a source transaction. */
    @FunctionalInterface
    public interface TransactionEnds {
        /** The transaction's commit position when {@code record} ends a transaction, else empty. */
        OptionalLong commitOf(SourceRecord record);
    }

    private static final Logger LOG = LoggerFactory.getLogger(CaptureConsumer.class);

    private final String source;
    private final String stage;
    private final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper;
    private final TransactionEnds ends;
    private final int maxTxChanges;
    private final ChangeProducer producer;
    private final ServiceMetrics metrics;
    private final DistributionSummary commitToAck;
    private final Counter spills;
    private final Map<String, Counter> changesPerTopic = new java.util.concurrent.ConcurrentHashMap<>();
    private final JsonConverter json = new JsonConverter();
    private volatile long lastCommitTsMs = -1;
    private volatile String lastPosition = "";
    private volatile int openTxChanges;

    // Engine thread only. Records handed over but not marked yet, in order; the open transaction's changes.
    private final List<RecordChangeEvent<SourceRecord>> unmarked = new ArrayList<>();
    private final List<MappedChange<?, ?>> open = new ArrayList<>();
    /** Index in {@link #unmarked} of the open transaction's first record; -1 when no transaction is open. */
    private int openFrom = -1;
    /** Null: snapshots are not reconciled. */
    private SnapshotReconciler reconciler;
    /** The source info of the newest snapshot row mapped: the snapshot's epoch and point. */
    private SourceInfo snapshotRow;
    private String openTx;
    private long openTotal;

    /**
     * Produces every change as it comes (no transaction buffer).
     *
     * @param source   metric label and log name: {@code postgres} or {@code mongodb}
     * @param mapper   record to change (empty: nothing to produce, e.g. a heartbeat)
     */
    public CaptureConsumer(final String source, final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper,
                           final ChangeProducer producer, final ServiceMetrics metrics) {
        this(source, mapper, null, Integer.MAX_VALUE, producer, metrics);
    }

    /**
     * Holds changes whose commit position is unknown until their transaction ends.
     *
     * @param ends         recognises a transaction's END and gives its commit position (null: no buffer)
     * @param maxTxChanges changes of one transaction held at most before it is produced in chunks
     */
    public CaptureConsumer(final String source, final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper,
                           final TransactionEnds ends, final int maxTxChanges, final ChangeProducer producer,
                           final ServiceMetrics metrics) {
        if (maxTxChanges < 1) {
            throw new IllegalArgumentException("maxTxChanges must be at least 1, was " + maxTxChanges);
        }
        this.source = source;
        this.stage = "cdc-" + source;
        this.mapper = mapper;
        this.ends = ends;
        this.maxTxChanges = maxTxChanges;
        this.producer = producer;
        this.metrics = metrics;
        json.configure(Map.of("schemas.enable", "false"), false);
        metrics.gauge("last.commit.ts.ms", "Source commit time of the newest change Kafka acknowledged (epoch ms).",
                () -> lastCommitTsMs, "source", source);
        commitToAck = metrics.latencyMs("commit.to.ack.ms", "Source commit to Kafka acknowledgement, milliseconds.",
                "source", source);
        metrics.gauge("tx.open.changes", "Changes of the open source transaction held until its commit is seen.",
                () -> openTxChanges, "source", source);
        spills = metrics.counter("tx.spills", "Chunks of transactions larger than the transaction buffer, produced "
                + "before their commit was seen (stamped with a lower bound of the commit).", "source", source);
    }

    /** Reconciles every completed snapshot with {@code reconciler} (before the engine starts). */
    public CaptureConsumer reconcilingSnapshots(final SnapshotReconciler reconciler) {
        this.reconciler = reconciler;
        return this;
    }

    @Override
    public void handleBatch(final List<RecordChangeEvent<SourceRecord>> records,
                            final DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        final List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        final List<MappedChange<?, ?>> changes = new ArrayList<>(records.size());
        int deadLetters = 0;
        try {
            for (final RecordChangeEvent<SourceRecord> event : records) {
                final SourceRecord record = event.record();
                final OptionalLong commit = ends == null ? OptionalLong.empty() : ends.commitOf(record);
                if (commit.isPresent()) {
                    release(commit.getAsLong(), sent, changes);
                    openFrom = -1;
                    openTx = null;
                    openTotal = 0;
                } else {
                    try {
                        final Optional<? extends MappedChange<?, ?>> change = mapper.apply(record);
                        if (change.isPresent()) {
                            noteSnapshotRow(change.get());
                            accept(change.get(), sent, changes);
                        }
                    } catch (final UnmappableChangeException e) {
                        LOG.warn("{}: change on {} cannot be mapped, sent to the dead-letter topic{}: {}", source,
                                record.topic(), e.retraction().isPresent() ? " and its row retracted" : "",
                                e.getMessage());
                        sent.add(producer.sendDeadLetter(bytes(record.topic(), record.keySchema(), record.key()),
                                deadLetter(record, e)));
                        deadLetters++;
                        if (e.retraction().isPresent()) {
                            accept(e.retraction().get(), sent, changes);
                        }
                    }
                }
                if (reconciler != null && endsSnapshot(record)) {
                    reconcile(sent);
                }
                unmarked.add(event);
            }
            awaitAcks(sent);
        } catch (final RuntimeException e) {
            // The engine stops; whatever was held is replayed from the committed offset by the next run.
            unmarked.clear();
            open.clear();
            openFrom = -1;
            openTx = null;
            openTotal = 0;
            openTxChanges = 0;
            throw e;
        }
        final long now = System.currentTimeMillis();
        for (final MappedChange<?, ?> change : changes) {
            changesPerTopic.computeIfAbsent(change.topic().name(), topic -> metrics.counter("changes",
                    "Changes produced and acknowledged by Kafka.", "source", source, "topic", topic)).increment();
            commitToAck.record(Math.max(0, now - change.commitTsMs()));
            lastCommitTsMs = change.commitTsMs();
            lastPosition = change.position();
        }
        if (deadLetters > 0) {
            metrics.counter("dead.letters", "Source changes that could not be mapped (sent to the dead-letter topic).",
                    "source", source).increment(deadLetters);
        }
        // Everything before the open transaction's first record is acknowledged: mark it, in order.
        final int markable = openFrom < 0 ? unmarked.size() : openFrom;
        for (final RecordChangeEvent<SourceRecord> event : unmarked.subList(0, markable)) {
            committer.markProcessed(event);
        }
        unmarked.subList(0, markable).clear();
        if (openFrom >= 0) {
            openFrom = 0;
        }
        openTxChanges = open.size();
        committer.markBatchFinished();
    }

    /** Blocks until Kafka acknowledged every change in {@code sent}. */
    private void awaitAcks(final List<Future<RecordMetadata>> sent) throws InterruptedException {
        // Nothing of this batch is marked when one is refused: after the restart the engine resumes before it.
        producer.awaitAcks(sent, source + ": Kafka did not acknowledge a change (%s); stopping without committing "
                + "this batch");
    }

    private void noteSnapshotRow(final MappedChange<?, ?> change) {
        final SourceInfo info = change.source();
        if (info != null && info.getSnapshot()) {
            snapshotRow = info;
        }
    }

    /** True for the last record of a snapshot: Debezium's {@code source.snapshot} is {@code "last"}. */
    static boolean endsSnapshot(final SourceRecord record) {
        if (!(record.value() instanceof org.apache.kafka.connect.data.Struct value)
                || value.schema().field("source") == null
                || !(value.get("source") instanceof org.apache.kafka.connect.data.Struct info)
                || info.schema().field("snapshot") == null) {
            return false;
        }
        return "last".equals(String.valueOf(info.get("snapshot")));
    }

    /**
     * The snapshot's last record: once every change so far is acknowledged (the snapshot's rows are on the topics),
     * deletes what the snapshot did not see. Runs before the record is marked, so a crash redoes the snapshot.
     */
    private void reconcile(final List<Future<RecordMetadata>> sent) throws InterruptedException {
        if (snapshotRow == null) {
            LOG.warn("{}: the snapshot ended without a row this capture could map: nothing to reconcile against",
                    source);
            return;
        }
        awaitAcks(sent);
        final long started = System.nanoTime();
        LOG.info("{}: snapshot complete at {}: reconciling the topics with it", source,
                io.rtdw.position.SourcePosition.of(snapshotRow));
        final long deletes = reconciler.reconcile(snapshotRow);
        LOG.info("{}: snapshot reconciled: {} deletes in {} ms", source, deletes,
                (System.nanoTime() - started) / 1_000_000);
        snapshotRow = null;
    }

    /** Produces a change now, or holds it in the open transaction until its commit is known. */
    private void accept(final MappedChange<?, ?> change, final List<Future<RecordMetadata>> sent,
                        final List<MappedChange<?, ?>> changes) {
        final SourceInfo info = ends == null ? null : change.source();
        if (info == null || info.getCommitSequence() >= 0) {
            sent.addAll(producer.send(change));
            changes.add(change);
            return;
        }
        if (openFrom < 0) {
            openFrom = unmarked.size();
            openTx = info.getTxId();
        } else if (!java.util.Objects.equals(openTx, info.getTxId())) {
            throw new IllegalStateException(source + ": a change of transaction " + info.getTxId() + " at "
                    + info.getPosition() + " arrived while transaction " + openTx + " had not ended; stopping so "
                    + "the restart replays both from the last committed offset");
        }
        open.add(change);
        openTotal++;
        if (open.size() >= maxTxChanges) {
            final long lowerBound = info.getSequence();
            if (openTotal == open.size()) {
                LOG.warn("{}: transaction {} reached {} changes (the transaction buffer, RTDW_CDC_MAX_TX_CHANGES):"
                        + " producing it in chunks stamped with the LSN of its newest change so far instead of its "
                        + "commit LSN (a lower bound; see cdc-sources/README 'Source order')", source, openTx,
                        maxTxChanges);
            }
            spills.increment();
            release(lowerBound, sent, changes);
            // The transaction's records stay unmarked until its END; only the END's offset matters then, so the
            // records in between need not be kept (they would hold the memory the buffer bounds).
            unmarked.subList(Math.min(openFrom + 1, unmarked.size()), unmarked.size()).clear();
        }
    }

    /** Stamps the open transaction's changes with {@code commit} and produces them. */
    private void release(final long commit, final List<Future<RecordMetadata>> sent,
                         final List<MappedChange<?, ?>> changes) {
        for (final MappedChange<?, ?> change : open) {
            change.source().setCommitSequence(commit);
            sent.addAll(producer.send(change));
            changes.add(change);
        }
        open.clear();
    }

    /** Source position of the newest acknowledged change. */
    public String lastPosition() {
        return lastPosition;
    }

    private DeadLetter deadLetter(final SourceRecord record, final UnmappableChangeException e) {
        final Map<String, ?> offset = record.sourceOffset();
        final Object position = offset == null ? null
                : offset.containsKey("lsn") ? offset.get("lsn") : offset.get("resume_token");
        return DeadLetter.newBuilder()
                .setReason("unmappable " + record.topic() + " change: " + e.getMessage())
                .setErrorClass(e.getCause() == null ? e.getClass().getName() : e.getCause().getClass().getName())
                .setStage(stage)
                .setSourcePosition(position instanceof Long lsn ? io.rtdw.cdc.postgres.PostgresChangeMapper.formatLsn(lsn)
                        : position == null ? null : String.valueOf(position))
                .setOriginalKey(wrap(bytes(record.topic(), record.keySchema(), record.key())))
                .setOriginalValue(wrap(bytes(record.topic(), record.valueSchema(), record.value())))
                .setFailedAtMs(Instant.now())
                .build();
    }

    /** The Debezium key or value as JSON, so an operator can read the rejected row. */
    private byte[] bytes(final String topic, final org.apache.kafka.connect.data.Schema schema, final Object value) {
        try {
            return value == null ? null : json.fromConnectData(topic, schema, value);
        } catch (final RuntimeException e) {
            return String.valueOf(value).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static java.nio.ByteBuffer wrap(final byte[] bytes) {
        return bytes == null ? null : java.nio.ByteBuffer.wrap(bytes);
    }
}
