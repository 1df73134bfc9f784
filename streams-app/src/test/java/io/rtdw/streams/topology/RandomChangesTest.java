package io.rtdw.streams.topology;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of random changes (inserts, updates, deletes, moves, orphans, re-created customers, replays) through the
 * topology; the final output equals the oracle's SQL join, whatever the seed and the caching.
 */
class RandomChangesTest {

    @ParameterizedTest(name = "seed={0} caching={1}")
    @CsvSource({"1,true", "1,false", "2,true", "3,false", "42,true"})
    void finalStateEqualsTheSqlJoin(final long seed, final boolean caching) {
        final List<SourceChange> changes = new RandomChanges(seed, 60, 1_700_000_000_000L).next(3_000);
        final Oracle oracle = new Oracle();
        final OutputLog log = new OutputLog();
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, 10_000, caching)) {
            for (final SourceChange change : changes) {
                driver.pipe(change);
                oracle.apply(change);
            }
            log.addAll(driver.readOutput());
            assertEquals(0, driver.metrics().deadLetters(), "generated changes are all valid");
            assertTrue(driver.metrics().replaysDropped() > 0, "the generator replays changes; they must be dropped");
        }
        log.assertConsistent();
        final Map<Integer, UnifiedCustomer> expected = oracle.expected();
        final Map<Integer, UnifiedCustomer> actual = log.finalState();
        assertEquals(expected.keySet(), actual.keySet(), "live customers");
        expected.forEach((id, want) -> assertEquals(want, Oracle.normalize(actual.get(id)), "customer " + id));
        assertTrue(expected.values().stream().anyMatch(c -> c.getFlightCount() > 1 && c.getVehicleCount() > 0),
                "the run exercises customers with several children");
    }
}
