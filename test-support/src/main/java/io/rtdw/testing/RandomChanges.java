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
import io.rtdw.schemas.VehicleKey;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Reproducible random CDC changes over the three tables, shaped like the challenge's generators: inserts, updates
 * of any column, deletes, children moving between customers, orphans (children of customers that do not exist yet
 * or ever), customers deleted and re-created with the same id, {@code dt_update} going backwards, replays of
 * changes already sent (at-least-once CDC), and PostgreSQL and MongoDB on different clocks.
 */
public final class RandomChanges {

    private static final String[] NAMES = {"Ana", "Bruno", "Carla", "Diego", "Elisa", "Fabio", "Gabi", "Hugo"};
    private static final String[] JOBS = {"engineer", "teacher", "doctor", "lawyer", "artist", "nurse"};
    private static final String[] AIRPORTS = {"GRU", "GIG", "BSB", "CNF", "POA", "REC"};
    private static final String[] AIRLINES = {"LATAM", "GOL", "Azul", "TAP"};
    private static final String[] MAKERS = {"Fiat", "VW", "Toyota", "Honda", "Ford"};
    private static final String[] CATEGORIES = {"hatch", "sedan", "suv", "pickup"};
    private static final long MONGO_CLOCK_SKEW_MS = -7_000;

    private final Random random;
    private final int customerIds;
    private final Map<Integer, Customer> customers = new HashMap<>();
    private final Map<Integer, Flight> flights = new HashMap<>();
    private final Map<Integer, Vehicle> vehicles = new HashMap<>();
    private final List<SourceChange> sent = new ArrayList<>();
    private int nextFlightId = 1;
    private int nextVehicleId = 1;
    private long pgLsn = 1_000;
    private int mongoIncrement;
    private long clockMs;

    /**
     * @param seed        makes the sequence reproducible
     * @param customerIds customer ids are drawn from 1..customerIds; children reference up to 25% more (orphans)
     * @param startMs     source clock at the first change
     */
    public RandomChanges(final long seed, final int customerIds, final long startMs) {
        this.random = new Random(seed);
        this.customerIds = customerIds;
        this.clockMs = startMs;
    }

