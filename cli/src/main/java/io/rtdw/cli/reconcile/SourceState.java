package io.rtdw.cli.reconcile;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sources' current rows, already in warehouse field names ({@code nome} is {@code name}, ...; the mapping is the
 * streams app's, streams-app/README.md "Field mapping", applied field by field by the readers), and the unified
 * records they imply: {@code customers LEFT JOIN flight LEFT JOIN vehicle} grouped per customer, every child (no cap).
 * Children whose customer has no row are orphans and belong to no record.
 */
public final class SourceState {

    /** A flight or a vehicle: its customer and its fields. */
    public record Child(int customerId, Map<String, String> fields) {
    }

    private final Map<Integer, Map<String, String>> customers = new HashMap<>();
    private final Map<Integer, Child> flights = new HashMap<>();
    private final Map<Integer, Child> vehicles = new HashMap<>();
    private String vehicleOrigin = "MongoDB";

    public void customer(final int id, final Map<String, String> fields) {
        customers.put(id, fields);
    }

    public void flight(final int id, final int customerId, final Map<String, String> fields) {
        flights.put(id, new Child(customerId, fields));
    }

    public void vehicle(final int id, final int customerId, final Map<String, String> fields) {
        vehicles.put(id, new Child(customerId, fields));
    }

    /** Where the vehicles were read (printed with the counts). */
    public void vehicleOrigin(final String origin) {
        this.vehicleOrigin = origin;
    }

    public String vehicleOrigin() {
        return vehicleOrigin;
    }

    public int customers() {
        return customers.size();
    }

    public int flights() {
        return flights.size();
    }

    public int vehicles() {
        return vehicles.size();
    }

    /** Children whose customer id has no customer row. */
    public int orphans() {
        return (int) (flights.values().stream().filter(c -> !customers.containsKey(c.customerId())).count()
                + vehicles.values().stream().filter(c -> !customers.containsKey(c.customerId())).count());
    }

    /** A hash of every row: equal between two reads when nothing changed in between (with near certainty). */
    public long fingerprint() {
        return 31L * (31L * customers.hashCode() + flights.hashCode()) + vehicles.hashCode();
    }

    /** One expected view per customer row, with all its children. */
    public Map<Integer, View> expected() {
        final Map<Integer, TreeMap<Integer, Map<String, String>>> flightsOf = group(flights);
        final Map<Integer, TreeMap<Integer, Map<String, String>>> vehiclesOf = group(vehicles);
        final Map<Integer, View> out = new HashMap<>(customers.size() * 2);
        customers.forEach((id, fields) -> {
            final TreeMap<Integer, Map<String, String>> fs = flightsOf.getOrDefault(id, new TreeMap<>());
            final TreeMap<Integer, Map<String, String>> vs = vehiclesOf.getOrDefault(id, new TreeMap<>());
            out.put(id, new View(id, fields, fs.size(), vs.size(), fs, vs));
        });
        return out;
    }

    private static Map<Integer, TreeMap<Integer, Map<String, String>>> group(final Map<Integer, Child> children) {
        final Map<Integer, TreeMap<Integer, Map<String, String>>> out = new HashMap<>();
        children.forEach((id, c) -> out.computeIfAbsent(c.customerId(), k -> new TreeMap<>()).put(id, c.fields()));
        return out;
    }
}
