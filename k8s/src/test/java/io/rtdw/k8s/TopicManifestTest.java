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
 * One {@code KafkaTopic} per {@link TopicCatalog#DEFAULT} topic, with the catalog's partitions, replication factor
 * and configs: the files in {@code base/topics} are exactly the rendering of the catalog, and the built overlays
 * carry exactly those topics.
 *
 * <p>After a catalog change, regenerate with
 * {@code mvn -pl k8s test -Dtest=TopicManifestTest -Drtdw.k8s.write-topics=true}.
 */
class TopicManifestTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final Path TOPICS_DIR = Overlays.moduleDir().resolve("base/topics");

    @Test
    void topicFilesAreTheRenderingOfTheCatalog() throws IOException {
        final Map<String, String> expected = new TreeMap<>();
        for (final Topic<?, ?> topic : TopicCatalog.DEFAULT.all()) {
            expected.put(TopicManifests.fileName(topic), TopicManifests.render(topic));
        }
        expected.put("kustomization.yaml", TopicManifests.kustomization(new TreeSet<>(
                expected.keySet().stream().filter(f -> !f.equals("kustomization.yaml")).toList())));

        if (Boolean.getBoolean("rtdw.k8s.write-topics")) {
            Files.createDirectories(TOPICS_DIR);
            try (Stream<Path> old = Files.list(TOPICS_DIR)) {
                for (final Path file : old.toList()) {
                    Files.delete(file);
                }
            }
            for (final Map.Entry<String, String> file : expected.entrySet()) {
                Files.writeString(TOPICS_DIR.resolve(file.getKey()), file.getValue());
            }
        }

        final Map<String, String> actual = new TreeMap<>();
        try (Stream<Path> files = Files.list(TOPICS_DIR)) {
            for (final Path file : files.toList()) {
                actual.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        assertEquals(expected.keySet(), actual.keySet(), "files in base/topics (regenerate: -Drtdw.k8s.write-topics=true)");
        expected.forEach((file, text) -> assertEquals(text, actual.get(file),
                "base/topics/" + file + " differs from TopicCatalog (regenerate: -Drtdw.k8s.write-topics=true)"));
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
