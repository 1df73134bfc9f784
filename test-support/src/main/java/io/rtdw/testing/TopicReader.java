package io.rtdw.testing;

import io.rtdw.catalog.Topic;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Reads a whole topic from the beginning with the catalog's serdes, read_committed, without a group. */
public final class TopicReader<K, V> implements AutoCloseable {

    private final KafkaConsumer<K, V> consumer;
    private final List<ConsumerRecord<K, V>> records = new ArrayList<>();

    public TopicReader(final String bootstrap, final Topic<K, V> topic, final Deserializer<V> values) {
        final Deserializer<K> keys = RegistrySerdes.keySerde(topic).deserializer();
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), keys, values);
        final List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
                .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls until {@code done} holds for everything read so far, or the timeout passes; returns all read. */
    public List<ConsumerRecord<K, V>> readUntil(final Predicate<List<ConsumerRecord<K, V>>> done, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(records) && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return List.copyOf(records);
    }

    /** Everything read so far. */
    public List<ConsumerRecord<K, V>> records() {
        return List.copyOf(records);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
