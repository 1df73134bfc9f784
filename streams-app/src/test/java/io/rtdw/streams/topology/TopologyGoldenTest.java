package io.rtdw.streams.topology;

import io.rtdw.serde.SchemaHistory;
import io.rtdw.streams.tools.TopologyCompatibility;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The topology's description and manifest are part of its upgrade contract: processor, store and internal topic
 * names decide which state a new build finds after a rolling upgrade; store types and state value schemas decide
 * whether it can read it. This test keeps the build equal to the newest release recorded in
 * {@code src/main/resources/io/rtdw/streams/released-topology/} (per release a {@code <version>.txt}, the
 * description, and a {@code <version>.manifest}, store types and state schemas; the same files that
 * {@code topology-compat} ships and compares with), so any change, even one the compatibility check allows, is
 * deliberate. The manifest names each state schema by its released version in the schemas module
 * ({@code io/rtdw/schemas/released/<Name>/v<N>.avsc}).
 *
 * <p>A deliberate change: run {@code topology-compat} against the release in production, then record the new
 * description and manifest as the next version's files with {@code -Drtdw.golden.update=<next version>} (a released
 * version's files are what running instances have; do not rewrite them); a state schema equal to no released
 * version is written as its next {@code v<N>.avsc} then. {@code -Drtdw.golden.update=true} rewrites the newest
 * files, for a version not yet released (a state schema version only that version's manifest names is rewritten in
 * place: it never shipped). The schemas module's resources are read from its build output: after an update, run the
 * test once more (with {@code -am}) to see it pass.
 */
class TopologyGoldenTest {

    static final Path RELEASES = Path.of("src/main/resources/io/rtdw/streams/released-topology");
    /** The schemas module's released schemas (SchemaHistory), relative to this module. */
    static final Path RELEASED_SCHEMAS = Path.of("../schemas/src/main/resources/io/rtdw/schemas/released");

    static String describe() {
        return TopologyCompatibility.currentDescription();
    }

    /** The newest {@code <version>.txt} in {@link #RELEASES}, by numeric version order. */
    static Path newest() throws IOException {
        try (Stream<Path> files = Files.list(RELEASES)) {
            return files.filter(f -> f.getFileName().toString().matches("\\d+(\\.\\d+)*\\.txt"))
                    .max(Comparator.comparing(TopologyGoldenTest::version, Arrays::compare))
                    .orElseThrow(() -> new AssertionError("no <version>.txt in " + RELEASES));
        }
    }

    private static int[] version(final Path file) {
        return Arrays.stream(versionOf(file).split("\\.")).mapToInt(Integer::parseInt).toArray();
    }

    private static String versionOf(final Path file) {
        final String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".txt".length());
    }

    @Test
    void describeMatchesTheNewestReleasedDescription() throws IOException {
        final String actual = describe();
        final String update = System.getProperty("rtdw.golden.update", "");
        if (update.equals("true")) {
            Files.writeString(newest(), actual, StandardCharsets.UTF_8);
        } else if (!update.isEmpty()) {
            assertTrue(update.matches("\\d+(\\.\\d+)*"), "rtdw.golden.update: true or a version, was " + update);
            Files.writeString(RELEASES.resolve(update + ".txt"), actual, StandardCharsets.UTF_8);
        }
        final Path golden = newest();
        assertEquals(Files.readString(golden, StandardCharsets.UTF_8), actual,
                "topology differs from " + golden + ": run topology-compat against the release in production, then"
                        + " record the change with -Drtdw.golden.update=<next version> (see this test's javadoc)");
    }

    @Test
    void manifestMatchesTheNewestRelease() throws IOException {
        final String update = System.getProperty("rtdw.golden.update", "");
        // With a version to record, that version (the description test may not have written its .txt yet).
        final String version = update.matches("\\d+(\\.\\d+)*") ? update : versionOf(newest());
        final Path file = RELEASES.resolve(version + ".manifest");
        final TopologyCompatibility.Manifest current = TopologyCompatibility.currentManifest(version);
        if (!update.isEmpty()) {
            Files.writeString(file, recordUnreleasedSchemas(current, file).text(), StandardCharsets.UTF_8);
        }
        final List<String> unreleased = current.stateSchemas().values().stream()
                .filter(s -> s.released() == null).map(TopologyCompatibility.StateSchema::name).toList();
        assertEquals(List.of(), unreleased, "state schemas equal to no released version: record them with"
                + " -Drtdw.golden.update=true while " + version + " is not released, else =<next version> (see this"
                + " test's javadoc; the state must stay readable both ways: run topology-compat), then run again");
        assertTrue(Files.exists(file), "no " + file + ": record it with -Drtdw.golden.update=true");
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), current.text(),
                "store types or state schemas differ from " + file + ": run topology-compat against the release in"
                        + " production, then record the change with -Drtdw.golden.update=<next version>");
    }

    /**
     * Writes each state schema equal to no released version: over the version {@code file} (the manifest being
     * rewritten) names when no other release's manifest names it (it was never shipped), else as the next version.
     */
    private static TopologyCompatibility.Manifest recordUnreleasedSchemas(final TopologyCompatibility.Manifest manifest,
                                                                          final Path file) throws IOException {
        final String rewritten = Files.exists(file) ? Files.readString(file) : "";
        final StringBuilder others = new StringBuilder();
        try (Stream<Path> files = Files.list(RELEASES)) {
            for (final Path other : files.filter(f -> f.toString().endsWith(".manifest") && !f.equals(file)).toList()) {
                others.append(Files.readString(other));
            }
        }
        final Map<String, TopologyCompatibility.StateSchema> schemas = new TreeMap<>();
        for (final TopologyCompatibility.StateSchema s : manifest.stateSchemas().values()) {
            String released = s.released();
            if (released == null) {
                final String name = s.schema().getName();
                final int newest = SchemaHistory.released(name).size();
                final String newestLabel = "released=" + name + "/v" + newest + "\n";
                final boolean unshipped = newest > 0 && rewritten.contains(newestLabel)
                        && !others.toString().contains(newestLabel);
                final int next = unshipped ? newest : newest + 1;
                final Path avsc = RELEASED_SCHEMAS.resolve(name).resolve("v" + next + ".avsc");
                Files.createDirectories(avsc.getParent());
                Files.writeString(avsc, s.schema().toString(true) + "\n", StandardCharsets.UTF_8);
                released = name + "/v" + next;
            }
            schemas.put(s.name(), new TopologyCompatibility.StateSchema(s.schema(), released));
        }
        return new TopologyCompatibility.Manifest(manifest.version(), manifest.stores(), schemas);
    }

    @Test
    void noGeneratedNamesAnywhere() {
        // KSTREAM-..., KTABLE-... are generated names: they shift when the topology changes and orphan state.
        assertFalse(describe().matches("(?s).*\\b(KSTREAM|KTABLE)-[A-Z]+-\\d+.*"), describe());
    }
}
