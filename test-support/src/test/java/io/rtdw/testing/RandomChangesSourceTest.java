package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.VehicleChange;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generator produces what the real capture produces, and its source model is what the source holds: checked on
 * the records alone, without the topology.
 */
class RandomChangesSourceTest {

    private static List<SourceChange> run(final RandomChanges source, final boolean epoch) {
        final List<SourceChange> records = new ArrayList<>(source.next(1_500));
        if (epoch) {
            source.newEpoch();
        }
        records.addAll(source.next(1_500));
        records.addAll(source.commitOpen());
        return records;
    }

    private static SourceInfo source(final SourceChange change) {
        return switch (change.table()) {
            case CUSTOMERS -> ((CustomerChange) change.value()).getSource();
            case FLIGHT -> ((FlightChange) change.value()).getSource();
            case VEHICLE -> ((VehicleChange) change.value()).getSource();
        };
    }

    private static SpecificRecord after(final SourceChange change) {
        return switch (change.table()) {
            case CUSTOMERS -> ((CustomerChange) change.value()).getAfter();
            case FLIGHT -> ((FlightChange) change.value()).getAfter();
            case VEHICLE -> ((VehicleChange) change.value()).getAfter();
        };
    }

    private static boolean isDelete(final SourceChange change) {
        return switch (change.table()) {
            case CUSTOMERS -> ((CustomerChange) change.value()).getOp() == Op.DELETE;
            case FLIGHT -> ((FlightChange) change.value()).getOp() == Op.DELETE;
            case VEHICLE -> ((VehicleChange) change.value()).getOp() == Op.DELETE;
        };
    }

    private static String row(final SourceChange change) {
        return change.table() + ":" + change.id();
    }

    /** Every row of the model, by table and id. */
    private static Map<String, SpecificRecord> rows(final SourceModel model) {
        final Map<String, SpecificRecord> out = new TreeMap<>();
        model.customers().forEach((id, r) -> out.put("CUSTOMERS:" + id, r.row()));
        model.flights().forEach((id, r) -> out.put("FLIGHT:" + id, r.row()));
        model.vehicles().forEach((id, r) -> out.put("VEHICLE:" + id, r.row()));
        return out;
    }

