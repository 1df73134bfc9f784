package io.rtdw.local;

import io.rtdw.cli.Sql;
import io.rtdw.testing.pinot.PinotClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sample queries of the READMEs, run on the local stack's data: "every sample query returns rows".
 *
 * <p>A sample is marked in its README by an HTML comment (invisible when rendered) on the line right before it:
 * {@code <!-- rtdw-queries: pinot -->} (the broker's SQL) or {@code <!-- rtdw-queries: lake -->} (DuckDB on the
 * Parquet lake, through {@link Sql.Lake}: relative paths such as {@code 'rtdw-lake/snapshot/latest.parquet'}
 * resolve against the lake's parent). What follows the marker is either a fenced {@code ```sql} block (each
 * {@code ;}-separated statement is one query) or a Markdown table (each inline code span of a row that starts with
 * {@code SELECT} or {@code WITH} is one query). A {@code ```sql} block without a marker is reported by
 * {@link #unmarked} so that no sample escapes the check.
 */
public final class ReadmeQueries {

    /** Where a query runs. */
    public enum Engine { PINOT, LAKE }

    /** One sample: its README, the line of its marker (1-based), its engine and text. */
    public record Query(Path file, int line, Engine engine, String sql) {
        @Override
        public String toString() {
            return file + ":" + line + " [" + engine.name().toLowerCase(Locale.ROOT) + "] " + sql.replaceAll("\\s+", " ");
        }
    }

    /** What a query returned: its rows (values as text), or the error that stopped it. */
    public record Outcome(Query query, List<List<String>> rows, String error) {
        /**
         * True if the query gave an answer: no error and at least one row, and not a single row of zeros and nulls
         * (a {@code COUNT(*)} of 0 is the "returns nothing" of an aggregate).
         */
        public boolean answers() {
            if (error != null || rows.isEmpty()) {
                return false;
            }
            return rows.size() > 1 || !rows.get(0).stream().allMatch(v -> v == null || v.equals("null")
                    || v.matches("-?0+(\\.0+)?"));
        }

        @Override
        public String toString() {
            return query + " -> " + (error != null ? "ERROR " + error : rows.size() + " rows" + (rows.isEmpty() ? ""
                    : ", first " + rows.get(0)));
        }
    }

    private static final Pattern MARKER = Pattern.compile("^\\s*<!--\\s*rtdw-queries:\\s*(pinot|lake)\\s*-->\\s*$");
    private static final Pattern INLINE_CODE = Pattern.compile("`([^`]+)`");
    private static final Set<String> SKIPPED_DIRS = Set.of("target", ".git", "node_modules", ".rtdw");

    private ReadmeQueries() {
    }

    /**
     * The entry point for a test at the end of a local-stack run: every sample of every README under
     * {@code repoRoot}, run on Pinot (broker SQL through {@code pinot}) or on {@code lakeDir} (the bucket's
     * directory, e.g. {@code <data-dir>/s3/rtdw-lake}). Never throws for a failing query: its error is in the outcome.
     */
    public static List<Outcome> runAll(final Path repoRoot, final PinotClient pinot, final Path lakeDir) {
        final List<Outcome> outcomes = new ArrayList<>();
        final List<Query> queries = extract(repoRoot);
        Sql.Lake lake = null;
        String lakeError = null;
        try {
            for (final Query query : queries) {
                if (query.engine() == Engine.PINOT) {
                    outcomes.add(onPinot(query, pinot));
                    continue;
                }
                if (lake == null && lakeError == null) {
                    try {
                        lake = Sql.Lake.open(lakeDir);
                    } catch (final SQLException e) {
                        lakeError = "cannot open the lake " + lakeDir + ": " + e.getMessage();
                    }
                }
                outcomes.add(lake == null ? new Outcome(query, List.of(), lakeError) : onLake(query, lake));
            }
        } finally {
            if (lake != null) {
                try {
                    lake.close();
                } catch (final SQLException e) {
                    // nothing to keep from an in-memory database
                }
            }
        }
        return outcomes;
    }

    private static Outcome onPinot(final Query query, final PinotClient pinot) {
        if (pinot == null) {
            return new Outcome(query, List.of(), "no Pinot client given");
        }
        try {
            final List<List<String>> rows = new ArrayList<>();
            for (final List<com.fasterxml.jackson.databind.JsonNode> row : pinot.rows(query.sql())) {
                rows.add(row.stream().map(v -> v.isValueNode() ? v.asText() : v.toString()).toList());
            }
            return new Outcome(query, rows, null);
        } catch (final RuntimeException e) {
            return new Outcome(query, List.of(), e.getMessage());
        }
    }

    private static Outcome onLake(final Query query, final Sql.Lake lake) {
        try {
            final List<List<String>> rows = new ArrayList<>();
            for (final List<Object> row : lake.query(query.sql()).rows()) {
                rows.add(row.stream().map(v -> v == null ? null : String.valueOf(v)).toList());
            }
            return new Outcome(query, rows, null);
        } catch (final SQLException e) {
            return new Outcome(query, List.of(), e.getMessage());
        }
    }

    /** Every marked sample of every README ({@code *.md}) under {@code repoRoot}, in file and line order. */
    public static List<Query> extract(final Path repoRoot) {
        final List<Query> out = new ArrayList<>();
        for (final Path file : markdownFiles(repoRoot)) {
            out.addAll(extract(repoRoot.relativize(file), read(file)));
        }
        return out;
    }

    /** The marked samples of one Markdown text; {@code file} only names them. */
    public static List<Query> extract(final Path file, final String markdown) {
        final List<String> lines = markdown.lines().toList();
        final List<Query> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            final Matcher marker = MARKER.matcher(lines.get(i));
            if (!marker.matches()) {
                continue;
            }
            final Engine engine = Engine.valueOf(marker.group(1).toUpperCase(Locale.ROOT));
            final String next = i + 1 < lines.size() ? lines.get(i + 1).strip() : "";
            if (next.startsWith("```sql")) {
                final StringBuilder block = new StringBuilder();
                int j = i + 2;
                while (j < lines.size() && !lines.get(j).strip().startsWith("```")) {
                    block.append(lines.get(j)).append('\n');
                    j++;
                }
                for (final String sql : Sql.split(block.toString())) {
                    out.add(new Query(file, i + 1, engine, sql));
                }
            } else if (next.startsWith("|")) {
                for (int j = i + 1; j < lines.size() && lines.get(j).strip().startsWith("|"); j++) {
                    final Matcher code = INLINE_CODE.matcher(lines.get(j));
                    while (code.find()) {
                        final String sql = code.group(1).strip();
                        final String head = sql.toUpperCase(Locale.ROOT);
                        if (head.startsWith("SELECT ") || head.startsWith("WITH ")) {
                            out.add(new Query(file, i + 1, engine, sql));
                        }
                    }
                }
            } else {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": a rtdw-queries marker must be followed "
                        + "directly by a ```sql block or a Markdown table");
            }
        }
        return out;
    }

    /** {@code file:line} of every {@code ```sql} block under {@code repoRoot} without a marker right before it. */
    public static List<String> unmarked(final Path repoRoot) {
        final List<String> out = new ArrayList<>();
        for (final Path file : markdownFiles(repoRoot)) {
            final List<String> lines = read(file).lines().toList();
            boolean inFence = false;
            for (int i = 0; i < lines.size(); i++) {
                final String line = lines.get(i).strip();
                if (!line.startsWith("```")) {
                    continue;
                }
                if (!inFence && line.startsWith("```sql") && (i == 0 || !MARKER.matcher(lines.get(i - 1)).matches())) {
                    out.add(repoRoot.relativize(file) + ":" + (i + 1));
                }
                inFence = !inFence;
            }
        }
        return out;
    }

    private static List<Path> markdownFiles(final Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".md") && Files.isRegularFile(f))
                    .filter(f -> {
                        for (final Path part : root.relativize(f)) {
                            if (SKIPPED_DIRS.contains(part.toString())) {
                                return false;
                            }
                        }
                        return true;
                    })
                    .sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
