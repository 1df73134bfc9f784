package io.rtdw.k8s;

import io.rtdw.catalog.Topic;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the Strimzi {@code KafkaTopic} manifest of a catalog topic: the single source of the files in
 * {@code base/topics}. {@link TopicManifestTest} compares the files with this rendering (and rewrites them with
 * {@code -Drtdw.k8s.write-topics=true}), so the manifests cannot drift from {@code TopicCatalog}.
 */
final class TopicManifests {

    static final String CLUSTER = "rtdw";

    private TopicManifests() {
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
        final StringBuilder yaml = new StringBuilder()
                .append("# Generated from io.rtdw.catalog.TopicCatalog by TopicManifestTest; do not edit.\n")
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

    static String kustomization(final Iterable<String> fileNames) {
        final StringBuilder yaml = new StringBuilder()
                .append("# Generated from io.rtdw.catalog.TopicCatalog by TopicManifestTest; do not edit.\n")
                .append("namespace: rtdw\n")
                .append("resources:\n");
        fileNames.forEach(f -> yaml.append("  - ").append(f).append('\n'));
        return yaml.toString();
    }
}
