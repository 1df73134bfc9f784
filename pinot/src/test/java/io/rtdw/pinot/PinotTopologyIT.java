package io.rtdw.pinot;

import static io.rtdw.testing.TestFiles.freshDir;
import static io.rtdw.testing.TestFiles.sleep;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.Vehicle;
import io.rtdw.testing.KafkaClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end from the source tables to BI, run the way the local stack runs it: CDC-shaped changes of customers,
 * flights and vehicles go through the streams app's real topology (exactly-once, on the 3-broker cluster) into
 * the output topic, which a real Pinot 0.11 ingests, started by the {@code LocalPinot} command as its own process
 * (configured only by environment). The BI queries return the answers of the SQL LEFT join over the final source
 * state. The command is started before the topics exist (it must wait for them, not fail), and SIGTERM must leave
 * no Pinot JVM behind.
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

    private static SourceChanges source;
    private static RealTopology topology;
    private static Process localPinot;
    private static PinotClient pinot;

    @BeforeAll
    static void run() throws Exception {
        if (!RealTopology.available()) {
            LoggerFactory.getLogger(PinotTopologyIT.class).warn("SKIPPED: the streams-app classes are not on the "
                    + "class path; install streams-app or add -Dmaven.test.additionalClasspath=<streams-app/target/classes>");
        }
        Assumptions.assumeTrue(RealTopology.available(), "the streams-app jar in the local repository has no "
                + "topology yet: run `mvn -pl streams-app install` (a full reactor build always has it)");
        freshDir(WORK);
        final int controllerPort = freePort();
        final int brokerPort = freePort();
        final ProcessBuilder command = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), LocalPinot.class.getName())
                .redirectErrorStream(true).redirectOutput(WORK.resolve("local-pinot.out").toFile());
        command.environment().putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers(),
                "RTDW_TOPIC_PARTITIONS", "3",
                "RTDW_PINOT_DATA_DIR", WORK.resolve("pinot").toAbsolutePath().toString(),
                "RTDW_PINOT_CONTROLLER_PORT", String.valueOf(controllerPort),
                "RTDW_PINOT_BROKER_PORT", String.valueOf(brokerPort),
                "RTDW_PINOT_ZK_PORT", String.valueOf(freePort()),
                "RTDW_PINOT_SERVER_PORT", String.valueOf(freePort()),
                "RTDW_PINOT_CLASSPATH_FILE", System.getProperty("rtdw.pinot.classpathFile"),
                "RTDW_PINOT_PLUGIN_JAR", System.getProperty("rtdw.pinot.pluginJar")));
        localPinot = command.start();
        pinot = new PinotClient("http://localhost:" + controllerPort, "http://localhost:" + brokerPort);
        // No topic yet: Pinot refuses the table, the command must keep trying rather than exit.
        awaitOutput("table not created yet");
        KAFKA.cluster().createTopics(CATALOG.all());

        source = new SourceChanges(KAFKA.cluster().bootstrapServers(), CATALOG);
        for (int id = 1; id <= 25; id++) {
            source.customer(id, PROFESSIONS.get(id % PROFESSIONS.size()));
        }
        // customer ids up to 30: flights and vehicles of customers that do not exist yet (orphans)
        for (int id = 1; id <= 40; id++) {
            source.flight(id, 1 + (id * 7) % 30, AIRLINES.get(id % AIRLINES.size()), "A" + id % 3);
        }
        for (int id = 1; id <= 25; id++) {
            source.vehicle(id, 1 + (id * 11) % 30, MAKERS.get(id % MAKERS.size()), id % 2 == 0 ? "SUV" : "sedan");
        }

        final Map<String, String> env = Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", KAFKA.cluster().bootstrapServers(),
                "RTDW_APPLICATION_ID", "rtdw-pinot-it",
                "RTDW_STATE_DIR", WORK.resolve("streams-state").toAbsolutePath().toString(),
                "RTDW_HTTP_PORT", "-1",
                "RTDW_NUM_STANDBY_REPLICAS", "0",
                "RTDW_TOPIC_PARTITIONS", "3");
        topology = RealTopology.start(CATALOG, env);
        awaitOutput("Pinot is up");

        // While everything runs: parents of orphans appear, updates, moves, deletes, a re-creation.
        source.customer(26, "lawyer");
        source.customer(27, "pilot");
        source.customer(5, "astronaut");
        source.deleteCustomer(3);
        source.flight(2, 1, "TAP", "LIS");
        source.deleteFlight(4);
        source.flight(6, 9, "GOL", "GRU");
        source.vehicle(3, 12, "Honda", "hatch");
        source.deleteVehicle(5);
        source.deleteCustomer(8);
        source.customer(8, "nurse");

        awaitConvergence();
    }

    @AfterAll
    static void stop() {
        if (localPinot != null) {
            localPinot.descendants().forEach(ProcessHandle::destroyForcibly);
            localPinot.destroyForcibly();
        }
        if (topology != null) {
            topology.close();
        }
        if (source != null) {
            source.close();
        }
    }

    /** Waits until the default view equals the oracle (the topology emits intermediate states on the way). */
    private static void awaitConvergence() {
        final Map<Integer, String> expected = new TreeMap<>();
        source.joined().forEach((id, j) -> expected.put(id,
                j.customer().getProfissao() + "|" + j.flights().size() + "|" + j.vehicles().size()));
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
                + "\nactual   " + actual + "\nsee " + WORK.resolve("pinot").resolve("pinot.log"));
    }

    private static void awaitOutput(final String text) throws IOException, InterruptedException {
        final Path out = WORK.resolve("local-pinot.out");
        final long deadline = System.nanoTime() + 240_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readString(out).contains(text)) {
                return;
            }
            if (!localPinot.isAlive()) {
                throw new AssertionError("LocalPinot exited with " + localPinot.exitValue() + ":\n" + Files.readString(out));
            }
            Thread.sleep(250);
        }
        throw new AssertionError("LocalPinot never printed '" + text + "'; see " + out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    @Order(1)
    void deletedCustomersAreGoneButTheirChildrenStayInTheSource() {
        assertEquals(0, pinot.count("SELECT COUNT(*)" + LIVE + " AND customer_id = 3"));
        assertTrue(source.flights.values().stream().anyMatch(f -> f.getCustomerId() == 3)
                || source.vehicles.values().stream().anyMatch(v -> v.getCustomerId() == 3),
                "the scenario deletes a customer that still has children");
        assertEquals(1, pinot.count("SELECT COUNT(*)" + LIVE + " AND customer_id = 8"), "re-created");
        assertEquals("astronaut", pinot.rows("SELECT profession" + LIVE + " AND customer_id = 5").get(0).get(0).asText());
    }

    @Test
    @Order(2)
    void biQueriesEqualTheJoinOfTheSources() {
        final Map<Integer, SourceChanges.Joined> joined = source.joined();
        assertEquals(joined.values().stream().collect(Collectors.groupingBy(j -> j.customer().getProfissao(),
                        TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT profession, COUNT(*)" + LIVE + " GROUP BY profession LIMIT 1000"));
        assertEquals(joined.values().stream().flatMap(j -> j.flights().stream()).collect(
                        Collectors.groupingBy(Flight::getLinhaAerea, TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT flight_airlines, COUNT(*)" + LIVE + " AND flight_count > 0 GROUP BY flight_airlines LIMIT 1000"));
        assertEquals(joined.values().stream().flatMap(j -> j.vehicles().stream()).collect(
                        Collectors.groupingBy(Vehicle::getFabricante, TreeMap::new, Collectors.counting())),
                pinot.groupCounts("SELECT vehicle_makers, COUNT(*)" + LIVE + " AND vehicle_count > 0 GROUP BY vehicle_makers LIMIT 1000"));
        final long both = joined.values().stream().filter(j -> !j.flights().isEmpty() && !j.vehicles().isEmpty()).count();
        assertTrue(both > 0);
        assertEquals(both, pinot.count("SELECT COUNT(*)" + LIVE + " AND flight_count > 0 AND vehicle_count > 0"));
        final long tapFromLis = joined.values().stream().filter(j -> j.flights().stream()
                .anyMatch(f -> f.getLinhaAerea().equals("TAP") && f.getAeroporto().equals("LIS"))).count();
        assertEquals(tapFromLis, pinot.count("SELECT COUNT(*)" + LIVE
                + " AND JSON_MATCH(flights_json, '\"$[*].airline\" = ''TAP'' AND \"$[*].airport\" = ''LIS''')"));
    }

    @Test
    @Order(3)
    void sigtermStopsTheCommandAndLeavesNoPinotJvm() throws Exception {
        final List<ProcessHandle> pinotJvms = localPinot.descendants().toList();
        assertFalse(pinotJvms.isEmpty(), "Pinot runs in a child JVM of the command");
        localPinot.destroy();
        assertTrue(localPinot.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the command");
        for (final ProcessHandle jvm : pinotJvms) {
            jvm.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(jvm.isAlive(), "no Pinot JVM left behind");
        }
    }
}
