package io.rtdw.catalog;

import io.rtdw.runtime.ServiceMain;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Creates the catalog's topics idempotently. A topic that already exists is checked, not trusted: wrong partitions,
 * replication factor or a config that differs from the catalog is an error.
 */
public final class TopicProvisioner {

    /** Configs that must match exactly on an existing topic. */
    private static final Set<String> CHECKED_CONFIGS = Set.of("min.insync.replicas", "cleanup.policy",
            "unclean.leader.election.enable");

    private final Admin admin;
    private final long timeoutMs;

    /**
     * Fails a service's start when a topic it reads or writes does not exist: topics are created explicitly
     * (auto-creation is off), so a missing one is a set-up error to fix (exit 2), not a failure to retry.
     */
    public static void requireExisting(final Map<String, Object> adminConfig, final Collection<Topic<?, ?>> topics)
            throws InterruptedException {
        final Object bootstrap = adminConfig.get("bootstrap.servers");
        try (Admin admin = Admin.create(adminConfig)) {
            final Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            final List<String> unlisted = topics.stream().map(Topic::name).filter(n -> !existing.contains(n)).toList();
            // listTopics leaves out what this user may not describe: ask for each, to tell "not allowed" from "missing".
            final List<String> refused = new ArrayList<>();
            final List<String> missing = new ArrayList<>();
            if (!unlisted.isEmpty()) {
                admin.describeTopics(unlisted).topicNameValues().forEach((name, future) -> {
                    try {
                        future.get(60, TimeUnit.SECONDS);
                    } catch (final ExecutionException e) {
                        (e.getCause() instanceof TopicAuthorizationException
                                ? refused : missing).add(name);
                    } catch (final InterruptedException | TimeoutException e) {
                        missing.add(name);
                    }
                });
            }
            if (!refused.isEmpty()) {
                throw new ServiceMain.SetupException("not authorized to describe topics " + refused.stream().sorted()
                        .toList() + " on " + bootstrap + ": this service's Kafka user lacks an ACL on them (k8s: its "
                        + "KafkaUser; README \"Security\")", null);
            }
            if (!missing.isEmpty()) {
                throw new ServiceMain.SetupException("topics " + missing + " do not exist on " + bootstrap
                        + ": create them first with io.rtdw.catalog.CreateTopics (auto-creation is off by design)",
                        null);
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new ServiceMain.SetupException("cannot reach Kafka at " + bootstrap + ": " + e.getMessage()
                    + ". Check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_* client settings.", e);
        }
    }

    /**
     * Fails a start when {@code topics} do not all have {@code partitions} partitions: the streams app joins a
     * customer with its children in one task, which holds only when the CDC topics and the output are partitioned
     * alike ({@link CustomerPartitioner}). A topic whose partitions were added refuses too: its keys moved.
     */
    public static void requireCoPartitioned(final Map<String, Object> adminConfig, final Collection<Topic<?, ?>> topics,
                                            final int partitions) {
        final Object bootstrap = adminConfig.get("bootstrap.servers");
        try (Admin admin = Admin.create(adminConfig)) {
            final Map<String, TopicDescription> found = admin.describeTopics(topics.stream().map(Topic::name).toList())
                    .allTopicNames().get(60, TimeUnit.SECONDS);
            final Map<String, Integer> counts = new java.util.TreeMap<>();
            found.forEach((name, d) -> counts.put(name, d.partitions().size()));
            if (counts.values().stream().anyMatch(n -> n != partitions)) {
                throw new ServiceMain.SetupException("the CDC topics and the output must all have " + partitions
                        + " partitions (RTDW_TOPIC_PARTITIONS), found " + counts + ": the join finds a customer and its "
                        + "flights and vehicles in one task only when they are partitioned alike. Recreate the topics "
                        + "(README, Operations) or set RTDW_TOPIC_PARTITIONS to their count.", null);
            }
        } catch (final ExecutionException | TimeoutException e) {
            throw new ServiceMain.SetupException("cannot describe " + topics.stream().map(Topic::name).toList() + " on "
                    + bootstrap + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the topics' partitions", e);
        }
    }

    public TopicProvisioner(final Admin admin, final long timeoutMs) {
        this.admin = admin;
        this.timeoutMs = timeoutMs;
    }

    /** What happened to one topic. */
    public enum Outcome { CREATED, FOUND }

    /** One line of the report. */
    public record Result(String topic, Outcome outcome, int partitions, int replicationFactor) {
        @Override
        public String toString() {
            return String.format("%-8s %s (partitions=%d, rf=%d)", outcome, topic, partitions, replicationFactor);
        }
    }

    /** Thrown when an existing topic does not match the catalog. */
    public static final class TopicMismatchException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TopicMismatchException(final String message) {
            super(message);
        }
    }

    /**
     * Creates the missing topics and checks the existing ones.
     *
     * @throws TopicMismatchException listing every topic that differs from the catalog
     */
    public List<Result> ensure(final Collection<Topic<?, ?>> topics) throws InterruptedException {
        final List<Result> results = new ArrayList<>();
        final List<String> mismatches = new ArrayList<>();
        for (final Topic<?, ?> topic : topics) {
            final boolean created = create(topic);
            // A new topic reaches every broker's metadata a moment after creation: retry unknown-topic answers.
            final TopicDescription description = retryingUnknownTopic(() -> get(admin.describeTopics(
                    List.of(topic.name())).topicNameValues().get(topic.name())));
            final int partitions = description.partitions().size();
            final int rf = description.partitions().get(0).replicas().size();
            if (partitions != topic.partitions()) {
                mismatches.add(topic.name() + ": has " + partitions + " partitions, catalog says " + topic.partitions());
            }
            if (rf != topic.replicationFactor()) {
                mismatches.add(topic.name() + ": has replication factor " + rf + ", catalog says " + topic.replicationFactor());
            }
            mismatches.addAll(retryingUnknownTopic(() -> configMismatches(topic)));
            results.add(new Result(topic.name(), created ? Outcome.CREATED : Outcome.FOUND, partitions, rf));
        }
        if (!mismatches.isEmpty()) {
            throw new TopicMismatchException("topics differ from the catalog:\n  " + String.join("\n  ", mismatches)
                    + "\nFix the topic (or the catalog) by hand: changing partitions of a keyed topic moves keys.");
        }
        return results;
    }

    private interface Call<T> {
        T call() throws InterruptedException;
    }

    private <T> T retryingUnknownTopic(final Call<T> call) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try {
                return call.call();
            } catch (final IllegalStateException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private boolean create(final Topic<?, ?> topic) throws InterruptedException {
        final NewTopic newTopic = new NewTopic(topic.name(), topic.partitions(), topic.replicationFactor())
                .configs(topic.configs());
        try {
            get(admin.createTopics(List.of(newTopic)).all());
            return true;
        } catch (final IllegalStateException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw e;
        }
    }

    private List<String> configMismatches(final Topic<?, ?> topic) throws InterruptedException {
        final ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
        final Config config = get(admin.describeConfigs(List.of(resource)).all()).get(resource);
        final Map<String, String> actual = config.entries().stream()
                .filter(e -> e.value() != null)
                .collect(Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
        final List<String> mismatches = new ArrayList<>();
        topic.configs().forEach((name, expected) -> {
            if (CHECKED_CONFIGS.contains(name) && !expected.equals(actual.get(name))) {
                mismatches.add(topic.name() + ": " + name + "=" + actual.get(name) + ", catalog says " + expected);
            }
        });
        return mismatches;
    }

    private <T> T get(final org.apache.kafka.common.KafkaFuture<T> future) throws InterruptedException {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (final ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("no answer from the Kafka cluster within " + timeoutMs + " ms", e);
        }
    }
}
