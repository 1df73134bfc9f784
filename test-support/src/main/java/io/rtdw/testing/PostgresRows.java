package io.rtdw.testing;

import io.rtdw.testing.WorkloadGenerator.CustomerRow;
import io.rtdw.testing.WorkloadGenerator.FlightRow;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Loads rows into the source tables {@code customers} and {@code flight} (the source DDL, columns in DDL order) in
 * batches of 5,000, in one transaction: for tests and benchmarks that need a large source fast, not a change stream.
 */
public final class PostgresRows {

    private static final int BATCH = 5_000;

    private PostgresRows() {
    }

    /** Inserts {@code customers} and {@code flights} and commits. */
    public static void insert(final Connection db, final Iterable<CustomerRow> customers,
                              final Iterable<FlightRow> flights) throws SQLException {
        final boolean autoCommit = db.getAutoCommit();
        db.setAutoCommit(false);
        try (PreparedStatement c = db.prepareStatement("INSERT INTO customers (id, nome, sexo, endereco, telefone,"
                + " email, foto, nascimento, profissao, dt_update) VALUES (?,?,?,?,?,?,?,?,?,?)");
             PreparedStatement f = db.prepareStatement("INSERT INTO flight (id, customer_id, aeroporto, linha_aerea,"
                     + " cod_iata, dt_update) VALUES (?,?,?,?,?,?)")) {
            int n = 0;
            for (final CustomerRow r : customers) {
                c.setInt(1, r.id());
                c.setString(2, r.nome());
                c.setString(3, r.sexo());
                c.setString(4, r.endereco());
                c.setString(5, r.telefone());
                c.setString(6, r.email());
                c.setString(7, r.foto());
                c.setObject(8, r.nascimento());
                c.setString(9, r.profissao());
                c.setObject(10, r.dtUpdate());
                c.addBatch();
                if (++n % BATCH == 0) {
                    c.executeBatch();
                }
            }
            c.executeBatch();
            for (final FlightRow r : flights) {
                f.setInt(1, r.id());
                f.setInt(2, r.customerId());
                f.setString(3, r.aeroporto());
                f.setString(4, r.linhaAerea());
                f.setString(5, r.codIata());
                f.setObject(6, r.dtUpdate());
                f.addBatch();
                if (++n % BATCH == 0) {
                    f.executeBatch();
                }
            }
            f.executeBatch();
            db.commit();
        } catch (final SQLException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(autoCommit);
        }
    }
}
