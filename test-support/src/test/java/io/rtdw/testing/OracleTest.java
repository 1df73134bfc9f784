package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.testing.WorkloadGenerator.CustomerRow;
import io.rtdw.testing.WorkloadGenerator.FlightRow;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OracleTest {

    private static CustomerRow customer(final int id, final String name) {
        return new CustomerRow(id, name, "F", null, null, null, null, null, null, null);
    }

    @Test
    void everyIntIsACustomerIdAndOrphansJoinNothing() {
        final WorkloadGenerator source = new WorkloadGenerator(new WorkloadGenerator.Options(1, 0, 0, 0, 0, true));
        source.upsert(customer(0, "Zero"));
        source.upsert(customer(-5, "Negative"));
        source.upsert(new FlightRow(1, 0, "GRU", "GOL", "G3", null));
        source.upsert(new FlightRow(2, -5, "GIG", "TAP", "TP", null));
        source.upsert(new FlightRow(3, -9, "LIS", "TAP", "TP", null)); // orphan: no customer -9
        source.upsert(new VehicleDoc(1, -5, "2020", "Onix", "GM", 2020, "Hatch", Instant.EPOCH));
        final Map<Integer, UnifiedCustomer> expected = Oracle.of(source).expected();
        assertEquals(Set.of(0, -5), expected.keySet());
        assertEquals(List.of(1), expected.get(0).getFlights().stream().map(UnifiedFlight::getFlightId).toList());
        assertEquals(1, expected.get(-5).getFlightCount());
        assertEquals(1, expected.get(-5).getVehicleCount());

        source.deleteCustomer(-5);
        source.upsert(new FlightRow(1, -5, "GRU", "GOL", "G3", null)); // moves to a customer that is gone
        final Map<Integer, UnifiedCustomer> after = Oracle.of(source).expected();
        assertEquals(Set.of(0), after.keySet());
        assertEquals(0, after.get(0).getFlightCount(), "the moved flight left its old customer");
    }

    @Test
    void aModelWithoutSourceTimesComparesWithoutTheChildrensTimes() {
        final WorkloadGenerator source = new WorkloadGenerator(new WorkloadGenerator.Options(1, 0, 0, 0, 0, true));
        source.upsert(customer(1, "Ana"));
        source.upsert(new FlightRow(7, 1, "GRU", "GOL", "G3", null));
        final Oracle oracle = Oracle.of(source);
        final UnifiedCustomer want = oracle.expected().get(1);
        final UnifiedCustomer actual = UnifiedCustomer.newBuilder(want).setVersion(4)
                .setSourceTsMs(Instant.ofEpochMilli(99))
                .setFlights(List.of(UnifiedFlight.newBuilder(want.getFlights().get(0))
                        .setSourceTsMs(Instant.ofEpochMilli(1234)).build())).build();
        assertEquals(want, oracle.comparable(actual));
        assertFalse(want.equals(Oracle.normalize(actual)), "normalize alone keeps the children's times");
    }

    private static SourceChange change(final Op op, final String name, final boolean snapshot, final String epoch,
                                       final long sequence, final long commit, final String order) {
        final WorkloadGenerator.CustomerRow row = customer(2, name);
        return SourceChange.of(CustomerChange.newBuilder().setOp(op)
                .setAfter(op == Op.DELETE ? null : CdcEnvelopes.customer(row))
                .setBefore(op == Op.DELETE ? CdcEnvelopes.customer(row) : null)
                .setSource(SourceInfo.newBuilder().setConnector("postgresql").setDb("app").setTable("public.customers")
                        .setCommitTsMs(commit).setPosition("x").setSequence(sequence).setSnapshot(snapshot)
                        .setTxId(null).setEpoch(epoch).setCommitSequence(commit).setChangeOrder(order).build())
                .build());
    }

    @Test
    void aCaptureLogIsPutInTheSourcesCommitOrder() {
        // The snapshot read at 500, then a transaction open during the snapshot (change LSN 400, commit 600), then a
        // replay of the snapshot row: the transaction's image is the source's.
        final SourceChange read = change(Op.READ, "old", true, "pg:1:1", 500, 500, "");
        final List<SourceChange> log = List.of(read, change(Op.UPDATE, "new", false, "pg:1:1", 400, 600,
                "0000000000000190"), read);
        assertEquals("new", Oracle.fromCaptureLog(log).expected().get(2).getName());
        // Another epoch starts over, with lower positions; a delete there removes the row.
        final List<SourceChange> restored = List.of(read, change(Op.READ, "restored", true, "pg:2:1", 100, 100, ""));
        assertEquals("restored", Oracle.fromCaptureLog(restored).expected().get(2).getName());
        assertTrue(Oracle.fromCaptureLog(List.of(read, change(Op.DELETE, "x", false, "pg:2:1", 50, 60,
                "0000000000000032"))).expected().isEmpty());
    }
}
