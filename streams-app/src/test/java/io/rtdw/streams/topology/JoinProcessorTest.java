package io.rtdw.streams.topology;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the join keeps in its store and what it writes when a change comes again: at-least-once replays rewrite
 * (never lose), exactly-once replays write nothing, removed children are purged after the retention, orphans are
 * counted as they come and go.
 */
class JoinProcessorTest {

    private static final Duration RETENTION = Duration.ofHours(1);

    private static PipelineDriver driver(final boolean atLeastOnce) {
        return new PipelineDriver(TopicCatalog.DEFAULT,
                new UnifiedCustomerTopology.Options(1, 100, atLeastOnce, RETENTION, true));
    }

    private static void pipe(final PipelineDriver driver, final String... lines) {
        ChangeLines.parse(new BufferedReader(new StringReader(String.join("\n", lines)))).forEach(driver::pipe);
    }

    private static final String CUSTOMER_1 = "{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"nome\":\"Ana\"},\"ts\":1000,\"seq\":10}";
    private static final String CUSTOMER_2 = "{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":2,\"after\":{\"nome\":\"Bia\"},\"ts\":1001,\"seq\":11}";
    private static final String FLIGHT_AT_1 = "{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":10,\"after\":{\"customer_id\":1,\"linha_aerea\":\"GOL\"},\"ts\":1002,\"seq\":12}";
    private static final String FLIGHT_UPDATE = "{\"table\":\"flight\",\"op\":\"UPDATE\",\"id\":10,\"after\":{\"customer_id\":1,\"linha_aerea\":\"TAP\"},\"ts\":1003,\"seq\":13}";
    private static final String FLIGHT_MOVES = "{\"table\":\"flight\",\"op\":\"UPDATE\",\"id\":10,\"before\":{\"customer_id\":1,\"linha_aerea\":\"TAP\"},\"after\":{\"customer_id\":2,\"linha_aerea\":\"TAP\"},\"ts\":1004,\"seq\":14}";
    private static final String CUSTOMER_1_DELETED = "{\"table\":\"customers\",\"op\":\"DELETE\",\"id\":1,\"ts\":1005,\"seq\":15}";

    /** A crash after the state reached Kafka but before the output did: the replayed change writes it again. */
    @Test
    void atLeastOnceRewritesWhatAReplayedChangeTouched() {
        try (PipelineDriver driver = driver(true)) {
            pipe(driver, CUSTOMER_1, CUSTOMER_2, FLIGHT_AT_1);
            driver.readOutput();

            pipe(driver, FLIGHT_UPDATE);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> lost = driver.readOutput();
            assertEquals(1, lost.size(), "the update wrote customer 1");
            pipe(driver, FLIGHT_UPDATE);
            assertEquals(lost, driver.readOutput(), "the replay writes the same record again, same version");

            pipe(driver, FLIGHT_MOVES);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> move = driver.readOutput();
            assertEquals(2, move.size(), "the move wrote both customers");
            pipe(driver, FLIGHT_MOVES);
            assertEquals(move, driver.readOutput(), "the replayed move writes both again");

            pipe(driver, CUSTOMER_1_DELETED);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> delete = driver.readOutput();
            assertTrue(delete.get(0).value.getDeleted() && delete.get(1).value == null, "marker then tombstone");
            pipe(driver, CUSTOMER_1_DELETED);
            assertEquals(delete, driver.readOutput(), "the replayed delete writes marker and tombstone again");
            assertEquals(3, driver.metrics().replaysDropped(), "each replay is still counted as dropped");
        }
    }

    @Test
    void exactlyOnceReplaysWriteNothing() {
        try (PipelineDriver driver = driver(false)) {
            pipe(driver, CUSTOMER_1, CUSTOMER_2, FLIGHT_AT_1, FLIGHT_MOVES, CUSTOMER_1_DELETED);
            assertEquals(7, driver.readOutput().size(), "1, 2, flight at 1, the move (1 and 2), marker, tombstone");
            pipe(driver, CUSTOMER_1, FLIGHT_AT_1, FLIGHT_MOVES, CUSTOMER_1_DELETED);
            assertEquals(List.of(), driver.readOutput());
        }
    }

