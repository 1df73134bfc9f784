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
 * Counts committed changes arriving on some topics from now on ({@code read_committed}, background thread), and
 * records {@code now - record timestamp} (the CDC topics carry the source commit time as timestamp) while asked.
 * A change written to several partitions (a child moving to another customer goes to both customers' partitions,
 * one whose customer is unknown to all) counts once: copies have the same bytes (the value carries the change's
 * own source position, so two different changes never do).
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

    public TopicCounter(final String bootstrap, final List<String> topics) {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        // The measuring consumer must not add latency of its own: answer fetches within 10 ms.
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        final List<TopicPartition> partitions = new ArrayList<>();
        for (final String topic : topics) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        thread = new Thread(this::loop, "topic-counter");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                final var records = consumer.poll(Duration.ofMillis(100));
                final long now = System.currentTimeMillis();
                synchronized (this) {
                    for (final ConsumerRecord<byte[], byte[]> r : records) {
                        if (counted.add(((long) java.util.Arrays.hashCode(r.key()) << 32)
                                ^ (java.util.Arrays.hashCode(r.value()) & 0xFFFFFFFFL) ^ r.topic().hashCode())) {
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
