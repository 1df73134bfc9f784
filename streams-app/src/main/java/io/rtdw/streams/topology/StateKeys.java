package io.rtdw.streams.topology;

import org.apache.kafka.common.utils.Bytes;

import java.nio.ByteBuffer;

/**
 * The key layout of the join's one state store. Part of the upgrade contract: a release may add key kinds, never
 * change these. Every key starts with its kind; ints and longs are big-endian with the sign bit flipped, so byte
 * order is numeric order and one customer's family is one contiguous range.
 * <pre>
 *   'c' customer                                   -> CustomerState
 *   'k' table child                                -> ChildState      (table: 'f' flight, 'v' vehicle)
 *   'm' customer table ~commit_ts ~child           -> UnifiedFlight / UnifiedVehicle, newest change first
 *   'p' removed_at table child                     -> empty           (purge queue of removed children)
 *   's'                                            -> TaskStats
 * </pre>
 */
final class StateKeys {

    static final byte CUSTOMER = 'c';
    static final byte CHILD = 'k';
    static final byte FAMILY = 'm';
    static final byte PURGE = 'p';
    static final byte STATS = 's';

    static final Bytes STATS_KEY = Bytes.wrap(new byte[] {STATS});

    private StateKeys() {
    }

    static Bytes customer(final int id) {
        return Bytes.wrap(ByteBuffer.allocate(5).put(CUSTOMER).putInt(sortable(id)).array());
    }

    static Bytes child(final byte table, final int id) {
        return Bytes.wrap(ByteBuffer.allocate(6).put(CHILD).put(table).putInt(sortable(id)).array());
    }

    /** A child's item in its customer's family: newest source commit first, on a tie the higher id first. */
    static Bytes family(final int customer, final byte table, final long commitTsMs, final int child) {
        return Bytes.wrap(ByteBuffer.allocate(18).put(FAMILY).putInt(sortable(customer)).put(table)
                .putLong(~sortable(commitTsMs)).putInt(~sortable(child)).array());
    }

    /** The prefix of every item of one customer's family of one table. */
    static Bytes familyPrefix(final int customer, final byte table) {
        return Bytes.wrap(ByteBuffer.allocate(6).put(FAMILY).putInt(sortable(customer)).put(table).array());
    }

    static Bytes purge(final long removedAtMs, final byte table, final int child) {
        return Bytes.wrap(ByteBuffer.allocate(14).put(PURGE).putLong(sortable(removedAtMs)).put(table)
                .putInt(sortable(child)).array());
    }

    /** The first purge key after every removal at or before {@code removedAtMs}. */
    static Bytes purgeUpTo(final long removedAtMs) {
        return Bytes.wrap(ByteBuffer.allocate(9).put(PURGE).putLong(sortable(removedAtMs + 1)).array());
    }

    static Bytes purgeStart() {
        return Bytes.wrap(new byte[] {PURGE});
    }

    /** The removal a purge key names. */
    record Purge(long removedAtMs, byte table, int child) {
        static Purge of(final Bytes key) {
            final ByteBuffer b = ByteBuffer.wrap(key.get());
            b.get();
            return new Purge(b.getLong() ^ Long.MIN_VALUE, b.get(), b.getInt() ^ Integer.MIN_VALUE);
        }
    }

    private static int sortable(final int v) {
        return v ^ Integer.MIN_VALUE;
    }

    private static long sortable(final long v) {
        return v ^ Long.MIN_VALUE;
    }
}
