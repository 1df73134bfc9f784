package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.strimzi.api.kafka.model.common.template.ContainerTemplate;
import io.strimzi.api.kafka.model.common.template.PodTemplate;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every pod template of every overlay meets Pod Security Standard "restricted" (checked here field by field, as the
 * admission controller would) and more: read-only root file systems (writable paths are emptyDirs), no service
 * account token unless the pod calls the API server. Strimzi's pods meet "restricted" from the custom resources'
 * templates. The namespace enforces, warns and audits "restricted"; the ad-hoc pods operators start with {@code kubectl
 * run} (RUNBOOK.md, k8s/README.md) get the security context it requires from their {@code --overrides}.
 */
class PodSecurityTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    /** Containers with a writable root file system, and why. */
    static final Map<String, String> WRITABLE_ROOT = Map.of(
            "StatefulSet/ksqldb/ksqldb", "the Confluent image renders its configuration from KSQL_* variables into "
                    + "/etc/ksqldb at start, beside files the image ships there (an emptyDir would hide them)");

    /** Pods that need a service account token, and why. */
    static final Map<String, String> TOKEN = Map.of(
            "Deployment/prometheus", "discovers the pods to scrape and reads kubelet volume statistics through the API server");

    /** Volume types Pod Security Standard "restricted" allows. */
    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "secret", "emptyDir",
            "persistentVolumeClaim", "projected", "downwardAPI", "ephemeral", "csi");

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyPodMeetsRestrictedWithReadOnlyRootsAndNoStrayTokens(final String overlay) {
        final List<String> problems = new ArrayList<>();
        int containers = 0;
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            problems.addAll(problems(w));
            containers += w.allContainers().size();
        }
        assertTrue(containers >= 20, overlay + ": only " + containers + " containers checked");
        assertEquals(List.of(), problems, overlay);
    }

    static List<String> problems(final Overlays.Workload w) {
        final List<String> problems = new ArrayList<>();
        final PodSpec pod = w.pod();
        final PodSecurityContext psc = pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
        if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
            problems.add(w.id() + ": host namespaces");
        }
        for (final Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            final String type = volumeType(v);
            if (!RESTRICTED_VOLUMES.contains(type)) {
                problems.add(w.id() + ": volume " + v.getName() + " of type " + type);
            }
        }
        if (psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
            problems.add(w.id() + ": runAsUser 0");
        }
        final boolean token = !Boolean.FALSE.equals(pod.getAutomountServiceAccountToken());
        if (token != TOKEN.containsKey(w.id())) {
            problems.add(w.id() + (token ? ": mounts a service account token it does not need (automountServiceAccountToken: false)"
                    : ": listed in TOKEN but mounts none"));
        }
        for (final Container c : w.allContainers()) {
            final String id = w.id() + "/" + c.getName();
            final SecurityContext sc = c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
            if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                problems.add(id + ": allowPrivilegeEscalation must be false");
            }
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                problems.add(id + ": privileged");
            }
            if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null
                    || !sc.getCapabilities().getDrop().contains("ALL")) {
                problems.add(id + ": capabilities.drop must contain ALL");
            }
            if (sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null
                    && !List.of("NET_BIND_SERVICE").containsAll(sc.getCapabilities().getAdd())) {
                problems.add(id + ": adds capabilities " + sc.getCapabilities().getAdd());
            }
            final Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : psc.getRunAsNonRoot();
            if (!Boolean.TRUE.equals(nonRoot)) {
                problems.add(id + ": runAsNonRoot must be true");
            }
            final Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : psc.getRunAsUser();
            if (uid == null || uid == 0) {
                problems.add(id + ": a numeric non-zero runAsUser (an image's named user cannot be verified as non-root)");
            }
            final String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
                    : psc.getSeccompProfile() != null ? psc.getSeccompProfile().getType() : null;
            if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
                problems.add(id + ": seccompProfile must be RuntimeDefault");
            }
            final boolean readOnly = Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem());
            if (readOnly == WRITABLE_ROOT.containsKey(id)) {
                problems.add(id + (readOnly ? ": listed in WRITABLE_ROOT but read-only" : ": readOnlyRootFilesystem must be true"));
            }
            if (c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
                problems.add(id + ": hostPort");
            }
        }
        return problems;
    }

    private static String volumeType(final Volume v) {
        if (v.getConfigMap() != null) {
            return "configMap";
        } else if (v.getSecret() != null) {
            return "secret";
        } else if (v.getEmptyDir() != null) {
            return "emptyDir";
        } else if (v.getPersistentVolumeClaim() != null) {
            return "persistentVolumeClaim";
        } else if (v.getProjected() != null) {
            return "projected";
        } else if (v.getDownwardAPI() != null) {
            return "downwardAPI";
        } else if (v.getEphemeral() != null) {
            return "ephemeral";
        } else if (v.getCsi() != null) {
            return "csi";
        }
        return v.getHostPath() != null ? "hostPath" : "other";
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void theNamespaceEnforcesWarnsAndAuditsRestricted(final String overlay) {
        final Map<String, String> labels = Overlays.get(overlay, Namespace.class, "rtdw").getMetadata().getLabels();
        assertEquals("restricted", labels.get("pod-security.kubernetes.io/enforce"), overlay);
        assertEquals("restricted", labels.get("pod-security.kubernetes.io/warn"), overlay);
        assertEquals("restricted", labels.get("pod-security.kubernetes.io/audit"), overlay);
    }

    /**
     * Every {@code kubectl run} in the runbook and the k8s README (operators' ad-hoc pods) passes the namespace's
     * enforced "restricted": a strategic-merge override gives the pod non-root and RuntimeDefault seccomp, no service
     * account token, and its container (named as the pod) no privilege escalation and no capabilities. Without it the
     * API server would refuse the pod.
     */
    @Test
    void adHocPodsOfTheDocsCarryRestrictedOverrides() throws java.io.IOException {
        final java.util.regex.Pattern run = java.util.regex.Pattern.compile(
                "kubectl -n rtdw run ([a-z0-9-]+)((?:[^\\n\\\\]|\\\\[\\s\\S])*)");
        final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        final List<String> problems = new ArrayList<>();
        int seen = 0;
        for (final String doc : List.of("RUNBOOK.md", "README.md")) {
            final java.util.regex.Matcher m = run.matcher(
                    java.nio.file.Files.readString(Overlays.moduleDir().resolve(doc)));
            while (m.find()) {
                seen++;
                final String pod = m.group(1);
                final String options = m.group(2);
                final String id = doc + ": kubectl run " + pod;
                final java.util.regex.Matcher o = java.util.regex.Pattern.compile("--overrides='([^']*)'").matcher(options);
                if (!options.contains("--override-type=strategic") || !o.find()) {
                    problems.add(id + ": needs --override-type=strategic and --overrides='{...}'");
                    continue;
                }
                final com.fasterxml.jackson.databind.JsonNode spec = json.readTree(o.group(1)).path("spec");
                final com.fasterxml.jackson.databind.JsonNode podContext = spec.path("securityContext");
                if (!podContext.path("runAsNonRoot").asBoolean(false)
                        || !"RuntimeDefault".equals(podContext.path("seccompProfile").path("type").asText())) {
                    problems.add(id + ": pod securityContext needs runAsNonRoot and seccompProfile RuntimeDefault");
                }
                if (spec.path("automountServiceAccountToken").asBoolean(true)) {
                    problems.add(id + ": automountServiceAccountToken must be false");
                }
                final com.fasterxml.jackson.databind.JsonNode containers = spec.path("containers");
                if (containers.size() != 1 || !pod.equals(containers.get(0).path("name").asText())) {
                    problems.add(id + ": the override must name the one container as the pod (" + pod + ")");
                    continue;
                }
                final com.fasterxml.jackson.databind.JsonNode c = containers.get(0).path("securityContext");
                if (c.path("allowPrivilegeEscalation").asBoolean(true)
                        || !c.path("capabilities").path("drop").toString().equals("[\"ALL\"]")) {
                    problems.add(id + ": container needs allowPrivilegeEscalation false and capabilities.drop [ALL]");
                }
            }
        }
        assertTrue(seen >= 2, "the runbook's kafka-cli and the README's topology-compat are found, saw " + seen);
        assertEquals(List.of(), problems);
    }

    /**
     * Strimzi makes the Kafka, entity operator and exporter pods from the custom resources' templates; a template's
     * security context replaces the Cluster Operator's security provider's, so these pods meet "restricted" even when
     * the operator runs with its default (baseline) provider. Every pod and container template Strimzi uses for them
     * must say so.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void strimziPodsMeetRestrictedFromTheirTemplates(final String overlay) {
        final List<String> problems = new ArrayList<>();
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        final var kafkaTemplate = kafka.getSpec().getKafka().getTemplate();
        strimziPod("Kafka/rtdw kafka", kafkaTemplate.getPod(), problems);
        strimziContainer("Kafka/rtdw kafkaContainer", kafkaTemplate.getKafkaContainer(), problems);
        strimziContainer("Kafka/rtdw initContainer", kafkaTemplate.getInitContainer(), problems);
        final var eo = kafka.getSpec().getEntityOperator().getTemplate();
        strimziPod("Kafka/rtdw entityOperator", eo == null ? null : eo.getPod(), problems);
        strimziContainer("Kafka/rtdw topicOperatorContainer", eo == null ? null : eo.getTopicOperatorContainer(), problems);
        strimziContainer("Kafka/rtdw userOperatorContainer", eo == null ? null : eo.getUserOperatorContainer(), problems);
        final var exporter = kafka.getSpec().getKafkaExporter().getTemplate();
        strimziPod("Kafka/rtdw kafkaExporter", exporter.getPod(), problems);
        strimziContainer("Kafka/rtdw kafkaExporter container", exporter.getContainer(), problems);
        final List<KafkaNodePool> pools = Overlays.all(overlay, KafkaNodePool.class);
        assertEquals(2, pools.size(), overlay + ": brokers and controllers");
        for (final KafkaNodePool pool : pools) {
            final String id = "KafkaNodePool/" + pool.getMetadata().getName();
            final var t = pool.getSpec().getTemplate();
            strimziPod(id, t == null ? null : t.getPod(), problems);
            strimziContainer(id + " kafkaContainer", t == null ? null : t.getKafkaContainer(), problems);
            strimziContainer(id + " initContainer", t == null ? null : t.getInitContainer(), problems);
        }
        assertEquals(List.of(), problems, overlay);
    }

    private static void strimziPod(final String id, final PodTemplate pod, final List<String> problems) {
        final PodSecurityContext psc = pod == null ? null : pod.getSecurityContext();
        if (psc == null || !Boolean.TRUE.equals(psc.getRunAsNonRoot()) || psc.getSeccompProfile() == null
                || !"RuntimeDefault".equals(psc.getSeccompProfile().getType())
                || psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
            problems.add(id + ": template.pod.securityContext must set runAsNonRoot and seccompProfile RuntimeDefault");
        }
    }

    private static void strimziContainer(final String id, final ContainerTemplate container, final List<String> problems) {
        final SecurityContext sc = container == null ? null : container.getSecurityContext();
        if (sc == null || !Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()) || !Boolean.TRUE.equals(sc.getRunAsNonRoot())
                || sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null
                || !sc.getCapabilities().getDrop().contains("ALL")
                || sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty()
                || sc.getSeccompProfile() == null || !"RuntimeDefault".equals(sc.getSeccompProfile().getType())
                || Boolean.TRUE.equals(sc.getPrivileged())) {
            problems.add(id + ": securityContext must be restricted (no escalation, non-root, drop ALL, RuntimeDefault)");
        }
    }

    /** The check refuses what it must: a copy of a compliant workload with one field broken at a time. */
    @Test
    void theCheckRefusesEachBrokenField() {
        final Overlays.Workload good = Overlays.workloads("dev").stream()
                .filter(w -> w.owner().getMetadata().getName().equals("lake-sink")).findFirst().orElseThrow();
        assertEquals(List.of(), problems(good));
        final List<java.util.function.Consumer<PodSpec>> breakers = List.of(
                p -> p.getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(null),
                p -> p.getContainers().get(0).getSecurityContext().setReadOnlyRootFilesystem(false),
                p -> p.getContainers().get(0).getSecurityContext().getCapabilities().setDrop(List.of("NET_RAW")),
                p -> p.getSecurityContext().setRunAsNonRoot(null),
                p -> p.getSecurityContext().setSeccompProfile(null),
                p -> p.setAutomountServiceAccountToken(null),
                p -> p.getSecurityContext().setRunAsUser(0L));
        for (final var breaker : breakers) {
            final var copy = new io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder(good.template()).build();
            breaker.accept(copy.getSpec());
            assertTrue(!problems(new Overlays.Workload(good.owner(), copy, true)).isEmpty(), "a broken copy passed");
        }
    }
}
