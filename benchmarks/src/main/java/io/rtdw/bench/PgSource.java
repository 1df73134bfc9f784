package io.rtdw.bench;

import io.rtdw.cdc.postgres.PostgresPreflight;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL 17 (embedded binaries, random port) set up for logical decoding, with the source DDL and the
 * CDC objects of cdc-sources applied. Extra databases (each with its own tables, publication and slots) let one
 * server feed several independent captures.
 */
public final class PgSource implements AutoCloseable {

    private final EmbeddedPostgres pg;

    private PgSource(final EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /** Starts the server and initialises database {@code postgres}. */
    public static PgSource start() throws IOException, SQLException {
        final EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "10")
                .setServerConfig("max_replication_slots", "10")
                // The benchmark commits thousands of small transactions per second; durability of the source is
                // not what is measured, but keep fsync on so capture sees realistic commit costs.
                .setServerConfig("max_connections", "50")
                .start();
        final PgSource source = new PgSource(pg);
        try (Connection c = source.connect("postgres")) {
            PostgresPreflight.applyInitScripts(c);
        }
        return source;
    }

    /** Creates another database with the same tables and publication. */
    public void createDatabase(final String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        try (Connection c = connect(name)) {
            PostgresPreflight.applyInitScripts(c);
        }
    }

    public int port() {
        return pg.getPort();
    }

    /** A new JDBC connection to {@code database} as the superuser (password {@code postgres}). */
    public Connection connect(final String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/" + database,
                "postgres", "postgres");
    }

    @Override
    public void close() throws IOException {
        pg.close();
    }
}
