package io.rtdw.dev.workload;

import io.rtdw.serde.RegistrySerdes;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.TopicReader;
import io.rtdw.testing.WorkloadGenerator;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The workload command as an operator runs it, without MongoDB: customers and flights into PostgreSQL (its JDBC
 * applier), vehicles as Debezium MongoDB events produced to the vehicle topic. A generator built in this JVM with the
 * same seed predicts both results exactly: the database ends in the generator's state, column by column.
 */
class WorkloadMainIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    @Test
    void sameSeedSameSourcesInAnotherProcess() throws Exception {
        final TopicCatalog catalog = new TopicCatalog("wl", "public", "rtdw", 3, (short) 3);
        KAFKA.cluster().createTopics(List.of(catalog.vehicles()));
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            final Map<String, String> env = new HashMap<>();
            env.put(CdcConfig.PG_PORT.name(), String.valueOf(pg.getPort()));
            env.put(CdcConfig.PG_PASSWORD.name(), "postgres");
            env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), KAFKA.cluster().bootstrapServers());
            env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
            env.put(TopicCatalog.PARTITIONS.name(), "3");
            env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
            final List<String> args = List.of("--init-schema", "--seed", "99", "--changes", "400", "--rate", "0",
                    "--initial-customers", "20", "--initial-flights", "30", "--initial-vehicles", "25",
                    "--vehicles", "kafka");
            try (ChildJvm workload = ChildJvm.java("workload", WorkloadMain.class.getName()).heapMb(384)
                    .jvmArgs("-XX:+UseSerialGC").env(env).args(args)
                    .freshLog(Path.of("target", "child-logs", "workload.log")).start()) {
                assertEquals(0, workload.awaitExit(180), workload::logText);
            }
            final WorkloadGenerator oracle = new WorkloadGenerator(new WorkloadGenerator.Options(99, 20, 30, 25, 0.1,
                    true));
            for (int i = 0; i < 20 + 30 + 25 + 400; i++) {
                oracle.next();
            }
            final Map<Integer, Integer> flights = new TreeMap<>();
            final Map<Integer, String> customers = new TreeMap<>();
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT id, customer_id FROM flight")) {
                    while (rs.next()) {
                        flights.put(rs.getInt(1), rs.getInt(2));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT id, nome, endereco, telefone, profissao FROM customers")) {
                    while (rs.next()) {
                        customers.put(rs.getInt(1), rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4)
                                + "|" + rs.getString(5));
                    }
                }
            }
            final Map<Integer, Integer> expectedFlights = new TreeMap<>();
            oracle.flights().forEach((id, f) -> expectedFlights.put(id, f.customerId()));
            final Map<Integer, String> expectedCustomers = new TreeMap<>();
            oracle.customers().forEach((id, r) -> expectedCustomers.put(id, r.nome() + "|" + r.endereco() + "|"
                    + r.telefone() + "|" + r.profissao()));
            assertEquals(expectedFlights, flights);
            assertEquals(expectedCustomers, customers);

            final Map<Integer, Integer> expectedVehicles = new TreeMap<>();
            oracle.vehicles().forEach((id, v) -> expectedVehicles.put(id, v.customerId()));
            try (TopicReader<VehicleKey, VehicleChange> reader = new TopicReader<>(KAFKA.cluster().bootstrapServers(),
                    catalog.vehicles(), RegistryServer.shared().serdes().valueSerde(catalog.vehicles()).deserializer())) {
                final List<ConsumerRecord<VehicleKey, VehicleChange>> records = reader.readUntil(
                        rs -> VehicleTopic.owners(rs).equals(expectedVehicles), Duration.ofSeconds(60));
                assertEquals(expectedVehicles, VehicleTopic.owners(records), "replaying the vehicle topic gives the oracle");
                for (final ConsumerRecord<VehicleKey, VehicleChange> r : records) {
                    assertEquals(r.value().getSource().getCommitTsMs(), r.timestamp());
                }
            }
        }
    }
}
