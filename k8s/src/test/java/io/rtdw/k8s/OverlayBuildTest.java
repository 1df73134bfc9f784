package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapKeySelector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every overlay builds with {@code kubectl kustomize}, every object parses strictly into its typed model
 * ({@link StrictModels}), and the objects fit together: names unique, one namespace, every ConfigMap (volume or
 * env key) and ServiceAccount a pod uses exists, every Service and PDB selects pods, and a default-deny
 * NetworkPolicy is there.
 */
class OverlayBuildTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    @BeforeAll
    static void logKubectl() {
        System.out.println("kustomize builds with: " + Kubectl.binary() + "\n" + Kubectl.clientVersion());
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void buildsAndParsesStrictly(final String overlay) {
        final List<HasMetadata> objects = Overlays.objects(overlay);
        assertTrue(objects.size() > 50, overlay + " has only " + objects.size() + " objects");
        final Set<String> ids = new HashSet<>();
        for (final HasMetadata object : objects) {
            assertTrue(ids.add(object.getKind() + "/" + object.getMetadata().getName()), "duplicate " + object.getKind()
                    + "/" + object.getMetadata().getName());
            if (object instanceof ClusterRoleBinding binding) {
                // cluster-scoped (Prometheus reads the kubelets' volume stats): it may grant only our accounts
                binding.getSubjects().forEach(subject -> assertEquals("rtdw", subject.getNamespace(),
                        "ClusterRoleBinding/" + binding.getMetadata().getName() + " subject " + subject.getName()));
            } else if (!(object instanceof Namespace || object instanceof ClusterRole)) {
                assertEquals("rtdw", object.getMetadata().getNamespace(),
                        object.getKind() + "/" + object.getMetadata().getName() + " namespace");
            }
            assertEquals("rtdw", object.getMetadata().getLabels() == null ? null
                    : object.getMetadata().getLabels().get("app.kubernetes.io/part-of"),
                    object.getKind() + "/" + object.getMetadata().getName() + " label app.kubernetes.io/part-of");
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void podsOnlyUseConfigMapsAndServiceAccountsThatExist(final String overlay) {
        final Set<String> configMaps = names(Overlays.all(overlay, ConfigMap.class));
        final Set<String> accounts = names(Overlays.all(overlay, ServiceAccount.class));
        final List<String> missing = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Volume volume : w.pod().getVolumes() == null ? List.<Volume>of() : w.pod().getVolumes()) {
                if (volume.getConfigMap() != null && !configMaps.contains(volume.getConfigMap().getName())) {
                    missing.add(w.id() + " -> ConfigMap " + volume.getConfigMap().getName());
                }
            }
            for (final Container container : w.allContainers()) {
                for (final EnvVar env : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
                    final ConfigMapKeySelector ref = env.getValueFrom() == null ? null : env.getValueFrom().getConfigMapKeyRef();
                    if (ref != null && !Overlays.find(overlay, ConfigMap.class, ref.getName())
                            .map(cm -> cm.getData() != null && cm.getData().containsKey(ref.getKey())).orElse(false)) {
                        missing.add(w.id() + " env " + env.getName() + " -> ConfigMap " + ref.getName() + " key " + ref.getKey());
                    }
                }
            }
            final String account = w.pod().getServiceAccountName();
            if (account != null && !accounts.contains(account)) {
                missing.add(w.id() + " -> ServiceAccount " + account);
            }
        }
        assertEquals(List.of(), missing, overlay);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void servicesAndBudgetsSelectPods(final String overlay) {
        final List<Map<String, String>> podLabels = Overlays.workloads(overlay).stream()
                .map(w -> w.template().getMetadata().getLabels()).toList();
        for (final Service service : Overlays.all(overlay, Service.class)) {
            final Map<String, String> selector = service.getSpec().getSelector();
            assertTrue(selector != null && podLabels.stream().anyMatch(l -> l.entrySet().containsAll(selector.entrySet())),
                    overlay + ": Service " + service.getMetadata().getName() + " selects no pod");
        }
        for (final PodDisruptionBudget pdb : Overlays.all(overlay, PodDisruptionBudget.class)) {
            final Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
            assertTrue(podLabels.stream().anyMatch(l -> l.entrySet().containsAll(selector.entrySet())),
                    overlay + ": PDB " + pdb.getMetadata().getName() + " selects no pod");
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void ingressIsDeniedByDefault(final String overlay) {
        final NetworkPolicy deny = Overlays.get(overlay, NetworkPolicy.class, "default-deny-ingress");
        assertTrue(deny.getSpec().getPodSelector().getMatchLabels() == null
                || deny.getSpec().getPodSelector().getMatchLabels().isEmpty(), "selects every pod");
        assertEquals(List.of("Ingress"), deny.getSpec().getPolicyTypes());
        assertTrue(deny.getSpec().getIngress() == null || deny.getSpec().getIngress().isEmpty(), "allows nothing");
        for (final NetworkPolicy policy : Overlays.all(overlay, NetworkPolicy.class)) {
            assertFalse(policy.getSpec().getIngress() != null && policy.getSpec().getIngress().stream()
                    .anyMatch(rule -> rule.getFrom() == null || rule.getFrom().isEmpty()),
                    overlay + ": NetworkPolicy " + policy.getMetadata().getName() + " has a rule open to every source");
        }
    }

    /** A patch file the overlay's kustomization does not list does nothing, silently: every one must be listed. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyPatchFileIsListed(final String overlay) throws java.io.IOException {
        final java.nio.file.Path dir = Overlays.moduleDir().resolve("overlays").resolve(overlay);
        final String kustomization = java.nio.file.Files.readString(dir.resolve("kustomization.yaml"));
        final java.nio.file.Path patches = dir.resolve("patches");
        final List<String> unlisted = new ArrayList<>();
        if (java.nio.file.Files.isDirectory(patches)) {
            try (var files = java.nio.file.Files.list(patches)) {
                files.map(f -> "patches/" + f.getFileName()).filter(f -> !kustomization.contains("- " + f + "\n"))
                        .sorted().forEach(unlisted::add);
            }
        }
        assertEquals(List.of(), unlisted, overlay + ": patch files not in kustomization.yaml");
    }

    private static Set<String> names(final List<? extends HasMetadata> objects) {
        final Set<String> names = new HashSet<>();
        objects.forEach(o -> names.add(o.getMetadata().getName()));
        return names;
    }
}
