package io.rtdw.cdc;

import io.rtdw.cdc.engine.CaptureConsumer;
import io.rtdw.cdc.engine.CaptureEngine;
import io.rtdw.cdc.engine.ChangeProducer;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.ops.HealthServer;
import io.rtdw.cdc.ops.Metrics;
import io.rtdw.cdc.postgres.PostgresCapture;
import io.rtdw.cdc.postgres.PostgresChangeMapper;
import io.rtdw.cdc.postgres.PostgresPreflight;
import io.rtdw.cdc.postgres.SlotLagProbe;
import io.rtdw.catalog.Topic;
import io.rtdw.serde.RegistrySerdes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The running CDC process: pre-flight checks, one Debezium engine per configured source, the shared producer, the
 * slot-lag probe and the HTTP endpoints. {@link CdcMain} runs it from the environment; tests and the benchmark
 * start it in-process.
 */
public final class CdcProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CdcProcess.class);

    private final Metrics metrics = new Metrics();
    private final List<CaptureEngine> engines = new ArrayList<>();
    private final ChangeProducer producer;
    private final SlotLagProbe slotLag;
    private final HealthServer http;

    private CdcProcess(final CdcConfig config, final RegistrySerdes serdes, final BiConsumer<String, Throwable> onFailure)
            throws InterruptedException, IOException {
        checkTopics(config);
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            PostgresPreflight.check(config);
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            MongoCapture.check(config);
        }
        metrics.describe("rtdw_cdc_changes_total", "Changes produced and acknowledged by Kafka.");
        metrics.describe("rtdw_cdc_dead_letters_total", "Source changes that could not be mapped (sent to the dead-letter topic).");
        metrics.describe("rtdw_cdc_commit_to_ack_ms", "Source commit to Kafka acknowledgement, milliseconds.");
        metrics.describe("rtdw_cdc_pg_slot_lag_bytes", "WAL bytes the replication slot trails the server (-1 unknown).");
        metrics.describe("rtdw_cdc_engines_streaming", "Number of captures currently streaming.");
        producer = new ChangeProducer(config.bootstrapServers(), config.maxInFlight(), "rtdw-cdc", serdes,
                config.catalog());
        if (config.sources().contains(CdcConfig.Source.POSTGRES)) {
            final PostgresChangeMapper mapper = new PostgresChangeMapper(config.catalog());
            final CaptureConsumer consumer = new CaptureConsumer("postgres", mapper::map, producer, metrics);
            engines.add(new CaptureEngine("postgres", PostgresCapture.properties(config), consumer, onFailure));
            slotLag = new SlotLagProbe(config, 10_000);
            metrics.gauge("rtdw_cdc_pg_slot_lag_bytes", "slot=\"" + config.pgSlot() + "\"", slotLag::lagBytes);
        } else {
            slotLag = null;
        }
        if (config.sources().contains(CdcConfig.Source.MONGODB)) {
            final MongoCapture capture = new MongoCapture(new DebeziumMongoEventMapper(config.catalog()));
            final CaptureConsumer consumer = new CaptureConsumer("mongodb", capture::map, producer, metrics);
            engines.add(new CaptureEngine("mongodb", MongoCapture.properties(config), consumer, onFailure));
        }
        metrics.gauge("rtdw_cdc_engines_streaming", "", () -> engines.stream().filter(CaptureEngine::streaming).count());
        engines.forEach(CaptureEngine::start);
        http = config.httpPort() < 0 ? null
                : new HealthServer(config.httpPort(), this::live, this::ready, metrics);
    }

    /**
     * Checks, starts every configured capture and the HTTP endpoints.
     *
     * @param onFailure called once a capture stopped on an error it could not recover from
     * @throws PostgresPreflight.MisconfigurationException when a source or a topic is not set up
     */
    public static CdcProcess start(final CdcConfig config, final RegistrySerdes serdes,
                                   final BiConsumer<String, Throwable> onFailure) throws InterruptedException, IOException {
        LOG.info("starting CDC with {}", config);
        return new CdcProcess(config, serdes, onFailure);
    }

    /** Live: no capture has failed. */
    public boolean live() {
        return engines.stream().noneMatch(CaptureEngine::failed);
    }

    /** Ready: every capture streams. */
    public boolean ready() {
        return !engines.isEmpty() && engines.stream().allMatch(CaptureEngine::streaming);
    }

    /** The process's metrics. */
    public Metrics metrics() {
        return metrics;
    }

    /** Port of the HTTP endpoints, -1 when disabled. */
    public int httpPort() {
        return http == null ? -1 : http.port();
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
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            final Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            final List<String> missing = needed.stream().map(Topic::name).filter(n -> !existing.contains(n)).toList();
            if (!missing.isEmpty()) {
                throw new PostgresPreflight.MisconfigurationException("topics " + missing + " do not exist on "
                        + config.bootstrapServers() + ": create them first with io.rtdw.catalog.CreateTopics "
                        + "(auto-creation is off by design).", null);
            }
        } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new PostgresPreflight.MisconfigurationException("cannot reach Kafka at " + config.bootstrapServers()
                    + ": " + e.getMessage() + ". Check KAFKA_BOOTSTRAP_SERVERS.", e);
        }
    }

    @Override
    public void close() {
        engines.forEach(CaptureEngine::close);
        producer.close();
        if (slotLag != null) {
            slotLag.close();
        }
        if (http != null) {
            http.close();
        }
    }
}
