package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

/** Small accessors for resource quantities and env vars, so the policy tests read like the table they check. */
final class Resources {

    private Resources() {
    }

    /** A quantity in base units (cores, bytes); null when absent. */
    static BigDecimal amount(final Map<String, Quantity> quantities, final String resource) {
        if (quantities == null || quantities.get(resource) == null) {
            return null;
        }
        return Quantity.getAmountInBytes(quantities.get(resource)).stripTrailingZeros();
    }

    static BigDecimal quantity(final String text) {
        return Quantity.getAmountInBytes(new Quantity(text)).stripTrailingZeros();
    }

    static BigDecimal request(final ResourceRequirements r, final String resource) {
        return r == null ? null : amount(r.getRequests(), resource);
    }

    static BigDecimal limit(final ResourceRequirements r, final String resource) {
        return r == null ? null : amount(r.getLimits(), resource);
    }

    static Optional<EnvVar> env(final Container container, final String name) {
        return container.getEnv() == null ? Optional.empty()
                : container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    /** The literal value of an env var, or a failure naming the container. */
    static String envValue(final Container container, final String name) {
        return env(container, name).map(EnvVar::getValue).orElseThrow(() -> new AssertionError(
                "container " + container.getName() + " has no literal env var " + name));
    }
}
