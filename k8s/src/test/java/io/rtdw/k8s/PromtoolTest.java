package io.rtdw.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The alerting configuration, checked with the real tools: the rules of the built overlays pass {@code promtool
 * check rules} and the unit tests of {@code src/test/promtool} ({@code promtool test rules}); every alert carries a
 * severity, a summary and its runbook anchor, and has a test where it fires and one where it stays silent; the
 * Prometheus configuration passes {@code promtool check config}; Alertmanager's passes {@code amtool check-config}
 * and reads its receiver's URL from the Secret the Deployment mounts. Needs promtool and amtool (Debian's
 * {@code prometheus} and {@code prometheus-alertmanager}); fails saying so when they are missing.
 */
class PromtoolTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;
    private static final Set<String> SEVERITIES = Set.of("critical", "warning");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void rulesPassPromtoolAndTheirUnitTests(final String overlay) throws IOException {
        Files.writeString(dir.resolve("rules.yml"), MonitoringTools.configMapKey(overlay, "prometheus-config", "rules.yml"));
        expectSuccess(MonitoringTools.run(dir, MonitoringTools.promtool().toString(), "check", "rules", "rules.yml"),
                overlay + ": promtool check rules");
        final List<Path> tests = MonitoringTools.unitTestFiles();
        assertTrue(tests.size() >= 2, "promtool unit tests: " + tests);
        for (final Path test : tests) {
            Files.copy(test, dir.resolve(test.getFileName()));
            expectSuccess(MonitoringTools.run(dir, MonitoringTools.promtool().toString(), "test", "rules",
                    test.getFileName().toString()), overlay + ": promtool test rules " + test.getFileName());
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyAlertHasASeveritySummaryAndRunbookAnchor(final String overlay) {
        final List<String> problems = new ArrayList<>();
        final List<JsonNode> alerts = MonitoringTools.alertRules(overlay);
        assertTrue(alerts.size() >= 20, overlay + ": only " + alerts.size() + " alerts");
        for (final JsonNode rule : alerts) {
            final String name = rule.get("alert").asText();
            final String severity = rule.path("labels").path("severity").asText("");
            if (!SEVERITIES.contains(severity)) {
                problems.add(name + ": severity '" + severity + "' is not one of " + SEVERITIES);
            }
            if (rule.path("annotations").path("summary").asText("").isBlank()) {
                problems.add(name + ": no summary");
            }
            final String runbook = rule.path("annotations").path("runbook_url").asText("");
            if (!runbook.equals("k8s/RUNBOOK.md#alert-" + name.toLowerCase(java.util.Locale.ROOT))) {
                problems.add(name + ": runbook_url '" + runbook + "' is not k8s/RUNBOOK.md#alert-<name in lower case>");
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    /** A unit test that expects nothing passes for a misspelt alert name: both cases must exist, for real alerts. */
    @Test
    void everyAlertHasAFiringAndASilentUnitTest() throws IOException {
        final Map<String, Set<String>> cases = new TreeMap<>();
        for (final Path file : MonitoringTools.unitTestFiles()) {
            for (final JsonNode group : MonitoringTools.YAML.readTree(file.toFile()).get("tests")) {
                for (final JsonNode test : group.path("alert_rule_test")) {
                    final boolean fires = test.path("exp_alerts").size() > 0;
                    cases.computeIfAbsent(test.get("alertname").asText(), k -> new TreeSet<>())
                            .add(fires ? "fires" : "silent");
                }
            }
        }
        final Set<String> names = new TreeSet<>();
        MonitoringTools.alertRules("prod").forEach(rule -> names.add(rule.get("alert").asText()));
        final List<String> problems = new ArrayList<>();
        for (final String name : names) {
            final Set<String> kinds = cases.getOrDefault(name, Set.of());
            if (!kinds.equals(Set.of("fires", "silent"))) {
                problems.add(name + " has unit tests " + kinds + ", needs [fires, silent]");
            }
        }
        for (final String tested : cases.keySet()) {
            if (!names.contains(tested)) {
                problems.add("unit tests name " + tested + ", which is not an alert");
            }
        }
        assertEquals(List.of(), problems);
    }

    /**
     * {@code promtool check config} on the configuration as deployed, with two adaptations for this machine:
     * Debian's promtool 2.42 is built without Kubernetes service discovery, so each {@code kubernetes_sd_configs}
     * becomes a static target; and files that exist only in the pod (the rules file, the service account's token and
     * CA) point at local files.
     */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void prometheusConfigPassesPromtool(final String overlay) throws IOException {
        final ObjectNode config = (ObjectNode) MonitoringTools.yaml(
                MonitoringTools.configMapKey(overlay, "prometheus-config", "prometheus.yml"));
        Files.writeString(dir.resolve("rules.yml"), MonitoringTools.configMapKey(overlay, "prometheus-config", "rules.yml"));
        final ArrayNode ruleFiles = (ArrayNode) config.get("rule_files");
        assertEquals("[\"/etc/prometheus/rules.yml\"]", ruleFiles.toString(),
                "the rules are the ConfigMap's key rules.yml, mounted at /etc/prometheus");
        ruleFiles.removeAll().add(dir.resolve("rules.yml").toString());
        int discovered = 0;
        for (final JsonNode job : config.get("scrape_configs")) {
            if (((ObjectNode) job).remove("kubernetes_sd_configs") != null) {
                discovered++;
                ((ObjectNode) job).putArray("static_configs").addObject().putArray("targets").add("sd.invalid:80");
            }
        }
        assertTrue(discovered >= 2, "pod and node discovery jobs");
        localiseFiles(config, dir);
        Files.writeString(dir.resolve("prometheus.yml"), MonitoringTools.YAML.writeValueAsString(config));
        expectSuccess(MonitoringTools.run(dir, MonitoringTools.promtool().toString(), "check", "config", "prometheus.yml"),
                overlay + ": promtool check config");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void alertmanagerConfigPassesAmtoolAndReadsTheMountedSecret(final String overlay) throws IOException {
        final String text = MonitoringTools.configMapKey(overlay, "alertmanager-config", "alertmanager.yml");
        Files.writeString(dir.resolve("alertmanager.yml"), text);
        expectSuccess(MonitoringTools.run(dir, MonitoringTools.amtool().toString(), "check-config", "alertmanager.yml"),
                overlay + ": amtool check-config");

        final Deployment deployment = Overlays.get(overlay, Deployment.class, "alertmanager");
        final Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertTrue(container.getArgs().contains("--config.file=/etc/alertmanager/alertmanager.yml"), "config file arg");
        final Set<String> secretFiles = new TreeSet<>();
        final Set<String> configFiles = new TreeSet<>();
        for (final VolumeMount mount : container.getVolumeMounts()) {
            final Volume volume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                    .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
            if (volume.getSecret() != null) {
                assertTrue(PolicyTest.DOCUMENTED_SECRETS.contains(volume.getSecret().getSecretName()));
                for (final KeyToPath item : volume.getSecret().getItems()) {
                    secretFiles.add(mount.getMountPath() + "/" + item.getPath());
                }
            } else if (volume.getConfigMap() != null) {
                assertEquals("alertmanager-config", volume.getConfigMap().getName());
                configFiles.add(mount.getMountPath() + "/alertmanager.yml");
            }
        }
        assertEquals(Set.of("/etc/alertmanager/alertmanager.yml"), configFiles, "the config is mounted where read");

        final JsonNode config = MonitoringTools.yaml(text);
        final Set<String> receivers = new TreeSet<>();
        final List<String> problems = new ArrayList<>();
        for (final JsonNode receiver : config.get("receivers")) {
            receivers.add(receiver.get("name").asText());
            final List<String> files = new ArrayList<>();
            collectFileKeys(receiver, files);
            if (files.isEmpty()) {
                problems.add("receiver " + receiver.get("name").asText() + " reads no credential file: it reaches nobody"
                        + " (or holds its URL in the repository)");
            }
            for (final String file : files) {
                if (!secretFiles.contains(file)) {
                    problems.add("receiver " + receiver.get("name").asText() + " reads " + file
                            + ", which is no mounted Secret key " + secretFiles);
                }
            }
        }
        final List<String> routed = new ArrayList<>();
        collectReceivers(config.get("route"), routed);
        routed.stream().filter(r -> !receivers.contains(r)).forEach(r -> problems.add("route to unknown receiver " + r));
        assertFalse(routed.isEmpty(), "a route");
        assertEquals(List.of(), problems, overlay);
    }

    private static void collectFileKeys(final JsonNode node, final List<String> files) {
        if (node.isObject()) {
            for (final Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                final Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().endsWith("_file") && field.getValue().isTextual()) {
                    files.add(field.getValue().asText());
                } else {
                    collectFileKeys(field.getValue(), files);
                }
            }
        } else if (node.isArray()) {
            node.forEach(child -> collectFileKeys(child, files));
        }
    }

    private static void collectReceivers(final JsonNode route, final List<String> receivers) {
        if (route.has("receiver")) {
            receivers.add(route.get("receiver").asText());
        }
        route.path("routes").forEach(child -> collectReceivers(child, receivers));
    }

    /** Points every {@code *_file} setting at an empty local file (promtool checks that they exist). */
    private static void localiseFiles(final JsonNode node, final Path dir) throws IOException {
        if (node.isObject()) {
            final ObjectNode object = (ObjectNode) node;
            final List<String> keys = new ArrayList<>();
            object.fieldNames().forEachRemaining(keys::add);
            for (final String key : keys) {
                final JsonNode value = object.get(key);
                if (key.endsWith("_file") && value.isTextual()) {
                    final Path local = dir.resolve("file-" + key + "-" + Math.abs(value.asText().hashCode()));
                    if (!Files.exists(local)) {
                        Files.createFile(local);
                    }
                    object.put(key, local.toString());
                } else {
                    localiseFiles(value, dir);
                }
            }
        } else if (node.isArray()) {
            for (final JsonNode child : node) {
                localiseFiles(child, dir);
            }
        }
    }

    private static void expectSuccess(final MonitoringTools.Result result, final String what) {
        assertEquals(0, result.exitCode(), what + " failed:\n" + result.output());
    }
}
