package io.rtdw.cdc.engine;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.position.SourcePosition;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reconciliation over Kafka's MockConsumer and MockProducer: which keys get a DELETE, how it is stamped, and
 * that the topic folded with the app's rule ({@link SourcePosition#against}) then holds exactly the rows the
 * snapshot saw plus what was streamed after it, whatever order the DELETE arrives in.
 */
class SnapshotReconcilerTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    private static final RegistrySerdes SERDES = RegistrySerdes.embedded();
    private static final Topic<CustomerKey, CustomerChange> TOPIC = CATALOG.customers();
    private static final String OLD = "pg:1:1";
    private static final String NOW = "pg:1:1:restore-1";
    private static final long POINT = 5_000;

    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    private final Map<Integer, Long> offsets = new HashMap<>();

    private void add(final int id, final Op op, final String epoch, final long commit, final String order) {
        final SourceInfo source = SourceInfo.newBuilder().setConnector("postgresql").setDb("d")
                .setTable("public.customers").setCommitTsMs(commit).setPosition("0/" + commit).setSequence(commit)
                .setSnapshot(order.isEmpty()).setEpoch(epoch).setCommitSequence(commit).setChangeOrder(order).build();
        final CustomerChange change = CustomerChange.newBuilder().setOp(op).setSource(source)
                .setAfter(op == Op.DELETE ? null : Customer.newBuilder().setId(id).setNome("c" + id).build()).build();
        final int partition = Math.floorMod(id, 2);
        final long offset = offsets.merge(partition, 1L, Long::sum) - 1;
        records.add(new ConsumerRecord<>(TOPIC.name(), partition, offset,
                RegistrySerdes.keySerde(TOPIC).serializer().serialize(TOPIC.name(), new CustomerKey(id)),
                SERDES.valueSerde(TOPIC).serializer().serialize(TOPIC.name(), change)));
    }

    private MockConsumer<byte[], byte[]> consumer() {
        final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
        final Node node = new Node(0, "localhost", 9092);
        consumer.updatePartitions(TOPIC.name(), List.of(
                new PartitionInfo(TOPIC.name(), 0, node, new Node[0], new Node[0]),
                new PartitionInfo(TOPIC.name(), 1, node, new Node[0], new Node[0])));
        final Map<TopicPartition, Long> begin = new HashMap<>();
        final Map<TopicPartition, Long> end = new HashMap<>();
        for (int p = 0; p < 2; p++) {
            begin.put(new TopicPartition(TOPIC.name(), p), 0L);
            end.put(new TopicPartition(TOPIC.name(), p), offsets.getOrDefault(p, 0L));
        }
        consumer.updateBeginningOffsets(begin);
        consumer.updateEndOffsets(end);
        // Delivered in two polls, as a broker would hand out fetches.
        final int half = records.size() / 2;
        consumer.schedulePollTask(() -> records.subList(0, half).forEach(consumer::addRecord));
        consumer.schedulePollTask(() -> records.subList(half, records.size()).forEach(consumer::addRecord));
        return consumer;
    }

    @Test
    void deletesTheLiveRowsTheSnapshotDidNotRefreshStampedAtItsPoint() throws InterruptedException {
        add(1, Op.READ, OLD, 900, "");                      // an earlier history's snapshot row: stale
        add(2, Op.CREATE, OLD, 950, "00A0");                // refreshed below by this snapshot
        add(3, Op.UPDATE, NOW, 4_000, "0FA0");              // this epoch, committed before the point: stale
        add(4, Op.READ, NOW, 3_000, "");                    // an interrupted earlier snapshot of this epoch: stale
        add(5, Op.CREATE, OLD, 800, "0320");                // deleted in its history: nothing to do
        add(5, Op.DELETE, OLD, 810, "032A");
        add(6, Op.CREATE, OLD, 700, "02BC");                // refreshed, then deleted after the snapshot
        add(-7, Op.UPDATE, OLD, 990, "03DE");               // negative ids are ids: stale
        add(2, Op.READ, NOW, POINT, "");
        add(6, Op.READ, NOW, POINT, "");
        add(8, Op.READ, NOW, POINT, "");                    // new in this snapshot
        add(6, Op.DELETE, NOW, POINT + 10, "1388");
        add(9, Op.CREATE, NOW, POINT + 20, "1392");         // streamed after the snapshot

        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final ServiceMetrics metrics = new ServiceMetrics("cdc");
        final SourceInfo snapshot = SourceInfo.newBuilder().setConnector("postgresql").setDb("d")
                .setTable("public.flight").setCommitTsMs(123).setPosition("0/1388").setSequence(POINT).setSnapshot(true)
                .setTxId("77").setEpoch(NOW).setCommitSequence(POINT).setChangeOrder("").build();
        final MockConsumer<byte[], byte[]> consumer = consumer();
        final long deletes = new SnapshotReconciler("postgres", List.of(TOPIC), () -> consumer, SERDES,
                new ChangeProducer(kafka, SERDES, CATALOG), metrics).reconcile(snapshot);

        assertEquals(4, deletes);
        final List<Keyed> produced = new ArrayList<>();
        for (final ProducerRecord<byte[], byte[]> r : kafka.history()) {
            assertEquals(TOPIC.name(), r.topic());
            assertEquals(123L, r.timestamp());
            produced.add(keyed(r.key(), r.value()));
        }
        assertEquals(List.of(-7, 1, 3, 4), produced.stream().map(Keyed::id).sorted().toList());
        for (final Keyed k : produced) {
            final CustomerChange delete = k.change();
            assertEquals(Op.DELETE, delete.getOp());
            assertNull(delete.getBefore());
            assertNull(delete.getAfter());
            assertEquals(new SourcePosition(NOW, POINT - 1, "~"), SourcePosition.of(delete.getSource()),
                    "just below the snapshot's rows, above everything committed before it");
            assertEquals("public.customers", delete.getSource().getTable(), "the table of the topic's records");
            assertNull(delete.getSource().getTxId());
        }
        assertTrue(metrics.scrape().contains("rtdw_cdc_snapshot_reconcile_deletes_total{table=\"public.customers\"} 4.0"),
                metrics.scrape());
        assertTrue(consumer.closed(), "the consumer is closed");

        // The app's fold: the deletes after every record, or before every record of the snapshot's epoch (the older
        // epochs' records are on the topic before any of this epoch), give the same rows: those the snapshot saw
        // and those streamed after it.
        final List<Keyed> older = new ArrayList<>();
        final List<Keyed> current = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> r : records) {
            final Keyed k = keyed(r.key(), r.value());
            (k.change().getSource().getEpoch().equals(NOW) ? current : older).add(k);
        }
        final List<Keyed> deletesLast = new ArrayList<>(older);
        deletesLast.addAll(current);
        deletesLast.addAll(produced);
        final List<Keyed> deletesFirst = new ArrayList<>(older);
        deletesFirst.addAll(produced);
        deletesFirst.addAll(current);
        assertEquals(List.of(2, 8, 9), List.copyOf(fold(deletesLast).keySet()));
        assertEquals(List.of(2, 8, 9), List.copyOf(fold(deletesFirst).keySet()));
        metrics.close();
    }

    /**
     * A child topic written with CustomerPartitioner: a moved flight has its move in both customers' partitions, a
     * change without its old customer in all. Partitions are read one after the other (no order across them): the
     * row is stale only where its partition's latest record holds it live, and its DELETE goes there alone.
     */
    @Test
    void aChildIsStaleOnlyInThePartitionWhoseLatestRecordHoldsItLive() {
        final int n = 4;
        int a = 1;
        int b = 2;
        while (io.rtdw.catalog.CustomerPartitioner.partition(b, n) == io.rtdw.catalog.CustomerPartitioner.partition(a, n)) {
            b++;
        }
        final int pa = io.rtdw.catalog.CustomerPartitioner.partition(a, n);
        final int pb = io.rtdw.catalog.CustomerPartitioner.partition(b, n);
        final Map<Integer, List<Child>> byPartition = new HashMap<>();
        for (int p = 0; p < n; p++) {
            byPartition.put(p, new ArrayList<>());
        }
        // flight 1: created under a, moved to b, refreshed by the snapshot under b
        byPartition.get(pa).add(flight(1, Op.CREATE, null, a, 100));
        for (final int p : new int[] {pa, pb}) {
            byPartition.get(p).add(flight(1, Op.UPDATE, a, b, 200));
        }
        byPartition.get(pb).add(flight(1, Op.READ, null, b, POINT));
        // flight 2: created under a, moved to b, gone from the source before the snapshot
        byPartition.get(pa).add(flight(2, Op.CREATE, null, a, 110));
        for (final int p : new int[] {pa, pb}) {
            byPartition.get(p).add(flight(2, Op.UPDATE, a, b, 210));
        }
        // flight 3: deleted under a, re-created under b, gone before the snapshot
        byPartition.get(pa).add(flight(3, Op.CREATE, null, a, 120));
        byPartition.get(pa).add(flight(3, Op.DELETE, a, null, 220));
        byPartition.get(pb).add(flight(3, Op.CREATE, null, b, 320));
        // flight 4: created under a, deleted without its old row (to every partition)
        byPartition.get(pa).add(flight(4, Op.CREATE, null, a, 130));
        for (int p = 0; p < n; p++) {
            byPartition.get(p).add(flight(4, Op.DELETE, null, null, 230));
        }
        // flight 5: created under a, truncated away (no record), re-inserted under b: the snapshot reads it under b
        byPartition.get(pa).add(flight(5, Op.CREATE, null, a, 140));
        byPartition.get(pb).add(flight(5, Op.READ, null, b, POINT));
        for (final boolean newFirst : new boolean[] {true, false}) {
            final SnapshotReconciler.Fold fold = new SnapshotReconciler.Fold(NOW, POINT, n);
            final List<Integer> order = new ArrayList<>(List.of(pa, pb));
            if (newFirst) {
                java.util.Collections.reverse(order);
            }
            for (int p = 0; p < n; p++) {
                if (!order.contains(p)) {
                    order.add(p);
                }
            }
            for (final int p : order) {
                for (final Child child : byPartition.get(p)) {
                    fold.accept(p, child.id(), child.change());
                }
            }
            assertEquals(3, fold.staleKeys(), "read " + order);
            assertTrue(fold.stale[pa].contains(5) && !fold.stale[pb].contains(5), "deleted where it was, under a");
            assertFalse(fold.stale[pa].contains(1) || fold.stale[pb].contains(1), "refreshed under b");
            assertTrue(fold.stale[pb].contains(2) && !fold.stale[pa].contains(2), "live under b only");
            assertTrue(fold.stale[pb].contains(3) && !fold.stale[pa].contains(3), "re-created under b");
            assertEquals("public.flight", fold.table);
        }
    }

    /**
     * Flight 5 above gets a DELETE in a's partition and a READ in b's: a reader folding every partition by position
     * keeps the READ, because the DELETE stands just below the snapshot's rows (and above everything before them).
     */
    @Test
    void theDeletesStandBelowTheSnapshotsRowsAndAboveEverythingCommittedBeforeIt() {
        final SourceInfo snapshot = flight(5, Op.READ, null, 2, POINT).change().getSource();
        final SourcePosition delete = SourcePosition.of(SnapshotReconciler.stampOf(snapshot, "public.flight"));
        assertEquals(SourcePosition.Verdict.NOT_NEWER, delete.against(SourcePosition.of(snapshot)));
        assertEquals(SourcePosition.Verdict.NEWER, SourcePosition.of(snapshot).against(delete));
        final SourcePosition lastBefore = new SourcePosition(NOW, POINT - 1, SourcePosition.orderOf(POINT - 2));
        assertEquals(SourcePosition.Verdict.NEWER, delete.against(lastBefore));
        assertEquals(SourcePosition.Verdict.NEWER, delete.against(new SourcePosition(NOW, POINT - 1,
                "82673F2138000000032B042C0100296E5A1004")), "above a MongoDB resume token at the same cluster time");
    }

    private record Child(int id, io.rtdw.schemas.FlightChange change) {
    }

    private static Child flight(final int id, final Op op, final Integer before, final Integer after,
                                final long commit) {
        final boolean snapshot = op == Op.READ;
        final SourceInfo source = SourceInfo.newBuilder().setConnector("postgresql").setDb("d")
                .setTable("public.flight").setCommitTsMs(commit).setPosition("0/" + commit + ":" + id)
                .setSequence(commit).setSnapshot(snapshot).setEpoch(NOW).setCommitSequence(commit)
                .setChangeOrder(snapshot ? "" : SourcePosition.orderOf(commit)).build();
        return new Child(id, io.rtdw.schemas.FlightChange.newBuilder().setOp(op).setSource(source)
                .setBefore(before == null ? null : io.rtdw.schemas.Flight.newBuilder().setId(id).setCustomerId(before).build())
                .setAfter(after == null ? null : io.rtdw.schemas.Flight.newBuilder().setId(id).setCustomerId(after).build())
                .build());
    }

    private record Keyed(int id, CustomerChange change) {
    }

    private static Keyed keyed(final byte[] key, final byte[] value) {
        return new Keyed(RegistrySerdes.keySerde(TOPIC).deserializer().deserialize(TOPIC.name(), key).getId(),
                SERDES.valueSerde(TOPIC).deserializer().deserialize(TOPIC.name(), value));
    }

    /** A Debezium-shaped record of customer {@code id} whose {@code source.snapshot} is {@code snapshot}. */
    private static RecordChangeEvent<SourceRecord> debezium(final int id, final String snapshot) {
        final Schema sourceSchema = SchemaBuilder.struct().field("snapshot", Schema.OPTIONAL_STRING_SCHEMA).build();
        final Schema valueSchema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).field("source", sourceSchema)
                .build();
        final Struct value = new Struct(valueSchema).put("id", id)
                .put("source", new Struct(sourceSchema).put("snapshot", snapshot));
        final SourceRecord r = new SourceRecord(Map.of(), Map.of("lsn", (long) id), "t", null, null, valueSchema,
                value);
        return () -> r;
    }

    /** Maps a {@link #debezium} record to a snapshot READ at {@link #POINT} of epoch {@link #NOW}. */
    private static Optional<? extends MappedChange<?, ?>> snapshotRead(final SourceRecord record) {
        final int id = ((Struct) record.value()).getInt32("id");
        final SourceInfo source = SourceInfo.newBuilder().setConnector("postgresql").setDb("d")
                .setTable("public.customers").setCommitTsMs(1).setPosition("0/1388").setSequence(POINT)
                .setSnapshot(true).setEpoch(NOW).setCommitSequence(POINT).setChangeOrder("").build();
        return Optional.of(new MappedChange<>(TOPIC, new CustomerKey(id), CustomerChange.newBuilder().setOp(Op.READ)
                .setAfter(Customer.newBuilder().setId(id).build()).setSource(source).build(), 1, "0/1388"));
    }

    /** Marks what the engine would commit. */
    private static final class Marks implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
        final List<Integer> processed = new ArrayList<>();

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record) {
            processed.add(((Struct) record.record().value()).getInt32("id"));
        }

        @Override
        public void markBatchFinished() {
        }

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record, final DebeziumEngine.Offsets offsets) {
            markProcessed(record);
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void theSnapshotsLastRecordIsMarkedOnlyAfterItsReconciliationIsAcknowledged() throws InterruptedException {
        add(10, Op.READ, OLD, 900, "");
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final ChangeProducer producer = new ChangeProducer(kafka, SERDES, CATALOG);
        final MockConsumer<byte[], byte[]> consumer = consumer();
        final Marks marks = new Marks();
        new CaptureConsumer("postgres", SnapshotReconcilerTest::snapshotRead, producer, new ServiceMetrics("cdc"))
                .reconcilingSnapshots(new SnapshotReconciler("postgres", List.of(TOPIC), () -> consumer, SERDES,
                        producer, new ServiceMetrics("cdc")))
                .handleBatch(List.of(debezium(1, "first"), debezium(2, "true"), debezium(3, "last"),
                        debezium(4, "false")), marks);
        assertEquals(List.of(1, 2, 3, 10, 4), kafka.history().stream().map(r -> keyed(r.key(), r.value()).id())
                .toList(), "the snapshot's rows, the delete of 10, then the next record");
        assertEquals(List.of(1, 2, 3, 4), marks.processed);
    }

    @Test
    void aReconciliationKafkaRefusesMarksNothingSoTheSnapshotIsRedone() {
        add(10, Op.READ, OLD, 900, "");
        final int[] flushes = {0};
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(MockKafka.cluster(CATALOG), false, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized void flush() {
                if (++flushes[0] == 2) {
                    errorNext(new NotEnoughReplicasException("2 of 3 brokers down"));
                }
                while (completeNext()) {
                    // the snapshot's rows are acknowledged
                }
            }
        };
        final ChangeProducer producer = new ChangeProducer(kafka, SERDES, CATALOG);
        final MockConsumer<byte[], byte[]> consumer = consumer();
        final Marks marks = new Marks();
        final CaptureConsumer capture = new CaptureConsumer("postgres", SnapshotReconcilerTest::snapshotRead,
                producer, new ServiceMetrics("cdc")).reconcilingSnapshots(new SnapshotReconciler("postgres",
                List.of(TOPIC), () -> consumer, SERDES, producer, new ServiceMetrics("cdc")));
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> capture.handleBatch(List.of(debezium(1, "first"), debezium(3, "last")), marks));
        assertTrue(e.getMessage().contains("reconciliation delete"), e.getMessage());
        assertTrue(marks.processed.isEmpty(), "the snapshot's end is not committed");
    }

    @Test
    void anEmptyTopicProducesNothing() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final SourceInfo snapshot = SourceInfo.newBuilder().setConnector("postgresql").setDb("d")
                .setTable("public.customers").setCommitTsMs(1).setPosition("0/1").setSequence(1).setSnapshot(true)
                .setEpoch(NOW).setCommitSequence(1).setChangeOrder("").build();
        final MockConsumer<byte[], byte[]> consumer = consumer();
        assertEquals(0, new SnapshotReconciler("postgres", List.of(TOPIC), () -> consumer, SERDES,
                new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc")).reconcile(snapshot));
        assertTrue(kafka.history().isEmpty());
    }

    /** Per key the change the app keeps ({@link SourcePosition#against}), deletes dropped. */
    private static Map<Integer, Customer> fold(final List<Keyed> changes) {
        final Map<Integer, CustomerChange> applied = new HashMap<>();
        for (final Keyed k : changes) {
            final CustomerChange current = applied.get(k.id());
            if (SourcePosition.of(k.change().getSource()).against(current == null ? null
                    : SourcePosition.of(current.getSource())) != SourcePosition.Verdict.NOT_NEWER) {
                applied.put(k.id(), k.change());
            }
        }
        final Map<Integer, Customer> rows = new TreeMap<>();
        applied.forEach((id, change) -> {
            if (change.getAfter() != null) {
                rows.put(id, change.getAfter());
            }
        });
        return rows;
    }
}
