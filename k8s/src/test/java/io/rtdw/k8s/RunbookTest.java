package io.rtdw.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.lake.ChangelogFile;
import io.rtdw.lake.LakeSinkConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RUNBOOK.md's commands and smoke-test.sh's pods stay true to the manifests: every kubectl command of the runbook
 * names objects, pods, containers, labels, ports, environment variables, topics and groups that the built overlays
 * (dev and prod) or TopicCatalog have ({@link RunbookCommands}); every topic-shaped name in its text is a topic; every
 * alert has its section; every internal link resolves. A renamed StatefulSet, container, topic or alert fails here.
 */
class RunbookTest {

    private static final Path MODULE = Overlays.moduleDir();
    private static final Path RUNBOOK = MODULE.resolve("RUNBOOK.md");
    private static final Path SMOKE_TEST = MODULE.resolve("smoke-test.sh");

    private static String runbook() throws IOException {
        return Files.readString(RUNBOOK);
    }

    @Test
    void everyKubectlCommandNamesWhatTheOverlaysHave() throws IOException {
        final RunbookCommands check = new RunbookCommands(Overlays.ALL).checkMarkdown(runbook());
        assertEquals(List.of(), check.problems(), "RUNBOOK.md commands that do not match the overlays");
        assertTrue(check.commands() >= 40, "only " + check.commands() + " kubectl commands found: does the parser still read the blocks?");
    }

    /** The checker itself: one drifted name per line below, each must be reported. */
    @Test
    void theCheckFindsEachKindOfDrift() {
        final List<String> drifted = List.of(
                "kubectl -n rtdw rollout undo statefulset/streams-ap",
                "kubectl -n rtdw exec postgres-1 -c postgres -- psql",
                "kubectl -n rtdw exec postgres-0 -c pg -- psql",
                "kubectl -n other get pods",
                "kubectl -n rtdw get pods -l app.kubernetes.io/name=streams",
                "kubectl -n rtdw get pods -l strimzi.io/cluster=rtdw,strimzi.io/pool-name=broker",
                "kubectl -n rtdw exec pinot-controller-0 -c controller -- curl http://localhost:9001/health",
                "kubectl -n rtdw exec -i postgres-0 -c postgres -- sh -c 'psql -U \"$PGUSER\"'",
                "kubectl -n rtdw port-forward svc/grafana 3001",
                "kubectl -n rtdw describe kafkatopic rtdw.warehouse.unified_customer",
                "kubectl -n rtdw logs -l app.kubernetes.io/name=streams-app -c app",
                "kubectl -n rtdw run cli --image=x --labels=rtdw.io/kafka=true --command -- sleep 1",
                "kubectl -n rtdw run kafka-cli --image=x --labels=rtdw.io/kafka-client=true --command -- sleep 1",
                "kubectl -n rtdw exec kafka-cli -- /opt/kafka/bin/kafka-topics.sh --bootstrap-server rtdw-kafka:9092 --list",
                "kubectl -n rtdw exec kafka-cli -- /opt/kafka/bin/kafka-topics.sh --bootstrap-server rtdw-kafka-bootstrap:9093 --describe --topic rtdw.public.customer",
                "kubectl -n rtdw exec kafka-cli -- /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server rtdw-kafka-bootstrap:9093 --reset-offsets --group rtdw-unified-customer --topic rtdw.public.flight:6 --to-offset 1",
                "kubectl -n rtdw exec kafka-cli -- /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server rtdw-kafka-bootstrap:9093 --describe --group rtdw-unified",
                "kubectl -n rtdw get pvc state-streams-app-7");
        final StringBuilder markdown = new StringBuilder();
        for (final String line : drifted) {
            markdown.append("```sh\n").append(line).append("\n```\n");
        }
        final RunbookCommands check = new RunbookCommands(Overlays.ALL).checkMarkdown(markdown.toString());
        // the kafka-cli run line is correct (it creates the pod the tool lines use): one problem for every other line
        assertEquals(drifted.size() - 1, check.problems().size(), String.join("\n", check.problems()));
        for (final String line : drifted) {
            final boolean reported = check.problems().stream().anyMatch(p -> p.endsWith("in: " + line));
            assertEquals(!line.contains("--labels=rtdw.io/kafka-client=true"), reported, line + "\n" + check.problems());
        }
    }

    @Test
    void everyTopicShapedNameInTheTextIsATopic() throws IOException {
        final RunbookCommands names = new RunbookCommands(Overlays.ALL);
        final Set<String> known = new HashSet<>(names.topics().keySet());
        known.addAll(names.kafkaTopicObjects());
        final Matcher m = TopicNamesTest.NAME.matcher(runbook());
        final List<String> unknown = new ArrayList<>();
        int checked = 0;
        while (m.find()) {
            checked++;
            if (!known.contains(m.group(1))) {
                unknown.add(m.group(1));
            }
        }
        assertEquals(List.of(), unknown, "names in RUNBOOK.md that are neither a topic nor a KafkaTopic");
        final Set<String> catalog = new HashSet<>();
        TopicCatalog.DEFAULT.all().stream().map(Topic::name).forEach(catalog::add);
        final String text = runbook();
        assertEquals(List.of(), catalog.stream().filter(t -> !text.contains("`" + t + "`")).sorted().toList(),
                "catalog topics the runbook's topic list does not name");
        assertTrue(checked >= 20, "only " + checked + " topic names found");
    }

