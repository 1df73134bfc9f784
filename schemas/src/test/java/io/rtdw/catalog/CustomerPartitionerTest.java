package io.rtdw.catalog;

import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.serde.PlainAvroSerde;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void aTombstoneGoesByItsKeyAndOnlyAChangeWithoutItsOldCustomerIsABroadcast() {
        assertArrayEquals(new int[] {CustomerPartitioner.partition(5, 6)},
                CustomerPartitioner.partitions(new CustomerKey(5), 6));
        assertArrayEquals(new int[] {0, 1, 2}, CustomerPartitioner.partitions(new FlightKey(5), 3));
        assertArrayEquals(new int[] {0, 1, 2}, CustomerPartitioner.partitions(new VehicleKey(5), 3));
        assertTrue(CustomerPartitioner.broadcast(new VehicleKey(5)));
        assertTrue(CustomerPartitioner.broadcast(flight(Op.UPDATE, null, 1)));
        assertTrue(CustomerPartitioner.broadcast(flight(Op.DELETE, null, null)));
        assertFalse(CustomerPartitioner.broadcast(flight(Op.CREATE, null, 1)));
        assertFalse(CustomerPartitioner.broadcast(flight(Op.READ, null, 1)));
        assertFalse(CustomerPartitioner.broadcast(flight(Op.UPDATE, 1, 2)));
        assertFalse(CustomerPartitioner.broadcast(flight(Op.DELETE, 1, null)));
        assertFalse(CustomerPartitioner.broadcast(new CustomerKey(1)));
    }

    @Test
    void theRouterWritesTheSameRecordToEachPartitionWithItsCountReadOnce() {
        final int[] asked = {0};
        final ChangeRouter router = new ChangeRouter(topic -> {
            asked[0]++;
            return 6;
        });
        int b = 2;
        while (CustomerPartitioner.partition(b, 6) == CustomerPartitioner.partition(1, 6)) {
            b++;
        }
        final FlightChange moved = flight(Op.UPDATE, 1, b);
        final List<ProducerRecord<String, String>> records = router.records("f", moved, 77L, "k", "v");
        assertEquals(2, records.size());
        for (final ProducerRecord<String, String> r : records) {
            assertEquals("f", r.topic());
            assertEquals("k", r.key());
            assertEquals("v", r.value());
            assertEquals(77L, r.timestamp());
        }
        assertEquals(List.of(CustomerPartitioner.partition(1, 6), CustomerPartitioner.partition(b, 6)).stream()
                .sorted().toList(), records.stream().map(ProducerRecord::partition).toList());
        assertEquals(6, router.records("f", flight(Op.DELETE, null, null), null, "k", null).size());
        assertEquals(1, asked[0]);
        assertThrows(IllegalStateException.class, () -> new ChangeRouter(t -> 0).partitionCount("missing"));
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
