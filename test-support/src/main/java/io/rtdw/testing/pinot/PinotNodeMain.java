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
 * [--exit-on-stdin-eof true] [--extra-config FILE]}.
 *
 * <p>{@code --extra-config} names a properties file of further Pinot settings, handed to the command whose
 * service reads them ({@code controller.*} to the controller, {@code pinot.broker.*} to the broker,
 * {@code pinot.server.*} to the server) as that command's config overrides, the same map Pinot's
 * {@code -configOverride} option fills in later releases (0.11's commands have the map but not the option).
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
        admin(Map.of(), "StartZookeeper", "-zkPort", required(opts, "zk-port"), "-dataDir", dataDir + "/zk");
        final Map<String, Map<String, Object>> extra = extraConfig(opts.get("extra-config"));
        admin(extra.get("controller."), "StartController", "-zkAddress", zk, "-clusterName", cluster, "-controllerHost", "localhost",
                "-controllerPort", required(opts, "controller-port"), "-dataDir", dataDir + "/controller");
        admin(extra.get("pinot.broker."), "StartBroker", "-zkAddress", zk, "-clusterName", cluster, "-brokerHost", "localhost",
                "-brokerPort", required(opts, "broker-port"), "-brokerMultiStageRunnerPort", multistage[0]);
        admin(extra.get("pinot.server."), "StartServer", "-zkAddress", zk, "-clusterName", cluster, "-serverHost", "localhost",
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

    /**
     * Runs one of Pinot's admin commands: without overrides through {@code PinotAdministrator.main}, with them
     * the way {@code PinotAdministrator} does it (picocli parses the options into the command object), plus
     * {@code setConfigOverrides} before {@code execute}.
     */
    private static void admin(final Map<String, Object> overrides, final String... command) throws Exception {
        System.out.println("RTDW-PINOT-NODE " + Arrays.toString(command) + " overrides " + overrides.keySet());
        if (overrides.isEmpty()) {
            final Class<?> administrator = Class.forName("org.apache.pinot.tools.admin.PinotAdministrator");
            final Method main = administrator.getMethod("main", String[].class);
            main.invoke(null, (Object) command);
            return;
        }
        final Class<?> commandClass = Class.forName("org.apache.pinot.tools.admin.command." + command[0] + "Command");
        final Object instance = commandClass.getConstructor().newInstance();
        final Class<?> picocli = Class.forName("picocli.CommandLine");
        final Object parser = picocli.getConstructor(Object.class).newInstance(instance);
        picocli.getMethod("parseArgs", String[].class)
                .invoke(parser, (Object) Arrays.copyOfRange(command, 1, command.length));
        commandClass.getMethod("setConfigOverrides", Map.class).invoke(instance, overrides);
        if (!(Boolean) commandClass.getMethod("execute").invoke(instance)) {
            throw new IllegalStateException(command[0] + " failed");
        }
    }

    /** The extra settings by service prefix ({@code controller.}, {@code pinot.broker.}, {@code pinot.server.}). */
    private static Map<String, Map<String, Object>> extraConfig(final String file) throws java.io.IOException {
        final Map<String, Map<String, Object>> byService = new HashMap<>();
        for (final String prefix : new String[] {"controller.", "pinot.broker.", "pinot.server."}) {
            byService.put(prefix, new HashMap<>());
        }
        if (file == null) {
            return byService;
        }
        final java.util.Properties props = new java.util.Properties();
        try (java.io.Reader in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(file))) {
            props.load(in);
        }
        for (final String key : props.stringPropertyNames()) {
            final Map<String, Object> target = byService.entrySet().stream()
                    .filter(e -> key.startsWith(e.getKey())).map(Map.Entry::getValue).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("extra config key " + key
                            + " belongs to none of " + byService.keySet()));
            target.put(key, props.getProperty(key));
        }
        return byService;
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
