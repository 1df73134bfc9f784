package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Evaluates the NetworkPolicies (ours, plus the one Strimzi generates from the listener's networkPolicyPeers) for
 * the connections the pipeline needs and a few it must not have: each component reaches what it needs and no more.
 * Every service host named in the environment of a long-running container counts as a needed connection too, so
 * adding a dependency without its policy fails here; so does every pod's annotated metrics port (Prometheus scrapes it).
 * A connection needs both sides: an ingress rule at the target and an egress rule at the source (egress is denied by
 * default too); every pod resolves names through kube-dns; only the pods that call something outside the cluster
 * (Prometheus and Strimzi's operators to the API server, Alertmanager to its webhook) reach any outside address.
 */
class NetworkPolicyTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final String KAFKA = "rtdw-kafka-bootstrap";

    /** source pod -> target service (port). */
    private static final String[][] NEEDED = {
            {"streams-app", KAFKA, "9093"}, {"streams-app", "apicurio-registry", "8080"},
            {"cdc-postgres", KAFKA, "9093"}, {"cdc-postgres", "apicurio-registry", "8080"}, {"cdc-postgres", "postgres", "5432"},
            {"cdc-mongodb", KAFKA, "9093"}, {"cdc-mongodb", "apicurio-registry", "8080"}, {"cdc-mongodb", "mongodb", "27017"},
            {"lake-sink", KAFKA, "9093"}, {"lake-sink", "apicurio-registry", "8080"}, {"lake-sink", "minio", "9000"},
            {"apicurio-registry", KAFKA, "9093"}, {"kafka-ui", KAFKA, "9093"}, {"kafka-ui", "apicurio-registry", "8080"},
            {"pinot-controller", "minio", "9000"}, {"pinot-server", "minio", "9000"},
            {"pinot-server", KAFKA, "9093"}, {"pinot-server", "apicurio-registry", "8080"},
            {"pinot-server", "pinot-zookeeper", "2181"}, {"pinot-server", "pinot-controller", "9000"},
            {"pinot-controller", KAFKA, "9093"}, {"pinot-controller", "pinot-zookeeper", "2181"},
            {"pinot-broker", "pinot-zookeeper", "2181"}, {"pinot-broker", "pinot-server", "8098"},
            {"pinot-setup", "pinot-controller", "9000"},
            {"mongodb-replica-set-init", "mongodb", "27017"}, {"minio-bucket", "minio", "9000"}, {"minio", "minio", "9000"},
            {"grafana", "prometheus", "9090"},
            {"prometheus", "streams-app", "8080"}, {"prometheus", "cdc-postgres", "8080"}, {"prometheus", "lake-sink", "8080"},
            {"prometheus", "postgres", "9187"}, {"prometheus", "alertmanager", "9093"},
    };

    private static final String[][] FORBIDDEN = {
            {"streams-app", "postgres", "5432"}, {"streams-app", "mongodb", "27017"}, {"streams-app", "minio", "9000"},
            {"lake-sink", "postgres", "5432"}, {"lake-sink", "mongodb", "27017"},
            {"cdc-postgres", "mongodb", "27017"}, {"cdc-postgres", "minio", "9000"}, {"cdc-mongodb", "postgres", "5432"},
            {"kafka-ui", "postgres", "5432"}, {"kafka-ui", "mongodb", "27017"}, {"kafka-ui", "minio", "9000"},
            {"grafana", "postgres", "5432"}, {"pinot-broker", KAFKA, "9093"}, {"pinot-broker", "minio", "9000"}, {"prometheus", "postgres", "5432"},
            {"grafana", "alertmanager", "9093"}, {"kafka-ui", "alertmanager", "9093"}, {"streams-app", "alertmanager", "9093"},
            // Prometheus reaches metrics ports only: not the registry's API, Pinot's query, admin or controller API,
            // the databases, nor MinIO's console.
            {"prometheus", "apicurio-registry", "8080"}, {"prometheus", "pinot-broker", "8099"},
            {"prometheus", "pinot-controller", "9000"}, {"prometheus", "pinot-server", "8097"}, {"prometheus", "mongodb", "27017"},
            {"prometheus", "minio", "9001"}, {"prometheus", "pinot-zookeeper", "2181"},
            {"streams-app", "pinot-controller", "9000"}, {"lake-sink", "pinot-zookeeper", "2181"},
    };

    /** Labels of the pods Strimzi makes (as its operator labels them), for connections from and to them. */
    static final Map<String, Map<String, String>> STRIMZI_PODS = Map.of(
            "kafka-broker", Map.of("strimzi.io/cluster", "rtdw", "strimzi.io/kind", "Kafka", "strimzi.io/name", "rtdw-kafka",
                    "strimzi.io/broker-role", "true", "strimzi.io/pool-name", "brokers"),
            "kafka-controller", Map.of("strimzi.io/cluster", "rtdw", "strimzi.io/kind", "Kafka", "strimzi.io/name", "rtdw-kafka",
                    "strimzi.io/controller-role", "true", "strimzi.io/pool-name", "controllers"),
            "entity-operator", Map.of("strimzi.io/cluster", "rtdw", "strimzi.io/kind", "Kafka",
                    "strimzi.io/name", "rtdw-entity-operator"),
            "kafka-exporter", Map.of("strimzi.io/cluster", "rtdw", "strimzi.io/kind", "Kafka",
                    "strimzi.io/name", "rtdw-kafka-exporter"));

    /** An address outside the pod network (the API server, a webhook): only these pods may reach one, on these ports. */
    private static final Map<String, List<Integer>> OUTSIDE = Map.of(
            "prometheus", List.of(443, 6443), "alertmanager", List.of(443), "entity-operator", List.of(443, 6443));

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void neededConnectionsAreAllowedAndOthersAreNot(final String overlay) {
        final Map<String, Map<String, String>> pods = podLabels(overlay);
        final List<String> problems = new ArrayList<>();
        final List<String[]> needed = new ArrayList<>(List.of(NEEDED));
        needed.addAll(fromEnvironment(overlay));
        needed.addAll(ScrapeTargetsTest.scrapeConnections(overlay));
        for (final String[] c : needed) {
            if (!allowed(overlay, pods, c[0], c[1], Integer.parseInt(c[2]))) {
                problems.add("blocked: " + c[0] + " -> " + c[1] + ":" + c[2]);
            }
        }
        for (final String[] c : FORBIDDEN) {
            if (allowed(overlay, pods, c[0], c[1], Integer.parseInt(c[2]))) {
                problems.add("allowed but not needed: " + c[0] + " -> " + c[1] + ":" + c[2]);
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    /** Every "host:port" or "http://host:port" of a Service in a container's environment. */
    private static List<String[]> fromEnvironment(final String overlay) {
        final List<String[]> found = new ArrayList<>();
        final List<String> services = new ArrayList<>(Overlays.all(overlay, Service.class).stream()
                .map(s -> s.getMetadata().getName()).toList());
        services.add(KAFKA);
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            if (!w.longRunning()) {
                continue; // the Pinot setup Job's addresses are template parameters, not its own connections
            }
            for (final Container c : w.allContainers()) {
                for (final EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    final String value = env.getValue() == null ? "" : env.getValue();
                    for (final String service : services) {
                        final var m = java.util.regex.Pattern.compile("(?:^|[/,@])" + service + ":(\\d+)").matcher(value);
                        while (m.find()) {
                            found.add(new String[]{w.owner().getMetadata().getName(), service, m.group(1)});
                        }
                    }
                    if (env.getName().equals("PG_HOST")) {
                        found.add(new String[]{w.owner().getMetadata().getName(), value, "5432"});
                    }
                }
            }
        }
        return found;
    }

    private static Map<String, Map<String, String>> podLabels(final String overlay) {
        final Map<String, Map<String, String>> pods = new HashMap<>();
        Overlays.workloads(overlay).forEach(w -> pods.put(w.owner().getMetadata().getName(), w.template().getMetadata().getLabels()));
        return pods;
    }

    private static boolean allowed(final String overlay, final Map<String, Map<String, String>> pods, final String source,
                                   final String target, final int port) {
        return allowed(overlay, pods, source, target, port, true);
    }

    /** With {@code egress} false, only the target's ingress rules are evaluated. */
    private static boolean allowed(final String overlay, final Map<String, Map<String, String>> pods, final String source,
                                   final String target, final int port, final boolean egress) {
        final Map<String, String> from = pods.get(source);
        if (from == null) {
            throw new AssertionError(overlay + ": no pod " + source);
        }
        if (target.equals(KAFKA)) {
            // Strimzi turns each listener's networkPolicyPeers into a NetworkPolicy on the brokers.
            for (final GenericKafkaListener l : Overlays.get(overlay, Kafka.class, "rtdw").getSpec().getKafka().getListeners()) {
                if (l.getPort() == port && l.getNetworkPolicyPeers() != null
                        && l.getNetworkPolicyPeers().stream().anyMatch(p -> peerMatches(p, from))) {
                    return !egress || egressAllowed(overlay, from, STRIMZI_PODS.get("kafka-broker"), OWN_NAMESPACE, port);
                }
            }
            return false;
        }
        // The labels of the pods behind the Service, or (metrics ports have no Service) of the workload itself.
        final Map<String, String> to = Overlays.find(overlay, Service.class, target)
                .flatMap(s -> pods.values().stream().filter(l -> l.entrySet().containsAll(s.getSpec().getSelector().entrySet()))
                        .findFirst())
                .orElseGet(() -> pods.get(target));
        if (to == null) {
            throw new AssertionError(overlay + ": no Service or pod " + target);
        }
        for (final NetworkPolicy policy : Overlays.all(overlay, NetworkPolicy.class)) {
            if (!selects(policy.getSpec().getPodSelector(), to)) {
                continue;
            }
            for (final NetworkPolicyIngressRule rule : policy.getSpec().getIngress() == null
                    ? List.<NetworkPolicyIngressRule>of() : policy.getSpec().getIngress()) {
                final boolean portOk = rule.getPorts() == null || rule.getPorts().isEmpty()
                        || rule.getPorts().stream().anyMatch(p -> p.getPort() != null && p.getPort().getIntVal() != null
                        && p.getPort().getIntVal() == port);
                if (portOk && rule.getFrom() != null && rule.getFrom().stream().anyMatch(p -> peerMatches(p, from))) {
                    return !egress || egressAllowed(overlay, from, to, OWN_NAMESPACE, port);
                }
            }
        }
        return false;
    }

    private static final Map<String, String> OWN_NAMESPACE = Map.of("kubernetes.io/metadata.name", "rtdw");

    /**
     * True if the policies selecting the source pod let it open a connection to a pod with labels {@code to} in the
     * namespace labelled {@code namespace} on {@code port} ({@code to == null}: an address outside the pod network).
     */
    static boolean egressAllowed(final String overlay, final Map<String, String> from, final Map<String, String> to,
                                 final Map<String, String> namespace, final int port) {
        boolean isolated = false;
        for (final NetworkPolicy policy : Overlays.all(overlay, NetworkPolicy.class)) {
            if (!selects(policy.getSpec().getPodSelector(), from) || !policy.getSpec().getPolicyTypes().contains("Egress")) {
                continue;
            }
            isolated = true;
            for (final NetworkPolicyEgressRule rule : policy.getSpec().getEgress() == null
                    ? List.<NetworkPolicyEgressRule>of() : policy.getSpec().getEgress()) {
                final boolean portOk = rule.getPorts() == null || rule.getPorts().isEmpty()
                        || rule.getPorts().stream().anyMatch(p -> portIs(p, port));
                final boolean peerOk = rule.getTo() == null || rule.getTo().isEmpty() || rule.getTo().stream().anyMatch(p ->
                        to == null ? p.getIpBlock() != null && p.getIpBlock().getCidr().equals("0.0.0.0/0")
                                : p.getIpBlock() == null
                                && (p.getNamespaceSelector() == null ? namespace.equals(OWN_NAMESPACE) : selects(p.getNamespaceSelector(), namespace))
                                && (p.getPodSelector() == null || selects(p.getPodSelector(), to)));
                if (portOk && peerOk) {
                    return true;
                }
            }
        }
        return !isolated;
    }

    private static boolean portIs(final NetworkPolicyPort p, final int port) {
        return p.getPort() != null && p.getPort().getIntVal() != null && p.getPort().getIntVal() == port;
    }

    /** The workloads' pod labels and those of the pods Strimzi makes. */
    private static Map<String, Map<String, String>> podsWithStrimzis(final String overlay) {
        final Map<String, Map<String, String>> pods = podLabels(overlay);
        pods.putAll(STRIMZI_PODS);
        return pods;
    }

    /** Every pod resolves names: egress to kube-dns in kube-system on 53. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyPodResolvesNames(final String overlay) {
        final Map<String, Map<String, String>> pods = podsWithStrimzis(overlay);
        final List<String> blocked = new ArrayList<>();
        pods.forEach((name, labels) -> {
            if (!egressAllowed(overlay, labels, Map.of("k8s-app", "kube-dns"),
                    Map.of("kubernetes.io/metadata.name", "kube-system"), 53)) {
                blocked.add(name);
            }
        });
        assertEquals(List.of(), blocked, overlay + ": pods that cannot reach kube-dns");
        assertFalse(egressAllowed(overlay, pods.get("lake-sink"), Map.of("k8s-app", "kube-dns"),
                Map.of("kubernetes.io/metadata.name", "other"), 53), "DNS only in kube-system");
    }

    /** Outside the pod network only for the pods that need it, and only on their ports. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void onlyThePodsThatNeedItReachOutside(final String overlay) {
        final Map<String, Map<String, String>> pods = podsWithStrimzis(overlay);
        final List<String> problems = new ArrayList<>();
        pods.forEach((name, labels) -> {
            for (final int port : List.of(443, 6443, 80, 5432, 9092)) {
                final boolean expected = OUTSIDE.getOrDefault(name, List.of()).contains(port);
                if (egressAllowed(overlay, labels, null, Map.of(), port) != expected) {
                    problems.add(name + " -> outside:" + port + (expected ? " blocked" : " allowed"));
                }
            }
        });
        assertEquals(List.of(), problems, overlay);
    }

    /** Strimzi's pods reach each other (replication, KRaft, the operators and the exporter to the brokers). */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void strimziPodsReachEachOther(final String overlay) {
        for (final var from : STRIMZI_PODS.entrySet()) {
            for (final var to : STRIMZI_PODS.entrySet()) {
                for (final int port : List.of(9090, 9091)) {
                    assertTrue(egressAllowed(overlay, from.getValue(), to.getValue(), OWN_NAMESPACE, port),
                            overlay + ": " + from.getKey() + " -> " + to.getKey() + ":" + port);
                }
            }
        }
        assertFalse(egressAllowed(overlay, STRIMZI_PODS.get("kafka-broker"), Map.of("app.kubernetes.io/name", "postgres"),
                OWN_NAMESPACE, 5432), "brokers reach only Strimzi's pods");
    }

    /**
     * The scrape rules open metrics ports only, on their own (without counting on Prometheus' egress rules): of every
     * port a container declares, Prometheus' ingress reaches the annotated metrics port, and MinIO's S3 port (its
     * metrics path, public by MINIO_PROMETHEUS_AUTH_TYPE) and Alertmanager's (alerts), and no other.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void prometheusIsAdmittedToMetricsPortsOnly(final String overlay) {
        final Map<String, Map<String, String>> pods = podLabels(overlay);
        final Set<String> expected = new TreeSet<>(Set.of("minio:9000", "alertmanager:9093"));
        ScrapeTargetsTest.scrapeConnections(overlay).forEach(c -> expected.add(c[1] + ":" + c[2]));
        final Set<String> admitted = new TreeSet<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.pod().getContainers()) {
                for (final var p : c.getPorts() == null ? List.<io.fabric8.kubernetes.api.model.ContainerPort>of() : c.getPorts()) {
                    final String name = w.owner().getMetadata().getName();
                    if (!name.equals("prometheus") && allowed(overlay, pods, "prometheus", name, p.getContainerPort(), false)) {
                        admitted.add(name + ":" + p.getContainerPort());
                    }
                }
            }
        }
        assertEquals(expected, admitted, overlay + ": ports Prometheus is admitted to");
    }

    /** The evaluation refuses a connection when either side lacks its rule. */
    @Test
    void bothSidesAreRequired() {
        final Map<String, Map<String, String>> pods = podLabels("dev");
        assertTrue(allowed("dev", pods, "lake-sink", "minio", 9000));
        final Map<String, String> unlabelled = new HashMap<>(pods.get("lake-sink"));
        unlabelled.remove("rtdw.io/s3-client");
        assertFalse(egressAllowed("dev", unlabelled, pods.get("minio"), OWN_NAMESPACE, 9000), "egress needs the client label");
        assertTrue(egressAllowed("dev", pods.get("lake-sink"), pods.get("minio"), OWN_NAMESPACE, 9000));
        assertFalse(allowed("dev", pods, "lake-sink", "minio", 9001), "no rule for the console port");
    }

    private static boolean peerMatches(final NetworkPolicyPeer peer, final Map<String, String> labels) {
        return peer.getIpBlock() == null && peer.getPodSelector() != null && selects(peer.getPodSelector(), labels);
    }

    /** matchLabels only: the policies here use no matchExpressions (an expression fails the test loudly). */
    private static boolean selects(final LabelSelector selector, final Map<String, String> labels) {
        if (selector.getMatchExpressions() != null && !selector.getMatchExpressions().isEmpty()) {
            throw new AssertionError("matchExpressions are not evaluated by this test: " + selector);
        }
        final Map<String, String> match = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        return labels.entrySet().containsAll(match.entrySet());
    }
}
