package io.rtdw.streams.topology;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random source changes through the topology, as the real capture emits them (the test kit's
 * {@link RandomChanges}): transactions, interleaved commits, a snapshot taken while a transaction is open, capture
 * restarts that replay a suffix, customers with id 0 and negative, children moving between customers, and (some
 * runs) PostgreSQL moving to a new epoch. The final output equals the SQL join of the generator's source model after
 * every commit, whatever the seed; the expected state never comes from replaying the records.
 */
class RandomChangesTest {

    @ParameterizedTest(name = "seed={0} epoch change={1}")
    @CsvSource({"1,false", "1,true", "2,true", "3,false", "42,true"})
    void finalStateEqualsTheSqlJoinOfTheSource(final long seed, final boolean epochChange) {
        final RandomChanges source = new RandomChanges(seed, 60, 1_700_000_000_000L);
        final List<SourceChange> changes = new ArrayList<>(source.next(1_500));
        if (epochChange) {
            source.newEpoch();
        }
        changes.addAll(source.next(1_500));
        final OutputLog log = new OutputLog();
        final long deadLetters;
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, 10_000)) {
            changes.forEach(driver::pipe);
            log.addAll(driver.readOutput());
            deadLetters = driver.metrics().deadLetters();
            assertTrue(driver.metrics().replaysDropped() > 0, "the capture replays changes; they must be dropped");
        }
        log.assertConsistent();
        final Map<Integer, UnifiedCustomer> expected = new Oracle(source.model()).expected();
        final Map<Integer, UnifiedCustomer> actual = log.finalState();
        final List<String> differing = new ArrayList<>();
        expected.forEach((id, want) -> {
            if (!actual.containsKey(id)) {
                differing.add(id + " missing");
            } else if (!want.equals(Oracle.normalize(actual.get(id)))) {
                differing.add(String.valueOf(id));
            }
        });
        actual.keySet().stream().filter(id -> !expected.containsKey(id)).forEach(id -> differing.add(id + " extra"));
        final String summary = differing.size() + " of " + expected.size() + " customers differ: " + differing;
        assertEquals(expected.keySet(), actual.keySet(), "live customers; " + summary);
        expected.forEach((id, want) -> assertEquals(want, Oracle.normalize(actual.get(id)),
                "customer " + id + "; " + summary));
        assertEquals(0, deadLetters, "generated changes are all valid (every int is a customer id)");
        assertTrue(expected.values().stream().anyMatch(c -> c.getFlightCount() > 1 && c.getVehicleCount() > 0),
                "the run exercises customers with several children");
        assertTrue(expected.keySet().stream().anyMatch(id -> id <= 0), "the run has a customer with id 0 or below");
    }
}
