package io.rtdw.testing;

import io.rtdw.catalog.ChangeRouter;
import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes {@link SourceChange}s to their source topics the way the CDC process does: plain Avro key, registry-framed
 * value (on the registry the test gives, usually {@link RegistryServer#serdes()}), the source commit time as record timestamp, an idempotent producer with
 * {@code acks=all} and one request in flight (order per partition holds across retries), and each change in its
 * customer's partition(s) ({@link ChangeRouter}, the rule of {@code CustomerPartitioner}: a moved child in both
 * customers' partitions, a child change without its old customer in every partition).
 */
public final class SourceChangeWriter implements AutoCloseable {

    private final TopicCatalog catalog;
    private final RegistrySerdes registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ChangeRouter router;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    public SourceChangeWriter(final String bootstrapServers, final TopicCatalog catalog, final RegistrySerdes registry) {
        this.catalog = catalog;
        this.registry = registry;
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.router = ChangeRouter.of(producer);
    }

    /**
     * Sends one change to its customer's partition(s) (a null value is a tombstone: a customer's to its partition,
     * a child's to every partition); {@link #flush()} waits for the acknowledgements.
     */
    @SuppressWarnings("unchecked")
    public void send(final SourceChange change) {
        final Topic<SpecificRecord, SpecificRecord> topic = (Topic<SpecificRecord, SpecificRecord>) change.table().topic(catalog);
        final Serde<SpecificRecord> keySerde = RegistrySerdes.keySerde(topic);
        router.send(producer, topic.name(), ChangeRouter.routedBy(change.key(), change.value()),
                change.timestampMs(), keySerde.serializer().serialize(topic.name(), change.key()),
                change.value() == null ? null : registry.valueSerde(topic).serializer().serialize(topic.name(), change.value()),
                this::noteFailure);
    }

    /** Sends every change in order, then waits for the acknowledgements ({@link #flush()}). */
    public void sendAll(final Collection<SourceChange> changes) {
        changes.forEach(this::send);
        flush();
    }

    /**
     * Sends bytes as they are (a poison pill, a foreign key format), with Kafka's default partitioner: they name no
     * customer; timestamp null = now.
     */
    public void sendBytes(final String topic, final byte[] key, final byte[] value, final Long timestampMs) {
        producer.send(new ProducerRecord<>(topic, null, timestampMs, key, value), this::noteFailure);
    }

    private void noteFailure(final org.apache.kafka.clients.producer.RecordMetadata metadata, final Exception error) {
        if (error != null) {
            failure.compareAndSet(null, error);
        }
    }

    /** Waits until everything sent so far is acknowledged; fails if a send failed. */
    public void flush() {
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("a source change was not written: " + failure.get().getMessage(),
                    failure.get());
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
