package io.rtdw.bench;

import io.rtdw.catalog.CustomerPartitioner;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Offers load to PostgreSQL fast enough to out-run the pipeline: several JDBC connections (one per thread), each
 * owning a disjoint share of the rows it updates (no lock waits between threads), the key of every change chosen
 * in constant time from an in-memory model of the existing ids (never a SELECT). The mix of issue 12, per change:
 * 30% customer update, 40% flight update, 12% flight insert, 8% flight delete, 10% flight moved to another
 * customer. Paced load commits one transaction per {@code max(1, rate / 200)} changes (200 transactions per
 * second at any rate); bursts commit {@code burstPerTransaction} changes per transaction.
 *
 * <p>{@link #bulkLoad()} inserts N customers and 5N flights (flight {@code f} belongs to customer
 * {@code 1 + (f - 1) / 5}) in two statements. One sentinel customer per partition of the CDC topics
 * ({@link CustomerPartitioner}), all updated in one transaction after a run, tells when everything committed before
 * it has gone through the pipeline: per-key order holds end to end, and every partition has one.
 */
public final class LoadWriter implements AutoCloseable {

    /** Ids of sentinel customers start here; the writer's own ids never get near it. */
    public static final int SENTINEL_BASE = 2_000_000_000;

    private static final String[] AIRPORTS = {"Guarulhos", "Congonhas", "Galeão", "Confins", "Brasília"};

    private final PgSource pg;
    private final String database;
    private final int customers;
    private final int burstPerTransaction;
    private final List<Worker> workers = new ArrayList<>();
    private final ExecutorService pool;
    private final Connection control;
    private final int[] sentinelIds;
    private final PreparedStatement sentinel;
    private long sentinels;

    /**
     * Connects {@code threads} writers and inserts the sentinels; {@link #bulkLoad()} adds the rows.
     *
     * @param partitions partitions of the CDC topics (one sentinel each)
     */
    public LoadWriter(final PgSource pg, final String database, final int customers, final int threads,
                      final int burstPerTransaction, final int partitions, final long seed) throws SQLException {
        this.pg = pg;
        this.database = database;
        this.customers = customers;
        this.burstPerTransaction = burstPerTransaction;
        final SplittableRandom seeds = new SplittableRandom(seed);
        for (int t = 0; t < threads; t++) {
            workers.add(new Worker(t, threads, seeds.split()));
        }
        pool = Executors.newFixedThreadPool(threads, r -> {
            final Thread th = new Thread(r, "load-writer");
            th.setDaemon(true);
            return th;
        });
        sentinelIds = new int[partitions];
        int id = SENTINEL_BASE;
        for (int p = 0; p < partitions; p++) {
            while (CustomerPartitioner.partition(id, partitions) != p) {
                id++;
            }
            sentinelIds[p] = id++;
        }
        control = pg.connect(database);
        control.setAutoCommit(false);
        try (Statement st = control.createStatement()) {
            for (final int s : sentinelIds) {
                st.execute("INSERT INTO customers (id, nome, profissao, dt_update) VALUES (" + s
                        + ", 'sentinel', 'sentinel-0', now()) ON CONFLICT (id) DO NOTHING");
            }
        }
        control.commit();
        sentinel = control.prepareStatement("UPDATE customers SET profissao = ? WHERE id >= " + SENTINEL_BASE);
    }

    /** Inserts the N customers and 5N flights the mix works on, in one transaction. */
    public void bulkLoad() throws SQLException {
        try (Statement st = control.createStatement()) {
            st.execute("INSERT INTO customers (id, nome, sexo, endereco, telefone, email, foto, nascimento, profissao,"
                    + " dt_update) SELECT g, 'Cliente ' || g, CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END,"
                    + " 'Rua das Flores, ' || g || ' - São Paulo', '+55 11 9' || (10000000 + g),"
                    + " 'cliente' || g || '@example.com', 'https://img.example.com/u/' || g || '.jpg',"
                    + " date '1950-01-01' + g % 18000, 'Analista', now() FROM generate_series(1, " + customers + ") g");
            st.execute("INSERT INTO flight (id, customer_id, aeroporto, linha_aerea, cod_iata, dt_update)"
                    + " SELECT g, 1 + (g - 1) / 5, (ARRAY['Guarulhos','Congonhas','Galeão','Confins','Brasília'])"
                    + "[1 + g % 5], 'LATAM', 'GRU', now() FROM generate_series(1, " + 5L * customers + ") g");
        }
        control.commit();
        for (int f = 1; f <= 5 * customers; f++) {
            workers.get((f - 1) % workers.size()).own(f);
        }
    }

    /** Writer threads (JDBC connections). */
    public int threads() {
        return workers.size();
    }

    /** Changes per transaction at {@code rate}: {@code max(1, rate / 200)}. */
    public static int perTransaction(final double rate) {
        return (int) Math.max(1, Math.round(rate / 200));
    }

    /** Applies {@code changes} as fast as the threads go, {@code burstPerTransaction} per commit; elapsed nanos. */
    public long burst(final long changes) throws Exception {
        final long start = System.nanoTime();
        final List<Future<Long>> done = new ArrayList<>();
        final int n = workers.size();
        for (int t = 0; t < n; t++) {
            final Worker w = workers.get(t);
            final long share = changes / n + (t < changes % n ? 1 : 0);
            done.add(pool.submit(() -> w.burst(share, burstPerTransaction)));
        }
        for (final Future<Long> f : done) {
            f.get();
        }
        return System.nanoTime() - start;
    }

