package io.rtdw.cdc.postgres;

import io.rtdw.cdc.CdcConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Checks, before Debezium starts, that PostgreSQL is set up for capture, and fails with a message that says what to
 * fix: credentials, {@code wal_level}, the role's rights (REPLICATION, USAGE on the schema, SELECT on the captured tables), the tables, their replica identity, the
 * publication, the contract's columns and their types ({@link SchemaGuard#checkColumns}). An unreachable server is retried with backoff (it may still be starting); everything else fails at
 * once because waiting will not fix it.
 */
public final class PostgresPreflight {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresPreflight.class);

    /** The module's init scripts, applied in this order. */
    public static final List<String> INIT_SCRIPTS = List.of("sql/001_schema.sql", "sql/002_cdc.sql");

    /** The admin step that creates the capture's least-privilege role {@code rtdw_cdc} (not applied by the capture). */
    public static final String ROLE_SCRIPT = "sql/003_cdc_role.sql";

    /** The captured tables, in the schema of the topic catalog. */
    static final List<String> TABLES = List.of("customers", "flight");

    /** A setup problem the operator must fix; the message says how. */
    public static final class MisconfigurationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public MisconfigurationException(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    private PostgresPreflight() {
    }

    /** Opens a JDBC connection with timeouts, so a dead server never hangs the process. */
    public static Connection connect(final CdcConfig config) throws SQLException {
        return DriverManager.getConnection(config.pgJdbcUrl(), connectionProperties(config, "rtdw-cdc-preflight"));
    }

    /** The capture's credentials with connect and socket timeouts, under {@code applicationName}. */
    public static Properties connectionProperties(final CdcConfig config, final String applicationName) {
        final Properties props = new Properties();
        props.setProperty("user", config.pgUser());
        props.setProperty("password", config.pgPassword());
        props.setProperty("connectTimeout", "10");
        props.setProperty("socketTimeout", "30");
        props.setProperty("ApplicationName", applicationName);
        return props;
    }

    /** Applies {@link #INIT_SCRIPTS} (idempotent: IF NOT EXISTS everywhere). */
    public static void applyInitScripts(final Connection connection) throws SQLException {
        applyScripts(connection, INIT_SCRIPTS);
    }

    /** Applies the module's SQL {@code scripts} (class-path resources) in order. */
    public static void applyScripts(final Connection connection, final List<String> scripts) throws SQLException {
        for (final String script : scripts) {
            try (InputStream in = PostgresPreflight.class.getClassLoader().getResourceAsStream(script);
                 Statement st = connection.createStatement()) {
                if (in == null) {
                    throw new IllegalStateException(script + " is missing from the classpath");
                }
                st.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (final IOException e) {
                throw new IllegalStateException("cannot read " + script, e);
            }
        }
    }

    /**
     * Runs every check, retrying an unreachable server up to {@code config.maxRetries()} times.
     *
     * @throws MisconfigurationException with what to fix
     */
    public static void check(final CdcConfig config) throws InterruptedException {
        long backoff = config.retryBackoffMs();
        for (int attempt = 0; ; attempt++) {
            try (Connection c = connect(config)) {
                if (config.pgInitSchema()) {
                    applyInitScripts(c);
                }
                checkSetup(c, config);
                return;
            } catch (final SQLException e) {
                final String state = e.getSQLState() == null ? "" : e.getSQLState();
                if (state.equals("28P01") || state.equals("28000")) {
                    throw new MisconfigurationException("PostgreSQL at " + config.pgHost() + ":" + config.pgPort()
                            + " rejected user '" + config.pgUser() + "' (" + e.getMessage()
                            + "). Fix PG_USER / PG_PASSWORD.", e);
                }
                if (state.equals("42501")) {
                    throw new MisconfigurationException("PostgreSQL user '" + config.pgUser() + "' may not connect "
                            + "to database '" + config.pgDatabase() + "' (" + e.getMessage() + "). An administrator "
                            + "applies " + ROLE_SCRIPT + " or runs GRANT CONNECT ON DATABASE " + config.pgDatabase()
                            + " TO " + config.pgUser() + ".", e);
                }
                if (state.equals("3D000")) {
                    throw new MisconfigurationException("database '" + config.pgDatabase() + "' does not exist on "
                            + config.pgHost() + ":" + config.pgPort() + ". Fix PG_DATABASE.", e);
                }
                if (!state.startsWith("08") || attempt >= config.maxRetries()) {
                    throw new MisconfigurationException("cannot use PostgreSQL at " + config.pgJdbcUrl() + " after "
                            + (attempt + 1) + " attempt(s): " + e.getMessage()
                            + ". Check PG_HOST / PG_PORT and that the server is running.", e);
                }
                LOG.warn("PostgreSQL at {} not reachable (attempt {}/{}): {}; retrying in {} ms", config.pgJdbcUrl(),
                        attempt + 1, config.maxRetries() + 1, e.getMessage(), backoff);
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
    }

    private static void checkSetup(final Connection c, final CdcConfig config) throws SQLException {
        final String walLevel = single(c, "SHOW wal_level", null);
        if (!"logical".equals(walLevel)) {
            throw new MisconfigurationException("PostgreSQL wal_level is '" + walLevel + "', capture needs 'logical'. "
                    + "Run ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and restart PostgreSQL.",
                    null);
        }
        final String schema = config.catalog().pgSchema();
        checkPrivileges(c, config, schema);
        for (final String table : TABLES) {
            final String qualified = schema + "." + table;
            final String identity = single(c, "SELECT relreplident::text FROM pg_class WHERE oid = to_regclass(?)",
                    qualified);
            if (identity == null) {
                throw new MisconfigurationException("table " + qualified + " does not exist. Apply "
                        + "src/main/resources/sql/001_schema.sql (or start once with RTDW_PG_INIT_SCHEMA=true).", null);
            }
            if (!"f".equals(identity) && table.equals("flight")) {
                throw new MisconfigurationException("table " + qualified + " has REPLICA IDENTITY '" + identity
                        + "', capture needs FULL. Run ALTER TABLE " + qualified + " REPLICA IDENTITY FULL "
                        + "(sql/002_cdc.sql). Why: every change is written to its customer's Kafka partition, and a "
                        + "flight that moves to another customer, or is deleted, must also be removed from its old "
                        + "customer's partition; only the full before image names that customer (with this identity "
                        + "the old row carries only the id, and every such change would go to every partition).",
                        null);
            }
            if (!"f".equals(identity)) {
                throw new MisconfigurationException("table " + qualified + " has REPLICA IDENTITY '" + identity
                        + "': deletes and updates would lack the old row. Run ALTER TABLE " + qualified
                        + " REPLICA IDENTITY FULL (sql/002_cdc.sql).", null);
            }
        }
        final String published = single(c, "SELECT count(*)::text FROM pg_publication_tables WHERE pubname = ?"
                + " AND schemaname = '" + schema.replace("'", "''") + "' AND tablename IN ('customers','flight')",
                config.pgPublication());
        if (!"2".equals(published)) {
            throw new MisconfigurationException("publication '" + config.pgPublication() + "' is missing or does not "
                    + "cover " + schema + ".customers and " + schema + ".flight. Apply sql/002_cdc.sql "
                    + "(or fix RTDW_PG_PUBLICATION).", null);
        }
        final String others = single(c, "SELECT coalesce(string_agg(schemaname || '.' || tablename, ', '), '') FROM "
                + "pg_publication_tables WHERE pubname = ? AND NOT (schemaname = '" + schema.replace("'", "''")
                + "' AND tablename IN ('customers','flight'))", config.pgPublication());
        if (others != null && !others.isEmpty()) {
            LOG.warn("publication '{}' also publishes {}: their changes reach the capture's replication connection "
                    + "(and anyone with its role) although nothing uses them; publish the captured tables only "
                    + "(sql/002_cdc.sql)", config.pgPublication(), others);
        }
        final List<String> drift = SchemaGuard.checkColumns(c, schema);
        if (!drift.isEmpty()) {
            throw new MisconfigurationException("the captured tables do not match the contract (sql/001_schema.sql): "
                    + String.join("; ", drift) + ". Restore the column(s), then re-snapshot: "
                    + "see 'Schema changes' in " + SchemaGuard.README + ".", null);
        }
    }

    /**
     * What the capture's role needs and nothing more: REPLICATION (slot and stream), USAGE on the schema and SELECT on
     * the captured tables (snapshot). Every missing right is reported at once, each with its GRANT; more rights than
     * needed (superuser, owning a table) are logged, not refused.
     */
    private static void checkPrivileges(final Connection c, final CdcConfig config, final String schema)
            throws SQLException {
        final String user = config.pgUser();
        final List<String> missing = new ArrayList<>();
        final String role = single(c, "SELECT rolreplication::text || ',' || rolsuper::text FROM pg_roles "
                + "WHERE rolname = current_user", null);
        final boolean superuser = role != null && role.endsWith(",true");
        if (!superuser && (role == null || !role.startsWith("true"))) {
            missing.add("REPLICATION: it may not open a replication connection (ALTER ROLE " + user
                    + " WITH REPLICATION)");
        }
        final boolean usage = "true".equals(single(c, "SELECT has_schema_privilege(?, 'USAGE')::text", schema));
        if (!usage) {
            missing.add("USAGE on schema " + schema + " (GRANT USAGE ON SCHEMA " + schema + " TO " + user + ")");
        } else {
            for (final String table : TABLES) {
                final String qualified = schema + "." + table;
                // NULL when the table is missing: reported by the table checks that follow.
                if ("false".equals(single(c, "SELECT has_table_privilege(to_regclass(?), 'SELECT')::text",
                        qualified))) {
                    missing.add("SELECT on " + qualified + " (GRANT SELECT ON " + qualified + " TO " + user + ")");
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new MisconfigurationException("PostgreSQL user '" + user + "' lacks what the capture needs: "
                    + String.join("; ", missing) + ". An administrator applies " + ROLE_SCRIPT + " (role rtdw_cdc) "
                    + "or runs the statements above; see 'Least privilege' in the cdc-sources README.", null);
        }
        final String owned = usage ? single(c, "SELECT string_agg(relname, ', ') FROM pg_class WHERE oid IN ("
                + "to_regclass(? || '.customers'), to_regclass(? || '.flight')) AND pg_has_role(relowner, 'USAGE')",
                schema, schema) : null;
        if (superuser || owned != null) {
            LOG.warn("PostgreSQL user '{}' has more rights than capture needs ({}): use a role made by {} "
                    + "(REPLICATION and SELECT on the captured tables only)", user,
                    superuser ? "superuser" : "owns " + owned, ROLE_SCRIPT);
        }
    }

    private static String single(final Connection c, final String sql, final String first, final String second)
            throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, first);
            st.setString(2, second);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String single(final Connection c, final String sql, final String param) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            if (param != null) {
                st.setString(1, param);
            }
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
