package io.rtdw.cdc;

import io.rtdw.cdc.engine.CaptureConsumer;
import io.rtdw.cdc.engine.CaptureEngine;
import io.rtdw.cdc.engine.CaptureHaltException;
import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.engine.SnapshotReconciler;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.postgres.PostgresCapture;
import io.rtdw.cdc.postgres.PostgresChangeMapper;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.cdc.postgres.RestoreGuard;
import io.rtdw.cdc.postgres.SchemaGuard;
import io.rtdw.cdc.postgres.SourceEpoch;
import io.rtdw.cdc.postgres.SlotLagProbe;
import io.rtdw.catalog.Topic;
import io.rtdw.runtime.ServiceMain;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.catalog.TopicProvisioner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The running CDC process: pre-flight checks, one Debezium engine per configured source, the shared producer and
 * the slot-lag probe. {@link CdcMain} runs it as a service (HTTP endpoints, SIGTERM, exit codes); tests and the
 * benchmark start it in-process.
 */
public final class CdcProcess implements ServiceMain.Running {

    private static final Logger LOG = LoggerFactory.getLogger(CdcProcess.class);

    private final ServiceMetrics metrics;
    private volatile boolean ownsMetrics;
    private final List<CaptureEngine> engines = new ArrayList<>();
    private final ChangeProducer producer;
    private final SlotLagProbe slotLag;
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private CdcProcess(final CdcConfig config, final RegistrySerdes serdes, final ServiceMetrics metrics,
                       final BiConsumer<String, Throwable> onFailure) throws InterruptedException {
        this.metrics = metrics;
        final BiConsumer<String, Throwable> failed = (message, error) -> {
            onFailure.accept(message, error);
            // A change the warehouse cannot follow (truncate, schema drift): restarting will not help, exit 2.
            failure.complete(CaptureHaltException.in(error) != null ? new ServiceMain.SetupException(message, error)
                    : new IllegalStateException(message, error));
        };
        checkTopics(config);
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            PostgresPreflight.check(config);
            RestoreGuard.check(config);
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            MongoCapture.check(config);
        }
        producer = new ChangeProducer(config.kafka(), "rtdw-cdc", serdes, config.catalog());
        producer.bindMetrics(metrics);
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            final String epoch = SourceEpoch.read(config);
            metrics.gauge("source.epoch", "1 for the source epoch the capture writes on every change.", () -> 1,
                    "source", "postgres", "epoch", epoch);
            final PostgresChangeMapper mapper = new PostgresChangeMapper(config.catalog(), new SchemaGuard(metrics),
                    epoch);
            final CaptureConsumer consumer = new CaptureConsumer("postgres", mapper::map,
                    PostgresChangeMapper::commitOf, config.maxTxChanges(), producer, metrics)
                    .reconcilingSnapshots(new SnapshotReconciler("postgres", List.of(config.catalog().customers(),
                            config.catalog().flights()), config.kafka(), serdes, producer, metrics));
            engines.add(new CaptureEngine("postgres", PostgresCapture.properties(config), consumer, failed));
            slotLag = new SlotLagProbe(config, 10_000);
            metrics.gauge("pg.slot.lag.bytes", "WAL bytes the replication slot trails the server (-1 unknown).",
                    slotLag::lagBytes, "slot", config.pgSlot());
        } else {
            slotLag = null;
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            final MongoCapture capture = MongoCapture.open(config, mongoEpochLabel(config));
            metrics.gauge("source.epoch", "1 for the source epoch the capture writes on every change.", () -> 1,
                    "source", "mongodb", "epoch", capture.epoch());
            final CaptureConsumer consumer = new CaptureConsumer("mongodb", capture::map, producer, metrics)
                    .reconcilingSnapshots(new SnapshotReconciler("mongodb", List.of(config.catalog().vehicles()),
                            config.kafka(), serdes, producer, metrics));
            engines.add(new CaptureEngine("mongodb", MongoCapture.properties(config), consumer, failed));
        }
        metrics.gauge("engines.streaming", "Number of captures currently streaming.",
                () -> engines.stream().filter(CaptureEngine::streaming).count());
        engines.forEach(CaptureEngine::start);
    }

    /**
     * The operator's epoch label for MongoDB positions (the RTDW_CDC_EPOCH setting, set after restoring a backup);
     * null: no label. This is the one place that setting reaches the MongoDB capture.
     */
    private static String mongoEpochLabel(final CdcConfig config) {
        return config.epochLabel().isEmpty() ? null : config.epochLabel();
    }

    /**
     * Checks, then starts every configured capture.
     *
     * @param onFailure called once a capture stopped on an error it could not recover from
     * @throws PostgresPreflight.MisconfigurationException when a source is not set up
     * @throws ServiceMain.SetupException when a topic does not exist or Kafka cannot be reached
     */
    public static CdcProcess start(final CdcConfig config, final RegistrySerdes serdes, final ServiceMetrics metrics,
                                   final BiConsumer<String, Throwable> onFailure) throws InterruptedException {
        LOG.info("starting CDC: {}", config);
        return new CdcProcess(config, serdes, metrics, onFailure);
    }

    /** In-process (tests, benchmarks): its own metrics registry, closed with the process. */
    public static CdcProcess start(final CdcConfig config, final RegistrySerdes serdes,
                                   final BiConsumer<String, Throwable> onFailure) throws InterruptedException {
        final ServiceMetrics own = new ServiceMetrics("cdc");
        try {
            final CdcProcess process = start(config, serdes, own, onFailure);
            process.ownsMetrics = true;
            return process;
        } catch (final RuntimeException | InterruptedException e) {
            own.close();
            throw e;
        }
    }

    /** Live: no capture has failed. */
    @Override
    public boolean live() {
        return engines.stream().noneMatch(CaptureEngine::failed);
    }

    /** Ready: every capture streams. */
    @Override
    public boolean ready() {
        return !engines.isEmpty() && engines.stream().allMatch(CaptureEngine::streaming);
    }

    @Override
    public String detail() {
        final StringBuilder b = new StringBuilder();
        for (final CaptureEngine engine : engines) {
            b.append(b.isEmpty() ? "" : ", ").append(engine.name()).append(engine.failed() ? " failed"
                    : engine.streaming() ? " streaming" : " starting");
        }
        return b.toString();
    }

    /** Blocks until a capture fails (its error) or the process is closed ({@code null}). */
    @Override
    public Throwable awaitTermination() throws InterruptedException {
        try {
            return failure.get();
        } catch (final ExecutionException e) {
            return e.getCause();
        }
    }

    /** The process's metrics. */
    public ServiceMetrics metrics() {
        return metrics;
    }

    /** The topics this process writes must exist: topics are created explicitly (auto-creation is off). */
    private static void checkTopics(final CdcConfig config) throws InterruptedException {
        final List<Topic<?, ?>> needed = new ArrayList<>();
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            needed.add(config.catalog().customers());
            needed.add(config.catalog().flights());
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            needed.add(config.catalog().vehicles());
        }
        needed.add(config.catalog().cdcDeadLetters());
        TopicProvisioner.requireExisting(config.kafka().admin(), needed);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        engines.forEach(CaptureEngine::close);
        producer.close();
        if (slotLag != null) {
            slotLag.close();
        }
        if (ownsMetrics) {
            metrics.close();
        }
        failure.complete(null);
    }
}
