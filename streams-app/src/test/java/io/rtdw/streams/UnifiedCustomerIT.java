package io.rtdw.streams;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.RegistryServer;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.KafkaTestCluster;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RandomChanges;
import io.rtdw.testing.SourceChangeWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    /** Per run: its own topics (the cluster is shared by both runs). */
    private TopicCatalog catalog;
    private final List<ChildJvm> instances = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopInstances() {
        instances.forEach(ChildJvm::close);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void convergesToTheSqlJoinAcrossAHardKillAndABrokerRestart(final String guarantee) throws Exception {
        final boolean exactlyOnce = guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2);
        catalog = new TopicCatalog("it-" + guarantee.replace('_', '-'), TopicCatalog.DEFAULT.pgSchema(),
                TopicCatalog.DEFAULT.mongoDb(), PARTITIONS, TopicCatalog.DEFAULT.replicationFactor());
        final KafkaTestCluster cluster = KAFKA.cluster();
        cluster.createTopics(List.of(catalog.customers(), catalog.flights(), catalog.vehicles(),
                catalog.unifiedCustomers(), catalog.streamsDeadLetters()));
        final Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        try (var old = Files.list(logs)) {
            for (final Path f : old.toList()) {
                Files.delete(f);
            }
        }
        final Path state = Files.createTempDirectory("rtdw-it-state");
        final int[] ports = new int[3];
        for (int i = 0; i < 3; i++) {
            ports[i] = ChildJvm.freePort();
            instances.add(startInstance(i, ports[i], state, logs, guarantee));
        }
        awaitReady(ports);

        final RandomChanges generator = new RandomChanges(7, 400, 1_700_000_000_000L);
        // No database here: the expected state is the generator's source model after the commits sent so far.
        final Oracle oracle = new Oracle(generator.model());
        final OutputReader output = new OutputReader(cluster.bootstrapServers());
        try (SourceChangeWriter producer = new SourceChangeWriter(cluster.bootstrapServers(), catalog,
                RegistryServer.shared().serdes())) {
            // A key that is not a CustomerKey and a value that is not Avro: both become dead letters.
            producer.sendBytes(catalog.customers().name(), new byte[]{(byte) 0xff, 1, 2}, new byte[]{9}, null);
            producer.sendBytes(catalog.flights().name(), new byte[]{2}, "not avro".getBytes(), null);
            produce(producer, generator.next(4_000));
            output.awaitConvergence(oracle, Duration.ofSeconds(180));
            final List<String> reasons = deadLetterReasons(cluster.bootstrapServers(), 2);
            assertTrue(reasons.stream().anyMatch(r -> r.startsWith("undeserializable key")), reasons.toString());
            assertTrue(reasons.stream().anyMatch(r -> r.startsWith("value is not registry-framed Avro")), reasons.toString());
            final String metrics = get(ports[1], "/metrics");
            assertTrue(metrics.contains("rtdw_streams_changes_total{table=\"customers\"}"), metrics);
            assertTrue(metrics.contains("rtdw_streams_output_records_total"), metrics);
            assertTrue(metrics.contains("kafka_stream_thread_process_total"), "Kafka Streams metrics exported");
            LOG.info("phase 1 converged: {} records, {} customers", output.count(), oracle.liveCustomers().size());

            // Phase 2: keep writing; kill instance 0 without any close, bounce a broker, bring the instance back.
            produce(producer, generator.next(1_500));
            instances.get(0).kill();
            produce(producer, generator.next(1_500));
            final int broker = cluster.brokerIds().get(2);
            cluster.stopBroker(broker);
            produce(producer, generator.next(1_500));
            cluster.startBroker(broker);
            instances.set(0, startInstance(0, ports[0], state, logs, guarantee));
            produce(producer, generator.next(1_500));
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

        for (int i = 0; i < instances.size(); i++) {
            // 143 = 128 + SIGTERM: the JVM's status after its shutdown hooks ran.
            assertEquals(143, instances.get(i).stop(90), instances.get(i).name() + " stops on SIGTERM");
            final String log = Files.readString(logs.resolve("app-" + i + ".log"));
            // The state listener may log NOT_RUNNING after the close returns: look for the close's own line.
            assertTrue(log.lastIndexOf("closed cleanly") > log.lastIndexOf("closing (timeout"),
                    instances.get(i).name() + " closed its client: " + log.substring(Math.max(0, log.length() - 500)));
        }
    }

    private ChildJvm startInstance(final int i, final int port, final Path state, final Path logs,
                                   final String guarantee) {
        final Map<String, String> env = new HashMap<>();
        env.put(StreamsSettings.PROCESSING_GUARANTEE.name(), guarantee);
        env.put(TopicCatalog.PARTITIONS.name(), String.valueOf(PARTITIONS));
        env.put(TopicCatalog.PREFIX.name(), catalog.prefix());
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), KAFKA.cluster().bootstrapServers());
        env.put(StreamsSettings.APPLICATION_ID.name(), "rtdw-it-" + guarantee.replace('_', '-'));
        env.put(StreamsSettings.STATE_DIR.name(), state.resolve("app-" + i).toString());
        env.put(StreamsSettings.INSTANCE_ID.name(), "app-" + i);
        env.put(OpsServer.HTTP_PORT.name(), String.valueOf(port));
        env.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "200");
        env.put(StreamsSettings.STANDBY_REPLICAS.name(), "1");
        env.put(StreamsSettings.MAX_CHILDREN.name(), "10000");
        env.put(RegistrySerdes.URL.name(), RegistryServer.shared().url());
        // A restarted static member within the session timeout takes its tasks back without a rebalance.
        env.put("KAFKA_SESSION_TIMEOUT_MS", "20000");
        return ChildJvm.start("app-" + i, StreamsApp.class.getName(), env, logs.resolve("app-" + i + ".log"), 384);
    }

    private void awaitReady(final int[] ports) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + 120_000;
        for (final int port : ports) {
            while (!ready(port)) {
                assertTrue(System.currentTimeMillis() < deadline, "instance on port " + port + " never became ready");
                Thread.sleep(500);
            }
        }
    }

    private String get(final int port, final String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private boolean ready(final int port) throws InterruptedException {
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (final IOException e) {
            return false;
        }
    }

    private List<String> deadLetterReasons(final String bootstrap, final int expected) {
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

    private static void produce(final SourceChangeWriter producer, final List<SourceChange> changes) {
        for (final SourceChange change : changes) {
            producer.send(change);
        }
        producer.flush();
    }

    /** Reads the committed output from the beginning, keeping every record for the duplicate check. */
    private final class OutputReader {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final io.rtdw.streams.topology.OutputLogAccess log = new io.rtdw.streams.topology.OutputLogAccess();
        private final Set<String> seen = new HashSet<>();
        private final List<String> duplicates = new ArrayList<>();
        private final Serde<CustomerKey> keySerde = RegistrySerdes.keySerde(catalog.unifiedCustomers());
        private final Serde<UnifiedCustomer> valueSerde = RegistryServer.shared().serdes().valueSerde(catalog.unifiedCustomers());
        private long count;

        OutputReader(final String bootstrap) {
            final Map<String, Object> props = new HashMap<>();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
            consumer = new KafkaConsumer<>(props);
            final String topic = catalog.unifiedCustomers().name();
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        void poll() {
            for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                final CustomerKey key = keySerde.deserializer().deserialize(r.topic(), r.key());
                final UnifiedCustomer value = r.value() == null ? null : valueSerde.deserializer().deserialize(r.topic(), r.value());
                if (value != null && !seen.add(key.getId() + "@" + value.getVersion())) {
                    duplicates.add(key.getId() + "@" + value.getVersion());
                }
                log.add(key, value);
                count++;
            }
        }

        void awaitConvergence(final Oracle oracle, final Duration timeout) {
            final Map<Integer, UnifiedCustomer> expected = oracle.expected();
            final long deadline = System.currentTimeMillis() + timeout.toMillis();
            Map<Integer, UnifiedCustomer> actual = Map.of();
            while (System.currentTimeMillis() < deadline) {
                poll();
                actual = log.normalizedFinalState();
                if (actual.equals(expected)) {
                    return;
                }
            }
            assertEquals(expected.keySet(), actual.keySet(), "live customers after " + timeout);
            final Map<Integer, UnifiedCustomer> finalActual = actual;
            expected.forEach((id, want) -> assertEquals(want, finalActual.get(id), "customer " + id));
        }

        io.rtdw.streams.topology.OutputLogAccess log() {
            return log;
        }

        List<String> duplicates() {
            return duplicates;
        }

        long count() {
            return count;
        }
    }
}
