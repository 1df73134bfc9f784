package io.rtdw.bench;

import io.rtdw.dev.workload.PostgresApplier;
import io.rtdw.testing.WorkloadGenerator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/**
 * Offers load to PostgreSQL: the cdc-sources workload generator (inserts, updates, deletes, moves, orphans of
 * customers and flights) applied through its JDBC applier, {@code perTransaction} changes per commit, at a paced
 * rate or as fast as one connection goes. A reserved sentinel customer, updated after a run, tells when everything
 * committed before it has gone through the pipeline (its update is the last change; per-key order holds end to end).
 */
public final class LoadWriter implements AutoCloseable {

    /** Id of the sentinel customer; the generator's ids never get near it. */
    public static final int SENTINEL_ID = 2_000_000_000;

    private final WorkloadGenerator generator;
    private final PostgresApplier applier;
    private final Connection connection;
    private final PreparedStatement sentinel;
    private final int perTransaction;
    private long sentinels;
    private long applied;
    private int inTransaction;

    public LoadWriter(final Connection connection, final long seed, final int perTransaction) throws SQLException {
        this.connection = connection;
        this.perTransaction = perTransaction;
        this.generator = new WorkloadGenerator(new WorkloadGenerator.Options(seed, 2000, 3000, 0, 0.1, false));
        this.applier = new PostgresApplier(connection);
        connection.setAutoCommit(false); // the applier set autocommit; batch changes per transaction instead
        try (Statement st = connection.createStatement()) {
            st.execute("INSERT INTO customers (id, nome, profissao, dt_update) VALUES (" + SENTINEL_ID
                    + ", 'sentinel', 'sentinel-0', now()) ON CONFLICT (id) DO NOTHING");
        }
        connection.commit();
        sentinel = connection.prepareStatement("UPDATE customers SET profissao = ? WHERE id = " + SENTINEL_ID);
    }

    /** Applies the generator's initial rows (2000 customers, 3000 flights) in one go. */
    public void initialRows() throws Exception {
        burst(5000);
    }

    /** Applies {@code changes} as fast as possible; returns elapsed nanoseconds. */
    public long burst(final long changes) throws Exception {
        final long start = System.nanoTime();
        for (long i = 0; i < changes; i++) {
            applyOne();
        }
        connection.commit();
        inTransaction = 0;
        return System.nanoTime() - start;
    }

    /**
     * Applies changes at {@code rate} per second for {@code seconds}; a writer that falls behind does not catch up
     * in a burst, it just goes as fast as it can. Returns the number of changes applied.
     */
    public long paced(final double rate, final double seconds) throws Exception {
        final long start = System.nanoTime();
        final long end = start + (long) (seconds * 1e9);
        final double interval = 1e9 / rate;
        long n = 0;
        while (true) {
            final long due = start + (long) (n * interval);
            if (due >= end) {
                break;
            }
            final long wait = due - System.nanoTime();
            if (wait > 0) {
                if (inTransaction > 0) {
                    connection.commit(); // never hold a partial transaction while idle: latency starts at commit
                    inTransaction = 0;
                }
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            applyOne();
            n++;
        }
        connection.commit();
        inTransaction = 0;
        return n;
    }

    private void applyOne() throws Exception {
        applier.apply(generator.next());
        applied++;
        if (++inTransaction == perTransaction) {
            connection.commit();
            inTransaction = 0;
        }
    }

    /** Commits an update of the sentinel customer; returns the profession it now has. */
    public String sentinel() throws SQLException {
        final String tag = "sentinel-" + (++sentinels);
        sentinel.setString(1, tag);
        sentinel.executeUpdate();
        connection.commit();
        return tag;
    }

    /** Changes applied so far. */
    public long applied() {
        return applied;
    }

    @Override
    public void close() throws SQLException {
        applier.close();
    }
}
