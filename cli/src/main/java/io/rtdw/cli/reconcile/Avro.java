package io.rtdw.cli.reconcile;

import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.schemas.Vehicle;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** The pipeline's Avro records in reconcile's form. */
final class Avro {

    private Avro() {
    }

    /** The view of an output record (a live one: the caller leaves delete markers out). */
    static View view(final UnifiedCustomer u) {
        final Map<String, String> f = new HashMap<>(16);
        f.put("name", Values.text(u.getName()));
        f.put("gender", Values.text(u.getGender()));
        f.put("address", Values.text(u.getAddress()));
        f.put("phone", Values.text(u.getPhone()));
        f.put("email", Values.text(u.getEmail()));
        f.put("photo_url", Values.text(u.getPhotoUrl()));
        f.put("birth_date", Values.date(u.getBirthDate()));
        f.put("profession", Values.text(u.getProfession()));
        f.put("updated_at", Values.local(u.getUpdatedAt()));
        final TreeMap<Integer, Map<String, String>> flights = new TreeMap<>();
        for (final UnifiedFlight x : u.getFlights()) {
            final Map<String, String> c = new HashMap<>(8);
            c.put("airport", Values.text(x.getAirport()));
            c.put("airline", Values.text(x.getAirline()));
            c.put("iata_code", Values.text(x.getIataCode()));
            c.put("updated_at", Values.local(x.getUpdatedAt()));
            flights.put(x.getFlightId(), c);
        }
        final TreeMap<Integer, Map<String, String>> vehicles = new TreeMap<>();
        for (final UnifiedVehicle x : u.getVehicles()) {
            final Map<String, String> c = new HashMap<>(8);
            c.put("model_year", Values.text(x.getModelYear()));
            c.put("model", Values.text(x.getModel()));
            c.put("maker", Values.text(x.getMaker()));
            c.put("vehicle_year", Values.text(x.getVehicleYear()));
            c.put("category", Values.text(x.getCategory()));
            c.put("updated_at", Values.instant(x.getUpdatedAt()));
            vehicles.put(x.getVehicleId(), c);
        }
        return new View(u.getCustomerId(), f, u.getFlightCount(), u.getVehicleCount(), flights, vehicles);
    }

    /** A vehicle document as captured (the vehicle CDC topic's after image), in warehouse names. */
    static Map<String, String> vehicle(final Vehicle v) {
        final Map<String, String> c = new HashMap<>(8);
        c.put("model_year", Values.text(v.getAnoModelo()));
        c.put("model", Values.text(v.getModelo()));
        c.put("maker", Values.text(v.getFabricante()));
        c.put("vehicle_year", Values.text(v.getAnoVeiculo()));
        c.put("category", Values.text(v.getCategoria()));
        c.put("updated_at", Values.instant(v.getDtUpdate()));
        return c;
    }
}
