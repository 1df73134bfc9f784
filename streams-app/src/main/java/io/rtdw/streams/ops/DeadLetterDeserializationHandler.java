package io.rtdw.streams.ops;

import io.rtdw.catalog.DeadLetters;
import io.rtdw.catalog.Topic;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records whose <em>key</em> cannot be read never reach the topology (values are decoded inside it, where their
 * dead letters join the task's transaction). This handler writes them to the dead-letter topic with its own
 * idempotent producer, waits for the acknowledgement, and lets processing continue: no crash loop, no silent drop.
 * Because that write is outside the task's transaction, a crash right after it can repeat it (at least once).
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

    /** Streams property holding the dead-letter {@link Topic} (an object, set by the app). */
    public static final String TOPIC_CONFIG = "rtdw.dead.letter.topic";
    /** Streams property holding the app's {@link RegistrySerdes}. */
    public static final String SERDES_CONFIG = "rtdw.registry.serdes";
    /**
     * Streams property holding the app's one dead-letter producer: Kafka Streams configures a handler per task (active
     * and standby), so each must not open a producer of its own; the app closes it.
     */
    public static final String PRODUCER_CONFIG = "rtdw.dead.letter.producer";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    private Producer<byte[], byte[]> producer;
    private Serializer<DeadLetter> serializer;
    private String topic;

    /**
     * Configured from the app's own objects (never from the environment again): the topic the topology's dead
     * letters go to, the registry serdes, and the app's dead-letter producer.
     */
    @Override
    @SuppressWarnings("unchecked")
    public void configure(final Map<String, ?> configs) {
        final Topic<byte[], DeadLetter> dlq = (Topic<byte[], DeadLetter>) required(configs, TOPIC_CONFIG, Topic.class);
        topic = dlq.name();
        serializer = required(configs, SERDES_CONFIG, RegistrySerdes.class).valueSerde(dlq).serializer();
        producer = (Producer<byte[], byte[]>) required(configs, PRODUCER_CONFIG, Producer.class);
    }

    /** The app's dead-letter producer: idempotent, {@code acks=all}, the service's pass-through settings. */
    public static Producer<byte[], byte[]> producer(final KafkaClients clients, final String applicationId) {
        return new KafkaProducer<>(clients.producer(applicationId + "-key-dead-letters"), new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    private static <T> T required(final Map<String, ?> configs, final String key, final Class<T> type) {
        final Object value = configs.get(key);
        if (!type.isInstance(value)) {
            throw new IllegalStateException(key + " must be set to a " + type.getSimpleName()
                    + " by the app that builds the Kafka Streams properties (see StreamsApp), was " + value);
        }
        return type.cast(value);
    }

    @Override
    public DeserializationHandlerResponse handle(final ErrorHandlerContext context,
                                                 final ConsumerRecord<byte[], byte[]> record,
                                                 final Exception exception) {
        final DeadLetter deadLetter = DeadLetters.of("streams-app", record,
                "undeserializable key: " + exception.getMessage(), exception);
        try {
            producer.send(new ProducerRecord<>(topic, record.key(), serializer.serialize(topic, deadLetter)))
                    .get(60, TimeUnit.SECONDS);
        } catch (final Exception e) {
            LOG.error("cannot write the dead letter of {}-{}@{}; stopping rather than dropping it",
                    record.topic(), record.partition(), record.offset(), e);
            return DeserializationHandlerResponse.FAIL;
        }
        LOG.warn("dead letter from {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                deadLetter.getReason());
        return DeserializationHandlerResponse.CONTINUE;
    }
}
