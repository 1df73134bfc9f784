package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.ResourceLabels;
import io.strimzi.api.kafka.model.common.template.PodDisruptionBudgetTemplate;
import io.strimzi.api.kafka.model.common.template.PodTemplate;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Placement and disruption: in prod every replicated stateful component is spread one per node (required, not
 * preferred) and Kafka one per zone with rack awareness; dev, the same base with its relaxing patches, schedules onto
 * one k3s node; every StatefulSet and every multi-replica Deployment has a disruption budget; state lives on volumes
 * or in the deep store, never in an emptyDir.
 */
class PlacementTest {

    static final String HOSTNAME = "kubernetes.io/hostname";
    static final String ZONE = "topology.kubernetes.io/zone";
    private static final String POOL_LABEL = ResourceLabels.STRIMZI_DOMAIN + "pool-name";

    /** The labels of a single-node k3s server: no zone or region label (k3s sets none without a cloud provider). */
    static final Map<String, String> K3S_NODE = Map.of(
            HOSTNAME, "k3s-dev", "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
            "node.kubernetes.io/instance-type", "k3s", "node-role.kubernetes.io/control-plane", "true",
            "node-role.kubernetes.io/master", "true");

    /** The components the issue names, which prod must spread one per node. */
    private static final Set<String> MUST_SPREAD = Set.of("KafkaNodePool/brokers", "KafkaNodePool/controllers",
            "StatefulSet/pinot-server", "StatefulSet/pinot-controller", "Deployment/pinot-broker",
            "StatefulSet/pinot-zookeeper", "StatefulSet/minio", "StatefulSet/streams-app", "StatefulSet/ksqldb");

    /** A pod as the scheduler sees it: its labels and its hard placement rules. */
    record PodSpecView(String id, Map<String, String> labels, List<PodAffinityTerm> requiredAntiAffinity,
                       List<TopologySpreadConstraint> spread, Set<String> requiredNodeLabels) {
    }

