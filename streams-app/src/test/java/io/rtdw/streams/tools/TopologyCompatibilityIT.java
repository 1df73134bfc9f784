package io.rtdw.streams.tools;

import io.rtdw.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code topology-compat --bootstrap-servers} against a real broker: it describes the CDC topics, the output and the
 * changelog of {@code RTDW_APPLICATION_ID} and fails on a partition count that differs. The test kit's single
 * combined node ({@link KafkaTestCluster#singleNode()}): the partition check needs no replication.
 */
class TopologyCompatibilityIT {

    private static KafkaTestCluster kafka;

    @BeforeAll
    static void start() throws Exception {
        kafka = KafkaTestCluster.singleNode();
        kafka.admin().createTopics(List.of(
                // prefix "good": everything at 6, the changelog too
                topic("good.public.customers", 6), topic("good.public.flight", 6), topic("good.rtdw.vehicle", 6),
                topic("good.warehouse.unified_customer", 6), topic("good-app-unified-state-changelog", 6),
                // prefix "bad": the vehicle topic recreated with 4 partitions, the changelog still at 6
                topic("bad.public.customers", 6), topic("bad.public.flight", 6), topic("bad.rtdw.vehicle", 4),
                topic("bad.warehouse.unified_customer", 6), topic("bad-app-unified-state-changelog", 6)))
                .all().get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    private static NewTopic topic(final String name, final int partitions) {
        return new NewTopic(name, partitions, (short) 1);
    }

    private static String run(final int expectedExit, final Map<String, String> env) throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exit = TopologyCompatibility.run(new String[] {"--bootstrap-servers", kafka.bootstrapServers()},
                env, new PrintStream(out, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, text);
        return text;
    }

    @Test
    void equalPartitionCountsPass() throws Exception {
        final String text = run(0, Map.of("RTDW_TOPIC_PREFIX", "good", "RTDW_APPLICATION_ID", "good-app",
                // the KAFKA_* pass-through reaches the admin client, as in the app
                "KAFKA_CLIENT_ID", "topology-compat-it"));
        assertTrue(text.contains("note    partitions: 5 topics with 6 each"), text);
    }

    @Test
    void aTopicWithOtherPartitionsFails() throws Exception {
        final String text = run(1, Map.of("RTDW_TOPIC_PREFIX", "bad", "RTDW_APPLICATION_ID", "bad-app"));
        assertTrue(text.contains("CHANGED partitions of bad.rtdw.vehicle: 4, RTDW_TOPIC_PARTITIONS is 6"), text);
        assertTrue(text.contains("CHANGED partitions differ between topics"), text);
    }

    @Test
    void aChangedPartitionSettingFailsOnEveryTopicAndTheChangelog() throws Exception {
        final String text = run(1, Map.of("RTDW_TOPIC_PREFIX", "good", "RTDW_APPLICATION_ID", "good-app",
                "RTDW_TOPIC_PARTITIONS", "12"));
        assertTrue(text.contains("CHANGED partitions of good-app-unified-state-changelog: 6, RTDW_TOPIC_PARTITIONS"
                + " is 12"), text);
        assertEquals(5, text.lines().filter(l -> l.startsWith("CHANGED partitions of")).count(), text);
    }

    @Test
    void aMissingTopicFailsAndANewApplicationIdIsANote() throws Exception {
        final String text = run(1, Map.of("RTDW_TOPIC_PREFIX", "none", "RTDW_APPLICATION_ID", "fresh-app"));
        assertEquals(4, text.lines().filter(l -> l.startsWith("CHANGED topic none.")).count(), text);
        assertTrue(text.contains("note    changelog fresh-app-unified-state-changelog does not exist yet"), text);
    }
}
