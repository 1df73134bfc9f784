package io.rtdw.streams.topology;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChildrenTest {

    private record Item(int id, long ts) {
    }

    @Test
    void upsertKeepsIdOrderAndReplacesTheSameId() {
        List<Item> items = List.of();
        items = Children.upsert(items, new Item(5, 1), Item::id);
        items = Children.upsert(items, new Item(2, 1), Item::id);
        items = Children.upsert(items, new Item(9, 1), Item::id);
        items = Children.upsert(items, new Item(5, 7), Item::id);
        assertEquals(List.of(new Item(2, 1), new Item(5, 7), new Item(9, 1)), items);
        assertEquals(items, Children.upsert(items, new Item(5, 7), Item::id), "applying twice changes nothing");
    }

    @Test
    void removeIsByIdAndIdempotent() {
        final List<Item> items = List.of(new Item(1, 1), new Item(2, 1));
        assertEquals(List.of(new Item(2, 1)), Children.remove(items, 1, Item::id));
        assertEquals(items, Children.remove(items, 3, Item::id));
    }

    @Test
    void capKeepsTheMostRecentlyChangedInIdOrder() {
        final List<Item> items = List.of(new Item(1, 50), new Item(2, 10), new Item(3, 30), new Item(4, 30));
        assertEquals(List.of(new Item(1, 50), new Item(4, 30)), Children.cap(items, 2, Item::id, Item::ts));
        assertEquals(items, Children.cap(items, 4, Item::id, Item::ts));
    }
}
