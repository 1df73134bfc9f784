package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.rtdw.mask.FieldMasks;
import io.rtdw.mask.MaskSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masking of the lake's personal fields is off by default and turned on by one optional Secret (k8s/README.md,
 * "Masking"): the lake sink takes both variables from {@code rtdw-mask} with {@code optional: true}, never a literal
 * value, and the field list the README tells operators to put there is one the sink accepts.
 */
class MaskingManifestTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static final String SECRET = "rtdw-mask";

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void lakeSinkTakesMaskingFromTheOptionalSecret(final String overlay) {
        final Container sink = Overlays.get(overlay, Deployment.class, "lake-sink").getSpec().getTemplate().getSpec()
                .getContainers().stream().filter(c -> c.getName().equals("lake-sink")).findFirst().orElseThrow();
        for (final String variable : List.of(MaskSettings.FIELDS.name(), MaskSettings.KEY.name())) {
            final EnvVar env = Resources.env(sink, variable).orElseThrow(() -> new AssertionError(
                    overlay + ": lake-sink lacks " + variable));
            assertNull(env.getValue(), overlay + ": " + variable + " must come from the Secret, not a literal");
            final SecretKeySelector ref = env.getValueFrom().getSecretKeyRef();
            assertNotNull(ref, overlay + ": " + variable);
            assertEquals(SECRET, ref.getName(), overlay + ": " + variable);
            assertEquals(Boolean.TRUE, ref.getOptional(), overlay + ": " + variable + " must be optional (off by default)");
        }
        assertFalse(Resources.env(sink, MaskSettings.KEY_FILE.name()).isPresent(), overlay + ": one source of the key");
    }

    @Test
    void theReadmeFieldListIsOneTheSinkAccepts() throws Exception {
        final String readme = Files.readString(Overlays.moduleDir().resolve("README.md"));
        final Matcher m = Pattern.compile("create secret generic " + SECRET + " \\\\\\n\\s*--from-literal=fields='([^']*)'")
                .matcher(readme);
        assertTrue(m.find(), "README.md must show how to create Secret " + SECRET + " with its field list");
        final FieldMasks masks = FieldMasks.configure(m.group(1), "k".repeat(FieldMasks.MIN_KEY_BYTES), null);
        assertFalse(masks.isEmpty());
        assertTrue(readme.contains("--from-literal=key=\"$(openssl rand -hex 32)\""), "a 32-byte random key");
    }
}
