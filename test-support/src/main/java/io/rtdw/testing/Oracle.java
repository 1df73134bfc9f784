package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The expected warehouse state: the unified record's contract applied to a {@link SourceModel}, the source tables as
 * the source databases hold them. The unified set is {@code customers LEFT JOIN flight LEFT JOIN vehicle} grouped per
 * customer: one record per customer row, whatever its id (0 and negative ids included: there is no foreign key and
 * every int is a customer id), with every flight and vehicle whose {@code customer_id} is that id (no cap); children
 * of ids with no customer row are orphans and appear in no record.
 *
 * <p>It models the source, not the app: it never looks at Kafka Streams, at source positions or at the app's
 * ordering rule, only at the rows the source has after its commits. Where the model comes from:
 * <ul>
 *   <li>{@link RandomChanges#model()}: the generator's own source, written transaction by transaction in commit
 *   order;</li>
 *   <li>{@link #fromPostgres}: the real databases (SQL over PostgreSQL, the MongoDB documents as written);</li>
 *   <li>{@link #of(WorkloadGenerator)}: what a {@link WorkloadGenerator} wrote, when the test has no database;</li>
 *   <li>{@link #fromCaptureLog}: hand-written fixtures, which describe captured changes only.</li>
 * </ul>
 */
public final class Oracle {

    private final SourceModel model;

    /** The oracle of {@code model} (read when {@link #expected()} runs: later commits to the model count). */
    public Oracle(final SourceModel model) {
        this.model = model;
    }

    /** The oracle of what {@code generator} has written so far (child source times unknown). */
    public static Oracle of(final WorkloadGenerator generator) {
        return new Oracle(SourceModel.of(generator));
    }

    /** The oracle of the databases now (see {@link SourceModel#fromPostgres}; child source times unknown). */
    public static Oracle fromPostgres(final Connection postgres, final Collection<WorkloadGenerator.VehicleDoc> vehicles)
            throws SQLException {
        return new Oracle(SourceModel.fromPostgres(postgres, vehicles));
    }

    /** The oracle of a hand-written fixture's captured changes (see {@link SourceModel#fromCaptureLog}). */
    public static Oracle fromCaptureLog(final Iterable<SourceChange> log) {
        return new Oracle(SourceModel.fromCaptureLog(log));
    }

    /**
     * One expected record per live customer, keyed by customer id, with every child (no cap), in the
     * {@link #normalize normalized} form.
     */
    public Map<Integer, UnifiedCustomer> expected() {
        final Map<Integer, List<UnifiedFlight>> flightsByCustomer = new HashMap<>();
        model.flights().forEach((id, r) -> flightsByCustomer.computeIfAbsent(r.row().getCustomerId(), k -> new ArrayList<>())
                .add(UnifiedFlight.newBuilder().setFlightId(id).setAirport(r.row().getAeroporto())
                        .setAirline(r.row().getLinhaAerea()).setIataCode(r.row().getCodIata())
                        .setUpdatedAt(r.row().getDtUpdate()).setSourceTsMs(sourceTime(r)).build()));
        final Map<Integer, List<UnifiedVehicle>> vehiclesByCustomer = new HashMap<>();
        model.vehicles().forEach((id, r) -> vehiclesByCustomer.computeIfAbsent(r.row().getCustomerId(), k -> new ArrayList<>())
                .add(UnifiedVehicle.newBuilder().setVehicleId(id).setModelYear(r.row().getAnoModelo())
                        .setModel(r.row().getModelo()).setMaker(r.row().getFabricante())
                        .setVehicleYear(r.row().getAnoVeiculo()).setCategory(r.row().getCategoria())
                        .setUpdatedAt(r.row().getDtUpdate()).setSourceTsMs(sourceTime(r)).build()));
        final Map<Integer, UnifiedCustomer> out = new TreeMap<>();
        model.customers().forEach((id, r) -> {
            final Customer c = r.row();
            final List<UnifiedFlight> fs = new ArrayList<>(flightsByCustomer.getOrDefault(id, List.of()));
            fs.sort(Comparator.comparingInt(UnifiedFlight::getFlightId));
            final List<UnifiedVehicle> vs = new ArrayList<>(vehiclesByCustomer.getOrDefault(id, List.of()));
            vs.sort(Comparator.comparingInt(UnifiedVehicle::getVehicleId));
            out.put(id, UnifiedCustomer.newBuilder().setCustomerId(id).setDeleted(false).setVersion(0)
                    .setSourceTsMs(Instant.EPOCH).setName(c.getNome()).setGender(c.getSexo())
                    .setAddress(c.getEndereco()).setPhone(c.getTelefone()).setEmail(c.getEmail())
                    .setPhotoUrl(c.getFoto()).setBirthDate(c.getNascimento()).setProfession(c.getProfissao())
                    .setUpdatedAt(c.getDtUpdate()).setFlightCount(fs.size()).setFlights(fs)
                    .setVehicleCount(vs.size()).setVehicles(vs).build());
        });
        return out;
    }

    /** Customer ids that exist in the source now. */
    public Set<Integer> liveCustomers() {
        return new TreeSet<>(model.customers().keySet());
    }

    /**
     * An actual record in the form {@link #expected()} has: {@link #normalize normalized}, and without the children's
     * source times when the model does not know them (read from the databases).
     */
    public UnifiedCustomer comparable(final UnifiedCustomer actual) {
        final UnifiedCustomer normalized = normalize(actual);
        return model.knowsSourceTimes() ? normalized : withoutChildSourceTimes(normalized);
    }

    /** {@code record} with every child's source time at {@link Instant#EPOCH}. */
    public static UnifiedCustomer withoutChildSourceTimes(final UnifiedCustomer record) {
        return UnifiedCustomer.newBuilder(record)
                .setFlights(record.getFlights().stream()
                        .map(f -> UnifiedFlight.newBuilder(f).setSourceTsMs(Instant.EPOCH).build()).toList())
                .setVehicles(record.getVehicles().stream()
                        .map(v -> UnifiedVehicle.newBuilder(v).setSourceTsMs(Instant.EPOCH).build()).toList())
                .build();
    }

    private static Instant sourceTime(final SourceModel.Stamped<?> row) {
        return row.sourceTsMs() == SourceModel.UNKNOWN_TIME ? Instant.EPOCH : Instant.ofEpochMilli(row.sourceTsMs());
    }

    /**
     * A record without the fields that depend on processing history (version, record-level source time), so it
     * can be compared with {@link #expected()}.
     */
    public static UnifiedCustomer normalize(final UnifiedCustomer record) {
        // Arrays become plain lists: a deserialized record holds Avro's GenericData.Array, whose equals() ignores
        // logical types and cannot compare the Instant fields of the items.
        return UnifiedCustomer.newBuilder(record).setVersion(0).setSourceTsMs(Instant.EPOCH)
                .setFlights(new ArrayList<>(record.getFlights())).setVehicles(new ArrayList<>(record.getVehicles()))
                .build();
    }
}
