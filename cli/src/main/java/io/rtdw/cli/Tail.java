package io.rtdw.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.rtdw.catalog.Topic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * {@code rtdw tail TOPIC}: the records of a catalog topic decoded to JSON lines (help/tail.txt says what each
 * option does). The logic is {@link #run}, which tests call in-process.
 */
public final class Tail {

    static final String COMMAND = "tail";
    static final int DEFAULT_LAST = 10;
    static final int DEFAULT_TIMEOUT_S = 60;
    private static final ObjectWriter JSON = new ObjectMapper().writer();

    private Tail() {
    }

    public static void main(final String[] args) {
        CommandLine.begin(COMMAND, args);
        final PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out),
                1 << 16), false, StandardCharsets.UTF_8);
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.set(true);
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rtdw-tail-stop"));
        final int code = run(List.of(args), CommandLine.environment(), out, System.err, stop::get);
        out.flush();
        done.countDown();
        System.exit(code);
    }

    /**
     * Runs {@code rtdw tail} with {@code args} over the variables {@code env}; stops following when {@code stop}
     * says so (Ctrl-C in {@link #main}). Returns the exit code.
     */
    public static int run(final List<String> args, final Map<String, String> env, final PrintStream out,
                   final PrintStream err, final BooleanSupplier stop) {
        final CommandLine line;
        final long max;
        final long last;
        final long timeoutS;
        final Integer partition;
        try {
            line = CommandLine.parse(args, Set.of("--from-beginning", "--key", "--follow", "--read-uncommitted"),
                    Set.of("--max", "--partition", "--last", "--timeout"), Set.of());
            if (line.operands().size() != 1) {
                throw new CommandLine.Usage(line.operands().isEmpty() ? "which TOPIC? (one topic name is needed)"
                        : "one TOPIC only, got " + line.operands());
            }
            max = line.number("--max", Long.MAX_VALUE, 1, Long.MAX_VALUE);
            last = line.number("--last", DEFAULT_LAST, 0, Integer.MAX_VALUE);
            timeoutS = line.number("--timeout", DEFAULT_TIMEOUT_S, 1, 86_400);
            partition = line.has("--partition") ? (int) line.number("--partition", 0, 0, Integer.MAX_VALUE) : null;
            if (line.has("--last") && (line.has("--from-beginning") || line.has("--follow"))) {
                throw new CommandLine.Usage("--last is for a one-off read without --from-beginning and --follow");
            }
            if (line.has("--timeout") && line.has("--follow")) {
                throw new CommandLine.Usage("--timeout is for a one-off read; --follow runs until Ctrl-C or --max");
            }
        } catch (final CommandLine.Usage e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        final Deployment deployment = Deployment.fromEnv(COMMAND, env, err);
        if (deployment == null) {
            return Help.USAGE;
        }
        final RecordDecoder decoder = new RecordDecoder(deployment.catalog(), deployment.serdes());
        final String name = line.operands().get(0);
        final Topic<?, ?> topic = decoder.topic(name).orElse(null);
        if (topic == null) {
            return Help.usageError(COMMAND, "'" + name + "' is not a topic of the catalog; its topics are: "
                    + String.join(", ", decoder.topicNames()), err);
        }
        final boolean withKey = line.has("--key");
        final boolean follow = line.has("--follow");
        try (TopicScan scan = new TopicScan(deployment.clients(), "rtdw-tail", !line.has("--read-uncommitted"),
                Duration.ofSeconds(timeoutS))) {
            List<TopicPartition> partitions = scan.partitions(topic.name());
            if (partition != null) {
                if (partition >= partitions.size()) {
                    return Help.usageError(COMMAND, "--partition " + partition + ": " + topic.name() + " has "
                            + partitions.size() + " partitions (0.." + (partitions.size() - 1) + ")", err);
                }
                partitions = List.of(partitions.get(partition));
            }
            final Map<TopicPartition, Long> begin = scan.beginning(partitions);
            final Map<TopicPartition, Long> end = scan.end(partitions);
            final Map<TopicPartition, Long> start = new HashMap<>();
            for (final TopicPartition p : partitions) {
                start.put(p, line.has("--from-beginning") ? begin.get(p)
                        : follow ? end.get(p) : Math.max(begin.get(p), end.get(p) - last));
            }
            final AtomicLong printed = new AtomicLong();
            final java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>>
                    print = record -> {
                        out.println(json(decoder.line(topic, record, withKey)));
                        if (follow) {
                            out.flush();
                        }
                        return printed.incrementAndGet() < max && !stop.getAsBoolean();
                    };
            if (follow) {
                scan.follow(start, stop, print);
            } else {
                scan.bounded(start, end, Duration.ofSeconds(timeoutS), print);
            }
            out.flush();
            return Help.OK;
        } catch (final TopicScan.Failed e) {
            out.flush();
            err.println("rtdw tail: " + e.getMessage());
            return Help.FAILED;
        } catch (final KafkaException e) {
            out.flush();
            err.println("rtdw tail: Kafka: " + RecordDecoder.rootMessage(e));
            return Help.FAILED;
        }
    }

    static String json(final Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (final JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
