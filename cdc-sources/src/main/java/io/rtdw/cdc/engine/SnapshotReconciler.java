package io.rtdw.cdc.engine;

import io.micrometer.core.instrument.Counter;
import io.rtdw.catalog.Topic;
import io.rtdw.position.SourcePosition;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Deletes what a completed snapshot did not see. A snapshot sends every row the source has; a row the warehouse
 * still holds but the source no longer has (truncated, deleted in a restored-away history, deleted while an
 * interrupted snapshot waited for its redo, deleted while a lost slot was re-created) gets no change from it.
 *
 * <p>For each captured table, its CDC topic is read from the beginning to its end offsets (read_committed); per
 * partition and key only one bit is kept: whether the key's latest record there holds a live row there that this
 * snapshot did not refresh, i.e. whose position is not at or after the snapshot's point in the snapshot's epoch
 * (another epoch, or an older commit or snapshot). Every such key gets a DELETE stamped just below the snapshot's own
 * rows ({@link #stampOf}: its epoch, {@code commit_sequence} = the snapshot's point - 1, {@code change_order}
 * {@value #RECONCILE_ORDER}), so under {@link SourcePosition#against} it wins over everything committed before the
 * snapshot and loses to the snapshot's rows and everything streamed after it, in any arrival order. (Below the rows,
 * not at them: a row that moved to another customer while the capture was down is refreshed in its new customer's
 * partition and deleted in its old one, and a reader folding all partitions by position must keep the row.)
 * The DELETE carries no before image: the app turns a DELETE into its table's tombstone for the key and retracts the
 * row it holds (its own state knows the old customer), and keeping the last rows would cost memory per key. It is
 * written to the one partition whose records hold the row live ({@link Fold}): the topics are partitioned by customer
 * ({@link io.rtdw.catalog.CustomerPartitioner}), so that is the partition of the task that holds the row.
 *
 * <p>Memory: one {@link IntSet} per partition of the stale keys of one table at a time, 5.3 to 10.7 bytes per key
 * held; at the peak (just before the snapshot's own rows are read) that is every live key of the table, each in one
 * partition's set: 5 million flights take about 32 MiB. Keys are read as bytes and decoded one record at a time.
 */
public final class SnapshotReconciler {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReconciler.class);
    private static final Duration POLL = Duration.ofMillis(500);
    private static final int SEND_WINDOW = 10_000;
    private static final long PROGRESS_NS = Duration.ofSeconds(10).toNanos();
    /** The order of the reconciliation's DELETEs: above every hex order a change carries ('~' > 'F', 'f', '9'). */
    static final String RECONCILE_ORDER = "~";

    private final String source;
    private final List<Topic<?, ?>> topics;
    private final Supplier<Consumer<byte[], byte[]>> consumers;
    private final RegistrySerdes serdes;
    private final ChangeProducer producer;
    private final ServiceMetrics metrics;
    private final Map<String, Counter> deletes = new HashMap<>();

    /**
     * @param source metric label and log name ({@code postgres}, {@code mongodb})
     * @param topics the captured tables' CDC topics (from the TopicCatalog)
     */
    public SnapshotReconciler(final String source, final List<Topic<?, ?>> topics, final KafkaClients clients,
                              final RegistrySerdes serdes, final ChangeProducer producer, final ServiceMetrics metrics) {
        this(source, topics, () -> new KafkaConsumer<>(consumerConfig(clients, source), new ByteArrayDeserializer(),
                new ByteArrayDeserializer()), serdes, producer, metrics);
    }

    /** Over any consumer (tests use Kafka's MockConsumer). */
    public SnapshotReconciler(final String source, final List<Topic<?, ?>> topics,
                              final Supplier<Consumer<byte[], byte[]>> consumers, final RegistrySerdes serdes,
                              final ChangeProducer producer, final ServiceMetrics metrics) {
        this.source = source;
        this.topics = List.copyOf(topics);
        this.consumers = consumers;
        this.serdes = serdes;
        this.producer = producer;
        this.metrics = metrics;
    }

    /** A group-less, read_committed consumer (KafkaClients#consumer) that reads in larger fetches. */
    static Map<String, Object> consumerConfig(final KafkaClients clients, final String source) {
        final Map<String, Object> c = new HashMap<>(clients.consumer(null));
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "rtdw-cdc-" + source + "-reconcile");
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        return c;
    }

    /**
     * Deletes, in every topic, the rows the snapshot whose rows carry {@code snapshot} did not refresh; returns when
     * Kafka acknowledged every delete.
     *
     * @param snapshot the source info of a row of the snapshot (its epoch and its point as {@code commit_sequence})
     * @return deletes produced
     * @throws IllegalStateException when Kafka did not acknowledge a delete
     */
    public long reconcile(final SourceInfo snapshot) throws InterruptedException {
        long total = 0;
        for (final Topic<?, ?> topic : topics) {
            total += reconcile(topic, snapshot);
        }
        return total;
    }

    private <K, V> long reconcile(final Topic<K, V> topic, final SourceInfo snapshot) throws InterruptedException {
        final long started = System.nanoTime();
        final Deserializer<K> keys = RegistrySerdes.keySerde(topic).deserializer();
        @SuppressWarnings("unchecked")
        final Deserializer<? extends SpecificRecord> values = serdes.valueSerde(
                (Topic<K, SpecificRecord>) (Topic<K, ?>) topic).deserializer();
        final Fold fold;
        try (Consumer<byte[], byte[]> consumer = consumers.get()) {
            final List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic.name()).forEach(p -> partitions.add(new TopicPartition(p.topic(),
                    p.partition())));
            fold = new Fold(snapshot.getEpoch(), snapshot.getCommitSequence(), partitions.size());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            final Set<TopicPartition> open = new HashSet<>(partitions);
            open.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
            long lastLog = System.nanoTime();
            while (!open.isEmpty()) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        final SpecificRecord key = (SpecificRecord) keys.deserialize(r.topic(), r.key());
                        fold.accept(r.partition(), (Integer) key.get(0), r.value() == null ? null
                                : values.deserialize(r.topic(), r.value()));
                    }
                }
                open.removeIf(tp -> consumer.position(tp) >= ends.get(tp));
                if (System.nanoTime() - lastLog > PROGRESS_NS) {
                    lastLog = System.nanoTime();
                    LOG.info("{}: reconciling the snapshot with {}: {} records read, {} stale keys so far", source,
                            topic.name(), fold.read, fold.staleKeys());
                }
            }
        }
        final long produced = fold.staleKeys() == 0 ? 0 : produceDeletes(topic, fold, snapshot);
        LOG.info("{}: snapshot reconciled with {}: {} records read, {} deletes at {} (peak {} keys held, {} KiB), "
                        + "{} ms", source, topic.name(), fold.read, produced, SourcePosition.of(snapshot),
                fold.peak, fold.peakBytes / 1024, (System.nanoTime() - started) / 1_000_000);
        return produced;
    }

    private <K, V> long produceDeletes(final Topic<K, V> topic, final Fold fold, final SourceInfo snapshot)
            throws InterruptedException {
        final SourceInfo stamp = stampOf(snapshot, fold.table);
        final List<Future<RecordMetadata>> window = new ArrayList<>();
        final long[] count = {0};
        for (int p = 0; p < fold.stale.length; p++) {
            final int partition = p;
            fold.stale[p].forEach(id -> {
                // The partition whose records hold the row live: the one task of the app that holds it.
                window.add(producer.sendTo(delete(topic, id, stamp), partition));
                count[0]++;
                if (window.size() >= SEND_WINDOW) {
                    awaitAcks(window);
                }
            });
        }
        awaitAcks(window);
        deletes.computeIfAbsent(fold.table, table -> metrics.counter("snapshot.reconcile.deletes",
                "Rows a completed snapshot did not see, deleted by its reconciliation.", "table", table))
                .increment(count[0]);
        return count[0];
    }

    private void awaitAcks(final List<Future<RecordMetadata>> sent) throws InterruptedException {
        producer.awaitAcks(sent, source + ": Kafka did not acknowledge a snapshot reconciliation delete (%s); stopping "
                + "before the snapshot's end is committed, so the restart redoes the snapshot");
        sent.clear();
    }

    /**
     * The source info of the reconciliation's DELETEs: the snapshot's epoch, commit time and read time, at {@code
     * commit_sequence} = the snapshot's point - 1 and {@code change_order} {@value #RECONCILE_ORDER}: after every
     * change committed before the snapshot (their orders are upper-case hex: a PostgreSQL LSN, a MongoDB resume
     * token) and before the snapshot's rows (the point, order "").
     */
    static SourceInfo stampOf(final SourceInfo snapshot, final String table) {
        return SourceInfo.newBuilder(snapshot).setTable(table).setTxId(null).setSnapshot(true)
                .setCommitSequence(snapshot.getCommitSequence() - 1).setChangeOrder(RECONCILE_ORDER).build();
    }

    /** A DELETE of row {@code id} of {@code topic}'s table, without before image, stamped {@code stamp}. */
    static <K, V> MappedChange<?, ?> delete(final Topic<K, V> topic, final int id, final SourceInfo stamp) {
        final SpecificRecord key = newRecord(topic.keyType());
        key.put(0, id);
        final SpecificRecord value = newRecord(topic.valueType());
        value.put(value.getSchema().getField("op").pos(), Op.DELETE);
        value.put(value.getSchema().getField("before").pos(), null);
        value.put(value.getSchema().getField("after").pos(), null);
        value.put(value.getSchema().getField("source").pos(), SourceInfo.newBuilder(stamp).build());
        @SuppressWarnings("unchecked")
        final Topic<SpecificRecord, SpecificRecord> t = (Topic<SpecificRecord, SpecificRecord>) (Topic<?, ?>) topic;
        return new MappedChange<>(t, key, value, stamp.getCommitTsMs(), stamp.getPosition());
    }

    private static SpecificRecord newRecord(final Class<?> type) {
        try {
            return (SpecificRecord) type.getDeclaredConstructor().newInstance();
        } catch (final ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException(type + " is not an Avro specific record", e);
        }
    }

    /**
     * The fold of one table's topic, per partition in arrival order (a partition holds a key's records in source
     * order; across partitions there is no order): per partition and key, whether the key's latest record there
     * holds the row live in that partition and the snapshot did not refresh it.
     *
     * <p>The topics are written with {@link io.rtdw.catalog.CustomerPartitioner}: a child that moved customer has
     * its move in both customers' partitions, and a child change without its old customer is in every partition.
     * So a partition's latest record of a flight or vehicle is live there only when its after image's customer
     * belongs to that partition; a moved child's copy in its old customer's partition says "gone from here", not
     * "live", and the one partition where the row is live is where its DELETE must go (the task of the app that
     * holds it). A customer's records are all in its own partition.
     */
    static final class Fold {
        private final SourcePosition point;
        private final int partitions;
        /** Per partition, the keys whose latest record there is live and not refreshed. */
        final IntSet[] stale;
        /** The table, as the records name it (the deletes carry it). */
        String table;
        long read;
        int peak;
        long peakBytes;

        /**
         * @param epoch the snapshot's epoch @param point the snapshot's point ({@code commit_sequence})
         * @param partitions the topic's partition count
         */
        Fold(final String epoch, final long point, final int partitions) {
            this.point = new SourcePosition(epoch, point, "");
            this.partitions = partitions;
            this.stale = new IntSet[partitions];
            for (int p = 0; p < partitions; p++) {
                stale[p] = new IntSet(Math.max(1 << 10, (1 << 16) / partitions));
            }
        }

        /** Keys to delete, over all partitions. */
        int staleKeys() {
            int n = 0;
            for (final IntSet set : stale) {
                n += set.size();
            }
            return n;
        }

        /** The next record of key {@code id} in {@code partition}; {@code change} null for a Kafka tombstone. */
        void accept(final int partition, final int id, final SpecificRecord change) {
            read++;
            final IntSet set = stale[partition];
            final SourceInfo info = change == null ? null
                    : (SourceInfo) change.get(change.getSchema().getField("source").pos());
            if (info == null) {
                set.remove(id);
                return;
            }
            table = info.getTable();
            final SourcePosition position = SourcePosition.of(info);
            final boolean refreshed = position.epoch().equals(point.epoch())
                    && position.compareWithinEpoch(point) >= 0;
            if (liveIn(partition, change) && !refreshed) {
                set.add(id);
                final int held = staleKeys();
                if (held > peak) {
                    peak = held;
                    long bytes = 0;
                    for (final IntSet s : stale) {
                        bytes += s.tableBytes();
                    }
                    peakBytes = Math.max(peakBytes, bytes);
                }
            } else {
                set.remove(id);
            }
        }

        /** Whether {@code change}, read from {@code partition}, leaves its row live in that partition. */
        private boolean liveIn(final int partition, final SpecificRecord change) {
            if (change.get(change.getSchema().getField("op").pos()) == Op.DELETE) {
                return false;
            }
            final Object after = change.get(change.getSchema().getField("after").pos());
            if (!(after instanceof SpecificRecord row)) {
                return false;
            }
            final org.apache.avro.Schema.Field customer = row.getSchema().getField("customer_id");
            return customer == null
                    || io.rtdw.catalog.CustomerPartitioner.partition((Integer) row.get(customer.pos()), partitions)
                    == partition;
        }
    }
}