    /** The next {@code n} changes. */
    public List<SourceChange> next(final int n) {
        final List<SourceChange> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(next());
        }
        return out;
    }

    /** The next change. */
    public SourceChange next() {
        clockMs += 1 + random.nextInt(5);
        final int dice = random.nextInt(100);
        final SourceChange change;
        if (dice < 3 && !sent.isEmpty()) {
            change = sent.get(sent.size() - 1 - random.nextInt(Math.min(20, sent.size())));
            return change; // a replay: same key, same position, already applied
        } else if (dice < 30) {
            change = customerChange();
        } else if (dice < 65) {
            change = flightChange();
        } else {
            change = vehicleChange();
        }
        sent.add(change);
        return change;
    }

    private SourceChange customerChange() {
        final int id = 1 + random.nextInt(customerIds);
        final Customer before = customers.get(id);
        if (before != null && random.nextInt(6) == 0) {
            customers.remove(id);
            return SourceChange.of(CustomerChange.newBuilder().setOp(Op.DELETE).setBefore(before).setAfter(null)
                    .setSource(pg("public.customers")).build());
        }
        final Customer after = Customer.newBuilder().setId(id)
                .setNome(NAMES[random.nextInt(NAMES.length)] + " " + id)
                .setSexo(random.nextBoolean() ? "F" : "M")
                .setEndereco("Rua " + random.nextInt(500))
                .setTelefone("+55 11 " + (10_000_000 + random.nextInt(89_999_999)))
                .setEmail("c" + id + "@example.com")
                .setFoto(random.nextInt(4) == 0 ? null : "https://img.example.com/" + id + ".png")
                .setNascimento(LocalDate.of(1950 + random.nextInt(55), 1 + random.nextInt(12), 1 + random.nextInt(28)))
                .setProfissao(JOBS[random.nextInt(JOBS.length)])
                .setDtUpdate(businessTime())
                .build();
        customers.put(id, after);
        return SourceChange.of(CustomerChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                .setBefore(before).setAfter(after).setSource(pg("public.customers")).build());
    }

    private SourceChange flightChange() {
        final Integer existing = pick(flights);
        if (existing == null || random.nextInt(3) == 0) {
            final Flight after = flight(nextFlightId++, childCustomer());
            flights.put(after.getId(), after);
            return SourceChange.of(FlightChange.newBuilder().setOp(Op.CREATE).setAfter(after).setSource(pg("public.flight")).build());
        }
        final Flight before = flights.get(existing);
        if (random.nextInt(5) == 0) {
            flights.remove(existing);
            return SourceChange.of(FlightChange.newBuilder().setOp(Op.DELETE).setBefore(before).setSource(pg("public.flight")).build());
        }
        final boolean move = random.nextInt(3) == 0;
        final Flight after = flight(existing, move ? childCustomer() : before.getCustomerId());
        flights.put(existing, after);
        return SourceChange.of(FlightChange.newBuilder().setOp(Op.UPDATE).setBefore(before).setAfter(after)
                .setSource(pg("public.flight")).build());
    }

    private SourceChange vehicleChange() {
        final Integer existing = pick(vehicles);
        if (existing == null || random.nextInt(3) == 0) {
            final Vehicle after = vehicle(nextVehicleId++, childCustomer());
            vehicles.put(after.getId(), after);
            return SourceChange.of(VehicleChange.newBuilder().setOp(Op.CREATE).setAfter(after).setSource(mongo()).build());
        }
        if (random.nextInt(5) == 0) {
            vehicles.remove(existing);
            // MongoDB without pre-images: a delete carries only the key.
            return new SourceChange(SourceChange.Table.VEHICLE, new VehicleKey(existing),
                    VehicleChange.newBuilder().setOp(Op.DELETE).setSource(mongo()).build(), clockMs + MONGO_CLOCK_SKEW_MS);
        }
        final boolean move = random.nextInt(3) == 0;
        final Vehicle after = vehicle(existing, move ? childCustomer() : vehicles.get(existing).getCustomerId());
        vehicles.put(existing, after);
        return SourceChange.of(VehicleChange.newBuilder().setOp(Op.UPDATE).setAfter(after).setSource(mongo()).build());
    }

    private Flight flight(final int id, final int customerId) {
        return Flight.newBuilder().setId(id).setCustomerId(customerId)
                .setAeroporto(AIRPORTS[random.nextInt(AIRPORTS.length)])
                .setLinhaAerea(AIRLINES[random.nextInt(AIRLINES.length)])
                .setCodIata(AIRLINES[random.nextInt(AIRLINES.length)].substring(0, 2).toUpperCase() + random.nextInt(9999))
                .setDtUpdate(businessTime()).build();
    }

    private Vehicle vehicle(final int id, final int customerId) {
        final int year = 1995 + random.nextInt(30);
        return Vehicle.newBuilder().setId(id).setCustomerId(customerId)
                .setAnoModelo(String.valueOf(year + random.nextInt(2)))
                .setModelo("Model " + (char) ('A' + random.nextInt(26)))
                .setFabricante(MAKERS[random.nextInt(MAKERS.length)])
                .setAnoVeiculo(year)
                .setCategoria(CATEGORIES[random.nextInt(CATEGORIES.length)])
                .setDtUpdate(Instant.ofEpochMilli(clockMs + MONGO_CLOCK_SKEW_MS - random.nextInt(100_000)))
                .build();
    }

    /** A customer id for a child: mostly existing ids, sometimes one no customer has (an orphan). */
    private int childCustomer() {
        return 1 + random.nextInt(customerIds + customerIds / 4 + 1);
    }

    /** Business column: the source's wall clock, sometimes behind an earlier value (out of order). */
    private LocalDateTime businessTime() {
        return LocalDateTime.ofEpochSecond(clockMs / 1000 - random.nextInt(3_600), 0, ZoneOffset.UTC);
    }

    private Integer pick(final Map<Integer, ?> rows) {
        if (rows.isEmpty()) {
            return null;
        }
        final List<Integer> ids = new ArrayList<>(rows.keySet());
        return ids.get(random.nextInt(ids.size()));
    }

    private SourceInfo pg(final String table) {
        pgLsn += 8 + random.nextInt(200);
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("app").setTable(table)
                .setCommitTsMs(clockMs).setPosition(Long.toHexString(pgLsn >>> 32).toUpperCase() + "/"
                        + Long.toHexString(pgLsn & 0xffffffffL).toUpperCase())
                .setSequence(pgLsn).setSnapshot(false).setTxId(null).build();
    }

    private SourceInfo mongo() {
        final long ts = clockMs + MONGO_CLOCK_SKEW_MS;
        final long sequence = ((ts / 1000) << 32) | (++mongoIncrement & 0xffffffffL);
        return SourceInfo.newBuilder().setConnector("mongodb").setDb("rtdw").setTable("vehicle")
                .setCommitTsMs(ts).setPosition(Long.toHexString(sequence)).setSequence(sequence)
                .setSnapshot(false).setTxId(null).build();
    }
}
