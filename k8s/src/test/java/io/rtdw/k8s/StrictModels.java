package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.bridge.KafkaBridge;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parses Kubernetes YAML into the typed fabric8 and Strimzi models and rejects what those models do not know.
 *
 * <p>Jackson alone is lenient here: fabric8 and Strimzi keep unknown fields in {@code additionalProperties}
 * instead of failing, so a misspelt {@code containerz} or {@code replicaz} would pass silently and be ignored by the
 * API server. {@link #unknownFields} walks the parsed object graph and reports every non-empty
 * {@code additionalProperties}; an unregistered apiVersion/kind comes back as {@link GenericKubernetesResource},
 * which {@link #parse} rejects too.
 */
final class StrictModels {

    private static final KubernetesSerialization SERIALIZATION = newSerialization();

    private StrictModels() {
    }

    private static KubernetesSerialization newSerialization() {
        final KubernetesSerialization serialization = new KubernetesSerialization();
        // Strimzi 0.51 serves v1 (used here) and the deprecated v1beta2; the model classes are the same.
        for (final String version : List.of("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2")) {
            serialization.registerKubernetesResource(version, "Kafka", Kafka.class);
            serialization.registerKubernetesResource(version, "KafkaNodePool", KafkaNodePool.class);
            serialization.registerKubernetesResource(version, "KafkaTopic", KafkaTopic.class);
            serialization.registerKubernetesResource(version, "KafkaBridge", KafkaBridge.class);
            serialization.registerKubernetesResource(version, "KafkaUser", io.strimzi.api.kafka.model.user.KafkaUser.class);
        }
        return serialization;
    }

    /** Splits a multi-document YAML stream and parses every document into its typed model. */
    static List<HasMetadata> parse(final String yaml) {
        final List<HasMetadata> objects = new ArrayList<>();
        for (final String document : yaml.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(line -> line.isBlank() || line.stripLeading().startsWith("#"))) {
                continue;
            }
            final Object parsed = SERIALIZATION.unmarshal(document);
            if (!(parsed instanceof HasMetadata object)) {
                throw new AssertionError("not a Kubernetes object: " + parsed);
            }
            if (object instanceof GenericKubernetesResource generic) {
                throw new AssertionError("no typed model for " + generic.getApiVersion() + "/" + generic.getKind()
                        + " '" + generic.getMetadata().getName() + "': unknown apiVersion or kind");
            }
            final List<String> unknown = unknownFields(object);
            if (!unknown.isEmpty()) {
                throw new AssertionError(object.getKind() + "/" + object.getMetadata().getName()
                        + " has fields its model does not know:\n  " + String.join("\n  ", unknown));
            }
            objects.add(object);
        }
        return objects;
    }

    /** Paths of every field that landed in an {@code additionalProperties} map, e.g. {@code spec.template.spec: [containerz]}. */
    static List<String> unknownFields(final KubernetesResource root) {
        final List<String> found = new ArrayList<>();
        walk(root, "", found, Collections.newSetFromMap(new IdentityHashMap<>()));
        return found;
    }

    private static void walk(final Object node, final String path, final List<String> found, final Set<Object> seen) {
        if (node == null || node instanceof CharSequence || node instanceof Number || node instanceof Boolean
                || node instanceof Enum<?> || node.getClass().isPrimitive() || !seen.add(node)) {
            return;
        }
        if (node instanceof Collection<?> collection) {
            int i = 0;
            for (final Object element : collection) {
                walk(element, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> walk(value, path + "[" + key + "]", found, seen));
            return;
        }
        final String type = node.getClass().getName();
        if (!type.startsWith("io.fabric8.") && !type.startsWith("io.strimzi.")) {
            return;
        }
        for (Class<?> c = node.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (final Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                final Object value = read(field, node);
                if (field.getName().equals("additionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        final Set<String> keys = new TreeSet<>();
                        extra.keySet().forEach(k -> keys.add(String.valueOf(k)));
                        found.add((path.isEmpty() ? "<root>" : path.substring(1)) + ": " + keys);
                    }
                } else {
                    walk(value, path + "." + field.getName(), found, seen);
                }
            }
        }
    }

    private static Object read(final Field field, final Object owner) {
        try {
            field.setAccessible(true);
            return field.get(owner);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot read " + field + ": " + e.getMessage(), e);
        }
    }
}
