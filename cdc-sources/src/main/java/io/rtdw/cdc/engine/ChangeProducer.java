package io.rtdw.cdc.engine;

import io.micrometer.core.instrument.Counter;
import io.rtdw.catalog.ChangeRouter;
import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.ServiceMetrics;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The one Kafka producer of the CDC process, with the durability settings of {@link KafkaClients#producer}:
 * {@code acks=all}, {@code enable.idempotence=true}, {@code max.in.flight.requests.per.connection} configurable (1
 * by default), plus the {@code KAFKA_*} pass-through.
 * Keys go through {@link RegistrySerdes#keySerde}, values through {@link RegistrySerdes#valueSerde}; every record
 * carries the source commit time as its Kafka timestamp.
 *
 * <p>A change goes to its customer's partition ({@link CustomerPartitioner} through {@link ChangeRouter}): one
 * record, or two for a child that moved customer, or one per partition for a child change whose before image does
 * not name its old customer (a broadcast: counted in {@code rtdw_cdc_changes_broadcast_total{table}}, with a WARN the
 * first time per table, since it means the source lacks full before images or a bad row was retracted).
 */
public final class ChangeProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeProducer.class);

    private final Producer<byte[], byte[]> producer;
    private final ChangeRouter router;
    private volatile ServiceMetrics metrics;
    private final Map<String, Counter> broadcasts = new ConcurrentHashMap<>();
    private final Map<String, Boolean> warned = new ConcurrentHashMap<>();
    private final RegistrySerdes serdes;
    private final TopicCatalog catalog;
    private final Map<String, Serializer<Object>> keySerializers = new ConcurrentHashMap<>();
    private final Map<String, Serializer<Object>> valueSerializers = new ConcurrentHashMap<>();

    public ChangeProducer(final KafkaClients clients, final String clientId, final RegistrySerdes serdes,
                          final TopicCatalog catalog) {
        this(new KafkaProducer<>(config(clients, clientId), new ByteArraySerializer(), new ByteArraySerializer()),
                serdes, catalog);
    }

    /** A producer on {@code bootstrapServers} without pass-through properties (tools and tests). */
    public ChangeProducer(final String bootstrapServers, final int maxInFlight, final String clientId,
                          final RegistrySerdes serdes, final TopicCatalog catalog) {
        this(KafkaClients.of(bootstrapServers).withMaxInFlight(maxInFlight), clientId, serdes, catalog);
    }

    /** Over any byte-array producer (tests use Kafka's MockProducer to fail a send). */
    public ChangeProducer(final Producer<byte[], byte[]> producer, final RegistrySerdes serdes,
                          final TopicCatalog catalog) {
        this.producer = producer;
        this.router = ChangeRouter.of(producer);
        this.serdes = serdes;
        this.catalog = catalog;
    }

    /** The producer settings: the shared durable producer, a short linger and lz4 unless the operator set them. */
    public static Map<String, Object> config(final KafkaClients clients, final String clientId) {
        final Map<String, Object> c = new HashMap<>(clients.producer(clientId));
        c.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        c.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return c;
    }

    /** Exports the producer's own metrics (record send rate, errors, request latency) to {@code metrics}. */
    public void bindMetrics(final ServiceMetrics metrics) {
        metrics.bind(new KafkaClientMetrics(producer));
        this.metrics = metrics;
    }

    /**
     * Sends one change to the partition(s) of its customer; one future per record written, each complete when all
     * in-sync replicas have it.
     */
    public List<Future<RecordMetadata>> send(final MappedChange<?, ?> change) {
        if (CustomerPartitioner.broadcast(change.value())) {
            broadcast(change);
        }
        final Topic<?, ?> topic = change.topic();
        return router.send(producer, topic.name(), ChangeRouter.routedBy(change.key(), change.value()),
                change.commitTsMs(), keyBytes(change), valueBytes(change), null);
    }

    /**
     * Sends one change to one partition chosen by the caller, who knows where the row is held (the snapshot
     * reconciliation: the partition whose records hold the row live).
     */
    public Future<RecordMetadata> sendTo(final MappedChange<?, ?> change, final int partition) {
        return producer.send(new ProducerRecord<>(change.topic().name(), partition, change.commitTsMs(),
                keyBytes(change), valueBytes(change)));
    }

    @SuppressWarnings("unchecked")
    private byte[] keyBytes(final MappedChange<?, ?> change) {
        final Topic<?, ?> topic = change.topic();
        return keySerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) RegistrySerdes.keySerde((Topic<Object, ?>) topic).serializer())
                .serialize(topic.name(), change.key());
    }

    @SuppressWarnings("unchecked")
    private byte[] valueBytes(final MappedChange<?, ?> change) {
        final Topic<?, ?> topic = change.topic();
        return valueSerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) (Serializer<?>) serdes.value(topic.valueType().asSubclass(SpecificRecord.class))
                        .serializer()).serialize(topic.name(), change.value());
    }

    private void broadcast(final MappedChange<?, ?> change) {
        final String table = change.source() == null ? change.topic().name() : change.source().getTable();
        final ServiceMetrics m = metrics;
        if (m != null) {
            broadcasts.computeIfAbsent(table, t -> m.counter("changes.broadcast", "Child changes written to every "
                    + "partition because their before image does not name the old customer.", "table", t))
                    .increment();
        }
        if (warned.putIfAbsent(table, Boolean.TRUE) == null) {
            LOG.warn("{} at {}: a {} change without the old customer in its before image goes to all {} partitions "
                            + "of {} (and so will every such change, counted in rtdw_cdc_changes_broadcast_total): "
                            + "either the source does not give full before images (PostgreSQL: REPLICA IDENTITY FULL; "
                            + "MongoDB: changeStreamPreAndPostImages), or this retracts a row whose old image could "
                            + "not be read (see the dead letter)",
                    table, change.position(), change.value().get(change.value().getSchema().getField("op").pos()),
                    router.partitionCount(change.topic().name()), change.topic().name());
        }
    }

    /** Sends a dead letter to {@link TopicCatalog#cdcDeadLetters()}. */
    @SuppressWarnings("unchecked")
    public Future<RecordMetadata> sendDeadLetter(final byte[] key, final DeadLetter letter) {
        final Topic<byte[], DeadLetter> topic = catalog.cdcDeadLetters();
        final Serializer<Object> values = valueSerializers.computeIfAbsent(topic.name(),
                n -> (Serializer<Object>) (Serializer<?>) serdes.value(DeadLetter.class).serializer());
        return producer.send(new ProducerRecord<>(topic.name(), key, values.serialize(topic.name(), letter)));
    }

    /**
     * Flushes, then blocks until Kafka acknowledged every record in {@code sent}.
     *
     * @param refused the message when one was not acknowledged, {@code %s} standing for Kafka's reason
     * @throws IllegalStateException with {@code refused} when a record was not acknowledged
     */
    public void awaitAcks(final List<Future<RecordMetadata>> sent, final String refused) throws InterruptedException {
        flush();
        for (final Future<RecordMetadata> future : sent) {
            try {
                future.get();
            } catch (final ExecutionException e) {
                throw new IllegalStateException(String.format(refused, e.getCause().getMessage()), e.getCause());
            }
        }
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
