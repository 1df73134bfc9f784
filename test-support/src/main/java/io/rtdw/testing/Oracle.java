package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.Flight;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.Vehicle;
import io.rtdw.schemas.VehicleChange;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The expected warehouse state, computed directly from source changes with the SQL-join semantics of the unified
 * record's contract: the current source state is what the last change per row says (by source sequence), and the
 * unified set is {@code customers LEFT JOIN flight LEFT JOIN vehicle} grouped per customer.
 *
 * <p>Independent of the topology's code on purpose: it never looks at Kafka Streams, only at rows. Fed with the
 * records read from the source topics, with generated records ({@link RandomChanges}), or with what a
 * {@link WorkloadGenerator} writes to the sources ({@link #applier()}).
 */
public final class Oracle {

    private record Row<T>(T row, long sequence, long commitTs) {
    }

    private final Map<Integer, Row<Customer>> customers = new HashMap<>();
    private final Map<Integer, Row<Flight>> flights = new HashMap<>();
    private final Map<Integer, Row<Vehicle>> vehicles = new HashMap<>();
    private final Map<String, CommitOrder> lastApplied = new HashMap<>();

    private record CommitOrder(String epoch, long commit, String order) {
        boolean isAfter(final CommitOrder other) {
            final int byCommit = Long.compareUnsigned(commit, other.commit);
            return byCommit > 0 || byCommit == 0 && order.compareTo(other.order) > 0;
        }
    }

    /**
     * Applies one change. Tombstones, replays of older positions and changes that break the contract (no after
     * image for an insert or update) change nothing. Every int is an id, 0 and negative ones included.
     */
    public void apply(final SourceChange change) {
        if (change.value() == null) {
            return;
        }
        switch (change.table()) {
            case CUSTOMERS -> {
                final CustomerChange c = (CustomerChange) change.value();
                apply(customers, "c" + change.id(), change.id(), c.getOp(), c.getAfter(), c.getSource());
            }
            case FLIGHT -> {
                final FlightChange f = (FlightChange) change.value();
                apply(flights, "f" + change.id(), change.id(), f.getOp(), f.getAfter(), f.getSource());
            }
            case VEHICLE -> {
                final VehicleChange v = (VehicleChange) change.value();
                apply(vehicles, "v" + change.id(), change.id(), v.getOp(), v.getAfter(), v.getSource());
            }
            default -> throw new IllegalStateException();
        }
    }

    public void applyAll(final Iterable<SourceChange> changes) {
        changes.forEach(this::apply);
    }

    /**
     * An applier for {@link WorkloadRunner} beside the ones that write the sources: every generated change, as the
     * capture would record it ({@link CdcEnvelopes}), goes into this oracle.
     */
    public WorkloadGenerator.Applier applier() {
        final CdcEnvelopes envelopes = new CdcEnvelopes(0, 0, false);
        return change -> apply(envelopes.encode(change));
    }

    private <T> void apply(final Map<Integer, Row<T>> rows, final String positionKey, final int id, final Op op,
                           final T after, final SourceInfo source) {
        if (op != Op.DELETE && after == null) {
            return;
        }
        // The source's commit order, read from the record as the capture documents it (SourceInfo.avsc): a
        // change of another epoch starts over; within one, commit_sequence then change_order; records without a
        // commit_sequence (written before it existed) order by sequence.
        final CommitOrder order = source.getCommitSequence() < 0
                ? new CommitOrder("", source.getSequence(), "")
                : new CommitOrder(source.getEpoch(), source.getCommitSequence(), source.getChangeOrder());
        final CommitOrder last = lastApplied.get(positionKey);
        if (last != null && last.epoch().equals(order.epoch()) && !order.isAfter(last)) {
            return;
        }
        lastApplied.put(positionKey, order);
        if (op == Op.DELETE) {
            rows.remove(id);
        } else {
            rows.put(id, new Row<>(after, source.getSequence(), source.getCommitTsMs()));
        }
    }

    /**
     * One expected record per live customer, keyed by customer id, with every child (no cap), in the
     * {@link #normalize normalized} form.
     */
    public Map<Integer, UnifiedCustomer> expected() {
        final Map<Integer, List<UnifiedFlight>> flightsByCustomer = new HashMap<>();
        flights.forEach((id, r) -> flightsByCustomer.computeIfAbsent(r.row().getCustomerId(), k -> new ArrayList<>())
                .add(UnifiedFlight.newBuilder().setFlightId(id).setAirport(r.row().getAeroporto())
                        .setAirline(r.row().getLinhaAerea()).setIataCode(r.row().getCodIata())
                        .setUpdatedAt(r.row().getDtUpdate()).setSourceTsMs(Instant.ofEpochMilli(r.commitTs())).build()));
        final Map<Integer, List<UnifiedVehicle>> vehiclesByCustomer = new HashMap<>();
        vehicles.forEach((id, r) -> vehiclesByCustomer.computeIfAbsent(r.row().getCustomerId(), k -> new ArrayList<>())
                .add(UnifiedVehicle.newBuilder().setVehicleId(id).setModelYear(r.row().getAnoModelo())
                        .setModel(r.row().getModelo()).setMaker(r.row().getFabricante())
                        .setVehicleYear(r.row().getAnoVeiculo()).setCategory(r.row().getCategoria())
                        .setUpdatedAt(r.row().getDtUpdate()).setSourceTsMs(Instant.ofEpochMilli(r.commitTs())).build()));
        final Map<Integer, UnifiedCustomer> out = new TreeMap<>();
        customers.forEach((id, r) -> {
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
    public java.util.Set<Integer> liveCustomers() {
        return new java.util.TreeSet<>(customers.keySet());
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
