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
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.CustomerRow;
import io.rtdw.testing.WorkloadGenerator.FlightRow;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Turns the generator's row changes into the records the CDC process writes to the source topics
 * ({@link SourceChange}: Debezium-style envelope, key, commit time as timestamp), as if the change had been applied
 * to the sources and captured:
 * <ul>
 *   <li>PostgreSQL ({@code customers}, {@code flight}) with {@code REPLICA IDENTITY FULL}: updates and deletes carry
 *   the old row; every change is its own transaction (autocommit): {@code sequence} is the change's LSN, which grows
 *   by a random step, {@code commit_sequence} its commit record's end LSN, {@code change_order} the change's LSN
 *   as 16 hex digits.</li>
 *   <li>MongoDB ({@code vehicle}) without pre-images unless asked: updates carry only the new document, deletes only
 *   the key; a replace is an update; {@code sequence} and {@code commit_sequence} are the cluster time
 *   ({@code seconds << 32 | increment}), {@code change_order} a resume token.</li>
 *   <li>One epoch per source. Transactions of several changes, interleaving, snapshots, replays and epoch changes
 *   are {@link RandomChanges}' part: it gives the position of each change ({@link #encode(Change, SourceInfo)}).</li>
 *   <li>The two sources have independent clocks: MongoDB's runs 7 s behind PostgreSQL's. Commits are 1 to 5 ms
 *   apart.</li>
 * </ul>
 * Not thread-safe. Same seed, same records.
 */
public final class CdcEnvelopes {

    /** MongoDB's clock against PostgreSQL's. */
    static final long MONGO_CLOCK_SKEW_MS = -7_000;
    private static final String PG_EPOCH = "pg:7300000000000000001:1";
    private static final String MONGO_EPOCH = "mongodb:rs0";

    private final Random random;
    private final boolean vehiclePreImages;
    private final Map<Integer, Customer> customers = new HashMap<>();
    private final Map<Integer, Flight> flights = new HashMap<>();
    private long clockMs;
    private long pgLsn = 1_000;
    private int mongoIncrement;

    /**
     * @param seed             makes the positions and commit times reproducible
     * @param startMs          PostgreSQL's clock at the first commit
     * @param vehiclePreImages true: the vehicle collection records pre-images ({@code before} on updates and deletes)
     */
    public CdcEnvelopes(final long seed, final long startMs, final boolean vehiclePreImages) {
        this.random = new Random(seed);
        this.clockMs = startMs;
        this.vehiclePreImages = vehiclePreImages;
    }

    /** The record the capture writes for {@code change}, committed 1 to 5 ms after the previous one. */
    public SourceChange encode(final Change change) {
        clockMs += 1 + random.nextInt(5);
        return encode(change, switch (change.kind()) {
            case CUSTOMER_INSERT, CUSTOMER_UPDATE, CUSTOMER_DELETE -> pg("public.customers");
            case FLIGHT_INSERT, FLIGHT_UPDATE, FLIGHT_DELETE -> pg("public.flight");
            default -> mongo();
        });
    }

    /**
     * The record the capture writes for {@code change} at the position and time {@code source} says (the caller
     * models positions: {@link RandomChanges}). Before images follow the order of the calls.
     */
    public SourceChange encode(final Change change, final SourceInfo source) {
        return switch (change.kind()) {
            case CUSTOMER_INSERT, CUSTOMER_UPDATE -> {
                final Customer after = customer(change.customer());
                final Customer before = customers.put(after.getId(), after);
                yield SourceChange.of(CustomerChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                        .setBefore(before).setAfter(after).setSource(source).build());
            }
            case CUSTOMER_DELETE -> {
                final Customer before = customers.remove(change.customer().id());
                yield SourceChange.of(CustomerChange.newBuilder().setOp(Op.DELETE)
                        .setBefore(before != null ? before : customer(change.customer())).setAfter(null)
                        .setSource(source).build());
            }
            case FLIGHT_INSERT, FLIGHT_UPDATE -> {
                final Flight after = flight(change.flight());
                final Flight before = flights.put(after.getId(), after);
                yield SourceChange.of(FlightChange.newBuilder().setOp(before == null ? Op.CREATE : Op.UPDATE)
                        .setBefore(before).setAfter(after).setSource(source).build());
            }
            case FLIGHT_DELETE -> {
                final Flight before = flights.remove(change.flight().id());
                yield SourceChange.of(FlightChange.newBuilder().setOp(Op.DELETE)
                        .setBefore(before != null ? before : flight(change.flight())).setAfter(null)
                        .setSource(source).build());
            }
            case VEHICLE_INSERT, VEHICLE_UPDATE, VEHICLE_REPLACE -> {
                final Vehicle before = vehiclePreImages && change.vehicleBefore() != null
                        ? vehicle(change.vehicleBefore()) : null;
                yield SourceChange.of(VehicleChange.newBuilder()
                        .setOp(change.kind() == WorkloadGenerator.Kind.VEHICLE_INSERT ? Op.CREATE : Op.UPDATE)
                        .setBefore(before).setAfter(vehicle(change.vehicle())).setSource(source).build());
            }
            case VEHICLE_DELETE -> {
                final VehicleChange delete = VehicleChange.newBuilder().setOp(Op.DELETE)
                        .setBefore(vehiclePreImages ? vehicle(change.vehicleBefore()) : null).setAfter(null)
                        .setSource(source).build();
                // Without pre-images the value holds no row: the id is in the key only.
                yield new SourceChange(SourceChange.Table.VEHICLE, new VehicleKey(change.vehicleBefore().id()), delete,
                        delete.getSource().getCommitTsMs());
            }
        };
    }

