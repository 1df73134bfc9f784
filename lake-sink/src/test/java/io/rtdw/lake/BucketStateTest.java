package io.rtdw.lake;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BucketStateTest {

    private static String file(final String dt, final int p, final long first, final long last) {
        return new ChangelogFile(LocalDate.parse(dt), p, first, last).objectName();
    }

    @Test
    void resumesAfterTheHighestOffsetOfEachPartitionAcrossDates() {
        final BucketState state = BucketState.of(List.of(
                file("2026-11-20", 0, 0, 9), file("2026-11-21", 0, 12, 30), file("2026-11-20", 0, 10, 11),
                file("2026-11-21", 2, 3, 3), "snapshot/latest.parquet"));
        assertEquals(30, state.lastOffset(0));
        assertEquals(-1, state.lastOffset(1), "no file yet: start from the beginning");
        assertEquals(3, state.lastOffset(2));
        assertEquals(4, state.files());
    }

    @Test
    void gapsBetweenFilesAreNormal() {
        // Transaction markers and tombstones are not rows: consecutive files need not touch.
        assertEquals(50, BucketState.of(List.of(file("2026-11-21", 0, 0, 10), file("2026-11-21", 0, 14, 50))).lastOffset(0));
    }

    @Test
    void overlappingFilesMeanTwoWritersAndStopTheSink() {
        final IllegalStateException e = assertThrows(IllegalStateException.class, () -> BucketState.of(List.of(
                file("2026-11-21", 1, 0, 10), file("2026-11-22", 1, 5, 20))));
        assertTrue(e.getMessage().contains("more than one writer"), e.getMessage());
    }
}
