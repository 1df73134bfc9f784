package io.rtdw.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

/**
 * A reproducible stream of realistic source changes: customers inserted, updated, deleted and re-created with the
 * same id; flights and vehicles inserted, updated, moved to another customer, deleted; and orphans (children whose
 * customer does not exist yet, or any more). Same seed and options, same sequence of changes.
 *
 * <p>The generator only decides; {@link Applier}s write (PostgreSQL through JDBC, MongoDB through the reactive
 * driver, or Debezium-shaped vehicle events to a callback: dev-tools' {@code io.rtdw.dev.workload}; the CDC
 * records of the source topics: {@link CdcEnvelopes}). It keeps the current state of every row, the source as written,
 * for end-to-end checks ({@link #customers()}, {@link #flights()}, {@link #vehicles()}; its join:
 * {@link Oracle#of(WorkloadGenerator)}). Each change is one transaction here; {@link RandomChanges} groups them into
 * concurrent transactions the way a capture sees them.
 *
 * <p>Besides {@link #next()}, a test can script changes ({@link #upsert(CustomerRow)}, {@link #deleteCustomer(int)}
 * ...): they go through the same state, so random and scripted changes mix.
 */
public final class WorkloadGenerator {

    /** A customers row (columns as in the source DDL). */
    public record CustomerRow(int id, String nome, String sexo, String endereco, String telefone, String email,
                              String foto, LocalDate nascimento, String profissao, LocalDateTime dtUpdate) {
    }

    /** A flight row. */
    public record FlightRow(int id, int customerId, String aeroporto, String linhaAerea, String codIata,
                            LocalDateTime dtUpdate) {
    }

    /** A vehicle document. */
    public record VehicleDoc(int id, int customerId, String anoModelo, String modelo, String fabricante,
                             int anoVeiculo, String categoria, Instant dtUpdate) {
    }

    /** One change to apply: exactly one of the row fields is set (deletes carry the deleted row). */
    public record Change(Kind kind, CustomerRow customer, FlightRow flight, VehicleDoc vehicle, VehicleDoc vehicleBefore) {
    }

    /** Change kinds. */
    public enum Kind {
        CUSTOMER_INSERT, CUSTOMER_UPDATE, CUSTOMER_DELETE,
        FLIGHT_INSERT, FLIGHT_UPDATE, FLIGHT_DELETE,
        VEHICLE_INSERT, VEHICLE_UPDATE, VEHICLE_REPLACE, VEHICLE_DELETE
    }

    /** Writes changes somewhere. */
    public interface Applier extends AutoCloseable {
        /** Applies one change; PostgreSQL kinds and vehicle kinds may go to different appliers. */
        void apply(Change change) throws Exception;

        @Override
        default void close() throws Exception {
        }
    }

    /**
     * Generator options.
     *
     * @param seed             random seed
     * @param initialCustomers customers inserted first
     * @param initialFlights   flights inserted first
     * @param initialVehicles  vehicles inserted first
     * @param orphanRatio      probability that a new or moved child points to a customer that does not exist
     * @param withVehicles     false: no vehicle changes at all
     * @param businessTimeJitter {@code dt_update} is the generator's clock minus up to this much: the business column
     *                         goes backwards now and then, as it does when several writers' clocks disagree
     *                         (zero: it only grows)
     */
    public record Options(long seed, int initialCustomers, int initialFlights, int initialVehicles,
                          double orphanRatio, boolean withVehicles, Duration businessTimeJitter) {
        /** Options whose {@code dt_update} only grows. */
        public Options(final long seed, final int initialCustomers, final int initialFlights, final int initialVehicles,
                       final double orphanRatio, final boolean withVehicles) {
            this(seed, initialCustomers, initialFlights, initialVehicles, orphanRatio, withVehicles, Duration.ZERO);
        }

        /** Defaults: 100 customers, 150 flights, 120 vehicles, 10 % orphans, vehicles on. */
        public static Options defaults(final long seed) {
            return new Options(seed, 100, 150, 120, 0.1, true);
        }

        /** These options with {@code dt_update} going back by up to {@code jitter}. */
        public Options withBusinessTimeJitter(final Duration jitter) {
            return new Options(seed, initialCustomers, initialFlights, initialVehicles, orphanRatio, withVehicles, jitter);
        }
    }

