package io.rtdw.cdc.engine;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;

/**
 * The one Kafka producer of the CDC process, with the required durability settings: {@code acks=all},
 * {@code enable.idempotence=true}, {@code max.in.flight.requests.per.connection} configurable (1 by default).
 * Keys go through {@link RegistrySerdes#keySerde}, values through {@link RegistrySerdes#valueSerde}; every record
 * carries the source commit time as its Kafka timestamp.
 */
public final class ChangeProducer implements AutoCloseable {

    private final Producer<byte[], byte[]> producer;
    private final RegistrySerdes serdes;
    private final TopicCatalog catalog;
    private final Map<String, Serializer<Object>> keySerializers = new ConcurrentHashMap<>();
    private final Map<String, Serializer<Object>> valueSerializers = new ConcurrentHashMap<>();

    public ChangeProducer(final String bootstrapServers, final int maxInFlight, final String clientId,
                          final RegistrySerdes serdes, final TopicCatalog catalog) {
        this(new KafkaProducer<>(config(bootstrapServers, maxInFlight, clientId), new ByteArraySerializer(),
                new ByteArraySerializer()), serdes, catalog);
    }

    /** Over any byte-array producer (tests use Kafka's MockProducer to fail a send). */
    public ChangeProducer(final Producer<byte[], byte[]> producer, final RegistrySerdes serdes,
                          final TopicCatalog catalog) {
        this.producer = producer;
        this.serdes = serdes;
        this.catalog = catalog;
    }

    /** The producer settings, for the record and the tests. */
    public static Map<String, Object> config(final String bootstrapServers, final int maxInFlight,
                                             final String clientId) {
        final Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, maxInFlight);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return c;
    }

    /** Sends one change; the future completes when all in-sync replicas have it. */
    @SuppressWarnings("unchecked")
    public Future<RecordMetadata> send(final MappedChange<?, ?> change) {
        final Topic<?, ?> topic = change.topic();
        final Serializer<Object> keys = keySerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) RegistrySerdes.keySerde((Topic<Object, ?>) topic).serializer());
        final Serializer<Object> values = valueSerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) (Serializer<?>) serdes.value(topic.valueType().asSubclass(SpecificRecord.class))
                        .serializer());
        return producer.send(new ProducerRecord<>(topic.name(), null, change.commitTsMs(),
                keys.serialize(topic.name(), change.key()), values.serialize(topic.name(), change.value())));
    }

    /** Sends a dead letter to {@link TopicCatalog#cdcDeadLetters()}. */
    @SuppressWarnings("unchecked")
    public Future<RecordMetadata> sendDeadLetter(final byte[] key, final DeadLetter letter) {
        final Topic<byte[], DeadLetter> topic = catalog.cdcDeadLetters();
        final Serializer<Object> values = valueSerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) (Serializer<?>) serdes.value(DeadLetter.class).serializer());
        return producer.send(new ProducerRecord<>(topic.name(), key, values.serialize(topic.name(), letter)));
    }

    /** Blocks until every record sent so far is acknowledged or failed. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(30));
    }
}