    @Test
    void everyAlertHasItsSection() throws IOException {
        final ConfigMap config = Overlays.get("prod", ConfigMap.class, "prometheus-config");
        final Matcher alerts = Pattern.compile("(?m)^\\s*- alert: (\\S+)").matcher(config.getData().get("rules.yml"));
        final String text = runbook();
        final List<String> missing = new ArrayList<>();
        int n = 0;
        while (alerts.find()) {
            n++;
            final String anchor = "<a id=\"alert-" + alerts.group(1).toLowerCase(Locale.ROOT) + "\"></a>";
            if (!text.contains(anchor)) {
                missing.add(alerts.group(1) + " (" + anchor + ")");
            }
        }
        assertTrue(n >= 10, "only " + n + " alerts read from prometheus-config");
        assertEquals(List.of(), missing, "alerts without a section in RUNBOOK.md");
    }

    @Test
    void everyInternalLinkResolves() throws IOException {
        final String text = runbook();
        final Set<String> anchors = new HashSet<>();
        final Matcher headings = Pattern.compile("(?m)^#{1,6} (.+)$").matcher(text);
        while (headings.find()) {
            anchors.add(headings.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "")
                    .replace(' ', '-'));
        }
        final Matcher ids = Pattern.compile("<a id=\"([^\"]+)\">").matcher(text);
        while (ids.find()) {
            anchors.add(ids.group(1));
        }
        final Matcher links = Pattern.compile("\\]\\(#([^)]+)\\)").matcher(text);
        final List<String> broken = new ArrayList<>();
        while (links.find()) {
            if (!anchors.contains(links.group(1))) {
                broken.add(links.group(1));
            }
        }
        assertEquals(List.of(), broken, "links to no heading of RUNBOOK.md");
        final Matcher files = Pattern.compile("\\]\\(([^)#:]+)\\)").matcher(text);
        while (files.find()) {
            assertTrue(Files.exists(MODULE.resolve(files.group(1))), "RUNBOOK.md links to a missing file " + files.group(1));
        }
    }

    /**
     * smoke-test.sh's defaults and its {@code kubectl exec} functions: each pod and container exists, the ports it
     * calls are the container's, the variables its in-pod shell reads are the container's environment, the bucket,
     * prefix and Pinot table are the deployment's.
     */
    @Test
    void smokeTestReachesWhatTheOverlaysDeploy() throws IOException {
        final String script = Files.readString(SMOKE_TEST);
        final Map<String, String> defaults = new LinkedHashMap<>();
        final Matcher d = Pattern.compile("(?m)^([A-Z_]+)=\"\\$\\{SMOKE_[A-Z_]+:-([^}]+)}\"").matcher(script);
        while (d.find()) {
            defaults.put(d.group(1), d.group(2));
        }
        assertTrue(defaults.keySet().containsAll(List.of("POSTGRES_POD", "MONGODB_POD", "MINIO_POD", "PINOT_BROKER",
                "BUCKET", "PINOT_TABLE")), defaults.toString());

        // Each function that execs, rewritten as the kubectl command it runs with the defaults, checked as the runbook's.
        final Matcher fn = Pattern.compile("(?ms)^\\w+\\(\\) \\{(.*?)(?:; }$|^}$)").matcher(script);
        final Pattern exec = Pattern.compile("(?s)k exec (-i )?\"\\$(\\w+)\" (-c \\S+) -- (.*)");
        final StringBuilder markdown = new StringBuilder();
        int execs = 0;
        while (fn.find()) {
            final Matcher e = exec.matcher(fn.group(1));
            if (!e.find()) {
                continue;
            }
            execs++;
            final String inPod = e.group(4).replaceAll("\\\\\\n\\s*", " ").replaceAll("\\n\\s*", " ");
            markdown.append("```sh\nkubectl -n rtdw exec ").append(e.group(1) == null ? "" : e.group(1))
                    .append(defaults.get(e.group(2))).append(' ').append(e.group(3)).append(" -- ").append(inPod)
                    .append("\n```\n");
        }
        assertEquals(4, execs, "exec functions found (pg, mongo, pinot_sql, mc):\n" + markdown);
        final RunbookCommands check = new RunbookCommands(Overlays.ALL).checkMarkdown(markdown.toString());
        assertEquals(List.of(), check.problems(), "smoke-test.sh execs:\n" + markdown);

        for (final String overlay : Overlays.ALL) {
            final Container sink = Overlays.get(overlay, Deployment.class, "lake-sink").getSpec().getTemplate().getSpec()
                    .getContainers().get(0);
            assertEquals(Resources.envValue(sink, LakeSinkConfig.S3_BUCKET.name()), defaults.get("BUCKET"), overlay);
        }
        assertTrue(script.contains("/" + ChangelogFile.PREFIX + "dt="), "the lake's changelog prefix changed");
        final String tableName = new ObjectMapper().readTree(MODULE.getParent().resolve(
                "pinot/src/main/resources/pinot/unified_customer_realtime_table_config.production.json").toFile())
                .get("tableName").asText();
        assertEquals(tableName, defaults.get("PINOT_TABLE"));
        assertTrue(runbook().contains("`" + tableName + "`") || runbook().contains("/tables/" + tableName + "/"));
    }
}
