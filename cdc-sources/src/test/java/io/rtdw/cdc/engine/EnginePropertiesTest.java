package io.rtdw.cdc.engine;

import io.rtdw.cdc.CdcConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EnginePropertiesTest {

    /**
     * Kafka Connect's KafkaOffsetBackingStore builds its producer, consumer and admin client from a copy of the
     * worker's original properties (read from its bytecode, Kafka 4.1.2): top-level properties reach all three.
     */
    @Test
    void theOffsetStoreGetsTheBootstrapServersAndThePassThrough() {
        final Properties p = EngineProperties.common(CdcConfig.fromEnv(Map.of("RTDW_CDC_SOURCES", "postgres",
                "KAFKA_BOOTSTRAP_SERVERS", "k1:9093", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")), "postgres");
        assertEquals("k1:9093", p.getProperty("bootstrap.servers"));
        assertEquals("SASL_SSL", p.getProperty("security.protocol"));
        assertEquals("SCRAM-SHA-512", p.getProperty("sasl.mechanism"));
        assertEquals("rtdw.cdc.offsets", p.getProperty("offset.storage.topic"));
    }
}