    @Test
    void prodSpreadsEveryReplicatedStatefulComponentOverNodes() {
        final List<String> problems = new ArrayList<>();
        final Set<String> spread = new TreeSet<>();
        for (final PodSpecView pod : owners("prod")) {
            final boolean replicated = replicas("prod", pod.id()) > 1;
            final boolean stateful = pod.id().startsWith("StatefulSet/") || pod.id().startsWith("KafkaNodePool/");
            if (!(replicated && (stateful || MUST_SPREAD.contains(pod.id())))) {
                continue;
            }
            if (oneAtMostPerDomain(pod, HOSTNAME)) {
                spread.add(pod.id());
            } else {
                problems.add(pod.id() + " (" + replicas("prod", pod.id()) + " replicas) has no required one-per-node rule");
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(spread.containsAll(MUST_SPREAD), "spread: " + spread);
    }

    /** Brokers and controllers: one per zone too, and brokers know their zone (rack-aware replica placement). */
    @Test
    void prodKafkaIsRackAwareAndSpreadOverZones() {
        final Kafka kafka = Overlays.get("prod", Kafka.class, "rtdw");
        assertNotNull(kafka.getSpec().getKafka().getRack(), "rack awareness");
        assertEquals(ZONE, kafka.getSpec().getKafka().getRack().getTopologyKey());
        for (final PodSpecView pod : owners("prod")) {
            if (pod.id().startsWith("KafkaNodePool/")) {
                assertTrue(oneAtMostPerDomain(pod, ZONE) || spreadEvenly(pod, ZONE), pod.id() + " is not spread over zones");
                assertTrue(pod.requiredNodeLabels().contains(ZONE), "Strimzi requires the rack label on " + pod.id() + "'s nodes");
            }
        }
    }

    /** dev is the base plus patches: every pod, Strimzi's included, fits one k3s node as far as placement goes. */
    @Test
    void devSchedulesOntoOneK3sNode() {
        assertEquals(List.of(), unschedulableOnOneNode("dev", K3S_NODE));
    }

    /** The check above can fail: prod's rules keep most of it off a single node. */
    @Test
    void prodDoesNotFitOneNodeAndTheCheckSaysWhy() {
        final List<String> refused = unschedulableOnOneNode("prod", K3S_NODE);
        assertTrue(refused.stream().anyMatch(r -> r.startsWith("KafkaNodePool/brokers") && r.contains(ZONE)), refused.toString());
        assertTrue(refused.stream().anyMatch(r -> r.startsWith("StatefulSet/pinot-zookeeper") && r.contains(HOSTNAME)), refused.toString());
        final Map<String, String> zoned = new HashMap<>(K3S_NODE);
        zoned.put(ZONE, "a");
        assertTrue(unschedulableOnOneNode("prod", zoned).stream().anyMatch(r -> r.startsWith("KafkaNodePool/brokers")
                && r.contains("anti-affinity")), "a zone label alone does not let 3 brokers share a node");
    }

    /**
     * Every StatefulSet and every Deployment with more than one replica has exactly one PodDisruptionBudget, and it
     * lets exactly one pod go at a time (none would block every drain; two could break a quorum of 3). Kafka's pods
     * get theirs from Strimzi (one budget over all nodes of the cluster, maxUnavailable 1 unless the Kafka resource
     * overrides it, which it must not).
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("io.rtdw.k8s.Overlays#ALL")
    void everyStatefulOrReplicatedWorkloadHasABudgetOfOne(final String overlay) {
        final List<PodDisruptionBudget> budgets = Overlays.all(overlay, PodDisruptionBudget.class);
        final List<String> problems = new ArrayList<>();
        int checked = 0;
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            final boolean needs = w.owner() instanceof StatefulSet
                    || (w.owner() instanceof Deployment d && d.getSpec().getReplicas() > 1);
            if (!needs) {
                continue;
            }
            checked++;
            final Map<String, String> labels = w.template().getMetadata().getLabels();
            final List<PodDisruptionBudget> mine = budgets.stream().filter(b -> matches(b.getSpec().getSelector(), labels)).toList();
            if (mine.size() != 1) {
                problems.add(w.id() + ": " + mine.size() + " budgets");
            } else if (mine.get(0).getSpec().getMaxUnavailable() == null || mine.get(0).getSpec().getMaxUnavailable().getIntVal() == null
                    || mine.get(0).getSpec().getMaxUnavailable().getIntVal() != 1) {
                problems.add(w.id() + ": budget " + mine.get(0).getMetadata().getName() + " is not maxUnavailable: 1");
            }
        }
        assertEquals(List.of(), problems, overlay);
        assertTrue(checked >= 7, overlay + ": only " + checked + " workloads need a budget");
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        final PodDisruptionBudgetTemplate kafkaBudget = kafka.getSpec().getKafka().getTemplate() == null ? null
                : kafka.getSpec().getKafka().getTemplate().getPodDisruptionBudget();
        assertTrue(kafkaBudget == null || kafkaBudget.getMaxUnavailable() == 1, "Strimzi's Kafka budget must stay at one");
    }

    /** ZooKeeper's snapshots and transaction log both on volumes: a member restarted on an empty log lost writes. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("io.rtdw.k8s.Overlays#ALL")
    void zooKeeperKeepsItsDataAndTransactionLogOnVolumes(final String overlay) {
        final StatefulSet zk = Overlays.get(overlay, StatefulSet.class, "pinot-zookeeper");
        final Set<String> claims = zk.getSpec().getVolumeClaimTemplates().stream().map(c -> c.getMetadata().getName())
                .collect(Collectors.toSet());
        final Container c = zk.getSpec().getTemplate().getSpec().getContainers().get(0);
        // The official image's ZOO_DATA_DIR and ZOO_DATA_LOG_DIR, unless the manifest moves them.
        for (final String dir : List.of(envOr(c, "ZOO_DATA_DIR", "/data"), envOr(c, "ZOO_DATA_LOG_DIR", "/datalog"))) {
            final VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(dir)).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": nothing mounted at " + dir));
            assertTrue(claims.contains(mount.getName()), overlay + ": " + dir + " is on " + mount.getName() + ", not a volume claim");
        }
    }

    /**
     * Pinot's segments outlive any pod: the controllers' data dir is the MinIO bucket the bucket Job creates, the
     * controllers and servers load S3PinotFS pointed at the MinIO service with keys from the Secret, the controllers
     * keep nothing on a volume, and prod runs two of them.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("io.rtdw.k8s.Overlays#ALL")
    void pinotKeepsItsSegmentsInTheMinioDeepStore(final String overlay) {
        final StatefulSet controller = Overlays.get(overlay, StatefulSet.class, "pinot-controller");
        final Container cc = controller.getSpec().getTemplate().getSpec().getContainers().get(0);
        final String dataDir = argAfter(cc, "-dataDir");
        assertTrue(dataDir.startsWith("s3://"), overlay + ": controller data dir " + dataDir);
        final String bucket = dataDir.substring("s3://".length()).split("/")[0];
        final String bucketJob = String.join(" ", Overlays.get(overlay, Job.class, "minio-bucket").getSpec().getTemplate()
                .getSpec().getContainers().get(0).getCommand());
        assertTrue(bucketJob.contains("lake/" + bucket), overlay + ": the bucket Job does not create " + bucket);
        assertTrue(controller.getSpec().getVolumeClaimTemplates() == null || controller.getSpec().getVolumeClaimTemplates().isEmpty(),
                overlay + ": a controller volume would hold segments only that pod has");
        final Service minio = Overlays.get(overlay, Service.class, "minio");
        final String endpoint = "http://minio:" + minio.getSpec().getPorts().get(0).getPort();
        final Container server = Overlays.get(overlay, StatefulSet.class, "pinot-server").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        for (final Map.Entry<String, Container> e : Map.of("controller", cc, "server", server).entrySet()) {
            final Map<String, String> overrides = overrides(e.getValue());
            final String prefix = "pinot." + e.getKey() + ".storage.factory.";
            assertEquals("org.apache.pinot.plugin.filesystem.S3PinotFS", overrides.get(prefix + "class.s3"), overlay + " " + e.getKey());
            assertEquals(endpoint, overrides.get(prefix + "s3.endpoint"), overlay + " " + e.getKey());
            assertNotNull(overrides.get(prefix + "s3.region"), "S3PinotFS refuses to start without a region");
            for (final String key : List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")) {
                final EnvVar env = Resources.env(e.getValue(), key).orElseThrow(() -> new AssertionError(e.getKey() + " " + key));
                assertEquals("rtdw-minio-pinot", env.getValueFrom().getSecretKeyRef().getName(), e.getKey() + " " + key);
            }
        }
        if (overlay.equals("prod")) {
            assertTrue(controller.getSpec().getReplicas() >= 2, "two controllers in prod");
        }
    }

    // ---- the scheduler's view

    /** One view per pod owner (Deployment, StatefulSet, Job, KafkaNodePool, Strimzi's other pods). */
    static List<PodSpecView> owners(final String overlay) {
        final List<PodSpecView> pods = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            pods.add(view(w.id(), w.template().getMetadata().getLabels(), w.pod().getAffinity(),
                    w.pod().getTopologySpreadConstraints(), w.pod().getNodeSelector()));
        }
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        final String rack = kafka.getSpec().getKafka().getRack() == null ? null : kafka.getSpec().getKafka().getRack().getTopologyKey();
        for (final KafkaNodePool pool : Overlays.all(overlay, KafkaNodePool.class)) {
            // The labels Strimzi puts on a node pool's pods, plus the template's.
            final Map<String, String> labels = new HashMap<>();
            final String cluster = pool.getMetadata().getLabels().get(ResourceLabels.STRIMZI_CLUSTER_LABEL);
            labels.put(ResourceLabels.STRIMZI_CLUSTER_LABEL, cluster);
            labels.put(ResourceLabels.STRIMZI_NAME_LABEL, cluster + "-kafka");
            labels.put(ResourceLabels.STRIMZI_KIND_LABEL, "Kafka");
            labels.put(POOL_LABEL, pool.getMetadata().getName());
            final PodTemplate template = pool.getSpec().getTemplate() == null ? null : pool.getSpec().getTemplate().getPod();
            if (template != null && template.getMetadata() != null && template.getMetadata().getLabels() != null) {
                labels.putAll(template.getMetadata().getLabels());
            }
            final PodSpecView v = view("KafkaNodePool/" + pool.getMetadata().getName(), labels,
                    template == null ? null : template.getAffinity(), template == null ? null : template.getTopologySpreadConstraints(), null);
            if (rack != null) {
                v.requiredNodeLabels().add(rack); // Strimzi's node affinity: the rack label must exist on the node
            }
            pods.add(v);
        }
        pods.add(view("Kafka/rtdw entity operator", Map.of(ResourceLabels.STRIMZI_NAME_LABEL, "rtdw-entity-operator"), null, null, null));
        pods.add(view("Kafka/rtdw kafka exporter", Map.of(ResourceLabels.STRIMZI_NAME_LABEL, "rtdw-kafka-exporter"), null, null, null));
        return pods;
    }

    private static PodSpecView view(final String id, final Map<String, String> labels, final Affinity affinity,
                                    final List<TopologySpreadConstraint> spread, final Map<String, String> nodeSelector) {
        final List<PodAffinityTerm> anti = affinity == null || affinity.getPodAntiAffinity() == null
                || affinity.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null ? List.of()
                : affinity.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        final Set<String> nodeLabels = new TreeSet<>(nodeSelector == null ? Set.of() : nodeSelector.keySet());
        if (affinity != null && affinity.getNodeAffinity() != null
                && affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
            throw new AssertionError(id + ": required node affinity in a manifest; teach PlacementTest to evaluate it");
        }
        if (affinity != null && affinity.getPodAffinity() != null
                && affinity.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
            throw new AssertionError(id + ": required pod affinity in a manifest; teach PlacementTest to evaluate it");
        }
        return new PodSpecView(id, Map.copyOf(labels), anti, spread == null ? List.of() : spread, nodeLabels);
    }

    /** Required anti-affinity against its own pods on this topology key: never two in one domain. */
    static boolean oneAtMostPerDomain(final PodSpecView pod, final String topologyKey) {
        return pod.requiredAntiAffinity().stream().anyMatch(t -> topologyKey.equals(t.getTopologyKey())
                && matchesAllNamespaces(t) && matches(t.getLabelSelector(), pod.labels()));
    }

    /** A hard topology spread of its own pods with skew 1 on this key. */
    static boolean spreadEvenly(final PodSpecView pod, final String topologyKey) {
        return pod.spread().stream().anyMatch(c -> topologyKey.equals(c.getTopologyKey()) && c.getMaxSkew() == 1
                && "DoNotSchedule".equals(c.getWhenUnsatisfiable()) && matches(c.getLabelSelector(), pod.labels()));
    }

    private static boolean matchesAllNamespaces(final PodAffinityTerm term) {
        return term.getNamespaces() == null || term.getNamespaces().isEmpty();
    }

    /**
     * Every pod of the overlay (replicas expanded) placed on one node with these labels: the pods whose hard rules
     * refuse it, each with the rule. Resources are SizingTest's concern; this is placement only.
     */
    static List<String> unschedulableOnOneNode(final String overlay, final Map<String, String> node) {
        final List<PodSpecView> pods = new ArrayList<>();
        for (final PodSpecView owner : owners(overlay)) {
            for (int i = 0; i < replicas(overlay, owner.id()); i++) {
                pods.add(owner);
            }
        }
        final List<String> refused = new ArrayList<>();
        for (int i = 0; i < pods.size(); i++) {
            final PodSpecView pod = pods.get(i);
            for (final String key : pod.requiredNodeLabels()) {
                if (!node.containsKey(key)) {
                    refused.add(pod.id() + ": node affinity needs label " + key);
                }
            }
            for (final TopologySpreadConstraint c : pod.spread()) {
                if ("DoNotSchedule".equals(c.getWhenUnsatisfiable()) && !node.containsKey(c.getTopologyKey())) {
                    refused.add(pod.id() + ": topology spread over " + c.getTopologyKey() + ", which the node lacks");
                }
            }
            for (final PodAffinityTerm term : pod.requiredAntiAffinity()) {
                if (!node.containsKey(term.getTopologyKey())) {
                    continue;
                }
                for (int j = 0; j < pods.size(); j++) {
                    if (j != i && matches(term.getLabelSelector(), pods.get(j).labels())) {
                        refused.add(pod.id() + ": anti-affinity on " + term.getTopologyKey() + " with " + pods.get(j).id());
                        break;
                    }
                }
            }
        }
        return refused.stream().distinct().toList();
    }

    static int replicas(final String overlay, final String id) {
        final String kind = id.substring(0, id.indexOf('/'));
        final String name = id.substring(id.indexOf('/') + 1);
        return switch (kind) {
            case "StatefulSet" -> Overlays.get(overlay, StatefulSet.class, name).getSpec().getReplicas();
            case "Deployment" -> Overlays.get(overlay, Deployment.class, name).getSpec().getReplicas();
            case "KafkaNodePool" -> Overlays.get(overlay, KafkaNodePool.class, name).getSpec().getReplicas();
            default -> 1;
        };
    }

    /** matchLabels semantics; a selector with expressions fails the test rather than being half-evaluated. */
    static boolean matches(final LabelSelector selector, final Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        assertFalse(selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty(),
                "matchExpressions are not evaluated here: " + selector);
        return selector.getMatchLabels() != null && !selector.getMatchLabels().isEmpty()
                && labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
    }

    private static String envOr(final Container c, final String name, final String fallback) {
        return Resources.env(c, name).map(EnvVar::getValue).orElse(fallback);
    }

    private static String argAfter(final Container c, final String flag) {
        final int i = c.getArgs().indexOf(flag);
        assertTrue(i >= 0 && i + 1 < c.getArgs().size(), c.getName() + " has no " + flag);
        return c.getArgs().get(i + 1);
    }

    /** Pinot's {@code -configOverride key=value} arguments. */
    private static Map<String, String> overrides(final Container c) {
        final Map<String, String> found = new HashMap<>();
        for (int i = 0; i + 1 < c.getArgs().size(); i++) {
            if (c.getArgs().get(i).equals("-configOverride")) {
                final String kv = c.getArgs().get(i + 1);
                assertFalse(kv.contains(","), "Pinot splits -configOverride at commas: " + kv);
                found.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        return found;
    }
}
