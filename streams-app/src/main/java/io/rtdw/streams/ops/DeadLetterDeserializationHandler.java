package io.rtdw.streams.ops;

import io.rtdw.catalog.DeadLetters;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records whose <em>key</em> cannot be read never reach the topology (values are decoded inside it, where their
 * dead letters join the task's transaction). This handler writes them to the dead-letter topic with its own
 * idempotent producer, waits for the acknowledgement, and lets processing continue: no crash loop, no silent drop.
 * Because that write is outside the task's transaction, a crash right after it can repeat it (at least once).
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    private Producer<byte[], byte[]> producer;
    private Serializer<DeadLetter> serializer;
    private String topic;

    @Override
    public void configure(final Map<String, ?> configs) {
        final TopicCatalog catalog = TopicCatalog.fromEnv(System.getenv());
        final Topic<byte[], DeadLetter> dlq = catalog.streamsDeadLetters();
        topic = dlq.name();
        serializer = RegistrySerdes.fromEnv(System.getenv()).valueSerde(dlq).serializer();
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, configs.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, configs.get(StreamsConfig.APPLICATION_ID_CONFIG) + "-key-dead-letters");
        configs.forEach((k, v) -> {
            if (k.startsWith("security.") || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                props.put(k, v);
            }
        });
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
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
