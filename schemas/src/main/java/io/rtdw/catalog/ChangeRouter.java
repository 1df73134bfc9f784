package io.rtdw.catalog;

import io.rtdw.schemas.CustomerChange;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.function.ToIntFunction;

/**
 * Turns one change of a CDC topic into the producer records {@link CustomerPartitioner} asks for: the same key,
 * value and timestamp, each with its explicit partition. Every writer of the three CDC topics (the capture, the dev
 * tools, the tests) produces through this, so none of them relies on the producer's default partitioner.
 *
 * <p>The partition count of a topic is read once (the producer's metadata: {@code partitionsFor(topic).size()}) and
 * cached: the CDC topics are never re-partitioned while a writer runs (the streams app refuses differing counts).
 */
public final class ChangeRouter {

    private final ToIntFunction<String> partitionCount;
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();

    /** @param partitionCount a topic's partition count (e.g. from producer metadata), asked once per topic */
    public ChangeRouter(final ToIntFunction<String> partitionCount) {
        this.partitionCount = partitionCount;
    }

    /** A router over {@code producer}'s metadata. */
    public static ChangeRouter of(final Producer<?, ?> producer) {
        return new ChangeRouter(topic -> producer.partitionsFor(topic).size());
    }

    /** The partition count of {@code topic}, read once. */
    public int partitionCount(final String topic) {
        return counts.computeIfAbsent(topic, t -> {
            final int n = partitionCount.applyAsInt(t);
            if (n < 1) {
                throw new IllegalStateException("topic " + t + " has no partitions (does it exist?)");
            }
            return n;
        });
    }

    /**
     * What {@link CustomerPartitioner} routes a record of the CDC topics by: the key for a tombstone ({@code value}
     * null) and for a customer change (the key is the customer; a DELETE may carry no image), else the change.
     */
    public static Object routedBy(final Object key, final Object value) {
        return value == null || value instanceof CustomerChange ? key : value;
    }

    /**
     * The records of one change.
     *
     * @param topic       the CDC topic's name
     * @param change      what {@link CustomerPartitioner} routes by: the change record ({@code FlightChange},
     *                    {@code VehicleChange}) or the key ({@code CustomerKey}, or any key for a tombstone), see
     *                    {@link #routedBy}
     * @param timestampMs the record timestamp (null = now)
     * @param key         the key as the producer takes it (an object or its serialized bytes)
     * @param value       the value as the producer takes it (null = tombstone)
     */
    public <K, V> List<ProducerRecord<K, V>> records(final String topic, final Object change, final Long timestampMs,
                                                     final K key, final V value) {
        final int[] partitions = CustomerPartitioner.partitions(change, partitionCount(topic));
        final List<ProducerRecord<K, V>> out = new ArrayList<>(partitions.length);
        for (final int p : partitions) {
            out.add(new ProducerRecord<>(topic, p, timestampMs, key, value));
        }
        return out;
    }

    /**
     * Sends the records of one change over {@code producer} (arguments as in {@link #records}); one future per
     * record, each record's outcome also to {@code callback} when not null.
     */
    public <K, V> List<Future<RecordMetadata>> send(final Producer<K, V> producer, final String topic,
                                                    final Object change, final Long timestampMs, final K key,
                                                    final V value, final Callback callback) {
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (final ProducerRecord<K, V> record : records(topic, change, timestampMs, key, value)) {
            sent.add(producer.send(record, callback));
        }
        return sent;
    }
}
