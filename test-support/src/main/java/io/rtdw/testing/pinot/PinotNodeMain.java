package io.rtdw.testing.pinot;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Main class of the Pinot child JVM started by {@code io.rtdw.testing.pinot.PinotLauncher}: ZooKeeper, controller,
 * broker and server of Pinot 0.11 in one process, on ports given on the command line.
 *
 * <p>Pinot's own {@code QuickStart -type EMPTY} does the same but hard-codes its ports (2123, 9000, 8000, 7000
 * ...), so two of them, or one beside another program on those ports, cannot run on one machine. This class
 * runs Pinot's admin commands one after the other in this JVM instead; it calls them reflectively so that it
 * compiles without Pinot on our class path and depends on nothing but Pinot's own jars at run time.
 *
 * <p>Arguments: {@code --data-dir DIR --zk-port N --controller-port N --broker-port N --server-port N
 * --server-admin-port N --server-grpc-port N --multistage-ports N,N,N [--cluster NAME]
 * [--exit-on-stdin-eof true]}.
 */
public final class PinotNodeMain {

    private PinotNodeMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> opts = parse(args);
        final String dataDir = required(opts, "data-dir");
        final String cluster = opts.getOrDefault("cluster", "rtdw");
        final String zk = "localhost:" + required(opts, "zk-port");
        final String[] multistage = required(opts, "multistage-ports").split(",");
        // PinotAdministrator.main calls System.exit only when this is true: we run several commands.
        System.setProperty("pinot.admin.system.exit", "false");
        if (Boolean.parseBoolean(opts.getOrDefault("exit-on-stdin-eof", "false"))) {
            exitWhenParentDies();
        }
        admin("StartZookeeper", "-zkPort", required(opts, "zk-port"), "-dataDir", dataDir + "/zk");
        admin("StartController", "-zkAddress", zk, "-clusterName", cluster, "-controllerHost", "localhost",
                "-controllerPort", required(opts, "controller-port"), "-dataDir", dataDir + "/controller");
        admin("StartBroker", "-zkAddress", zk, "-clusterName", cluster, "-brokerHost", "localhost",
                "-brokerPort", required(opts, "broker-port"), "-brokerMultiStageRunnerPort", multistage[0]);
        admin("StartServer", "-zkAddress", zk, "-clusterName", cluster, "-serverHost", "localhost",
                "-serverPort", required(opts, "server-port"), "-serverAdminPort", required(opts, "server-admin-port"),
                "-serverGrpcPort", required(opts, "server-grpc-port"),
                "-serverMultiStageServerPort", multistage[1], "-serverMultiStageRunnerPort", multistage[2],
                "-dataDir", dataDir + "/server/data", "-segmentDir", dataDir + "/server/segments");
        System.out.println("RTDW-PINOT-NODE-STARTED");
        // Pinot's services run on their own threads; this one only keeps the JVM's main alive until killed.
        Thread.currentThread().join();
    }

    /**
     * The launcher holds the write end of our stdin: when its JVM dies, even by kill -9, stdin reaches EOF and
     * this node halts instead of living on as an orphan holding ports.
     */
    private static void exitWhenParentDies() {
        final Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // nothing is ever sent; only EOF matters
                }
            } catch (final java.io.IOException e) {
                // treated like EOF
            }
            System.out.println("RTDW-PINOT-NODE parent gone, halting");
            Runtime.getRuntime().halt(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static void admin(final String... command) throws Exception {
        final Class<?> administrator = Class.forName("org.apache.pinot.tools.admin.PinotAdministrator");
        final Method main = administrator.getMethod("main", String[].class);
        System.out.println("RTDW-PINOT-NODE " + Arrays.toString(command));
        main.invoke(null, (Object) command);
    }

    private static Map<String, String> parse(final String[] args) {
        final Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got " + Arrays.toString(args));
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    private static String required(final Map<String, String> opts, final String name) {
        final String value = opts.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
