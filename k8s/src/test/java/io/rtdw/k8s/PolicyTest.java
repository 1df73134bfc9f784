package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.bridge.KafkaBridge;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Policies every overlay must meet: the durability table on topics, brokers and clients; requests, limits and
 * probes on every container; pinned images; no secret value in the repository; the streams app's rollout contract.
 */
class PolicyTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    /** Secrets the manifests reference; k8s/README.md says how to create each. */
    static final Set<String> DOCUMENTED_SECRETS = Set.of("rtdw-postgres", "rtdw-postgres-cdc", "rtdw-mongodb", "rtdw-minio", "rtdw-minio-lake-sink", "rtdw-minio-pinot", "rtdw-pinot-auth", "rtdw-grafana",
            "rtdw-alertmanager", "rtdw-mask", "rtdw-registry-auth");

    private static final Pattern SENSITIVE_ENV =
            Pattern.compile(".*(PASSWORD|PASS|SECRET|TOKEN|CREDENTIAL|_KEY|JAAS|_URI)$");
    /** Names that look sensitive but carry no secret; each with its reason. */
    private static final Map<String, String> NOT_SECRET = Map.of(
            "DATA_SOURCE_URI", "postgres-exporter: host and database only; user and password come from rtdw-postgres");
    /** registry host / repository : tag, or a digest; never "latest". */
    private static final Pattern PINNED_IMAGE =
            Pattern.compile("^[a-z0-9.-]+\\.[a-z]+(:\\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$");

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyTopicHasReplicationFactorThreeAndMinIsrTwo(final String overlay) {
        final List<KafkaTopic> topics = Overlays.all(overlay, KafkaTopic.class);
        assertTrue(topics.size() >= 9, overlay + " topics: " + topics.size());
        for (final KafkaTopic topic : topics) {
            final String name = topic.getSpec().getTopicName();
            assertEquals(3, topic.getSpec().getReplicas(), name + " replicas");
            assertEquals("2", String.valueOf(topic.getSpec().getConfig().get("min.insync.replicas")), name + " min ISR");
            assertEquals("false", String.valueOf(topic.getSpec().getConfig().get("unclean.leader.election.enable")),
                    name + " unclean election");
            assertNotNull(topic.getSpec().getConfig().get("cleanup.policy"), name + " cleanup.policy");
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void brokersCarryTheDurabilityTable(final String overlay) {
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        final Map<String, String> config = new TreeMap<>();
        kafka.getSpec().getKafka().getConfig().forEach((k, v) -> config.put(k, String.valueOf(v)));
        final Map<String, String> table = Map.of(
                "default.replication.factor", "3",
                "min.insync.replicas", "2",
                "auto.create.topics.enable", "false",
                "unclean.leader.election.enable", "false",
                "offsets.topic.replication.factor", "3",
                "transaction.state.log.replication.factor", "3",
                "transaction.state.log.min.isr", "2");
        table.forEach((key, value) -> assertEquals(value, config.get(key), overlay + " broker " + key));
        // "Low" flush intervals: bounded, not left to the OS. The time bound only holds if the flusher runs at
        // least as often (its default interval is Long.MAX_VALUE: log.flush.interval.ms alone does nothing).
        assertTrue(Long.parseLong(config.get("log.flush.interval.messages")) <= 10_000, "log.flush.interval.messages");
        assertTrue(Long.parseLong(config.get("log.flush.interval.ms")) <= 1_000, "log.flush.interval.ms");
        assertTrue(config.containsKey("log.flush.scheduler.interval.ms")
                && Long.parseLong(config.get("log.flush.scheduler.interval.ms"))
                        <= Long.parseLong(config.get("log.flush.interval.ms")), "log.flush.scheduler.interval.ms");
        assertNotNull(kafka.getSpec().getKafka().getVersion(), "Kafka version pinned");
        assertNotNull(kafka.getSpec().getKafka().getMetricsConfig(), "JMX exporter configured");
        assertNotNull(kafka.getSpec().getKafkaExporter(), "Kafka Exporter (lag) configured");

        final KafkaNodePool brokers = Overlays.get(overlay, KafkaNodePool.class, "brokers");
        assertTrue(brokers.getSpec().getReplicas() >= 3, overlay + ": RF 3 needs 3 brokers");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void clientsUseTheDurableSettings(final String overlay) {
        for (final KafkaBridge bridge : Overlays.all(overlay, KafkaBridge.class)) {
            final Map<String, Object> producer = bridge.getSpec().getProducer().getConfig();
            assertEquals("all", String.valueOf(producer.get("acks")));
            assertEquals("true", String.valueOf(producer.get("enable.idempotence")));
            assertEquals("1", String.valueOf(producer.get("max.in.flight.requests.per.connection")));
            final Map<String, Object> consumer = bridge.getSpec().getConsumer().getConfig();
            assertEquals("read_committed", String.valueOf(consumer.get("isolation.level")));
            assertEquals("false", String.valueOf(consumer.get("enable.auto.commit")));
        }

        final Container app = streamsApp(overlay);
        assertEquals("exactly_once_v2", Resources.envValue(app, "RTDW_PROCESSING_GUARANTEE"));
        assertEquals("1", Resources.envValue(app, "RTDW_MAX_IN_FLIGHT"));
        assertEquals("3", Resources.envValue(app, "RTDW_REPLICATION_FACTOR"));

        Overlays.find(overlay, StatefulSet.class, "ksqldb").ifPresent(ksql -> {
            final Container c = ksql.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertEquals("exactly_once_v2", Resources.envValue(c, "KSQL_KSQL_STREAMS_PROCESSING_GUARANTEE"));
            assertEquals("3", Resources.envValue(c, "KSQL_KSQL_STREAMS_REPLICATION_FACTOR"));
            assertEquals("3", Resources.envValue(c, "KSQL_KSQL_INTERNAL_TOPIC_REPLICAS"));
            assertEquals("2", Resources.envValue(c, "KSQL_KSQL_STREAMS_TOPIC_MIN_INSYNC_REPLICAS"));
            assertEquals("all", Resources.envValue(c, "KSQL_KSQL_STREAMS_PRODUCER_ACKS"));
        });
    }

    /**
     * An HTTP bridge only for a client: the bridge admits pods labelled rtdw.io/bridge-client, so a bridge with no
     * such pod is cores and memory for nobody (the production bridge took 32 of 96 cores with no client; removed).
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void aKafkaBridgeRunsOnlyForAClient(final String overlay) {
        final boolean client = Overlays.workloads(overlay).stream().anyMatch(w -> "true".equals(
                w.template().getMetadata().getLabels().get("rtdw.io/bridge-client")));
        assertTrue(client || Overlays.all(overlay, KafkaBridge.class).isEmpty(),
                overlay + ": a KafkaBridge without any pod labelled rtdw.io/bridge-client");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyContainerHasRequestsAndLimits(final String overlay) {
        final List<String> problems = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                checkResources(w.id() + "/" + c.getName(), c.getResources(), problems);
            }
        }
        // Pods that Strimzi creates from the custom resources.
        for (final KafkaNodePool pool : Overlays.all(overlay, KafkaNodePool.class)) {
            checkResources("KafkaNodePool/" + pool.getMetadata().getName(), pool.getSpec().getResources(), problems);
        }
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        checkResources("Kafka entity topic operator", kafka.getSpec().getEntityOperator().getTopicOperator().getResources(), problems);
        if (kafka.getSpec().getEntityOperator().getUserOperator() != null) {
            checkResources("Kafka entity user operator", kafka.getSpec().getEntityOperator().getUserOperator().getResources(), problems);
        }
        checkResources("Kafka exporter", kafka.getSpec().getKafkaExporter().getResources(), problems);
        for (final KafkaBridge bridge : Overlays.all(overlay, KafkaBridge.class)) {
            checkResources("KafkaBridge/" + bridge.getMetadata().getName(), bridge.getSpec().getResources(), problems);
        }
        assertEquals(List.of(), problems, overlay);
    }

    private static void checkResources(final String id, final ResourceRequirements r, final List<String> problems) {
        for (final String resource : List.of("cpu", "memory")) {
            final BigDecimal request = Resources.request(r, resource);
            final BigDecimal limit = Resources.limit(r, resource);
            if (request == null || limit == null) {
                problems.add(id + ": " + resource + " request and limit required");
            } else if (request.compareTo(limit) > 0) {
                problems.add(id + ": " + resource + " request above limit");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyLongRunningContainerHasReadinessAndLivenessProbes(final String overlay) {
        final List<String> missing = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            if (!w.longRunning()) {
                continue; // Jobs run to completion; init containers cannot have probes.
            }
            for (final Container c : w.pod().getContainers()) {
                if (c.getReadinessProbe() == null || c.getLivenessProbe() == null) {
                    missing.add(w.id() + "/" + c.getName());
                }
            }
        }
        assertEquals(List.of(), missing, overlay + ": containers without readiness and liveness probes");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyImageIsPinned(final String overlay) {
        final Set<String> bad = new TreeSet<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                final String image = c.getImage();
                if (image == null || !PINNED_IMAGE.matcher(image).matches() || image.endsWith(":latest")) {
                    bad.add(w.id() + "/" + c.getName() + ": " + image);
                }
            }
        }
        assertEquals(Set.of(), bad, overlay + ": images must name their registry and a fixed tag or digest");
    }

    @Test
    void theRegistryEnforcesTheCompatibilityRuleTheTestsProve() {
        for (final String overlay : Overlays.ALL) {
            final Deployment registry = Overlays.get(overlay, Deployment.class, "apicurio-registry");
            final String rule = registry.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                    .filter(e -> e.getName().equals("APICURIO_RULES_GLOBAL_COMPATIBILITY")).map(EnvVar::getValue)
                    .findFirst().orElse(null);
            assertEquals(io.rtdw.testing.RegistryServer.PRODUCTION_COMPATIBILITY, rule, overlay);
        }
    }

    @Test
    void theImagePolicyRejectsFloatingImages() {
        for (final String image : List.of("postgres", "postgres:17", "docker.io/library/postgres",
                "docker.io/library/postgres:latest")) {
            final boolean accepted = PINNED_IMAGE.matcher(image).matches() && !image.endsWith(":latest");
            assertTrue(!accepted, image + " must be rejected");
        }
        assertTrue(PINNED_IMAGE.matcher("docker.io/library/postgres:17.6").matches());
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void noSecretValueIsCommitted(final String overlay) {
        assertEquals(List.of(), Overlays.all(overlay, Secret.class).stream().map(s -> s.getMetadata().getName()).toList(),
                overlay + ": Secrets are created at install time, never committed");
        final List<String> problems = new ArrayList<>();
        final Set<String> referenced = new TreeSet<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                for (final EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                        referenced.add(env.getValueFrom().getSecretKeyRef().getName());
                    } else if (SENSITIVE_ENV.matcher(env.getName()).matches() && !NOT_SECRET.containsKey(env.getName())) {
                        problems.add(w.id() + "/" + c.getName() + ": " + env.getName() + " must come from a Secret");
                    }
                    if (env.getValue() != null && env.getValue().matches("(?s).*://[^/\\s]*:[^/\\s]*@.*")) {
                        problems.add(w.id() + "/" + c.getName() + ": " + env.getName() + " holds credentials in a URL");
                    }
                }
            }
            for (final Volume v : w.pod().getVolumes() == null ? List.<Volume>of() : w.pod().getVolumes()) {
                if (v.getSecret() != null) {
                    referenced.add(v.getSecret().getSecretName());
                }
            }
        }
        for (final ConfigMap cm : Overlays.all(overlay, ConfigMap.class)) {
            cm.getData().forEach((key, value) -> {
                if (Pattern.compile("(?i)(password|secret|token)\\s*[:=]\\s*['\"]?[A-Za-z0-9+/]{6,}").matcher(value).find()) {
                    problems.add("ConfigMap/" + cm.getMetadata().getName() + "/" + key + " looks like it holds a secret");
                }
            });
        }
        assertEquals(List.of(), problems, overlay);
        // Strimzi creates these: the User Operator one Secret per KafkaUser, the Cluster Operator the cluster CA.
        referenced.removeAll(KafkaSecurityTest.strimziSecrets(overlay));
        assertTrue(DOCUMENTED_SECRETS.containsAll(referenced), overlay + ": undocumented secrets " + referenced);
    }

    @Test
    void everyReferencedSecretIsDocumentedInTheReadme() throws IOException {
        final String readme = Files.readString(Overlays.moduleDir().resolve("README.md"));
        for (final String secret : DOCUMENTED_SECRETS) {
            assertTrue(readme.contains("kubectl -n rtdw create secret generic " + secret),
                    "README.md must say how to create Secret " + secret);
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void streamsAppIsSafeToRoll(final String overlay) {
        final StatefulSet sts = Overlays.get(overlay, StatefulSet.class, "streams-app");
        final Container app = streamsApp(overlay);

        final EnvVar instanceId = Resources.env(app, "RTDW_INSTANCE_ID").orElseThrow();
        assertEquals("metadata.name", instanceId.getValueFrom().getFieldRef().getFieldPath(), "static membership from the pod name");

        final long commitMs = Long.parseLong(Resources.envValue(app, "RTDW_COMMIT_INTERVAL_MS"));
        final long closeMs = 60_000; // StreamsApp closes with a 60 s timeout on SIGTERM
        assertTrue(sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() * 1000 > commitMs + closeMs,
                "terminationGracePeriodSeconds must exceed a commit plus the close timeout");

        assertEquals("/health/ready", app.getReadinessProbe().getHttpGet().getPath(), "readiness gated on restoration");
        assertEquals("/health/live", app.getLivenessProbe().getHttpGet().getPath());
        assertNotNull(app.getStartupProbe(), "startup probe so a long restore is not killed by liveness");

        final int replicas = sts.getSpec().getReplicas();
        final int standbys = Integer.parseInt(Resources.envValue(app, "RTDW_NUM_STANDBY_REPLICAS"));
        assertTrue(replicas >= 2 && standbys >= 1 && standbys < replicas, "standbys need another instance");

        final String stateDir = Resources.envValue(app, "RTDW_STATE_DIR");
        assertEquals(1, sts.getSpec().getVolumeClaimTemplates().size());
        final String claim = sts.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
        assertTrue(app.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(claim) && m.getMountPath().equals(stateDir)),
                "state dir on the persistent volume");

        final PodDisruptionBudget pdb = Overlays.get(overlay, PodDisruptionBudget.class, "streams-app");
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());

        final long sessionTimeout = Long.parseLong(Resources.envValue(app, "KAFKA_SESSION_TIMEOUT_MS"));
        final long brokerMax = Long.parseLong(String.valueOf(Overlays.get(overlay, Kafka.class, "rtdw")
                .getSpec().getKafka().getConfig().get("group.max.session.timeout.ms")));
        assertTrue(sessionTimeout <= brokerMax, "the brokers must accept the session timeout");
        assertTrue(sessionTimeout > sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds() * 1000,
                "a member restarting within its grace period must not be dropped from the group");
        assertEquals("true", sts.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/scrape"));
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void eachCdcSourceRunsAsExactlyOneInstance(final String overlay) {
        final List<Deployment> cdc = Overlays.all(overlay, Deployment.class).stream()
                .filter(d -> "cdc".equals(d.getMetadata().getLabels().get("app.kubernetes.io/component"))).toList();
        assertEquals(Set.of("cdc-postgres", "cdc-mongodb"),
                Set.copyOf(cdc.stream().map(d -> d.getMetadata().getName()).toList()));
        for (final Deployment d : cdc) {
            assertEquals(1, d.getSpec().getReplicas(), d.getMetadata().getName());
            assertEquals("Recreate", d.getSpec().getStrategy().getType(), d.getMetadata().getName()
                    + ": a rolling update would run two engines of one source at once");
            final Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertEquals(d.getMetadata().getName().substring("cdc-".length()), Resources.envValue(c, "RTDW_CDC_SOURCES"));
        }
    }

    /**
     * The lake sink names files by partition and offsets and resumes from the bucket: two writers of one partition
     * would write overlapping files (the sink refuses to start when it sees them). One instance, never two at once.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void theLakeSinkHasOneWriterPerPartition(final String overlay) {
        final Deployment sink = Overlays.get(overlay, Deployment.class, "lake-sink");
        assertEquals(1, sink.getSpec().getReplicas(), "one lake-sink writer");
        assertEquals("Recreate", sink.getSpec().getStrategy().getType(), "a rolling update would run two writers");
    }

    /** ksqlDB reads vehicle ids from values: a delete must carry its document (MongoDB pre-images). */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void vehicleDeletesCarryTheDeletedDocument(final String overlay) {
        final Container cdc = Overlays.get(overlay, Deployment.class, "cdc-mongodb").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertEquals("true", Resources.envValue(cdc, "RTDW_MONGO_PRE_IMAGES"));
        final String init = String.join(" ", Overlays.get(overlay, io.fabric8.kubernetes.api.model.batch.v1.Job.class,
                "mongodb-replica-set-init").getSpec().getTemplate().getSpec().getContainers().get(0).getCommand());
        assertTrue(init.contains("changeStreamPreAndPostImages: {enabled: true}"), "the init Job enables pre-images");
    }

    static Container streamsApp(final String overlay) {
        return Overlays.get(overlay, StatefulSet.class, "streams-app").getSpec().getTemplate().getSpec().getContainers()
                .stream().filter(c -> c.getName().equals("streams-app")).findFirst().orElseThrow();
    }
}
