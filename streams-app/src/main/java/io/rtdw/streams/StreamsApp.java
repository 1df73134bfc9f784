package io.rtdw.streams;



import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.catalog.TopicProvisioner;
import io.rtdw.runtime.Env;
import io.rtdw.runtime.Service;
import io.rtdw.runtime.ServiceMain;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.runtime.Setting;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.streams.ops.CleanStopMarker;
import io.rtdw.streams.ops.DeadLetterDeserializationHandler;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The streams app: the topology on a {@link KafkaStreams} client, its health (live unless failed, ready when running
 * with every restoration done) and metrics. {@link #main} runs it as a service on the shared runtime (HTTP endpoints,
 * clean close on SIGTERM, exit codes); a fatal error stops the client and the process exits 1, so Kubernetes
 * restarts the pod instead of leaving a zombie that looks alive.
 */
public final class StreamsApp implements ServiceMain.Running {

    static {
        ServiceMain.useServiceLogging();
    }

    /** What the process is and reads. */
    public static final Service SERVICE = new Service("streams-app", "streams",
            "unifies the customers, flight and vehicle CDC topics into one record per customer "
                    + "(exactly_once_v2 by default).", Setting.concat(StreamsSettings.SETTINGS, RegistrySerdes.SETTINGS), "");

    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    private final PipelineMetrics metrics;
    private final ServiceMetrics ownMetrics;
    private final KafkaStreams streams;
    private final org.apache.kafka.clients.producer.Producer<byte[], byte[]> deadLetterProducer;
    private final AtomicInteger restoring = new AtomicInteger();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final StreamsSettings settings;
    private final CleanStopMarker cleanStop;
    private volatile boolean failed;
    private volatile Throwable failure;

    /** In-process (tests, benchmarks): its own metrics registry, closed with the app. */
    public StreamsApp(final StreamsSettings settings, final RegistrySerdes registry) {
        this(settings, registry, new ServiceMetrics("streams"), true);
    }

    /** On the service's registry, which its owner closes. */
    public StreamsApp(final StreamsSettings settings, final RegistrySerdes registry, final ServiceMetrics registryOfMetrics) {
        this(settings, registry, registryOfMetrics, false);
    }

