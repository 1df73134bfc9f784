package io.rtdw.bench;

import io.rtdw.catalog.Topic;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Where a change's time goes, hop by hop, measured from the outside of whatever topology the app builds. Three
 * readers, each on its own thread, note when records become visible:
 * <ul>
 *   <li>the CDC topics (the capture's producer is not transactional, so a record is visible once appended): the
 *   first arrival of each record timestamp, which the capture sets to the source commit time;</li>
 *   <li>the output topic {@code read_uncommitted}: when the app appended each (customer, version), before its
 *   transaction commits;</li>
 *   <li>the output topic {@code read_committed}: when a downstream consumer can see it.</li>
 * </ul>
 * For every committed output record, with {@code T} its {@code source_ts_ms} (commit time of the newest change in
 * it): end to end = visible - T, split exactly into capture (first CDC record of commit time T - T), processing
 * (appended - that CDC arrival: the app's poll, processing and produce) and commit wait (visible - appended: the
 * rest of the app's transaction). Commits within the same millisecond share a CDC arrival (the first). An output
 * record whose {@code T} is not the commit time of a change seen on the CDC topics while recording (a customer
 * re-emitted after a child left it carries its older newest time) is not a commit-to-output sample: it is counted
 * as unmatched and only enters the freshness histogram ({@code now - T} of every committed record).
 */
final class HopLatency implements AutoCloseable {

    private static final long MAX_MS = 3_600_000L;

    /** Split of one run: histograms in ms, and how many committed output records could be split. */
    record Result(Histogram endToEnd, Histogram capture, Histogram processing, Histogram commitWait,
                  Histogram cdcAll, Histogram freshness, long split, long unmatched) {
    }

    private record Committed(int id, long version, long sourceTs, long visibleAt) {
    }

    private final Map<Long, Long> cdcArrival = new ConcurrentHashMap<>();
    private final Map<Long, Long> appendedAt = new ConcurrentHashMap<>();
    private final List<Committed> committed = new ArrayList<>();
    private final Histogram cdcAll = new Histogram(MAX_MS, 3);
    private final List<Reader> readers = new ArrayList<>();
    private volatile boolean recording;

    HopLatency(final String bootstrap, final List<String> cdcTopics,
               final Topic<CustomerKey, UnifiedCustomer> output, final RegistrySerdes registry) {
        final Deserializer<CustomerKey> keys = RegistrySerdes.keySerde(output).deserializer();
        final Deserializer<UnifiedCustomer> values = registry.valueSerde(output).deserializer();
        readers.add(new Reader(bootstrap, cdcTopics, "read_committed", r -> {
            final long now = System.currentTimeMillis();
            if (recording) {
                cdcArrival.putIfAbsent(r.timestamp(), now);
                synchronized (cdcAll) {
                    cdcAll.recordValue(clamp(now - r.timestamp()));
                }
            }
        }));
        readers.add(new Reader(bootstrap, List.of(output.name()), "read_uncommitted", r -> {
            final long now = System.currentTimeMillis();
            if (recording && r.value() != null) {
                final UnifiedCustomer v = values.deserialize(output.name(), r.value());
                appendedAt.putIfAbsent(slot(keys.deserialize(output.name(), r.key()).getId(), v.getVersion()), now);
            }
        }));
        readers.add(new Reader(bootstrap, List.of(output.name()), "read_committed", r -> {
            final long now = System.currentTimeMillis();
            if (recording && r.value() != null) {
                final int id = keys.deserialize(output.name(), r.key()).getId();
                if (id < LoadWriter.SENTINEL_BASE) {
                    final UnifiedCustomer v = values.deserialize(output.name(), r.value());
                    synchronized (committed) {
                        committed.add(new Committed(id, v.getVersion(), v.getSourceTsMs().toEpochMilli(), now));
                    }
                }
            }
        }));
    }

    private static long slot(final int id, final long version) {
        return ((long) id << 32) ^ version;
    }

    private static long clamp(final long ms) {
        return Math.min(MAX_MS, Math.max(0, ms));
    }

    void start() {
        recording = true;
    }

    /**
     * Waits until the uncommitted output reader has seen every (customer, version) the committed reader has (it reads
     * the same partitions, so it gets there), or the deadline passes; records still missing then count as unmatched.
     */
    void awaitAppendedSeen(final Duration deadline) throws InterruptedException {
        final long end = System.nanoTime() + deadline.toNanos();
        while (System.nanoTime() < end) {
            final boolean seen;
            synchronized (committed) {
                seen = committed.stream().allMatch(c -> appendedAt.containsKey(slot(c.id(), c.version())));
            }
            if (seen) {
                return;
            }
            Thread.sleep(20);
        }
    }

    /** Stops recording (call after the sentinel drained: everything written is visible) and splits. */
    Result stop() {
        recording = false;
        final Histogram e2e = new Histogram(MAX_MS, 3);
        final Histogram freshness = new Histogram(MAX_MS, 3);
        final Histogram capture = new Histogram(MAX_MS, 3);
        final Histogram processing = new Histogram(MAX_MS, 3);
        final Histogram commit = new Histogram(MAX_MS, 3);
        long split = 0;
        long unmatched = 0;
        synchronized (committed) {
            for (final Committed c : committed) {
                freshness.recordValue(clamp(c.visibleAt() - c.sourceTs()));
                final Long cdc = cdcArrival.get(c.sourceTs());
                final Long appended = appendedAt.get(slot(c.id(), c.version()));
                if (cdc == null || appended == null) {
                    unmatched++;
                    continue;
                }
                e2e.recordValue(clamp(c.visibleAt() - c.sourceTs()));
                capture.recordValue(clamp(cdc - c.sourceTs()));
                processing.recordValue(clamp(appended - cdc));
                commit.recordValue(clamp(c.visibleAt() - appended));
                split++;
            }
        }
        synchronized (cdcAll) {
            return new Result(e2e, capture, processing, commit, cdcAll.copy(), freshness, split, unmatched);
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (final Reader r : readers) {
            r.close();
        }
    }

    /** One consumer from the end of its topics on its own thread. */
    private static final class Reader implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        Reader(final String bootstrap, final List<String> topics, final String isolation,
               final Consumer<ConsumerRecord<byte[], byte[]>> onRecord) {
            consumer = TopicCounter.atEnd(bootstrap, topics, isolation);
            thread = new Thread(() -> {
                try {
                    while (running) {
                        consumer.poll(Duration.ofMillis(100)).forEach(onRecord);
                    }
                } catch (final WakeupException e) {
                    // closing
                } finally {
                    consumer.close(Duration.ofSeconds(5));
                }
            }, "hop-reader-" + isolation);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
        }
    }
}
