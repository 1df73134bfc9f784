package io.rtdw.cdc;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CdcConfigTest {

    @Test
    void defaultsAreTheDurableOnes() {
        final CdcConfig c = CdcConfig.fromEnv(Map.of("RTDW_CDC_SOURCES", "postgres"));
        assertEquals(1, c.maxInFlight(), "max.in.flight.requests.per.connection=1 unless configured");
        assertEquals("localhost:9092", c.bootstrapServers());
        assertEquals("jdbc:postgresql://localhost:5432/postgres", c.pgJdbcUrl());
        assertEquals(Set.of(CdcConfig.Source.POSTGRES), c.sources());
        assertEquals("", c.epochLabel(), "no epoch label unless the operator sets one");
        assertEquals(20_000, c.maxTxChanges());
    }

    @Test
    void theEpochLabelBecomesPartOfTheEpoch() {
        final CdcConfig c = CdcConfig.fromEnv(Map.of("RTDW_CDC_SOURCES", "postgres", "RTDW_CDC_EPOCH", "restore-2"));
        assertEquals("pg:7301234567890123456:3:restore-2",
                io.rtdw.cdc.postgres.SourceEpoch.of(7301234567890123456L, 3, c.epochLabel()));
        assertEquals("pg:18446744073709551615:1", io.rtdw.cdc.postgres.SourceEpoch.of(-1L, 1, ""),
                "the system identifier is unsigned");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_CDC_SOURCES", "postgres", "RTDW_CDC_EPOCH", "a:b"))).getMessage().contains("RTDW_CDC_EPOCH"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_CDC_SOURCES", "postgres", "RTDW_CDC_MAX_TX_CHANGES", "0"))).getMessage()
                .contains("RTDW_CDC_MAX_TX_CHANGES"));
    }

    @Test
    void mongodbNeedsAUri() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of()));
        assertTrue(e.getMessage().contains("MONGODB_URI"), e.getMessage());
    }

    @Test
    void wrongValuesNameTheVariable() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_CDC_SOURCES", "postgres", "RTDW_MAX_IN_FLIGHT", "6"))).getMessage().contains("RTDW_MAX_IN_FLIGHT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_CDC_SOURCES", "postgres", "PG_PORT", "x"))).getMessage().contains("PG_PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_CDC_SOURCES", "oracle"))).getMessage().contains("oracle"));
    }

    @Test
    void secretsAreRedacted() {
        final CdcConfig c = CdcConfig.fromEnv(Map.of("PG_PASSWORD", "s3cret",
                "MONGODB_URI", "mongodb://cdc:hunter2@mongo:27017/?replicaSet=rs0", "RTDW_MAX_IN_FLIGHT", "5"));
        assertFalse(c.toString().contains("s3cret"), c.toString());
        assertFalse(c.toString().contains("hunter2"), c.toString());
        assertEquals(5, c.maxInFlight());
        final io.rtdw.runtime.Env env = io.rtdw.runtime.Env.of(Map.of("PG_PASSWORD", "s3cret",
                "MONGODB_URI", "mongodb://cdc:hunter2@mongo:27017/?replicaSet=rs0"));
        CdcConfig.fromEnv(env);
        assertFalse(env.describe().contains("s3cret"), env.describe());
        assertFalse(env.describe().contains("hunter2"), env.describe());
        assertTrue(env.describe().contains("PG_PASSWORD=***"), env.describe());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CdcConfig.fromEnv(Map.of(
                "RTDW_MAX_IN_FLIGHT", "0", "PG_PORT", "x", "RTDW_TOPIC_PARTITIONS", "0")));
        for (final String name : new String[] {"RTDW_MAX_IN_FLIGHT", "PG_PORT", "RTDW_TOPIC_PARTITIONS", "MONGODB_URI"}) {
            assertTrue(e.getMessage().contains(name), name + " in " + e.getMessage());
        }
    }

    @Test
    void helpListsEveryVariableAServiceReads() {
        final String usage = CdcMain.SERVICE.help();
        for (final io.rtdw.runtime.Setting<?> s : CdcMain.SERVICE.settings()) {
            assertTrue(usage.contains(s.displayName()), s.name());
        }
        assertTrue(usage.contains("RTDW_REGISTRY_URL"), usage);
        assertTrue(usage.contains("KAFKA_<NAME>"), usage);
    }
}