    private static final String[] FIRST = {"Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela",
        "Henrique", "Isabela", "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael", "Sofia", "Thiago"};
    private static final String[] LAST = {"Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira",
        "Costa", "Rodrigues", "Almeida", "Nascimento", "Carvalho"};
    private static final String[] STREETS = {"Rua das Flores", "Av. Paulista", "Rua XV de Novembro", "Av. Atlântica",
        "Rua Augusta", "Av. Brasil", "Rua da Consolação"};
    private static final String[] CITIES = {"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife",
        "Porto Alegre", "Salvador"};
    private static final String[] JOBS = {"Engenheira", "Médico", "Professora", "Advogado", "Analista de Dados",
        "Enfermeira", "Arquiteto", "Contadora", "Designer", "Vendedor"};
    private static final String[][] AIRPORTS = {{"GRU", "Guarulhos"}, {"CGH", "Congonhas"}, {"GIG", "Galeão"},
        {"SDU", "Santos Dumont"}, {"BSB", "Brasília"}, {"CNF", "Confins"}, {"SSA", "Salvador"}, {"REC", "Recife"},
        {"POA", "Salgado Filho"}, {"LIS", "Lisboa"}, {"MIA", "Miami"}};
    private static final String[] AIRLINES = {"LATAM", "GOL", "Azul", "TAP", "American Airlines"};
    private static final String[][] CARS = {{"Chevrolet", "Onix", "Hatch"}, {"Volkswagen", "Gol", "Hatch"},
        {"Fiat", "Strada", "Picape"}, {"Toyota", "Corolla", "Sedan"}, {"Hyundai", "Creta", "SUV"},
        {"Jeep", "Compass", "SUV"}, {"Honda", "Civic", "Sedan"}, {"Renault", "Kwid", "Hatch"}};
    private static final LocalDateTime EPOCH = LocalDateTime.of(2024, 1, 1, 8, 0);

    private final Options options;
    private final Random random;
    private final Map<Integer, CustomerRow> customers = new TreeMap<>();
    private final Map<Integer, FlightRow> flights = new TreeMap<>();
    private final Map<Integer, VehicleDoc> vehicles = new TreeMap<>();
    private final List<Integer> deletedCustomers = new ArrayList<>();
    private int nextCustomerId = 1;
    private int nextFlightId = 1;
    private int nextVehicleId = 1;
    private long step;
    private int initialLeft;

    public WorkloadGenerator(final Options options) {
        this.options = Objects.requireNonNull(options);
        this.random = new Random(options.seed());
        this.initialLeft = options.initialCustomers() + options.initialFlights()
                + (options.withVehicles() ? options.initialVehicles() : 0);
    }

    /** The next change. The first ones load the initial data: customers, then flights, then vehicles. */
    public Change next() {
        step++;
        if (initialLeft > 0) {
            initialLeft--;
            if (customers.size() < options.initialCustomers() && nextCustomerId <= options.initialCustomers()) {
                return insertCustomer(nextCustomerId++);
            }
            if (nextFlightId <= options.initialFlights()) {
                return insertFlight();
            }
            return insertVehicle();
        }
        final int roll = random.nextInt(options.withVehicles() ? 100 : 60);
        if (roll < 8) {
            return insertCustomer(!deletedCustomers.isEmpty() && random.nextInt(3) == 0
                    ? deletedCustomers.remove(random.nextInt(deletedCustomers.size())) // re-created with its old id
                    : nextCustomerId++);
        } else if (roll < 22) {
            return customers.isEmpty() ? insertCustomer(nextCustomerId++) : updateCustomer();
        } else if (roll < 25) {
            return customers.isEmpty() ? insertCustomer(nextCustomerId++) : deleteCustomer();
        } else if (roll < 37) {
            return insertFlight();
        } else if (roll < 47) {
            return flights.isEmpty() ? insertFlight() : updateFlight(random.nextInt(3) == 0);
        } else if (roll < 52) {
            return flights.isEmpty() ? insertFlight() : deleteFlight();
        } else if (roll < 60) {
            return flights.isEmpty() ? insertFlight() : updateFlight(true);
        } else if (roll < 72) {
            return insertVehicle();
        } else if (roll < 84) {
            return vehicles.isEmpty() ? insertVehicle() : updateVehicle(random.nextInt(3) == 0);
        } else if (roll < 90) {
            return vehicles.isEmpty() ? insertVehicle() : replaceVehicle();
        } else if (roll < 96) {
            return vehicles.isEmpty() ? insertVehicle() : updateVehicle(true);
        }
        return vehicles.isEmpty() ? insertVehicle() : deleteVehicle();
    }

