package io.rtdw.catalog;

import io.rtdw.runtime.ConfigException;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.util.List;
import java.util.Map;

/**
 * Command line: creates every catalog topic on a cluster, or checks that it exists as the catalog says.
 * Exit code 0 when all topics match, 1 on a mismatch, 2 on a usage or connection error.
 */
public final class CreateTopics {

    private static final String USAGE = """
            Usage: create-topics [--bootstrap HOST:PORT] [--timeout-ms N] [--help]

            Creates every topic of the rtdw topic catalog (CDC, output, dead letters) on the cluster,
            or checks an existing one: wrong partitions, replication factor or min.insync.replicas is an error.

            Options (environment variable in brackets):
              --bootstrap   Kafka bootstrap servers [KAFKA_BOOTSTRAP_SERVERS], default localhost:9092
              --timeout-ms  how long to wait for the cluster, default 30000

            The catalog comes from the environment: RTDW_TOPIC_PREFIX (rtdw), RTDW_PG_SCHEMA (public),
            RTDW_MONGO_DATABASE (rtdw), RTDW_TOPIC_PARTITIONS (6), RTDW_REPLICATION_FACTOR (3); KAFKA_<NAME>
            variables are Kafka client properties (KAFKA_SECURITY_PROTOCOL=SASL_SSL ...), as for every service.
            """;

    private CreateTopics() {
    }

    public static void main(final String[] args) throws InterruptedException {
        String bootstrap = null;
        long timeoutMs = 30_000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                case "--bootstrap" -> bootstrap = value(args, ++i);
                case "--timeout-ms" -> timeoutMs = Long.parseLong(value(args, ++i));
                default -> {
                    System.err.println("unknown option " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        final Env env = Env.of(System.getenv());
        final KafkaClients clients = KafkaClients.fromEnv(env);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        try {
            env.validate();
        } catch (final ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
        final Map<String, Object> admin = clients.admin();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap == null ? clients.bootstrapServers() : bootstrap);
        System.exit(run(admin, catalog.all(), timeoutMs));
    }

    /** Creates or checks {@code topics} on the cluster at {@code bootstrap}; returns the process exit code. */
    public static int run(final String bootstrap, final List<Topic<?, ?>> topics, final long timeoutMs)
            throws InterruptedException {
        return run(KafkaClients.of(bootstrap).admin(), topics, timeoutMs);
    }

    /** Creates or checks {@code topics} with an admin client of {@code adminConfig}; returns the exit code. */
    public static int run(final Map<String, Object> adminConfig, final List<Topic<?, ?>> topics, final long timeoutMs)
            throws InterruptedException {
        final Object bootstrap = adminConfig.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        final Map<String, Object> config = new java.util.HashMap<>(adminConfig);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        try (Admin admin = Admin.create(config)) {
            new TopicProvisioner(admin, timeoutMs).ensure(topics).forEach(System.out::println);
            return 0;
        } catch (final TopicProvisioner.TopicMismatchException e) {
            System.err.println(e.getMessage());
            return 1;
        } catch (final IllegalStateException e) {
            System.err.println("cannot provision topics on " + bootstrap + ": " + e.getMessage());
            return 2;
        }
    }

    private static String value(final String[] args, final int i) {
        if (i >= args.length) {
            System.err.println("missing value for " + args[i - 1]);
            System.exit(2);
        }
        return args[i];
    }
}
