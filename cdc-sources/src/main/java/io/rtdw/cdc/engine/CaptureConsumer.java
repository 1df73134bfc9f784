package io.rtdw.cdc.engine;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.rtdw.runtime.ServiceMetrics;
import io.rtdw.schemas.DeadLetter;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Debezium batch consumer: maps each record, produces it, waits until Kafka acknowledged the whole batch, and
 * only then marks the records processed. The engine commits offsets only for processed records, so a crash at any
 * moment replays (never skips) what was not yet acknowledged: at-least-once, duplicates possible.
 *
 * <p>A record the mapper rejects goes to the dead-letter topic with the reason (and its retraction, if it has one,
 * as a change), and counts as processed once the dead letter is acknowledged. A failed produce fails the batch: the engine stops, the process exits non-zero
 * and resumes from the last committed offset after the restart.
 */
public final class CaptureConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureConsumer.class);

    private final String source;
    private final String stage;
    private final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper;
    private final ChangeProducer producer;
    private final ServiceMetrics metrics;
    private final DistributionSummary commitToAck;
    private final Map<String, Counter> changesPerTopic = new java.util.concurrent.ConcurrentHashMap<>();
    private final JsonConverter json = new JsonConverter();
    private volatile long lastCommitTsMs = -1;
    private volatile String lastPosition = "";

    /**
     * @param source   metric label and log name: {@code postgres} or {@code mongodb}
     * @param mapper   record to change (empty: nothing to produce, e.g. a heartbeat)
     */
    public CaptureConsumer(final String source, final Function<SourceRecord, Optional<? extends MappedChange<?, ?>>> mapper,
                           final ChangeProducer producer, final ServiceMetrics metrics) {
        this.source = source;
        this.stage = "cdc-" + source;
        this.mapper = mapper;
        this.producer = producer;
        this.metrics = metrics;
        json.configure(Map.of("schemas.enable", "false"), false);
        metrics.gauge("last.commit.ts.ms", "Source commit time of the newest change Kafka acknowledged (epoch ms).",
                () -> lastCommitTsMs, "source", source);
        commitToAck = metrics.latencyMs("commit.to.ack.ms", "Source commit to Kafka acknowledgement, milliseconds.",
                "source", source);
    }

    @Override
    public void handleBatch(final List<RecordChangeEvent<SourceRecord>> records,
                            final DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        final List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        final List<MappedChange<?, ?>> changes = new ArrayList<>(records.size());
        int deadLetters = 0;
        for (final RecordChangeEvent<SourceRecord> event : records) {
            final SourceRecord record = event.record();
            try {
                final Optional<? extends MappedChange<?, ?>> change = mapper.apply(record);
                if (change.isPresent()) {
                    sent.add(producer.send(change.get()));
                    changes.add(change.get());
                }
            } catch (final UnmappableChangeException e) {
                LOG.warn("{}: change on {} cannot be mapped, sent to the dead-letter topic: {}", source,
                        record.topic(), e.getMessage());
                sent.add(producer.sendDeadLetter(bytes(record.topic(), record.keySchema(), record.key()),
                        deadLetter(record, e)));
                deadLetters++;
                if (e.retraction().isPresent()) {
                    sent.add(producer.send(e.retraction().get()));
                    changes.add(e.retraction().get());
                }
            }
        }
        producer.flush();
        for (final Future<RecordMetadata> future : sent) {
            try {
                future.get();
            } catch (final ExecutionException e) {
                // Nothing of this batch is marked: after the restart the engine resumes before it.
                throw new IllegalStateException(source + ": Kafka did not acknowledge a change ("
                        + e.getCause().getMessage() + "); stopping without committing this batch", e.getCause());
            }
        }
        final long now = System.currentTimeMillis();
        for (final MappedChange<?, ?> change : changes) {
            changesPerTopic.computeIfAbsent(change.topic().name(), topic -> metrics.counter("changes",
                    "Changes produced and acknowledged by Kafka.", "source", source, "topic", topic)).increment();
            commitToAck.record(Math.max(0, now - change.commitTsMs()));
            lastCommitTsMs = change.commitTsMs();
            lastPosition = change.position();
        }
        if (deadLetters > 0) {
            metrics.counter("dead.letters", "Source changes that could not be mapped (sent to the dead-letter topic).",
                    "source", source).increment(deadLetters);
        }
        for (final RecordChangeEvent<SourceRecord> event : records) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    /** Source position of the newest acknowledged change. */
    public String lastPosition() {
        return lastPosition;
    }

    private DeadLetter deadLetter(final SourceRecord record, final UnmappableChangeException e) {
        final Map<String, ?> offset = record.sourceOffset();
        final Object position = offset == null ? null
                : offset.containsKey("lsn") ? offset.get("lsn") : offset.get("resume_token");
        return DeadLetter.newBuilder()
                .setReason("unmappable " + record.topic() + " change: " + e.getMessage())
                .setErrorClass(e.getCause() == null ? e.getClass().getName() : e.getCause().getClass().getName())
                .setStage(stage)
                .setSourcePosition(position instanceof Long lsn ? io.rtdw.cdc.postgres.PostgresChangeMapper.formatLsn(lsn)
                        : position == null ? null : String.valueOf(position))
                .setOriginalKey(wrap(bytes(record.topic(), record.keySchema(), record.key())))
                .setOriginalValue(wrap(bytes(record.topic(), record.valueSchema(), record.value())))
                .setFailedAtMs(Instant.now())
                .build();
    }

    /** The Debezium key or value as JSON, so an operator can read the rejected row. */
    private byte[] bytes(final String topic, final org.apache.kafka.connect.data.Schema schema, final Object value) {
        try {
            return value == null ? null : json.fromConnectData(topic, schema, value);
        } catch (final RuntimeException e) {
            return String.valueOf(value).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static java.nio.ByteBuffer wrap(final byte[] bytes) {
        return bytes == null ? null : java.nio.ByteBuffer.wrap(bytes);
    }
}
