package io.rtdw.ksql;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerChange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The numbered statements agree with the topic catalog and the Avro schemas ({@link KsqlChecker}), and the checker
 * catches the drifts it exists for (each negative test breaks one thing in an otherwise valid statement set).
 */
class KsqlStatementsTest {

    private static final Path DIR = Path.of(System.getProperty("basedir", ".")).resolve("statements");
    private static final KsqlChecker CHECKER = new KsqlChecker(TopicCatalog.DEFAULT);
    private static List<Statement> statements;

    @BeforeAll
    static void load() throws IOException {
        statements = Statement.load(DIR);
    }

    @Test
    void filesAreNumberedUniquely() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            final List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertTrue(names.size() >= 5, names.toString());
            assertEquals(List.of(), KsqlChecker.checkFileNames(names));
        }
    }

    @Test
    void statementsAreConsistentWithTheCatalogAndTheSchemas() {
        assertTrue(statements.size() >= 10, "statements: " + statements.size());
        assertEquals(List.of(), CHECKER.check(statements));
    }

    @Test
    void sourceStreamsReadTheThreeCdcTopics() {
        for (final var topic : TopicCatalog.DEFAULT.cdcTopics()) {
            assertTrue(statements.stream().anyMatch(s -> s.text().contains("KAFKA_TOPIC = '" + topic.name() + "'")
                    && s.text().startsWith("CREATE STREAM")), "a source stream reads " + topic.name());
        }
    }

    @Test
    void ksqlTypesFollowTheAvroSchemas() {
        assertEquals("STRING", KsqlChecker.ksqlType(CustomerChange.getClassSchema().getField("op").schema()));
        assertEquals("DATE", KsqlChecker.ksqlType(
                io.rtdw.schemas.Customer.getClassSchema().getField("nascimento").schema()));
        assertEquals("BIGINT", KsqlChecker.ksqlType(
                io.rtdw.schemas.Customer.getClassSchema().getField("dt_update").schema()));
        assertEquals("TIMESTAMP", KsqlChecker.ksqlType(
                io.rtdw.schemas.Vehicle.getClassSchema().getField("dt_update").schema()));
    }

    @Test
    void rejectsAColumnWithTheWrongType() {
        assertProblem(replace("`nascimento` DATE, `profissao`", "`nascimento` STRING, `profissao`"),
                "column before declared");
    }

    @Test
    void rejectsARenamedSourceField() {
        assertProblem(replace("`after`->`aeroporto`", "`after`->`airport`"), "is not a field of Flight");
    }

    @Test
    void rejectsATopicNotInTheCatalog() {
        assertProblem(replace("KAFKA_TOPIC = 'rtdw.public.flight'", "KAFKA_TOPIC = 'rtdw.public.flights'"),
                "neither a catalog topic");
    }

    @Test
    void rejectsANonIdempotentStatement() {
        assertProblem(replace("CREATE STREAM IF NOT EXISTS customers_cdc", "CREATE STREAM customers_cdc"),
                "must be idempotent");
    }

    @Test
    void rejectsAFinalTableThatDiffersFromUnifiedCustomer() {
        assertProblem(replace("COUNT(*) AS `version`", "COUNT(*) AS `revision`"), "fields of UnifiedCustomer");
    }

    @Test
    void rejectsAnArrayElementThatDiffersFromUnifiedFlight() {
        assertProblem(replace("`iata_code` := `iata_code`", "`iata` := `iata_code`"), "fields of UnifiedFlight");
    }

    @Test
    void rejectsAnAggregateThatCannotRetractOverATable() {
        assertProblem(replace("CAST(COUNT(*) AS INT) AS `flight_count`", "MAX(`flight_id`) AS `flight_count`"),
                "MAX cannot aggregate a table");
    }

    @Test
    void rejectsAUseBeforeDefinition() {
        final List<Statement> reordered = new ArrayList<>(statements);
        final Statement first = reordered.stream().filter(s -> s.text().contains("customers_current WITH")).findFirst().orElseThrow();
        reordered.remove(first);
        reordered.add(first);
        assertTrue(CHECKER.check(reordered).stream().anyMatch(p -> p.contains("before it is defined")),
                CHECKER.check(reordered).toString());
    }

    @Test
    void rejectsAFinalColumnWhoseTypeDiffersFromTheAvroField() {
        // UnifiedCustomer.source_ts_ms is timestamp-millis: TIMESTAMP in ksqlDB, not epoch milliseconds as BIGINT.
        assertProblem(replace("LATEST_BY_OFFSET(`source_ts_ms`, false) AS `source_ts_ms`",
                "UNIX_TIMESTAMP(LATEST_BY_OFFSET(`source_ts_ms`, false)) AS `source_ts_ms`"), "needs TIMESTAMP");
        // Without FROM_UNIXTIME, 040 writes a BIGINT where 050's stream declares TIMESTAMP.
        assertProblem(replace("FROM_UNIXTIME(GREATEST(", "(GREATEST("), "is written with");
    }

    @Test
    void rejectsAnEmptyArrayOfAnotherTypeThanTheItems() {
        // The typed empty array must be exactly the item type, or COALESCE has two types.
        assertProblem(replace("`updated_at` := CAST(NULL AS BIGINT)", "`updated_at` := CAST(NULL AS TIMESTAMP)"),
                "COALESCE mixes");
    }

    @Test
    void rejectsAMissingStructFieldAndAnUnknownFunction() {
        assertProblem(replace("x => UNIX_TIMESTAMP(x->`source_ts_ms`)", "x => UNIX_TIMESTAMP(x->`source_ts`)"),
                "no field source_ts");
        assertProblem(replace("ARRAY_SORT(", "ARRAY_SORTED("), "ARRAY_SORTED is not known");
    }

    @Test
    void rejectsAStreamDeclaredWithOtherTypesThanItsTopicIsWritten() {
        assertProblem(replace("`flight_count` INT, `vehicle_count` INT", "`flight_count` BIGINT, `vehicle_count` INT"),
                "is written with");
    }

    @Test
    void rejectsAFinalTableThatKeepsDeletedCustomersAsRows() {
        assertProblem(replace(" HAVING NOT LATEST_BY_OFFSET(`deleted`, false)", ""), "tombstone");
    }

    @Test
    void typesFollowKsqlDbsSignatures() {
        final KsqlTypes.Type items = KsqlTypes.parseType("ARRAY<STRUCT<`id` INT, `ts` TIMESTAMP>>");
        final java.util.function.Function<String, KsqlTypes.Type> columns = c -> c.equals("a") ? items : null;
        assertEquals("ARRAY<STRUCT<id INT,ts TIMESTAMP>>", KsqlTypes.typeOf("SLICE(a, 1, 2)", columns).toString());
        assertEquals("ARRAY<BIGINT>", KsqlTypes.typeOf("TRANSFORM(a, x => UNIX_TIMESTAMP(x->`ts`))", columns).toString());
        assertEquals("STRUCT<id INT,ts TIMESTAMP>",
                KsqlTypes.typeOf("AS_MAP(TRANSFORM(a, x => CAST(x->`id` AS STRING)), a)['1']", columns).toString());
        // ARRAY_SORT and ARRAY_MAX take only comparable values (ksqlDB's ArraySort: T extends Comparable).
        final KsqlTypes.TypeError sort = org.junit.jupiter.api.Assertions.assertThrows(KsqlTypes.TypeError.class,
                () -> KsqlTypes.typeOf("ARRAY_SORT(a)", columns));
        assertTrue(sort.getMessage().contains("only primitive"), sort.getMessage());
        assertThrows(() -> KsqlTypes.typeOf("FILTER(a, x => x->`id`)", columns), "FILTER needs BOOLEAN");
        assertThrows(() -> KsqlTypes.typeOf("TRANSFORM(a, x => TRANSFORM(a, x => 1))", columns), "reused");
        assertThrows(() -> KsqlTypes.typeOf("FROM_UNIXTIME(a)", columns), "FROM_UNIXTIME takes BIGINT");
    }

    /**
     * The cap keeps the newest items by (commit time, id) and orders them by id, through fixed-width string keys
     * (040): this replays the key arithmetic with the widths read from the statement, the way ksqlDB's LPAD,
     * SUBSTRING and ARRAY_SORT compute it, and compares the result with the streams app's rule computed directly.
     */
    @Test
    void theCapKeepsTheNewestChildrenOrderedByIdAsTheStreamsApp() {
        final String text = statements.stream().filter(s -> s.text().contains("CREATE TABLE IF NOT EXISTS unified_joined "))
                .findFirst().orElseThrow().text();
        final java.util.regex.Matcher key = java.util.regex.Pattern.compile(
                "CONCAT\\(LPAD\\(CAST\\(UNIX_TIMESTAMP\\(x->`source_ts_ms`\\) AS STRING\\), (\\d+), '0'\\), "
                + "LPAD\\(CAST\\(CAST\\(x->`flight_id` AS BIGINT\\) \\+ (\\d+) AS STRING\\), (\\d+), '0'\\)\\)\\), 'DESC'\\), "
                + "1, LEAST\\((\\d+), ARRAY_LENGTH\\(f.`flights`\\)\\)\\), r => SUBSTRING\\(r, (\\d+)\\)").matcher(text);
        assertTrue(key.find(), "040 no longer computes the flights' sort keys as this test expects: update it");
        final int tsWidth = Integer.parseInt(key.group(1));
        final long shift = Long.parseLong(key.group(2));
        final int idWidth = Integer.parseInt(key.group(3));
        final int cap = Integer.parseInt(key.group(4));
        final int idFrom = Integer.parseInt(key.group(5));
        assertTrue(text.contains("LPAD(CAST(CAST(y->`flight_id` AS BIGINT) + " + shift + " AS STRING), " + idWidth + ", '0')"),
                "the id key of the lookup map must be the id part of the sort key");

        final java.util.Random random = new java.util.Random(13);
        final int[] edgeIds = {Integer.MIN_VALUE, -1, 0, 1, 9, 10, Integer.MAX_VALUE};
        final long[] edgeTimes = {0L, 9L, 10L, 999_999_999_999L, 1_000_000_000_000L, 1_764_633_600_000L};
        for (int round = 0; round < 200; round++) {
            final int n = random.nextInt(cap * 2 + 2);
            final Map<Integer, Long> children = new java.util.HashMap<>(); // id -> commit time
            while (children.size() < n) {
                final int id = random.nextInt(4) == 0 ? edgeIds[random.nextInt(edgeIds.length)] : random.nextInt();
                final long ts = random.nextInt(4) == 0 ? edgeTimes[random.nextInt(edgeTimes.length)]
                        : 1_764_633_600_000L + random.nextInt(50);
                children.put(id, ts);
            }
            // The streams app's rule (streams-app/README.md): newest commit first, ties to the higher id; keep cap;
            // order the kept ones by id.
            final List<Integer> expected = children.keySet().stream()
                    .sorted(java.util.Comparator.<Integer>comparingLong(children::get).thenComparing(id -> id).reversed())
                    .limit(cap).sorted().toList();
            // 040, step by step.
            final Map<String, Integer> byIdKey = new java.util.HashMap<>();
            final List<String> sortKeys = new ArrayList<>();
            children.forEach((id, ts) -> {
                final String idKey = lpad(String.valueOf(id + shift), idWidth);
                byIdKey.put(idKey, id);
                sortKeys.add(lpad(String.valueOf(ts), tsWidth) + idKey);
            });
            sortKeys.sort(java.util.Comparator.reverseOrder());
            final List<String> kept = new ArrayList<>(sortKeys.subList(0, Math.min(cap, sortKeys.size())));
            final List<String> idKeys = new ArrayList<>(kept.stream().map(k -> k.substring(idFrom - 1)).toList());
            idKeys.sort(null);
            assertEquals(expected, idKeys.stream().map(byIdKey::get).toList(), "children " + children);
        }
    }

    /** ksqlDB's LPAD: pads on the left and cuts to the target length (ksqldb-engine udf/string/LPad). */
    private static String lpad(final String input, final int length) {
        final String padded = "0".repeat(Math.max(length - input.length(), 0)) + input;
        return padded.substring(0, length);
    }

    private static void assertThrows(final org.junit.jupiter.api.function.Executable call, final String message) {
        final KsqlTypes.TypeError e = org.junit.jupiter.api.Assertions.assertThrows(KsqlTypes.TypeError.class, call);
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /**
     * The readiness probe of k8s/ksqldb counts the persistent queries as the lines ending in {@code EMIT CHANGES;}
     * of the joined files: every persistent query ends so, nothing else does, and every file ends in a newline (the
     * init container concatenates them).
     */
    @Test
    void everyPersistentQueryEndsItsOwnLineWithEmitChanges() throws IOException {
        final long queries = statements.stream().filter(s -> s.text().toUpperCase(java.util.Locale.ROOT).contains(" AS SELECT ")).count();
        assertTrue(queries >= 7, "persistent queries: " + queries);
        long lines = 0;
        long mentions = 0;
        try (Stream<Path> files = Files.list(DIR)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
                final String raw = Files.readString(file);
                assertTrue(raw.endsWith("\n"), file + " must end with a newline");
                lines += raw.lines().filter(l -> l.endsWith("EMIT CHANGES;")).count();
                mentions += raw.lines().filter(l -> l.toUpperCase(java.util.Locale.ROOT).contains("EMIT CHANGES")).count();
            }
        }
        assertEquals(queries, lines, "lines ending in 'EMIT CHANGES;'");
        assertEquals(queries, mentions, "'EMIT CHANGES' elsewhere than at the end of a persistent query");
    }

    @Test
    void rejectsBadFileNames() {
        assertEquals(2, KsqlChecker.checkFileNames(List.of("010_a.sql", "010_b.sql", "setup.sql")).size());
    }

    @Test
    void splitsStatementsOutsideQuotesAndDropsComments() {
        final List<Statement> parsed = Statement.parse("t.sql", "-- a; comment\nSET 'x.y' = 'a;b'; -- tail\nSET 'z' = '1';\n");
        assertEquals(List.of("SET 'x.y' = 'a;b'", "SET 'z' = '1'"), parsed.stream().map(Statement::text).toList());
    }

    private static List<Statement> replace(final String from, final String to) {
        final List<Statement> changed = new ArrayList<>();
        boolean found = false;
        for (final Statement s : statements) {
            if (!found && s.text().contains(from)) {
                changed.add(new Statement(s.file(), s.text().replace(from, to)));
                found = true;
            } else {
                changed.add(s);
            }
        }
        assertTrue(found, "the statements no longer contain '" + from + "': update this test");
        return changed;
    }

    private static void assertProblem(final List<Statement> broken, final String expected) {
        final List<String> problems = CHECKER.check(broken);
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected a problem with '" + expected
                + "', got " + problems);
    }
}
