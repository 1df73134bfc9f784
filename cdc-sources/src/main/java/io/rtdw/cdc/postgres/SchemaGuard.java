package io.rtdw.cdc.postgres;

import io.rtdw.cdc.engine.CaptureHaltException;
import io.rtdw.runtime.ServiceMetrics;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The edges of the source's history the warehouse cannot follow, for {@code customers} and {@code flight}:
 * a {@code TRUNCATE} (Debezium reports it once {@code skipped.operations=none}; the capture cannot know which rows
 * the table had) and schema drift (a contract column whose type changed, or that was dropped or renamed). Each
 * stops the capture with {@link CaptureHaltException} instead of diverging in silence: a type change would
 * dead-letter every later row, a dropped nullable column would become null in the warehouse.
 *
 * <p>The contract is the customer's DDL ({@code sql/001_schema.sql}). It is checked twice: against the
 * catalog when the capture starts ({@link #checkColumns}, so a restart after drift refuses at once, exit 2), and
 * against the Connect schema of every captured row ({@link #check}, Debezium rebuilds it from the relation message
 * PostgreSQL sends after a DDL). Nullability is not checked: a NULL where the mapper needs a value is one bad row, a
 * dead letter. Added columns are ignored, and counted in {@code rtdw_cdc_schema_ignored_columns}.
 */
public final class SchemaGuard {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaGuard.class);

    /** Where the procedures are. */
    static final String README = "cdc-sources/README.md";

    /**
     * A column of the contract: its type in the DDL, the PostgreSQL spellings ({@code format_type}) that keep the
     * mapping right, and how Debezium presents it with {@code time.precision.mode=adaptive}.
     */
    record Column(String name, String contractType, Pattern pgTypes, Schema.Type connectType, String connectName) {

        static Column integer(final String name) {
            return new Column(name, "integer", Pattern.compile("integer"), Schema.Type.INT32, null);
        }

        static Column text(final String name) {
            return new Column(name, "text", Pattern.compile("text|character varying(\\(\\d+\\))?"),
                    Schema.Type.STRING, null);
        }

        static Column date(final String name) {
            return new Column(name, "date", Pattern.compile("date"), Schema.Type.INT32, "io.debezium.time.Date");
        }

        static Column timestamp(final String name) {
            return new Column(name, "timestamp", Pattern.compile("timestamp(\\(6\\))? without time zone"),
                    Schema.Type.INT64, "io.debezium.time.MicroTimestamp");
        }

        boolean matches(final Schema schema) {
            return schema.type() == connectType && Objects.equals(schema.name(), connectName);
        }

        String connectSpelling() {
            return connectName == null ? connectType.name() : connectType + " " + connectName;
        }
    }

    /** The contract's columns per table, in DDL order. */
    static final Map<String, List<Column>> CONTRACT = Map.of(
            "customers", List.of(Column.integer("id"), Column.text("nome"), Column.text("sexo"),
                    Column.text("endereco"), Column.text("telefone"), Column.text("email"), Column.text("foto"),
                    Column.date("nascimento"), Column.text("profissao"), Column.timestamp("dt_update")),
            "flight", List.of(Column.integer("id"), Column.integer("customer_id"), Column.text("aeroporto"),
                    Column.text("linha_aerea"), Column.text("cod_iata"), Column.timestamp("dt_update")));

    private final ServiceMetrics metrics;
    private final Map<String, Schema> verified = new HashMap<>();
    private final Map<String, AtomicInteger> ignoredColumns = new LinkedHashMap<>();

    /** @param metrics where the halts and ignored columns are counted; {@code null}: nowhere (tools, tests) */
    public SchemaGuard(final ServiceMetrics metrics) {
        this.metrics = metrics;
        for (final String table : CONTRACT.keySet()) {
            final AtomicInteger ignored = new AtomicInteger();
            ignoredColumns.put(table, ignored);
            if (metrics != null) {
                metrics.gauge("schema.ignored.columns", "Columns of a captured table that the contract does not "
                        + "have (added since): ignored, but the warehouse does not show them.", ignored::get,
                        "table", table);
            }
        }
    }

    /**
     * Checks one Debezium envelope of {@code table} before it is mapped.
     *
     * @throws CaptureHaltException on a truncate, or when a contract column is missing or of another type
     */
    public void check(final String table, final Struct envelope) {
        final List<Column> contract = table == null ? null : CONTRACT.get(table);
        if (contract == null) {
            return;
        }
        final Struct source = envelope.getStruct("source");
        final String qualified = source.getString("schema") + "." + table;
        if ("t".equals(envelope.getString("op"))) {
            throw halt(qualified, "truncate", "TRUNCATE of " + qualified + " at " + where(source) + ": the "
                    + "warehouse still holds every row the table had and the capture cannot know which they were. "
                    + "Capture stops here instead of diverging in silence; nothing from this change on is committed, "
                    + "so a restart stops here again. Re-snapshot: see 'TRUNCATE' in " + README + ".");
        }
        final Field after = envelope.schema().field("after");
        if (after == null || verified.get(table) == after.schema()) {
            return;
        }
        final Schema row = after.schema();
        final Map<String, Schema> found = new LinkedHashMap<>();
        row.fields().forEach(f -> found.put(f.name(), f.schema()));
        final List<String> problems = new ArrayList<>();
        for (final Column column : contract) {
            final Schema actual = found.remove(column.name());
            if (actual == null) {
                problems.add("column " + column.name() + " (" + column.contractType() + ") is missing: dropped or "
                        + "renamed");
            } else if (!column.matches(actual)) {
                problems.add("column " + column.name() + ": the contract has " + column.contractType()
                        + " (Connect " + column.connectSpelling() + "), the captured row has " + spelling(actual));
            }
        }
        if (!problems.isEmpty()) {
            throw halt(qualified, "schema_drift", "schema drift in " + qualified + " at " + where(source) + ": "
                    + String.join("; ", problems) + (found.isEmpty() ? "" : "; columns not in the contract: "
                    + String.join(", ", found.keySet())) + ". Capture stops here instead of dead-lettering or "
                    + "nulling every later row; a restart refuses until the table matches the contract. See "
                    + "'Schema changes' in " + README + ".");
        }
        final int before = ignoredColumns.get(table).getAndSet(found.size());
        if (!found.isEmpty() && before != found.size()) {
            LOG.warn("{} has column(s) the contract does not have, ignored (not in the warehouse): {}", qualified,
                    String.join(", ", found.keySet()));
        }
        verified.put(table, row);
    }

    /**
     * Checks the catalog at start: every contract column exists with a type that maps as the contract's does.
     *
     * @return the problems, one line each (empty when the tables match)
     */
    public static List<String> checkColumns(final Connection c, final String schema) throws SQLException {
        final List<String> problems = new ArrayList<>();
        for (final Map.Entry<String, List<Column>> table : new java.util.TreeMap<>(CONTRACT).entrySet()) {
            final Map<String, String> actual = new HashMap<>();
            try (PreparedStatement st = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) "
                    + "FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
                st.setString(1, schema + "." + table.getKey());
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        actual.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            if (actual.isEmpty()) {
                continue; // a missing table is the preflight's to report
            }
            for (final Column column : table.getValue()) {
                final String type = actual.get(column.name());
                if (type == null) {
                    problems.add(schema + "." + table.getKey() + "." + column.name() + " (" + column.contractType()
                            + ") is missing: dropped or renamed");
                } else if (!column.pgTypes().matcher(type).matches()) {
                    problems.add(schema + "." + table.getKey() + "." + column.name() + ": the contract has "
                            + column.contractType() + ", PostgreSQL has " + type);
                }
            }
        }
        return problems;
    }

    private CaptureHaltException halt(final String table, final String reason, final String message) {
        if (metrics != null) {
            metrics.counter("halts", "Captures stopped on a change the warehouse cannot follow (truncate, schema "
                    + "drift); the process exits 2.", "source", "postgres", "table", table, "reason", reason)
                    .increment();
        }
        LOG.error(message);
        return new CaptureHaltException(table, reason, message);
    }

    private static String spelling(final Schema schema) {
        return schema.name() == null ? schema.type().name() : schema.type() + " " + schema.name();
    }

    private static String where(final Struct source) {
        final Long lsn = source.getInt64("lsn");
        final Long ts = source.getInt64("ts_ms");
        final Long txId = source.schema().field("txId") == null ? null : source.getInt64("txId");
        return "LSN " + (lsn == null ? "unknown" : PostgresChangeMapper.formatLsn(lsn))
                + (ts == null ? "" : " (committed " + Instant.ofEpochMilli(ts) + (txId == null ? "" : ", txId " + txId)
                + ")");
    }
}
