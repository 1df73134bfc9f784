package io.rtdw.k8s;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * kustomize needs copies of files owned by other modules inside k8s/ (see sync-copies.sh). These tests fail as
 * soon as a copy differs from its original, so a deployment never runs stale statements or a stale table config.
 */
class CopiesTest {

    private static final Path MODULE = Overlays.moduleDir();

    @Test
    void ksqlDbStatementsAreTheKsqlModulesStatements() throws IOException {
        final Map<String, String> original = read(MODULE.resolve("../ksql/statements"));
        final Map<String, String> copy = read(MODULE.resolve("ksqldb/statements"));
        assertTrue(original.size() >= 5, "ksql/statements: " + original.keySet());
        assertEquals(original, copy, "k8s/ksqldb/statements differs from ksql/statements: run k8s/sync-copies.sh");

        final String kustomization = Files.readString(MODULE.resolve("ksqldb/kustomization.yaml"));
        for (final String file : original.keySet()) {
            assertTrue(kustomization.contains("- statements/" + file), "ksqldb/kustomization.yaml lacks " + file);
        }
    }

    @Test
    void pinotFilesAreThePinotModulesFiles() throws IOException {
        final Path originals = MODULE.resolve("../pinot/src/main/resources/pinot");
        for (final String file : List.of("unified_customer_schema.json", "unified_customer_realtime_table_config.production.json")) {
            final Path original = originals.resolve(file);
            assumeTrue(Files.exists(original), "pinot module has no " + file + " yet; k8s uses its placeholder");
            assertEquals(Files.readString(original), Files.readString(MODULE.resolve("base/pinot/files").resolve(file)),
                    "k8s/base/pinot/files/" + file + " differs from the pinot module's: run k8s/sync-copies.sh");
        }
    }

    private static Map<String, String> read(final Path dir) throws IOException {
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (final Path file : list.filter(f -> f.toString().endsWith(".sql")).toList()) {
                files.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        return files;
    }
}
