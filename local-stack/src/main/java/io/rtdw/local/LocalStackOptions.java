package io.rtdw.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The launcher's command line. Every port the stack binds is an option, checked free before anything starts.
 *
 * @param rate          workload changes per second
 * @param duration      how long to run after the stack is up; {@link Duration#ZERO} = until Ctrl-C
 * @param seed          workload seed (same seed, same changes)
 * @param dataDir       everything the run writes: PostgreSQL, bucket, Pinot, logs
 * @param keepData      keep every component's data at exit, and resume a kept run's data at start (without it a
 *                      previous run's data is deleted at start; the bucket and the logs are kept at exit)
 * @param progressEvery interval of the progress line
 * @param ports         port option name -> port
 */
public record LocalStackOptions(double rate, Duration duration, long seed, Path dataDir, boolean keepData,
                                Duration progressEvery, Map<String, Integer> ports) {

    /** Port options and their defaults, in the order they are checked and printed. */
    public static final Map<String, Integer> DEFAULT_PORTS = defaultPorts();

    private static Map<String, Integer> defaultPorts() {
        final Map<String, Integer> p = new LinkedHashMap<>();
        p.put("--pg-port", 55432);
        p.put("--s3-port", 9010);
        p.put("--registry-port", 8090);
        p.put("--pinot-controller-port", 9000);
        p.put("--pinot-broker-port", 8099);
        p.put("--pinot-zk-port", 2123);
        p.put("--pinot-server-port", 7098);
        p.put("--cdc-http-port", 8081);
        p.put("--streams-http-port", 8082);
        p.put("--lake-http-port", 8083);
        p.put("--ops-port", 8084);
        p.put("--reconcile-port", 8085);
        p.put("--prometheus-port", 9090);
        p.put("--kafka-controller-port", 19190);
        p.put("--kafka-port", 19192);
        p.put("--kafka-metrics-port", 19290);
        return java.util.Collections.unmodifiableMap(p);
    }

    /** What each port is for, for error messages. */
    static final Map<String, String> PORT_ROLES = Map.ofEntries(
            Map.entry("--pg-port", "PostgreSQL"),
            Map.entry("--s3-port", "S3 (s3proxy)"),
            Map.entry("--registry-port", "Apicurio Registry"),
            Map.entry("--pinot-controller-port", "Pinot controller (UI and REST)"),
            Map.entry("--pinot-broker-port", "Pinot broker (SQL queries)"),
            Map.entry("--pinot-zk-port", "Pinot's ZooKeeper"),
            Map.entry("--pinot-server-port", "Pinot server"),
            Map.entry("--cdc-http-port", "CDC /metrics and /health"),
            Map.entry("--streams-http-port", "streams app /metrics and /health"),
            Map.entry("--lake-http-port", "lake sink /metrics and /health"),
            Map.entry("--ops-port", "the launcher's /metrics and /health"),
            Map.entry("--reconcile-port", "rtdw reconcile's /metrics (it runs every 30 s)"),
            Map.entry("--prometheus-port", "Prometheus and the health page"),
            Map.entry("--kafka-controller-port", "Kafka's KRaft controller"),
            Map.entry("--kafka-port", "Kafka brokers (this port and the next 2)"),
            Map.entry("--kafka-metrics-port", "Kafka JMX exporters (this port and the next 3)"));

    /** Options that name the first of several consecutive ports, and how many. */
    static final Map<String, Integer> PORT_SPANS = Map.of("--kafka-port", KafkaNodes.BROKERS,
            "--kafka-metrics-port", KafkaNodes.BROKERS + 1);

    /** How many consecutive ports an option takes (1 for most). */
    static int span(final String option) {
        return PORT_SPANS.getOrDefault(option, 1);
    }

    /** The help text, shared with the {@code rtdw} script (cli module, help/up.txt). */
    public static final String HELP = io.rtdw.cli.Help.text("up");

    /** Parses the arguments; throws {@link IllegalArgumentException} with what to fix. */
    public static LocalStackOptions parse(final String... args) {
        double rate = 20;
        Duration duration = Duration.ZERO;
        long seed = 42;
        Path dataDir = Path.of(".rtdw", "local-stack");
        boolean keepData = false;
        Duration progress = Duration.ofSeconds(5);
        final Map<String, Integer> ports = new LinkedHashMap<>(DEFAULT_PORTS);
        for (int i = 0; i < args.length; i++) {
            final String option = args[i];
            switch (option) {
                case "--rate" -> {
                    rate = number(option, value(args, ++i, option));
                    if (!(rate > 0)) {
                        throw new IllegalArgumentException("--rate must be > 0 changes per second, was " + args[i]);
                    }
                }
                case "--duration" -> duration = duration(value(args, ++i, option));
                case "--seed" -> seed = (long) integer(option, value(args, ++i, option), Long.MIN_VALUE, Long.MAX_VALUE);
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, option));
                case "--keep-data" -> keepData = true;
                case "--progress" -> progress = Duration.ofSeconds(
                        integer(option, value(args, ++i, option), 1, 3600));
                default -> {
                    if (!ports.containsKey(option)) {
                        throw new IllegalArgumentException("unknown option " + option + " (see --help)");
                    }
                    ports.put(option, (int) integer(option, value(args, ++i, option), 1, 65535));
                }
            }
        }
        final Map<Integer, String> seen = new LinkedHashMap<>();
        for (final Map.Entry<String, Integer> e : ports.entrySet()) {
            if (e.getValue() + span(e.getKey()) - 1 > 65535) {
                throw new IllegalArgumentException(e.getKey() + " takes " + span(e.getKey()) + " ports from "
                        + e.getValue() + ": beyond 65535");
            }
            for (int i = 0; i < span(e.getKey()); i++) {
                final String other = seen.putIfAbsent(e.getValue() + i, e.getKey());
                if (other != null) {
                    throw new IllegalArgumentException(other + " and " + e.getKey() + " both need port "
                            + (e.getValue() + i));
                }
            }
        }
        return new LocalStackOptions(rate, duration, seed, dataDir, keepData, progress,
                java.util.Collections.unmodifiableMap(ports));
    }

    /** A port option's value. */
    public int port(final String option) {
        final Integer port = ports.get(option);
        if (port == null) {
            throw new IllegalArgumentException("no port option " + option);
        }
        return port;
    }

    /**
     * The ports that are taken now, as messages naming the option that moves each.
     * Binding on all interfaces is what the components do, so that is what is tried.
     */
    public List<String> portsInUse() {
        final List<String> taken = new ArrayList<>();
        for (final String option : DEFAULT_PORTS.keySet()) {
            for (int i = 0; i < span(option); i++) {
                final int port = port(option) + i;
                try (ServerSocket socket = new ServerSocket()) {
                    socket.setReuseAddress(true);
                    socket.bind(new InetSocketAddress(port));
                } catch (final IOException e) {
                    taken.add("port " + port + " (" + PORT_ROLES.get(option) + ") is in use: free it or choose another "
                            + "with " + option + " <port>");
                }
            }
        }
        return taken;
    }

    static Duration duration(final String raw) {
        final String v = raw.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            final long n = Long.parseLong(v.replaceAll("[smh]$", ""));
            if (n < 0) {
                throw new NumberFormatException();
            }
            return switch (v.charAt(v.length() - 1)) {
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        } catch (final NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("--duration must be like 90, 90s, 5m or 1h (0 = until Ctrl-C), was '"
                    + raw + "'");
        }
    }

    private static String value(final String[] args, final int i, final String option) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value (see --help)");
        }
        return args[i];
    }

    private static double number(final String option, final String raw) {
        try {
            return Double.parseDouble(raw);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, was '" + raw + "'");
        }
    }

    private static long integer(final String option, final String raw, final long min, final long max) {
        final long n;
        try {
            n = Long.parseLong(raw.trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be an integer, was '" + raw + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " must be in " + min + ".." + max + ", was " + n);
        }
        return n;
    }
}
