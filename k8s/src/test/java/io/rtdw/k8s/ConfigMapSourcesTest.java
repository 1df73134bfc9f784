package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ConfigMaps built from files of other modules carry exactly those files: kustomize reads them in place
 * ({@code ksql/kustomization.yaml}, {@code pinot/kustomization.yaml}, used as bases), and each of those
 * kustomizations lists its files one by one, so a statement added to {@code ksql/statements} but not to the list
 * would silently never run. This test fails then.
 */
class ConfigMapSourcesTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    private static final Path REPOSITORY = Overlays.moduleDir().getParent();

    @Test
    void ksqlDbRunsEveryStatementOfTheKsqlModule() throws IOException {
        final Map<String, String> statements = new TreeMap<>();
        try (Stream<Path> files = Files.list(REPOSITORY.resolve("ksql/statements"))) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
                statements.put(file.getFileName().toString(), Files.readString(file));
            }
        }
        assertTrue(statements.size() >= 5, "ksql/statements: " + statements.keySet());
        final ConfigMap built = Overlays.get("prod", ConfigMap.class, "ksqldb-statements");
        assertEquals(statements, new TreeMap<>(built.getData()),
                "ConfigMap ksqldb-statements differs from ksql/statements: list every file in ksql/kustomization.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void pinotSetupGetsThePinotModulesSchemaAndProductionTableConfig(final String overlay) throws IOException {
        final Path dir = REPOSITORY.resolve("pinot/src/main/resources/pinot");
        final Map<String, String> files = new TreeMap<>();
        for (final String file : List.of("unified_customer_schema.json", "unified_customer_realtime_table_config.production.json")) {
            files.put(file, Files.readString(dir.resolve(file)));
        }
        assertEquals(files, new TreeMap<>(Overlays.get(overlay, ConfigMap.class, "pinot-table").getData()),
                overlay + ": ConfigMap pinot-table differs from the pinot module's files (pinot/kustomization.yaml)");
    }
}
