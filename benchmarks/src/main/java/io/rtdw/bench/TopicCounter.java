package io.rtdw.bench;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts committed records arriving on some topics from now on ({@code read_committed}, background thread), and
 * records {@code now - record timestamp} (the CDC topics carry the source commit time as timestamp) while asked.
 * Counting {@code distinctChanges}, a change written to several partitions (a child moving to another customer goes
 * to both customers' partitions, one whose customer is unknown to all) counts once: its copies have the same bytes
 * (a CDC value carries the change's own source position, so two different changes never do), told apart by a
 * 64-bit hash of topic, timestamp, key and value.
 */
public final class TopicCounter implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;
    private long count;
    private final java.util.Set<Long> counted = new java.util.HashSet<>();
    private long lastArrivalNanos;
    private long firstArrivalNanos;
    private Histogram latency;

    private final boolean distinctChanges;

    public TopicCounter(final String bootstrap, final List<String> topics) {
        this(bootstrap, topics, false);
    }

    public TopicCounter(final String bootstrap, final List<String> topics, final boolean distinctChanges) {
        this.distinctChanges = distinctChanges;
        consumer = atEnd(bootstrap, topics, "read_committed");
        thread = new Thread(this::loop, "topic-counter");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A measuring consumer assigned every partition of {@code topics}, positioned at their current end (fixed now,
     * not at the first poll), with {@code isolation} ({@code read_committed} or {@code read_uncommitted}).
     */
    static KafkaConsumer<byte[], byte[]> atEnd(final String bootstrap, final List<String> topics,
                                               final String isolation) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        // The measuring consumer must not add latency of its own: answer fetches within 10 ms.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final String topic : topics) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    private void loop() {
        try {
            while (running) {
                final var records = consumer.poll(Duration.ofMillis(100));
                final long now = System.currentTimeMillis();
                synchronized (this) {
                    for (final ConsumerRecord<byte[], byte[]> r : records) {
                        if (!distinctChanges || counted.add(hash(r))) {
                            count++;
                        }
                        if (latency != null) {
                            latency.recordValue(Math.min(3_600_000L, Math.max(0, now - r.timestamp())));
                        }
                    }
                    if (!records.isEmpty()) {
                        lastArrivalNanos = System.nanoTime();
                        if (firstArrivalNanos == 0) {
                            firstArrivalNanos = lastArrivalNanos;
                        }
                    }
                    notifyAll();
                }
            }
        } catch (final WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** FNV-1a, 64 bits, over topic, timestamp, key and value. */
    private static long hash(final ConsumerRecord<byte[], byte[]> r) {
        long h = 0xcbf29ce484222325L ^ r.topic().hashCode() ^ (r.timestamp() * 0x9E3779B97F4A7C15L);
        for (final byte[] part : new byte[][] {r.key(), r.value()}) {
            if (part != null) {
                for (final byte b : part) {
                    h = (h ^ (b & 0xff)) * 0x100000001b3L;
                }
            }
            h = (h ^ 0xff) * 0x100000001b3L;
        }
        return h;
    }

    public synchronized long count() {
        return count;
    }

    /** Waits until {@code n} records have arrived; returns the nanoTime of the arrival that reached it. */
    public synchronized long awaitCount(final long n, final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (count < n) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("only " + count + " of " + n + " records after " + timeout);
            }
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, 100_000_000L));
        }
        return lastArrivalNanos;
    }

    /** nanoTime of the first poll that returned records (0: none yet). */
    public synchronized long firstArrivalNanos() {
        return firstArrivalNanos;
    }

    public synchronized void startLatency() {
        latency = new Histogram(3_600_000L, 3);
    }

    public synchronized Histogram stopLatency() {
        final Histogram h = latency == null ? new Histogram(3_600_000L, 3) : latency;
        latency = null;
        return h;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
