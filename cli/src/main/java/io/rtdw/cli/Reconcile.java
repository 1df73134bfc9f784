package io.rtdw.cli;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cli.reconcile.ReconcileSettings;
import io.rtdw.cli.reconcile.Reconciler;
import io.rtdw.cli.reconcile.Result;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.serde.RegistrySerdes;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * {@code rtdw reconcile}: compares the sources' current state with the output topic, Pinot and the Parquet snapshot
 * (help: {@code help/reconcile.txt}).
 */
public final class Reconcile {

    static final String COMMAND = "reconcile";
    static final Duration DEFAULT_WAIT = Duration.ofMinutes(2);
    static final Duration WAIT_PAUSE = Duration.ofSeconds(2);

    private Reconcile() {
    }

    public static void main(final String[] args) {
        CommandLine.begin(COMMAND, args);
        System.exit(run(List.of(args), CommandLine.environment(), System.out, System.err, () -> false));
    }

    /** The parsed command line. */
    record Options(boolean vehiclesFromTopic, boolean noOutput, boolean noPinot, boolean noParquet, String pinot,
                   Path lake, Integer maxChildren, int maxLines, Duration timeout, Duration waitFor, Duration every,
                   Integer httpPort) {
    }

    /**
     * Runs the command with {@code environment}; returns the exit code. In {@code --every} mode it runs until
     * {@code stop} says so (never, from {@link #main}).
     */
    public static int run(final List<String> args, final Map<String, String> environment, final PrintStream out,
                   final PrintStream err, final BooleanSupplier stop) {
        final Options options;
        try {
            options = parse(args);
        } catch (final IllegalArgumentException e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        final Reconciler.Config config;
        try {
            config = config(options, environment);
        } catch (final IllegalArgumentException e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        final Reconciler reconciler = new Reconciler(config);
        if (options.every() != null) {
            return every(reconciler, options, out, err, stop);
        }
        if (options.waitFor() != null) {
            return waitForAgreement(reconciler, options, out);
        }
        final Result result = reconciler.run();
        result.print(out, options.maxLines());
        return result.agrees() ? Help.OK : Help.FAILED;
    }

    /**
     * {@code --wait}: run until one run agrees and the sources did not change since the run before it (two runs in
     * a row read the same source rows), or until the timeout; the last run is reported.
     */
    private static int waitForAgreement(final Reconciler reconciler, final Options options, final PrintStream out) {
        final long deadline = System.nanoTime() + options.waitFor().toNanos();
        Result previous = null;
        int runs = 0;
        while (true) {
            final Result result = reconciler.run();
            runs++;
            final boolean quiet = previous != null && previous.sameSources(result);
            if (result.agrees() && quiet) {
                out.println("waited: " + runs + " runs; the sources did not change between the last two");
                result.print(out, options.maxLines());
                return Help.OK;
            }
            if (System.nanoTime() + WAIT_PAUSE.toNanos() > deadline) {
                out.println("waited " + options.waitFor().toSeconds() + " s (" + runs + " runs) without agreement"
                        + (quiet || runs == 1 ? "" : " (the sources were still changing)") + "; the last run:");
                result.print(out, options.maxLines());
                return result.agrees() ? Help.OK : Help.FAILED;
            }
            previous = result;
            if (!result.agrees()) {
                try {
                    Thread.sleep(WAIT_PAUSE.toMillis());
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Help.FAILED;
                }
            }
        }
    }

    /** {@code --every D}: one run per period, each printed, the last one's figures on /metrics. */
    private static int every(final Reconciler reconciler, final Options options, final PrintStream out,
                             final PrintStream err, final BooleanSupplier stop) {
        final AtomicReference<Result> last = new AtomicReference<>();
        try (ServiceMetrics metrics = new ServiceMetrics("reconcile")) {
            metrics.gauge("agree", "1 when the last run found every compared copy equal to the sources, else 0",
                    () -> last.get() == null ? Double.NaN : last.get().agrees() ? 1 : 0);
            for (final String copy : Result.COPIES) {
                metrics.gauge("differences", "customers that differ from the sources in this copy (last run; -1: not"
                        + " compared or unreadable)", () -> last.get() == null ? Double.NaN
                        : last.get().differences(copy), "copy", copy);
                metrics.gauge("customers", "live customers in this copy (source: customer rows) in the last run;"
                        + " -1: not read", () -> last.get() == null ? Double.NaN : last.get().customers(copy),
                        "copy", copy);
            }
            metrics.gauge("customers", "live customers in this copy (source: customer rows) in the last run;"
                    + " -1: not read", () -> last.get() == null ? Double.NaN : last.get().sourceCustomers(),
                    "copy", "source");
            metrics.gauge("last_run_timestamp_seconds", "when the last run started, seconds since the epoch",
                    () -> last.get() == null ? Double.NaN : last.get().at().toEpochMilli() / 1000.0);
            metrics.gauge("duration_seconds", "how long the last run took",
                    () -> last.get() == null ? Double.NaN : last.get().duration().toNanos() / 1e9);
            final OpsServer ops = OpsServer.start("rtdw-reconcile", options.httpPort() == null ? -1
                    : options.httpPort(), new OpsServer.Health() {
                        @Override
                        public boolean live() {
                            return true;
                        }

                        @Override
                        public boolean ready() {
                            return last.get() != null;
                        }

                        @Override
                        public String detail() {
                            final Result r = last.get();
                            return r == null ? "first run not finished" : r.agrees() ? "agree" : "differ";
                        }
                    }, metrics);
            if (ops != null) {
                out.println("metrics on http://localhost:" + ops.port() + "/metrics");
            }
            try {
                while (!stop.getAsBoolean()) {
                    final long next = System.nanoTime() + options.every().toNanos();
                    final Result result = reconciler.run();
                    last.set(result);
                    result.print(out, options.maxLines());
                    out.flush();
                    while (!stop.getAsBoolean() && System.nanoTime() < next) {
                        Thread.sleep(Math.min(200, Math.max(1, (next - System.nanoTime()) / 1_000_000)));
                    }
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (ops != null) {
                    ops.close();
                }
            }
            return last.get() != null && last.get().agrees() ? Help.OK : Help.FAILED;
        } catch (final IOException e) {
            err.println("rtdw reconcile: cannot serve /metrics: " + e.getMessage());
            return Help.FAILED;
        }
    }

    static Options parse(final List<String> args) {
        boolean fromTopic = false;
        boolean noOutput = false;
        boolean noPinot = false;
        boolean noParquet = false;
        String pinot = null;
        Path lake = null;
        Integer maxChildren = null;
        int maxLines = 20;
        Duration timeout = Duration.ofSeconds(60);
        Duration wait = null;
        Duration every = null;
        Integer httpPort = null;
        for (int i = 0; i < args.size(); i++) {
            final String a = args.get(i);
            switch (a) {
                case "--vehicles-from-topic" -> fromTopic = true;
                case "--no-output" -> noOutput = true;
                case "--no-pinot" -> noPinot = true;
                case "--no-parquet" -> noParquet = true;
                case "--pinot" -> pinot = value(args, ++i, a);
                case "--lake" -> lake = Path.of(value(args, ++i, a));
                case "--max-children" -> maxChildren = positive(value(args, ++i, a), a);
                case "--max-lines" -> maxLines = positive(value(args, ++i, a), a);
                case "--timeout" -> timeout = duration(value(args, ++i, a), a);
                case "--wait" -> {
                    if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                        wait = duration(args.get(++i), a);
                    } else {
                        wait = DEFAULT_WAIT;
                    }
                }
                case "--every" -> every = duration(value(args, ++i, a), a);
                case "--http-port" -> {
                    final String v = value(args, ++i, a);
                    try {
                        httpPort = Integer.parseInt(v);
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException("--http-port needs a port number, not '" + v + "'");
                    }
                    if (httpPort < 0 || httpPort > 65535) {
                        throw new IllegalArgumentException("--http-port must be 0..65535, not " + httpPort);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        if (wait != null && every != null) {
            throw new IllegalArgumentException("--wait and --every do not go together");
        }
        if (httpPort != null && every == null) {
            throw new IllegalArgumentException("--http-port needs --every (a single run has nothing to serve)");
        }
        if (noPinot && pinot != null) {
            throw new IllegalArgumentException("--no-pinot and --pinot contradict each other");
        }
        if (noParquet && lake != null) {
            throw new IllegalArgumentException("--no-parquet and --lake contradict each other");
        }
        return new Options(fromTopic, noOutput, noPinot, noParquet, pinot, lake, maxChildren, maxLines, timeout, wait,
                every, httpPort);
    }

    static Reconciler.Config config(final Options o, final Map<String, String> environment) {
        final boolean needKafka = !o.noOutput() || o.vehiclesFromTopic();
        final Env env = Env.of(environment);
        final String host = env.get(ReconcileSettings.PG_HOST);
        final Integer port = env.get(ReconcileSettings.PG_PORT);
        final String database = env.get(ReconcileSettings.PG_DATABASE);
        final String user = env.get(ReconcileSettings.PG_USER);
        final String password = env.get(ReconcileSettings.PG_PASSWORD);
        final String mongo = env.get(ReconcileSettings.MONGODB_URI);
        final String pinotEnv = env.get(ReconcileSettings.PINOT_BROKER);
        final String pinotUser = env.get(ReconcileSettings.PINOT_USER);
        final String pinotPassword = env.get(ReconcileSettings.PINOT_PASSWORD);
        final Integer maxChildrenEnv = env.get(ReconcileSettings.MAX_CHILDREN);
        final TopicCatalog catalog = TopicCatalog.fromEnv(env);
        final KafkaClients kafka = needKafka ? KafkaClients.fromEnv(env) : null;
        final RegistrySerdes serdes = needKafka ? RegistrySerdes.fromEnv(env) : null;
        env.check(o.vehiclesFromTopic() || (mongo != null && !mongo.isBlank()),
                "MONGODB_URI is not set: give it, or --vehicles-from-topic to take the vehicle CDC topic's latest "
                        + "state as the vehicle source");
        env.validate();
        final Map<String, String> skipped = new HashMap<>();
        if (o.noOutput()) {
            skipped.put("output", "--no-output");
        }
        final String pinot = o.noPinot() ? null : o.pinot() != null ? o.pinot() : pinotEnv.isBlank() ? null : pinotEnv;
        if (o.noPinot()) {
            skipped.put("pinot", "--no-pinot");
        } else if (pinot == null) {
            skipped.put("pinot", "no broker given (--pinot URL or RTDW_PINOT_BROKER_URL)");
        }
        if (o.noParquet()) {
            skipped.put("parquet", "--no-parquet");
        } else if (o.lake() == null) {
            skipped.put("parquet", "no lake directory given (--lake DIR)");
        } else if (!Files.isDirectory(o.lake())) {
            throw new IllegalArgumentException("--lake " + o.lake() + " is not a directory");
        }
        return new Reconciler.Config("jdbc:postgresql://" + host + ":" + port + "/" + database, user, password,
                catalog.pgSchema(), mongo, o.vehiclesFromTopic(), kafka, serdes, catalog, pinot, pinotUser,
                pinotPassword, o.noParquet() ? null : o.lake(), o.maxChildren() != null ? o.maxChildren()
                : maxChildrenEnv, o.timeout(), skipped);
    }

    private static String value(final List<String> args, final int i, final String option) {
        if (i >= args.size() || args.get(i).startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static int positive(final String value, final String option) {
        try {
            final int n = Integer.parseInt(value);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a positive whole number, not '" + value + "'");
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or a plain number of seconds. */
    static Duration duration(final String value, final String option) {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)?").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " needs a duration such as 30s, 2m or 500ms, not '" + value
                    + "'");
        }
        final long n = Long.parseLong(m.group(1));
        final String unit = m.group(2) == null ? "s" : m.group(2);
        final Duration d = switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
        if (d.isZero()) {
            throw new IllegalArgumentException(option + " must be more than zero");
        }
        return d;
    }
}
