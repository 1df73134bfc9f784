package io.rtdw.k8s;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Generates {@code k8s/base/topics} from {@link TopicCatalog#DEFAULT}: one Strimzi {@code KafkaTopic} per catalog
 * topic, the ConfigMap {@value #NAMES_CONFIG_MAP} of topic names (so manifests that need a topic name, like the
 * Pinot setup Job, read it from there instead of spelling it), and the directory's {@code kustomization.yaml}.
 * {@link TopicManifestTest} fails when the committed files differ from what this writes.
 *
 * <p>Regenerate after a catalog change (from the repository root): {@value #COMMAND}
 */
public final class TopicManifests {

    static final String COMMAND = "mvn -q -pl k8s -am process-test-classes -Pgenerate-topics";
    static final String CLUSTER = "rtdw";
    static final String NAMES_CONFIG_MAP = "rtdw-topics";
    private static final String NAMES_FILE = NAMES_CONFIG_MAP + ".yaml";
    private static final String HEADER = "# Generated from io.rtdw.catalog.TopicCatalog by io.rtdw.k8s.TopicManifests; do not edit.\n"
            + "# Regenerate: " + COMMAND + "\n";

    private TopicManifests() {
    }

    /** Writes the files into {@code args[0]} (default {@code base/topics}), removing any file it would not write. */
    public static void main(final String[] args) throws IOException {
        final Path dir = Path.of(args.length > 0 ? args[0] : "base/topics");
        Files.createDirectories(dir);
        final Map<String, String> files = files(TopicCatalog.DEFAULT);
        try (Stream<Path> old = Files.list(dir)) {
            for (final Path file : old.toList()) {
                if (!files.containsKey(file.getFileName().toString())) {
                    Files.delete(file);
                }
            }
        }
        for (final Map.Entry<String, String> file : files.entrySet()) {
            Files.writeString(dir.resolve(file.getKey()), file.getValue());
        }
        System.out.println("wrote " + files.size() + " files to " + dir.toAbsolutePath().normalize());
    }

    /**
     * The catalog's topics by the key under which the ConfigMap {@value #NAMES_CONFIG_MAP} holds their names.
     * {@link TopicManifestTest} checks that this covers every topic of {@link TopicCatalog#all()}.
     */
    static Map<String, Topic<?, ?>> byKey(final TopicCatalog catalog) {
        final Map<String, Topic<?, ?>> topics = new LinkedHashMap<>();
        topics.put("customers", catalog.customers());
        topics.put("flights", catalog.flights());
        topics.put("vehicles", catalog.vehicles());
        topics.put("unified-customers", catalog.unifiedCustomers());
        topics.put("cdc-dead-letters", catalog.cdcDeadLetters());
        topics.put("streams-dead-letters", catalog.streamsDeadLetters());
        topics.put("lake-sink-dead-letters", catalog.lakeSinkDeadLetters());
        topics.put("cdc-offsets", catalog.cdcOffsets());
        topics.put("cdc-heartbeats", catalog.cdcHeartbeats());
        return topics;
    }

    /** Every file of {@code base/topics}, by file name. */
    static Map<String, String> files(final TopicCatalog catalog) {
        final Map<String, String> files = new TreeMap<>();
        for (final Topic<?, ?> topic : catalog.all()) {
            files.put(fileName(topic), render(topic));
        }
        files.put(NAMES_FILE, names(catalog));
        files.put("kustomization.yaml", kustomization(files.keySet()));
        return files;
    }

    /**
     * Kubernetes name of a topic: names are DNS subdomains (lower case, digits, '-', '.'), topic names may hold
     * '_' and start with '_' ({@code __debezium-heartbeat.rtdw}); the real name goes to {@code spec.topicName}.
     */
    static String resourceName(final String topicName) {
        final String name = topicName.toLowerCase(Locale.ROOT).replace('_', '-').replaceAll("^[-.]+", "");
        if (!name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || name.length() > 253) {
            throw new IllegalArgumentException("topic " + topicName + " has no valid Kubernetes name (got " + name + ")");
        }
        return name;
    }

    static String fileName(final Topic<?, ?> topic) {
        return resourceName(topic.name()) + ".yaml";
    }

    static String render(final Topic<?, ?> topic) {
        final StringBuilder yaml = new StringBuilder(HEADER)
                .append("apiVersion: kafka.strimzi.io/v1\n")
                .append("kind: KafkaTopic\n")
                .append("metadata:\n")
                .append("  name: ").append(resourceName(topic.name())).append('\n')
                .append("  labels:\n")
                .append("    strimzi.io/cluster: ").append(CLUSTER).append('\n')
                .append("    app.kubernetes.io/part-of: rtdw\n")
                .append("    rtdw.io/topic-owner: catalog\n")
                .append("spec:\n")
                .append("  topicName: ").append(topic.name()).append('\n')
                .append("  partitions: ").append(topic.partitions()).append('\n')
                .append("  replicas: ").append(topic.replicationFactor()).append('\n')
                .append("  config:\n");
        final Map<String, String> configs = new TreeMap<>(topic.configs());
        configs.forEach((key, value) -> yaml.append("    ").append(key).append(": \"").append(value).append("\"\n"));
        return yaml.toString();
    }

    static String names(final TopicCatalog catalog) {
        final StringBuilder yaml = new StringBuilder(HEADER)
                .append("# The catalog's topic names, for manifests that need one (env valueFrom configMapKeyRef).\n")
                .append("apiVersion: v1\n")
                .append("kind: ConfigMap\n")
                .append("metadata:\n")
                .append("  name: ").append(NAMES_CONFIG_MAP).append('\n')
                .append("  labels:\n")
                .append("    app.kubernetes.io/part-of: rtdw\n")
                .append("data:\n");
        byKey(catalog).forEach((key, topic) -> yaml.append("  ").append(key).append(": ").append(topic.name()).append('\n'));
        return yaml.toString();
    }

    static String kustomization(final Iterable<String> fileNames) {
        final StringBuilder yaml = new StringBuilder(HEADER)
                .append("namespace: rtdw\n")
                .append("resources:\n");
        fileNames.forEach(f -> {
            if (!f.equals("kustomization.yaml")) {
                yaml.append("  - ").append(f).append('\n');
            }
        });
        return yaml.toString();
    }
}
