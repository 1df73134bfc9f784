package io.rtdw.dev.workload;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.dev.mongodb.DebeziumMongoEventWriter;
import io.rtdw.dev.mongodb.VehicleEventsToKafka;
import io.rtdw.runtime.Env;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.testing.WorkloadGenerator;
import io.rtdw.testing.WorkloadRunner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.util.concurrent.locks.ReentrantLock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command line of the workload generator: writes reproducible changes into PostgreSQL and MongoDB at a given rate.
 * Without MongoDB, vehicle changes can be produced to the vehicle topic as Debezium MongoDB events would be mapped.
 */
public final class WorkloadMain {

    static {
        io.rtdw.runtime.ServiceMain.useServiceLogging();
    }

    private WorkloadMain() {
    }

    static String usage() {
        return """
                Usage: java -cp <classpath> io.rtdw.dev.workload.WorkloadMain [options]

                Writes realistic, reproducible changes into the sources: customers and flights into PostgreSQL
                (JDBC), vehicles into MongoDB (reactive driver) or, without MongoDB, as Debezium-shaped MongoDB
                change events mapped and produced to the vehicle topic. Mix: inserts, updates, deletes, customers
                re-created with their old id, flights and vehicles moving between customers, orphans.

                Options:
                  --seed N               random seed; same seed, same changes [42]
                  --changes N            number of changes after the initial load [1000]
                  --rate R               changes per second, 0 = as fast as possible [50]
                  --initial-customers N  customers loaded first [100]
                  --initial-flights N    flights loaded first [150]
                  --initial-vehicles N   vehicles loaded first [120]
                  --orphans P            probability a new or moved child has no customer [0.1]
                  --vehicles MODE        mongodb | kafka | none [mongodb if MONGODB_URI is set, else none]
                  --no-pre-images        with --vehicles kafka: events carry no 'before' (a collection without
                                         pre-images; every vehicle update and delete then goes to every partition)
                  --init-schema          apply cdc-sources' init SQL (tables, replica identity, publication) first;
                                         with --vehicles mongodb also create 'vehicle' with pre-images
                  --count-file F         after every applied change, write how many were applied (initial rows
                                         included) to F; on SIGTERM the change in progress finishes first
                  --skip N               generate the first N changes without applying them (they were applied by
                                         an earlier run with the same seed and options: resume with the number
                                         its --count-file holds)
                  --help                 this text

                Environment: PG_HOST [localhost], PG_PORT [5432], PG_DATABASE [postgres], PG_USER [postgres],
                PG_PASSWORD, MONGODB_URI, KAFKA_BOOTSTRAP_SERVERS and RTDW_REGISTRY_URL (for --vehicles kafka),
                RTDW_TOPIC_PREFIX / RTDW_MONGO_DATABASE ... (topic catalog).
                The tables must be empty of the generated ids (it inserts explicit ids 1, 2, ...).
                """;
    }

