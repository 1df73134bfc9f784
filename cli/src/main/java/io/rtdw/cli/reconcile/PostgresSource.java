package io.rtdw.cli.reconcile;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads {@code customers} and {@code flight} with one query each, in one read-only REPEATABLE READ transaction (both
 * tables from the same snapshot), streamed with a fetch size.
 */
public final class PostgresSource {

    private static final int FETCH = 10_000;

    private PostgresSource() {
    }

    /** Reads both tables of {@code schema} into {@code into}. */
    public static void read(final Connection connection, final String schema, final SourceState into)
            throws SQLException {
        final boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        connection.setReadOnly(true);
        try (Statement st = connection.createStatement()) {
            st.setFetchSize(FETCH);
            try (ResultSet rs = st.executeQuery("SELECT id, nome, sexo, endereco, telefone, email, foto, nascimento,"
                    + " profissao, dt_update FROM " + quote(schema) + ".customers")) {
                while (rs.next()) {
                    final Map<String, String> f = new HashMap<>(16);
                    f.put("name", rs.getString(2));
                    f.put("gender", rs.getString(3));
                    f.put("address", rs.getString(4));
                    f.put("phone", rs.getString(5));
                    f.put("email", rs.getString(6));
                    f.put("photo_url", rs.getString(7));
                    f.put("birth_date", Values.date(rs.getObject(8, LocalDate.class)));
                    f.put("profession", rs.getString(9));
                    f.put("updated_at", Values.local(rs.getObject(10, LocalDateTime.class)));
                    into.customer(rs.getInt(1), f);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT id, customer_id, aeroporto, linha_aerea, cod_iata, dt_update"
                    + " FROM " + quote(schema) + ".flight")) {
                while (rs.next()) {
                    final Map<String, String> f = new HashMap<>(8);
                    f.put("airport", rs.getString(3));
                    f.put("airline", rs.getString(4));
                    f.put("iata_code", rs.getString(5));
                    f.put("updated_at", Values.local(rs.getObject(6, LocalDateTime.class)));
                    into.flight(rs.getInt(1), rs.getInt(2), f);
                }
            }
            connection.commit();
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static String quote(final String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