    /** The options this generator runs with. */
    public Options options() {
        return options;
    }

    /** Current customers (the source truth after every change returned so far was applied). */
    public Map<Integer, CustomerRow> customers() {
        return Collections.unmodifiableMap(customers);
    }

    /** Current flights. */
    public Map<Integer, FlightRow> flights() {
        return Collections.unmodifiableMap(flights);
    }

    /** Current vehicles. */
    public Map<Integer, VehicleDoc> vehicles() {
        return Collections.unmodifiableMap(vehicles);
    }

    /** A scripted insert or update (by whether the row exists now) of a customer. Random changes may follow. */
    public Change upsert(final CustomerRow row) {
        final Kind kind = customers.containsKey(row.id()) ? Kind.CUSTOMER_UPDATE : Kind.CUSTOMER_INSERT;
        customers.put(row.id(), row);
        deletedCustomers.remove(Integer.valueOf(row.id()));
        nextCustomerId = Math.max(nextCustomerId, row.id() + 1); // random inserts never reuse a scripted id
        return new Change(kind, row, null, null, null);
    }

    /** A scripted delete of an existing customer; its children stay. */
    public Change deleteCustomer(final int id) {
        final CustomerRow row = Objects.requireNonNull(customers.remove(id), "no customer " + id);
        deletedCustomers.add(id);
        return new Change(Kind.CUSTOMER_DELETE, row, null, null, null);
    }

    /** A scripted insert or update of a flight. */
    public Change upsert(final FlightRow row) {
        final Kind kind = flights.containsKey(row.id()) ? Kind.FLIGHT_UPDATE : Kind.FLIGHT_INSERT;
        flights.put(row.id(), row);
        nextFlightId = Math.max(nextFlightId, row.id() + 1);
        return new Change(kind, null, row, null, null);
    }

    /** A scripted delete of an existing flight. */
    public Change deleteFlight(final int id) {
        return new Change(Kind.FLIGHT_DELETE, null, Objects.requireNonNull(flights.remove(id), "no flight " + id),
                null, null);
    }

    /** A scripted insert or update (a {@code $set} of every field) of a vehicle. */
    public Change upsert(final VehicleDoc doc) {
        final VehicleDoc old = vehicles.put(doc.id(), doc);
        nextVehicleId = Math.max(nextVehicleId, doc.id() + 1);
        return new Change(old == null ? Kind.VEHICLE_INSERT : Kind.VEHICLE_UPDATE, null, null, doc, old);
    }

    /** A scripted delete of an existing vehicle. */
    public Change deleteVehicle(final int id) {
        return new Change(Kind.VEHICLE_DELETE, null, null, null,
                Objects.requireNonNull(vehicles.remove(id), "no vehicle " + id));
    }

    private LocalDateTime now() {
        final long jitter = options.businessTimeJitter().toSeconds();
        return EPOCH.plusSeconds(step - (jitter > 0 ? random.nextInt((int) Math.min(jitter, Integer.MAX_VALUE)) : 0));
    }

    private <T> T pick(final T[] values) {
        return values[random.nextInt(values.length)];
    }

    private int pickKey(final Map<Integer, ?> map) {
        final int index = random.nextInt(map.size());
        int i = 0;
        for (final Integer key : map.keySet()) {
            if (i++ == index) {
                return key;
            }
        }
        throw new IllegalStateException("empty map");
    }

    /** An owner for a new or moved child: usually an existing customer, sometimes one that does not exist. */
    private int owner() {
        if (customers.isEmpty() || random.nextDouble() < options.orphanRatio()) {
            // Orphan: a customer id that is free right now (deleted, or not created yet but soon).
            return !deletedCustomers.isEmpty() && random.nextBoolean()
                    ? deletedCustomers.get(random.nextInt(deletedCustomers.size()))
                    : nextCustomerId + random.nextInt(5);
        }
        return pickKey(customers);
    }