    public static void main(final String[] args) throws Exception {
        long seed = 42;
        long changes = 1000;
        double rate = 50;
        int customers = 100;
        int flights = 150;
        int vehicles = 120;
        double orphans = 0.1;
        final Map<String, String> env = System.getenv();
        final String mongoUri = Env.read(env, e -> e.get(CdcConfig.MONGODB_URI));
        String vehicleMode = mongoUri.isBlank() ? "none" : "mongodb";
        boolean preImages = true;
        boolean initSchema = false;
        Path countFile = null;
        long skip = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--help", "-h" -> {
                        System.out.println(usage());
                        return;
                    }
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--changes" -> changes = Long.parseLong(args[++i]);
                    case "--rate" -> rate = Double.parseDouble(args[++i]);
                    case "--initial-customers" -> customers = Integer.parseInt(args[++i]);
                    case "--initial-flights" -> flights = Integer.parseInt(args[++i]);
                    case "--initial-vehicles" -> vehicles = Integer.parseInt(args[++i]);
                    case "--orphans" -> orphans = Double.parseDouble(args[++i]);
                    case "--vehicles" -> vehicleMode = args[++i].toLowerCase(Locale.ROOT);
                    case "--pre-images" -> preImages = true;
                    case "--no-pre-images" -> preImages = false;
                    case "--init-schema" -> initSchema = true;
                    case "--count-file" -> countFile = Path.of(args[++i]);
                    case "--skip" -> skip = Long.parseLong(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (!List.of("mongodb", "kafka", "none").contains(vehicleMode)) {
                throw new IllegalArgumentException("--vehicles must be mongodb, kafka or none");
            }
        } catch (final RuntimeException e) {
            System.err.println(e.getMessage() + "\n\n" + usage());
            System.exit(2);
            return;
        }
        // The CDC config reader gives the same PG_* defaults and validation as the capture process.
        final Map<String, String> pgEnv = new java.util.HashMap<>(env);
        pgEnv.put(CdcConfig.SOURCES.name(), "postgres");
        final CdcConfig pg = CdcConfig.fromEnv(pgEnv);
        final TopicCatalog catalog = pg.catalog();
        final WorkloadGenerator generator = new WorkloadGenerator(new WorkloadGenerator.Options(seed, customers,
                flights, "none".equals(vehicleMode) ? 0 : vehicles, orphans, !"none".equals(vehicleMode)));
        final List<WorkloadGenerator.Applier> appliers = new ArrayList<>();
        ChangeProducer producer = null;
        try {
            final Connection connection = PostgresPreflight.connect(pg);
            if (initSchema) {
                PostgresPreflight.applyInitScripts(connection);
            }
            appliers.add(new PostgresApplier(connection));
            if ("mongodb".equals(vehicleMode)) {
                if (mongoUri.isBlank()) {
                    throw new IllegalArgumentException("--vehicles mongodb needs " + CdcConfig.MONGODB_URI.name());
                }
                if (initSchema) {
                    MongoCapture.prepareCollection(mongoUri, catalog.mongoDb());
                }
                appliers.add(new MongoApplier(mongoUri, catalog.mongoDb()));
            } else if ("kafka".equals(vehicleMode)) {
                final ChangeProducer p = new ChangeProducer(pg.kafka(), "rtdw-workload", RegistrySerdes.fromEnv(env),
                        catalog);
                producer = p;
                appliers.add(new DebeziumEventApplier(new DebeziumMongoEventWriter(catalog.prefix(), catalog.mongoDb(),
                        "vehicle"), preImages, System::currentTimeMillis,
                        new VehicleEventsToKafka(new DebeziumMongoEventMapper(catalog), p)));
            }
            final long total = customers + flights + ("none".equals(vehicleMode) ? 0 : vehicles) + changes;
            for (long i = 0; i < skip; i++) {
                generator.next();
            }
            final List<WorkloadGenerator.Applier> applying = countFile == null ? appliers
                    : List.of(new CountingApplier(appliers, countFile, skip));
            System.out.printf("applying %d initial rows and %d changes (seed %d, %.0f/s, vehicles: %s)%s%n",
                    customers + flights + ("none".equals(vehicleMode) ? 0 : vehicles), changes, seed, rate, vehicleMode,
                    skip > 0 ? "; skipping the first " + skip + " (applied before)" : "");
            final double achieved = WorkloadRunner.run(generator, Math.max(0, total - skip), rate, applying);
            System.out.printf("done: %.1f changes/s; now %d customers, %d flights, %d vehicles%n", achieved,
                    generator.customers().size(), generator.flights().size(), generator.vehicles().size());
        } finally {
            for (final WorkloadGenerator.Applier applier : appliers) {
                applier.close();
            }
            if (producer != null) {
                producer.close();
            }
        }
    }

    /**
     * Applies each change to every applier, then records how many changes were applied in {@code file} (replaced
     * atomically). A JVM shutdown (SIGTERM) waits until the change in progress is applied and counted, and no change
     * starts after it: the count is exact after a SIGTERM, and at most one short after a SIGKILL.
     */
    static final class CountingApplier implements WorkloadGenerator.Applier {
        private final List<WorkloadGenerator.Applier> appliers;
        private final Path file;
        private final ReentrantLock lock = new ReentrantLock();
        private long applied;

        CountingApplier(final List<WorkloadGenerator.Applier> appliers, final Path file, final long alreadyApplied) {
            this.appliers = appliers;
            this.file = file;
            this.applied = alreadyApplied;
            Runtime.getRuntime().addShutdownHook(new Thread(lock::lock, "workload-count"));
        }

        @Override
        public void apply(final WorkloadGenerator.Change change) throws Exception {
            lock.lock();
            try {
                for (final WorkloadGenerator.Applier applier : appliers) {
                    applier.apply(change);
                }
                applied++;
                write(file, applied);
            } finally {
                lock.unlock();
            }
        }

        static void write(final Path file, final long count) {
            try {
                final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.writeString(tmp, count + "\n");
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }

        @Override
        public void close() {
            // the wrapped appliers are closed by main
        }
    }
}
