package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The three source tables as the source databases hold them: {@code customers} and {@code flight} rows (PostgreSQL)
 * and {@code vehicle} documents (MongoDB), by id, after every committed transaction. Only committed writes are here:
 * what a transaction still open has written is not.
 *
 * <p>Each row carries the source time the capture reports for its current image ({@link Stamped#sourceTsMs()}): the
 * commit time of the transaction that wrote it last, or the read time of the snapshot that read it last (a snapshot
 * row's {@code commit_ts_ms}); {@link #UNKNOWN_TIME} when the model was read from the database itself, which does not
 * keep commit times.
 *
 * <p>Built from: a transaction-level change generator ({@link RandomChanges}), the rows a {@link WorkloadGenerator}
 * wrote ({@link #of(WorkloadGenerator)}), the real databases ({@link #fromPostgres}: SQL over PostgreSQL plus the
 * vehicle documents as written), or, for hand-written fixtures only, a capture log ({@link #fromCaptureLog}).
 * The {@link Oracle} joins it. Not thread-safe.
 */
public final class SourceModel {

    /** Source time of a row read from the database itself. */
    public static final long UNKNOWN_TIME = Long.MIN_VALUE;

    /** A row and the source time of its current image. */
    public record Stamped<T>(T row, long sourceTsMs) {
    }

    private final Map<Integer, Stamped<Customer>> customers = new TreeMap<>();
    private final Map<Integer, Stamped<Flight>> flights = new TreeMap<>();
    private final Map<Integer, Stamped<Vehicle>> vehicles = new TreeMap<>();

    /** Customers rows by id. */
    public Map<Integer, Stamped<Customer>> customers() {
        return Collections.unmodifiableMap(customers);
    }

    /** Flight rows by id. */
    public Map<Integer, Stamped<Flight>> flights() {
        return Collections.unmodifiableMap(flights);
    }

    /** Vehicle documents by {@code _id}. */
    public Map<Integer, Stamped<Vehicle>> vehicles() {
        return Collections.unmodifiableMap(vehicles);
    }

    /** Whether every row's source time is known (false for a model read from the databases). */
    public boolean knowsSourceTimes() {
        return customers.values().stream().allMatch(r -> r.sourceTsMs() != UNKNOWN_TIME)
                && flights.values().stream().allMatch(r -> r.sourceTsMs() != UNKNOWN_TIME)
                && vehicles.values().stream().allMatch(r -> r.sourceTsMs() != UNKNOWN_TIME);
    }

    /** Applies one committed write of the generator, at source time {@code sourceTsMs}. */
    public void commit(final Change change, final long sourceTsMs) {
        switch (change.kind()) {
            case CUSTOMER_INSERT, CUSTOMER_UPDATE ->
                    customers.put(change.customer().id(), new Stamped<>(CdcEnvelopes.customer(change.customer()), sourceTsMs));
            case CUSTOMER_DELETE -> customers.remove(change.customer().id());
            case FLIGHT_INSERT, FLIGHT_UPDATE ->
                    flights.put(change.flight().id(), new Stamped<>(CdcEnvelopes.flight(change.flight()), sourceTsMs));
            case FLIGHT_DELETE -> flights.remove(change.flight().id());
            case VEHICLE_INSERT, VEHICLE_UPDATE, VEHICLE_REPLACE ->
                    vehicles.put(change.vehicle().id(), new Stamped<>(CdcEnvelopes.vehicle(change.vehicle()), sourceTsMs));
            case VEHICLE_DELETE -> vehicles.remove(change.vehicleBefore().id());
        }
    }

    /** A snapshot read {@code table}'s rows at {@code readTsMs}: their current image now reports that time. */
    public void snapshotRead(final SourceChange.Table table, final long readTsMs) {
        switch (table) {
            case CUSTOMERS -> customers.replaceAll((id, r) -> new Stamped<>(r.row(), readTsMs));
            case FLIGHT -> flights.replaceAll((id, r) -> new Stamped<>(r.row(), readTsMs));
            case VEHICLE -> vehicles.replaceAll((id, r) -> new Stamped<>(r.row(), readTsMs));
        }
    }

    /** The rows a {@link WorkloadGenerator} has written so far (its own record of the sources), times unknown. */
    public static SourceModel of(final WorkloadGenerator generator) {
        final SourceModel model = new SourceModel();
        generator.customers().forEach((id, c) -> model.customers.put(id, new Stamped<>(CdcEnvelopes.customer(c), UNKNOWN_TIME)));
        generator.flights().forEach((id, f) -> model.flights.put(id, new Stamped<>(CdcEnvelopes.flight(f), UNKNOWN_TIME)));
        generator.vehicles().forEach((id, v) -> model.vehicles.put(id, new Stamped<>(CdcEnvelopes.vehicle(v), UNKNOWN_TIME)));
        return model;
    }

    /**
     * The source as the databases hold it now: {@code SELECT * FROM customers} and {@code SELECT * FROM flight} over
     * {@code postgres} (columns by name, as in the source DDL), and the MongoDB {@code vehicle} documents as written.
     * Source times are {@link #UNKNOWN_TIME}. The connection stays open.
     */
    public static SourceModel fromPostgres(final Connection postgres, final Collection<VehicleDoc> vehicleDocuments)
            throws SQLException {
        final SourceModel model = new SourceModel();
        try (Statement statement = postgres.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT * FROM customers")) {
                while (rs.next()) {
                    final int id = rs.getInt("id");
                    model.customers.put(id, new Stamped<>(Customer.newBuilder().setId(id)
                            .setNome(rs.getString("nome")).setSexo(rs.getString("sexo"))
                            .setEndereco(rs.getString("endereco")).setTelefone(rs.getString("telefone"))
                            .setEmail(rs.getString("email")).setFoto(rs.getString("foto"))
                            .setNascimento(rs.getObject("nascimento", LocalDate.class))
                            .setProfissao(rs.getString("profissao"))
                            .setDtUpdate(rs.getObject("dt_update", LocalDateTime.class)).build(), UNKNOWN_TIME));
                }
            }
            try (ResultSet rs = statement.executeQuery("SELECT * FROM flight")) {
                while (rs.next()) {
                    final int id = rs.getInt("id");
                    model.flights.put(id, new Stamped<>(Flight.newBuilder().setId(id)
                            .setCustomerId(rs.getInt("customer_id")).setAeroporto(rs.getString("aeroporto"))
                            .setLinhaAerea(rs.getString("linha_aerea")).setCodIata(rs.getString("cod_iata"))
                            .setDtUpdate(rs.getObject("dt_update", LocalDateTime.class)).build(), UNKNOWN_TIME));
                }
            }
        }
        for (final VehicleDoc doc : vehicleDocuments) {
            model.vehicles.put(doc.id(), new Stamped<>(CdcEnvelopes.vehicle(doc), UNKNOWN_TIME));
        }
        return model;
    }

    /**
     * For hand-written fixtures, which state no source: the source rebuilt from a capture log. The log is put in the
     * source's commit order as {@code SourceInfo} documents it (per row: epochs in the order they first appear, then
     * {@code commit_sequence} unsigned, then {@code change_order}; {@code sequence} for records without a
     * {@code commit_sequence}; a record repeating a position already seen is the same change) and the last entry of
     * each row is its image. Generated workloads do not use this: their model is written by the generator itself.
     * Tombstones and records without a row image for an insert or update change nothing.
     */
    public static SourceModel fromCaptureLog(final Iterable<SourceChange> log) {
        final Map<String, List<SourceChange>> byRow = new LinkedHashMap<>();
        final Map<String, Integer> epochArrival = new HashMap<>();
        for (final SourceChange change : log) {
            if (change.value() == null || !isDeleteOrHasImage(change)) {
                continue;
            }
            final SourceInfo source = source(change);
            epochArrival.putIfAbsent(source.getEpoch(), epochArrival.size());
            byRow.computeIfAbsent(change.table() + ":" + change.id(), k -> new ArrayList<>()).add(change);
        }
        final Comparator<SourceChange> commitOrder = Comparator
                .comparingInt((SourceChange c) -> epochArrival.get(source(c).getEpoch()))
                .thenComparing((a, b) -> Long.compareUnsigned(commitOf(source(a)), commitOf(source(b))))
                .thenComparing(c -> source(c).getChangeOrder());
        final SourceModel model = new SourceModel();
        byRow.values().forEach(changes -> {
            final SourceChange last = changes.stream().max(commitOrder).orElseThrow();
            model.put(last);
        });
        return model;
    }

    private static boolean isDeleteOrHasImage(final SourceChange change) {
        return switch (change.table()) {
            case CUSTOMERS -> ((CustomerChange) change.value()).getOp() == Op.DELETE
                    || ((CustomerChange) change.value()).getAfter() != null;
            case FLIGHT -> ((FlightChange) change.value()).getOp() == Op.DELETE
                    || ((FlightChange) change.value()).getAfter() != null;
            case VEHICLE -> ((VehicleChange) change.value()).getOp() == Op.DELETE
                    || ((VehicleChange) change.value()).getAfter() != null;
        };
    }

    private static long commitOf(final SourceInfo source) {
        return source.getCommitSequence() < 0 ? source.getSequence() : source.getCommitSequence();
    }

    private static SourceInfo source(final SourceChange change) {
        return switch (change.table()) {
            case CUSTOMERS -> ((CustomerChange) change.value()).getSource();
            case FLIGHT -> ((FlightChange) change.value()).getSource();
            case VEHICLE -> ((VehicleChange) change.value()).getSource();
        };
    }

    private void put(final SourceChange change) {
        final int id = change.id();
        switch (change.table()) {
            case CUSTOMERS -> {
                final CustomerChange c = (CustomerChange) change.value();
                put(customers, id, c.getOp(), c.getAfter(), c.getSource());
            }
            case FLIGHT -> {
                final FlightChange f = (FlightChange) change.value();
                put(flights, id, f.getOp(), f.getAfter(), f.getSource());
            }
            case VEHICLE -> {
                final VehicleChange v = (VehicleChange) change.value();
                put(vehicles, id, v.getOp(), v.getAfter(), v.getSource());
            }
        }
    }

    private static <T> void put(final Map<Integer, Stamped<T>> rows, final int id, final Op op, final T after,
                                final SourceInfo source) {
        if (op == Op.DELETE) {
            rows.remove(id);
        } else if (after != null) {
            rows.put(id, new Stamped<>(after, source.getCommitTsMs()));
        }
    }
}
