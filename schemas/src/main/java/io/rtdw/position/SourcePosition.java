package io.rtdw.position;

import io.rtdw.schemas.SourceInfo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Where a change stands in its source's commit order: {@code (epoch, commit, order)}. The rule, also written in
 * {@code SourceInfo.avsc} and cdc-sources/README:
 * <ul>
 *   <li>within one epoch, positions compare by {@code commit} (the transaction's commit position: PostgreSQL end LSN
 *       of the commit record, MongoDB cluster time), then by {@code order} as text (the change's place in its
 *       commit: a zero-padded LSN, a MongoDB resume token);</li>
 *   <li>a snapshot row carries the snapshot's point as {@code commit} and an empty {@code order}: it loses to every
 *       change committed after the snapshot and wins over every change committed before it;</li>
 *   <li>positions of different epochs do not compare: a change of another epoch than the one applied to its row
 *       starts that row's new history and applies ({@link Verdict#NEW_EPOCH}).</li>
 * </ul>
 * Changes written before this format (no {@code commit_sequence}) get the empty epoch and their {@code sequence}.
 *
 * @param epoch  which history of the source; empty for changes written before the format existed
 * @param commit commit position within the epoch
 * @param order  order within the commit, compared as text; empty for snapshot rows
 */
public record SourcePosition(String epoch, long commit, String order) {

    /** What to do with a change, given the position last applied to its row. */
    public enum Verdict {
        /** Nothing applied to the row yet. */
        FIRST,
        /** Later in the same epoch: apply. */
        NEWER,
        /** Not later than what was applied (a replay, or an older change arriving late): drop. */
        NOT_NEWER,
        /** Another epoch than the applied one (the source was restored, failed over, or re-snapshotted): apply. */
        NEW_EPOCH
    }

    private static final byte FORMAT = 2;

    public SourcePosition {
        Objects.requireNonNull(epoch, "epoch");
        Objects.requireNonNull(order, "order");
    }

    /** The position a change carries. */
    public static SourcePosition of(final SourceInfo source) {
        if (source.getCommitSequence() < 0) {
            return new SourcePosition("", source.getSequence(), "");
        }
        return new SourcePosition(source.getEpoch(), source.getCommitSequence(), source.getChangeOrder());
    }

    /** An LSN (or any unsigned 64-bit position) as 16 upper-case hex digits, so text order is numeric order. */
    public static String orderOf(final long lsn) {
        return String.format("%016X", lsn);
    }

    /** Whether a change at this position applies to a row whose last applied change was at {@code applied}. */
    public Verdict against(final SourcePosition applied) {
        if (applied == null) {
            return Verdict.FIRST;
        }
        if (!epoch.equals(applied.epoch)) {
            return Verdict.NEW_EPOCH;
        }
        return compareWithinEpoch(applied) > 0 ? Verdict.NEWER : Verdict.NOT_NEWER;
    }

    /** Order of two positions of the same epoch. */
    public int compareWithinEpoch(final SourcePosition other) {
        if (!epoch.equals(other.epoch)) {
            throw new IllegalArgumentException("positions of different epochs do not compare: " + this + " vs " + other);
        }
        final int byCommit = Long.compareUnsigned(commit, other.commit);
        return byCommit != 0 ? byCommit : order.compareTo(other.order);
    }

    /**
     * Compact bytes for state stores: a format byte, the commit position, then epoch and order as length-prefixed
     * UTF-8. {@link #fromBytes} also reads the 8-byte values (a bare {@code sequence}) stores held before.
     */
    public byte[] toBytes() {
        final byte[] e = epoch.getBytes(StandardCharsets.UTF_8);
        final byte[] o = order.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 8 + 4 + e.length + 4 + o.length)
                .put(FORMAT).putLong(commit).putInt(e.length).put(e).putInt(o.length).put(o).array();
    }

    /** Reads {@link #toBytes()}, or a legacy 8-byte sequence; null for null. */
    public static SourcePosition fromBytes(final byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        final ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length == Long.BYTES) {
            return new SourcePosition("", in.getLong(), "");
        }
        final byte format = in.get();
        if (format != FORMAT) {
            throw new IllegalArgumentException("unknown source position format " + format + " (" + bytes.length
                    + " bytes)");
        }
        final long commit = in.getLong();
        final byte[] e = new byte[in.getInt()];
        in.get(e);
        final byte[] o = new byte[in.getInt()];
        in.get(o);
        return new SourcePosition(new String(e, StandardCharsets.UTF_8), commit, new String(o, StandardCharsets.UTF_8));
    }

    /** {@code epoch@commit/order}, for logs and dead letters. */
    @Override
    public String toString() {
        return (epoch.isEmpty() ? "(no epoch)" : epoch) + "@" + commit + (order.isEmpty() ? "" : "/" + order);
    }
}
