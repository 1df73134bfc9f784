package io.rtdw.testing;

import static io.rtdw.testing.TestFiles.sleep;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicProvisioner;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real Kafka cluster in this JVM: 3 brokers and 1 dedicated KRaft controller, with the pipeline's durability
 * settings (default RF 3, min ISR 2, no auto-creation, no unclean election, offsets and transaction state at RF 3 /
 * min ISR 2). Brokers can be stopped and restarted to test failures. {@link #singleNode()} is the small shape: one
 * combined broker and controller, replication factor 1.
 */
public final class KafkaTestCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTestCluster.class);

    /** Broker settings of the durability table (root README, "Durability"). */
    public static final Map<String, String> DURABLE_BROKER_CONFIG = Map.ofEntries(
            Map.entry("default.replication.factor", "3"),
            Map.entry("min.insync.replicas", "2"),
            Map.entry("auto.create.topics.enable", "false"),
            Map.entry("unclean.leader.election.enable", "false"),
            Map.entry("offsets.topic.replication.factor", "3"),
            Map.entry("transaction.state.log.replication.factor", "3"),
            Map.entry("transaction.state.log.min.isr", "2"),
            // Smaller internal topics than production: start-up on 2 cores stays in seconds.
            Map.entry("offsets.topic.num.partitions", "6"),
            Map.entry("transaction.state.log.num.partitions", "6"),
            Map.entry("group.initial.rebalance.delay.ms", "0"));

    /** Brokers of every test cluster; the test kit numbers them 0, 1, 2 (its controller is 3000). */
    static final int BROKERS = 3;

    private final KafkaClusterTestKit kit;
    private final Admin admin;

    private KafkaTestCluster(final KafkaClusterTestKit kit) {
        this.kit = kit;
        this.admin = Admin.create(clientProperties(kit));
    }

    /**
     * The test kit's listener: its bootstrap servers, and when the kit secures it ({@code SASL_PLAINTEXT}, see
     * {@link SecuredKafka}) the login of the kit's built-in super user, whose name and password are constants of the
     * test kit (its broker JAAS file), not secrets of this project.
     */
    private static java.util.Properties clientProperties(final KafkaClusterTestKit kit) {
        final java.util.Properties p = kit.clientProperties();
        if (kit.nodes().brokerListenerProtocol() == org.apache.kafka.common.security.auth.SecurityProtocol.SASL_PLAINTEXT) {
            p.put("security.protocol", "SASL_PLAINTEXT");
            p.put("sasl.mechanism", "PLAIN");
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                    + "username=\"plain-admin\" password=\"plain-admin-secret\";");
        }
        return p;
    }

    /** Starts 3 brokers and a controller; returns when all brokers are ready. */
    public static KafkaTestCluster start() {
        return start(Map.of());
    }

    /** Starts the cluster with extra broker settings on top of {@link #DURABLE_BROKER_CONFIG}. */
    public static KafkaTestCluster start(final Map<String, String> extraBrokerConfig) {
        return start(extraBrokerConfig, new TestKitNodes.Builder());
    }

    /**
     * Starts the cluster from {@code nodes} (listeners, security protocols, per-broker settings set by the caller;
     * the node counts are set here), with {@code extraBrokerConfig} on top of {@link #DURABLE_BROKER_CONFIG}.
     */
    static KafkaTestCluster start(final Map<String, String> extraBrokerConfig, final TestKitNodes.Builder nodesBuilder) {
        final Map<String, String> config = new TreeMap<>(DURABLE_BROKER_CONFIG);
        config.putAll(extraBrokerConfig);
        return launch(nodesBuilder.setCombined(false).setNumBrokerNodes(BROKERS).setNumControllerNodes(1), config);
    }

    /**
     * One node that is broker and KRaft controller at once, every replication factor and min ISR at 1, the rest of
     * {@link #DURABLE_BROKER_CONFIG} as it is: for a test that needs a broker to talk to (admin calls, partition
     * counts) and no replication. It starts faster and smaller than {@link #start()}; nothing about durability or
     * broker failures can be tested on it, and transactions on a combined node are not proven here.
     */
    public static KafkaTestCluster singleNode() {
        final Map<String, String> config = new TreeMap<>(DURABLE_BROKER_CONFIG);
        config.putAll(SINGLE_NODE_REPLICATION);
        return launch(new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1),
                config);
    }

    /** What {@link #singleNode()} changes in {@link #DURABLE_BROKER_CONFIG}: one replica of everything. */
    private static final Map<String, String> SINGLE_NODE_REPLICATION = Map.of(
            "default.replication.factor", "1",
            "min.insync.replicas", "1",
            "offsets.topic.replication.factor", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1");

    private static KafkaTestCluster launch(final TestKitNodes.Builder nodesBuilder, final Map<String, String> config) {
        final long began = System.nanoTime();
        try {
            final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodesBuilder.build());
            config.forEach(builder::setConfigProp);
            final KafkaClusterTestKit kit = builder.build();
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            LOG.info("Kafka test cluster up in {} ms at {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began),
                    kit.bootstrapServers());
            return new KafkaTestCluster(kit);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka", e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot start the Kafka test cluster", e);
        }
    }

    /** Bootstrap servers of the brokers that are running now. */
    public String bootstrapServers() {
        return kit.bootstrapServers();
    }

    /** {@code localhost:<port>} of every running broker's listener {@code listenerName} (another than the test kit's). */
    public String bootstrapServers(final String listenerName) {
        final org.apache.kafka.common.network.ListenerName listener = new org.apache.kafka.common.network.ListenerName(
                listenerName);
        return new TreeMap<>(kit.brokers()).values().stream().map(b -> "localhost:" + b.boundPort(listener))
                .collect(java.util.stream.Collectors.joining(","));
    }

    /** An admin client owned by the cluster (closed with it). */
    public Admin admin() {
        return admin;
    }

    /** Ids of all brokers, running or not. */
    public List<Integer> brokerIds() {
        return new ArrayList<>(new TreeMap<>(kit.brokers()).keySet());
    }

    /** Stops one broker (a controlled shutdown, like a pod deletion) and waits until it is down. */
    public void stopBroker(final int id) {
        final BrokerServer broker = broker(id);
        LOG.info("stopping broker {}", id);
        broker.shutdown(Duration.ofSeconds(30));
        broker.awaitShutdown();
    }

    /** Starts a stopped broker again and waits until the cluster lists it as a live broker. */
    public void startBroker(final int id) {
        LOG.info("starting broker {}", id);
        broker(id).startup();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!liveBrokers().contains(id)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("broker " + id + " did not rejoin within 60 s");
            }
            sleep(200);
        }
    }

    /** Ids of the brokers the cluster metadata lists as live now. */
    public List<Integer> liveBrokers() {
        try {
            return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().map(n -> n.id()).sorted().toList();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final Exception e) {
            return List.of();
        }
    }

    /** Creates (or checks) topics through the catalog's provisioner. */
    public void createTopics(final Collection<Topic<?, ?>> topics) {
        try {
            new TopicProvisioner(admin, 60_000).ensure(topics);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Describes a topic's partitions (leader, replicas, ISR). */
    public List<TopicPartitionInfo> partitions(final String topic) {
        try {
            final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            return description.partitions();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final Exception e) {
            throw new IllegalStateException("cannot describe " + topic, e);
        }
    }

    /**
     * Waits until every partition of {@code topic} has all its replicas in sync (after a broker restart).
     */
    public void awaitFullIsr(final String topic, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            final boolean full = partitions(topic).stream().allMatch(p -> p.isr().size() == p.replicas().size());
            if (full) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(topic + " has partitions out of sync after " + timeout);
            }
            sleep(200);
        }
    }

    private BrokerServer broker(final int id) {
        final BrokerServer broker = kit.brokers().get(id);
        if (broker == null) {
            throw new IllegalArgumentException("no broker " + id + "; brokers are " + brokerIds());
        }
        return broker;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
        try {
            kit.close();
        } catch (final Exception e) {
            LOG.warn("error while closing the Kafka test cluster", e);
        }
    }
}
