package io.rtdw.bench;

import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.RegistryServer;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcProcess;
import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.dev.mongodb.DebeziumMongoEventWriter;
import io.rtdw.dev.mongodb.VehicleEventsToKafka;
import io.rtdw.dev.workload.DebeziumEventApplier;
import io.rtdw.dev.workload.PostgresApplier;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.streams.StreamsApp;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole pipeline with real components: the test kit's workload generator writes customers and flights into a
 * real PostgreSQL (dev-tools' JDBC applier; some rows before capture starts, so the snapshot is exercised, the rest
 * streamed) and vehicle changes as Debezium MongoDB events mapped and produced the way the MongoDB capture does (no
 * MongoDB can run here); the real capture process (the code {@code CdcMain} runs) puts the PostgreSQL changes on the
 * CDC topics; the real streams app, configured through {@link StreamsSettings#fromEnv}, joins them; the output read
 * with {@code read_committed} must end equal to the SQL-join {@link Oracle} of the sources as they are: the
 * PostgreSQL tables read back with SQL, and the vehicle documents as written (every change captured, nothing stale:
 * ids, owners and every column but the children's source times, which the tables do not keep).
 */
class EndToEndIT {

    private static final Logger LOG = LoggerFactory.getLogger(EndToEndIT.class);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    @Test
    void generatedSourceChangesEndAsTheSqlJoin() throws Exception {
        final KafkaTestCluster cluster = KAFKA.cluster();
        final TopicCatalog catalog = new TopicCatalog("e2e", "public", "rtdw", 3, (short) 3);
        cluster.createTopics(catalog.all());
        final WorkloadGenerator generator = new WorkloadGenerator(new WorkloadGenerator.Options(2026, 40, 60, 50,
                0.1, true));
        final int initial = 40 + 60 + 50;
        final int streamed = 900;

        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), cluster.bootstrapServers());
        env.put(StreamsSettings.APPLICATION_ID.name(), "rtdw-e2e");
        final java.nio.file.Path state = Files.createTempDirectory("rtdw-e2e-state");
        env.put(StreamsSettings.STATE_DIR.name(), state.toString());
        env.put(OpsServer.HTTP_PORT.name(), "-1");
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "100");
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        env.put(StreamsSettings.MAX_CHILDREN.name(), "10000"); // no cap: the oracle keeps every child
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()));

        try {
            run(cluster, catalog, generator, initial, streamed, env);
        } finally {
            StreamsChild.deleteRecursively(state);
        }
    }

    private void run(final KafkaTestCluster cluster, final TopicCatalog catalog, final WorkloadGenerator generator,
                     final int initial, final int streamed, final Map<String, String> env) throws Exception {
        try (PgSource pg = PgSource.start();
             ChangeProducer vehicleProducer = new ChangeProducer(cluster.bootstrapServers(), 1, "e2e-vehicles",
                     RegistryServer.shared().serdes(), catalog);
             StreamsApp app = new StreamsApp(StreamsSettings.fromEnv(env), RegistryServer.shared().serdes());
             OutputWatcher output = new OutputWatcher(cluster.bootstrapServers(), catalog.unifiedCustomers(),
                     RegistryServer.shared().serdes(), true)) {
            final List<WorkloadGenerator.Applier> appliers = List.of(new PostgresApplier(pg.connect("postgres")),
                    new DebeziumEventApplier(new DebeziumMongoEventWriter(catalog.prefix(), catalog.mongoDb(), "vehicle"),
                            false, System::currentTimeMillis,
                            new VehicleEventsToKafka(new DebeziumMongoEventMapper(catalog), vehicleProducer)));
            // Rows that exist before capture starts arrive through Debezium's snapshot.
            WorkloadRunner.run(generator, initial, 0, appliers);
            app.start();
            try (CdcProcess cdc = Capture.startPostgres(cluster.bootstrapServers(), catalog, pg.port(), "postgres",
                    "e2e_slot", 1, 100)) {
                WorkloadRunner.run(generator, streamed, 0, appliers);
                final Oracle oracle;
                try (Connection sql = pg.connect("postgres")) {
                    oracle = Oracle.fromPostgres(sql, generator.vehicles().values());
                }
                final Map<Integer, String> expected = project(oracle.expected());
                final long deadline = System.currentTimeMillis() + 90_000;
                Map<Integer, String> actual = Map.of();
                while (System.currentTimeMillis() < deadline) {
                    actual = project(output.state());
                    if (actual.equals(expected)) {
                        break;
                    }
                    Thread.sleep(250);
                }
                assertEquals(expected, actual, "output = the join of the sources (customers LEFT JOIN children)");
                final Map<Integer, UnifiedCustomer> all = new TreeMap<>();
                output.state().forEach((id, r) -> all.put(id, oracle.comparable(r)));
                assertEquals(oracle.expected().keySet(), all.keySet(), "live customers");
                oracle.expected().forEach((id, want) -> assertEquals(want, all.get(id), "customer " + id));
                assertTrue(oracle.expected().values().stream().anyMatch(c -> c.getVehicleCount() > 0),
                        "some vehicles are joined");
                LOG.info("end-to-end: {} output records, {} live customers", output.records(), all.size());
            }
            for (final WorkloadGenerator.Applier applier : appliers) {
                applier.close();
            }
            assertTrue(output.problems().isEmpty(), "versions grow by one, none repeated: " + output.problems());
            assertFalse(generator.customers().isEmpty(), "the workload leaves customers");
        }
    }

    /** What must agree per customer: the changed columns, and ids plus a changed column of the children. */
    private static Map<Integer, String> project(final Map<Integer, UnifiedCustomer> state) {
        final Map<Integer, String> out = new TreeMap<>();
        state.forEach((id, c) -> out.put(id, c.getName() + "|" + c.getAddress() + "|" + c.getPhone() + "|"
                + c.getProfession() + "|flights=" + c.getFlights().stream()
                .map((UnifiedFlight f) -> f.getFlightId() + ":" + f.getIataCode()).sorted().collect(Collectors.joining(","))
                + "|vehicles=" + c.getVehicles().stream()
                .map((UnifiedVehicle v) -> v.getVehicleId() + ":" + v.getModel()).sorted().collect(Collectors.joining(","))));
        return out;
    }
}
