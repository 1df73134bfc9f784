package io.rtdw.cdc.engine;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commit rule: records are marked processed only after Kafka acknowledged the whole batch; a failed send marks
 * nothing. Kafka's MockProducer plays a broker that refuses a write.
 */
class CaptureConsumerTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    private static final RegistrySerdes SERDES = RegistrySerdes.embedded();

    /** Records what the engine would commit. */
    private static final class Committer implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
        final List<SourceRecord> processed = new ArrayList<>();
        int batchesFinished;

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record) {
            processed.add(record.record());
        }

        @Override
        public void markBatchFinished() {
            batchesFinished++;
        }

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record, final DebeziumEngine.Offsets offsets) {
            processed.add(record.record());
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            throw new UnsupportedOperationException();
        }
    }

    private static List<RecordChangeEvent<SourceRecord>> batch(final int n) {
        final List<RecordChangeEvent<SourceRecord>> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            final SourceRecord r = new SourceRecord(Map.of(), Map.of("lsn", (long) i), "t", null, null, null, i);
            out.add(() -> r);
        }
        return out;
    }

    /** Record i becomes customer i created at commit time 1000 + i; value -1 cannot be mapped. */
    private static final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> MAPPER = r -> {
        final int i = (Integer) r.value();
        if (i < 0) {
            throw new UnmappableChangeException("customer row " + i + " cannot be read");
        }
        final SourceInfo info = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.customers")
                .setCommitTsMs(1000 + i).setPosition("0/" + i).setSequence(i).build();
        return Optional.of(new MappedChange<>(CATALOG.customers(), new CustomerKey(i),
                CustomerChange.newBuilder().setOp(Op.CREATE).setSource(info).build(), 1000 + i, "0/" + i));
    };

    @Test
    void anAcknowledgedBatchIsMarkedInOrderWithCommitTimestamps() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final Committer committer = new Committer();
        new CaptureConsumer("postgres", MAPPER, new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc"))
                .handleBatch(batch(3), committer);
        assertEquals(List.of(1, 2, 3), committer.processed.stream().map(r -> (Integer) r.value()).toList());
        assertEquals(1, committer.batchesFinished);
        assertEquals(List.of(1001L, 1002L, 1003L), kafka.history().stream().map(ProducerRecord::timestamp).toList());
        assertEquals(2, RegistrySerdes.keySerde(CATALOG.customers()).deserializer()
                .deserialize(CATALOG.customers().name(), kafka.history().get(1).key()).getId());
    }

    @Test
    void aRefusedWriteMarksNothingSoTheBatchIsReplayed() {
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(MockKafka.cluster(CATALOG), false, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized void flush() {
                completeNext();
                errorNext(new NotEnoughReplicasException("2 of 3 brokers down"));
                while (completeNext()) {
                    // the rest succeed
                }
            }
        };
        final Committer committer = new Committer();
        final CaptureConsumer consumer = new CaptureConsumer("postgres", MAPPER,
                new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc"));
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> consumer.handleBatch(batch(3), committer));
        assertTrue(e.getMessage().contains("Kafka did not acknowledge"), e.getMessage());
        assertTrue(committer.processed.isEmpty(), "nothing of the batch may be committed");
        assertEquals(0, committer.batchesFinished);
    }

    @Test
    void aRetractionIsProducedWithItsDeadLetter() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> retracting = r -> {
            final MappedChange<?, ?> delete = MAPPER.apply(r).orElseThrow();
            throw new UnmappableChangeException("customer_id is not an int").withRetraction(delete);
        };
        final Committer committer = new Committer();
        new CaptureConsumer("mongodb", retracting, new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc"))
                .handleBatch(batch(1), committer);
        assertEquals(1, committer.processed.size());
        assertEquals(java.util.Set.of(CATALOG.cdcDeadLetters().name(), CATALOG.customers().name()),
                kafka.history().stream().map(ProducerRecord::topic).collect(java.util.stream.Collectors.toSet()),
                "the dead letter and the retraction");
    }

    @Test
    void anUnmappableRecordGoesToTheDeadLetterTopicAndCaptureContinues() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final Committer committer = new Committer();
        final List<RecordChangeEvent<SourceRecord>> records = new ArrayList<>(batch(1));
        final SourceRecord bad = new SourceRecord(Map.of(), Map.of("lsn", 0x1_0000_0010L), "rtdw.public.customers",
                null, null, null, -3);
        records.add(() -> bad);
        records.addAll(batch(1));
        final ServiceMetrics metrics = new ServiceMetrics("cdc");
        new CaptureConsumer("postgres", MAPPER, new ChangeProducer(kafka, SERDES, CATALOG), metrics)
                .handleBatch(records, committer);
        assertEquals(3, committer.processed.size(), "the bad record is handled, not retried forever");
        final ProducerRecord<byte[], byte[]> letter = kafka.history().get(1);
        assertEquals(CATALOG.cdcDeadLetters().name(), letter.topic());
        final DeadLetter dl = SERDES.value(DeadLetter.class).deserializer().deserialize(letter.topic(), letter.value());
        assertTrue(dl.getReason().contains("customer row -3 cannot be read"), dl.getReason());
        assertEquals("1/10", dl.getSourcePosition());
        assertEquals("cdc-postgres", dl.getStage());
        assertEquals(1.0, metrics.registry().get("rtdw.cdc.dead.letters").tag("source", "postgres").counter().count());
        assertTrue(metrics.scrape().contains("rtdw_cdc_dead_letters_total{source=\"postgres\"} 1.0"), metrics.scrape());
    }

    // ---- the transaction buffer (PostgreSQL) ----

    /** A record of the buffered tests: a change (Integer lsn), or the END of transaction tx ("END:tx:commitLsn"). */
    private static RecordChangeEvent<SourceRecord> rec(final Object value) {
        final SourceRecord r = new SourceRecord(Map.of(), Map.of("lsn", 1L), "t", null, null, null, value);
        return () -> r;
    }

    private static final CaptureConsumer.TransactionEnds ENDS = r -> r.value() instanceof String s
            && s.startsWith("END:") ? OptionalLong.of(Long.parseLong(s.split(":")[2])) : OptionalLong.empty();

    /** lsn n: customer n % 100 changed by transaction n / 100, commit unknown; negative: a heartbeat-like no-op. */
    private static final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> STREAMED = r -> {
        if (!(r.value() instanceof Integer lsn) || lsn < 0) {
            return Optional.empty();
        }
        final SourceInfo info = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.customers")
                .setCommitTsMs(5000).setPosition("0/" + lsn).setSequence(lsn).setTxId(String.valueOf(lsn / 100))
                .setEpoch("pg:1:1").setCommitSequence(-1).setChangeOrder(String.format("%016X", lsn)).build();
        return Optional.of(new MappedChange<>(CATALOG.customers(), new CustomerKey(lsn % 100),
                CustomerChange.newBuilder().setOp(Op.UPDATE).setSource(info).build(), 5000, "0/" + lsn));
    };

    private static List<SourceInfo> produced(final MockProducer<byte[], byte[]> kafka) {
        return kafka.history().stream().filter(r -> r.topic().equals(CATALOG.customers().name()))
                .map(r -> SERDES.valueSerde(CATALOG.customers()).deserializer().deserialize(r.topic(), r.value())
                        .getSource()).toList();
    }

    @Test
    void aTransactionIsHeldAcrossBatchesUntilItsEndAndStampedWithItsCommit() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final Committer committer = new Committer();
        final CaptureConsumer consumer = new CaptureConsumer("postgres", STREAMED, ENDS, 100,
                new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc"));
        consumer.handleBatch(List.of(rec(-1), rec(701), rec(702)), committer);
        assertTrue(produced(kafka).isEmpty(), "nothing of an open transaction is produced");
        assertEquals(List.of(-1), committer.processed.stream().map(r -> (Integer) r.value()).toList(),
                "only what precedes the open transaction is marked");
        consumer.handleBatch(List.of(rec(-2), rec(703), rec("END:7:9000"), rec(801)), committer);
        final List<SourceInfo> out = produced(kafka);
        assertEquals(List.of(9000L, 9000L, 9000L), out.stream().map(SourceInfo::getCommitSequence).toList(),
                "every change of the transaction carries its commit");
        assertEquals(List.of(701L, 702L, 703L), out.stream().map(SourceInfo::getSequence).toList(), "in LSN order");
        assertEquals(List.of(-1, 701, 702, -2, 703, "END:7:9000"), committer.processed.stream()
                .map(SourceRecord::value).toList(), "marked up to the END; transaction 8 is still open");
        consumer.handleBatch(List.of(rec("END:8:9100")), committer);
        assertEquals(9100L, produced(kafka).get(3).getCommitSequence());
        assertEquals(8, committer.processed.size());
    }

    @Test
    void aTransactionLargerThanTheBufferIsProducedInChunksAtALowerBoundOfItsCommit() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final Committer committer = new Committer();
        final ServiceMetrics metrics = new ServiceMetrics("cdc");
        final CaptureConsumer consumer = new CaptureConsumer("postgres", STREAMED, ENDS, 2,
                new ChangeProducer(kafka, SERDES, CATALOG), metrics);
        consumer.handleBatch(List.of(rec(701), rec(702), rec(703), rec(704), rec(705)), committer);
        assertEquals(List.of(702L, 702L, 704L, 704L), produced(kafka).stream().map(SourceInfo::getCommitSequence)
                .toList(), "chunks stamped with the newest LSN seen so far: never above the commit");
        assertTrue(committer.processed.isEmpty(), "still nothing marked inside the transaction");
        assertEquals(2.0, metrics.registry().get("rtdw.cdc.tx.spills").counter().count());
        consumer.handleBatch(List.of(rec("END:7:9000")), committer);
        assertEquals(9000L, produced(kafka).get(4).getCommitSequence());
        assertEquals("END:7:9000", committer.processed.get(committer.processed.size() - 1).value(),
                "the END's offset is the one committed");
    }

    @Test
    void aChangeOfAnotherTransactionBeforeTheEndStopsTheCapture() {
        final CaptureConsumer consumer = new CaptureConsumer("postgres", STREAMED, ENDS, 100,
                new ChangeProducer(MockKafka.producer(true, CATALOG),
                        SERDES, CATALOG), new ServiceMetrics("cdc"));
        final Committer committer = new Committer();
        final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> consumer.handleBatch(List.of(rec(701), rec(801)), committer));
        assertTrue(e.getMessage().contains("had not ended"), e.getMessage());
        assertTrue(committer.processed.isEmpty());
    }

    @Test
    void aRetractionInAnOpenTransactionIsProducedAtItsCommit() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final SourceInfo info = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.flight")
                .setCommitTsMs(5000).setPosition("0/9").setSequence(9).setEpoch("pg:1:1").setCommitSequence(-1)
                .setChangeOrder("0000000000000009").setTxId("0").build();
        final MappedChange<FlightKey, FlightChange> delete = new MappedChange<>(CATALOG.flights(), new FlightKey(4),
                FlightChange.newBuilder().setOp(Op.DELETE).setSource(info).build(), 5000, "0/9");
        final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper = r -> {
            throw new UnmappableChangeException("flight.customer_id must be a non-null int4, was null")
                    .withRetraction(delete);
        };
        final Committer committer = new Committer();
        final ServiceMetrics metrics = new ServiceMetrics("cdc");
        final ChangeProducer producer = new ChangeProducer(kafka, SERDES, CATALOG);
        producer.bindMetrics(metrics);
        new CaptureConsumer("postgres", mapper, ENDS, 100, producer, metrics)
                .handleBatch(List.of(rec(9), rec("END:0:50")), committer);
        assertEquals(CATALOG.cdcDeadLetters().name(), kafka.history().get(0).topic());
        // Without the old row the retraction does not say whose partition holds the flight: it goes to every one.
        final List<ProducerRecord<byte[], byte[]>> flights = kafka.history().subList(1, kafka.history().size());
        assertEquals(java.util.stream.IntStream.range(0, CATALOG.flights().partitions()).boxed().toList(),
                flights.stream().map(ProducerRecord::partition).toList());
        for (final ProducerRecord<byte[], byte[]> r : flights) {
            assertEquals(CATALOG.flights().name(), r.topic());
            final FlightChange sent = SERDES.valueSerde(CATALOG.flights()).deserializer()
                    .deserialize(CATALOG.flights().name(), r.value());
            assertEquals(Op.DELETE, sent.getOp());
            assertEquals(50L, sent.getSource().getCommitSequence(), "at the bad change's position, in its commit");
        }
        assertTrue(metrics.scrape().contains("rtdw_cdc_changes_broadcast_total{table=\"public.flight\"} 1.0"),
                metrics.scrape());
        assertEquals(2, committer.processed.size());
    }

    /** Every change goes to its customer's partition; a moved flight to both customers' partitions. */
    @Test
    void eachChangeGoesToItsCustomersPartitionAndAMoveToBoth() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = MockKafka.producer(true, CATALOG);
        final int n = CATALOG.flights().partitions();
        int other = 2;
        while (io.rtdw.catalog.CustomerPartitioner.partition(other, n) == io.rtdw.catalog.CustomerPartitioner.partition(1, n)) {
            other++;
        }
        final int moveTo = other;
        final SourceInfo info = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.flight")
                .setCommitTsMs(5000).setPosition("0/9").setSequence(9).setSnapshot(false).build();
        final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper = r -> Optional.of(
                new MappedChange<>(CATALOG.flights(), new FlightKey(4), FlightChange.newBuilder().setOp(Op.UPDATE)
                        .setBefore(io.rtdw.schemas.Flight.newBuilder().setId(4).setCustomerId(1).build())
                        .setAfter(io.rtdw.schemas.Flight.newBuilder().setId(4).setCustomerId(moveTo).build())
                        .setSource(info).build(), 5000, "0/9"));
        final Committer committer = new Committer();
        new CaptureConsumer("postgres", mapper, new ChangeProducer(kafka, SERDES, CATALOG), new ServiceMetrics("cdc"))
                .handleBatch(List.of(rec(9)), committer);
        assertEquals(java.util.stream.IntStream.of(io.rtdw.catalog.CustomerPartitioner.partition(1, n),
                        io.rtdw.catalog.CustomerPartitioner.partition(moveTo, n)).sorted().boxed().toList(),
                kafka.history().stream().map(ProducerRecord::partition).toList());
        assertEquals(1, kafka.history().stream().map(r -> java.util.Arrays.hashCode(r.value())).distinct().count(),
                "the same record in both");
        assertEquals(1, committer.processed.size(), "marked once both are acknowledged");
    }
}
