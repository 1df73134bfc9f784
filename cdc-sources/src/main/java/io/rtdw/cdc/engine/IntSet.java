package io.rtdw.cdc.engine;

/**
 * A set of {@code int}s without boxing: open addressing with linear probing in one {@code int[]}, removal by
 * backward shift (no tombstones, so removed keys free their slot). Every int is a legal member (ids 0 and negative
 * included): the one value that marks an empty slot is kept aside in a flag.
 *
 * <p>Memory: 4 bytes per slot; the table doubles when it is 3/4 full, so 5.3 to 10.7 bytes per member once it holds
 * more than its initial capacity (5 million members: a table of 8 Mi slots, 32 MiB).
 */
public final class IntSet {

    private static final int EMPTY = Integer.MIN_VALUE;

    private int[] slots;
    private int mask;
    private int size;
    private boolean hasEmptyValue;

    /** An empty set with room for {@code expected} members before it grows. */
    public IntSet(final int expected) {
        int capacity = 16;
        while (capacity * 3L / 4 < expected) {
            capacity <<= 1;
        }
        allocate(capacity);
    }

    /** Adds {@code value}; true when it was not there. */
    public boolean add(final int value) {
        if (value == EMPTY) {
            return setEmptyValue(true);
        }
        final int i = find(value);
        if (slots[i] == value) {
            return false;
        }
        slots[i] = value;
        size++;
        if (size > slots.length * 3L / 4) {
            grow();
        }
        return true;
    }

    /** Removes {@code value}; true when it was there. */
    public boolean remove(final int value) {
        if (value == EMPTY) {
            return setEmptyValue(false);
        }
        final int i = find(value);
        if (slots[i] != value) {
            return false;
        }
        // Backward shift: move later members of the probe run into the hole when their home allows it.
        int hole = i;
        int j = (i + 1) & mask;
        while (slots[j] != EMPTY) {
            final int home = slot(slots[j]);
            // slots[j] may fill the hole when its home is not cyclically within (hole, j].
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = slots[j];
                hole = j;
            }
            j = (j + 1) & mask;
        }
        slots[hole] = EMPTY;
        size--;
        return true;
    }

    public boolean contains(final int value) {
        return value == EMPTY ? hasEmptyValue : slots[find(value)] == value;
    }

    /** The slot holding {@code value}, or the empty slot that ends its probe run. */
    private int find(final int value) {
        int i = slot(value);
        while (slots[i] != EMPTY && slots[i] != value) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** The empty marker's membership, kept aside; true when it changed. */
    private boolean setEmptyValue(final boolean member) {
        if (hasEmptyValue == member) {
            return false;
        }
        hasEmptyValue = member;
        size += member ? 1 : -1;
        return true;
    }

    public int size() {
        return size;
    }

    /** Bytes the table holds now (its array), for logs. */
    public long tableBytes() {
        return 4L * slots.length;
    }

    /** What {@link #forEach} calls with each member. @param <E> what it may throw */
    @FunctionalInterface
    public interface Action<E extends Exception> {
        void accept(int value) throws E;
    }

    /** Calls {@code action} for every member, in no particular order; the set must not change meanwhile. */
    public <E extends Exception> void forEach(final Action<E> action) throws E {
        if (hasEmptyValue) {
            action.accept(EMPTY);
        }
        for (final int v : slots) {
            if (v != EMPTY) {
                action.accept(v);
            }
        }
    }

    private int slot(final int value) {
        final int h = value * 0x9E3779B9; // Fibonacci hashing spreads sequential ids over the table
        return (h ^ (h >>> 16)) & mask;
    }

    private void allocate(final int capacity) {
        slots = new int[capacity];
        java.util.Arrays.fill(slots, EMPTY);
        mask = capacity - 1;
    }

    private void grow() {
        final int[] old = slots;
        allocate(old.length << 1);
        for (final int v : old) {
            if (v != EMPTY) {
                int i = slot(v);
                while (slots[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                slots[i] = v;
            }
        }
    }
}
