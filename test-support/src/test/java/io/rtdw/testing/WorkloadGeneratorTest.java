package io.rtdw.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    void scriptedChangesGoThroughTheSameStateAndRandomOnesNeverReuseTheirIds() {
        final WorkloadGenerator g = new WorkloadGenerator(new WorkloadGenerator.Options(5, 0, 0, 0, 0.1, true));
        final WorkloadGenerator.CustomerRow ana = new WorkloadGenerator.CustomerRow(50, "Ana", "F", null, null, null,
                null, null, "pilot", null);
        assertEquals(WorkloadGenerator.Kind.CUSTOMER_INSERT, g.upsert(ana).kind());
        assertEquals(WorkloadGenerator.Kind.CUSTOMER_UPDATE, g.upsert(ana).kind());
        assertEquals(WorkloadGenerator.Kind.FLIGHT_INSERT,
                g.upsert(new WorkloadGenerator.FlightRow(7, 50, "Lisboa", "TAP", "LIS", null)).kind());
        assertEquals(WorkloadGenerator.Kind.CUSTOMER_DELETE, g.deleteCustomer(50).kind());
        assertEquals(Map.of(), g.customers());
        assertEquals(50, g.flights().get(7).customerId(), "a deleted customer's children stay");
        for (int i = 0; i < 500; i++) {
            final WorkloadGenerator.Change c = g.next();
            if (c.kind() == WorkloadGenerator.Kind.FLIGHT_INSERT) {
                assertTrue(c.flight().id() > 7, "random inserts use fresh ids: " + c.flight().id());
            }
        }
    }

    @Test
    void businessTimeGoesBackwardsOnlyWhenAsked() {
        assertEquals(0, backwardSteps(WorkloadGenerator.Options.defaults(3)));
        assertTrue(backwardSteps(WorkloadGenerator.Options.defaults(3).withBusinessTimeJitter(Duration.ofHours(1))) > 100);
    }

    private static int backwardSteps(final WorkloadGenerator.Options options) {
        final WorkloadGenerator g = new WorkloadGenerator(options);
        java.time.LocalDateTime last = java.time.LocalDateTime.MIN;
        int backwards = 0;
        for (int i = 0; i < 2000; i++) {
            final WorkloadGenerator.Change c = g.next();
            if (c.customer() != null && c.kind() != WorkloadGenerator.Kind.CUSTOMER_DELETE) {
                backwards += c.customer().dtUpdate().isBefore(last) ? 1 : 0;
                last = c.customer().dtUpdate();
            }
        }
        return backwards;
    }
}
