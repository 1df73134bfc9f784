package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.Service;
import io.rtdw.runtime.Setting;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The manifests and the services agree on the environment, read from the services' own declarations: every variable
 * a manifest gives one of our containers is one that service declares (a misspelt {@code RTDW_NUM_STANDBY_REPLICA}
 * would otherwise be ignored and the default used), and every variable a service requires is given to it.
 * {@code KAFKA_<NAME>} pass-through variables must be ones the service accepts (a Kafka client property that does
 * not weaken durability); variables of the JVM ({@code JAVA_*}) are not ours to check. Service links are off, so
 * Kubernetes adds no {@code KAFKA_UI_PORT} the service would refuse.
 */
class EnvContractTest {

    // read by the JVM and by glibc (MALLOC_ARENA_MAX bounds native memory arenas), not by our services
    private static final Set<String> NOT_OURS = Set.of("JAVA_TOOL_OPTIONS", "JAVA_OPTS", "JDK_JAVA_OPTIONS", "MALLOC_ARENA_MAX",
            "POD_NAME", "POD_NAMESPACE");

    @Test
    void everyVariableIsDeclaredByTheServiceAndEveryRequiredOneIsGiven() {
        final List<String> problems = new ArrayList<>();
        int containers = 0;
        for (final String overlay : Overlays.ALL) {
            for (final Overlays.Workload w : Overlays.workloads(overlay)) {
                for (final Container c : w.pod().getContainers()) {
                    final Service service = Services.BY_CONTAINER.get(c.getName());
                    if (service == null) {
                        continue;
                    }
                    containers++;
                    final Set<String> given = new TreeSet<>();
                    if (!Boolean.FALSE.equals(w.pod().getEnableServiceLinks())) {
                        problems.add(overlay + ": " + w.id() + " must set enableServiceLinks: false (Kubernetes would "
                                + "inject <SERVICE>_PORT variables, KAFKA_UI_* among them)");
                    }
                    for (final EnvVar env : c.getEnv()) {
                        given.add(env.getName());
                        final String name = env.getName();
                        if (name.startsWith(KafkaClients.PASS_THROUGH.name()) && !name.equals(
                                KafkaClients.BOOTSTRAP_SERVERS.name())) {
                            final String property = name.substring(KafkaClients.PASS_THROUGH.name().length())
                                    .toLowerCase(java.util.Locale.ROOT).replace('_', '.');
                            final io.rtdw.runtime.Env check = io.rtdw.runtime.Env.of(java.util.Map.of(name,
                                    env.getValue() == null ? "x" : env.getValue()));
                            KafkaClients.fromEnv(check);
                            if (!check.ok()) {
                                problems.add(overlay + ": " + w.id() + " sets " + name + " (" + property
                                        + "), which the service refuses");
                            }
                        }
                        if (!declared(service, env.getName())) {
                            problems.add(overlay + ": " + w.id() + " sets " + env.getName() + ", which "
                                    + service.name() + " never reads");
                        }
                    }
                    for (final Setting<?> s : service.settings()) {
                        if (s.isRequired() && !given.contains(s.name())) {
                            problems.add(overlay + ": " + w.id() + " does not set " + s.name() + ", which "
                                    + service.name() + " requires");
                        }
                    }
                }
            }
        }
        assertFalse(containers < 2 * Services.BY_CONTAINER.size(), "found only " + containers + " containers of ours");
        assertEquals(List.of(), problems);
    }

    private static boolean declared(final Service service, final String name) {
        if (NOT_OURS.contains(name)) {
            return true;
        }
        for (final Setting<?> s : service.settings()) {
            if (s.isFamily() ? name.startsWith(s.name()) : s.name().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
