package io.rtdw.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.streams.StreamsApp;
import io.rtdw.testing.CdcEnvelopes;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.SourceChangeWriter;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.pinot.LocalPinot;
import io.rtdw.testing.pinot.PinotClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.rtdw.testing.TestFiles.freshDir;
import static io.rtdw.testing.TestFiles.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end from the source tables to BI, run the way the local stack runs it: CDC records of customers, flights
 * and vehicles (the test kit's generator, scripted, encoded as the capture writes them, tombstones after deletes)
 * go through the real streams app ({@link StreamsApp} in its own JVM, exactly-once, configured only by environment,
 * on the 3-broker cluster) into the output topic, which a real Pinot 0.11 ingests, started by the
 * {@link LocalPinot} command as its own process (configured only by environment). The BI queries return the
 * answers of the {@link Oracle}'s SQL LEFT join over the final source state (no database here: the rows the
 * generator wrote, {@link Oracle#of(WorkloadGenerator)}). The command is started before the
 * topics exist (it must wait for them, not fail), and SIGTERM must leave no Pinot JVM behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PinotTopologyIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private static final String LIVE = " FROM unified_customer WHERE deleted = false";
    private static final List<String> PROFESSIONS = List.of("engineer", "teacher", "nurse", "pilot");
    private static final List<String> AIRLINES = List.of("LATAM", "GOL", "Azul", "TAP");
    private static final List<String> MAKERS = List.of("Fiat", "VW", "Toyota");

    private static final Path WORK = Path.of("target", "it", "pinot-topology");

    private static final WorkloadGenerator SOURCES = new WorkloadGenerator(new WorkloadGenerator.Options(1, 0, 0, 0,
            0, true));
    private static final CdcEnvelopes CDC = new CdcEnvelopes(1, Instant.parse("2026-11-21T08:00:00Z").toEpochMilli(),
            false);
    private static SourceChangeWriter writer;
    private static ChildJvm streams;
    private static ChildJvm localPinot;
    private static PinotClient pinot;

    @BeforeAll
    static void run() {
        freshDir(WORK);
        final int controllerPort = ChildJvm.freePort();
        final int brokerPort = ChildJvm.freePort();
        localPinot = ChildJvm.java("local-pinot", LocalPinot.class.getName()).heapMb(128)
                .env(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers(),
                        "RTDW_TOPIC_PARTITIONS", "3",
                        "RTDW_REGISTRY_URL", RegistryServer.shared().url(),
                        "RTDW_PINOT_DATA_DIR", WORK.resolve("pinot").toAbsolutePath().toString(),
                        "RTDW_PINOT_CONTROLLER_PORT", String.valueOf(controllerPort),
                        "RTDW_PINOT_BROKER_PORT", String.valueOf(brokerPort),
                        "RTDW_PINOT_ZK_PORT", String.valueOf(ChildJvm.freePort()),
                        "RTDW_PINOT_SERVER_PORT", String.valueOf(ChildJvm.freePort()),
                        "RTDW_PINOT_CLASSPATH_FILE", System.getProperty("rtdw.pinot.classpathFile"),
                        "RTDW_PINOT_PLUGIN_JAR", System.getProperty("rtdw.pinot.pluginJar")))
                .log(WORK.resolve("local-pinot.out")).start();
        pinot = new PinotClient("http://localhost:" + controllerPort, "http://localhost:" + brokerPort);
        // No topic yet: Pinot refuses the table, the command must keep trying rather than exit.
        awaitOutput("table not created yet");
        KAFKA.cluster().createTopics(CATALOG.all());

        writer = new SourceChangeWriter(KAFKA.cluster().bootstrapServers(), CATALOG, RegistryServer.shared().serdes());
        for (int id = 1; id <= 25; id++) {
            customer(id, PROFESSIONS.get(id % PROFESSIONS.size()));
        }
        // customer ids up to 30: flights and vehicles of customers that do not exist yet (orphans)
        for (int id = 1; id <= 40; id++) {
            flight(id, 1 + (id * 7) % 30, AIRLINES.get(id % AIRLINES.size()), "A" + id % 3);
        }
        for (int id = 1; id <= 25; id++) {
            vehicle(id, 1 + (id * 11) % 30, MAKERS.get(id % MAKERS.size()), id % 2 == 0 ? "SUV" : "sedan");
        }
        writer.flush();

        streams = ChildJvm.java("streams", StreamsApp.class.getName()).heapMb(384).jvmArgs("-XX:+UseSerialGC")
                .env(Map.of(
                        "KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers(),
                        "RTDW_APPLICATION_ID", "rtdw-pinot-it",
                        "RTDW_STATE_DIR", WORK.resolve("streams-state").toAbsolutePath().toString(),
                        "RTDW_HTTP_PORT", "-1",
                        "RTDW_NUM_STANDBY_REPLICAS", "0",
                        "RTDW_TOPIC_PARTITIONS", "3",
                        "RTDW_REGISTRY_URL", RegistryServer.shared().url()))
                .log(WORK.resolve("streams.log")).start();
        awaitOutput("Pinot is up");

        // While everything runs: parents of orphans appear, updates, moves, deletes, a re-creation.
        customer(26, "lawyer");
        customer(27, "pilot");
        customer(5, "astronaut");
        delete(SOURCES.deleteCustomer(3));
        flight(2, 1, "TAP", "LIS");
        delete(SOURCES.deleteFlight(4));
        flight(6, 9, "GOL", "GRU");
        vehicle(3, 12, "Honda", "hatch");
        delete(SOURCES.deleteVehicle(5));
        delete(SOURCES.deleteCustomer(8));
        customer(8, "nurse");
        writer.flush();

        awaitConvergence();
    }

    @AfterAll
    static void stop() {
        if (localPinot != null) {
            localPinot.close();
        }
        if (streams != null) {
            streams.close();
        }
        if (writer != null) {
            writer.close();
        }
    }

    private static void customer(final int id, final String profession) {
        send(SOURCES.upsert(new WorkloadGenerator.CustomerRow(id, "customer " + id, "F", null, null,
                "c" + id + "@example.com", null, null, profession,
                LocalDateTime.ofEpochSecond(CDC.clockMs() / 1000, 0, ZoneOffset.UTC))));
    }

    private static void flight(final int id, final int customerId, final String airline, final String airport) {
        send(SOURCES.upsert(new WorkloadGenerator.FlightRow(id, customerId, airport, airline, "X" + id % 10, null)));
    }

    private static void vehicle(final int id, final int customerId, final String maker, final String category) {
        send(SOURCES.upsert(new WorkloadGenerator.VehicleDoc(id, customerId, "2021", "m" + id % 4, maker, 2020,
                category, Instant.ofEpochMilli(CDC.clockMs()))));
    }

    private static SourceChange send(final Change change) {
        final SourceChange record = CDC.encode(change);
        writer.send(record);
        return record;
    }

    /** A delete followed by a tombstone for its key, as Debezium writes with {@code tombstones.on.delete=true}. */
    private static void delete(final Change change) {
        final SourceChange delete = send(change);
        writer.send(new SourceChange(delete.table(), delete.key(), null, delete.timestampMs()));
    }

    /** Waits until the default view equals the oracle (the topology emits intermediate states on the way). */
    private static void awaitConvergence() {
        final Map<Integer, String> expected = new TreeMap<>();
        Oracle.of(SOURCES).expected().forEach((id, c) -> expected.put(id,
                c.getProfession() + "|" + c.getFlightCount() + "|" + c.getVehicleCount()));
        final long deadline = System.nanoTime() + 180_000_000_000L;
        Map<Integer, String> actual = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                actual = new TreeMap<>();
                for (final List<JsonNode> row : pinot.rows("SELECT customer_id, profession, flight_count, vehicle_count"
                        + LIVE + " LIMIT 10000")) {
                    actual.put(row.get(0).asInt(), row.get(1).asText() + "|" + row.get(2).asInt() + "|" + row.get(3).asInt());
                }
                if (expected.equals(actual)) {
                    return;
                }
            } catch (final IllegalStateException e) {
                // consuming segments not created yet
            }
            sleep(500);
        }
        throw new AssertionError("Pinot did not converge to the join of the sources.\nexpected " + expected
                + "\nactual   " + actual + "\nsee " + WORK.resolve("pinot").resolve("pinot.log") + " and "
                + streams.log());
    }

    private static void awaitOutput(final String text) {
        final long deadline = System.nanoTime() + 240_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (localPinot.logText().contains(text)) {
                return;
            }
            if (!localPinot.isAlive()) {
                throw new AssertionError("LocalPinot exited with " + localPinot.exitCode() + ":\n" + localPinot.logText());
            }
            sleep(250);
        }
        throw new AssertionError("LocalPinot never printed '" + text + "'; see " + localPinot.log());
    }

    @Test
    @Order(1)
    void deletedCustomersAreGoneButTheirChildrenStayInTheSource() {
        assertEquals(0, pinot.count("SELECT COUNT(*)" + LIVE + " AND customer_id = 3"));
        assertTrue(SOURCES.flights().values().stream().anyMatch(f -> f.customerId() == 3)
                || SOURCES.vehicles().values().stream().anyMatch(v -> v.customerId() == 3),
                "the scenario deletes a customer that still has children");
        assertEquals(1, pinot.count("SELECT COUNT(*)" + LIVE + " AND customer_id = 8"), "re-created");
        assertEquals("astronaut", pinot.rows("SELECT profession" + LIVE + " AND customer_id = 5").get(0).get(0).asText());
    }

    @Test
    @Order(2)
    void biQueriesEqualTheJoinOfTheSources() {
        final Map<Integer, UnifiedCustomer> joined = Oracle.of(SOURCES).expected();
        assertEquals(joined.values().stream().collect(Collectors.groupingBy(UnifiedCustomer::getProfession,
                        TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT profession, COUNT(*)" + LIVE + " GROUP BY profession LIMIT 1000"));
        assertEquals(joined.values().stream().flatMap(c -> c.getFlights().stream()).collect(
                        Collectors.groupingBy(UnifiedFlight::getAirline, TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT flight_airlines, COUNT(*)" + LIVE + " AND flight_count > 0 GROUP BY flight_airlines LIMIT 1000"));
        assertEquals(joined.values().stream().flatMap(c -> c.getVehicles().stream()).collect(
                        Collectors.groupingBy(UnifiedVehicle::getMaker, TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT vehicle_makers, COUNT(*)" + LIVE + " AND vehicle_count > 0 GROUP BY vehicle_makers LIMIT 1000"));
        final long both = joined.values().stream().filter(c -> !c.getFlights().isEmpty() && !c.getVehicles().isEmpty())
                .count();
        assertTrue(both > 0);
        assertEquals(both, pinot.count("SELECT COUNT(*)" + LIVE + " AND flight_count > 0 AND vehicle_count > 0"));
        final long tapFromLis = joined.values().stream().filter(c -> c.getFlights().stream()
                .anyMatch(f -> f.getAirline().equals("TAP") && f.getAirport().equals("LIS"))).count();
        assertEquals(tapFromLis, pinot.count("SELECT COUNT(*)" + LIVE
                + " AND JSON_MATCH(flights_json, '\"$[*].airline\" = ''TAP'' AND \"$[*].airport\" = ''LIS''')"));
    }

    @Test
    @Order(3)
    void sigtermStopsTheCommandAndLeavesNoPinotJvm() throws Exception {
        final List<ProcessHandle> pinotJvms = localPinot.tree().stream().skip(1).toList();
        assertFalse(pinotJvms.isEmpty(), "Pinot runs in a child JVM of the command");
        localPinot.terminate();
        assertNotNull(localPinot.awaitExit(60), "SIGTERM stops the command");
        for (final ProcessHandle jvm : pinotJvms) {
            jvm.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(jvm.isAlive(), "no Pinot JVM left behind");
        }
    }
}
