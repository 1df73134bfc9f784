package io.rtdw.position;

import io.rtdw.position.SourcePosition.Verdict;
import io.rtdw.schemas.SourceInfo;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SourcePositionTest {

    private static final String PG = "pg:7412345678901234567:1";

    @Test
    void aChangeCommittedAfterTheSnapshotWinsEvenWhenItsOwnLsnIsLower() {
        // The reproduced loss: T's update had LSN 0/192ECB8, the snapshot row 0/192EE38; T committed after it.
        final SourcePosition snapshotRow = new SourcePosition(PG, 0x192EE38L, "");
        final SourcePosition updateOfT = new SourcePosition(PG, 0x192F100L, SourcePosition.orderOf(0x192ECB8L));
        assertEquals(Verdict.NEWER, updateOfT.against(snapshotRow));
        assertEquals(Verdict.NOT_NEWER, snapshotRow.against(updateOfT));
    }

    @Test
    void aSnapshotRowWinsOverChangesCommittedBeforeItsPoint() {
        final SourcePosition committedBefore = new SourcePosition(PG, 0x1000L, SourcePosition.orderOf(0xFF0L));
        final SourcePosition snapshotRow = new SourcePosition(PG, 0x2000L, "");
        assertEquals(Verdict.NEWER, snapshotRow.against(committedBefore));
        assertEquals(Verdict.NOT_NEWER, committedBefore.against(snapshotRow));
    }

    @Test
    void changesOfOneCommitApplyInTheirOrderAndReplaysDrop() {
        final SourcePosition first = new SourcePosition(PG, 0x5000L, SourcePosition.orderOf(0x4F00L));
        final SourcePosition second = new SourcePosition(PG, 0x5000L, SourcePosition.orderOf(0x4F80L));
        assertEquals(Verdict.NEWER, second.against(first));
        assertEquals(Verdict.NOT_NEWER, first.against(second));
        assertEquals(Verdict.NOT_NEWER, second.against(second), "a replay of the applied change");
        assertEquals(Verdict.FIRST, first.against(null));
    }

    @Test
    void anotherEpochAlwaysApplies() {
        final SourcePosition beforeRestore = new SourcePosition(PG, 0x9000_0000L, SourcePosition.orderOf(1));
        final SourcePosition afterRestore = new SourcePosition(PG + ":restore-1", 0x100L, SourcePosition.orderOf(1));
        assertEquals(Verdict.NEW_EPOCH, afterRestore.against(beforeRestore));
        assertThrows(IllegalArgumentException.class, () -> afterRestore.compareWithinEpoch(beforeRestore));
    }

    @Test
    void hexOrderIsNumericOrderOverTheWholeUnsignedRange() {
        final Random random = new Random(16);
        for (int i = 0; i < 10_000; i++) {
            final long a = random.nextLong();
            final long b = random.nextLong();
            assertEquals(Integer.signum(Long.compareUnsigned(a, b)),
                    Integer.signum(SourcePosition.orderOf(a).compareTo(SourcePosition.orderOf(b))), a + " vs " + b);
        }
    }

    @Test
    void bytesRoundTripAndLegacyStoreValuesRead() {
        final SourcePosition p = new SourcePosition("mongodb:65f0c0ffee", 7_000_000_000L, "82650A1B2C000000012B");
        assertEquals(p, SourcePosition.fromBytes(p.toBytes()));
        final SourcePosition legacy = SourcePosition.fromBytes(ByteBuffer.allocate(8).putLong(26406072L).array());
        assertEquals(new SourcePosition("", 26406072L, ""), legacy);
        assertEquals(Verdict.NEW_EPOCH, p.against(legacy), "the first v2 change of a row upgrades it");
    }

    @Test
    void changesWrittenBeforeTheFormatUseTheirSequence() {
        final SourceInfo old = SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("public.customers")
                .setCommitTsMs(1).setPosition("0/10").setSequence(16).build();
        assertEquals(new SourcePosition("", 16, ""), SourcePosition.of(old));
        final SourceInfo v2 = SourceInfo.newBuilder(old).setEpoch(PG).setCommitSequence(32)
                .setChangeOrder(SourcePosition.orderOf(16)).build();
        assertEquals(new SourcePosition(PG, 32, "0000000000000010"), SourcePosition.of(v2));
    }
}
