package io.rtdw.bench;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the unified customer topic with {@code read_committed} on a background thread, as a downstream consumer
 * does: keeps the last record per customer, counts repeated (customer, version) pairs, records the freshness of
 * each record ({@code now - source_ts_ms}) in a histogram while asked to, and tells when a given customer record
 * (a "sentinel" update) has become visible.
 */
public final class OutputWatcher implements AutoCloseable {

    /** Freshness values above this (ms) are clamped: one hour. */
    private static final long MAX_LATENCY_MS = 3_600_000L;

    private record Wanted(int customerId, String profession, CompletableFuture<Long> seenAt) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Deserializer<CustomerKey> keys;
    private final Deserializer<UnifiedCustomer> values;
    private final String topic;
    private final Thread thread;
    private final Map<Integer, UnifiedCustomer> latest = new TreeMap<>();
    private final Map<Integer, Long> lastVersion = new HashMap<>();
    private final Set<String> seen = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private final List<Wanted> wanted = new ArrayList<>();
    private Histogram latency;
    private long records;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    /** Starts reading from the beginning ({@code fromBeginning}) or from the current end of the topic. */
    public OutputWatcher(final String bootstrap, final Topic<CustomerKey, UnifiedCustomer> output,
                         final RegistrySerdes registry, final boolean fromBeginning) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        // The measuring consumer must not add latency of its own: answer fetches within 10 ms.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        topic = output.name();
        keys = RegistrySerdes.keySerde(output).deserializer();
        values = registry.valueSerde(output).deserializer();
        final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fix the start now, not at the first poll
        }
        thread = new Thread(this::loop, "output-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    final long now = System.currentTimeMillis();
                    final CustomerKey key = keys.deserialize(topic, r.key());
                    final UnifiedCustomer value = r.value() == null ? null : values.deserialize(topic, r.value());
                    accept(key.getId(), value, now);
                }
            }
        } catch (final WakeupException e) {
            // closing
        } catch (final RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private synchronized void accept(final int id, final UnifiedCustomer value, final long now) {
        records++;
        if (value == null) {
            latest.remove(id);
            return;
        }
        if (!seen.add(id + "@" + value.getVersion())) {
            problems.add("customer " + id + " version " + value.getVersion() + " written twice");
        }
        final Long previous = lastVersion.put(id, value.getVersion());
        if (previous != null && value.getVersion() != previous + 1) {
            problems.add("customer " + id + " version " + value.getVersion() + " after " + previous);
        }
        if (value.getDeleted()) {
            latest.remove(id);
        } else {
            latest.put(id, value);
        }
        if (latency != null) {
            latency.recordValue(Math.min(MAX_LATENCY_MS, Math.max(0, now - value.getSourceTsMs().toEpochMilli())));
        }
        for (final Wanted w : wanted) {
            if (w.customerId() == id && w.profession().equals(value.getProfession())) {
                w.seenAt().complete(now);
            }
        }
        wanted.removeIf(w -> w.seenAt().isDone());
    }

    /**
     * Forgets the versions seen so far: a streams app with a new application id starts every customer's version at
     * 1 again, so version checks only make sense per app.
     */
    public synchronized void resetVersions() {
        seen.clear();
        lastVersion.clear();
    }

    /** Starts recording freshness (now - source_ts_ms) of every live record read from now on. */
    public synchronized void startLatency() {
        latency = new Histogram(MAX_LATENCY_MS, 3);
    }

    /** Stops recording and returns what was recorded. */
    public synchronized Histogram stopLatency() {
        final Histogram h = latency == null ? new Histogram(MAX_LATENCY_MS, 3) : latency;
        latency = null;
        return h;
    }

    /** Completes with the wall-clock time (ms) at which a record of the customer with this profession is read. */
    public synchronized CompletableFuture<Long> awaitRecord(final int customerId, final String profession) {
        final Wanted w = new Wanted(customerId, profession, new CompletableFuture<>());
        final UnifiedCustomer current = latest.get(customerId);
        if (current != null && profession.equals(current.getProfession())) {
            w.seenAt().complete(System.currentTimeMillis());
        } else {
            wanted.add(w);
        }
        return w.seenAt();
    }

    /** The live customers as the output says now (deleted ones and tombstoned ones absent). */
    public synchronized Map<Integer, UnifiedCustomer> state() {
        check();
        return new TreeMap<>(latest);
    }

    /** Repeated or skipped versions seen so far (empty when the output is clean). */
    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    public synchronized long records() {
        check();
        return records;
    }

    private void check() {
        if (failure != null) {
            throw new IllegalStateException("output reader failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
