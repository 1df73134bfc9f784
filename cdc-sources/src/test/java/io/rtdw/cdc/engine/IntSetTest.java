package io.rtdw.cdc.engine;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The primitive set against java.util.HashSet, and its memory per member. */
class IntSetTest {

    @Test
    void behavesLikeAHashSetUnderRandomAddsAndRemoves() {
        final Random random = new Random(16);
        final IntSet set = new IntSet(4);
        final Set<Integer> expected = new HashSet<>();
        // A small range makes long probe runs and many removals inside them (the backward shift).
        for (int i = 0; i < 400_000; i++) {
            final int v = i % 1000 == 0 ? Integer.MIN_VALUE : random.nextInt(5000) - 2500;
            if (random.nextInt(3) == 0) {
                assertEquals(expected.remove(v), set.remove(v), "remove " + v);
            } else {
                assertEquals(expected.add(v), set.add(v), "add " + v);
            }
            assertEquals(expected.size(), set.size());
        }
        for (int v = -2600; v <= 2600; v++) {
            assertEquals(expected.contains(v), set.contains(v), "contains " + v);
        }
        assertEquals(expected.contains(Integer.MIN_VALUE), set.contains(Integer.MIN_VALUE));
        final Set<Integer> listed = new HashSet<>();
        set.forEach(listed::add);
        assertEquals(expected, listed);
    }

    @Test
    void zeroNegativeAndTheEmptyMarkerAreMembersLikeAnyOther() {
        final IntSet set = new IntSet(0);
        for (final int v : new int[] {0, -5, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertFalse(set.contains(v));
            assertTrue(set.add(v));
            assertFalse(set.add(v));
            assertTrue(set.contains(v));
        }
        assertEquals(4, set.size());
        assertTrue(set.remove(Integer.MIN_VALUE));
        assertFalse(set.remove(Integer.MIN_VALUE));
        assertEquals(3, set.size());
    }

    @Test
    void fiveMillionSequentialIdsTakeAThirtyTwoMebibyteTable() {
        final IntSet set = new IntSet(1 << 16);
        for (int id = 1; id <= 5_000_000; id++) {
            set.add(id);
        }
        assertEquals(5_000_000, set.size());
        assertEquals(32L << 20, set.tableBytes(), "8 Mi slots of 4 bytes: 6.7 bytes per id");
        for (int id = 1; id <= 5_000_000; id += 2) {
            set.remove(id);
        }
        assertEquals(2_500_000, set.size());
        assertTrue(set.contains(2) && !set.contains(1) && set.contains(5_000_000));
    }
}
