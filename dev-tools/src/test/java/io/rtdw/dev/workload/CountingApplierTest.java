package io.rtdw.dev.workload;

import io.rtdw.testing.WorkloadGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The count a resumed workload skips: written after each applied change, starting from what was applied before. */
class CountingApplierTest {

    @Test
    void countsAppliedChangesOnTopOfTheEarlierOnes(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("applied");
        final List<WorkloadGenerator.Change> seen = new ArrayList<>();
        final WorkloadGenerator generator = new WorkloadGenerator(WorkloadGenerator.Options.defaults(3));
        final WorkloadMain.CountingApplier counting = new WorkloadMain.CountingApplier(List.of(seen::add), file, 10);
        for (int i = 0; i < 3; i++) {
            counting.apply(generator.next());
        }
        assertEquals(3, seen.size());
        assertEquals("13", Files.readString(file).trim());
    }

    @Test
    void aFailedChangeIsNotCounted(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("applied");
        final WorkloadGenerator generator = new WorkloadGenerator(WorkloadGenerator.Options.defaults(3));
        final int[] calls = {0};
        final WorkloadMain.CountingApplier counting = new WorkloadMain.CountingApplier(List.of(change -> {
            if (++calls[0] == 2) {
                throw new java.sql.SQLException("duplicate key");
            }
        }), file, 0);
        counting.apply(generator.next());
        assertThrows(java.sql.SQLException.class, () -> counting.apply(generator.next()));
        assertEquals("1", Files.readString(file).trim());
    }

    @Test
    void skippingRegeneratesTheSameChanges() {
        // --skip N relies on the generator being a pure function of its seed: N calls to next() then the (N+1)th
        // give what an uninterrupted run gives as its (N+1)th.
        final WorkloadGenerator straight = new WorkloadGenerator(WorkloadGenerator.Options.defaults(11));
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            expected.add(key(straight.next()));
        }
        final WorkloadGenerator resumed = new WorkloadGenerator(WorkloadGenerator.Options.defaults(11));
        for (int i = 0; i < 250; i++) {
            resumed.next();
        }
        for (int i = 250; i < 400; i++) {
            assertEquals(expected.get(i), key(resumed.next()), "change " + i);
        }
    }

    private static String key(final WorkloadGenerator.Change c) {
        return c.kind() + " " + (c.customer() == null ? "" : c.customer().id()) + " "
                + (c.flight() == null ? "" : c.flight().id() + ">" + c.flight().customerId()) + " "
                + (c.vehicle() == null ? "" : c.vehicle().id() + ">" + c.vehicle().customerId());
    }
}