    /** A snapshot record: {@code row} read at the position and time {@code source} says. */
    public static SourceChange read(final Customer row, final SourceInfo source) {
        return SourceChange.of(CustomerChange.newBuilder().setOp(Op.READ).setBefore(null).setAfter(row).setSource(source)
                .build());
    }

    /** A snapshot record of a flight row. */
    public static SourceChange read(final Flight row, final SourceInfo source) {
        return SourceChange.of(FlightChange.newBuilder().setOp(Op.READ).setBefore(null).setAfter(row).setSource(source)
                .build());
    }

    /** A snapshot record of a vehicle document. */
    public static SourceChange read(final Vehicle row, final SourceInfo source) {
        return SourceChange.of(VehicleChange.newBuilder().setOp(Op.READ).setBefore(null).setAfter(row).setSource(source)
                .build());
    }

    /** PostgreSQL's clock now (the last commit time). */
    public long clockMs() {
        return clockMs;
    }

    /** The Avro row of a customers row. */
    public static Customer customer(final CustomerRow c) {
        return Customer.newBuilder().setId(c.id()).setNome(c.nome()).setSexo(c.sexo()).setEndereco(c.endereco())
                .setTelefone(c.telefone()).setEmail(c.email()).setFoto(c.foto()).setNascimento(c.nascimento())
                .setProfissao(c.profissao()).setDtUpdate(c.dtUpdate()).build();
    }

    /** The Avro row of a flight row. */
    public static Flight flight(final FlightRow f) {
        return Flight.newBuilder().setId(f.id()).setCustomerId(f.customerId()).setAeroporto(f.aeroporto())
                .setLinhaAerea(f.linhaAerea()).setCodIata(f.codIata()).setDtUpdate(f.dtUpdate()).build();
    }

    /** The Avro document of a vehicle. */
    public static Vehicle vehicle(final VehicleDoc v) {
        return Vehicle.newBuilder().setId(v.id()).setCustomerId(v.customerId()).setAnoModelo(v.anoModelo())
                .setModelo(v.modelo()).setFabricante(v.fabricante()).setAnoVeiculo(v.anoVeiculo())
                .setCategoria(v.categoria()).setDtUpdate(v.dtUpdate()).build();
    }

    private SourceInfo pg(final String table) {
        pgLsn += 8 + random.nextInt(200);
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("app").setTable(table)
                .setCommitTsMs(clockMs).setPosition(lsnText(pgLsn)).setSequence(pgLsn).setSnapshot(false)
                .setTxId(null).setEpoch(PG_EPOCH).setCommitSequence(pgLsn + 4).setChangeOrder(changeOrder(pgLsn))
                .build();
    }

    private SourceInfo mongo() {
        final long ts = clockMs + MONGO_CLOCK_SKEW_MS;
        final long sequence = clusterTime(ts, ++mongoIncrement);
        return SourceInfo.newBuilder().setConnector("mongodb").setDb("rtdw").setTable("vehicle")
                .setCommitTsMs(ts).setPosition(Long.toHexString(sequence)).setSequence(sequence)
                .setSnapshot(false).setTxId(null).setEpoch(MONGO_EPOCH).setCommitSequence(sequence)
                .setChangeOrder(resumeToken(sequence, 0)).build();
    }

    /** An LSN as PostgreSQL spells it ({@code 0/16B3748}). */
    static String lsnText(final long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xffffffffL).toUpperCase();
    }

    /** A PostgreSQL change's {@code change_order}: its LSN as 16 upper-case hex digits. */
    static String changeOrder(final long lsn) {
        return String.format("%016X", lsn);
    }

    /** A MongoDB cluster time at {@code ms} (seconds {@code << 32 |} increment). */
    static long clusterTime(final long ms, final int increment) {
        return ((ms / 1000) << 32) | (increment & 0xffffffffL);
    }

    /**
     * A resume token for event {@code index} of the commit at {@code clusterTime}, in upper-case hex: {@code 82}, the
     * cluster time, the index; bytewise (and text) order is event order, as in MongoDB's key-string tokens.
     */
    static String resumeToken(final long clusterTime, final int index) {
        return String.format("82%016X%08X", clusterTime, index);
    }
}
