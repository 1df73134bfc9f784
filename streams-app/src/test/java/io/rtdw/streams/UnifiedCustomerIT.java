package io.rtdw.streams;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.SourceChangeWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streams app on the real 3-broker cluster: three instances (separate JVMs, so one can be killed like
 * {@code kill -9}), topics of 5 partitions (the catalog's count, set through {@code RTDW_TOPIC_PARTITIONS}), changes
 * routed to their customer's partition as the capture writes them, thousands of random changes. The committed
 * output, read with {@code read_committed}, must converge to the oracle's SQL join; after a hard kill of an instance
 * and a broker restart mid-run, it must still converge. Exactly once: no (customer, version) written twice. At least
 * once: nothing lost; a record may come again, the same version with the same content.
 */
class UnifiedCustomerIT {

    private static final Logger LOG = LoggerFactory.getLogger(UnifiedCustomerIT.class);

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final int PARTITIONS = 5;
    private AppInstances apps;

    @AfterEach
    void stopInstances() {
        if (apps != null) {
            apps.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void convergesToTheSqlJoinAcrossAHardKillAndABrokerRestart(final String guarantee) throws Exception {
        final boolean exactlyOnce = guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2);
        final String run = "it-" + guarantee.replace('_', '-');
        // Per run: its own topics (the cluster is shared by both runs).
        final TopicCatalog catalog = AppInstances.catalog(run, PARTITIONS);
        final KafkaTestCluster cluster = KAFKA.cluster();
        apps = new AppInstances(cluster, catalog, "rtdw-" + run, guarantee, 3, run);
        apps.startAll();
        apps.awaitAllReady(Duration.ofSeconds(120));

        final RandomChanges generator = new RandomChanges(7, 400, 1_700_000_000_000L);
        // No database here: the expected state is the generator's source model after the commits sent so far.
        final Oracle oracle = new Oracle(generator.model());
        try (CommittedOutput output = new CommittedOutput(cluster.bootstrapServers(), catalog)) {
            try (SourceChangeWriter producer = new SourceChangeWriter(cluster.bootstrapServers(), catalog,
                    RegistryServer.shared().serdes())) {
                // A key that is not a CustomerKey and a value that is not Avro: both become dead letters.
                producer.sendBytes(catalog.customers().name(), new byte[]{(byte) 0xff, 1, 2}, new byte[]{9}, null);
                producer.sendBytes(catalog.flights().name(), new byte[]{2}, "not avro".getBytes(), null);
                producer.sendAll(generator.next(4_000));
                output.awaitConvergence(oracle, Duration.ofSeconds(180));
                final List<String> reasons = deadLetterReasons(cluster.bootstrapServers(), catalog, 2);
                assertTrue(reasons.stream().anyMatch(r -> r.startsWith("undeserializable key")), reasons.toString());
                assertTrue(reasons.stream().anyMatch(r -> r.startsWith("value is not registry-framed Avro")),
                        reasons.toString());
                final String metrics = apps.get(1, "/metrics");
                assertTrue(metrics.contains("rtdw_streams_changes_total{table=\"customers\"}"), metrics);
                assertTrue(metrics.contains("rtdw_streams_output_records_total"), metrics);
                assertTrue(metrics.contains("kafka_stream_thread_process_total"), "Kafka Streams metrics exported");
                LOG.info("phase 1 converged: {} records, {} customers", output.count(), oracle.liveCustomers().size());
                // The store's changelog holds personal data: Kafka Streams created it with bounded compaction.
                final ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC,
                        "rtdw-" + run + "-unified-state-changelog");
                final Config changelogConfig = cluster.admin().describeConfigs(List.of(changelog)).all().get().get(changelog);
                TopicCatalog.COMPACTION_BOUNDS.forEach((key, value) -> assertEquals(value,
                        changelogConfig.get(key).value(), changelog.name() + " " + key));

                // Phase 2: keep writing; kill instance 0 without any close, bounce a broker, bring the instance back.
                producer.sendAll(generator.next(1_500));
                apps.instance(0).kill();
                producer.sendAll(generator.next(1_500));
                final int broker = cluster.brokerIds().get(2);
                cluster.stopBroker(broker);
                producer.sendAll(generator.next(1_500));
                cluster.startBroker(broker);
                apps.start(0);
                producer.sendAll(generator.next(1_500));
            }
            output.awaitConvergence(oracle, Duration.ofSeconds(240));
            if (exactlyOnce) {
                output.log().assertConsistent();
                assertTrue(output.duplicates().isEmpty(), "no (customer, version) written twice: " + output.duplicates());
            } else {
                output.log().assertConsistentAllowingDuplicates();
                LOG.info("at least once: {} records written again", output.duplicates().size());
            }
            LOG.info("phase 2 converged: {} committed output records", output.count());
        }

        for (int i = 0; i < apps.count(); i++) {
            apps.stopCleanly(i, 90);
        }
    }

    private static List<String> deadLetterReasons(final String bootstrap, final TopicCatalog catalog,
                                                  final int expected) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        final Topic<byte[], io.rtdw.schemas.DeadLetter> dlq = catalog.streamsDeadLetters();
        final Serde<io.rtdw.schemas.DeadLetter> serde = RegistryServer.shared().serdes().valueSerde(dlq);
        final List<String> reasons = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            final List<TopicPartition> partitions = List.of(new TopicPartition(dlq.name(), 0));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.currentTimeMillis() + 30_000;
            while (reasons.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r ->
                        reasons.add(serde.deserializer().deserialize(dlq.name(), r.value()).getReason()));
            }
        }
        return reasons;
    }
}
