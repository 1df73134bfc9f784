package io.rtdw.testing.pinot;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Command for the local stack: starts Pinot 0.11 through {@link PinotLauncher}, creates the
 * {@code unified_customer} schema and local table on the given Kafka, and runs until stopped (Ctrl-C / SIGTERM).
 */
public final class LocalPinot {

    static final String HELP = """
            rtdw local Pinot: Pinot 0.11 (ZooKeeper, controller, broker, server) in a child JVM, with the
            unified_customer REALTIME upsert table reading the output topic.

            Environment:
              KAFKA_BOOTSTRAP_SERVERS        required
              RTDW_TOPIC_PREFIX ...          topic names (TopicCatalog, default prefix rtdw)
              RTDW_REGISTRY_URL              Apicurio Registry v3 API the writers use: the decoder fetches
                                             writer schemas from it (empty: the schemas bundled in the plugin)
              RTDW_PINOT_DATA_DIR            default .rtdw/pinot (log: <dir>/pinot.log)
              RTDW_PINOT_CONTROLLER_PORT     default 9000
              RTDW_PINOT_BROKER_PORT         default 8099
              RTDW_PINOT_ZK_PORT             default 2123
              RTDW_PINOT_SERVER_PORT         default 7098
              RTDW_PINOT_HEAP                default 768m
              RTDW_PINOT_CLASSPATH_FILE      default pinot/target/pinot-runtime/pinot-classpath.txt
              RTDW_PINOT_PLUGIN_JAR          default pinot/target/rtdw-pinot-0.1.0-SNAPSHOT-plugin.jar
            Build first: mvn -pl pinot package
            """;

    private LocalPinot() {
    }

    public static void main(final String[] args) throws InterruptedException {
        if (args.length > 0) {
            System.out.print(HELP);
            System.exit(args[0].equals("--help") || args[0].equals("-h") ? 0 : 2);
        }
        final Map<String, String> env = System.getenv();
        final String bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS");
        if (bootstrap == null || bootstrap.isBlank()) {
            System.err.println("KAFKA_BOOTSTRAP_SERVERS is required (see --help)");
            System.exit(2);
        }
        final Path classpathFile = Path.of(env.getOrDefault("RTDW_PINOT_CLASSPATH_FILE",
                "pinot/target/pinot-runtime/pinot-classpath.txt"));
        final Path pluginJar = Path.of(env.getOrDefault("RTDW_PINOT_PLUGIN_JAR",
                "pinot/target/rtdw-pinot-0.1.0-SNAPSHOT-plugin.jar"));
        if (!Files.isRegularFile(classpathFile) || !Files.isRegularFile(pluginJar)) {
            System.err.println("missing " + classpathFile + " or " + pluginJar + ": run mvn -pl pinot package");
            System.exit(2);
        }
        final PinotLauncher pinot = PinotLauncher.builder().classpathFile(classpathFile).pluginJar(pluginJar)
                .dataDir(Path.of(env.getOrDefault("RTDW_PINOT_DATA_DIR", ".rtdw/pinot")))
                .heap(env.getOrDefault("RTDW_PINOT_HEAP", "768m"))
                .ports(port(env, "RTDW_PINOT_ZK_PORT", 2123), port(env, "RTDW_PINOT_CONTROLLER_PORT", 9000),
                        port(env, "RTDW_PINOT_BROKER_PORT", 8099), port(env, "RTDW_PINOT_SERVER_PORT", 7098))
                .build();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pinot.close();
            stopped.countDown();
        }, "stop-pinot"));
        pinot.start();
        pinot.createSchema(PinotTables.schema());
        createTableWhenTopicExists(pinot, PinotTables.localTable(TopicCatalog.fromEnv(env).unifiedCustomers().name(),
                bootstrap, env.getOrDefault(RegistrySerdes.URL.name(), "")));
        System.out.println("Pinot is up: controller " + pinot.controllerUrl() + " (UI), broker " + pinot.brokerUrl()
                + " (POST /query/sql); table unified_customer. Ctrl-C stops it.");
        stopped.await();
    }

    /**
     * Pinot's controller asks Kafka for the topic's partitions when the table is created, so creation fails
     * while the topic does not exist yet (a stack starting all at once): retry for up to two minutes.
     */
    private static void createTableWhenTopicExists(final PinotLauncher pinot, final String tableConfig)
            throws InterruptedException {
        final long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            try {
                if (!pinot.createTableIfAbsent(tableConfig)) {
                    System.out.println("table unified_customer exists (kept data directory); keeping it");
                }
                return;
            } catch (final IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                System.out.println("table not created yet (" + e.getMessage().lines().findFirst().orElse("") + "); retrying");
                Thread.sleep(2000);
            }
        }
    }

    private static int port(final Map<String, String> env, final String name, final int defaultValue) {
        final String raw = env.get(name);
        try {
            return raw == null || raw.isBlank() ? defaultValue : Integer.parseInt(raw.trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a port number, was '" + raw + "'", e);
        }
    }
}
