package io.rtdw.catalog;

import java.util.Map;
import java.util.Objects;

/**
 * One Kafka topic of the pipeline: its name, its size, the types of its keys and values, and its configs.
 *
 * @param name        topic name
 * @param partitions  number of partitions
 * @param replicationFactor replication factor
 * @param keyType     class of the record key ({@code byte[].class} when keys are opaque bytes)
 * @param valueType   class of the record value
 * @param configs     topic-level configs applied at creation (min ISR, cleanup policy ...)
 * @param <K> key type
 * @param <V> value type
 */
public record Topic<K, V>(String name, int partitions, short replicationFactor, Class<K> keyType,
                          Class<V> valueType, Map<String, String> configs) {

    public Topic {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("topic " + name + ": replication factor must be >= 1, was " + replicationFactor);
        }
        configs = Map.copyOf(configs);
    }

    /** The same topic with another partition count (tests use different counts per input topic). */
    public Topic<K, V> withPartitions(final int newPartitions) {
        return new Topic<>(name, newPartitions, replicationFactor, keyType, valueType, configs);
    }

    /** The same topic under another name (tests use private topics with the catalog's settings). */
    public Topic<K, V> rename(final String newName) {
        return new Topic<>(newName, partitions, replicationFactor, keyType, valueType, configs);
    }

    @Override
    public String toString() {
        return name;
    }
}
