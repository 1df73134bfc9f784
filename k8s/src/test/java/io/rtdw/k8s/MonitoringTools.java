package io.rtdw.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' {@code promtool} and Alertmanager's {@code amtool} (and both servers), and the configurations they
 * check, read from the built overlays. The binaries are {@code $PROMTOOL} / {@code $AMTOOL} / {@code $PROMETHEUS} /
 * {@code $ALERTMANAGER} if set, else on the {@code PATH}: Debian's {@code prometheus} and
 * {@code prometheus-alertmanager} packages, which {@code .ci/run} installs.
 */
final class MonitoringTools {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final long TIMEOUT_SECONDS = 120;

    private MonitoringTools() {
    }

    /** The output and exit code of a finished tool run. */
    record Result(int exitCode, String output) {
    }

    static Path promtool() {
        return binary("PROMTOOL", "promtool", "prometheus");
    }

    static Path amtool() {
        return binary("AMTOOL", "amtool", "prometheus-alertmanager");
    }

    /** The Prometheus server (AlertDeliveryIT). */
    static Path prometheus() {
        return binary("PROMETHEUS", "prometheus", "prometheus");
    }

    /** The Alertmanager server; Debian names it prometheus-alertmanager (AlertDeliveryIT). */
    static Path alertmanager() {
        return binary("ALERTMANAGER", "prometheus-alertmanager", "prometheus-alertmanager");
    }

    private static Path binary(final String variable, final String name, final String debianPackage) {
        final String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            final Path path = Path.of(configured);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException(variable + "=" + configured + " is not an executable file");
            }
            return path;
        }
        return Kubectl.findOnPath(name).orElseThrow(() -> new IllegalStateException(name + " not found on PATH: "
                + "install Debian's " + debianPackage + " (apt-get install --no-install-recommends " + debianPackage
                + "; .ci/run does this) or point " + variable + " at a " + name + " binary"));
    }

    /** Runs {@code command} in {@code dir}; stdout and stderr together. */
    static Result run(final Path dir, final String... command) {
        try {
            final Path out = Files.createTempFile(dir, "tool", ".out");
            final Process process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            final String output = Files.readString(out, StandardCharsets.UTF_8);
            Files.delete(out);
            return new Result(process.exitValue(), output);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot run " + command[0], e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command[0], e);
        }
    }

    /** A key of a ConfigMap of the built overlay. */
    static String configMapKey(final String overlay, final String configMap, final String key) {
        final String value = Overlays.get(overlay, ConfigMap.class, configMap).getData().get(key);
        if (value == null) {
            throw new AssertionError(overlay + ": ConfigMap " + configMap + " has no key " + key);
        }
        return value;
    }

    static JsonNode yaml(final String text) {
        try {
            return YAML.readTree(text);
        } catch (final IOException e) {
            throw new AssertionError("not YAML: " + e.getMessage(), e);
        }
    }

    /** The rules of the Prometheus ConfigMap: every {@code alert} rule of every group. */
    static List<JsonNode> alertRules(final String overlay) {
        final List<JsonNode> alerts = new ArrayList<>();
        yaml(configMapKey(overlay, "prometheus-config", "rules.yml")).get("groups")
                .forEach(group -> group.get("rules").forEach(rule -> {
                    if (rule.has("alert")) {
                        alerts.add(rule);
                    }
                }));
        return alerts;
    }

    /** The promtool unit-test files of this module ({@code src/test/promtool/*-test.yml}). */
    static List<Path> unitTestFiles() {
        final Path dir = Overlays.moduleDir().resolve("src/test/promtool");
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith("-test.yml")).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
