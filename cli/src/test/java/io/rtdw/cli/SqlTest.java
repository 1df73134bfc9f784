package io.rtdw.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlTest {

    @TempDir
    static Path dir;
    static Path lake;

    /**
     * A lake laid out as the lake sink writes it: 5 changelog rows in two change dates and two partitions, and a
     * snapshot of the 2 live customers (customer 2 is deleted in its latest version).
     */
    @BeforeAll
    static void writeLake() throws Exception {
        lake = dir.resolve("rtdw-lake");
        Files.createDirectories(lake.resolve("snapshot"));
        try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement()) {
            st.execute("COPY (SELECT * FROM (VALUES "
                    + "(1, 1::BIGINT, false, 'Ana', 'teacher', DATE '2026-11-20', 0),"
                    + "(1, 2::BIGINT, false, 'Ana', 'pilot', DATE '2026-11-21', 0),"
                    + "(2, 1::BIGINT, false, 'Bia', 'nurse', DATE '2026-11-20', 1),"
                    + "(2, 2::BIGINT, true, NULL, NULL, DATE '2026-11-21', 1),"
                    + "(3, 1::BIGINT, false, 'Caio', 'pilot', DATE '2026-11-21', 1)"
                    + ") t(customer_id, version, deleted, name, profession, dt, p)) TO '" + lake.resolve("changelog")
                    + "' (FORMAT parquet, PARTITION_BY (dt, p))");
            st.execute("COPY (SELECT * FROM (VALUES "
                    + "(1, 2::BIGINT, false, 'Ana', 'pilot', [{'flight_id': 10, 'airline': 'GOL'}]),"
                    + "(3, 1::BIGINT, false, 'Caio', 'pilot', [])"
                    + ") t(customer_id, version, deleted, name, profession, flights)) TO '"
                    + lake.resolve("snapshot/latest.parquet") + "' (FORMAT parquet)");
        }
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run sql(final String stdin, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Sql.run(List.of(args), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theViewsAreEveryVersionAndTheLiveCustomers() {
        final Run r = sql("", "--lake", lake.toString(), "--csv", "SELECT count(*) AS versions, count(DISTINCT "
                + "customer_id) AS customers, count(DISTINCT dt) AS dates, max(p) AS max_p FROM changelog; "
                + "SELECT customer_id, profession FROM snapshot ORDER BY 1");
        assertEquals(new Run(0, "versions,customers,dates,max_p\n5,3,2,1\ncustomer_id,profession\n1,pilot\n3,pilot\n", ""), r);
    }

    @Test
    void theReadmesRawPathsStillWork() {
        final Run r = sql("", "--lake", lake.toString(), "--csv",
                "SELECT count(*) FROM read_parquet('rtdw-lake/changelog/*/*/*.parquet', hive_partitioning = true) "
                        + "WHERE dt = '2026-11-21'; SELECT count(*) FROM 'rtdw-lake/snapshot/latest.parquet';"
                        + "SELECT count(*) FROM 'snapshot/latest*.parquet'");
        assertEquals(new Run(0, "count_star()\n3\ncount_star()\n2\ncount_star()\n2\n", ""), r);
    }

    @Test
    void printsAnAlignedTable() {
        final Run r = sql("", "--lake", lake.toString(),
                "SELECT customer_id AS id, name, flights FROM snapshot ORDER BY 1");
        assertEquals(String.join("\n",
                " id | name | flights",
                "----+------+------------------------------------",
                "  1 | Ana  | [{\"flight_id\":10,\"airline\":\"GOL\"}]",
                "  3 | Caio | []",
                "(2 rows)", ""), r.out());
        assertEquals(0, r.exit());
    }

    @Test
    void printsJsonLinesWithNestedValuesAndNulls() {
        final Run r = sql("", "--lake", lake.toString(), "--json",
                "SELECT customer_id, name, deleted FROM changelog WHERE customer_id = 2 ORDER BY version");
        assertEquals(new Run(0, """
                {"customer_id":2,"name":"Bia","deleted":false}
                {"customer_id":2,"name":null,"deleted":true}
                """, ""), r);
        final Run nested = sql("", "--lake", lake.toString(), "--json",
                "SELECT flights, DATE '2026-11-21' AS d FROM snapshot WHERE customer_id = 1");
        assertEquals("{\"flights\":[{\"flight_id\":10,\"airline\":\"GOL\"}],\"d\":\"2026-11-21\"}\n", nested.out());
    }

    @Test
    void readsQueriesFromStandardInputOrAFile() throws Exception {
        final String script = """
                -- a comment; with a semicolon
                SELECT 'a;b' AS "x;y";
                /* another; */ SELECT 2 AS two;
                ;
                """;
        final Run r = sql(script, "--lake", lake.toString(), "--csv");
        assertEquals(new Run(0, "x;y\na;b\ntwo\n2\n", ""), r);
        final Path file = dir.resolve("q.sql");
        Files.writeString(file, script);
        assertEquals(r, sql("", "--lake", lake.toString(), "--csv", "--file", file.toString()));
    }

    @Test
    void aSqlErrorIsItsMessageAndExitOne() {
        final Run r = sql("", "--lake", lake.toString(), "SELECT 1 AS one; SELECT nope FROM snapshot; SELECT 3");
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith(" one\n") && !r.out().contains("3"), "ran up to the failing query: " + r.out());
        assertTrue(r.err().startsWith("rtdw sql: query 2 of 3: Binder Error: Referenced column \"nope\" not found"),
                r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void usageErrorsExitTwo() {
        final String hint = " (see: rtdw sql --help)\n";
        assertEquals(new Run(2, "", "rtdw sql: unknown option --s3" + hint), sql("", "--s3", "SELECT 1"));
        assertEquals(new Run(2, "", "rtdw sql: --csv or --json, not both" + hint), sql("", "--csv", "--json", "SELECT 1"));
        assertEquals(new Run(2, "", "rtdw sql: --lake needs a value" + hint), sql("", "SELECT 1", "--lake"));
        assertEquals(new Run(2, "", "rtdw sql: --lake /no/such/lake is not a directory" + hint),
                sql("", "--lake", "/no/such/lake", "SELECT 1"));
        assertEquals(new Run(2, "", "rtdw sql: a QUERY or --file, not both" + hint),
                sql("", "--lake", lake.toString(), "--file", "q.sql", "SELECT 1"));
        assertEquals(new Run(2, "", "rtdw sql: no query given" + hint), sql("-- nothing\n", "--lake", lake.toString()));
        assertEquals(new Run(2, "", "rtdw sql: one QUERY argument only (quote it: rtdw sql \"SELECT ...\")" + hint),
                sql("", "--lake", lake.toString(), "SELECT", "1"));
        assertEquals(2, sql("", "--lake", lake.toString(), "--file", dir.resolve("none.sql").toString()).exit());
    }

    @Test
    void anEmptyLakeSaysWhichViewIsMissing() throws Exception {
        final Path empty = Files.createDirectories(dir.resolve("empty-lake"));
        final Run r = sql("", "--lake", empty.toString(), "--csv", "SELECT 42 AS answer");
        assertEquals(0, r.exit());
        assertEquals("answer\n42\n", r.out());
        assertEquals("rtdw sql: no changelog files under " + empty.toAbsolutePath() + " yet: view changelog not defined\n"
                + "rtdw sql: no snapshot under " + empty.toAbsolutePath() + " yet: view snapshot not defined\n", r.err());
    }

    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        assertEquals(List.of("SELECT 'it''s;' AS a", "SELECT \"b;\"\"c\" FROM t -- x;y\n"
                        .strip(), "/* ; */ SELECT 3"),
                Sql.split("SELECT 'it''s;' AS a;SELECT \"b;\"\"c\" FROM t -- x;y\n;/* ; */ SELECT 3;  -- trailing\n"));
        assertEquals(List.of(), Sql.split(" ; -- only a comment\n /* and this */ ;"));
    }
}
