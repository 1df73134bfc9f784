package io.rtdw.bench;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Raw Kafka ceiling for our output: one transactional producer ({@code acks=all}, idempotent, the given
 * {@code max.in.flight}) writing records of the output record's size to a topic shaped like the output topic,
 * committing a transaction every {@code commitMs}, and a {@code read_committed} consumer; the rate is records over
 * the time from the first send to the last record consumed.
 */
public final class KafkaCeiling {

    private KafkaCeiling() {
    }

    /** Returns records per second. */
    public static double transactional(final String bootstrap, final Topic<CustomerKey, UnifiedCustomer> topic,
                                       final byte[] value, final int records, final int maxInFlight,
                                       final long commitMs) throws InterruptedException {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, maxInFlight);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "ceiling-" + UUID.randomUUID());
        // Kafka Streams' own producer default: batches fill for up to 100 ms under exactly-once.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 100);
        final Serializer<CustomerKey> keys = io.rtdw.serde.RegistrySerdes.keySerde(topic).serializer();
        try (TopicCounter counter = new TopicCounter(bootstrap, List.of(topic.name()));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            producer.initTransactions();
            final long start = System.nanoTime();
            int sent = 0;
            while (sent < records) {
                producer.beginTransaction();
                final long txEnd = System.nanoTime() + commitMs * 1_000_000;
                while (sent < records && System.nanoTime() < txEnd) {
                    producer.send(new ProducerRecord<>(topic.name(),
                            keys.serialize(topic.name(), new CustomerKey(sent % 100_000)), value));
                    sent++;
                }
                producer.commitTransaction();
            }
            final long last = counter.awaitCount(records, Duration.ofMinutes(5));
            return records / ((last - start) / 1e9);
        }
    }
}
