package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every configuration variable a manifest gives one of our programs is one that program reads: a misspelt
 * {@code RTDW_NUM_STANDBY_REPLICA} would otherwise be ignored silently and the default used. The variables a
 * program reads are the string literals in its module's sources (and in the schemas module, which reads the topic
 * catalog and registry variables for every program). {@code KAFKA_<NAME>} pass-through properties and JVM options
 * are not names the programs spell, so they are not checked.
 */
class EnvContractTest {

    private static final Pattern LITERAL = Pattern.compile("\"((?:RTDW|PG|MONGODB|S3|KAFKA)_[A-Z0-9_]+)\"");
    private static final Pattern CHECKED = Pattern.compile("(RTDW|PG|MONGODB|S3)_[A-Z0-9_]+|KAFKA_BOOTSTRAP_SERVERS");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "StatefulSet, streams-app, streams-app, streams-app",
            "Deployment, cdc-postgres, cdc, cdc-sources",
            "Deployment, cdc-mongodb, cdc, cdc-sources",
            "Deployment, lake-sink, lake-sink, lake-sink"})
    void everyVariableIsReadByTheProgram(final String kind, final String workload, final String container,
                                         final String module) throws IOException {
        final Path sources = Overlays.moduleDir().resolve("..").resolve(module).resolve("src/main/java");
        assumeTrue(Files.isDirectory(sources), module + " has no sources yet");
        final Set<String> known = literals(sources);
        known.addAll(literals(Overlays.moduleDir().resolve("../schemas/src/main/java")));

        for (final String overlay : Overlays.ALL) {
            final Overlays.Workload w = Overlays.workloads(overlay).stream()
                    .filter(x -> x.owner().getKind().equals(kind) && x.owner().getMetadata().getName().equals(workload))
                    .findFirst().orElseThrow();
            final Container c = w.pod().getContainers().stream().filter(x -> x.getName().equals(container))
                    .findFirst().orElseThrow();
            final Set<String> unknown = new TreeSet<>();
            for (final EnvVar env : c.getEnv()) {
                if (CHECKED.matcher(env.getName()).matches() && !known.contains(env.getName())) {
                    unknown.add(env.getName());
                }
            }
            assertEquals(Set.of(), unknown, overlay + ": " + w.id() + " sets variables " + module + " never reads");
        }
    }

    private static Set<String> literals(final Path dir) throws IOException {
        final Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                final Matcher m = LITERAL.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

}
