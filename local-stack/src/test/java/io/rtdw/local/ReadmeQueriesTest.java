package io.rtdw.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadmeQueriesTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    @Test
    void extractsFencedBlocksAndTableCellsAfterAMarker() {
        final String md = """
                # Title

                <!-- rtdw-queries: pinot -->
                ```sql
                SELECT a FROM t;
                SELECT 'x;y' FROM t WHERE b = 1
                ```

                ```sql
                SELECT unmarked FROM t
                ```

                <!-- rtdw-queries: lake -->
                | question | SQL |
                |---|---|
                | one | `SELECT 1` and not `flight_count > 0` |
                | two | `WITH q AS (SELECT 2) SELECT * FROM q` |

                text `SELECT outside FROM table`
                """;
        final Path file = Path.of("x", "README.md");
        assertEquals(List.of(
                        new ReadmeQueries.Query(file, 3, ReadmeQueries.Engine.PINOT, "SELECT a FROM t"),
                        new ReadmeQueries.Query(file, 3, ReadmeQueries.Engine.PINOT, "SELECT 'x;y' FROM t WHERE b = 1"),
                        new ReadmeQueries.Query(file, 13, ReadmeQueries.Engine.LAKE, "SELECT 1"),
                        new ReadmeQueries.Query(file, 13, ReadmeQueries.Engine.LAKE, "WITH q AS (SELECT 2) SELECT * FROM q")),
                ReadmeQueries.extract(file, md));
    }

    @Test
    void aMarkerBeforeAnythingElseIsAnError() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReadmeQueries.extract(
                Path.of("R.md"), "<!-- rtdw-queries: lake -->\n\n```sql\nSELECT 1\n```\n"));
        assertEquals("R.md:1: a rtdw-queries marker must be followed directly by a ```sql block or a Markdown table",
                e.getMessage());
    }

    @Test
    void everySqlSampleOfTheRepositoryIsMarked() {
        assertEquals(List.of(), ReadmeQueries.unmarked(REPO), "```sql blocks without <!-- rtdw-queries: ... -->");
        final List<ReadmeQueries.Query> queries = ReadmeQueries.extract(REPO);
        // README.md: 4 Pinot + 2 lake; pinot/README.md: 9 in the BI table; lake-sink/README.md: 5 lake.
        assertEquals(13, queries.stream().filter(q -> q.engine() == ReadmeQueries.Engine.PINOT).count(), queries.toString());
        assertEquals(7, queries.stream().filter(q -> q.engine() == ReadmeQueries.Engine.LAKE).count(), queries.toString());
        assertTrue(queries.stream().anyMatch(q -> q.file().equals(Path.of("pinot", "README.md"))
                && q.sql().contains("JSON_MATCH")), queries.toString());
    }

    @Test
    void runsLakeQueriesAndTellsAnswersFromNothing(@TempDir final Path dir) throws Exception {
        final Path lake = dir.resolve("data").resolve("rtdw-lake");
        Files.createDirectories(lake.resolve("snapshot"));
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement()) {
            st.execute("COPY (SELECT * FROM (VALUES (1, 'pilot'), (2, 'nurse')) t(customer_id, profession)) TO '"
                    + lake.resolve("snapshot/latest.parquet") + "' (FORMAT parquet)");
        }
        final Path repo = Files.createDirectories(dir.resolve("repo"));
        Files.writeString(repo.resolve("README.md"), """
                <!-- rtdw-queries: lake -->
                ```sql
                SELECT profession, count(*) FROM 'rtdw-lake/snapshot/latest.parquet' GROUP BY ALL ORDER BY 1;
                SELECT count(*) FROM snapshot WHERE profession = 'lawyer';
                SELECT nope FROM snapshot;
                ```
                <!-- rtdw-queries: pinot -->
                ```sql
                SELECT 1
                ```
                """);
        final List<ReadmeQueries.Outcome> outcomes = ReadmeQueries.runAll(repo, null, lake);
        assertEquals(4, outcomes.size(), outcomes.toString());
        assertEquals(List.of(List.of("nurse", "1"), List.of("pilot", "1")), outcomes.get(0).rows());
        assertNull(outcomes.get(0).error());
        assertTrue(outcomes.get(0).answers());
        assertEquals(List.of(List.of("0")), outcomes.get(1).rows());
        assertFalse(outcomes.get(1).answers(), "a count of 0 is no answer");
        assertTrue(outcomes.get(2).error().contains("nope"), outcomes.get(2).toString());
        assertFalse(outcomes.get(2).answers());
        assertEquals("no Pinot client given", outcomes.get(3).error());
    }
}
