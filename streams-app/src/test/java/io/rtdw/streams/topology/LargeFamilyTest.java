package io.rtdw.streams.topology;

import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The previous engine kept each family as one list value: above ~40,000 children a list outgrew the producer's
 * max.request.size and the app crash-looped on that key. Now a family is one item per child in RocksDB, read newest
 * first up to the cap, and the record carries the capped arrays with exact counts.
 */
class LargeFamilyTest {

    @TempDir
    File stateDir;

    @Test
    void aFamilyOfFortyThousandChildrenIsCappedNotFatal() {
        final int children = 41_000;
        final int cap = 10;
        final PipelineMetrics metrics = new PipelineMetrics();
        try (JoinTask task = new JoinTask(0, new JoinProcessor(UnifiedCustomerTopology.STATE,
                new JoinState.Serdes(RegistrySerdes.embedded()), 1, cap, false, 3_600_000, metrics), stateDir, true)) {
            long position = 1;
            task.process(new CustomerKey(1), CustomerChange.newBuilder().setOp(Op.CREATE)
                    .setAfter(Customer.newBuilder().setId(1).setNome("Ana").build())
                    .setSource(source(position, 1_000)).build(), 1_000);
            for (int i = 0; i < children; i++) {
                position++;
                task.process(new FlightKey(100 + i), FlightChange.newBuilder().setOp(Op.CREATE)
                        .setAfter(Flight.newBuilder().setId(100 + i).setCustomerId(1).build())
                        .setSource(source(position, 2_000 + i)).build(), 2_000 + i);
            }
            task.written();
            task.process(new FlightKey(100 + children - 1), FlightChange.newBuilder().setOp(Op.DELETE)
                    .setBefore(Flight.newBuilder().setId(100 + children - 1).setCustomerId(1).build())
                    .setSource(source(position + 1, 2_000 + children)).build(), 2_000 + children);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> out = task.written();
            assertEquals(1, out.size());
            final UnifiedCustomer last = out.get(0).value;
            assertEquals(children - 1, last.getFlightCount(), "the count is exact");
            final List<Integer> newest = new ArrayList<>();
            for (int i = children - 1 - cap; i < children - 1; i++) {
                newest.add(100 + i);
            }
            assertEquals(newest, last.getFlights().stream().map(UnifiedFlight::getFlightId).toList(),
                    "the most recently changed ones, ordered by id (the deleted newest one gone)");
            assertEquals(children + 2, last.getVersion(), "one version per change");
            assertTrue(metrics.replaysDropped() == 0);
        }
    }

    private static SourceInfo source(final long position, final long commitTs) {
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("app").setTable("public.flight")
                .setCommitTsMs(commitTs).setPosition("0/" + Long.toHexString(position)).setSequence(position)
                .setSnapshot(false).setEpoch("pg:1:1").setCommitSequence(position)
                .setChangeOrder(String.format("%016X", position)).build();
    }
}
