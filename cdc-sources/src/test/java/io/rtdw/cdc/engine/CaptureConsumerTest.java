package io.rtdw.cdc.engine;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
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
            throw new UnmappableChangeException("customer id must be positive, was " + i);
        }
        final SourceInfo info = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.customers")
                .setCommitTsMs(1000 + i).setPosition("0/" + i).setSequence(i).build();
        return Optional.of(new MappedChange<>(CATALOG.customers(), new CustomerKey(i),
                CustomerChange.newBuilder().setOp(Op.CREATE).setSource(info).build(), 1000 + i, "0/" + i));
    };

    @Test
    void anAcknowledgedBatchIsMarkedInOrderWithCommitTimestamps() throws InterruptedException {
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
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
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(false, null, new ByteArraySerializer(),
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
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
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
        final MockProducer<byte[], byte[]> kafka = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
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
        assertTrue(dl.getReason().contains("customer id must be positive, was -3"), dl.getReason());
        assertEquals("1/10", dl.getSourcePosition());
        assertEquals("cdc-postgres", dl.getStage());
        assertEquals(1.0, metrics.registry().get("rtdw.cdc.dead.letters").tag("source", "postgres").counter().count());
        assertTrue(metrics.scrape().contains("rtdw_cdc_dead_letters_total{source=\"postgres\"} 1.0"), metrics.scrape());
    }
}