    /**
     * Offers {@code rate} changes per second for {@code seconds}, split evenly over the threads, one transaction of
     * {@link #perTransaction} changes at a time on a fixed schedule (a thread that falls behind goes as fast as it
     * can). Returns the number of changes committed; divided by {@code seconds} it is the writer's achieved rate.
     */
    public long paced(final double rate, final double seconds) throws Exception {
        final int perTxn = perTransaction(rate);
        final long start = System.nanoTime();
        final long end = start + (long) (seconds * 1e9);
        final double interval = 1e9 * perTxn * workers.size() / rate; // between one thread's transactions
        final List<Future<Long>> done = new ArrayList<>();
        for (int t = 0; t < workers.size(); t++) {
            final Worker w = workers.get(t);
            // stagger the threads over one interval, so commits are spread evenly in time
            final long first = start + (long) (interval * t / workers.size());
            done.add(pool.submit(() -> w.paced(first, end, interval, perTxn)));
        }
        long applied = 0;
        for (final Future<Long> f : done) {
            applied += f.get();
        }
        return applied;
    }

    /** Commits an update of every sentinel customer in one transaction; returns the profession they now have. */
    public String sentinel() throws SQLException {
        final String tag = "sentinel-" + (++sentinels);
        sentinel.setString(1, tag);
        sentinel.executeUpdate();
        control.commit();
        return tag;
    }

    /** The sentinel customers, one per partition. */
    public int[] sentinelIds() {
        return sentinelIds.clone();
    }

    @Override
    public void close() throws Exception {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        for (final Worker w : workers) {
            w.close();
        }
        control.close();
    }

    /** One connection and the rows it owns: customers {@code c} with {@code (c - 1) % threads == t}, its flights. */
    private final class Worker implements AutoCloseable {
        private final int thread;
        private final int threads;
        private final SplittableRandom random;
        private int[] flights = new int[1024];
        private int size;
        private int nextFlightId;
        private long sequence;
        private Connection connection;
        private PreparedStatement updateCustomer;
        private PreparedStatement updateFlight;
        private PreparedStatement insertFlight;
        private PreparedStatement deleteFlight;
        private PreparedStatement moveFlight;

        Worker(final int thread, final int threads, final SplittableRandom random) {
            this.thread = thread;
            this.threads = threads;
            this.random = random;
        }

        void own(final int flightId) {
            if (size == flights.length) {
                flights = Arrays.copyOf(flights, size * 2);
            }
            flights[size++] = flightId;
        }

        private void connect() throws SQLException {
            if (connection != null) {
                return;
            }
            connection = pg.connect(database);
            connection.setAutoCommit(false);
            updateCustomer = connection.prepareStatement("UPDATE customers SET email = ?, dt_update = now() WHERE id = ?");
            updateFlight = connection.prepareStatement("UPDATE flight SET aeroporto = ?, dt_update = now() WHERE id = ?");
            insertFlight = connection.prepareStatement("INSERT INTO flight (id, customer_id, aeroporto, linha_aerea,"
                    + " cod_iata, dt_update) VALUES (?, ?, ?, 'LATAM', 'GRU', now())");
            deleteFlight = connection.prepareStatement("DELETE FROM flight WHERE id = ?");
            moveFlight = connection.prepareStatement("UPDATE flight SET customer_id = ?, dt_update = now() WHERE id = ?");
            // new flight ids: above the bulk load's, interleaved between threads so they never collide
            nextFlightId = 5 * customers + 1 + thread;
        }

        long burst(final long changes, final int perTxn) throws SQLException {
            connect();
            for (long i = 0; i < changes; i++) {
                change();
                if ((i + 1) % perTxn == 0 || i == changes - 1) {
                    connection.commit();
                }
            }
            return changes;
        }

        long paced(final long first, final long end, final double interval, final int perTxn) throws Exception {
            connect();
            long applied = 0;
            for (long k = 0; ; k++) {
                final long due = first + (long) (k * interval);
                if (due >= end) {
                    return applied;
                }
                final long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                for (int i = 0; i < perTxn; i++) {
                    change();
                }
                connection.commit();
                applied += perTxn;
            }
        }

        /** One change of the mix; the row is picked in O(1) from the model. */
        private void change() throws SQLException {
            final int r = random.nextInt(100);
            if (r < 30) {
                final int owned = (customers - thread + threads - 1) / threads;
                if (owned > 0) {
                    updateCustomer.setString(1, "c" + (++sequence) + "-" + thread + "@example.com");
                    updateCustomer.setInt(2, 1 + thread + threads * random.nextInt(owned));
                    updateCustomer.executeUpdate();
                    return;
                }
            }
            if (size == 0 || (r >= 70 && r < 82)) {
                final int id = nextFlightId;
                nextFlightId += threads;
                insertFlight.setInt(1, id);
                insertFlight.setInt(2, 1 + random.nextInt(customers));
                insertFlight.setString(3, AIRPORTS[id % AIRPORTS.length]);
                insertFlight.executeUpdate();
                own(id);
                return;
            }
            final int i = random.nextInt(size);
            final int id = flights[i];
            if (r < 70) {
                updateFlight.setString(1, AIRPORTS[random.nextInt(AIRPORTS.length)] + " " + (++sequence));
                updateFlight.setInt(2, id);
                updateFlight.executeUpdate();
            } else if (r < 90) {
                deleteFlight.setInt(1, id);
                deleteFlight.executeUpdate();
                flights[i] = flights[--size];
            } else {
                moveFlight.setInt(1, 1 + random.nextInt(customers));
                moveFlight.setInt(2, id);
                moveFlight.executeUpdate();
            }
        }

        @Override
        public void close() throws SQLException {
            if (connection != null) {
                connection.close();
            }
        }
    }
}
