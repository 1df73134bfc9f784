package io.rtdw.pinot;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The streams app's real topology ({@code io.rtdw.streams.topology.UnifiedCustomerTopology}) running on the test
 * cluster with the app's own settings ({@code StreamsSettings.fromEnv}).
 *
 * <p>Loaded reflectively: this module must build with {@code -pl pinot} against whatever rtdw-streams-app is
 * installed in the local repository, and an install made before the topology existed has no classes. The IT
 * that uses it is skipped (with that message) until streams-app is installed; a full reactor build always has it.
 */
final class RealTopology implements AutoCloseable {

    private static final String TOPOLOGY = "io.rtdw.streams.topology.UnifiedCustomerTopology";

    private final KafkaStreams streams;

    private RealTopology(final KafkaStreams streams) {
        this.streams = streams;
    }

    static boolean available() {
        try {
            Class.forName(TOPOLOGY);
            return true;
        } catch (final ClassNotFoundException e) {
            return false;
        }
    }

    static RealTopology start(final TopicCatalog catalog, final Map<String, String> env) throws Exception {
        final Class<?> settingsType = Class.forName("io.rtdw.streams.config.StreamsSettings");
        final Object settings = settingsType.getMethod("fromEnv", Map.class).invoke(null, env);
        final Properties props = (Properties) settingsType.getMethod("toProperties").invoke(settings);
        final int maxChildren = (Integer) settingsType.getMethod("maxChildren").invoke(settings);
        final Class<?> metricsType = Class.forName("io.rtdw.streams.ops.PipelineMetrics");
        final Method build = Class.forName(TOPOLOGY).getMethod("build", TopicCatalog.class, RegistrySerdes.class,
                int.class, metricsType);
        final Topology topology = (Topology) build.invoke(null, catalog, RegistrySerdes.embedded(), maxChildren,
                metricsType.getConstructor().newInstance());
        final KafkaStreams streams = new KafkaStreams(topology, props);
        streams.start();
        return new RealTopology(streams);
    }

    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
    }
}
