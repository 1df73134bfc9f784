package io.rtdw.testing;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.catalog.TopicProvisioner;
import io.rtdw.catalog.CreateTopics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the durability settings rather than reading them back: topics are replicated, a transactional producer
 * loses and duplicates nothing across a broker restart, and with two brokers down writes are refused instead of
 * being acknowledged on a single replica.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DurabilityIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;

    @Test
    @Order(1)
    void everyCatalogTopicIsCreatedWithThreeReplicasInSync() {
        final KafkaTestCluster cluster = KAFKA.cluster();
        cluster.createTopics(CATALOG.all());
        // A second run finds them and checks them instead of failing or silently passing.
        cluster.createTopics(CATALOG.all());
        for (final Topic<?, ?> topic : CATALOG.all()) {
            final List<TopicPartitionInfo> partitions = cluster.partitions(topic.name());
            assertEquals(topic.partitions(), partitions.size(), topic.name());
            for (final TopicPartitionInfo p : partitions) {
                assertEquals(3, p.replicas().size(), topic.name() + "-" + p.partition() + " replicas");
                assertEquals(3, p.isr().size(), topic.name() + "-" + p.partition() + " in-sync replicas");
            }
        }
    }

    @Test
    @Order(1)
    void aTopicThatExistsWithTheWrongShapeIsAnErrorNotASilentPass() throws Exception {
        final KafkaTestCluster cluster = KAFKA.cluster();
        final Topic<?, ?> wanted = CATALOG.unifiedCustomers().rename("durability.wrong-shape");
        cluster.createTopics(List.of(wanted.withPartitions(2)));
        final TopicProvisioner provisioner = new TopicProvisioner(cluster.admin(), 30_000);
        final TopicProvisioner.TopicMismatchException e = assertThrows(TopicProvisioner.TopicMismatchException.class,
                () -> provisioner.ensure(List.of(wanted)));
        assertTrue(e.getMessage().contains("has 2 partitions, catalog says " + wanted.partitions()), e.getMessage());
        assertEquals(1, CreateTopics.run(cluster.bootstrapServers(), List.of(wanted), 30_000), "exit code 1 on a mismatch");
        assertEquals(0, CreateTopics.run(cluster.bootstrapServers(), List.of(wanted.withPartitions(2)), 30_000));
    }

    @Test
    @Order(2)
    void aTransactionalProducerLosesAndDuplicatesNothingWhileABrokerRestarts() throws Exception {
        final KafkaTestCluster cluster = KAFKA.cluster();
        final String topic = "durability.restart";
        cluster.createTopics(List.of(CATALOG.unifiedCustomers().withPartitions(3).rename(topic)));
        final int n = 3_000;
        final int victim = cluster.brokerIds().get(1);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(true))) {
            producer.initTransactions();
            for (int i = 0; i < n; i += 100) {
                if (i == n / 3) {
                    cluster.stopBroker(victim);
                }
                if (i == 2 * n / 3) {
                    cluster.startBroker(victim);
                }
                producer.beginTransaction();
                for (int j = i; j < i + 100; j++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + (j % 37), String.valueOf(j)));
                }
                producer.commitTransaction();
            }
        }
        final List<ConsumerRecord<String, String>> records = readAll(topic, n);
        assertEquals(n, records.size(), "read_committed consumer reads exactly what was committed");
        final Set<String> distinct = new HashSet<>();
        records.forEach(r -> distinct.add(r.value()));
        assertEquals(n, distinct.size(), "no record twice");
        final Map<Integer, Integer> lastPerPartition = new HashMap<>();
        final Map<String, Integer> lastPerKey = new HashMap<>();
        for (final ConsumerRecord<String, String> r : records) {
            final int value = Integer.parseInt(r.value());
            final Integer previous = lastPerKey.put(r.key(), value);
            assertTrue(previous == null || previous < value, "order per key: " + previous + " then " + value);
            lastPerPartition.put(r.partition(), value);
        }
        assertFalse(lastPerPartition.isEmpty());
        cluster.awaitFullIsr(topic, Duration.ofSeconds(60));
    }

    @Test
    @Order(3)
    void withTwoBrokersDownWritesAreRefusedAndAcknowledgedRecordsSurvive() throws Exception {
        final KafkaTestCluster cluster = KAFKA.cluster();
        final String topic = "durability.two-down";
        cluster.createTopics(List.of(CATALOG.unifiedCustomers().withPartitions(1).rename(topic)));
        final List<String> acknowledged = new ArrayList<>();
        final List<Integer> brokers = cluster.brokerIds();
        final Map<String, Object> props = producerProps(false);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>(topic, "k", "before-" + i)).get();
                acknowledged.add("before-" + i);
            }
            final int leader = cluster.partitions(topic).get(0).leader().id();
            // Stop the two followers: the leader is alone, below min.insync.replicas=2.
            final List<Integer> stopped = brokers.stream().filter(id -> id != leader).toList();
            stopped.forEach(cluster::stopBroker);

            final Future<RecordMetadata> refused = producer.send(new ProducerRecord<>(topic, "k", "during"));
            final ExecutionException e = assertThrows(ExecutionException.class, refused::get);
            assertTrue(e.getCause() instanceof NotEnoughReplicasException || e.getCause() instanceof TimeoutException,
                    "refused, not acknowledged: " + e.getCause());

            stopped.forEach(cluster::startBroker);
            cluster.awaitFullIsr(topic, Duration.ofSeconds(60));
            producer.send(new ProducerRecord<>(topic, "k", "after")).get();
            acknowledged.add("after");
        }
        final List<String> values = readAll(topic, acknowledged.size()).stream().map(ConsumerRecord::value).toList();
        assertEquals(acknowledged, values, "every acknowledged record is there, in order, and nothing else");
    }

    private Map<String, Object> producerProps(final boolean transactional) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        if (transactional) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "durability-it");
        }
        return props;
    }

    private List<ConsumerRecord<String, String>> readAll(final String topic, final int expected) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.cluster().bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        final List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.currentTimeMillis() + 60_000;
            int idle = 0;
            // Read until the expected count, then a few more empty polls to catch anything extra.
            while (System.currentTimeMillis() < deadline && (out.size() < expected || idle < 3)) {
                final var batch = consumer.poll(Duration.ofMillis(500));
                batch.forEach(out::add);
                idle = batch.isEmpty() ? idle + 1 : 0;
            }
        }
        return out;
    }
}
