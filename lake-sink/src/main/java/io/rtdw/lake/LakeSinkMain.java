package io.rtdw.lake;

import io.rtdw.catalog.TopicProvisioner;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.Service;
import io.rtdw.runtime.ServiceMain;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.runtime.Setting;
import io.rtdw.serde.RegistrySerdes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the lake sink as a service on the shared runtime: configuration from the environment ({@code --help}),
 * health and metrics over HTTP, a graceful stop on SIGTERM (buffers are flushed), exit 1 when the sink fails so
 * Kubernetes restarts it.
 */
public final class LakeSinkMain {

    static {
        ServiceMain.useServiceLogging();
    }

    /** What the process is and reads. */
    public static final Service SERVICE = new Service("lake-sink", "lake", """
            reads the unified customer topic (read_committed) and writes exactly-once Parquet files to an S3 bucket
            (MinIO), plus a latest-state snapshot.""", Setting.concat(LakeSinkConfig.SETTINGS, RegistrySerdes.SETTINGS), """
            Layout:
              s3://<bucket>/changelog/dt=<yyyy-mm-dd>/p=<partition>/<firstOffset>-<lastOffset>.parquet
              s3://<bucket>/snapshot/latest.parquet   (one row per live customer; with N instances
                                                      latest-<i>-of-<N>.parquet, read snapshot/latest*.parquet)

            Each partition must have exactly one writer: the bucket is the sink's checkpoint. Run one instance,
            or a StatefulSet with RTDW_LAKE_INSTANCES = replicas (never a Deployment with several replicas).""");

    private LakeSinkMain() {
    }

    /** The validated configuration of the process. */
    record Config(LakeSinkConfig sink, RegistrySerdes registry) {
        static Config read(final Env env) {
            return new Config(LakeSinkConfig.fromEnv(env), RegistrySerdes.fromEnv(env));
        }
    }

    public static void main(final String[] args) {
        ServiceMain.run(SERVICE, args, Config::read, (config, metrics) -> {
            TopicProvisioner.requireExisting(config.sink().kafka().admin(), List.of(
                    config.sink().catalog().unifiedCustomers(), config.sink().catalog().lakeSinkDeadLetters()));
            return Running.start(config, metrics);
        });
    }

    /** The sink's poll loop on its own thread. */
    static final class Running implements ServiceMain.Running {
        private static final Logger LOG = LoggerFactory.getLogger(LakeSinkMain.class);

        private final ObjectStore store;
        private final LakeSink sink;
        private final LakeSinkMetrics metrics;
        private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Thread loop;

        private Running(final Config config, final ServiceMetrics registry) {
            final LakeSinkConfig c = config.sink();
            LOG.info("lake sink: {}", c);
            metrics = new LakeSinkMetrics(registry);
            store = new MinioObjectStore(c.s3Endpoint(), c.s3Region(), c.accessKey(), c.secretKey(), c.bucket());
            sink = new LakeSink(c, config.registry(), store, metrics);
            sink.bindMetrics(registry);
            loop = new Thread(() -> {
                try {
                    sink.run();
                    ended.complete(null);
                } catch (final RuntimeException | Error e) {
                    ended.complete(e);
                }
            }, "lake-sink");
        }

        static Running start(final Config config, final ServiceMetrics registry) {
            final Running running = new Running(config, registry);
            running.loop.start();
            return running;
        }

        @Override
        public boolean live() {
            return !ended.isDone() || closed.get();
        }

        @Override
        public boolean ready() {
            return metrics.isReady() && !ended.isDone();
        }

        @Override
        public String detail() {
            return ended.isDone() ? "stopped" : metrics.isReady() ? "writing" : "recovering";
        }

        @Override
        public Throwable awaitTermination() throws InterruptedException {
            try {
                return ended.get();
            } catch (final ExecutionException e) {
                return e.getCause();
            }
        }

        /** Stops the loop (its buffers are flushed), then closes the consumer and the store. */
        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            sink.stop();
            try {
                loop.join(30_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                sink.close();
                store.close();
            } catch (final Exception e) {
                LOG.warn("closing the lake sink: {}", e.toString());
            }
        }
    }
}
