package io.rtdw.streams.topology;

import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import org.apache.kafka.streams.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The join over several partitions, one {@link JoinProcessor} per task as Kafka Streams runs it: every random
 * change is delivered to the partitions {@link CustomerPartitioner} names (a moved child to two, a change without
 * its old customer to all), each task keeps only its customers, and the union of what the tasks write equals the
 * SQL join of the source. The test driver has one partition only, so this is where moves across partitions, and
 * at-least-once replays of lost output across partitions, are checked.
 */
class PartitionedJoinTest {

    @TempDir
    File stateDir;

    @ParameterizedTest(name = "partitions={0} seed={1} at-least-once with lost output={2}")
    @CsvSource({"4,1,false", "6,2,false", "3,3,true", "5,4,true"})
    void theTasksTogetherWriteTheSqlJoin(final int partitions, final long seed, final boolean atLeastOnce) {
        final RegistrySerdes registry = RegistrySerdes.embedded();
        final JoinState.Serdes serdes = new JoinState.Serdes(registry);
        final PipelineMetrics metrics = new PipelineMetrics();
        final List<JoinTask> tasks = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tasks.add(new JoinTask(p, new JoinProcessor(UnifiedCustomerTopology.STATE, serdes, partitions, 10_000,
                    atLeastOnce, 3_600_000, metrics), stateDir, false));
        }
        final RandomChanges source = new RandomChanges(seed, 80, 1_700_000_000_000L);
        final List<SourceChange> changes = source.next(4_000);
        final OutputLog log = new OutputLog();
        final Random lose = new Random(seed);
        int moves = 0;
        int lost = 0;
        for (int i = 0; i < changes.size(); i++) {
            final SourceChange change = changes.get(i);
            final int[] targets = CustomerPartitioner.partitions(change.value(), partitions);
            moves += targets.length == 2 ? 1 : 0;
            for (final int p : targets) {
                final JoinTask task = tasks.get(p);
                task.process(change.key(), change.value(), change.timestampMs());
                final List<KeyValue<CustomerKey, UnifiedCustomer>> written = task.written();
                // At least once, a crash may lose what a change wrote while its state survived: the capture
                // replays the change (the generator replays too, on its own), and it must come back.
                if (atLeastOnce && !written.isEmpty() && lose.nextInt(10) == 0) {
                    lost++;
                    task.process(change.key(), change.value(), change.timestampMs());
                    log.addAll(task.written());
                } else {
                    log.addAll(written);
                }
            }
        }
        log.assertConsistent(atLeastOnce);
        assertTrue(moves > 20, "children moved across partitions: " + moves);
        assertTrue(!atLeastOnce || lost > 20, "output was lost and replayed: " + lost);
        final Map<Integer, UnifiedCustomer> expected = new Oracle(source.model()).expected();
        final Map<Integer, UnifiedCustomer> actual = log.finalState();
        assertEquals(expected.keySet(), actual.keySet(), "live customers");
        expected.forEach((id, want) -> assertEquals(want, Oracle.normalize(actual.get(id)), "customer " + id));
        final java.util.Set<Integer> orphans = new java.util.TreeSet<>();
        source.model().flights().values().forEach(f -> orphans.add(f.row().getCustomerId()));
        source.model().vehicles().values().forEach(v -> orphans.add(v.row().getCustomerId()));
        orphans.removeAll(source.model().customers().keySet());
        assertEquals(orphans.size(), metrics.orphanCustomers(), "orphan customers, counted as they came and went");
    }
}