    private StreamsApp(final StreamsSettings settings, final RegistrySerdes registry,
                       final ServiceMetrics registryOfMetrics, final boolean ownsMetrics) {
        this.ownMetrics = ownsMetrics ? registryOfMetrics : null;
        this.settings = settings;
        this.metrics = new PipelineMetrics(registryOfMetrics);
        final Properties properties = settings.toProperties();
        // The key dead-letter handler writes where the topology does, with the same clients and serdes.
        properties.put(DeadLetterDeserializationHandler.TOPIC_CONFIG, settings.catalog().streamsDeadLetters());
        properties.put(DeadLetterDeserializationHandler.SERDES_CONFIG, registry);
        deadLetterProducer = DeadLetterDeserializationHandler.producer(settings.kafka(), settings.applicationId());
        properties.put(DeadLetterDeserializationHandler.PRODUCER_CONFIG, deadLetterProducer);
        // Before the client reads its state directory: after an unclean stop, no checkpoint is trusted.
        cleanStop = new CleanStopMarker(Path.of(settings.stateDir()), settings.applicationId());
        final List<Path> untrusted = cleanStop.prepareStart(settings.exactlyOnce());
        if (!untrusted.isEmpty()) {
            LOG.warn("the previous process on {} did not stop cleanly: removed the checkpoints of {} task(s), so "
                    + "their stores are rebuilt from the changelogs (exactly-once: a store may hold writes of an "
                    + "aborted transaction)", settings.stateDir(), untrusted.size());
        }
        this.streams = new KafkaStreams(UnifiedCustomerTopology.build(settings.catalog(), registry,
                options(settings), metrics), properties);
        registryOfMetrics.bind(new KafkaStreamsMetrics(streams));
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(final TopicPartition partition, final String store, final long start, final long end) {
                restoring.incrementAndGet();
                LOG.info("restoring {} from {} ({} records)", store, partition, end - start);
            }

            @Override
            public void onBatchRestored(final TopicPartition partition, final String store, final long end, final long n) {
                // progress is visible in the restore-* Kafka Streams metrics
            }

            @Override
            public void onRestoreEnd(final TopicPartition partition, final String store, final long total) {
                restoring.decrementAndGet();
                LOG.info("restored {} from {} ({} records)", store, partition, total);
            }

            @Override
            public void onRestoreSuspended(final TopicPartition partition, final String store, final long total) {
                restoring.decrementAndGet();
            }
        });
        streams.setStateListener((now, before) -> {
            LOG.info("state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("fatal error in the topology; stopping so the process can be restarted", e);
            failure = e;
            failed = true;
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    }

    /** How the topology runs with {@code settings}. */
    public static UnifiedCustomerTopology.Options options(final StreamsSettings settings) {
        return new UnifiedCustomerTopology.Options(settings.catalog().partitions(), settings.maxChildren(),
                !settings.exactlyOnce(), Duration.ofHours(settings.removedRetentionHours()), false);
    }

    /**
     * Starts processing, after checking that the CDC topics and the output have the catalog's partition count: the
     * join finds a customer and its children in one task only when all are partitioned alike.
     */
    public StreamsApp start() {
        final TopicCatalog catalog = settings.catalog();
        TopicProvisioner.requireCoPartitioned(settings.kafka().admin(), List.of(catalog.customers(), catalog.flights(),
                catalog.vehicles(), catalog.unifiedCustomers()), catalog.partitions());
        streams.start();
        return this;
    }

    /** Alive unless the client has failed: a rebalance or a restoration is not a reason to restart. */
    @Override
    public boolean live() {
        return !failed && streams.state() != KafkaStreams.State.ERROR;
    }

    /** Ready only when running with every restoration done: a pod that still restores must not take traffic. */
    @Override
    public boolean ready() {
        return streams.state() == KafkaStreams.State.RUNNING && restoring.get() == 0;
    }

    @Override
    public String detail() {
        return streams.state() + (restoring.get() > 0 ? " restoring=" + restoring.get() : "");
    }

    /** Blocks until the client stops: its fatal error, or {@code null} after a close. */
    @Override
    public Throwable awaitTermination() throws InterruptedException {
        stopped.await();
        if (failed || streams.state() == KafkaStreams.State.ERROR) {
            return failure != null ? failure : new IllegalStateException("Kafka Streams is in state " + streams.state());
        }
        return null;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public PipelineMetrics metrics() {
        return metrics;
    }


    @Override
    public void close() {
        LOG.info("closing (timeout {} s)", CLOSE_TIMEOUT.toSeconds());
        final boolean closed = streams.close(CLOSE_TIMEOUT);
        deadLetterProducer.close(Duration.ofSeconds(10));
        if (closed && !failed) {
            cleanStop.markClean();
        }
        if (ownMetrics != null) {
            ownMetrics.close();
        }
        LOG.info(closed ? "closed cleanly" : "close timed out after {} s", CLOSE_TIMEOUT.toSeconds());
        stopped.countDown();
    }

    public static void main(final String[] args) {
        ServiceMain.run(SERVICE, args, Config::read, (config, metrics) -> {
            final TopicCatalog catalog = config.settings().catalog();
            TopicProvisioner.requireExisting(config.settings().kafka().admin(), List.of(catalog.customers(),
                    catalog.flights(), catalog.vehicles(), catalog.unifiedCustomers(), catalog.streamsDeadLetters()));
            return new StreamsApp(config.settings(), config.registry(), metrics).start();
        });
    }

    /** The validated configuration of the process. */
    record Config(StreamsSettings settings, RegistrySerdes registry) {
        static Config read(final Env env) {
            return new Config(StreamsSettings.fromEnv(env), RegistrySerdes.fromEnv(env));
        }
    }
}