    /** What the app's old rule (a change applies when its sequence is larger than its row's last one) leaves. */
    private static Map<String, SpecificRecord> largestSequenceWins(final List<SourceChange> records) {
        final Map<String, Long> last = new HashMap<>();
        final Map<String, SpecificRecord> out = new TreeMap<>();
        for (final SourceChange change : records) {
            final long sequence = source(change).getSequence();
            final Long previous = last.get(row(change));
            if (previous != null && sequence <= previous) {
                continue;
            }
            last.put(row(change), sequence);
            if (isDelete(change)) {
                out.remove(row(change));
            } else {
                out.put(row(change), after(change));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 42})
    void theModelIsTheSourceAfterEveryCommit(final long seed) {
        final RandomChanges source = new RandomChanges(seed, 60, 1_700_000_000_000L);
        final List<SourceChange> records = run(source, seed % 2 == 0);
        assertEquals(rows(SourceModel.of(source.generator())), rows(source.model()),
                "once every transaction committed, the model holds what the generator wrote");
        // The positions the records carry put them in the order the model was written in (the documented rule,
        // rebuilt independently of the app), child source times included.
        assertEquals(new Oracle(source.model()).expected(), Oracle.fromCaptureLog(records).expected());
    }

    @Test
    void aSnapshotTakenWhileATransactionIsOpenLetsAChangeWithALowerSequenceWin() {
        final RandomChanges source = new RandomChanges(1, 60, 1_700_000_000_000L);
        final List<SourceChange> records = run(source, false);
        final Map<String, SourceInfo> snapshotRows = new HashMap<>();
        int lowerButLater = 0;
        for (final SourceChange change : records) {
            final SourceInfo s = source(change);
            if (s.getSnapshot()) {
                snapshotRows.putIfAbsent(row(change), s);
                continue;
            }
            final SourceInfo read = snapshotRows.get(row(change));
            if (read != null && s.getEpoch().equals(read.getEpoch()) && s.getSequence() < read.getSequence()) {
                assertTrue(Long.compareUnsigned(s.getCommitSequence(), read.getCommitSequence()) > 0,
                        "the open transaction committed after the snapshot point");
                lowerButLater++;
            }
        }
        assertTrue(lowerButLater > 0, "a change with a sequence below its row's snapshot read, committed after it");
        assertNotEquals(rows(source.model()), largestSequenceWins(records),
                "the old rule (largest sequence wins) loses that change: the generator catches it");
    }

    @Test
    void transactionsInterleaveAndChangeARowTwice() {
        final RandomChanges source = new RandomChanges(2, 60, 1_700_000_000_000L);
        final List<SourceChange> records = run(source, false);
        final Map<Long, List<SourceChange>> postgresCommits = new TreeMap<>(Long::compareUnsigned);
        final Map<Long, List<SourceChange>> mongoCommits = new TreeMap<>(Long::compareUnsigned);
        final Set<String> seen = new HashSet<>();
        int replays = 0;
        for (final SourceChange change : records) {
            final SourceInfo s = source(change);
            if (!seen.add(row(change) + "@" + s.getCommitSequence() + "/" + s.getChangeOrder() + "/" + s.getSnapshot())) {
                replays++;
                continue;
            }
            if (!s.getSnapshot()) {
                (change.table() == SourceChange.Table.VEHICLE ? mongoCommits : postgresCommits)
                        .computeIfAbsent(s.getCommitSequence(), k -> new ArrayList<>()).add(change);
            }
        }
        assertTrue(replays > 0, "the capture restarts and sends a suffix again");
        assertTrue(postgresCommits.values().stream().anyMatch(t -> t.size() > 2), "multi-change transactions");
        assertTrue(postgresCommits.values().stream().anyMatch(RandomChangesSourceTest::changesARowTwice),
                "a PostgreSQL transaction changes one row twice");
        final List<List<SourceChange>> vehicleTwice = mongoCommits.values().stream()
                .filter(RandomChangesSourceTest::changesARowTwice).toList();
        assertFalse(vehicleTwice.isEmpty(), "a MongoDB transaction changes one vehicle twice");
        vehicleTwice.forEach(t -> assertEquals(1, t.stream().map(c -> source(c).getSequence()).distinct().count(),
                "every event of a MongoDB transaction has the commit's cluster time"));

        long previousCommit = -1;
        long maxChangeSoFar = Long.MIN_VALUE;
        int interleaved = 0;
        for (final Map.Entry<Long, List<SourceChange>> t : postgresCommits.entrySet()) {
            assertTrue(t.getKey() > previousCommit, "records arrive in commit order");
            previousCommit = t.getKey();
            final long min = t.getValue().stream().mapToLong(c -> source(c).getSequence()).min().orElseThrow();
            if (min < maxChangeSoFar) {
                interleaved++;
            }
            maxChangeSoFar = Math.max(maxChangeSoFar,
                    t.getValue().stream().mapToLong(c -> source(c).getSequence()).max().orElseThrow());
            t.getValue().forEach(c -> assertTrue(source(c).getSequence() < t.getKey(), "a change precedes its commit"));
        }
        assertTrue(interleaved > 0, "a later commit has changes below those of an earlier one");
    }

    private static boolean changesARowTwice(final List<SourceChange> commit) {
        return commit.stream().map(RandomChangesSourceTest::row).distinct().count() < commit.size();
    }

    @Test
    void customerIdsZeroAndNegativeAndANewEpoch() {
        final RandomChanges source = new RandomChanges(3, 60, 1_700_000_000_000L);
        final List<SourceChange> records = run(source, true);
        assertTrue(source.model().customers().keySet().stream().anyMatch(id -> id <= 0)
                || records.stream().anyMatch(c -> c.table() == SourceChange.Table.CUSTOMERS && c.id() <= 0),
                "customers with id 0 or below");
        assertTrue(records.stream().map(RandomChangesSourceTest::after)
                .filter(r -> r instanceof io.rtdw.schemas.Flight || r instanceof io.rtdw.schemas.Vehicle)
                .anyMatch(r -> (Integer) r.get(1) <= 0), "children of customer ids 0 or below");

        final List<String> epochs = records.stream().filter(c -> c.table() != SourceChange.Table.VEHICLE)
                .map(c -> source(c).getEpoch()).distinct().toList();
        assertEquals(2, epochs.size(), "PostgreSQL moved to a new epoch: " + epochs);
        final long oldMax = records.stream().filter(c -> source(c).getEpoch().equals(epochs.get(0)))
                .mapToLong(c -> source(c).getSequence()).max().orElseThrow();
        final List<SourceChange> resnapshot = records.stream()
                .filter(c -> source(c).getEpoch().equals(epochs.get(1)) && source(c).getSnapshot()).toList();
        assertTrue(resnapshot.size() > 60, "the new epoch re-snapshots every PostgreSQL row");
        resnapshot.forEach(c -> assertTrue(source(c).getSequence() < oldMax, "LSNs start lower in the new epoch"));
    }
}
