package io.rtdw.testing;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.dev.mongodb.DebeziumMongoEventWriter;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadGeneratorTest {

    private static List<WorkloadGenerator.Change> run(final long seed, final int n) {
        final WorkloadGenerator g = new WorkloadGenerator(WorkloadGenerator.Options.defaults(seed));
        final List<WorkloadGenerator.Change> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(g.next());
        }
        return out;
    }

    @Test
    void sameSeedSameChanges() {
        assertEquals(run(7, 2000), run(7, 2000));
        assertNotEquals(run(7, 2000), run(8, 2000));
    }

    @Test
    void theMixHasEveryKindMovesOrphansAndRecreations() {
        final WorkloadGenerator g = new WorkloadGenerator(WorkloadGenerator.Options.defaults(1));
        final Set<WorkloadGenerator.Kind> kinds = EnumSet.noneOf(WorkloadGenerator.Kind.class);
        final Map<Integer, Integer> flightOwner = new HashMap<>();
        final Set<Integer> everDeleted = new java.util.HashSet<>();
        int moves = 0;
        int orphans = 0;
        int recreated = 0;
        for (int i = 0; i < 5000; i++) {
            final WorkloadGenerator.Change c = g.next();
            kinds.add(c.kind());
            switch (c.kind()) {
                case CUSTOMER_DELETE -> everDeleted.add(c.customer().id());
                case CUSTOMER_INSERT -> recreated += everDeleted.contains(c.customer().id()) ? 1 : 0;
                case FLIGHT_INSERT, FLIGHT_UPDATE -> {
                    final Integer old = flightOwner.put(c.flight().id(), c.flight().customerId());
                    moves += old != null && old != c.flight().customerId() ? 1 : 0;
                    orphans += g.customers().containsKey(c.flight().customerId()) ? 0 : 1;
                }
                default -> {
                }
            }
        }
        assertEquals(EnumSet.allOf(WorkloadGenerator.Kind.class), kinds);
        assertTrue(moves > 50, "flights move between customers: " + moves);
        assertTrue(orphans > 50, "orphans: " + orphans);
        assertTrue(recreated > 5, "customers re-created with their old id: " + recreated);
    }

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
