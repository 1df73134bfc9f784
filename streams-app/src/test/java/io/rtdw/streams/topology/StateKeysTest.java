package io.rtdw.streams.topology;

import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store's byte order is what the join relies on: families contiguous, newest first; purge queue by time. */
class StateKeysTest {

    private record Item(int customer, long ts, int child) {
    }

    @Test
    void aFamilyIsOneRangeOrderedNewestFirstThenHigherId() {
        final Random random = new Random(11);
        final List<Item> items = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            items.add(new Item(random.nextInt(7) - 3, random.nextInt(50) * (random.nextBoolean() ? 1L : 1_000_000_000L),
                    random.nextInt(41) - 20 + (random.nextInt(10) == 0 ? Integer.MIN_VALUE / 2 : 0)));
        }
        final List<Item> byKey = new ArrayList<>(items);
        byKey.sort(Comparator.comparing(i -> StateKeys.family(i.customer(), (byte) 'f', i.ts(), i.child())));
        final List<Item> expected = new ArrayList<>(items);
        expected.sort(Comparator.comparingInt(Item::customer)
                .thenComparing(Comparator.comparingLong(Item::ts).reversed())
                .thenComparing(Comparator.comparingInt(Item::child).reversed()));
        assertEquals(expected, byKey);
        for (final Item i : items) {
            final byte[] key = StateKeys.family(i.customer(), (byte) 'f', i.ts(), i.child()).get();
            final byte[] prefix = StateKeys.familyPrefix(i.customer(), (byte) 'f').get();
            for (int b = 0; b < prefix.length; b++) {
                assertEquals(prefix[b], key[b], "the family prefix starts every key of the family");
            }
            assertTrue(StateKeys.familyPrefix(i.customer(), (byte) 'v').compareTo(Bytes.wrap(key)) > 0,
                    "vehicles of a customer sort after its flights, apart");
        }
    }

    @Test
    void purgeQueueRangeHoldsExactlyTheRemovalsUpToATime() {
        final Bytes start = StateKeys.purgeStart();
        final Bytes upTo = StateKeys.purgeUpTo(1_000);
        for (final long at : new long[] {0, 1, 999, 1_000}) {
            final Bytes key = StateKeys.purge(at, (byte) 'v', Integer.MAX_VALUE);
            assertTrue(key.compareTo(start) >= 0 && key.compareTo(upTo) < 0, "removal at " + at + " is due");
            final StateKeys.Purge purge = StateKeys.Purge.of(key);
            assertEquals(new StateKeys.Purge(at, (byte) 'v', Integer.MAX_VALUE), purge);
        }
        assertTrue(StateKeys.purge(1_001, (byte) 'f', Integer.MIN_VALUE).compareTo(upTo) >= 0, "a later removal waits");
        assertTrue(StateKeys.customer(Integer.MAX_VALUE).compareTo(start) < 0, "customer keys are not in the queue");
        assertTrue(StateKeys.STATS_KEY.compareTo(upTo) > 0, "the stats key is not in the queue");
    }
}
