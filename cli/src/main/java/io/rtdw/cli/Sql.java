package io.rtdw.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.duckdb.DuckDBStruct;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code rtdw sql}: SQL on the Parquet lake with DuckDB in process (no {@code duckdb} CLI needed). The lake is a
 * local directory laid out like the bucket ({@code changelog/dt=.../p=.../*.parquet}, {@code snapshot/latest*.parquet});
 * {@link Lake} defines the views {@code changelog} and {@code snapshot} on it, and lets relative paths such as the
 * READMEs' {@code 'rtdw-lake/snapshot/latest.parquet'} resolve against the lake's parent directory.
 */
public final class Sql {

    private static final String COMMAND = "sql";
    /** The local stack's bucket under its default data directory, relative to the working directory. */
    public static final Path DEFAULT_LAKE = Path.of(".rtdw", "local-stack", "s3", "rtdw-lake");

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private enum Format { TABLE, CSV, JSON }

    private Sql() {
    }

    public static void main(final String[] args) {
        CommandLine.begin(COMMAND, args);
        System.exit(run(List.of(args), System.in, System.out, System.err));
    }

    /**
     * The command: runs each query of QUERY, {@code --file F} or {@code stdin} in order on the lake, printing each
     * result; stops at the first failing query.
     *
     * @return {@link Help#OK}, {@link Help#FAILED} when a query failed (its message on {@code err}, no stack trace),
     *         {@link Help#USAGE} for a bad command line or a missing lake
     */
    static int run(final List<String> args, final InputStream stdin, final PrintStream out, final PrintStream err) {
        final CommandLine line;
        try {
            line = CommandLine.parse(args, Set.of("--csv", "--json"), Set.of("--lake", "--file"), Set.of());
            if (line.operands().size() > 1) {
                throw new CommandLine.Usage("one QUERY argument only (quote it: rtdw sql \"SELECT ...\")");
            }
            if (line.has("--csv") && line.has("--json")) {
                throw new CommandLine.Usage("--csv or --json, not both");
            }
        } catch (final CommandLine.Usage e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        Path lake = line.value("--lake").map(Path::of).orElse(null);
        final Path file = line.value("--file").map(Path::of).orElse(null);
        final String query = line.operands().isEmpty() ? null : line.operands().get(0);
        final Format format = line.has("--csv") ? Format.CSV : line.has("--json") ? Format.JSON : Format.TABLE;
        if (query != null && file != null) {
            return Help.usageError(COMMAND, "a QUERY or --file, not both", err);
        }
        if (lake == null) {
            lake = DEFAULT_LAKE;
            if (!Files.isDirectory(lake)) {
                return Help.usageError(COMMAND, "no lake at " + lake + " (the local stack's bucket: run rtdw up first)"
                        + ", and no --lake DIR", err);
            }
        } else if (!Files.isDirectory(lake)) {
            return Help.usageError(COMMAND, "--lake " + lake + " is not a directory", err);
        }
        final String text;
        try {
            text = query != null ? query : file != null ? Files.readString(file)
                    : new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return Help.usageError(COMMAND, "cannot read " + (file != null ? file : "standard input") + ": " + e, err);
        }
        final List<String> queries = split(text);
        if (queries.isEmpty()) {
            return Help.usageError(COMMAND, "no query given", err);
        }
        try (Lake opened = Lake.open(lake)) {
            opened.missing().forEach(note -> err.println("rtdw sql: " + note));
            for (int i = 0; i < queries.size(); i++) {
                final Result result;
                try {
                    result = opened.query(queries.get(i));
                } catch (final SQLException e) {
                    err.println("rtdw sql: " + (queries.size() > 1 ? "query " + (i + 1) + " of " + queries.size()
                            + ": " : "") + e.getMessage());
                    return Help.FAILED;
                }
                if (format == Format.TABLE && i > 0) {
                    out.println();
                }
                print(result, format, out);
            }
            return Help.OK;
        } catch (final SQLException e) {
            err.println("rtdw sql: cannot open the lake " + lake + ": " + e.getMessage());
            return Help.FAILED;
        }
    }

    /** A query's result: column names and rows of plain values (String, Number, Boolean, List, Map, null). */
    public record Result(List<String> columns, List<List<Object>> rows) {
        /** True for a statement that returns no rows by nature (SET, CREATE ...): it has no columns. */
        public boolean isStatement() {
            return columns.isEmpty();
        }
    }

    /**
     * An in-memory DuckDB with the lake's views: {@code changelog} (every version, hive columns {@code dt} and
     * {@code p}) and {@code snapshot} (one row per live customer). Relative file paths resolve against the lake's
     * parent directory and the lake itself ({@code file_search_path}).
     */
    public static final class Lake implements AutoCloseable {
        private final Connection connection;
        private final List<String> missing = new ArrayList<>();

        private Lake(final Connection connection) {
            this.connection = connection;
        }

        /** Opens DuckDB on {@code dir}; a view whose files are not there yet is left out ({@link #missing()}). */
        public static Lake open(final Path dir) throws SQLException {
            final Path lake = dir.toAbsolutePath().normalize();
            final Lake opened = new Lake(DriverManager.getConnection("jdbc:duckdb:"));
            try (Statement st = opened.connection.createStatement()) {
                final Path parent = lake.getParent() != null ? lake.getParent() : lake;
                st.execute("SET file_search_path = " + literal(parent + "," + lake));
                if (exists(lake, "changelog", "glob:*/*/*.parquet")) {
                    st.execute("CREATE VIEW changelog AS SELECT * FROM read_parquet("
                            + literal(lake + "/changelog/*/*/*.parquet") + ", hive_partitioning = true)");
                } else {
                    opened.missing.add("no changelog files under " + lake + " yet: view changelog not defined");
                }
                if (exists(lake, "snapshot", "glob:latest*.parquet")) {
                    st.execute("CREATE VIEW snapshot AS SELECT * FROM read_parquet("
                            + literal(lake + "/snapshot/latest*.parquet") + ")");
                } else {
                    opened.missing.add("no snapshot under " + lake + " yet: view snapshot not defined");
                }
            } catch (final SQLException | RuntimeException e) {
                opened.close();
                throw e;
            }
            return opened;
        }

        /** Why a view is not defined, one line each; empty when both are. */
        public List<String> missing() {
            return Collections.unmodifiableList(missing);
        }

        /** Runs one statement. */
        public Result query(final String sql) throws SQLException {
            try (Statement st = connection.createStatement()) {
                if (!st.execute(sql)) {
                    return new Result(List.of(), List.of());
                }
                try (ResultSet rs = st.getResultSet()) {
                    final ResultSetMetaData meta = rs.getMetaData();
                    final List<String> columns = new ArrayList<>();
                    for (int c = 1; c <= meta.getColumnCount(); c++) {
                        columns.add(meta.getColumnLabel(c));
                    }
                    final List<List<Object>> rows = new ArrayList<>();
                    while (rs.next()) {
                        final List<Object> row = new ArrayList<>(columns.size());
                        for (int c = 1; c <= columns.size(); c++) {
                            final Object value = rs.getObject(c);
                            // Temporal and other scalar types as DuckDB writes them ("2024-05-01 10:00:00+00").
                            row.add(value == null || value instanceof Number || value instanceof Boolean
                                    || value instanceof java.sql.Array || value instanceof java.sql.Struct
                                    || value instanceof Map ? plain(value) : rs.getString(c));
                        }
                        rows.add(row);
                    }
                    return new Result(List.copyOf(columns), rows);
                }
            }
        }

        @Override
        public void close() throws SQLException {
            connection.close();
        }

        private static boolean exists(final Path lake, final String sub, final String glob) {
            final Path root = lake.resolve(sub);
            if (!Files.isDirectory(root)) {
                return false;
            }
            final PathMatcher matcher = root.getFileSystem().getPathMatcher(glob);
            try (Stream<Path> files = Files.walk(root)) {
                return files.anyMatch(f -> matcher.matches(root.relativize(f)));
            } catch (final IOException | UncheckedIOException e) {
                return false;
            }
        }
    }

    private static String literal(final String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /** A nested value as plain Java: lists, maps (struct fields in order), numbers, booleans, strings. */
    private static Object plain(final Object value) throws SQLException {
        if (value == null || value instanceof Number || value instanceof Boolean || value instanceof String) {
            return value;
        }
        if (value instanceof java.sql.Array array) {
            final List<Object> list = new ArrayList<>();
            for (final Object element : (Object[]) array.getArray()) {
                list.add(plain(element));
            }
            return list;
        }
        if (value instanceof DuckDBStruct struct) {
            final Map<String, Object> map = new LinkedHashMap<>();
            for (final Map.Entry<String, Object> e : struct.getMap().entrySet()) {
                map.put(e.getKey(), plain(e.getValue()));
            }
            return map;
        }
        if (value instanceof Map<?, ?> source) {
            final Map<String, Object> map = new LinkedHashMap<>();
            for (final Map.Entry<?, ?> e : source.entrySet()) {
                map.put(String.valueOf(e.getKey()), plain(e.getValue()));
            }
            return map;
        }
        return value.toString();
    }

    /**
     * The statements of {@code text}, split at {@code ;} outside quotes and comments; statements holding only
     * comments and blanks are dropped.
     */
    public static List<String> split(final String text) {
        final List<String> out = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        boolean content = false;
        int i = 0;
        while (i < text.length()) {
            final char c = text.charAt(i);
            if (c == '\'' || c == '"') {
                final int end = closing(text, i, c);
                current.append(text, i, end);
                content = true;
                i = end;
            } else if (text.startsWith("--", i)) {
                final int end = text.indexOf('\n', i);
                final int stop = end < 0 ? text.length() : end;
                current.append(text, i, stop);
                i = stop;
            } else if (text.startsWith("/*", i)) {
                final int end = text.indexOf("*/", i + 2);
                final int stop = end < 0 ? text.length() : end + 2;
                current.append(text, i, stop);
                i = stop;
            } else if (c == ';') {
                if (content) {
                    out.add(current.toString().strip());
                }
                current.setLength(0);
                content = false;
                i++;
            } else {
                current.append(c);
                content |= !Character.isWhitespace(c);
                i++;
            }
        }
        if (content) {
            out.add(current.toString().strip());
        }
        return out;
    }

    /** The index after the quote closing the one at {@code start} (a doubled quote is part of the text). */
    private static int closing(final String text, final int start, final char quote) {
        int i = start + 1;
        while (i < text.length()) {
            if (text.charAt(i) == quote) {
                if (i + 1 < text.length() && text.charAt(i + 1) == quote) {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return text.length();
    }

    private static void print(final Result result, final Format format, final PrintStream out) {
        if (result.isStatement()) {
            if (format == Format.TABLE) {
                out.println("OK");
            }
            return;
        }
        switch (format) {
            case TABLE -> table(result, out);
            case CSV -> {
                out.println(String.join(",", result.columns().stream().map(Sql::csv).toList()));
                for (final List<Object> row : result.rows()) {
                    out.println(String.join(",", row.stream().map(v -> v == null ? "" : csv(text(v))).toList()));
                }
            }
            case JSON -> {
                for (final List<Object> row : result.rows()) {
                    final Map<String, Object> object = new LinkedHashMap<>();
                    for (int c = 0; c < row.size(); c++) {
                        object.put(result.columns().get(c), row.get(c));
                    }
                    out.println(json(object));
                }
            }
        }
    }

    private static void table(final Result result, final PrintStream out) {
        final int n = result.columns().size();
        final int[] width = new int[n];
        final boolean[] numeric = new boolean[n];
        final List<String[]> cells = new ArrayList<>();
        for (int c = 0; c < n; c++) {
            width[c] = result.columns().get(c).length();
            numeric[c] = !result.rows().isEmpty();
        }
        for (final List<Object> row : result.rows()) {
            final String[] line = new String[n];
            for (int c = 0; c < n; c++) {
                final Object v = row.get(c);
                line[c] = v == null ? "NULL" : text(v).replace("\n", "\\n");
                width[c] = Math.max(width[c], line[c].length());
                numeric[c] &= v == null || v instanceof Number;
            }
            cells.add(line);
        }
        final StringBuilder header = new StringBuilder();
        final StringBuilder rule = new StringBuilder();
        for (int c = 0; c < n; c++) {
            header.append(c == 0 ? " " : " | ").append(pad(result.columns().get(c), width[c], numeric[c]));
            rule.append(c == 0 ? "" : "+").append("-".repeat(width[c] + 2));
        }
        out.println(header.toString().stripTrailing());
        out.println(rule);
        for (final String[] line : cells) {
            final StringBuilder text = new StringBuilder();
            for (int c = 0; c < n; c++) {
                text.append(c == 0 ? " " : " | ").append(pad(line[c], width[c], numeric[c]));
            }
            out.println(text.toString().stripTrailing());
        }
        out.println("(" + cells.size() + (cells.size() == 1 ? " row)" : " rows)"));
    }

    private static String pad(final String text, final int width, final boolean right) {
        final String fill = " ".repeat(width - text.length());
        return right ? fill + text : text + fill;
    }

    /** A value as one cell: scalars as they are, lists and structs as JSON. */
    private static String text(final Object value) {
        return value instanceof List || value instanceof Map ? json(value) : String.valueOf(value);
    }

    private static String csv(final String text) {
        return text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")
                ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }

    private static String json(final Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (final JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
