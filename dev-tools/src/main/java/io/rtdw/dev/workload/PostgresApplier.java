package io.rtdw.dev.workload;

import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.CustomerRow;
import io.rtdw.testing.WorkloadGenerator.FlightRow;
import io.rtdw.testing.WorkloadGenerator;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;

/**
 * Applies customer and flight changes to PostgreSQL through JDBC, one transaction per change (autocommit), with
 * explicit ids so a run is reproducible. Vehicle changes are ignored (they belong to MongoDB).
 */
public final class PostgresApplier implements WorkloadGenerator.Applier {

    private final Connection connection;
    private final PreparedStatement insertCustomer;
    private final PreparedStatement updateCustomer;
    private final PreparedStatement deleteCustomer;
    private final PreparedStatement insertFlight;
    private final PreparedStatement updateFlight;
    private final PreparedStatement deleteFlight;

    /** Takes ownership of {@code connection} (closed by {@link #close()}). */
    public PostgresApplier(final Connection connection) throws SQLException {
        this.connection = connection;
        connection.setAutoCommit(true);
        insertCustomer = connection.prepareStatement("INSERT INTO customers (id, nome, sexo, endereco, telefone, email, "
                + "foto, nascimento, profissao, dt_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        updateCustomer = connection.prepareStatement("UPDATE customers SET nome = ?, sexo = ?, endereco = ?, "
                + "telefone = ?, email = ?, foto = ?, nascimento = ?, profissao = ?, dt_update = ? WHERE id = ?");
        deleteCustomer = connection.prepareStatement("DELETE FROM customers WHERE id = ?");
        insertFlight = connection.prepareStatement("INSERT INTO flight (id, customer_id, aeroporto, linha_aerea, "
                + "cod_iata, dt_update) VALUES (?, ?, ?, ?, ?, ?)");
        updateFlight = connection.prepareStatement("UPDATE flight SET customer_id = ?, aeroporto = ?, linha_aerea = ?, "
                + "cod_iata = ?, dt_update = ? WHERE id = ?");
        deleteFlight = connection.prepareStatement("DELETE FROM flight WHERE id = ?");
    }

    @Override
    public void apply(final Change change) throws SQLException {
        switch (change.kind()) {
            case CUSTOMER_INSERT -> {
                customerColumns(insertCustomer, change.customer(), 2);
                insertCustomer.setInt(1, change.customer().id());
                insertCustomer.executeUpdate();
            }
            case CUSTOMER_UPDATE -> {
                customerColumns(updateCustomer, change.customer(), 1);
                updateCustomer.setInt(10, change.customer().id());
                updateCustomer.executeUpdate();
            }
            case CUSTOMER_DELETE -> {
                deleteCustomer.setInt(1, change.customer().id());
                deleteCustomer.executeUpdate();
            }
            case FLIGHT_INSERT -> {
                final FlightRow f = change.flight();
                insertFlight.setInt(1, f.id());
                flightColumns(insertFlight, f, 2);
                insertFlight.executeUpdate();
            }
            case FLIGHT_UPDATE -> {
                final FlightRow f = change.flight();
                flightColumns(updateFlight, f, 1);
                updateFlight.setInt(6, f.id());
                updateFlight.executeUpdate();
            }
            case FLIGHT_DELETE -> {
                deleteFlight.setInt(1, change.flight().id());
                deleteFlight.executeUpdate();
            }
            default -> {
                // vehicle changes go to MongoDB
            }
        }
    }

    private static void customerColumns(final PreparedStatement st, final CustomerRow c, final int first)
            throws SQLException {
        st.setString(first, c.nome());
        st.setString(first + 1, c.sexo());
        st.setString(first + 2, c.endereco());
        st.setString(first + 3, c.telefone());
        st.setString(first + 4, c.email());
        st.setString(first + 5, c.foto());
        st.setDate(first + 6, c.nascimento() == null ? null : Date.valueOf(c.nascimento()));
        st.setString(first + 7, c.profissao());
        st.setTimestamp(first + 8, c.dtUpdate() == null ? null : Timestamp.valueOf(c.dtUpdate()));
    }

    private static void flightColumns(final PreparedStatement st, final FlightRow f, final int first)
            throws SQLException {
        st.setInt(first, f.customerId());
        st.setString(first + 1, f.aeroporto());
        st.setString(first + 2, f.linhaAerea());
        st.setString(first + 3, f.codIata());
        st.setTimestamp(first + 4, f.dtUpdate() == null ? null : Timestamp.valueOf(f.dtUpdate()));
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
