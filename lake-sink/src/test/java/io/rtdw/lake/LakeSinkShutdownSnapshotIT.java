package io.rtdw.lake;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.S3ProxyServer;
import io.rtdw.testing.TestFiles;
import io.rtdw.testing.UnifiedCustomerScenario;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.rtdw.testing.TestFiles.freshDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM long before the snapshot interval: the sink flushes its buffers and writes a final snapshot, which holds
 * exactly the live customers of what was committed (the oracle: the records the test produced).
 */
class LakeSinkShutdownSnapshotIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = new TopicCatalog("rtdw", "public", "rtdw", 3, (short) 3);
    private static final Topic<CustomerKey, UnifiedCustomer> TOPIC = CATALOG.unifiedCustomers();
    private static final String BUCKET = "rtdw-lake";

    private final Path work = freshDir(Path.of("target", "it", "lake-sink-shutdown"));
    private S3ProxyServer s3;
    private ChildJvm sink;

    @AfterEach
    void stopEverything() {
        if (sink != null) {
            sink.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void sigtermWritesASnapshotOfEverythingFlushed() throws Exception {
        KAFKA.cluster().createTopics(List.of(TOPIC, CATALOG.lakeSinkDeadLetters()));
        s3 = S3ProxyServer.start(work);
        final int httpPort = ChildJvm.freePort();
        final Map<String, String> env = SinkJvm.env(KAFKA.cluster().bootstrapServers(), s3, BUCKET, httpPort);
        env.put(LakeSinkConfig.FLUSH_INTERVAL_MS.name(), "500");
        // An hour: no snapshot by interval during this test, only the one written at shutdown.
        env.put(LakeSinkConfig.SNAPSHOT_INTERVAL_MS.name(), String.valueOf(TimeUnit.HOURS.toMillis(1)));
        sink = SinkJvm.start("lake-sink", env, work.resolve("lake-sink.log"));
        sink.awaitHttp("http://127.0.0.1:" + httpPort + "/health/ready", Duration.ofSeconds(120));

        final UnifiedCustomerScenario scenario = new UnifiedCustomerScenario(KAFKA.cluster().bootstrapServers(), TOPIC,
                "lake-shutdown-it", RegistryServer.shared().serdes());
        scenario.upsert(IntStream.rangeClosed(1, 60).boxed().toList());
        scenario.upsert(IntStream.rangeClosed(20, 80).boxed().toList());
        scenario.delete(List.of(3, 5, 70));
        scenario.abortedUpsert(List.of(1, 2));
        scenario.close();
        final int committed = scenario.committedRows().size();

        // Every committed row is in the changelog: the sink consumed everything. Still no snapshot.
        final Path bucket = s3.bucketDir(BUCKET);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (changelogRows(bucket) < committed) {
            assertTrue(System.nanoTime() < deadline, "the sink did not write " + committed + " rows; see " + sink.log());
            assertTrue(sink.isAlive(), "the sink died; see " + sink.log());
            TestFiles.sleep(200);
        }
        final Path snapshot = bucket.resolve("snapshot").resolve("latest.parquet");
        assertFalse(Files.exists(snapshot), "no snapshot before the interval");

        assertEquals(143, sink.stop(60), "SIGTERM: a clean exit");
        assertTrue(sink.logText().contains("final snapshot written"), sink.tail(20));

        final Map<Integer, String> expected = new TreeMap<>();
        scenario.live().forEach((id, c) -> expected.put(id, "v" + c.getVersion() + " " + c.getProfession()
                + " f" + c.getFlights().size() + " v" + c.getVehicles().size()));
        final Map<Integer, String> actual = new TreeMap<>();
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT customer_id, version, profession, len(flights), len(vehicles),"
                     + " deleted FROM read_parquet('" + snapshot + "')")) {
            while (rs.next()) {
                assertFalse(rs.getBoolean(6), "no delete marker in the snapshot");
                assertEquals(null, actual.put(rs.getInt(1), "v" + rs.getLong(2) + " " + rs.getString(3)
                        + " f" + rs.getInt(4) + " v" + rs.getInt(5)), "one row per customer");
            }
        }
        assertEquals(77, expected.size(), "the oracle: 80 customers, 3 deleted");
        assertEquals(expected, actual, "the snapshot = the latest version of every live customer produced");
    }

    private static long changelogRows(final Path bucket) throws SQLException {
        if (!Files.isDirectory(bucket.resolve("changelog"))) {
            return 0;
        }
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM read_parquet('" + bucket
                     + "/changelog/*/*/*.parquet')")) {
            rs.next();
            return rs.getLong(1);
        } catch (final SQLException e) {
            return 0; // a file caught mid-write, or none yet
        }
    }
}
