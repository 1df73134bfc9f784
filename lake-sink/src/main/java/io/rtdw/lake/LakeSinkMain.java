package io.rtdw.lake;

import io.rtdw.serde.RegistrySerdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the lake sink as a service: configuration from the environment ({@code --help}), health and metrics over
 * HTTP, graceful stop on SIGTERM (buffers are flushed), exit code 1 when the sink fails so Kubernetes restarts it.
 */
public final class LakeSinkMain {

    private static final Logger LOG = LoggerFactory.getLogger(LakeSinkMain.class);

    private LakeSinkMain() {
    }

    public static void main(final String[] args) {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(LakeSinkConfig.HELP);
            return;
        }
        if (args.length > 0) {
            System.err.println("unknown arguments " + Arrays.toString(args) + "; configuration is read from the environment, see --help");
            System.exit(2);
        }
        final LakeSinkConfig config;
        try {
            config = LakeSinkConfig.fromEnv(System.getenv());
        } catch (final IllegalArgumentException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(run(config, System.getenv()));
    }

    /** Runs until stopped (0) or failed (1). */
    static int run(final LakeSinkConfig config, final Map<String, String> env) {
        LOG.info("starting with {}", config);
        final LakeSinkMetrics metrics = new LakeSinkMetrics();
        final AtomicBoolean alive = new AtomicBoolean(true);
        final CountDownLatch done = new CountDownLatch(1);
        try (ObjectStore store = new MinioObjectStore(config.s3Endpoint(), config.s3Region(), config.accessKey(),
                config.secretKey(), config.bucket());
             LakeSink sink = new LakeSink(config, RegistrySerdes.fromEnv(env), store, metrics);
             HealthServer health = new HealthServer(config.httpPort(), alive::get, metrics::isReady, metrics::render)) {
            LOG.info("health and metrics on port {}", health.port());
            final Thread hook = new Thread(() -> {
                sink.stop();
                try {
                    done.await(30, TimeUnit.SECONDS);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                sink.run();
                return 0;
            } catch (final RuntimeException e) {
                alive.set(false);
                LOG.error("lake sink failed; exiting so that it is restarted", e);
                return 1;
            } finally {
                done.countDown();
            }
        }
    }
}
