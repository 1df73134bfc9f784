package io.rtdw.lake;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.catalog.DeadLetters;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads the unified customer topic {@code read_committed} and writes it to the bucket as exactly-once Parquet
 * changelog files plus a latest-state snapshot.
 *
 * <p>Exactly-once without a transaction between Kafka and S3:
 * <ul>
 *   <li>A file holds rows of one partition and one change date, named after its first and last offset
 *       ({@link ChangelogFile}); it is built in memory and written with one PUT, so it is in the bucket
 *       completely or not at all.</li>
 *   <li>At start the sink lists the bucket: per partition, the highest last offset in a file
 *       ({@link BucketState}). Records up to it are re-read only to rebuild the snapshot state, never written
 *       again; records after it are written. A kill at any moment loses only unwritten buffers, which are
 *       re-read.</li>
 *   <li>Offsets of committed records are not contiguous (transaction markers, aborted batches, tombstones are
 *       not rows): nothing here assumes offset + 1 is the next row.</li>
 * </ul>
 * File boundaries depend on timing (size, change date, flush interval), names and the set of rows do not.
 * Single writer: run one instance; two instances would write overlapping files, which recovery detects and
 * refuses.
 */
public final class LakeSink implements Runnable, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LakeSink.class);
    /** Prefix of the snapshot objects. */
    public static final String SNAPSHOT_PREFIX = "snapshot/";
    /** Footer metadata key of the snapshot: {@code partition:nextOffset,...} it reflects. */
    public static final String SNAPSHOT_OFFSETS_KEY = "rtdw.snapshot.offsets";

    private final LakeSinkConfig config;
    private final ObjectStore store;
    private final LakeSinkMetrics metrics;
    private final Topic<CustomerKey, UnifiedCustomer> topic;
    private final Deserializer<UnifiedCustomer> valueDeserializer;
    private final Deserializer<CustomerKey> keyDeserializer;
    private final Serializer<DeadLetter> deadLetterSerializer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AtomicBoolean running = new AtomicBoolean(true);

    private final Map<Integer, PartitionBuffer> buffers = new HashMap<>();
    /** Latest live row per customer id: the snapshot's content. */
    private final Map<Integer, GenericRecord> latest = new HashMap<>();
    private final Set<Integer> recovering = new HashSet<>();
    /** Per partition, the position from which the state is complete: past the bucket and the start-up backlog. */
    private final Map<Integer, Long> recoveryTarget = new HashMap<>();
    private final Map<Integer, Long> writtenUpTo = new HashMap<>();
    private KafkaProducer<byte[], byte[]> deadLetterProducer;
    private boolean snapshotDirty = true;
    private long lastSnapshotNanos = System.nanoTime();

    public LakeSink(final LakeSinkConfig config, final RegistrySerdes serdes, final ObjectStore store,
                    final LakeSinkMetrics metrics) {
        this.config = config;
        this.store = store;
        this.metrics = metrics;
        this.topic = config.catalog().unifiedCustomers();
        this.valueDeserializer = serdes.valueSerde(topic).deserializer();
        this.keyDeserializer = RegistrySerdes.keySerde(topic).deserializer();
        this.deadLetterSerializer = serdes.valueSerde(config.catalog().lakeSinkDeadLetters()).serializer();
        this.consumer = new KafkaConsumer<>(consumerProperties(config), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    static Map<String, Object> consumerProperties(final LakeSinkConfig config) {
        final Map<String, Object> props = new HashMap<>(config.kafka().consumer(config.groupId()));
        // The output is written with exactly_once_v2: aborted records must never reach a file.
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "rtdw-lake-sink");
        props.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        return props;
    }

    /** Exports the consumer's own metrics (lag, fetch rate, commit latency) to {@code metrics}. */
    public void bindMetrics(final io.rtdw.runtime.ServiceMetrics metrics) {
        metrics.bind(new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer));
    }

    /** Asks the loop to stop; it flushes what it holds and returns. Safe from any thread. */
    public void stop() {
        running.set(false);
        consumer.wakeup();
    }

    @Override
    public void run() {
        try {
            recover();
            while (running.get()) {
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                for (final ConsumerRecord<byte[], byte[]> record : records) {
                    handle(record);
                }
                updateRecovery();
                flushExpired();
                maybeSnapshot();
            }
        } catch (final WakeupException e) {
            if (running.get()) {
                throw e;
            }
        }
        flushAll("shutdown");
        finalSnapshot();
    }

    /**
     * At a clean stop the snapshot is brought up to date with everything flushed, so a reader of
     * {@code snapshot/latest*.parquet} after a shutdown sees the same customers as the changelog's latest versions.
     * Not while the start-up backlog is still being read (a half-read topic would drop customers): the previous
     * snapshot stays, and the log says so.
     */
    private void finalSnapshot() {
        if (!recovering.isEmpty()) {
            LOG.info("lake sink stopped cleanly: buffers flushed; snapshot left as it was (stopped while rebuilding "
                    + "state, partitions {} not caught up)", new TreeSet<>(recovering));
        } else if (!snapshotDirty) {
            LOG.info("lake sink stopped cleanly: buffers flushed; snapshot already up to date");
        } else {
            writeSnapshot("shutdown");
            LOG.info("lake sink stopped cleanly: buffers flushed, final snapshot written");
        }
    }

    private void recover() {
        store.ensureBucket();
        final long began = System.nanoTime();
        final BucketState state = BucketState.of(store.list(ChangelogFile.PREFIX));
        final List<TopicPartition> all = consumer.partitionsFor(topic.name(), Duration.ofSeconds(60)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition()))
                .sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
        if (all.isEmpty()) {
            throw new IllegalStateException("topic " + topic.name() + " does not exist");
        }
        final List<TopicPartition> partitions = all.stream().filter(tp -> config.owns(tp.partition())).toList();
        if (partitions.isEmpty()) {
            throw new IllegalStateException("instance " + config.instance() + " of " + config.instances()
                    + " owns none of the " + all.size() + " partitions: fewer instances, please");
        }
        removeStaleSnapshots();
        consumer.assign(partitions);
        // read_committed: the end offsets are the last stable offsets, what this consumer can reach.
        final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(60));
        for (final TopicPartition tp : partitions) {
            writtenUpTo.put(tp.partition(), state.lastOffset(tp.partition()));
            recoveryTarget.put(tp.partition(), Math.max(state.lastOffset(tp.partition()) + 1, ends.get(tp)));
            recovering.add(tp.partition());
        }
        // From the beginning: records already in files rebuild the snapshot state (the topic is compacted, so
        // this is bounded by the number of customers, not by history).
        consumer.seekToBeginning(partitions);
        metrics.recovered(state.files(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        LOG.info("lake sink resumes from {} (listing took {} ms); {} partitions of {}", state,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), partitions.size(), topic.name());
    }

    private void updateRecovery() {
        if (recovering.isEmpty()) {
            return;
        }
        // No snapshot (and not ready) before the state holds the whole backlog: a snapshot of a half-read topic
        // would show data scientists customers going missing.
        recovering.removeIf(p -> consumer.position(new TopicPartition(topic.name(), p)) >= recoveryTarget.get(p));
        if (recovering.isEmpty()) {
            metrics.ready(true);
            LOG.info("state rebuilt: {} live customers; writing new records", latest.size());
        }
    }

    private void handle(final ConsumerRecord<byte[], byte[]> record) {
        metrics.recordRead();
        final int partition = record.partition();
        // Everything up to the last offset in the bucket was handled by an earlier run (files are written in
        // offset order): rebuild state from it, write nothing, dead-letter nothing again.
        final boolean alreadyWritten = record.offset() <= writtenUpTo.get(partition);
        final UnifiedCustomer value;
        final int customerId;
        try {
            if (record.value() == null) {
                customerId = keyDeserializer.deserialize(record.topic(), record.key()).getId();
                value = null;
            } else {
                value = valueDeserializer.deserialize(record.topic(), record.headers(), record.value());
                customerId = value.getCustomerId();
            }
        } catch (final RuntimeException e) {
            if (!alreadyWritten) {
                deadLetter(record, e);
            }
            return;
        }
        if (value == null) {
            // The tombstone that follows a deleted record: compaction's business, not a row.
            latest.remove(customerId);
            snapshotDirty |= !alreadyWritten;
            return;
        }
        final GenericRecord row = LakeRows.row(value, partition, record.offset(), record.timestamp(),
                config.masks());
        if (value.getDeleted()) {
            latest.remove(customerId);
        } else {
            latest.put(customerId, row);
        }
        if (alreadyWritten) {
            return;
        }
        snapshotDirty = true;
        final LocalDate dt = LocalDate.ofInstant(value.getSourceTsMs(), ZoneOffset.UTC);
        final PartitionBuffer buffer = buffers.computeIfAbsent(partition, PartitionBuffer::new);
        if (!buffer.isEmpty() && !buffer.dt.equals(dt)) {
            flush(buffer, "date change");
        }
        buffer.add(dt, row, record.offset());
        if (buffer.rows.size() >= config.maxRecordsPerFile()) {
            flush(buffer, "size");
        }
    }

    private void flushExpired() {
        final long now = System.nanoTime();
        for (final PartitionBuffer buffer : buffers.values()) {
            if (!buffer.isEmpty() && now - buffer.openedNanos >= config.flushInterval().toNanos()) {
                flush(buffer, "interval");
            }
        }
    }

    private void flushAll(final String why) {
        for (final PartitionBuffer buffer : buffers.values()) {
            if (!buffer.isEmpty()) {
                flush(buffer, why);
            }
        }
    }

    private void flush(final PartitionBuffer buffer, final String why) {
        final ChangelogFile file = new ChangelogFile(buffer.dt, buffer.partition, buffer.first, buffer.last);
        final long began = System.nanoTime();
        final byte[] parquet = LakeRows.parquet(buffer.rows, config.compression(),
                Map.of("rtdw.kafka.topic", topic.name()));
        store.put(file.objectName(), parquet);
        writtenUpTo.put(buffer.partition, buffer.last);
        metrics.fileWritten(buffer.rows.size(), parquet.length, buffer.oldestSourceTsMs);
        LOG.debug("wrote {} ({} rows, {} bytes, {}) in {} ms", file.objectName(), buffer.rows.size(), parquet.length,
                why, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
        // For lag dashboards only; recovery never reads it.
        consumer.commitAsync(Map.of(new TopicPartition(topic.name(), buffer.partition),
                new OffsetAndMetadata(buffer.last + 1)), (offsets, e) -> {
                    if (e != null) {
                        LOG.debug("monitoring offset commit failed: {}", e.toString());
                    }
                });
        buffer.clear();
    }

    private void maybeSnapshot() {
        if (!recovering.isEmpty() || !snapshotDirty
                || System.nanoTime() - lastSnapshotNanos < config.snapshotInterval().toNanos()) {
            return;
        }
        writeSnapshot("interval");
    }

    private void writeSnapshot(final String why) {
        final long began = System.nanoTime();
        // Flushing first makes the snapshot and the changelog agree on how far they reach.
        flushAll("snapshot");
        final List<GenericRecord> rows = new ArrayList<>(new TreeMap<>(latest).values());
        final StringJoiner offsets = new StringJoiner(",");
        for (final TopicPartition tp : consumer.assignment().stream()
                .sorted(Comparator.comparingInt(TopicPartition::partition)).toList()) {
            offsets.add(tp.partition() + ":" + consumer.position(tp));
        }
        final Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(SNAPSHOT_OFFSETS_KEY, offsets.toString());
        metadata.put("rtdw.snapshot.written_at", Instant.now().toString());
        // On local disk, not in the heap: one row per customer can be large. The upload is still one object.
        final java.nio.file.Path file;
        try {
            file = java.nio.file.Files.createTempFile("rtdw-snapshot-", ".parquet");
            java.nio.file.Files.delete(file);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create a temporary snapshot file", e);
        }
        try {
            LakeRows.parquet(rows, config.compression(), metadata, file);
            store.put(config.snapshotObject(), file);
        } finally {
            file.toFile().delete();
        }
        metrics.snapshotWritten(rows.size());
        snapshotDirty = false;
        lastSnapshotNanos = System.nanoTime();
        LOG.info("snapshot ({}): {} live customers at offsets {} in {} ms", why, rows.size(), offsets,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    /**
     * Instance 0 removes snapshot parts written under another instance count (after a scale change), so that
     * {@code snapshot/latest*.parquet} never mixes two generations.
     */
    private void removeStaleSnapshots() {
        if (config.instance() != 0) {
            return;
        }
        final String own = config.instances() == 1 ? "snapshot/latest.parquet"
                : "snapshot/latest-\\d+-of-" + config.instances() + "\\.parquet";
        for (final String name : store.list(SNAPSHOT_PREFIX)) {
            if (name.startsWith("snapshot/latest") && !name.matches(own)) {
                LOG.info("removing {}: written with another RTDW_LAKE_INSTANCES", name);
                store.delete(name);
            }
        }
    }

    private void deadLetter(final ConsumerRecord<byte[], byte[]> record, final RuntimeException e) {
        metrics.deadLetter();
        LOG.warn("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.toString());
        if (deadLetterProducer == null) {
            deadLetterProducer = new KafkaProducer<>(config.kafka().producer("rtdw-lake-sink-dead-letters"),
                    new ByteArraySerializer(), new ByteArraySerializer());
        }
        final String deadLetterTopic = config.catalog().lakeSinkDeadLetters().name();
        final DeadLetter letter = DeadLetters.of("lake-sink", record, "undeserializable record: " + e.getMessage(), e);
        try {
            // Synchronously: the record must be safe in the dead-letter topic before the sink moves past it.
            deadLetterProducer.send(new ProducerRecord<>(deadLetterTopic, record.key(),
                    deadLetterSerializer.serialize(deadLetterTopic, letter))).get(60, TimeUnit.SECONDS);
        } catch (final Exception sendFailure) {
            throw new IllegalStateException("cannot write to dead-letter topic " + deadLetterTopic, sendFailure);
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        if (deadLetterProducer != null) {
            deadLetterProducer.close(Duration.ofSeconds(5));
        }
    }

    /** Rows of one partition waiting for their file. */
    private static final class PartitionBuffer {
        private final int partition;
        private final List<GenericRecord> rows = new ArrayList<>();
        private LocalDate dt;
        private long first;
        private long last;
        private long openedNanos;
        private long oldestSourceTsMs;

        PartitionBuffer(final int partition) {
            this.partition = partition;
        }

        boolean isEmpty() {
            return rows.isEmpty();
        }

        void add(final LocalDate rowDt, final GenericRecord row, final long offset) {
            final long sourceTs = ((Instant) row.get("source_ts_ms")).toEpochMilli();
            if (rows.isEmpty()) {
                dt = rowDt;
                first = offset;
                openedNanos = System.nanoTime();
                oldestSourceTsMs = sourceTs;
            }
            rows.add(row);
            last = offset;
            oldestSourceTsMs = Math.min(oldestSourceTsMs, sourceTs);
        }

        void clear() {
            rows.clear();
            dt = null;
        }
    }
}
