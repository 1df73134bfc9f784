package io.rtdw.catalog;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopicCatalogTest {

    @Test
    void cdcTopicsFollowDebeziumNaming() {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        assertEquals("rtdw.public.customers", catalog.customers().name());
        assertEquals("rtdw.public.flight", catalog.flights().name());
        assertEquals("rtdw.rtdw.vehicle", catalog.vehicles().name());
    }

    @Test
    void everyTopicIsDurableAndUnique() {
        final List<Topic<?, ?>> all = TopicCatalog.DEFAULT.all();
        assertEquals(all.size(), new HashSet<>(all.stream().map(Topic::name).toList()).size(), "names are unique");
        for (final Topic<?, ?> topic : all) {
            assertEquals(3, topic.replicationFactor(), topic.name());
            assertEquals("2", topic.configs().get("min.insync.replicas"), topic.name());
            assertEquals("false", topic.configs().get("unclean.leader.election.enable"), topic.name());
        }
    }

    @Test
    void tableLikeTopicsAreCompactedAndDeadLettersAreNot() {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        for (final Topic<?, ?> topic : List.of(catalog.customers(), catalog.flights(), catalog.vehicles(),
                catalog.unifiedCustomers())) {
            assertEquals("compact", topic.configs().get("cleanup.policy"), topic.name());
        }
        assertEquals("delete", catalog.streamsDeadLetters().configs().get("cleanup.policy"));
        assertEquals(byte[].class, catalog.streamsDeadLetters().keyType());
    }

    @Test
    void topicsWithPersonalDataHaveBoundedCompaction() {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        final long day = 24L * 60 * 60 * 1000;
        for (final Topic<?, ?> topic : List.of(catalog.customers(), catalog.flights(), catalog.vehicles(),
                catalog.unifiedCustomers())) {
            final Map<String, String> configs = topic.configs();
            assertEquals(String.valueOf(7 * day), configs.get("max.compaction.lag.ms"), topic.name());
            assertEquals(String.valueOf(day), configs.get("delete.retention.ms"), topic.name());
            // A segment must close before the compaction bound, or the bound waits for the segment.
            assertTrue(Long.parseLong(configs.get("segment.ms")) <= Long.parseLong(configs.get("max.compaction.lag.ms")),
                    topic.name());
        }
        assertEquals(null, catalog.cdcOffsets().configs().get("max.compaction.lag.ms"), "offsets hold no personal data");
    }

    @Test
    void cdcOffsetsAreOneCompactedPartitionAndHeartbeatsUseDebeziumsName() {
        final TopicCatalog catalog = TopicCatalog.DEFAULT;
        assertEquals("rtdw.cdc.offsets", catalog.cdcOffsets().name());
        assertEquals(1, catalog.cdcOffsets().partitions());
        assertEquals("compact", catalog.cdcOffsets().configs().get("cleanup.policy"));
        assertEquals("__debezium-heartbeat.rtdw", catalog.cdcHeartbeats().name());
        assertTrue(catalog.all().contains(catalog.cdcOffsets()));
        assertTrue(catalog.all().contains(catalog.cdcHeartbeats()));
    }

    @Test
    void environmentOverridesDefaults() {
        final TopicCatalog catalog = TopicCatalog.fromEnv(Map.of("RTDW_TOPIC_PREFIX", "shop",
                "RTDW_TOPIC_PARTITIONS", "12", "RTDW_MONGO_DATABASE", "fleet"));
        assertEquals("shop.public.customers", catalog.customers().name());
        assertEquals("shop.fleet.vehicle", catalog.vehicles().name());
        assertEquals(12, catalog.unifiedCustomers().partitions());
    }

    @Test
    void illegalNamesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TopicCatalog("a b", "public", "x", 1, (short) 3));
        assertThrows(IllegalArgumentException.class, () -> new TopicCatalog("a", "public", "x", 0, (short) 3));
    }
}
