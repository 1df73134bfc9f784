package io.rtdw.streams.config;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamsSettingsTest {

    @Test
    void defaultsAreTheDurableOnes() {
        final Properties p = StreamsSettings.fromEnv(Map.of()).toProperties();
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals(3, p.get(StreamsConfig.REPLICATION_FACTOR_CONFIG));
        assertEquals("2", p.get("topic.min.insync.replicas"));
        // The changelog holds personal data: compaction bounded like the catalog's topics.
        assertEquals(String.valueOf(7L * 24 * 60 * 60 * 1000), p.get("topic.max.compaction.lag.ms"));
        assertEquals(String.valueOf(24L * 60 * 60 * 1000), p.get("topic.segment.ms"));
        assertEquals(String.valueOf(24L * 60 * 60 * 1000), p.get("topic.delete.retention.ms"));
        assertEquals("all", p.get("producer.acks"));
        assertEquals(true, p.get("producer.enable.idempotence"));
        assertEquals(1, p.get("producer.max.in.flight.requests.per.connection"));
        assertEquals("read_committed", p.get("consumer.isolation.level"));
        assertFalse(p.containsKey("consumer.enable.auto.commit"), "Kafka Streams owns commits and logs an error if set");
        assertEquals(true, p.get(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG));
        assertFalse(p.containsKey("consumer.group.instance.id"), "dynamic membership unless an instance id is set");
    }

    @Test
    void environmentMapsToProperties() {
        final StreamsSettings s = StreamsSettings.fromEnv(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", "b1:9092,b2:9092",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\";",
                "RTDW_PROCESSING_GUARANTEE", "at_least_once",
                "RTDW_INSTANCE_ID", "streams-app-2",
                "RTDW_COMMIT_INTERVAL_MS", "1000",
                "RTDW_MAX_IN_FLIGHT", "5"));
        final Properties p = s.toProperties();
        assertEquals("b1:9092,b2:9092", p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        assertEquals("SASL_SSL", p.get("security.protocol"));
        assertEquals(StreamsConfig.AT_LEAST_ONCE, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("streams-app-2", p.get("consumer.group.instance.id"));
        assertEquals(1000L, p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
        assertEquals(5, p.get("producer.max.in.flight.requests.per.connection"));
        assertEquals("org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\";",
                p.get("sasl.jaas.config"), "pass-through reaches every client Kafka Streams creates");
    }

    @Test
    void theStartUpLineHidesSecrets() {
        final io.rtdw.runtime.Env env = io.rtdw.runtime.Env.of(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cret\";"));
        StreamsSettings.fromEnv(env);
        final String logged = env.describe();
        assertFalse(logged.contains("s3cret"), logged);
        assertTrue(logged.contains("KAFKA_SASL_JAAS_CONFIG=***"), logged);
        assertTrue(logged.contains("KAFKA_SECURITY_PROTOCOL=SASL_SSL"), logged);
    }

    @Test
    void thePassThroughWinsOverTheAppsOwnClientSettings() {
        final Properties p = StreamsSettings.fromEnv(Map.of("KAFKA_PRODUCER_MAX_REQUEST_SIZE", "8388608",
                "KAFKA_CONSUMER_AUTO_OFFSET_RESET", "latest")).toProperties();
        assertEquals("8388608", p.get("producer.max.request.size"));
        assertEquals("latest", p.get("consumer.auto.offset.reset"));
    }

    @Test
    void aPassThroughVariableCannotTurnOffReadCommitted() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamsSettings.fromEnv(
                Map.of("KAFKA_ISOLATION_LEVEL", "read_uncommitted")));
        assertTrue(e.getMessage().contains("isolation.level"), e.getMessage());
    }

    @Test
    void badValuesAreAllReportedAtOnce() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamsSettings.fromEnv(
                Map.of("RTDW_MAX_IN_FLIGHT", "9", "RTDW_MAX_CHILDREN", "0", "RTDW_APPLICATION_ID", "has space")));
        assertTrue(e.getMessage().contains("RTDW_MAX_IN_FLIGHT"), e.getMessage());
        assertTrue(e.getMessage().contains("RTDW_MAX_CHILDREN"), e.getMessage());
        assertTrue(e.getMessage().contains("RTDW_APPLICATION_ID"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StreamsSettings.fromEnv(Map.of("RTDW_PROCESSING_GUARANTEE", "exactly_once")));
        assertThrows(IllegalArgumentException.class,
                () -> StreamsSettings.fromEnv(Map.of("RTDW_COMMIT_INTERVAL_MS", "soon")));
    }
}
