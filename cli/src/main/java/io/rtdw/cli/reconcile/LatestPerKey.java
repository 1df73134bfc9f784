package io.rtdw.cli.reconcile;

import io.rtdw.runtime.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Bytes;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every partition of a compacted topic from the beginning to the end offsets taken when it starts
 * ({@code read_committed}: the last stable offsets), in large fetches, and keeps the latest value per key; a
 * tombstone removes the key. Values stay bytes: the caller decodes only the survivors.
 */
final class LatestPerKey {

    /**
     * What was read: latest value per key in each partition (a key may be in several: a child that moved between
     * customers of different partitions), and the end offsets read to.
     */
    record Result(Map<Integer, Map<Bytes, byte[]>> perPartition, Map<Integer, Long> endOffsets, long records) {

        /** Every partition's survivors (for topics where a key lives in one partition); tombstones left out. */
        java.util.List<byte[]> values() {
            final java.util.List<byte[]> out = new java.util.ArrayList<>();
            perPartition.values().forEach(m -> m.values().stream().filter(v -> v != TOMBSTONE).forEach(out::add));
            return out;
        }

        /** Keys whose latest record is a tombstone. */
        long tombstones() {
            return perPartition.values().stream().mapToLong(m -> m.values().stream().filter(v -> v == TOMBSTONE)
                    .count()).sum();
        }
    }

    /** Stands for a tombstone in {@link Result#perPartition()}: compare by identity. */
    static final byte[] TOMBSTONE = new byte[0];

    private LatestPerKey() {
    }

    static Result read(final KafkaClients clients, final String topic, final Duration timeout) {
        final Map<String, Object> config = clients.consumer(null);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "rtdw-reconcile");
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20_000);
        config.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, 4 * 1024 * 1024);
        final long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            final List<TopicPartition> partitions = infos.stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            final Map<Integer, Map<Bytes, byte[]>> latest = new HashMap<>();
            long records = 0;
            while (!caughtUp(consumer, ends)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end offsets " + ends
                            + " within " + timeout);
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    records++;
                    if (r.key() == null) {
                        continue;
                    }
                    final Map<Bytes, byte[]> partition = latest.computeIfAbsent(r.partition(), p -> new HashMap<>());
                    if (r.value() == null) {
                        partition.put(Bytes.wrap(r.key()), TOMBSTONE);
                    } else {
                        partition.put(Bytes.wrap(r.key()), r.value());
                    }
                }
            }
            final Map<Integer, Long> endOffsets = new java.util.TreeMap<>();
            ends.forEach((tp, o) -> endOffsets.put(tp.partition(), o));
            return new Result(latest, endOffsets, records);
        }
    }

    private static boolean caughtUp(final KafkaConsumer<?, ?> consumer, final Map<TopicPartition, Long> ends) {
        for (final Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