    @Test
    void aRemovedChildIsKeptAgainstReplaysThenPurged() {
        try (PipelineDriver driver = driver(false)) {
            pipe(driver, CUSTOMER_1, FLIGHT_AT_1,
                    "{\"table\":\"flight\",\"op\":\"DELETE\",\"id\":10,\"ts\":1003,\"seq\":13}");
            final KeyValueStore<Bytes, byte[]> store = driver.driver().getKeyValueStore(UnifiedCustomerTopology.STATE);
            final Bytes child = StateKeys.child(ChildTable.FLIGHTS.tag(), 10);
            assertNotNull(store.get(child), "the deleted flight's position is kept");
            pipe(driver, FLIGHT_AT_1);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> out = driver.readOutput();
            assertEquals(List.of(), out.get(out.size() - 1).value.getFlights(), "a replayed create does not bring it back");

            driver.driver().advanceWallClockTime(RETENTION.minusMinutes(2));
            assertNotNull(store.get(child), "kept within the retention");
            driver.driver().advanceWallClockTime(Duration.ofMinutes(4));
            assertNull(store.get(child), "purged after the retention");
            try (var queue = store.range(StateKeys.purgeStart(), StateKeys.purgeUpTo(Long.MAX_VALUE - 1))) {
                assertTrue(!queue.hasNext(), "the purge queue is empty");
            }
            assertTrue(driver.metrics().scrape().contains("rtdw_streams_removed_children_purged_total 1.0"),
                    driver.metrics().scrape());
        }
    }

    /**
     * The test driver reads every topic's partition 0: with two partitions configured, a change whose customer
     * belongs to partition 1 was written by a producer that does not route by customer, and would be joined with the
     * wrong task's state. It is a dead letter; a move from a customer of this partition to one of the other is not.
     */
    @Test
    void aChangeReadFromAPartitionItsCustomerDoesNotBelongToIsADeadLetter() {
        int here = 1;
        while (io.rtdw.catalog.CustomerPartitioner.partition(here, 2) != 0) {
            here++;
        }
        int there = 1;
        while (io.rtdw.catalog.CustomerPartitioner.partition(there, 2) != 1) {
            there++;
        }
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT,
                new UnifiedCustomerTopology.Options(2, 100, false, RETENTION, true))) {
            pipe(driver,
                    "{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":" + here + ",\"after\":{\"nome\":\"Ana\"},\"ts\":1000,\"seq\":10}",
                    "{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":" + there + ",\"after\":{\"nome\":\"Bia\"},\"ts\":1001,\"seq\":11}",
                    "{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":10,\"after\":{\"customer_id\":" + here + "},\"ts\":1002,\"seq\":12}",
                    "{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":11,\"after\":{\"customer_id\":" + there + "},\"ts\":1003,\"seq\":13}",
                    "{\"table\":\"flight\",\"op\":\"UPDATE\",\"id\":10,\"before\":{\"customer_id\":" + here
                            + "},\"after\":{\"customer_id\":" + there + "},\"ts\":1004,\"seq\":14}");
            final List<String> reasons = driver.readDeadLetters().stream().map(d -> d.getReason()).toList();
            assertEquals(2, reasons.size(), reasons.toString());
            assertTrue(reasons.stream().allMatch(r -> r.startsWith("misrouted: read from partition 0")), reasons.toString());
            final List<KeyValue<CustomerKey, UnifiedCustomer>> out = driver.readOutput();
            final int customerHere = here;
            assertTrue(out.stream().allMatch(kv -> kv.key.getId() == customerHere), "only this partition's customer");
            final UnifiedCustomer last = out.get(out.size() - 1).value;
            assertEquals(0, last.getFlightCount(), "the flight moved to the other partition's customer left this one");
        }
    }

    @Test
    void orphansAreCountedAsTheyComeAndGo() {
        try (PipelineDriver driver = driver(false)) {
            pipe(driver, FLIGHT_AT_1, "{\"table\":\"vehicle\",\"op\":\"CREATE\",\"id\":7,\"after\":{\"customer_id\":1},\"ts\":1002,\"seq\":5}");
            assertEquals(1, driver.metrics().orphanCustomers(), "customer 1 has children, no row");
            pipe(driver, CUSTOMER_1);
            assertEquals(0, driver.metrics().orphanCustomers());
            final UnifiedCustomer first = driver.readOutput().get(0).value;
            assertEquals(List.of(10), first.getFlights().stream().map(f -> f.getFlightId()).toList(),
                    "the orphan appears with its customer");
            pipe(driver, CUSTOMER_1_DELETED);
            assertEquals(1, driver.metrics().orphanCustomers(), "deleted customer, children remain");
            pipe(driver, "{\"table\":\"flight\",\"op\":\"DELETE\",\"id\":10,\"ts\":1006,\"seq\":16}",
                    "{\"table\":\"vehicle\",\"op\":\"DELETE\",\"id\":7,\"ts\":1007,\"seq\":6}");
            assertEquals(0, driver.metrics().orphanCustomers());
        }
    }
}
