package io.rtdw.streams.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.testing.ChangeLines;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.Oracle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every scenario fixture of {@code src/test/resources/scenarios} through the real topology. Each fixture is data: changes as JSON lines plus {@code #expect...} lines; other modules can reuse
 * them. Every scenario is checked three ways: its own expectations, the output invariants of {@link OutputLog},
 * and the {@link Oracle}'s SQL-join answer for the final state.
 */
class ScenarioTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NO_CAP = 10_000;

    static Stream<Arguments> scenarios() throws IOException, URISyntaxException {
        final Path dir = Path.of(ScenarioTest.class.getResource("/scenarios").toURI());
        final List<Arguments> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
                out.add(Arguments.of(file.getFileName().toString()));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void scenario(final String name) throws Exception {
        final String text = Files.readString(Path.of(ScenarioTest.class.getResource("/scenarios/" + name).toURI()));
        final List<ChangeLines.Line> lines = ChangeLines.parse(new BufferedReader(new StringReader(text)));
        final int maxChildren = directive(text, "#max-children ").stream().findFirst().map(Integer::parseInt).orElse(NO_CAP);

        final OutputLog log = new OutputLog();
        final List<DeadLetter> deadLetters = new ArrayList<>();
        final List<SourceChange> captured = new ArrayList<>();
        try (PipelineDriver driver = new PipelineDriver(TopicCatalog.DEFAULT, maxChildren)) {
            for (final ChangeLines.Line line : lines) {
                driver.pipe(line);
                if (line.raw() == null) {
                    captured.add(new SourceChange(line.table(), line.key(), line.value(), line.timestampMs()));
                }
            }
            log.addAll(driver.readOutput());
            deadLetters.addAll(driver.readDeadLetters());
        }

        log.assertConsistent();
        final Map<Integer, UnifiedCustomer> actual = log.finalState();
        // A fixture states captured changes, not a source: the oracle rebuilds the source from their positions.
        final Map<Integer, UnifiedCustomer> expected = Oracle.fromCaptureLog(captured).expected();
        assertEquals(expected.keySet(), actual.keySet(), "live customers equal the SQL join's");
        if (maxChildren == NO_CAP) {
            expected.forEach((id, want) -> assertEquals(want, Oracle.normalize(actual.get(id)), "customer " + id));
        }

        for (final String expectation : directive(text, "#expect ")) {
            final JsonNode want = JSON.readTree(expectation);
            final int id = want.get("customer_id").asInt();
            final UnifiedCustomer got = actual.get(id);
            assertNotNull(got, "customer " + id + " is in the output");
            final Map<String, Object> view = view(got);
            want.fields().forEachRemaining(field -> assertEquals(JSON.convertValue(field.getValue(), Object.class),
                    view.get(field.getKey()), "customer " + id + " field " + field.getKey()));
        }
        for (final String id : directive(text, "#expect-deleted ")) {
            final List<UnifiedCustomer> history = log.history(Integer.parseInt(id));
            assertTrue(history.size() >= 2, "customer " + id + " was written and deleted");
            assertNull(history.get(history.size() - 1), "customer " + id + " ends in a tombstone");
            assertTrue(history.get(history.size() - 2).getDeleted(), "customer " + id + " has a delete marker");
        }
        for (final String id : directive(text, "#expect-absent ")) {
            assertFalse(log.everWritten(Integer.parseInt(id)), "customer " + id + " is never written");
        }
        for (final String spec : directive(text, "#expect-records ")) {
            final String[] parts = spec.split(" ");
            assertEquals(Integer.parseInt(parts[1]), log.history(Integer.parseInt(parts[0])).size(),
                    "records written for customer " + parts[0]);
        }
        for (final String count : directive(text, "#expect-dead-letters ")) {
            assertEquals(Integer.parseInt(count), deadLetters.size(), "dead letters: " + deadLetters);
            for (final DeadLetter d : deadLetters) {
                assertFalse(d.getReason().isBlank());
                assertTrue(d.getSourceOffset() >= 0, "dead letters carry their source offset");
                assertNotNull(d.getOriginalValue(), "dead letters carry the original bytes");
            }
        }
    }

    private static List<String> directive(final String text, final String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).trim()).toList();
    }

    /** The fields an expectation line may name. */
    private static Map<String, Object> view(final UnifiedCustomer c) {
        final Map<String, Object> v = new LinkedHashMap<>();
        v.put("customer_id", c.getCustomerId());
        v.put("deleted", c.getDeleted());
        v.put("version", (int) c.getVersion());
        v.put("source_ts_ms", (int) c.getSourceTsMs().toEpochMilli());
        v.put("name", c.getName());
        v.put("gender", c.getGender());
        v.put("profession", c.getProfession());
        v.put("updated_at", c.getUpdatedAt() == null ? null
                : java.time.format.DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(c.getUpdatedAt()));
        v.put("flight_count", c.getFlightCount());
        v.put("vehicle_count", c.getVehicleCount());
        v.put("flight_ids", c.getFlights().stream().map(UnifiedFlight::getFlightId).toList());
        v.put("vehicle_ids", c.getVehicles().stream().map(UnifiedVehicle::getVehicleId).toList());
        v.put("vehicle_models", c.getVehicles().stream().map(UnifiedVehicle::getModel).toList());
        return v;
    }
}
