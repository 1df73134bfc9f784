package io.rtdw.catalog;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.apache.kafka.common.utils.Utils;

import java.util.Arrays;

/**
 * Where every change goes: the partition of its customer, on all three CDC topics.
 *
 * <p>A customer change goes where Kafka's default partitioner puts its key ({@code murmur2} of the plain-Avro
 * {@code CustomerKey}, positive, modulo the partition count). A flight or vehicle change goes to the partition its
 * customer's change would go to, so the streams app finds a customer and all its children in one task and joins
 * them in the transaction that reads the change, with no repartition topic. A child that moves to another customer
 * (an UPDATE of {@code customer_id}) is written to both customers' partitions: the old one removes it, the new one
 * adds it; a DELETE goes to the partition of the customer in its before image. When the before image does not say
 * the customer (a source without {@code REPLICA IDENTITY FULL} or MongoDB pre-images) the change goes to every
 * partition, which is correct and costs one record per partition.
 *
 * <p>Anyone writing these topics (the embedded capture, Kafka Connect with a custom partitioner, a test) must use
 * this rule; the streams app refuses topics whose partition counts differ.
 */
public final class CustomerPartitioner {

    private CustomerPartitioner() {
    }

    /** The partition of customer {@code customerId} among {@code partitions}. */
    public static int partition(final int customerId, final int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
        }
        return Utils.toPositive(Utils.murmur2(customerKeyBytes(customerId))) % partitions;
    }

    /**
     * The bytes of {@code CustomerKey{id}} in plain Avro: the id as a zig-zag varint (what {@code PlainAvroSerde}
     * writes; {@code CustomerPartitionerTest} checks they agree).
     */
    static byte[] customerKeyBytes(final int id) {
        final byte[] out = new byte[5];
        int n = (id << 1) ^ (id >> 31);
        int i = 0;
        while ((n & ~0x7F) != 0) {
            out[i++] = (byte) ((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        out[i++] = (byte) n;
        return Arrays.copyOf(out, i);
    }

    /**
     * The partitions {@code change} (a change record of one of the three CDC topics) must be written to, in
     * ascending order, without duplicates. A Kafka tombstone (no value) is routed by its key instead: a {@code
     * CustomerKey} to its customer's partition, a {@code FlightKey} or {@code VehicleKey} to every partition (it
     * names no customer, and compaction must drop the key wherever it was written).
     */
    public static int[] partitions(final Object change, final int partitions) {
        if (change instanceof CustomerKey k) {
            return new int[] {partition(k.getId(), partitions)};
        }
        if (change instanceof FlightKey || change instanceof VehicleKey) {
            return all(partitions);
        }
        if (change instanceof CustomerChange c) {
            final int id = c.getAfter() != null ? c.getAfter().getId()
                    : c.getBefore() != null ? c.getBefore().getId() : -1;
            if (c.getAfter() == null && c.getBefore() == null) {
                throw new IllegalArgumentException("a customer change needs a before or an after image");
            }
            return new int[] {partition(id, partitions)};
        }
        if (change instanceof FlightChange f) {
            return children(f.getOp(), customerOf(f.getBefore()), customerOf(f.getAfter()), partitions);
        }
        if (change instanceof VehicleChange v) {
            return children(v.getOp(), customerOf(v.getBefore()), customerOf(v.getAfter()), partitions);
        }
        throw new IllegalArgumentException("not a change of the CDC topics: "
                + (change == null ? "null" : change.getClass().getName()));
    }

    /**
     * Whether the rule sends {@code change} (a change record, or the key of a tombstone) to every partition because
     * it does not name the customer the child was under: an UPDATE or DELETE of a flight or vehicle without a before
     * image that carries {@code customer_id}, or a child's tombstone. Independent of the partition count.
     */
    public static boolean broadcast(final Object change) {
        if (change instanceof FlightKey || change instanceof VehicleKey) {
            return true;
        }
        if (change instanceof FlightChange f) {
            return !created(f.getOp()) && customerOf(f.getBefore()) == null;
        }
        if (change instanceof VehicleChange v) {
            return !created(v.getOp()) && customerOf(v.getBefore()) == null;
        }
        return false;
    }

    private static boolean created(final Op op) {
        return op == Op.CREATE || op == Op.READ;
    }

    private static Integer customerOf(final Flight row) {
        return row == null ? null : row.getCustomerId();
    }

    private static Integer customerOf(final Vehicle row) {
        return row == null ? null : row.getCustomerId();
    }

    private static int[] children(final Op op, final Integer before, final Integer after, final int partitions) {
        if (before == null && !created(op)) {
            return all(partitions);
        }
        final int newOwner = after == null ? -1 : partition(after, partitions);
        final int oldOwner = before == null ? -1 : partition(before, partitions);
        if (newOwner < 0 && oldOwner < 0) {
            return all(partitions);
        }
        if (newOwner < 0 || oldOwner < 0 || newOwner == oldOwner) {
            return new int[] {Math.max(newOwner, oldOwner)};
        }
        return newOwner < oldOwner ? new int[] {newOwner, oldOwner} : new int[] {oldOwner, newOwner};
    }

    private static int[] all(final int partitions) {
        final int[] out = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            out[p] = p;
        }
        return out;
    }
}
