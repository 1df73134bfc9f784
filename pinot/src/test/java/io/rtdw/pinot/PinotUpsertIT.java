package io.rtdw.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.UnifiedCustomerScenario;
import io.rtdw.testing.pinot.PinotLauncher;
import io.rtdw.testing.pinot.PinotTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Pinot 0.11 ingests the registry-framed Avro output topic from the real 3-broker cluster through our
 * decoder, with upsert on {@code customer_id} and {@code read_committed}; the BI queries of the README return the
 * answers computed directly from the committed records.
 */
class PinotUpsertIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    /** 3 partitions: upsert must hold per partition, and keys spread over all of them. */
    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = CATALOG.unifiedCustomers();
    private static final String LIVE = " FROM unified_customer WHERE deleted = false";

    private static UnifiedCustomerScenario scenario;
    private static PinotLauncher pinot;

    @BeforeAll
    static void ingest() {
        KAFKA.cluster().createTopics(List.of(TOPIC));
        scenario = new UnifiedCustomerScenario(KAFKA.cluster().bootstrapServers(), TOPIC, "pinot-it",
                RegistryServer.shared().serdes());
        // Before the table exists: Pinot must read them from the start of the topic.
        scenario.upsert(range(1, 30));
        scenario.abortedUpsert(range(20, 25));

        // Under target/ rather than a temp dir: Pinot's log stays for a look after a failure.
        pinot = PinotLauncher.builder().dataDir(freshDir(Path.of("target", "it", "pinot-upsert"))).build().start();
        pinot.createSchema(PinotTables.schema());
        pinot.createTable(PinotTables.localTable(TOPIC.name(), KAFKA.cluster().bootstrapServers(),
                RegistryServer.shared().url()));

        // While Pinot consumes: updates, deletes (one re-created later), more aborted writes, new customers.
        scenario.upsert(range(1, 10));
        scenario.delete(List.of(3, 7, 12));
        scenario.abortedUpsert(range(1, 5));
        scenario.upsert(List.of(7, 1, 2));
        scenario.upsert(range(31, 40));
        scenario.upsert(range(5, 8));

        awaitIngested(scenario.committedValues());
    }

    @AfterAll
    static void stop() {
        if (pinot != null) {
            pinot.close();
        }
        if (scenario != null) {
            scenario.close();
        }
    }

    /** Every committed record (all versions) is in Pinot. */
    private static void awaitIngested(final int expected) {
        pinot.awaitIngested("unified_customer", expected, Duration.ofMinutes(3));
    }

    @Test
    void everyCommittedRecordIsIngestedAndNoAbortedOne() {
        assertEquals(scenario.committedValues(),
                pinot.client().count("SELECT COUNT(*) FROM unified_customer OPTION(skipUpsert=true)"),
                "all versions of all committed records, and nothing else");
        assertEquals(0, pinot.client().count("SELECT COUNT(*) FROM unified_customer WHERE profession = '"
                + UnifiedCustomerScenario.ABORTED + "' OR flight_airlines = '" + UnifiedCustomerScenario.ABORTED
                + "' OR vehicle_makers = '" + UnifiedCustomerScenario.ABORTED + "' OPTION(skipUpsert=true)"));
    }

    @Test
    void defaultViewShowsOnlyTheLatestStateOfLiveCustomers() {
        final Map<Integer, String> expected = new TreeMap<>();
        scenario.live().forEach((id, c) -> expected.put(id, c.getVersion() + "|" + c.getName() + "|" + c.getProfession()
                + "|" + c.getFlightCount() + "|" + c.getVehicleCount()));
        final Map<Integer, String> actual = new TreeMap<>();
        for (final List<JsonNode> row : pinot.rows("SELECT customer_id, version, name, profession, flight_count, "
                + "vehicle_count" + LIVE + " LIMIT 10000")) {
            final String previous = actual.put(row.get(0).asInt(), row.get(1).asLong() + "|" + row.get(2).asText() + "|"
                    + row.get(3).asText() + "|" + row.get(4).asInt() + "|" + row.get(5).asInt());
            assertEquals(null, previous, "one row per customer");
        }
        assertEquals(expected, actual);
    }

    @Test
    void deletedCustomerLeavesTheDefaultViewAndRecreatedOneComesBack() {
        assertTrue(scenario.latest().get(3).getDeleted());
        assertEquals(0, pinot.client().count("SELECT COUNT(*)" + LIVE + " AND customer_id IN (3, 12)"));
        final List<List<JsonNode>> deleted = pinot.rows("SELECT deleted, version FROM unified_customer WHERE customer_id = 3");
        assertEquals(1, deleted.size(), "upsert keeps one row: the delete marker");
        assertTrue(deleted.get(0).get(0).asBoolean(), "the delete marker is visible to who asks for it");
        assertFalse(scenario.latest().get(7).getDeleted());
        assertEquals(1, pinot.client().count("SELECT COUNT(*)" + LIVE + " AND customer_id = 7"), "re-created after its deletion");
    }

    @Test
    void customersPerProfession() {
        final Map<String, Long> expected = scenario.live().values().stream()
                .collect(Collectors.groupingBy(UnifiedCustomer::getProfession, TreeMap::new, Collectors.counting()));
        assertEquals(expected, pinot.client().groupCounts("SELECT profession, COUNT(*)" + LIVE + " GROUP BY profession LIMIT 1000"));
    }

    /**
     * A multi-value group-by counts every value of every row, duplicates included: flights, not customers. A row
     * with an empty array holds Pinot's default null value, hence {@code flight_count > 0}.
     */
    @Test
    void flightsPerAirline() {
        final Map<String, Long> expected = scenario.live().values().stream().flatMap(c -> c.getFlights().stream())
                .collect(Collectors.groupingBy(UnifiedFlight::getAirline, TreeMap::new, Collectors.counting()));
        assertEquals(expected, pinot.client().groupCounts("SELECT flight_airlines, COUNT(*)" + LIVE
                + " AND flight_count > 0 GROUP BY flight_airlines LIMIT 1000"));
    }

    @Test
    void customersPerAirline() {
        final Map<String, Long> expected = scenario.live().values().stream()
                .flatMap(c -> c.getFlights().stream().map(UnifiedFlight::getAirline).distinct())
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        final Map<String, Long> actual = new TreeMap<>();
        for (final String airline : UnifiedCustomerScenario.AIRLINES) {
            final long n = pinot.client().count("SELECT COUNT(*)" + LIVE + " AND flight_airlines = '" + airline + "'");
            if (n > 0) {
                actual.put(airline, n);
            }
        }
        assertEquals(expected, actual);
    }

    @Test
    void vehiclesPerMakerAndCategory() {
        final Map<String, Long> makers = scenario.live().values().stream().flatMap(c -> c.getVehicles().stream())
                .collect(Collectors.groupingBy(UnifiedVehicle::getMaker, TreeMap::new, Collectors.counting()));
        assertEquals(makers, pinot.client().groupCounts("SELECT vehicle_makers, COUNT(*)" + LIVE
                + " AND vehicle_count > 0 GROUP BY vehicle_makers LIMIT 1000"));
        final Map<String, Long> categories = scenario.live().values().stream().flatMap(c -> c.getVehicles().stream())
                .collect(Collectors.groupingBy(UnifiedVehicle::getCategory, TreeMap::new, Collectors.counting()));
        assertEquals(categories, pinot.client().groupCounts("SELECT vehicle_categories, COUNT(*)" + LIVE
                + " AND vehicle_count > 0 GROUP BY vehicle_categories LIMIT 1000"));
    }

    @Test
    void customersWithBothAFlightAndAVehicle() {
        final long expected = scenario.live().values().stream()
                .filter(c -> !c.getFlights().isEmpty() && !c.getVehicles().isEmpty()).count();
        assertTrue(expected > 0, "the scenario has such customers");
        assertEquals(expected, pinot.client().count("SELECT COUNT(*)" + LIVE + " AND flight_count > 0 AND vehicle_count > 0"));
    }

    @Test
    void jsonColumnsKeepTheDetail() {
        // pinot/README.md's query: airline and airport of the same flight.
        final long expected = scenario.live().values().stream()
                .filter(c -> c.getFlights().stream().anyMatch(f -> List.of("TAP", "American Airlines")
                        .contains(f.getAirline()) && List.of("LIS", "MIA").contains(f.getIataCode())))
                .count();
        assertTrue(expected > 0, "the scenario has such customers");
        assertEquals(expected, pinot.client().count("SELECT COUNT(*)" + LIVE + " AND JSON_MATCH(flights_json,"
                + " '\"$[*].airline\" IN (''TAP'', ''American Airlines'') AND \"$[*].iata_code\" IN (''LIS'', ''MIA'')')"));
        // A TAP flight and a LIS flight of one customer are not a TAP flight at LIS.
        final long same = scenario.live().values().stream()
                .filter(c -> c.getFlights().stream().anyMatch(f -> f.getAirline().equals("TAP")
                        && f.getIataCode().equals("LIS"))).count();
        final long mixed = scenario.live().values().stream()
                .filter(c -> c.getFlights().stream().anyMatch(f -> f.getAirline().equals("TAP"))
                        && c.getFlights().stream().anyMatch(f -> f.getIataCode().equals("LIS"))).count();
        assertEquals(same, pinot.client().count("SELECT COUNT(*)" + LIVE
                + " AND JSON_MATCH(flights_json, '\"$[*].airline\" = ''TAP'' AND \"$[*].iata_code\" = ''LIS''')"),
                "the same flight (" + mixed + " customers have a TAP flight and a LIS flight)");
    }


    private static List<Integer> range(final int from, final int to) {
        return IntStream.rangeClosed(from, to).boxed().toList();
    }
}
