package io.rtdw.catalog;

import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.PlainAvroSerde;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CustomerPartitionerTest {

    private final PlainAvroSerde<CustomerKey> keys = new PlainAvroSerde<>(CustomerKey.class);

    /** The rule is Kafka's default partitioner over the real key serde: the output topic and Kafka Connect agree. */
    @Test
    void sameAsKafkasDefaultPartitionerOverTheCustomerKey() {
        final Random random = new Random(7);
        final int[] ids = new int[2000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i < 1000 ? i - 500 : random.nextInt();
        }
        ids[0] = Integer.MIN_VALUE;
        ids[1] = Integer.MAX_VALUE;
        for (final int id : ids) {
            final byte[] serialized = keys.serialize("t", new CustomerKey(id));
            assertArrayEquals(serialized, CustomerPartitioner.customerKeyBytes(id), "bytes of id " + id);
            for (final int n : new int[] {1, 3, 6, 12}) {
                assertEquals(Utils.toPositive(Utils.murmur2(serialized)) % n, CustomerPartitioner.partition(id, n));
            }
        }
    }

    @Test
    void aMovedChildGoesToBothCustomersAndAChangeWithoutItsOldCustomerToAll() {
        final int n = 6;
        int a = 1;
        int b = 2;
        while (CustomerPartitioner.partition(b, n) == CustomerPartitioner.partition(a, n)) {
            b++;
        }
        final int pa = CustomerPartitioner.partition(a, n);
        final int pb = CustomerPartitioner.partition(b, n);
        assertArrayEquals(new int[] {pa}, CustomerPartitioner.partitions(flight(Op.CREATE, null, a), n));
        assertArrayEquals(new int[] {Math.min(pa, pb), Math.max(pa, pb)},
                CustomerPartitioner.partitions(flight(Op.UPDATE, a, b), n));
        assertArrayEquals(new int[] {pa}, CustomerPartitioner.partitions(flight(Op.UPDATE, a, a), n));
        assertArrayEquals(new int[] {pb}, CustomerPartitioner.partitions(flight(Op.DELETE, b, null), n));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, CustomerPartitioner.partitions(flight(Op.UPDATE, null, a), n));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, CustomerPartitioner.partitions(flight(Op.DELETE, null, null), n));
    }

    private static FlightChange flight(final Op op, final Integer before, final Integer after) {
        return FlightChange.newBuilder().setOp(op)
                .setBefore(before == null ? null : Flight.newBuilder().setId(9).setCustomerId(before).build())
                .setAfter(after == null ? null : Flight.newBuilder().setId(9).setCustomerId(after).build())
                .setSource(SourceInfo.newBuilder().setConnector("postgresql").setDb("d").setTable("flight")
                        .setCommitTsMs(1).setPosition("0/1").setSnapshot(false).setSequence(1).build())
                .build();
    }
}
