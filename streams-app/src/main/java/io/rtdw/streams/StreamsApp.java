package io.rtdw.streams;

import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;


import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.streams.ops.HttpEndpoints;
import io.rtdw.streams.ops.PipelineMetrics;
import io.rtdw.streams.ops.PrometheusText;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;

import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The streams app process: settings from the environment, the topology, health and metrics over HTTP, and a clean
 * close on SIGTERM. A fatal error stops the client and the process exits non-zero, so Kubernetes restarts the pod
 * instead of leaving a zombie that looks alive.
 */
public final class StreamsApp implements AutoCloseable {

    static {
        // Before the first logger: the process's own logging config, unless the operator chose one.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-streams.xml");
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    private final StreamsSettings settings;
    private final PipelineMetrics metrics = new PipelineMetrics();
    private final KafkaStreams streams;
    private final AtomicInteger restoring = new AtomicInteger();
    private final AtomicLong orphanCustomers = new AtomicLong(-1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread t = new Thread(r, "rtdw-orphan-count");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean failed;
    private HttpEndpoints http;

    public StreamsApp(final StreamsSettings settings) {
        this.settings = settings;
        final RegistrySerdes registry = RegistrySerdes.fromEnv(System.getenv());
        this.streams = new KafkaStreams(UnifiedCustomerTopology.build(settings.catalog(), registry,
                settings.maxChildren(), metrics), settings.toProperties());
        metrics.orphanCustomers(orphanCustomers::get);
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
            failed = true;
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    }

    /** Starts processing and the HTTP endpoints. */
    public void start() throws IOException {
        if (settings.httpPort() >= 0) {
            http = new HttpEndpoints(settings.httpPort(), this::isLive, this::isReady,
                    () -> streams.state() + (restoring.get() > 0 ? " restoring=" + restoring.get() : ""),
                    () -> metrics.toPrometheus() + PrometheusText.of(streams.metrics()));
            LOG.info("health and metrics on http://0.0.0.0:{}/ (/health/live, /health/ready, /metrics)", http.port());
        }
        background.scheduleWithFixedDelay(this::countOrphans, 30, 30, TimeUnit.SECONDS);
        streams.start();
    }

    /** Alive unless the client has failed: a rebalance or a restoration is not a reason to restart. */
    public boolean isLive() {
        return !failed && streams.state() != KafkaStreams.State.ERROR;
    }

    /** Ready only when running with every restoration done: a pod that still restores must not take traffic. */
    public boolean isReady() {
        return streams.state() == KafkaStreams.State.RUNNING && restoring.get() == 0;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    /** HTTP port actually bound, or -1. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Blocks until the client stops; true if it stopped because of an error. */
    public boolean awaitStop() throws InterruptedException {
        stopped.await();
        return failed || streams.state() == KafkaStreams.State.ERROR;
    }

    /** Customer ids in local state with children but no customer: the orphans the join is holding. */
    private void countOrphans() {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return;
        }
        try {
            final ReadOnlyKeyValueStore<CustomerKey, CustomerChange> customers = streams.store(StoreQueryParameters
                    .fromNameAndType(UnifiedCustomerTopology.CUSTOMERS_LATEST, QueryableStoreTypes.keyValueStore()));
            final Set<Integer> orphans = new HashSet<>();
            for (final String store : List.of(UnifiedCustomerTopology.FLIGHTS_PER_CUSTOMER,
                    UnifiedCustomerTopology.VEHICLES_PER_CUSTOMER)) {
                final ReadOnlyKeyValueStore<CustomerKey, List<?>> children = streams.store(StoreQueryParameters
                        .fromNameAndType(store, QueryableStoreTypes.keyValueStore()));
                try (KeyValueIterator<CustomerKey, List<?>> it = children.all()) {
                    while (it.hasNext()) {
                        final KeyValue<CustomerKey, List<?>> kv = it.next();
                        if (!kv.value.isEmpty() && customers.get(kv.key) == null) {
                            orphans.add(kv.key.getId());
                        }
                    }
                }
            }
            orphanCustomers.set(orphans.size());
        } catch (final RuntimeException e) {
            LOG.debug("orphan count skipped: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        LOG.info("closing (timeout {} s)", CLOSE_TIMEOUT.toSeconds());
        background.shutdownNow();
        final boolean closed = streams.close(CLOSE_TIMEOUT);
        if (http != null) {
            http.close();
        }
        LOG.info(closed ? "closed cleanly" : "close timed out after {} s", CLOSE_TIMEOUT.toSeconds());
        stopped.countDown();
    }

    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(StreamsSettings.HELP);
            return;
        }
        if (args.length > 0) {
            System.err.println("unknown argument " + args[0] + "; all configuration comes from the environment\n"
                    + StreamsSettings.HELP);
            System.exit(2);
        }
        final StreamsSettings settings;
        try {
            settings = StreamsSettings.fromEnv(System.getenv());
        } catch (final IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        LOG.info("starting rtdw streams-app with {}", settings.describeRedacted());
        final StreamsApp app = new StreamsApp(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            org.apache.logging.log4j.LogManager.shutdown();
        }, "rtdw-shutdown"));
        app.start();
        final boolean error = app.awaitStop();
        if (error) {
            LOG.error("stopped after a fatal error; exiting with status 1");
            Runtime.getRuntime().halt(1);
        }
    }

}
