package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.streams.config.StreamsSettings;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.KafkaAuthorizationSimple;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.kafka.listener.KafkaListenerAuthenticationScramSha512;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import io.strimzi.api.kafka.model.user.acl.AclOperation;
import io.strimzi.api.kafka.model.user.acl.AclResourcePatternType;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleClusterResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTransactionalIdResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka is secured in every overlay: one client listener with TLS and SCRAM-SHA-512, the ACL authorizer with only the
 * admin identity as super user, and a KafkaUser per component whose ACLs are what the component needs (computed here
 * from {@link TopicCatalog} and the manifests' own environment: application id, group id) and nothing that creates,
 * deletes or reconfigures the pipeline's topics or the cluster. Every pod that reaches the brokers authenticates as
 * one of these users, with its password read from the User Operator's Secret and the brokers checked against the
 * cluster CA.
 */
class KafkaSecurityTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    static final String CLUSTER = "rtdw";
    static final String ADMIN = "rtdw-admin";
    /** The Cluster Operator's Secret with the cluster CA's certificate (key ca.crt). */
    static final String CA_SECRET = CLUSTER + "-cluster-ca-cert";
    private static final String KAFKA_CLIENT_LABEL = "rtdw.io/kafka-client";

    /** Workload -> the KafkaUser its pods authenticate as. */
    private static final Map<String, String> USER_OF = Map.of(
            "streams-app", "rtdw-streams-app", "cdc-postgres", "rtdw-cdc-postgres", "cdc-mongodb", "rtdw-cdc-mongodb",
            "lake-sink", "rtdw-lake-sink", "pinot-server", "rtdw-pinot", "pinot-controller", "rtdw-pinot",
            "apicurio-registry", "rtdw-registry", "kafka-ui", "rtdw-kafka-ui", "ksqldb", "rtdw-ksqldb");

    /** Secrets Strimzi creates in the namespace (not created by hand, so not in PolicyTest's documented list). */
    static Set<String> strimziSecrets(final String overlay) {
        final Set<String> names = new TreeSet<>(Set.of(CA_SECRET));
        Overlays.all(overlay, KafkaUser.class).forEach(u -> names.add(u.getMetadata().getName()));
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyListenerEncryptsAndAuthenticatesAndTheAuthorizerIsOn(final String overlay) {
        final Kafka kafka = Overlays.get(overlay, Kafka.class, CLUSTER);
        for (final GenericKafkaListener l : kafka.getSpec().getKafka().getListeners()) {
            assertTrue(l.isTls(), overlay + ": listener " + l.getName() + " without TLS");
            assertTrue(l.getAuth() instanceof KafkaListenerAuthenticationScramSha512,
                    overlay + ": listener " + l.getName() + " does not authenticate with SCRAM-SHA-512");
        }
        final KafkaAuthorizationSimple authz = (KafkaAuthorizationSimple) kafka.getSpec().getKafka().getAuthorization();
        assertNotNull(authz, overlay + ": no authorizer: every authenticated client could do anything");
        assertEquals(List.of(ADMIN), authz.getSuperUsers(), overlay + ": super users");
        assertNotNull(kafka.getSpec().getEntityOperator().getUserOperator(), overlay + ": no User Operator for the KafkaUsers");
        final KafkaUser admin = Overlays.get(overlay, KafkaUser.class, ADMIN);
        assertTrue(admin.getSpec().getAuthentication() instanceof KafkaUserScramSha512ClientAuthentication);
        for (final KafkaUser user : Overlays.all(overlay, KafkaUser.class)) {
            assertEquals(CLUSTER, user.getMetadata().getLabels().get("strimzi.io/cluster"),
                    overlay + ": the User Operator ignores KafkaUser " + user.getMetadata().getName() + " without its cluster label");
            assertTrue(user.getSpec().getAuthentication() instanceof KafkaUserScramSha512ClientAuthentication,
                    overlay + ": " + user.getMetadata().getName() + " must use SCRAM-SHA-512, the listener's mechanism");
        }
    }

    /** What each component must be allowed, from the catalog and the manifests' environment. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyComponentHasTheGrantsItNeeds(final String overlay) {
        final Names names = Names.of(overlay);
        final TopicCatalog catalog = names.catalog();
        final String appId = names.appId();
        final String lakeGroup = names.lakeGroup();
        final String output = catalog.unifiedCustomers().name();
        final List<String> problems = new ArrayList<>();
        final Grants g = new Grants(overlay, problems);

        for (final var topic : catalog.cdcTopics()) {
            g.need("rtdw-streams-app", AclRuleType.TOPIC, topic.name(), AclOperation.READ);
        }
        g.need("rtdw-streams-app", AclRuleType.TOPIC, output, AclOperation.WRITE);
        g.need("rtdw-streams-app", AclRuleType.TOPIC, catalog.streamsDeadLetters().name(), AclOperation.WRITE);
        g.need("rtdw-streams-app", AclRuleType.GROUP, appId, AclOperation.READ);
        g.need("rtdw-streams-app", AclRuleType.TRANSACTIONAL_ID, appId + "-0b7c1f0e-1e2d-4f5a-9b8c-7d6e5f4a3b2c-0",
                AclOperation.WRITE);
        for (final AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE,
                AclOperation.DESCRIBE, AclOperation.DESCRIBECONFIGS)) {
            g.need("rtdw-streams-app", AclRuleType.TOPIC, appId + "-unified-state-changelog", op);
        }

        for (final String capture : List.of("rtdw-cdc-postgres", "rtdw-cdc-mongodb")) {
            g.need(capture, AclRuleType.TOPIC, catalog.cdcOffsets().name(), AclOperation.WRITE);
            g.need(capture, AclRuleType.TOPIC, catalog.cdcOffsets().name(), AclOperation.READ);
            g.need(capture, AclRuleType.TOPIC, catalog.cdcHeartbeats().name(), AclOperation.WRITE);
            g.need(capture, AclRuleType.TOPIC, catalog.cdcDeadLetters().name(), AclOperation.WRITE);
        }
        for (final String topic : List.of(catalog.customers().name(), catalog.flights().name())) {
            g.need("rtdw-cdc-postgres", AclRuleType.TOPIC, topic, AclOperation.WRITE);
            g.need("rtdw-cdc-postgres", AclRuleType.TOPIC, topic, AclOperation.READ); // snapshot reconciliation
            g.forbid("rtdw-cdc-mongodb", AclRuleType.TOPIC, topic, AclOperation.WRITE);
        }
        g.need("rtdw-cdc-mongodb", AclRuleType.TOPIC, catalog.vehicles().name(), AclOperation.WRITE);
        g.need("rtdw-cdc-mongodb", AclRuleType.TOPIC, catalog.vehicles().name(), AclOperation.READ);
        g.forbid("rtdw-cdc-postgres", AclRuleType.TOPIC, catalog.vehicles().name(), AclOperation.WRITE);

        g.need("rtdw-lake-sink", AclRuleType.TOPIC, output, AclOperation.READ);
        g.need("rtdw-lake-sink", AclRuleType.GROUP, lakeGroup, AclOperation.READ);
        g.need("rtdw-lake-sink", AclRuleType.TOPIC, catalog.lakeSinkDeadLetters().name(), AclOperation.WRITE);

        g.need("rtdw-pinot", AclRuleType.TOPIC, output, AclOperation.READ);
        g.need("rtdw-pinot", AclRuleType.TOPIC, output, AclOperation.DESCRIBE);

        for (final KafkaTopic topic : Overlays.all(overlay, KafkaTopic.class)) {
            if (topic.getSpec().getTopicName().startsWith("kafkasql-")) {
                g.need("rtdw-registry", AclRuleType.TOPIC, topic.getSpec().getTopicName(), AclOperation.READ);
                g.need("rtdw-registry", AclRuleType.TOPIC, topic.getSpec().getTopicName(), AclOperation.WRITE);
            }
            g.need("rtdw-kafka-ui", AclRuleType.TOPIC, topic.getSpec().getTopicName(), AclOperation.DESCRIBE);
        }
        g.need("rtdw-registry", AclRuleType.GROUP, registryGroupPrefix(overlay) + "0f1e2d3c", AclOperation.READ);
        g.need("rtdw-kafka-ui", AclRuleType.GROUP, appId, AclOperation.DESCRIBE);

        // Separation between components: nobody writes what another component owns.
        for (final String user : List.of("rtdw-lake-sink", "rtdw-pinot", "rtdw-kafka-ui", "rtdw-registry",
                "rtdw-cdc-postgres", "rtdw-cdc-mongodb")) {
            g.forbid(user, AclRuleType.TOPIC, output, AclOperation.WRITE);
            g.forbid(user, AclRuleType.TRANSACTIONAL_ID, appId + "-x-0", AclOperation.WRITE);
        }
        g.forbid("rtdw-streams-app", AclRuleType.TRANSACTIONAL_ID, "another-app-x-0", AclOperation.WRITE);
        g.forbid("rtdw-streams-app", AclRuleType.GROUP, lakeGroup, AclOperation.READ);
        g.forbid("rtdw-streams-app", AclRuleType.TOPIC, catalog.customers().name(), AclOperation.WRITE);
        g.forbid("rtdw-lake-sink", AclRuleType.GROUP, appId, AclOperation.READ);
        g.forbid("rtdw-kafka-ui", AclRuleType.GROUP, appId, AclOperation.READ); // OffsetCommit: would move offsets
        g.forbid("rtdw-pinot", AclRuleType.GROUP, lakeGroup, AclOperation.READ);
        assertEquals(List.of(), problems, overlay);
    }

    /**
     * Topic creation, deletion and configuration, and cluster changes, belong to the admin (and to Strimzi's Topic
     * Operator, which has its own identity): no other user may touch the pipeline's topics that way. The only topic
     * creation allowed elsewhere is of a component's own topics under its own prefix (Kafka Streams' internal topics,
     * ksqlDB's).
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void onlyTheAdminCreatesOrReconfiguresTheCatalogTopicsAndTheCluster(final String overlay) {
        final List<String> problems = new ArrayList<>();
        final Grants g = new Grants(overlay, problems);
        final List<String> topics = Overlays.all(overlay, KafkaTopic.class).stream().map(t -> t.getSpec().getTopicName()).toList();
        assertTrue(topics.size() >= 11, overlay + " topics: " + topics);
        for (final KafkaUser user : Overlays.all(overlay, KafkaUser.class)) {
            final String name = user.getMetadata().getName();
            if (name.equals(ADMIN)) {
                continue;
            }
            for (final String topic : topics) {
                for (final AclOperation op : List.of(AclOperation.CREATE, AclOperation.DELETE, AclOperation.ALTER,
                        AclOperation.ALTERCONFIGS)) {
                    g.forbid(name, AclRuleType.TOPIC, topic, op);
                }
            }
            for (final AclOperation op : List.of(AclOperation.CREATE, AclOperation.ALTER, AclOperation.ALTERCONFIGS,
                    AclOperation.CLUSTERACTION, AclOperation.IDEMPOTENTWRITE)) {
                g.forbid(name, AclRuleType.CLUSTER, null, op);
            }
            for (final AclRule rule : acls(user)) {
                if (rule.getOperations().contains(AclOperation.ALL)) {
                    problems.add(name + ": operation All");
                }
                if (rule.getType() != null && rule.getType() != io.strimzi.api.kafka.model.user.acl.AclRuleType.ALLOW) {
                    problems.add(name + ": only allow rules are evaluated by this test");
                }
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    /**
     * The grants that SecuredPipelineIT proves on a real SASL_SSL cluster with the ACL authorizer
     * ({@link io.rtdw.testing.ComponentAcls}: the capture, the streams app and the lake sink converge with them and no
     * more) are the KafkaUsers' grants: each binding of the IT is granted here, and each grant here is one of the IT's
     * (or Describe, which Kafka implies from Read and Write). The model is written twice (Java for the in-process
     * cluster, YAML for Strimzi); this keeps the two the same.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void theUsersGrantWhatTheSecuredPipelineItProvesAndNoMore(final String overlay) {
        final Names names = Names.of(overlay);
        final TopicCatalog catalog = names.catalog();
        final String appId = names.appId();
        final String lakeGroup = names.lakeGroup();
        final Map<String, List<org.apache.kafka.common.acl.AclBinding>> proven = Map.of(
                "rtdw-streams-app", io.rtdw.testing.ComponentAcls.streamsApp("x", catalog, appId),
                "rtdw-cdc-postgres", io.rtdw.testing.ComponentAcls.postgresCapture("x", catalog),
                "rtdw-lake-sink", io.rtdw.testing.ComponentAcls.lakeSink("x", catalog, lakeGroup));
        final List<String> problems = new ArrayList<>();
        proven.forEach((user, bindings) -> {
            final Set<String> expected = new TreeSet<>();
            bindings.forEach(b -> expected.add(key(b.pattern().resourceType().name(), b.pattern().name(),
                    b.pattern().patternType().name(), b.entry().operation().name())));
            final Set<String> granted = new TreeSet<>();
            for (final AclRule rule : acls(Overlays.get(overlay, KafkaUser.class, user))) {
                for (final AclOperation op : rule.getOperations()) {
                    // Strimzi's DescribeConfigs is Kafka's DESCRIBE_CONFIGS
                    granted.add(key(rule) + op.toValue().replaceAll("(?<=[a-z])(?=[A-Z])", "_").toUpperCase(java.util.Locale.ROOT));
                }
            }
            final Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(granted);
            final Set<String> extra = new TreeSet<>(granted);
            extra.removeAll(expected);
            extra.removeIf(k -> k.endsWith(" DESCRIBE") && (expected.contains(k.replace(" DESCRIBE", " READ"))
                    || expected.contains(k.replace(" DESCRIBE", " WRITE"))));
            missing.forEach(m -> problems.add(user + " lacks what the IT grants: " + m));
            extra.forEach(e -> problems.add(user + " has what the IT does not need: " + e));
        });
        assertEquals(List.of(), problems, overlay);
    }

    private static String key(final String type, final String name, final String pattern, final String op) {
        return type + " " + name + " " + pattern + " " + op;
    }

    /** "TOPIC name LITERAL " for a rule's resource, in Kafka's enum names. */
    private static String key(final AclRule rule) {
        if (rule.getResource() instanceof AclRuleTopicResource t) {
            return key("TOPIC", t.getName(), kafkaPattern(t.getPatternType()), "");
        } else if (rule.getResource() instanceof AclRuleGroupResource g) {
            return key("GROUP", g.getName(), kafkaPattern(g.getPatternType()), "");
        } else if (rule.getResource() instanceof AclRuleTransactionalIdResource t) {
            return key("TRANSACTIONAL_ID", t.getName(), kafkaPattern(t.getPatternType()), "");
        }
        return key("CLUSTER", "kafka-cluster", "LITERAL", "");
    }

    private static String kafkaPattern(final AclResourcePatternType type) {
        return type == AclResourcePatternType.PREFIX ? "PREFIXED" : "LITERAL";
    }

    /** The Kafka UI is read-only at the broker, whatever its own setting says. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void theKafkaUiCannotWriteAnything(final String overlay) {
        final Set<AclOperation> readOnly = Set.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DESCRIBECONFIGS);
        for (final AclRule rule : acls(Overlays.get(overlay, KafkaUser.class, "rtdw-kafka-ui"))) {
            assertTrue(readOnly.containsAll(rule.getOperations()), overlay + ": kafka-ui may " + rule.getOperations());
            if (rule.getResource() instanceof AclRuleGroupResource) {
                assertEquals(List.of(AclOperation.DESCRIBE), rule.getOperations(), overlay + ": group Read commits offsets");
            }
        }
    }

    /**
     * Every pod admitted to the brokers' listener (label rtdw.io/kafka-client) authenticates as its own KafkaUser: our
     * services through KAFKA_* variables with the password read from the mounted Secret and the CA mounted; the
     * third-party clients through their own settings, from the same Secrets.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyKafkaClientAuthenticatesAsItsOwnUser(final String overlay) {
        final List<String> problems = new ArrayList<>();
        final Set<String> users = new TreeSet<>();
        Overlays.all(overlay, KafkaUser.class).forEach(u -> users.add(u.getMetadata().getName()));
        final Set<String> used = new TreeSet<>(Set.of(ADMIN));
        int clients = 0;
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            if (!"true".equals(w.template().getMetadata().getLabels().get(KAFKA_CLIENT_LABEL))) {
                continue;
            }
            final String name = w.owner().getMetadata().getName();
            if (!w.longRunning()) {
                problems.add(w.id() + ": a Job with Kafka access; give it a KafkaUser of its own or drop the label");
                continue;
            }
            clients++;
            final String expected = USER_OF.get(name);
            if (expected == null) {
                problems.add(w.id() + ": a Kafka client without a KafkaUser (add it to USER_OF and kafka-users/)");
                continue;
            }
            final Set<String> secrets = secretsOf(w);
            if (!secrets.contains(CA_SECRET)) {
                problems.add(w.id() + ": does not mount the cluster CA " + CA_SECRET);
            }
            final Set<String> userSecrets = new TreeSet<>(secrets);
            userSecrets.retainAll(users);
            if (!userSecrets.equals(Set.of(expected))) {
                problems.add(w.id() + ": uses the KafkaUser Secrets " + userSecrets + ", expected only " + expected);
            }
            used.addAll(userSecrets);
            for (final Container c : w.pod().getContainers()) {
                if (Services.BY_CONTAINER.containsKey(c.getName())) {
                    checkOurService(w, c, expected, problems);
                }
                for (final EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    if (env.getValue() != null && env.getValue().contains("rtdw-kafka-bootstrap:")
                            && !env.getValue().contains("rtdw-kafka-bootstrap:9093")) {
                        problems.add(w.id() + "/" + c.getName() + ": " + env.getName() + " names a port other than the TLS listener");
                    }
                }
            }
        }
        assertTrue(clients >= 7, overlay + ": found only " + clients + " Kafka clients");
        assertEquals(users, used, overlay + ": a KafkaUser nobody uses (or a client using another's)");
        assertEquals(List.of(), problems, overlay);
    }

    private static final Pattern DIR_REFERENCE = Pattern.compile("\\$\\{dir:([^:}]+):([^}]+)}");

    private static void checkOurService(final Overlays.Workload w, final Container c, final String user,
                                        final List<String> problems) {
        final String id = w.id() + "/" + c.getName();
        final Map<String, String> expected = Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_CONFIG_PROVIDERS", "dir",
                "KAFKA_CONFIG_PROVIDERS_DIR_CLASS", "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
                "KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        expected.forEach((name, value) -> {
            if (!value.equals(Resources.env(c, name).map(EnvVar::getValue).orElse(null))) {
                problems.add(id + ": " + name + " must be " + value);
            }
        });
        final Matcher jaas = DIR_REFERENCE.matcher(Optional.ofNullable(Resources.env(c, "KAFKA_SASL_JAAS_CONFIG")
                .map(EnvVar::getValue).orElse(null)).orElse(""));
        if (!jaas.matches() || !mountedFrom(w, c, jaas.group(1), jaas.group(2), user, "sasl.jaas.config")) {
            problems.add(id + ": KAFKA_SASL_JAAS_CONFIG must be ${dir:<mount>:sasl.jaas.config} of Secret " + user);
        }
        final String truststore = Resources.env(c, "KAFKA_SSL_TRUSTSTORE_LOCATION").map(EnvVar::getValue).orElse("");
        final int slash = truststore.lastIndexOf('/');
        if (slash < 0 || !mountedFrom(w, c, truststore.substring(0, slash), truststore.substring(slash + 1), CA_SECRET, "ca.crt")) {
            problems.add(id + ": KAFKA_SSL_TRUSTSTORE_LOCATION must be ca.crt of Secret " + CA_SECRET + " as mounted");
        }
    }

    /** True if {@code dir/file} in container c is key {@code key} of Secret {@code secret}. */
    private static boolean mountedFrom(final Overlays.Workload w, final Container c, final String dir, final String file,
                                       final String secret, final String key) {
        for (final VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            if (!m.getMountPath().equals(dir)) {
                continue;
            }
            final Volume v = w.pod().getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            if (v.getSecret() == null || !v.getSecret().getSecretName().equals(secret)) {
                return false;
            }
            return v.getSecret().getItems() == null ? file.equals(key)
                    : v.getSecret().getItems().stream().anyMatch(i -> i.getKey().equals(key) && i.getPath().equals(file));
        }
        return false;
    }

    private static Set<String> secretsOf(final Overlays.Workload w) {
        final Set<String> names = new TreeSet<>();
        for (final Container c : w.allContainers()) {
            for (final EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                    names.add(env.getValueFrom().getSecretKeyRef().getName());
                }
            }
        }
        for (final Volume v : w.pod().getVolumes() == null ? List.<Volume>of() : w.pod().getVolumes()) {
            if (v.getSecret() != null) {
                names.add(v.getSecret().getSecretName());
            }
        }
        return names;
    }

    /** The registry's group id prefix, from the properties file its Deployment mounts. */
    private static String registryGroupPrefix(final String overlay) {
        final String file = MonitoringTools.configMapKey(overlay, "registry-kafkasql-client", "kafkasql-client.properties");
        final Matcher m = Pattern.compile("(?m)^apicurio\\.kafkasql\\.consumer\\.group\\.id=([^$\\s]+)\\$\\{quarkus\\.uuid}$").matcher(file);
        assertTrue(m.find(), "apicurio.kafkasql.consumer.group.id=<prefix>${quarkus.uuid} in registry-kafkasql-client");
        return m.group(1);
    }

    /** The names the grants depend on, as the overlay's manifests set them (or the services' defaults). */
    private record Names(TopicCatalog catalog, String appId, String lakeGroup) {

        static Names of(final String overlay) {
            return new Names(TopicCatalog.fromEnv(envOf(overlay, "streams-app", "streams-app")),
                    envOr(overlay, "streams-app", "streams-app", StreamsSettings.APPLICATION_ID.name(),
                            StreamsSettings.APPLICATION_ID.defaultValue()),
                    envOr(overlay, "lake-sink", "lake-sink", LakeSinkConfig.GROUP_ID.name(),
                            LakeSinkConfig.GROUP_ID.defaultValue()));
        }
    }

    private static Map<String, String> envOf(final String overlay, final String workload, final String container) {
        final Map<String, String> env = new HashMap<>();
        Overlays.workloads(overlay).stream().filter(w -> w.owner().getMetadata().getName().equals(workload))
                .flatMap(w -> w.pod().getContainers().stream()).filter(c -> c.getName().equals(container))
                .flatMap(c -> c.getEnv().stream()).filter(e -> e.getValue() != null)
                .forEach(e -> env.put(e.getName(), e.getValue()));
        assertFalse(env.isEmpty(), overlay + ": no environment for " + workload + "/" + container);
        return env;
    }

    private static String envOr(final String overlay, final String workload, final String container, final String name,
                                final String fallback) {
        return envOf(overlay, workload, container).getOrDefault(name, fallback);
    }

    private static List<AclRule> acls(final KafkaUser user) {
        return user.getSpec().getAuthorization() instanceof KafkaUserAuthorizationSimple simple && simple.getAcls() != null
                ? simple.getAcls() : List.of();
    }

    /** Kafka's ACL semantics for allow rules: literal (or "*") and prefixed names; Read, Write, Delete, Alter imply Describe. */
    static boolean allows(final KafkaUser user, final AclRuleType type, final String name, final AclOperation op) {
        for (final AclRule rule : acls(user)) {
            if (!matches(rule, type, name)) {
                continue;
            }
            for (final AclOperation granted : rule.getOperations()) {
                if (granted == op || granted == AclOperation.ALL
                        || op == AclOperation.DESCRIBE && Set.of(AclOperation.READ, AclOperation.WRITE,
                        AclOperation.DELETE, AclOperation.ALTER).contains(granted)
                        || op == AclOperation.DESCRIBECONFIGS && granted == AclOperation.ALTERCONFIGS) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean matches(final AclRule rule, final AclRuleType type, final String name) {
        final String pattern;
        final AclResourcePatternType patternType;
        if (rule.getResource() instanceof AclRuleClusterResource) {
            return type == AclRuleType.CLUSTER;
        } else if (rule.getResource() instanceof AclRuleTopicResource t && type == AclRuleType.TOPIC) {
            pattern = t.getName();
            patternType = t.getPatternType();
        } else if (rule.getResource() instanceof AclRuleGroupResource g && type == AclRuleType.GROUP) {
            pattern = g.getName();
            patternType = g.getPatternType();
        } else if (rule.getResource() instanceof AclRuleTransactionalIdResource t && type == AclRuleType.TRANSACTIONAL_ID) {
            pattern = t.getName();
            patternType = t.getPatternType();
        } else {
            return false;
        }
        if (patternType == AclResourcePatternType.PREFIX) {
            return name.startsWith(pattern);
        }
        return pattern.equals("*") || pattern.equals(name);
    }

    enum AclRuleType { TOPIC, GROUP, TRANSACTIONAL_ID, CLUSTER }

    /** Collects needed grants that are missing and forbidden ones that are present. */
    private record Grants(String overlay, List<String> problems) {

        void need(final String user, final AclRuleType type, final String name, final AclOperation op) {
            if (!allows(Overlays.get(overlay, KafkaUser.class, user), type, name, op)) {
                problems.add("missing: " + user + " " + op + " " + type + " " + name);
            }
        }

        void forbid(final String user, final AclRuleType type, final String name, final AclOperation op) {
            if (allows(Overlays.get(overlay, KafkaUser.class, user), type, name, op)) {
                problems.add("granted but not needed: " + user + " " + op + " " + type + " " + name);
            }
        }
    }

    @Test
    void theAclEvaluationCanRefuse() {
        final KafkaUser ui = Overlays.get("dev", KafkaUser.class, "rtdw-kafka-ui");
        assertTrue(allows(ui, AclRuleType.TOPIC, "anything", AclOperation.READ), "literal * matches every topic");
        assertFalse(allows(ui, AclRuleType.TOPIC, "anything", AclOperation.WRITE));
        final KafkaUser app = Overlays.get("dev", KafkaUser.class, "rtdw-streams-app");
        assertFalse(allows(app, AclRuleType.TOPIC, "rtdw-unified-custome", AclOperation.CREATE), "a prefix is not a match");
        assertFalse(allows(app, AclRuleType.CLUSTER, null, AclOperation.ALTER));
    }
}
