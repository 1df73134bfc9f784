package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The overlays of this module, built once per test JVM, and helpers to find objects in them. */
final class Overlays {

    /** Every overlay; each must build and pass every policy. */
    static final List<String> ALL = List.of("dev", "prod");

    private static final Map<String, List<HasMetadata>> BUILT = new ConcurrentHashMap<>();

    private Overlays() {
    }

    /** This module's directory (Surefire runs tests there and sets {@code basedir}). */
    static Path moduleDir() {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    }

    /** The objects of {@code overlays/<name>}, built with kubectl kustomize and parsed strictly. */
    static List<HasMetadata> objects(final String overlay) {
        return BUILT.computeIfAbsent(overlay,
                name -> List.copyOf(StrictModels.parse(Kubectl.kustomize(moduleDir().resolve("overlays").resolve(name)))));
    }

    static <T extends HasMetadata> List<T> all(final String overlay, final Class<T> type) {
        return objects(overlay).stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> Optional<T> find(final String overlay, final Class<T> type, final String name) {
        return all(overlay, type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    static <T extends HasMetadata> T get(final String overlay, final Class<T> type, final String name) {
        return find(overlay, type, name).orElseThrow(() -> new NoSuchElementException(
                "overlay " + overlay + " has no " + type.getSimpleName() + " named " + name));
    }

    /** A workload and its pod template. */
    record Workload(HasMetadata owner, PodTemplateSpec template, boolean longRunning) {

        String id() {
            return owner.getKind() + "/" + owner.getMetadata().getName();
        }

        PodSpec pod() {
            return template.getSpec();
        }

        /** Main containers and init containers. */
        List<Container> allContainers() {
            final List<Container> all = new ArrayList<>(pod().getContainers());
            if (pod().getInitContainers() != null) {
                all.addAll(pod().getInitContainers());
            }
            return all;
        }
    }

    /** Every pod-creating object of the overlay (Deployments, StatefulSets, DaemonSets, Jobs). */
    static List<Workload> workloads(final String overlay) {
        return objects(overlay).stream().flatMap(o -> {
            if (o instanceof Deployment d) {
                return Stream.of(new Workload(d, d.getSpec().getTemplate(), true));
            } else if (o instanceof StatefulSet s) {
                return Stream.of(new Workload(s, s.getSpec().getTemplate(), true));
            } else if (o instanceof DaemonSet d) {
                return Stream.of(new Workload(d, d.getSpec().getTemplate(), true));
            } else if (o instanceof Job j) {
                return Stream.of(new Workload(j, j.getSpec().getTemplate(), false));
            }
            return Stream.empty();
        }).toList();
    }
}
