package io.rtdw.cdc.mongodb;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.cdc.mongodb.RecordedMongoEvents.Scenario;
import io.rtdw.position.SourcePosition;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Source order of MongoDB changes, end to end from Debezium's event shape: the mapped changes, applied with the
 * app's rule (per vehicle, a change applies when its {@link SourcePosition} wins {@link SourcePosition#against} the
 * applied one), must leave exactly the documents as written ({@link Scenario#collection()}, converted here without
 * the mapper), minus documents no customer has (a customer_id that is missing or not an int).
 */
class MongoSourceOrderTest {

    private static final long T0 = 1_767_225_600L; // 2026-01-01T00:00:00Z
    private static final String EPOCH = DebeziumMongoEventMapper.epoch("6768a1b2c3d4e5f601234567", null);
    private final DebeziumMongoEventMapper mapper = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT, EPOCH);

    private static Document car(final int customer, final String modelo) {
        return new Document("customer_id", customer).append("ano_modelo", "2020").append("modelo", modelo)
                .append("fabricante", "Fiat").append("ano_veiculo", 2020).append("categoria", "Hatch")
                .append("dt_update", new Date(T0 * 1000));
    }

    /** What the app ends with after applying the mapped changes in delivery order. */
    private record Applied(Map<Integer, VehicleChange> winners, int dropped, int deadLetters,
                           List<VehicleChange> changes) {

        /** The vehicles present: winners that are not deletes. */
        Map<Integer, Vehicle> vehicles() {
            final Map<Integer, Vehicle> out = new TreeMap<>();
            winners.forEach((id, change) -> {
                if (change.getOp() != Op.DELETE) {
                    out.put(id, change.getAfter());
                }
            });
            return out;
        }
    }

    private Applied apply(final List<DebeziumMongoEventMapper.Event> delivered) {
        return apply(delivered, c -> SourcePosition.of(c.getSource()));
    }

    private Applied apply(final List<DebeziumMongoEventMapper.Event> delivered,
                          final Function<VehicleChange, SourcePosition> position) {
        final Map<Integer, VehicleChange> winners = new TreeMap<>();
        final List<VehicleChange> changes = new ArrayList<>();
        int dropped = 0;
        int deadLetters = 0;
        for (final DebeziumMongoEventMapper.Event event : delivered) {
            final List<MappedChange<?, ?>> mapped = new ArrayList<>();
            try {
                mapper.map(event).ifPresent(mapped::add);
            } catch (final UnmappableChangeException e) {
                deadLetters++;
                e.retraction().ifPresent(mapped::add);
            }
            for (final MappedChange<?, ?> m : mapped) {
                final int id = ((VehicleKey) m.key()).getId();
                final VehicleChange change = (VehicleChange) m.value();
                changes.add(change);
                final VehicleChange current = winners.get(id);
                final SourcePosition.Verdict verdict = position.apply(change)
                        .against(current == null ? null : position.apply(current));
                if (verdict == SourcePosition.Verdict.NOT_NEWER) {
                    dropped++;
                } else {
                    winners.put(id, change);
                }
            }
        }
        return new Applied(winners, dropped, deadLetters, changes);
    }

    /** The documents as written, as the warehouse should hold them: converted field by field, not by the mapper. */
    private static Map<Integer, Vehicle> expected(final Map<Integer, Document> collection) {
        final Map<Integer, Vehicle> out = new TreeMap<>();
        collection.forEach((id, doc) -> {
            if (doc.get("customer_id") instanceof Integer customer) {
                out.put(id, Vehicle.newBuilder().setId(id).setCustomerId(customer)
                        .setAnoModelo(doc.getString("ano_modelo")).setModelo(doc.getString("modelo"))
                        .setFabricante(doc.getString("fabricante")).setAnoVeiculo(doc.getInteger("ano_veiculo"))
                        .setCategoria(doc.getString("categoria"))
                        .setDtUpdate(doc.getDate("dt_update") == null ? null : doc.getDate("dt_update").toInstant())
                        .build());
            }
        });
        return out;
    }

    @Test
    void aTransactionTouchingOneVehicleTwiceEndsAsItsLastWrite() {
        final Scenario s = new Scenario(T0)
                .autoCommit(t -> t.insert(20, car(1, "Uno")))
                .transaction(t -> t.insert(21, car(1, "Palio"))
                        .update(21, new Document("customer_id", 2).append("modelo", "Palio Weekend")))
                .transaction(t -> t.insert(22, car(3, "Mobi")).delete(22))
                .transaction(t -> t.update(20, new Document("customer_id", 4)).update(20, new Document("modelo", "X"))
                        .delete(20).insert(20, car(5, "Argo")));
        final Applied applied = apply(s.events());
        assertEquals(expected(s.collection()), applied.vehicles());
        assertEquals(2, applied.vehicles().get(21).getCustomerId(), "moved to customer 2 inside the transaction");
        assertEquals(0, applied.dropped());

        // Every event of one transaction has its commit's cluster time; the token orders them within it.
        final List<VehicleChange> tx = applied.changes().subList(5, 9);
        tx.forEach(c -> assertEquals(tx.get(0).getSource().getCommitSequence(), c.getSource().getCommitSequence()));
        for (int i = 1; i < tx.size(); i++) {
            assertTrue(tx.get(i - 1).getSource().getChangeOrder().compareTo(tx.get(i).getSource().getChangeOrder()) < 0,
                    "token order is event order within the transaction");
        }
        // The rule before position v2 (the cluster time alone) drops the second change of a vehicle in a transaction.
        assertNotEquals(expected(s.collection()),
                apply(s.events(), c -> new SourcePosition("", c.getSource().getSequence(), "")).vehicles());
    }

    @Test
    void insertDeleteInsertOfOneIdKeepsTheSecondDocument() {
        final Scenario s = new Scenario(T0)
                .autoCommit(t -> t.insert(30, car(1, "Kwid")))
                .autoCommit(t -> t.delete(30))
                .autoCommit(t -> t.insert(30, car(2, "Sandero")))
                .transaction(t -> t.insert(31, car(3, "Up")).delete(31).insert(31, car(4, "Gol")));
        final Applied applied = apply(s.events());
        assertEquals(expected(s.collection()), applied.vehicles());
        assertEquals(2, applied.vehicles().get(30).getCustomerId());
        assertEquals(4, applied.vehicles().get(31).getCustomerId());
    }

    @Test
    void aRestartedCaptureReplaysFromItsResumeTokenWithoutLossOrDoubleApply() {
        final Scenario s = new Scenario(T0)
                .autoCommit(t -> t.insert(1, car(1, "A")))
                .autoCommit(t -> t.insert(2, car(1, "B")))
                .transaction(t -> t.update(1, new Document("customer_id", 2)).insert(3, car(2, "C"))
                        .update(1, new Document("modelo", "A2")).delete(2))
                .autoCommit(t -> t.update(3, new Document("customer_id", 9)));
        // Kafka acknowledged the first 3 events and Debezium committed that offset (inside the transaction); the
        // capture had delivered all 7 when it was killed. The restarted capture resumes after the committed token:
        // events 4 to 7 come again, then the capture goes on.
        final List<DebeziumMongoEventMapper.Event> firstRun = List.copyOf(s.events());
        firstRun.subList(3, firstRun.size()).forEach(s::redeliver);
        s.autoCommit(t -> t.update(3, new Document("modelo", "C2")))
                .transaction(t -> t.insert(4, car(0, "D")).update(1, new Document("customer_id", -5)));
        final Applied applied = apply(s.events());
        assertEquals(expected(s.collection()), applied.vehicles());
        assertEquals(4, applied.dropped(), "each replayed event is dropped once, nothing else");
        assertEquals(-5, applied.vehicles().get(1).getCustomerId(), "negative ids are customer ids like any other");
        assertEquals(0, applied.vehicles().get(4).getCustomerId());
    }

    @Test
    void snapshotRowsSitAtTheSnapshotsPoint() {
        final Scenario s = new Scenario(T0)
                .existing(40, car(1, "A"))
                .existing(41, car(1, "B"))
                .existing(42, car(2, "C"))
                .autoCommit(t -> t.update(42, new Document("modelo", "C1")))
                .autoCommit(t -> t.update(42, new Document("modelo", "C2")));
        final DebeziumMongoEventMapper.Event beforeSnapshot = s.events().get(0);
        final long point = s.nextClusterTime() & ~0xFFFFFFFFL;
        s.events().clear(); // no capture ran yet: these two changes reach the warehouse only through the snapshot
        s.startSnapshot()
                .snapshotRead(40)                                                        // reads A
                .autoCommit(t -> t.update(41, new Document("customer_id", 3)))          // after the point
                .snapshotRead(41)                                                        // already sees it
                .snapshotRead(42)                                                        // reads C2
                .autoCommit(t -> t.update(40, new Document("modelo", "A2")));           // after the read of 40
        // Debezium delivers the snapshot rows, then streams from the snapshot's point; then a change committed
        // before the point arrives again (a stream resumed from an older token).
        final List<DebeziumMongoEventMapper.Event> delivered = new ArrayList<>();
        final List<DebeziumMongoEventMapper.Event> streamed = new ArrayList<>();
        for (final DebeziumMongoEventMapper.Event e : s.events()) {
            (e.valueJson().contains("\"op\":\"r\"") ? delivered : streamed).add(e);
        }
        delivered.addAll(streamed);
        delivered.add(beforeSnapshot);
        final Applied applied = apply(delivered);

        assertEquals(expected(s.collection()), applied.vehicles());
        assertEquals("C2", applied.vehicles().get(42).getModelo(), "the change from before the snapshot lost");
        assertEquals(3, applied.vehicles().get(41).getCustomerId());
        assertEquals("A2", applied.vehicles().get(40).getModelo());
        assertEquals(1, applied.dropped());
        final VehicleChange read = applied.changes().get(0);
        assertEquals(Op.READ, read.getOp());
        assertEquals(point, read.getSource().getCommitSequence(), "the snapshot's start, from the offset's token");
        assertEquals("", read.getSource().getChangeOrder());
        assertEquals(EPOCH, read.getSource().getEpoch());
    }

    @Test
    void aDocumentWithoutAnIntCustomerIdIsADeadLetterAndLeavesItsCustomer() {
        final Scenario s = new Scenario(T0)
                .autoCommit(t -> t.insert(50, car(7, "Onix")))
                .autoCommit(t -> t.insert(51, car(7, "Prisma")))
                .autoCommit(t -> t.update(50, new Document("customer_id", "7x")))
                .autoCommit(t -> t.update(51, new Document("customer_id", null)))
                .autoCommit(t -> t.insert(52, car(8, "Cruze")));
        final Applied applied = apply(s.events());
        assertEquals(expected(s.collection()), applied.vehicles());
        assertEquals(2, applied.deadLetters());
        assertEquals(Op.DELETE, applied.winners().get(50).getOp());
        assertEquals(List.of(52), List.copyOf(applied.vehicles().keySet()));
    }
}
