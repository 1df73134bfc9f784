package io.rtdw.lake;

import io.rtdw.runtime.KafkaClients;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LakeSinkConfigTest {

    private static Map<String, String> minimal() {
        final Map<String, String> env = new HashMap<>();
        env.put(KafkaClients.BOOTSTRAP_SERVERS.name(), "kafka:9092");
        env.put(LakeSinkConfig.S3_ENDPOINT.name(), "http://minio:9000");
        env.put(LakeSinkConfig.S3_ACCESS_KEY.name(), "ak");
        env.put(LakeSinkConfig.S3_SECRET_KEY.name(), "very-secret");
        return env;
    }

    @Test
    void defaults() {
        final LakeSinkConfig config = LakeSinkConfig.fromEnv(minimal());
        assertEquals("rtdw-lake", config.bucket());
        assertEquals("us-east-1", config.s3Region());
        assertEquals(10_000, config.maxRecordsPerFile());
        assertEquals(Duration.ofMinutes(1), config.flushInterval());
        assertEquals(Duration.ofMinutes(15), config.snapshotInterval());
        assertEquals(CompressionCodecName.SNAPPY, config.compression());
        assertEquals("rtdw.warehouse.unified_customer", config.catalog().unifiedCustomers().name());
    }

    @Test
    void kafkaVariablesBecomeClientPropertiesAndReadCommittedIsNotOptional() {
        final Map<String, String> env = minimal();
        env.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        final Map<String, Object> props = LakeSink.consumerProperties(LakeSinkConfig.fromEnv(env));
        assertEquals("SSL", props.get("security.protocol"));
        assertEquals("read_committed", props.get("isolation.level"));
        assertEquals(false, props.get("enable.auto.commit"));
        assertEquals("kafka:9092", props.get("bootstrap.servers"));
    }

    @Test
    void secretIsNeverPrinted() {
        final String text = LakeSinkConfig.fromEnv(minimal()).toString();
        assertFalse(text.contains("very-secret"));
        assertTrue(text.contains("<redacted>"));
        final io.rtdw.runtime.Env env = io.rtdw.runtime.Env.of(minimal());
        LakeSinkConfig.fromEnv(env);
        assertFalse(env.describe().contains("very-secret"), env.describe());
        assertTrue(env.describe().contains("S3_SECRET_KEY=***"), env.describe());
    }

    @Test
    void everyMissingVariableIsNamedAtOnce() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LakeSinkConfig.fromEnv(Map.of("RTDW_LAKE_MAX_RECORDS", "0")));
        for (final String name : new String[] {"S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "RTDW_LAKE_MAX_RECORDS"}) {
            assertTrue(e.getMessage().contains(name), name + " in " + e.getMessage());
        }
    }

    @Test
    void clearErrors() {
        final Map<String, String> noEndpoint = minimal();
        noEndpoint.remove("S3_ENDPOINT");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LakeSinkConfig.fromEnv(noEndpoint))
                .getMessage().contains("S3_ENDPOINT"));
        final Map<String, String> badNumber = minimal();
        badNumber.put("RTDW_LAKE_MAX_RECORDS", "many");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LakeSinkConfig.fromEnv(badNumber))
                .getMessage().contains("RTDW_LAKE_MAX_RECORDS"));
        final Map<String, String> lz4 = minimal();
        lz4.put("RTDW_LAKE_COMPRESSION", "lz4");
        assertThrows(IllegalArgumentException.class, () -> LakeSinkConfig.fromEnv(lz4));
    }

    @Test
    void instancesSharePartitionsByStatefulSetOrdinal() {
        final Map<String, String> env = minimal();
        env.put(LakeSinkConfig.INSTANCES.name(), "3");
        env.put("HOSTNAME", "lake-sink-2");
        final LakeSinkConfig config = LakeSinkConfig.fromEnv(env);
        assertEquals(2, config.instance());
        assertTrue(config.owns(2) && config.owns(5));
        assertFalse(config.owns(0) || config.owns(4));
        assertEquals("snapshot/latest-2-of-3.parquet", config.snapshotObject());
        assertEquals("snapshot/latest.parquet", LakeSinkConfig.fromEnv(minimal()).snapshotObject());

        env.put("HOSTNAME", "lake-sink-7f9c4d-x2kqz");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LakeSinkConfig.fromEnv(env))
                .getMessage().contains("StatefulSet"), "a Deployment pod name has no stable ordinal");
        env.put(LakeSinkConfig.INSTANCE.name(), "3");
        assertThrows(IllegalArgumentException.class, () -> LakeSinkConfig.fromEnv(env));
    }
}
