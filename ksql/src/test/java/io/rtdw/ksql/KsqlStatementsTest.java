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
