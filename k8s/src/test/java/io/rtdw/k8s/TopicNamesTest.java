package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No deployment file spells a topic name the catalog does not have. {@code base/topics} is generated (and the Pinot
 * setup Job reads its topic from the generated ConfigMap), but some files must name topics themselves: the ksqlDB
 * statements ({@code KAFKA_TOPIC = '...'}), the Grafana dashboard and the Prometheus alerts ({@code topic="..."},
 * {@code topic=~"..."}), the Kafka Connect configs. This test reads every such file and checks every occurrence:
 * each name of the catalog's shape ({@code <prefix>.<part>.<rest>}, {@code __debezium-heartbeat.<prefix>}) must be
 * a catalog topic (or one of ksqlDB's own {@code <prefix>.ksql.*} topics, declared by the statements), and each
 * topic regex must match a catalog topic. The services' catalog settings in the manifests must give the default
 * catalog.
 */
class TopicNamesTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final Path REPOSITORY = Overlays.moduleDir().getParent();
    /** Every directory holding deployment files (topic manifests excluded: TopicManifestTest compares them whole). */
    private static final List<String> DEPLOYMENT_DIRS = List.of("k8s/base", "k8s/ksqldb", "k8s/overlays",
            "ksql/statements", "cdc-sources/connect", "pinot/src/main/resources/pinot");
    private static final Path GENERATED = REPOSITORY.resolve("k8s/base/topics");
    private static final Set<String> EXTENSIONS = Set.of("yaml", "yml", "json", "sql", "properties");

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    static final Pattern NAME = Pattern.compile("(?<![\\w.\\-/\\\\])((?:__debezium-heartbeat\\.)?"
            + Pattern.quote(CATALOG.prefix()) + "\\.[\\w\\-]+\\.[\\w.\\-]*\\w|__debezium-heartbeat\\.[\\w.\\-]*\\w)(?![\\w.\\-/])");
    /** {@code topic=~"..."} in PromQL, also inside a JSON string ({@code topic=~\"...\"}). */
    private static final Pattern TOPIC_REGEX = Pattern.compile("topic=~\\\\?\"(.*?)\\\\?\"");

    @Test
    void everyTopicNameInADeploymentFileIsACatalogTopic() throws IOException {
        final Set<String> names = Set.copyOf(CATALOG.all().stream().map(Topic::name).toList());
        final String ksqlOwn = CATALOG.prefix() + ".ksql.";
        final List<String> unknown = new ArrayList<>();
        int checked = 0;
        for (final Path file : deploymentFiles()) {
            final String relative = REPOSITORY.relativize(file).toString();
            final Matcher m = NAME.matcher(Files.readString(file));
            while (m.find()) {
                checked++;
                final String name = m.group(1);
                final boolean ksqlDbsOwn = relative.startsWith("ksql/statements/") && name.startsWith(ksqlOwn);
                if (!names.contains(name) && !ksqlDbsOwn) {
                    unknown.add(relative + ": " + name);
                }
            }
        }
        assertEquals(List.of(), unknown, "topic names that are not in TopicCatalog.DEFAULT");
        assertTrue(checked >= 5, "found only " + checked + " topic names: does the pattern still match them?");
    }

    @Test
    void everyTopicRegexMatchesACatalogTopic() throws IOException {
        final List<String> problems = new ArrayList<>();
        int checked = 0;
        for (final Path file : deploymentFiles()) {
            final Matcher m = TOPIC_REGEX.matcher(Files.readString(file));
            while (m.find()) {
                checked++;
                // PromQL unescapes the string once, JSON or YAML may have escaped it again: one backslash remains.
                final Pattern regex = Pattern.compile(m.group(1).replaceAll("\\\\+", "\\\\"));
                if (CATALOG.all().stream().noneMatch(t -> regex.matcher(t.name()).matches())) {
                    problems.add(REPOSITORY.relativize(file) + ": " + regex + " matches no catalog topic");
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(checked >= 2, "found only " + checked + " topic regexes (dashboard, alerts)");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void servicesAreGivenTheDefaultCatalog(final String overlay) {
        final List<String> problems = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container container : w.allContainers()) {
                final Map<String, String> env = new HashMap<>();
                for (final EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
                    if (var.getValue() != null && List.of("RTDW_TOPIC_PREFIX", "RTDW_PG_SCHEMA", "RTDW_MONGO_DATABASE",
                            "RTDW_TOPIC_PARTITIONS", "RTDW_REPLICATION_FACTOR").contains(var.getName())) {
                        env.put(var.getName(), var.getValue());
                    }
                }
                if (!env.isEmpty() && !TopicCatalog.fromEnv(env).equals(CATALOG)) {
                    problems.add(w.id() + "/" + container.getName() + " " + env + " is not TopicCatalog.DEFAULT's");
                }
            }
        }
        assertEquals(List.of(), problems, overlay + ": the topics of base/topics are the default catalog's");
    }

    private static List<Path> deploymentFiles() throws IOException {
        final List<Path> files = new ArrayList<>();
        for (final String dir : DEPLOYMENT_DIRS) {
            final Path root = REPOSITORY.resolve(dir);
            assertTrue(Files.isDirectory(root), dir + " is gone: update DEPLOYMENT_DIRS");
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile).filter(f -> !f.startsWith(GENERATED))
                        .filter(f -> EXTENSIONS.contains(extension(f))).forEach(files::add);
            }
        }
        return files;
    }

    private static String extension(final Path file) {
        final String name = file.getFileName().toString();
        return name.substring(name.lastIndexOf('.') + 1);
    }
}
