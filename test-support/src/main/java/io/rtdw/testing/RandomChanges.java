package io.rtdw.testing;

import io.rtdw.catalog.SourceChange;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.testing.WorkloadGenerator.Change;
import io.rtdw.testing.WorkloadGenerator.CustomerRow;
import io.rtdw.testing.WorkloadGenerator.FlightRow;
import io.rtdw.testing.WorkloadGenerator.Kind;
import io.rtdw.testing.WorkloadGenerator.VehicleDoc;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Reproducible random CDC records of the three tables, as the real capture puts them on the source topics, and the
 * source they come from ({@link #model()}).
 *
 * <p>What it models is the source: two databases (PostgreSQL for {@code customers} and {@code flight}, MongoDB for
 * {@code vehicle}) written by concurrent transactions, and their capture. The {@link WorkloadGenerator} decides the
 * row changes (inserts, updates of any column, deletes, children moving between customers, orphans, customers
 * deleted and re-created with the same id, {@code dt_update} going backwards); this class groups them into
 * transactions, commits them, and emits what the capture emits:
 * <ul>
 *   <li><b>Transactions</b> of one to several changes. PostgreSQL: every change gets its own LSN when it is written
 *   ({@code sequence}, and {@code change_order} as 16 hex digits), all share the commit record's end LSN
 *   ({@code commit_sequence}), the commit time and the transaction id. MongoDB: every event of a multi-document
 *   transaction has the commit's cluster time as {@code sequence} and {@code commit_sequence}, and an increasing
 *   resume token as {@code change_order}. A transaction may change the same row twice (or delete and re-insert
 *   it).</li>
 *   <li><b>Interleaving</b>: up to three transactions per database are open at once; records appear in commit
 *   order, so a transaction that began first and commits last has change LSNs below those of transactions emitted
 *   before it. Two open transactions never touch the same row (the row lock): a change of a row an open transaction
 *   holds joins that transaction.</li>
 *   <li><b>Snapshot with a transaction open</b>: the initial rows are committed before the capture starts and reach
 *   the topics only as snapshot reads ({@code op=READ}, {@code snapshot=true}) at the snapshot's point
 *   ({@code sequence} = {@code commit_sequence} = the point, {@code change_order} empty, commit time = read time).
 *   A PostgreSQL transaction that updated snapshotted rows is open while the snapshot runs: its changes carry LSNs
 *   below the point and commit after it.</li>
 *   <li><b>Replays</b>: now and then the capture of one database "restarts" and re-sends a suffix of what it sent
 *   (same records, same positions), possibly starting inside a transaction.</li>
 *   <li><b>Customer ids 0 and negative</b>: such customers are created, updated and deleted, and children move to
 *   them or to such ids without a customer.</li>
 *   <li><b>Epoch change</b> ({@link #newEpoch()}): PostgreSQL moves to another cluster (a new {@code epoch}, LSNs
 *   start lower) and the capture re-snapshots every PostgreSQL row, again with a transaction open.</li>
 * </ul>
 * The expected warehouse is the {@link Oracle} of {@link #model()}: the source after every commit emitted so far,
 * written transaction by transaction in commit order. It is never computed by replaying the emitted records with a
 * position rule, so a topology that orders changes wrongly disagrees with it.
 *
 * <p>Same seed, same records. Not thread-safe.
 */
public final class RandomChanges {

    private static final long MONGO_CLOCK_SKEW_MS = CdcEnvelopes.MONGO_CLOCK_SKEW_MS;
    private static final int MAX_OPEN = 3;
    private static final int[] ODD_CUSTOMER_IDS = {0, -1, -7, -42};

    private enum Db { POSTGRES, MONGODB }

    /** One open transaction: its changes and, for PostgreSQL, the LSN each was written at. */
    private static final class Tx {
        private final long id;
        private final int target;
        private final List<Change> changes = new ArrayList<>();
        private final List<Long> lsns = new ArrayList<>();
        private final Set<String> rows = new HashSet<>();

        Tx(final long id, final int target) {
            this.id = id;
            this.target = target;
        }
    }

    /** One database and its capture: epoch, position counter, open transactions, what the capture sent. */
    private static final class Capture {
        private final Db db;
        private String epoch;
        private long position;
        private long nextTxId = 500;
        private final List<Tx> open = new ArrayList<>();
        private final List<SourceChange> sent = new ArrayList<>();
        private int epochStart;

        Capture(final Db db, final String epoch, final long position) {
            this.db = db;
            this.epoch = epoch;
            this.position = position;
        }
    }

    private final WorkloadGenerator generator;
    private final CdcEnvelopes envelopes;
    private final Random random;
    private final SourceModel model = new SourceModel();
    private final Capture postgres;
    private final Capture mongo;
    private final List<SourceChange> out = new ArrayList<>();
    private long clockMs;
    private int mongoIncrement;
    private boolean capturing;
    private boolean epochRequested;
    private int epochs = 1;

    /**
     * @param seed             makes the records reproducible
     * @param initialCustomers customers loaded before the capture starts (with 1.5 flights and 1 vehicle per
     *                         customer); more are created, deleted and re-created later
     * @param startMs          PostgreSQL's clock at the first commit (MongoDB's runs 7 s behind)
     */
    public RandomChanges(final long seed, final int initialCustomers, final long startMs) {
        this.generator = new WorkloadGenerator(new WorkloadGenerator.Options(seed, initialCustomers,
                initialCustomers * 3 / 2, initialCustomers, 0.1, true).withBusinessTimeJitter(Duration.ofHours(1)));
        this.envelopes = new CdcEnvelopes(seed, startMs, false);
        this.random = new Random(seed * 31 + 7);
        this.clockMs = startMs;
        this.postgres = new Capture(Db.POSTGRES, "pg:7301" + Math.floorMod(seed, 1000) + ":1", 0x1_6B37_48L);
        this.mongo = new Capture(Db.MONGODB, "mongodb:rs-" + Math.floorMod(seed, 1000), 0);
    }

    /**
     * The next records, at least {@code n}: whole commits (never part of a transaction), so that {@link #model()}
     * is the source after exactly the commits returned so far. The first call returns the snapshot.
     */
    public List<SourceChange> next(final int n) {
        while (out.size() < n) {
            step();
        }
        return drain();
    }

    /**
     * Commits every open transaction (the sources go quiet) and returns their records: afterwards {@link #model()}
     * equals the {@link #generator()}'s state.
     */
    public List<SourceChange> commitOpen() {
        if (!capturing) {
            startCapture();
        }
        commitAll(postgres);
        commitAll(mongo);
        return drain();
    }

    private List<SourceChange> drain() {
        final List<SourceChange> batch = new ArrayList<>(out);
        out.clear();
        return batch;
    }

    /**
     * Moves PostgreSQL to a new epoch before the next record: open transactions commit, the database continues on
     * another cluster with lower LSNs, and the capture re-snapshots every PostgreSQL row while a transaction is open.
     */
    public void newEpoch() {
        epochRequested = true;
    }

    /** The source: every table after every commit returned by {@link #next(int)} so far (open ones excluded). */
    public SourceModel model() {
        return model;
    }

    /**
     * The generator behind the changes. Its state includes what open transactions wrote; it equals the
     * {@link #model()} once no transaction is open.
     */
    public WorkloadGenerator generator() {
        return generator;
    }

    private void step() {
        if (!capturing) {
            startCapture();
            return;
        }
        if (epochRequested) {
            epochRequested = false;
            changeEpoch();
            return;
        }
        clockMs += 1 + random.nextInt(5);
        final int roll = random.nextInt(100);
        if (roll < 2) {
            replay(random.nextBoolean() ? postgres : mongo);
        } else if (roll < 5) {
            oddCustomerId();
        } else if (roll < 12) {
            final List<Tx> all = new ArrayList<>(postgres.open);
            all.addAll(mongo.open);
            if (!all.isEmpty()) {
                final Tx tx = all.get(random.nextInt(all.size()));
                commit(postgres.open.contains(tx) ? postgres : mongo, tx);
            }
        } else {
            write(generator.next(), true);
        }
    }

    /** Initial load (committed, not captured), a transaction left open, the snapshot, then streaming. */
    private void startCapture() {
        final WorkloadGenerator.Options o = generator.options();
        for (int i = o.initialCustomers() + o.initialFlights() + o.initialVehicles(); i > 0; i--) {
            write(generator.next(), false);
        }
        commitAll(postgres);
        commitAll(mongo);
        openDuringSnapshot(postgres);
        openDuringSnapshot(mongo);
        snapshot(postgres);
        snapshot(mongo);
        capturing = true;
    }

    private void changeEpoch() {
        commitAll(postgres);
        epochs++;
        postgres.epoch = "pg:9902" + epochs + ":1";
        postgres.position = 0x2000 + random.nextInt(0x1000); // a restored or migrated cluster: LSNs start lower
        postgres.epochStart = postgres.sent.size();
        openDuringSnapshot(postgres);
        snapshot(postgres);
    }

    /** Begins a transaction that changes rows the snapshot is about to read, and leaves it open. */
    private void openDuringSnapshot(final Capture capture) {
        final Tx tx = begin(capture, 4 + random.nextInt(4));
        if (capture.db == Db.POSTGRES) {
            if (!generator.customers().isEmpty()) {
                add(capture, tx, generator.upsert(touched(pickValue(generator.customers()))));
            }
            if (!generator.flights().isEmpty()) {
                final FlightRow f = pickValue(generator.flights());
                add(capture, tx, generator.upsert(new FlightRow(f.id(), someCustomer(), f.aeroporto(), f.linhaAerea(),
                        f.codIata(), f.dtUpdate())));
            }
        } else if (!generator.vehicles().isEmpty()) {
            add(capture, tx, generator.upsert(touched(pickValue(generator.vehicles()))));
        }
    }

    /** The capture reads every row of its tables at the current point. */
    private void snapshot(final Capture capture) {
        final long point = capture.db == Db.POSTGRES ? advanceLsn(capture) : clusterTime();
        if (capture.db == Db.POSTGRES) {
            model.customers().values().forEach(r -> emit(capture, CdcEnvelopes.read(r.row(),
                    snapshotSource(capture, "public.customers", point))));
            model.flights().values().forEach(r -> emit(capture, CdcEnvelopes.read(r.row(),
                    snapshotSource(capture, "public.flight", point))));
            model.snapshotRead(SourceChange.Table.CUSTOMERS, clockMs);
            model.snapshotRead(SourceChange.Table.FLIGHT, clockMs);
        } else {
            model.vehicles().values().forEach(r -> emit(capture, CdcEnvelopes.read(r.row(),
                    snapshotSource(capture, "vehicle", point))));
            model.snapshotRead(SourceChange.Table.VEHICLE, clockMs + MONGO_CLOCK_SKEW_MS);
        }
    }

    /** A capture restart: the records sent since a recent point of the current epoch are sent again. */
    private void replay(final Capture capture) {
        final int size = capture.sent.size();
        if (size == capture.epochStart) {
            return;
        }
        final int from = Math.max(capture.epochStart, size - 1 - random.nextInt(Math.min(40, size)));
        final List<SourceChange> suffix = new ArrayList<>(capture.sent.subList(from, size));
        suffix.forEach(change -> emit(capture, change));
    }

    /** Customers with id 0 or below, and children moving to such ids (with or without a customer). */
    private void oddCustomerId() {
        final int id = ODD_CUSTOMER_IDS[random.nextInt(ODD_CUSTOMER_IDS.length)];
        final int roll = random.nextInt(4);
        if (roll == 0) {
            final CustomerRow old = generator.customers().get(id);
            write(old != null && random.nextInt(3) == 0 ? generator.deleteCustomer(id)
                    : generator.upsert(old != null ? touched(old) : new CustomerRow(id, "Cliente " + id, "F", null,
                    null, "c" + Math.abs(id) + "@example.com", null, LocalDate.of(1980, 1, 1), "Analista",
                    LocalDateTime.of(2024, 1, 1, 8, 0).plusSeconds(clockMs % 100_000))), true);
        } else if (roll < 3 && !generator.flights().isEmpty()) {
            final FlightRow f = pickValue(generator.flights());
            write(generator.upsert(new FlightRow(f.id(), id, f.aeroporto(), f.linhaAerea(), f.codIata(), f.dtUpdate())),
                    true);
        } else if (!generator.vehicles().isEmpty()) {
            final VehicleDoc v = pickValue(generator.vehicles());
            write(generator.upsert(new VehicleDoc(v.id(), id, v.anoModelo(), v.modelo(), v.fabricante(),
                    v.anoVeiculo(), v.categoria(), v.dtUpdate())), true);
        }
    }

    /**
     * Routes one change to a transaction of its database: the one that holds its row, else a new one or a random
     * open one. Sometimes the same transaction changes the row again. Commits the transaction when it is full.
     */
    private void write(final Change change, final boolean mayRepeat) {
        final Capture capture = isVehicle(change.kind()) ? mongo : postgres;
        Tx tx = capture.open.stream().filter(t -> t.rows.contains(rowOf(change))).findFirst().orElse(null);
        if (tx == null) {
            tx = capture.open.isEmpty() || capture.open.size() < MAX_OPEN && random.nextInt(3) == 0
                    ? begin(capture, random.nextInt(5) < 2 ? 1 : 2 + random.nextInt(6))
                    : capture.open.get(random.nextInt(capture.open.size()));
        }
        add(capture, tx, change);
        if (mayRepeat && random.nextInt(100) < 12) {
            changeAgain(capture, tx, change);
        }
        if (tx.changes.size() >= tx.target) {
            commit(capture, tx);
        }
    }

    /** {@code tx} changes the row of {@code change} again (a flight is deleted and re-inserted now and then). */
    private void changeAgain(final Capture capture, final Tx tx, final Change change) {
        switch (change.kind()) {
            case CUSTOMER_INSERT, CUSTOMER_UPDATE -> add(capture, tx, generator.upsert(touched(change.customer())));
            case FLIGHT_INSERT, FLIGHT_UPDATE -> {
                final FlightRow f = change.flight();
                if (random.nextInt(4) == 0) {
                    add(capture, tx, generator.deleteFlight(f.id()));
                }
                add(capture, tx, generator.upsert(new FlightRow(f.id(), f.customerId(), f.aeroporto(), f.linhaAerea(),
                        "R" + random.nextInt(100), f.dtUpdate())));
            }
            case VEHICLE_INSERT, VEHICLE_UPDATE, VEHICLE_REPLACE ->
                    add(capture, tx, generator.upsert(touched(change.vehicle())));
            default -> {
                // a deleted row: nothing to change again
            }
        }
    }

    private Tx begin(final Capture capture, final int target) {
        final Tx tx = new Tx(capture.nextTxId++, target);
        capture.open.add(tx);
        return tx;
    }

    private void add(final Capture capture, final Tx tx, final Change change) {
        tx.changes.add(change);
        tx.rows.add(rowOf(change));
        tx.lsns.add(capture.db == Db.POSTGRES ? advanceLsn(capture) : 0L);
    }

    private void commitAll(final Capture capture) {
        while (!capture.open.isEmpty()) {
            commit(capture, capture.open.get(0));
        }
    }

    /** Commits {@code tx}: the model takes its changes in order; the capture emits them when it is running. */
    private void commit(final Capture capture, final Tx tx) {
        capture.open.remove(tx);
        final long commitTs = capture.db == Db.POSTGRES ? clockMs : clockMs + MONGO_CLOCK_SKEW_MS;
        final long commit = capture.db == Db.POSTGRES ? advanceLsn(capture) : clusterTime();
        for (int i = 0; i < tx.changes.size(); i++) {
            final Change change = tx.changes.get(i);
            final SourceInfo.Builder source = SourceInfo.newBuilder().setCommitTsMs(commitTs).setSnapshot(false)
                    .setEpoch(capture.epoch).setCommitSequence(commit);
            if (capture.db == Db.POSTGRES) {
                final long lsn = tx.lsns.get(i);
                source.setConnector("postgresql").setDb("app")
                        .setTable(change.customer() != null ? "public.customers" : "public.flight")
                        .setPosition(CdcEnvelopes.lsnText(lsn)).setSequence(lsn).setTxId(String.valueOf(tx.id))
                        .setChangeOrder(CdcEnvelopes.changeOrder(lsn));
            } else {
                final String token = CdcEnvelopes.resumeToken(commit, i);
                source.setConnector("mongodb").setDb("rtdw").setTable("vehicle").setPosition(token)
                        .setSequence(commit).setTxId(tx.changes.size() > 1 ? String.valueOf(tx.id) : null)
                        .setChangeOrder(token);
            }
            final SourceChange record = envelopes.encode(change, source.build());
            model.commit(change, commitTs);
            if (capturing) {
                emit(capture, record);
            }
        }
    }

    private void emit(final Capture capture, final SourceChange record) {
        capture.sent.add(record);
        out.add(record);
    }

    private SourceInfo snapshotSource(final Capture capture, final String table, final long point) {
        final boolean pg = capture.db == Db.POSTGRES;
        return SourceInfo.newBuilder().setConnector(pg ? "postgresql" : "mongodb").setDb(pg ? "app" : "rtdw")
                .setTable(table).setCommitTsMs(pg ? clockMs : clockMs + MONGO_CLOCK_SKEW_MS)
                .setPosition(pg ? CdcEnvelopes.lsnText(point) : CdcEnvelopes.resumeToken(point, 0))
                .setSequence(point).setSnapshot(true)
                .setTxId(null).setEpoch(capture.epoch).setCommitSequence(point).setChangeOrder("").build();
    }

    private long advanceLsn(final Capture capture) {
        capture.position += 8 + random.nextInt(200);
        return capture.position;
    }

    private long clusterTime() {
        return CdcEnvelopes.clusterTime(clockMs + MONGO_CLOCK_SKEW_MS, ++mongoIncrement);
    }

    private static boolean isVehicle(final Kind kind) {
        return kind == Kind.VEHICLE_INSERT || kind == Kind.VEHICLE_UPDATE || kind == Kind.VEHICLE_REPLACE
                || kind == Kind.VEHICLE_DELETE;
    }

    private static String rowOf(final Change change) {
        if (change.customer() != null) {
            return "c" + change.customer().id();
        }
        if (change.flight() != null) {
            return "f" + change.flight().id();
        }
        return "v" + (change.vehicle() != null ? change.vehicle() : change.vehicleBefore()).id();
    }

    private int someCustomer() {
        return generator.customers().isEmpty() ? 1 : pickValue(generator.customers()).id();
    }

    private <T> T pickValue(final java.util.Map<Integer, T> rows) {
        final List<T> values = new ArrayList<>(rows.values());
        return values.get(random.nextInt(values.size()));
    }

    private CustomerRow touched(final CustomerRow c) {
        return new CustomerRow(c.id(), c.nome(), c.sexo(), "Rua Nova, " + random.nextInt(2000), c.telefone(),
                c.email(), c.foto(), c.nascimento(), c.profissao(), c.dtUpdate());
    }

    private VehicleDoc touched(final VehicleDoc v) {
        return new VehicleDoc(v.id(), v.customerId(), v.anoModelo(), v.modelo() + " R" + random.nextInt(10),
                v.fabricante(), v.anoVeiculo(), v.categoria(), v.dtUpdate());
    }
}
