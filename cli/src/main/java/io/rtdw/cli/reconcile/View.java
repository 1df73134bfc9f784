package io.rtdw.cli.reconcile;

import java.util.Map;
import java.util.TreeMap;

/**
 * One live customer as one copy shows it, in a form every copy can be reduced to: the customer's scalar fields, the
 * exact child counts and the children shown in the arrays, each field as its canonical text ({@link Values}), null
 * when absent. Field names are the warehouse's ({@code name}, {@code email}, ...; children: {@code airline},
 * {@code maker}, ...).
 *
 * @param id           customer id
 * @param fields       scalar fields by warehouse name
 * @param flightCount  exact flight count the copy states
 * @param vehicleCount exact vehicle count the copy states
 * @param flights      the flights shown, by flight id, each with its fields
 * @param vehicles     the vehicles shown, by vehicle id, each with its fields
 */
public record View(int id, Map<String, String> fields, int flightCount, int vehicleCount,
                   TreeMap<Integer, Map<String, String>> flights, TreeMap<Integer, Map<String, String>> vehicles) {

    /** The customer's scalar fields, in the order they are compared and printed. */
    public static final String[] FIELDS = {"name", "gender", "address", "phone", "email", "photo_url", "birth_date",
        "profession", "updated_at"};
    /** A flight's compared fields. */
    public static final String[] FLIGHT_FIELDS = {"airport", "airline", "iata_code", "updated_at"};
    /** A vehicle's compared fields. */
    public static final String[] VEHICLE_FIELDS = {"model_year", "model", "maker", "vehicle_year", "category",
        "updated_at"};
}
