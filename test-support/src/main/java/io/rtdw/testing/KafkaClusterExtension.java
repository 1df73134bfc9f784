package io.rtdw.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.Map;

/**
 * JUnit 5 extension that runs one {@link KafkaTestCluster} per test class.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();
 * ... KAFKA.cluster().bootstrapServers() ...
 * </pre>
 */
public final class KafkaClusterExtension implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> extraBrokerConfig;
    private KafkaTestCluster cluster;

    public KafkaClusterExtension() {
        this(Map.of());
    }

    public KafkaClusterExtension(final Map<String, String> extraBrokerConfig) {
        this.extraBrokerConfig = Map.copyOf(extraBrokerConfig);
    }

    @Override
    public void beforeAll(final ExtensionContext context) {
        cluster = KafkaTestCluster.start(extraBrokerConfig);
    }

    @Override
    public void afterAll(final ExtensionContext context) {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    /** The running cluster; only valid between beforeAll and afterAll. */
    public KafkaTestCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException("the Kafka cluster runs only inside the test class that registers it");
        }
        return cluster;
    }
}
