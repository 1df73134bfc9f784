package io.rtdw.runtime;

import org.apache.logging.log4j.LogManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The lifecycle every service shares, so that each {@code main} is a few lines:
 * <ol>
 *   <li>{@code --help} prints {@link Service#help()}; any other argument is an error (exit 2);</li>
 *   <li>the configuration is read and validated, every problem reported at once (exit 2);</li>
 *   <li>the start-up line logs every variable read, secrets as {@code ***};</li>
 *   <li>the SIGTERM hook is in place <em>before</em> anything starts: a SIGTERM during start-up interrupts the
 *       start and closes whatever started, then the JVM exits 143;</li>
 *   <li>the ops server answers {@code /health/live} (live), {@code /health/ready} (not ready) and {@code /metrics}
 *       while the service starts;</li>
 *   <li>a set-up problem found at start ({@link SetupException}) exits 2; a failure at run time exits 1 after a
 *       bounded close, so that Kubernetes restarts the pod instead of keeping a zombie that looks alive, or 2 when
 *       the service failed with a {@link SetupException} (a change it must not pass over: an operator acts).</li>
 * </ol>
 *
 * <p>No static logger here on purpose: {@link #useServiceLogging()} must run before logging starts.
 */
public final class ServiceMain {

    /** How long a close may take before the process exits anyway. */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    /** A started service. */
    public interface Running extends OpsServer.Health, AutoCloseable {
        /**
         * Blocks until the service stops on its own.
         *
         * @return {@code null} when it ended normally, else the error it failed with
         */
        Throwable awaitTermination() throws InterruptedException;

        /** Stops the service; idempotent, bounded in time, safe to call from a shutdown hook. */
        @Override
        void close();
    }

    /** Starts a service from its validated configuration. */
    @FunctionalInterface
    public interface Starter<C> {
        Running start(C config, ServiceMetrics metrics) throws Exception;
    }

    /**
     * The set-up is wrong (a topic missing, a database not prepared), at start or found at run time (the source
     * changed under the service): the process exits 2 with this message.
     */
    public static final class SetupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SetupException(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    private ServiceMain() {
    }

    /**
     * Selects the services' logging configuration ({@code log4j2-rtdw.xml}) unless the operator chose one, and turns
     * log4j's own shutdown hook off whatever configuration is used: it would race the service's SIGTERM hook and
     * could stop logging before the close is logged. The SIGTERM hook stops logging itself when it is done. Call it
     * from a static initializer of the main class, before any logger exists.
     */
    public static void useServiceLogging() {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-rtdw.xml");
        }
        System.setProperty("log4j.shutdownHookEnabled", "false");
    }

    /**
     * Runs {@code service} and exits the JVM with the status documented in {@link Service}.
     *
     * @param config reads and validates the configuration (problems recorded in the {@link Env}, or thrown as a
     *               {@link ConfigException})
     */
    public static <C> void run(final Service service, final String[] args, final Function<Env, C> config,
                               final Starter<C> starter) {
        useServiceLogging();
        final int status = run(service, args, config, starter, new Lifecycle(), System.out, System.err);
        if (status >= 0) {
            exit(status);
        }
        // status < 0: a SIGTERM is closing the service; the JVM exits 143 when the hook is done.
    }

    /** The lifecycle without the JVM exit, for tests: the exit status, or -1 when a SIGTERM took over. */
    static <C> int run(final Service service, final String[] args, final Function<Env, C> config,
                       final Starter<C> starter, final Lifecycle lifecycle, final PrintStream out,
                       final PrintStream err) {
        if (args.length > 0) {
            if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
                out.print(service.help());
                return Service.EXIT_OK;
            }
            err.println("unknown argument " + args[0] + ": all configuration comes from the environment\n\n"
                    + service.help());
            return Service.EXIT_CONFIG;
        }
        final Env env = lifecycle.env();
        final C cfg;
        final Integer port;
        try {
            cfg = config.apply(env);
            port = env.get(OpsServer.HTTP_PORT);
            env.get(Service.LOG_LEVEL); // read by log4j2-rtdw.xml; a typo there would silently drop our INFO lines
            env.validate();
        } catch (final ConfigException e) {
            err.println(service.name() + ": " + e.getMessage() + "\n(see --help)");
            return Service.EXIT_CONFIG;
        }
        final Logger log = LoggerFactory.getLogger(ServiceMain.class);
        log.info("starting {} with {}", service.name(), env.describe());
        final ServiceMetrics metrics = new ServiceMetrics(service.metrics());
        final AtomicReference<Running> running = new AtomicReference<>();
        final CountDownLatch startDone = new CountDownLatch(1);
        final Thread main = Thread.currentThread();
        final AtomicReference<OpsServer> opsRef = new AtomicReference<>();
        lifecycle.onSigterm(() -> {
            lifecycle.stopping = true;
            log.info("SIGTERM: stopping {}", service.name());
            if (startDone.getCount() > 0) {
                main.interrupt();
                await(startDone, CLOSE_TIMEOUT);
            }
            final Running r = running.get();
            if (r != null) {
                r.close();
            }
            closeQuietly(opsRef.get());
            metrics.close();
            log.info("{} stopped", service.name());
        });
        final OpsServer ops;
        try {
            ops = OpsServer.start(service.name(), port, new StartingHealth(running), metrics);
            opsRef.set(ops);
        } catch (final java.io.IOException e) {
            startDone.countDown();
            err.println(service.name() + ": cannot open the HTTP port " + port + ": " + e.getMessage());
            return Service.EXIT_CONFIG;
        }
        if (ops != null) {
            lifecycle.opsStarted(ops);
            log.info("health and metrics on http://0.0.0.0:{}/ (/health/live, /health/ready, /metrics)", ops.port());
        }
        try {
            running.set(starter.start(cfg, metrics));
        } catch (final SetupException e) {
            startDone.countDown();
            if (lifecycle.stopping) {
                return -1;
            }
            if (e.getCause() == null) {
                log.error("cannot start: {}", e.getMessage());
            } else {
                log.error("cannot start: {}", e.getMessage(), e.getCause());
            }
            err.println(service.name() + ": cannot start: " + e.getMessage());
            closeQuietly(ops);
            return Service.EXIT_CONFIG;
        } catch (final Exception | Error e) {
            startDone.countDown();
            if (lifecycle.stopping) {
                log.info("start interrupted by SIGTERM ({})", e.toString());
                return -1;
            }
            log.error("{} failed to start; exiting with status 1", service.name(), e);
            closeQuietly(ops);
            return Service.EXIT_FAILED;
        }
        startDone.countDown();
        if (lifecycle.stopping) {
            // The hook waits for startDone, then closes what was started.
            return -1;
        }
        log.info("{} started", service.name());
        final Throwable failure;
        try {
            failure = running.get().awaitTermination();
        } catch (final InterruptedException e) {
            return -1;
        }
        if (lifecycle.stopping) {
            return -1;
        }
        if (failure instanceof SetupException) {
            log.error("{} stopped on what a restart will not fix: {}; exiting with status 2", service.name(),
                    failure.getMessage(), failure.getCause());
        } else if (failure != null) {
            log.error("{} failed; exiting with status 1 so that it is restarted", service.name(), failure);
        } else {
            log.info("{} ended", service.name());
        }
        // Close what can be closed, but never hang on the way out: the orchestrator restarts us either way.
        final Thread closer = new Thread(() -> running.get().close(), "rtdw-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(CLOSE_TIMEOUT.toMillis());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(ops);
        return failure == null ? Service.EXIT_OK
                : failure instanceof SetupException ? Service.EXIT_CONFIG : Service.EXIT_FAILED;
    }

    /** Flushes the logs and ends the JVM without running shutdown hooks again. */
    private static void exit(final int status) {
        LogManager.shutdown();
        Runtime.getRuntime().halt(status);
    }

    private static void await(final CountDownLatch latch, final Duration timeout) {
        try {
            latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final OpsServer ops) {
        if (ops != null) {
            ops.close();
        }
    }

    /** Health while starting: live, not ready; then the running service's. */
    private record StartingHealth(AtomicReference<Running> running) implements OpsServer.Health {
        @Override
        public boolean live() {
            final Running r = running.get();
            return r == null || r.live();
        }

        @Override
        public boolean ready() {
            final Running r = running.get();
            return r != null && r.ready();
        }

        @Override
        public String detail() {
            final Running r = running.get();
            return r == null ? "starting" : r.detail();
        }
    }

    /** Where the environment and the SIGTERM hook come from; tests replace both. */
    static class Lifecycle {
        volatile boolean stopping;

        Env env() {
            return Env.of(System.getenv());
        }

        void opsStarted(final OpsServer ops) {
        }

        void onSigterm(final Runnable close) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                close.run();
                LogManager.shutdown();
            }, "rtdw-shutdown"));
        }
    }
}
