package io.rtdw.cdc.engine;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Kafka's MockProducer over a cluster that has the catalog's CDC topics, so routed sends find their partitions. */
public final class MockKafka {

    private MockKafka() {
    }

    /** A byte-array MockProducer whose metadata has the three CDC topics of {@code catalog}. */
    public static MockProducer<byte[], byte[]> producer(final boolean autoComplete, final TopicCatalog catalog) {
        return new MockProducer<>(cluster(catalog), autoComplete, null, new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    /** One node holding every partition of the catalog's three CDC topics. */
    public static Cluster cluster(final TopicCatalog catalog) {
        final Node node = new Node(0, "localhost", 9092);
        final List<PartitionInfo> partitions = new ArrayList<>();
        for (final Topic<?, ?> topic : List.of(catalog.customers(), catalog.flights(), catalog.vehicles())) {
            for (int p = 0; p < topic.partitions(); p++) {
                partitions.add(new PartitionInfo(topic.name(), p, node, new Node[] {node}, new Node[] {node}));
            }
        }
        return new Cluster("mock", List.of(node), partitions, Set.of(), Set.of());
    }
}
