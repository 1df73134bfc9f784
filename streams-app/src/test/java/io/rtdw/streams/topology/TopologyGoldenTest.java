package io.rtdw.streams.topology;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The topology's description is part of its upgrade contract: processor, store and internal topic names decide
 * which state a new build finds after a rolling upgrade. This test keeps the build's description equal to the
 * newest file in {@code src/main/resources/io/rtdw/streams/released-topology/} (one {@code <version>.txt} per
 * release; the same files that {@code topology-compat} ships and compares with), so any change, even one the
 * compatibility check allows, is deliberate.
 *
 * <p>A deliberate change: run {@code topology-compat} against the release in production, then record the new
 * description as the next version's file with {@code -Drtdw.golden.update=<next version>} (a released version's
 * file is what running instances have; do not rewrite it). {@code -Drtdw.golden.update=true} rewrites the newest
 * file, for a version not yet released.
 */
class TopologyGoldenTest {

    static final Path RELEASES = Path.of("src/main/resources/io/rtdw/streams/released-topology");

    static String describe() {
        return io.rtdw.streams.tools.TopologyCompatibility.currentDescription();
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
        final String name = file.getFileName().toString();
        return Arrays.stream(name.substring(0, name.length() - ".txt".length()).split("\\."))
                .mapToInt(Integer::parseInt).toArray();
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
    void noGeneratedNamesAnywhere() {
        // KSTREAM-..., KTABLE-... are generated names: they shift when the topology changes and orphan state.
        assertFalse(describe().matches("(?s).*\\b(KSTREAM|KTABLE)-[A-Z]+-\\d+.*"), describe());
    }
}
