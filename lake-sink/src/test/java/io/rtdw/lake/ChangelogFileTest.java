package io.rtdw.lake;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChangelogFileTest {

    @Test
    void nameIsAFunctionOfDatePartitionAndOffsetsAndParsesBack() {
        final ChangelogFile file = new ChangelogFile(LocalDate.of(2026, 11, 21), 3, 120, 245);
        assertEquals("changelog/dt=2026-11-21/p=3/00000000000000000120-00000000000000000245.parquet", file.objectName());
        assertEquals(Optional.of(file), ChangelogFile.parse(file.objectName()));
    }

    @Test
    void paddedOffsetsSortLexicallyInOffsetOrder() {
        final String a = new ChangelogFile(LocalDate.of(2026, 1, 1), 0, 9, 99).objectName();
        final String b = new ChangelogFile(LocalDate.of(2026, 1, 1), 0, 100, 1000).objectName();
        assertTrue(a.compareTo(b) < 0);
    }

    @Test
    void foreignObjectsAreNotChangelogFiles() {
        for (final String name : List.of("snapshot/latest.parquet", "changelog/dt=2026-11-21/p=3/1-2.parquet",
                "changelog/dt=2026-11-21/p=3/00000000000000000120-00000000000000000245.parquet.tmp")) {
            assertFalse(ChangelogFile.parse(name).isPresent(), name);
        }
    }

    @Test
    void rejectsImpossibleRanges() {
        assertThrows(IllegalArgumentException.class, () -> new ChangelogFile(LocalDate.of(2026, 1, 1), 0, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> new ChangelogFile(LocalDate.of(2026, 1, 1), -1, 0, 0));
    }

    @Test
    void overlapIsPerPartitionAndInclusive() {
        final LocalDate d = LocalDate.of(2026, 1, 1);
        assertTrue(new ChangelogFile(d, 0, 0, 10).overlaps(new ChangelogFile(d.plusDays(1), 0, 10, 12)));
        assertFalse(new ChangelogFile(d, 0, 0, 10).overlaps(new ChangelogFile(d, 0, 11, 12)));
        assertFalse(new ChangelogFile(d, 0, 0, 10).overlaps(new ChangelogFile(d, 1, 0, 10)));
    }
}
