package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.testing.pinot.PinotTables;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Pinot setup Job fills in the pinot module's table-config template: every {@code ${...}} placeholder has a
 * variable in the Job (and the script substitutes it), the topic is the catalog's output topic (read from the
 * generated ConfigMap of topic names), and the table's replica count fits the overlay's Pinot servers.
 */
class PinotSetupTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final String TABLE_CONFIG = "unified_customer_realtime_table_config.production.json";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void jobFillsEveryPlaceholderOfTheTableConfig(final String overlay) {
        final String template = Overlays.get(overlay, ConfigMap.class, "pinot-table").getData().get(TABLE_CONFIG);
        final Set<String> placeholders = new TreeSet<>();
        final Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            placeholders.add(m.group(1));
        }
        final Container job = Overlays.get(overlay, Job.class, "pinot-setup").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        final Set<String> env = job.getEnv().stream().map(EnvVar::getName).collect(Collectors.toSet());
        final String script = String.join(" ", job.getCommand());
        assertEquals(new TreeSet<>(Set.of(PinotTables.TOPIC.name(), PinotTables.BOOTSTRAP_SERVERS.name(),
                PinotTables.CCOMPAT_URL.name())), placeholders, "the placeholders are the variables PinotTables declares");
        for (final String name : placeholders) {
            assertTrue(env.contains(name), overlay + ": placeholder ${" + name + "} has no env var in the Job");
            assertTrue(script.contains("s#\\${" + name + "}#${" + name + "}#g"), overlay + ": the script does not fill ${" + name + "}");
        }
        assertTrue(script.contains("/config/" + TABLE_CONFIG), "the script reads the mounted template");

        final var topicRef = Resources.env(job, PinotTables.TOPIC.name()).orElseThrow().getValueFrom().getConfigMapKeyRef();
        assertEquals(TopicManifests.NAMES_CONFIG_MAP, topicRef.getName(), "the topic comes from the generated ConfigMap");
        assertEquals(TopicCatalog.DEFAULT.unifiedCustomers().name(),
                Overlays.get(overlay, ConfigMap.class, topicRef.getName()).getData().get(topicRef.getKey()));
        assertEquals(Resources.envValue(PolicyTest.streamsApp(overlay), KafkaClients.BOOTSTRAP_SERVERS.name()),
                Resources.envValue(job, PinotTables.BOOTSTRAP_SERVERS.name()));

        assertTrue(Pattern.compile("\"replicasPerPartition\": \"[0-9]*\"").matcher(template).find(),
                "the replica count the script replaces is in the template");
        final int replicas = Integer.parseInt(Resources.envValue(job, "PINOT_REPLICAS_PER_PARTITION"));
        final int servers = Overlays.get(overlay, StatefulSet.class, "pinot-server").getSpec().getReplicas();
        assertTrue(replicas >= 1 && replicas <= servers, overlay + ": " + replicas + " replicas on " + servers + " servers");
    }
}
