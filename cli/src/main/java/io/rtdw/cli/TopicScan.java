package io.rtdw.cli;

import io.rtdw.runtime.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Reads partitions of a topic with a consumer of no group (nothing is committed, no group is joined), through the
 * runtime's client factory. Bounded reads stop at offsets fixed before reading (the end offsets when the command
 * started): the result does not depend on timing. With {@code read_committed} (the default) the end is the last
 * stable offset, so an open transaction's records are neither waited for nor shown. Public for dev-tools' erase.
 */
public final class TopicScan implements AutoCloseable {

    /** The scan could not finish: no such topic, or the end was not reached in time. */
    public static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed(final String message) {
            super(message);
        }
    }

    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaConsumer<byte[], byte[]> consumer;

    /**
     * @param timeout how long one call to Kafka (metadata, offsets) may take before the command gives up, unless
     *                {@code KAFKA_DEFAULT_API_TIMEOUT_MS} says otherwise
     */
    public TopicScan(final KafkaClients clients, final String clientId, final boolean readCommitted,
              final Duration timeout) {
        final Map<String, Object> config = clients.consumer(null);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        if (!clients.overrides().containsKey(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG)) {
            config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE,
                    timeout.toMillis()));
        }
        if (!readCommitted) {
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        }
        consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** The partitions of {@code topic}, in order; {@link Failed} when the cluster has no such topic. */
    public List<TopicPartition> partitions(final String topic) throws Failed {
        final List<PartitionInfo> infos = consumer.partitionsFor(topic);
        if (infos == null || infos.isEmpty()) {
            throw new Failed("topic " + topic + " does not exist on the cluster");
        }
        final List<TopicPartition> out = new ArrayList<>();
        infos.stream().sorted(Comparator.comparingInt(PartitionInfo::partition))
                .forEach(p -> out.add(new TopicPartition(topic, p.partition())));
        return out;
    }

    public Map<TopicPartition, Long> beginning(final List<TopicPartition> partitions) {
        assigned(partitions);
        return consumer.beginningOffsets(partitions);
    }

    /** End offsets now (with read_committed: the last stable offsets). */
    public Map<TopicPartition, Long> end(final List<TopicPartition> partitions) {
        assigned(partitions);
        return consumer.endOffsets(partitions);
    }

    /**
     * Offset look-ups of partitions the consumer is not assigned make it log a warning per partition ("Not updating
     * ... as it is no longer assigned"): assign them first.
     */
    private void assigned(final List<TopicPartition> partitions) {
        if (!consumer.assignment().containsAll(partitions)) {
            consumer.assign(partitions);
        }
    }

    /** The first offset of each partition with a timestamp at or after {@code timestampMs} (the end if none). */
    Map<TopicPartition, Long> since(final List<TopicPartition> partitions, final long timestampMs) {
        final Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, timestampMs));
        assigned(partitions);
        final Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
        final Map<TopicPartition, Long> end = end(partitions);
        final Map<TopicPartition, Long> out = new HashMap<>();
        for (final TopicPartition p : partitions) {
            final OffsetAndTimestamp at = found.get(p);
            out.put(p, at == null ? end.get(p) : at.offset());
        }
        return out;
    }

    /**
     * Hands every record in {@code [from, to)} of each partition to {@code handler} (in poll order), until
     * {@code handler} returns false or all partitions reached {@code to}. {@link Failed} after {@code timeout}.
     *
     * @return false when the handler stopped the scan
     */
    public boolean bounded(final Map<TopicPartition, Long> from, final Map<TopicPartition, Long> to, final Duration timeout,
                    final Predicate<ConsumerRecord<byte[], byte[]>> handler) throws Failed {
        final List<TopicPartition> open = new ArrayList<>();
        from.forEach((p, start) -> {
            if (start < to.get(p)) {
                open.add(p);
            }
        });
        if (open.isEmpty()) {
            return true;
        }
        consumer.assign(open);
        open.forEach(p -> consumer.seek(p, from.get(p)));
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                final TopicPartition p = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < to.get(p) && !handler.test(record)) {
                    return false;
                }
            }
            open.removeIf(p -> consumer.position(p) >= to.get(p));
            if (open.isEmpty()) {
                return true;
            }
            consumer.pause(consumer.assignment().stream().filter(p -> !open.contains(p)).toList());
            if (System.nanoTime() > deadline) {
                final StringBuilder where = new StringBuilder();
                open.forEach(p -> where.append(' ').append(p).append(" at ").append(consumer.position(p))
                        .append(" of ").append(to.get(p)));
                throw new Failed("the end offsets of the start were not reached within " + timeout.toSeconds()
                        + " s:" + where);
            }
        }
    }

    /** Hands every record from {@code from} on to {@code handler} until it returns false or {@code stop} says so. */
    void follow(final Map<TopicPartition, Long> from, final BooleanSupplier stop,
                final Predicate<ConsumerRecord<byte[], byte[]>> handler) {
        consumer.assign(new ArrayList<>(from.keySet()));
        from.forEach(consumer::seek);
        while (!stop.getAsBoolean()) {
            for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                if (!handler.test(record)) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
