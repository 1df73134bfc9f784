package io.rtdw.streams.topology;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.ops.PipelineMetrics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The topology's description is part of its upgrade contract: processor, store and internal topic names decide
 * which state a new build finds after a rolling upgrade. A change here must be deliberate: review it with
 * {@code topology-compat}, then regenerate the golden file with {@code -Drtdw.golden.update=true}.
 */
class TopologyGoldenTest {

    static final Path GOLDEN = Path.of("src/test/resources/topology.golden.txt");

    static String describe() {
        return UnifiedCustomerTopology.build(TopicCatalog.DEFAULT, RegistrySerdes.embedded(), 100, new PipelineMetrics())
                .describe().toString();
    }

    @Test
    void describeMatchesTheGoldenFile() throws IOException {
        final String actual = describe();
        if (Boolean.getBoolean("rtdw.golden.update")) {
            Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), actual,
                "topology changed: run TopologyCompatibility against the previous release before updating the golden file");
    }

    @Test
    void noGeneratedNamesAnywhere() {
        // KSTREAM-..., KTABLE-... are generated names: they shift when the topology changes and orphan state.
        assertFalse(describe().matches("(?s).*\\b(KSTREAM|KTABLE)-[A-Z]+-\\d+.*"), describe());
    }
}
