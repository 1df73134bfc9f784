package io.rtdw.k8s;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@code base/topics} is exactly what {@link TopicManifests} generates from {@link TopicCatalog#DEFAULT} (one
 * {@code KafkaTopic} per catalog topic with its partitions, replication factor and configs, and the ConfigMap of
 * topic names), and the built overlays carry exactly those topics. After a catalog change, regenerate with the
 * command in {@link TopicManifests#COMMAND}.
 */
class TopicManifestTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final Path TOPICS_DIR = Overlays.moduleDir().resolve("base/topics");

    @Test
    void topicFilesAreWhatTheGeneratorWrites() throws IOException {
        final Map<String, String> expected = TopicManifests.files(TopicCatalog.DEFAULT);
        final Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(TOPICS_DIR)) {
            for (final Path file : files.toList()) {
                actual.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        final String regenerate = " (regenerate from the repository root: " + TopicManifests.COMMAND + ")";
        assertEquals(expected.keySet(), actual.keySet(), "files in base/topics" + regenerate);
        expected.forEach((file, text) -> assertEquals(text, actual.get(file),
                "base/topics/" + file + " differs from what TopicCatalog generates" + regenerate));
    }

    @Test
    void theConfigMapOfTopicNamesHasEveryCatalogTopic() {
        assertEquals(new TreeSet<>(TopicCatalog.DEFAULT.all().stream().map(Topic::name).toList()),
                new TreeSet<>(TopicManifests.byKey(TopicCatalog.DEFAULT).values().stream().map(Topic::name).toList()),
                "TopicManifests.byKey: give every catalog topic a key");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void overlayHasExactlyTheCatalogTopics(final String overlay) {
        final Map<String, KafkaTopic> built = Overlays.all(overlay, KafkaTopic.class).stream()
                .filter(t -> "catalog".equals(t.getMetadata().getLabels().get("rtdw.io/topic-owner")))
                .collect(Collectors.toMap(t -> t.getSpec().getTopicName(), Function.identity()));
        final Map<String, Topic<?, ?>> catalog = TopicCatalog.DEFAULT.all().stream()
                .collect(Collectors.toMap(Topic::name, Function.identity()));
        assertEquals(new TreeSet<>(catalog.keySet()), new TreeSet<>(built.keySet()), overlay + ": catalog topics");

        catalog.forEach((name, topic) -> {
            final KafkaTopic manifest = built.get(name);
            assertEquals(TopicManifests.CLUSTER, manifest.getMetadata().getLabels().get("strimzi.io/cluster"), name);
            assertEquals("rtdw", manifest.getMetadata().getNamespace(), name);
            assertEquals(topic.partitions(), manifest.getSpec().getPartitions(), name + " partitions");
            assertEquals((int) topic.replicationFactor(), manifest.getSpec().getReplicas(), name + " replicas");
            assertNotNull(manifest.getSpec().getConfig(), name + " config");
            final Map<String, String> configs = new TreeMap<>();
            manifest.getSpec().getConfig().forEach((k, v) -> configs.put(k, String.valueOf(v)));
            assertEquals(new TreeMap<>(topic.configs()), configs, name + " configs");
        });
    }
}
