package io.rtdw.testing.pinot;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.Service;
import io.rtdw.serde.RegistrySerdes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Command for the local stack: starts Pinot 0.11 through {@link PinotLauncher}, creates the
 * {@code unified_customer} schema and local table on the given Kafka, and runs until stopped (Ctrl-C / SIGTERM).
 */
public final class LocalPinot {

    static final String HELP = """
            rtdw local Pinot: Pinot 0.11 (ZooKeeper, controller, broker, server) in a child JVM, with the
            unified_customer REALTIME upsert table reading the output topic.

            """ + Service.environmentHelp(LocalPinotSettings.SETTINGS) + """
              %s
                  optional here: the Apicurio Registry v3 API the writers use, from which the decoder fetches
                  writer schemas (unset: the schemas bundled in the plugin)
            Build first: mvn -pl pinot package
            """.formatted(RegistrySerdes.URL.name());

    private LocalPinot() {
    }

    public static void main(final String[] args) throws InterruptedException {
        if (args.length > 0) {
            System.out.print(HELP);
            System.exit(args[0].equals("--help") || args[0].equals("-h") ? 0 : 2);
        }
        final Env env = Env.of(System.getenv());
        final String bootstrap = env.get(LocalPinotSettings.BOOTSTRAP_SERVERS);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        final String registryUrl = env.isSet(RegistrySerdes.URL) ? env.get(RegistrySerdes.URL) : "";
        final Path classpathFile = Path.of(env.get(LocalPinotSettings.CLASSPATH_FILE));
        final Path pluginJar = Path.of(env.get(LocalPinotSettings.PLUGIN_JAR));
        final String dataDir = env.get(LocalPinotSettings.DATA_DIR);
        final String heap = env.get(LocalPinotSettings.HEAP);
        final Integer zk = env.get(LocalPinotSettings.ZK_PORT);
        final Integer controller = env.get(LocalPinotSettings.CONTROLLER_PORT);
        final Integer broker = env.get(LocalPinotSettings.BROKER_PORT);
        final Integer server = env.get(LocalPinotSettings.SERVER_PORT);
        try {
            env.validate();
        } catch (final ConfigException e) {
            System.err.println(e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        if (!Files.isRegularFile(classpathFile) || !Files.isRegularFile(pluginJar)) {
            System.err.println("missing " + classpathFile + " or " + pluginJar + ": run mvn -pl pinot package");
            System.exit(2);
        }
        final PinotLauncher pinot = PinotLauncher.builder().classpathFile(classpathFile).pluginJar(pluginJar)
                .dataDir(Path.of(dataDir)).heap(heap).ports(zk, controller, broker, server).build();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            pinot.close();
            stopped.countDown();
        }, "stop-pinot"));
        pinot.start();
        pinot.createSchema(PinotTables.schema());
        createTableWhenTopicExists(pinot, PinotTables.localTable(catalog.unifiedCustomers().name(), bootstrap,
                registryUrl));
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
}
