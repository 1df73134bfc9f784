package io.rtdw.dev.workload;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.dev.mongodb.DebeziumMongoEventWriter;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadRunner;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The "no MongoDB here" applier: generated vehicle changes as Debezium MongoDB events. */
class DebeziumEventApplierTest {

    @Test
    void withoutMongoDbVehicleChangesComeOutAsDebeziumEventsInClusterTimeOrder() throws Exception {
        final WorkloadGenerator g = new WorkloadGenerator(new WorkloadGenerator.Options(3, 5, 5, 20, 0.1, true));
        final DebeziumMongoEventMapper mapper = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT);
        final List<VehicleChange> changes = new ArrayList<>();
        final AtomicLong clock = new AtomicLong(1_732_190_400_000L);
        final DebeziumEventApplier applier = new DebeziumEventApplier(new DebeziumMongoEventWriter("rtdw", "rtdw",
                "vehicle"), true, () -> clock.getAndAdd(300), e -> changes.add(mapper.map(e).orElseThrow().value()));
        WorkloadRunner.run(g, 500, 0, List.of(applier));
        assertTrue(changes.size() > 100, "vehicle changes: " + changes.size());
        for (int i = 1; i < changes.size(); i++) {
            assertTrue(changes.get(i).getSource().getSequence() > changes.get(i - 1).getSource().getSequence(),
                    "cluster time grows");
        }
        // Replaying the events gives the generator's final state.
        final Map<Integer, Integer> owners = new HashMap<>();
        for (final VehicleChange c : changes) {
            if (c.getOp() == Op.DELETE) {
                owners.remove(c.getBefore().getId());
            } else {
                owners.put(c.getAfter().getId(), c.getAfter().getCustomerId());
            }
        }
        final Map<Integer, Integer> expected = new HashMap<>();
        g.vehicles().forEach((id, v) -> expected.put(id, v.customerId()));
        assertEquals(expected, owners);
    }
}
