package io.rtdw.streams;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.topology.OutputLogAccess;
import io.rtdw.testing.Oracle;
import io.rtdw.testing.RegistryServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The committed output topic read from the beginning with {@code read_committed}, as Pinot and the lake sink read it:
 * every record kept for the invariants ({@link OutputLogAccess}), every (customer, version) seen for the duplicate
 * check, and, per partition, the times records arrived (for the longest pause of output). One thread polls; the
 * arrival times may be read from another meanwhile.
 */
final class CommittedOutput implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final OutputLogAccess log = new OutputLogAccess();
    private final Set<String> seen = new HashSet<>();
    private final List<String> duplicates = new ArrayList<>();
    private final Serde<CustomerKey> keySerde;
    private final Serde<UnifiedCustomer> valueSerde;
    /** Per partition: the wall-clock times (ms) of the polls that returned records of it. Guarded by itself. */
    private final Map<Integer, List<Long>> arrivals = new TreeMap<>();
    private final List<Integer> partitions;
    private long count;

    CommittedOutput(final String bootstrap, final TopicCatalog catalog) {
        keySerde = RegistrySerdes.keySerde(catalog.unifiedCustomers());
        valueSerde = RegistryServer.shared().serdes().valueSerde(catalog.unifiedCustomers());
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer = new KafkaConsumer<>(props);
        final String topic = catalog.unifiedCustomers().name();
        final List<TopicPartition> assigned = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        partitions = assigned.stream().map(TopicPartition::partition).sorted().toList();
    }

    /** One poll of up to 500 ms. */
    void poll() {
        final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        final long now = System.currentTimeMillis();
        for (final TopicPartition partition : records.partitions()) {
            synchronized (arrivals) {
                arrivals.computeIfAbsent(partition.partition(), p -> new ArrayList<>()).add(now);
            }
            for (final ConsumerRecord<byte[], byte[]> r : records.records(partition)) {
                final CustomerKey key = keySerde.deserializer().deserialize(r.topic(), r.key());
                final UnifiedCustomer value = r.value() == null ? null
                        : valueSerde.deserializer().deserialize(r.topic(), r.value());
                if (value != null && !seen.add(key.getId() + "@" + value.getVersion())) {
                    duplicates.add(key.getId() + "@" + value.getVersion());
                }
                log.add(key, value);
                count++;
            }
        }
    }

    /** Polls until the final live record per customer equals {@code oracle}'s join; fails with the difference. */
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

    /**
     * Per partition, the longest time between two polls that returned its records, among the polls from
     * {@code fromMs} to {@code toMs} (wall clock); the first gap counts from {@code fromMs}. Partitions without a
     * record in the window have the whole window as their pause.
     */
    Map<Integer, Long> longestPauseMs(final long fromMs, final long toMs) {
        final Map<Integer, Long> out = new TreeMap<>();
        for (final int partition : partitions) {
            long previous = fromMs;
            long longest = 0;
            for (final long t : arrivals(partition)) {
                if (t < fromMs || t > toMs) {
                    continue;
                }
                longest = Math.max(longest, t - previous);
                previous = t;
            }
            out.put(partition, Math.max(longest, toMs - previous));
        }
        return out;
    }

    /** Per partition with records since {@code sinceMs}: how many polls returned some. */
    Map<Integer, Integer> arrivalsSince(final long sinceMs) {
        final Map<Integer, Integer> out = new TreeMap<>();
        for (final int partition : partitions) {
            final int n = (int) arrivals(partition).stream().filter(t -> t >= sinceMs).count();
            if (n > 0) {
                out.put(partition, n);
            }
        }
        return out;
    }

    private List<Long> arrivals(final int partition) {
        synchronized (arrivals) {
            return List.copyOf(arrivals.getOrDefault(partition, List.of()));
        }
    }

    OutputLogAccess log() {
        return log;
    }

    List<String> duplicates() {
        return duplicates;
    }

    long count() {
        return count;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