    private CustomerRow customerRow(final int id) {
        final String first = pick(FIRST);
        final String last = pick(LAST);
        return new CustomerRow(id, first + " " + last, first.endsWith("a") ? "F" : "M",
                pick(STREETS) + ", " + (1 + random.nextInt(2000)) + " - " + pick(CITIES),
                String.format("+55 11 9%04d-%04d", random.nextInt(10000), random.nextInt(10000)),
                (first + "." + last).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z.]", "") + id + "@example.com",
                "https://img.example.com/u/" + id + ".jpg",
                LocalDate.of(1950, 1, 1).plusDays(random.nextInt(365 * 55)), pick(JOBS), now());
    }

    private Change insertCustomer(final int id) {
        final CustomerRow row = customerRow(id);
        customers.put(id, row);
        return new Change(Kind.CUSTOMER_INSERT, row, null, null, null);
    }

    private Change updateCustomer() {
        final CustomerRow old = customers.get(pickKey(customers));
        final CustomerRow row = random.nextBoolean()
                ? new CustomerRow(old.id(), old.nome(), old.sexo(), pick(STREETS) + ", " + random.nextInt(2000) + " - "
                        + pick(CITIES), old.telefone(), old.email(), old.foto(), old.nascimento(), pick(JOBS), now())
                : new CustomerRow(old.id(), old.nome(), old.sexo(), old.endereco(),
                        String.format("+55 21 9%04d-%04d", random.nextInt(10000), random.nextInt(10000)), old.email(),
                        old.foto(), old.nascimento(), old.profissao(), now());
        customers.put(row.id(), row);
        return new Change(Kind.CUSTOMER_UPDATE, row, null, null, null);
    }

    private Change deleteCustomer() {
        // Its flights and vehicles stay: they become orphans until the id is re-created.
        final CustomerRow row = customers.remove(pickKey(customers));
        deletedCustomers.add(row.id());
        return new Change(Kind.CUSTOMER_DELETE, row, null, null, null);
    }

    private Change insertFlight() {
        final String[] airport = pick(AIRPORTS);
        final FlightRow row = new FlightRow(nextFlightId++, owner(), airport[1], pick(AIRLINES), airport[0], now());
        flights.put(row.id(), row);
        return new Change(Kind.FLIGHT_INSERT, null, row, null, null);
    }

    private Change updateFlight(final boolean move) {
        final FlightRow old = flights.get(pickKey(flights));
        final String[] airport = pick(AIRPORTS);
        final FlightRow row = move
                ? new FlightRow(old.id(), owner(), old.aeroporto(), old.linhaAerea(), old.codIata(), now())
                : new FlightRow(old.id(), old.customerId(), airport[1], pick(AIRLINES), airport[0], now());
        flights.put(row.id(), row);
        return new Change(Kind.FLIGHT_UPDATE, null, row, null, null);
    }

    private Change deleteFlight() {
        final FlightRow row = flights.remove(pickKey(flights));
        return new Change(Kind.FLIGHT_DELETE, null, row, null, null);
    }

    private VehicleDoc vehicleDoc(final int id, final int owner) {
        final String[] car = pick(CARS);
        final int year = 2008 + random.nextInt(17);
        return new VehicleDoc(id, owner, String.valueOf(year + random.nextInt(2)), car[1], car[0], year, car[2],
                now().toInstant(java.time.ZoneOffset.UTC));
    }

    private Change insertVehicle() {
        final VehicleDoc doc = vehicleDoc(nextVehicleId++, owner());
        vehicles.put(doc.id(), doc);
        return new Change(Kind.VEHICLE_INSERT, null, null, doc, null);
    }

    private Change updateVehicle(final boolean move) {
        final VehicleDoc old = vehicles.get(pickKey(vehicles));
        final Instant at = now().toInstant(java.time.ZoneOffset.UTC);
        final VehicleDoc doc = move
                ? new VehicleDoc(old.id(), owner(), old.anoModelo(), old.modelo(), old.fabricante(), old.anoVeiculo(),
                        old.categoria(), at)
                : new VehicleDoc(old.id(), old.customerId(), old.anoModelo(), old.modelo() + (random.nextBoolean()
                        ? " Plus" : " Sport"), old.fabricante(), old.anoVeiculo(), old.categoria(), at);
        vehicles.put(doc.id(), doc);
        return new Change(Kind.VEHICLE_UPDATE, null, null, doc, old);
    }

    private Change replaceVehicle() {
        final VehicleDoc old = vehicles.get(pickKey(vehicles));
        final VehicleDoc doc = vehicleDoc(old.id(), random.nextBoolean() ? old.customerId() : owner());
        vehicles.put(doc.id(), doc);
        return new Change(Kind.VEHICLE_REPLACE, null, null, doc, old);
    }

    private Change deleteVehicle() {
        final VehicleDoc old = vehicles.remove(pickKey(vehicles));
        return new Change(Kind.VEHICLE_DELETE, null, null, null, old);
    }
}
