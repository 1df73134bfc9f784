package io.rtdw.cdc.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.runtime.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * The source offsets an embedded engine stored in the offsets topic, read and removed from outside the engine.
 *
 * <p>Kafka Connect's offset store ({@code KafkaOffsetBackingStore}, as the engines are configured in
 * {@link EngineProperties}) writes one record per source partition: the key is the JSON list
 * {@code ["<engine name>", {<partition>}]}, the value the JSON offset ({@code {"lsn": ..., "lsn_proc": ...}} for
 * PostgreSQL); the newest record of a key wins and a record without value (a tombstone) removes the offset. Reading
 * it here costs one pass over the (compacted, one-partition) topic.
 */
public final class StoredOffsets {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private StoredOffsets() {
    }

    /**
     * The current offset of each source partition of {@code engine}: partition key (the record key as JSON) to the
     * offset's fields. Empty when the engine never committed (or its offsets were reset).
     */
    public static Map<String, Map<String, Object>> read(final KafkaClients kafka, final String topic,
                                                        final String engine) {
        final Map<ByteBuffer, byte[]> latest = latest(kafka, topic);
        final Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        latest.forEach((key, value) -> {
            if (value != null && ownedBy(key, engine)) {
                out.put(new String(key.array(), java.nio.charset.StandardCharsets.UTF_8), parse(value));
            }
        });
        return out;
    }

    /**
     * Removes every stored offset of {@code engine} (one tombstone per source partition, acknowledged by all
     * in-sync replicas): the engine starts next time as if it never ran (a snapshot with {@code snapshot.mode=initial}).
     * The engine must be stopped, or it writes its offsets again.
     *
     * @return the offsets removed, as {@link #read} returned them
     */
    public static Map<String, Map<String, Object>> reset(final KafkaClients kafka, final String topic,
                                                         final String engine) {
        final Map<ByteBuffer, byte[]> latest = latest(kafka, topic);
        final Map<String, Map<String, Object>> removed = new LinkedHashMap<>();
        final List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producer("rtdw-cdc-reset-offsets"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            latest.forEach((key, value) -> {
                if (value != null && ownedBy(key, engine)) {
                    removed.put(new String(key.array(), java.nio.charset.StandardCharsets.UTF_8), parse(value));
                    sent.add(producer.send(new ProducerRecord<>(topic, key.array(), null)));
                }
            });
            producer.flush();
            for (final Future<RecordMetadata> future : sent) {
                future.get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write the reset of " + engine + "'s offsets to " + topic + ": "
                    + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while resetting " + engine + "'s offsets", e);
        }
        return removed;
    }

    /**
     * Writes one record in the offset store's own format, {@code ["<name>", {partition}]} to {@code value} (JSON),
     * acknowledged by all in-sync replicas. For what the capture records beside the engine's offsets (under a name
     * of its own, which no engine reads).
     */
    public static void write(final KafkaClients kafka, final String topic, final String name,
                             final Map<String, ?> partition, final Map<String, ?> value) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producer("rtdw-cdc-offsets-writer"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, JSON.writeValueAsBytes(List.of(name, partition)),
                    JSON.writeValueAsBytes(value))).get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (final IOException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write " + name + " to " + topic + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing " + name + " to " + topic, e);
        }
    }

    /** Every key's newest value in the topic ({@code null}: removed), read from the beginning to the current end. */
    private static Map<ByteBuffer, byte[]> latest(final KafkaClients kafka, final String topic) {
        final Map<ByteBuffer, byte[]> latest = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafka.consumer(null),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("the offsets topic " + topic + " does not exist");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p, TIMEOUT) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the offsets topic " + topic + " to its end in "
                            + TIMEOUT.toSeconds() + " s");
                }
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() != null) {
                        latest.put(ByteBuffer.wrap(r.key()), r.value());
                    }
                }
            }
        }
        return latest;
    }

    private static boolean ownedBy(final ByteBuffer key, final String engine) {
        try {
            final JsonNode node = JSON.readTree(key.array());
            return node.isArray() && node.size() > 0 && engine.equals(node.get(0).asText());
        } catch (final IOException e) {
            return false; // not a Connect offset key: not ours
        }
    }

    private static Map<String, Object> parse(final byte[] value) {
        try {
            return JSON.readValue(value, new TypeReference<Map<String, Object>>() { });
        } catch (final IOException e) {
            throw new IllegalStateException("unreadable stored offset: " + e.getMessage(), e);
        }
    }
}
