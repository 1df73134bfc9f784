package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.Topic;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code rtdw dlq list|replay}: the dead letters of the catalog's dead-letter topics, and their re-injection into
 * the topic they came from (help/dlq.txt is the user's documentation). The logic is {@link #run}, which tests call
 * in-process.
 */
public final class DeadLetters {

    static final String COMMAND = "dlq";
    /** Header of a replayed record: the dead letter it re-injects, {@code dlq-topic/partition/offset}. */
    public static final String REPLAYED_FROM = "rtdw.replayed-from";
    /** Header of a replayed record: {@code original} (the bytes as they were) or {@code corrected} (--value-json). */
    public static final String REPLAY_KIND = "rtdw.replay-kind";
    /** How far before a dead letter's failed_at the check for an earlier replay starts (clock skew between hosts). */
    static final Duration CLOCK_MARGIN = Duration.ofHours(1);

    private DeadLetters() {
    }

    public static void main(final String[] args) {
        CommandLine.begin(COMMAND, args);
        System.exit(run(List.of(args), CommandLine.environment(), System.out, System.err));
    }

    /** Runs {@code rtdw dlq} with {@code args} over the variables {@code env}; returns the exit code. */
    public static int run(final List<String> args, final Map<String, String> env, final PrintStream out,
                   final PrintStream err) {
        final String action = args.isEmpty() ? "" : args.get(0);
        if (!action.equals("list") && !action.equals("replay")) {
            return Help.usageError(COMMAND, action.isEmpty() ? "list or replay?"
                    : "unknown action '" + action + "': list or replay", err);
        }
        final List<String> rest = args.subList(1, args.size());
        final CommandLine line;
        try {
            line = action.equals("list")
                    ? CommandLine.parse(rest, Set.of("--json"), Set.of("--topic", "--timeout"), Set.of())
                    : CommandLine.parse(rest, Set.of("--dry-run"), Set.of("--topic", "--partition", "--offset",
                    "--all-from", "--value-json", "--timeout"), Set.of("--partition", "--offset"));
            if (!line.operands().isEmpty()) {
                throw new CommandLine.Usage("unexpected " + line.operands());
            }
            line.number("--timeout", Tail.DEFAULT_TIMEOUT_S, 1, 86_400);
        } catch (final CommandLine.Usage e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        }
        final Deployment deployment = Deployment.fromEnv(COMMAND, env, err);
        if (deployment == null) {
            return Help.USAGE;
        }
        final Session session = new Session(deployment, line, out, err);
        try {
            return action.equals("list") ? session.list() : session.replay();
        } catch (final CommandLine.Usage e) {
            return Help.usageError(COMMAND, e.getMessage(), err);
        } catch (final TopicScan.Failed e) {
            err.println("rtdw dlq: " + e.getMessage());
            return Help.FAILED;
        } catch (final KafkaException e) {
            err.println("rtdw dlq: Kafka: " + RecordDecoder.rootMessage(e));
            return Help.FAILED;
        }
    }

    /** One dead letter as read from its topic. */
    record Letter(String id, ConsumerRecord<byte[], byte[]> record, GenericRecord value) {
        String stage() {
            return text("stage");
        }

        String reason() {
            return text("reason");
        }

        String sourceTopic() {
            return text("source_topic");
        }

        int sourcePartition() {
            return (Integer) value.get("source_partition");
        }

        long failedAtMs() {
            final Object at = value.get("failed_at_ms");
            return at instanceof Instant instant ? instant.toEpochMilli() : (Long) at;
        }

        byte[] original(final String part) {
            final Object bytes = value.get("original_" + part);
            if (bytes == null) {
                return null;
            }
            final ByteBuffer buffer = ((ByteBuffer) bytes).duplicate();
            final byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        }

        private String text(final String field) {
            final Object v = value.get(field);
            return v == null ? null : v.toString();
        }
    }

    static String id(final String topic, final int partition, final long offset) {
        return topic + "/" + partition + "/" + offset;
    }

    /** One run of the command: the deployment, the command line and the output streams. */
    private static final class Session {
        private final Deployment deployment;
        private final CommandLine line;
        private final PrintStream out;
        private final PrintStream err;
        private final RecordDecoder decoder;
        private final Duration timeout;
        /** Partitions of each source topic, looked up once per run. */
        private final Map<String, Integer> partitionCounts = new HashMap<>();

        Session(final Deployment deployment, final CommandLine line, final PrintStream out, final PrintStream err) {
            this.deployment = deployment;
            this.line = line;
            this.out = out;
            this.err = err;
            this.decoder = new RecordDecoder(deployment.catalog(), deployment.serdes());
            this.timeout = Duration.ofSeconds(line.value("--timeout").map(Long::parseLong).orElse(
                    (long) Tail.DEFAULT_TIMEOUT_S));
        }

        /** The dead-letter topics asked for: {@code --topic}, or all three of the catalog. */
        private List<Topic<?, ?>> deadLetterTopics() throws CommandLine.Usage {
            final List<Topic<?, ?>> all = List.of(deployment.catalog().cdcDeadLetters(),
                    deployment.catalog().streamsDeadLetters(), deployment.catalog().lakeSinkDeadLetters());
            final String wanted = line.value("--topic").orElse(null);
            if (wanted == null) {
                return all;
            }
            return all.stream().filter(t -> t.name().equals(wanted)).findFirst().<List<Topic<?, ?>>>map(List::of)
                    .orElseThrow(() -> new CommandLine.Usage("--topic " + wanted + " is not a dead-letter topic of "
                            + "the catalog: " + all.stream().map(Topic::name).toList()));
        }

        int list() throws CommandLine.Usage, TopicScan.Failed {
            final boolean json = line.has("--json");
            final Map<String, Integer> counts = new TreeMap<>();
            final List<String> missing = new ArrayList<>();
            final int[] total = {0};
            final List<Topic<?, ?>> topics = deadLetterTopics();
            try (TopicScan scan = new TopicScan(deployment.clients(), "rtdw-dlq-list", true, timeout)) {
                for (final Topic<?, ?> topic : topics) {
                    final List<TopicPartition> partitions;
                    try {
                        partitions = scan.partitions(topic.name());
                    } catch (final TopicScan.Failed e) {
                        missing.add(topic.name());
                        continue;
                    }
                    scan.bounded(scan.beginning(partitions), scan.end(partitions), timeout, record -> {
                        final JsonNode decoded = decoder.line(topic, record, false);
                        out.println(json ? Tail.json(decoded) : text(decoded));
                        final JsonNode value = decoded.path("value");
                        counts.merge(value.path("stage").asText("(undecodable)") + "  "
                                + kind(value.path("reason").asText(decoded.path("error").asText())), 1, Integer::sum);
                        total[0]++;
                        return true;
                    });
                }
            }
            final PrintStream summary = json ? err : out;
            summary.println(total[0] + " dead letter" + (total[0] == 1 ? "" : "s") + " in "
                    + topics.stream().map(Topic::name).filter(n -> !missing.contains(n)).toList()
                    + (counts.isEmpty() ? "" : "; by stage and reason:"));
            counts.forEach((k, n) -> summary.printf("  %6d  %s%n", n, k));
            if (!missing.isEmpty()) {
                err.println("rtdw dlq: not on the cluster: " + missing);
                return Help.FAILED;
            }
            return Help.OK;
        }

        /** A reason's kind for the summary: its text up to the first ':' (the rest names offsets and values). */
        private static String kind(final String reason) {
            final int colon = reason.indexOf(':');
            final String k = colon > 0 ? reason.substring(0, colon) : reason;
            return k.length() > 100 ? k.substring(0, 100) + "..." : k;
        }

        /** One dead letter on one line, for people. */
        private static String text(final JsonNode line) {
            final StringBuilder s = new StringBuilder(id(line.path("topic").asText(), line.path("partition").asInt(),
                    line.path("offset").asLong()));
            if (line.has("error")) {
                return s.append(" undecodable dead letter: ").append(line.path("error").asText()).append(" raw=")
                        .append(line.path("raw_value").asText()).toString();
            }
            final JsonNode v = line.path("value");
            s.append(" failed_at=").append(v.path("failed_at_ms").asText())
                    .append(" stage=").append(v.path("stage").asText())
                    .append(" source=").append(v.path("source_topic").isNull() ? "-"
                            : id(v.path("source_topic").asText(), v.path("source_partition").asInt(),
                            v.path("source_offset").asLong()))
                    .append(" position=").append(v.path("source_position").isNull() ? "-"
                            : v.path("source_position").asText())
                    .append(" error_class=").append(v.path("error_class").isNull() ? "-"
                            : v.path("error_class").asText())
                    .append(" reason=").append(Tail.json(v.path("reason")));
            for (final String part : List.of("key", "value")) {
                s.append(' ').append(part).append('=');
                if (v.has("original_" + part + "_decoded")) {
                    s.append(Tail.json(v.get("original_" + part + "_decoded")));
                } else if (v.path("original_" + part).isNull()) {
                    s.append("null");
                } else {
                    final String raw = v.path("original_" + part).asText();
                    s.append("(not decoded: ").append(v.path("original_" + part + "_error").asText()).append(") base64:")
                            .append(raw.length() > 64 ? raw.substring(0, 64) + "..." : raw);
                }
            }
            return s.toString();
        }

        int replay() throws CommandLine.Usage, TopicScan.Failed {
            final boolean dryRun = line.has("--dry-run");
            final String stage = line.value("--all-from").orElse(null);
            final List<Letter> letters = stage != null ? allFrom(stage) : selected();
            if (letters.isEmpty()) {
                err.println("rtdw dlq: no dead letter of stage '" + stage + "' in " + deadLetterTopics().stream()
                        .map(Topic::name).toList() + ": nothing to replay");
                return Help.FAILED;
            }
            // Everything is checked before anything is written: exit 2 means nothing was re-injected.
            final List<Planned> plan = new ArrayList<>();
            try (TopicScan scan = new TopicScan(deployment.clients(), "rtdw-dlq-replay-check", false, timeout)) {
                for (final Letter letter : letters) {
                    plan.add(plan(letter, scan));
                }
                final Map<String, String> earlier = earlierReplays(plan, scan);
                final List<Planned> todo = new ArrayList<>();
                for (final Planned p : plan) {
                    final String at = earlier.get(p.letter.id());
                    if (at == null) {
                        todo.add(p);
                    } else if (stage == null) {
                        throw new CommandLine.Usage("dead letter " + p.letter.id() + " was replayed before, as " + at
                                + ": not again (a second copy would be applied twice if it is not stale)");
                    } else {
                        err.println("rtdw dlq: " + p.letter.id() + " was replayed before, as " + at + ": skipped");
                    }
                }
                return write(todo, dryRun);
            }
        }

        /** The dead letters named by {@code --partition P --offset N} pairs in {@code --topic}. */
        private List<Letter> selected() throws CommandLine.Usage, TopicScan.Failed {
            if (!line.has("--topic")) {
                throw new CommandLine.Usage("which dead letters? --topic DLQ --offset N (or --all-from STAGE)");
            }
            final Topic<?, ?> topic = deadLetterTopics().get(0);
            final Set<TopicPartition> wantedPartitions = new LinkedHashSet<>();
            final Set<String> wanted = new LinkedHashSet<>();
            final List<long[]> positions = new ArrayList<>();
            int partition = 0;
            boolean pending = false;
            for (final CommandLine.Option o : line.options()) {
                if (o.name().equals("--partition")) {
                    partition = (int) CommandLine.number("--partition", o.value(), 0, Integer.MAX_VALUE);
                    pending = true;
                } else if (o.name().equals("--offset")) {
                    final long offset = CommandLine.number("--offset", o.value(), 0, Long.MAX_VALUE);
                    if (wanted.add(id(topic.name(), partition, offset))) {
                        positions.add(new long[] {partition, offset});
                        wantedPartitions.add(new TopicPartition(topic.name(), partition));
                    }
                    pending = false;
                }
            }
            if (positions.isEmpty()) {
                throw new CommandLine.Usage("which dead letters of " + topic.name() + "? --offset N (several allowed)");
            }
            if (pending) {
                throw new CommandLine.Usage("--partition without a following --offset");
            }
            if (line.has("--value-json") && positions.size() != 1) {
                throw new CommandLine.Usage("--value-json corrects one dead letter: give exactly one --offset");
            }
            final List<Letter> letters = new ArrayList<>();
            try (TopicScan scan = new TopicScan(deployment.clients(), "rtdw-dlq-replay", true, timeout)) {
                final List<TopicPartition> partitions = scan.partitions(topic.name());
                final Map<TopicPartition, Long> begin = scan.beginning(partitions);
                final Map<TopicPartition, Long> end = scan.end(partitions);
                for (final long[] position : positions) {
                    final TopicPartition tp = new TopicPartition(topic.name(), (int) position[0]);
                    if (!begin.containsKey(tp)) {
                        throw new CommandLine.Usage(topic.name() + " has no partition " + tp.partition());
                    }
                    if (position[1] < begin.get(tp) || position[1] >= end.get(tp)) {
                        throw new CommandLine.Usage("no dead letter at " + id(topic.name(), tp.partition(), position[1])
                                + ": the partition holds offsets " + begin.get(tp) + ".." + (end.get(tp) - 1));
                    }
                    final List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
                    scan.bounded(Map.of(tp, position[1]), Map.of(tp, position[1] + 1), timeout, found::add);
                    if (found.isEmpty()) {
                        throw new CommandLine.Usage("no dead letter at " + id(topic.name(), tp.partition(), position[1])
                                + " (a transaction marker or an aborted record)");
                    }
                    letters.add(letter(topic, found.get(0)));
                }
            }
            return letters;
        }

        /** Every dead letter of stage {@code stage} in the dead-letter topics asked for. */
        private List<Letter> allFrom(final String stage) throws CommandLine.Usage, TopicScan.Failed {
            if (line.has("--offset") || line.has("--partition") || line.has("--value-json")) {
                throw new CommandLine.Usage("--all-from replays the original bytes of a whole stage: no --offset, "
                        + "--partition or --value-json with it");
            }
            final List<Letter> letters = new ArrayList<>();
            try (TopicScan scan = new TopicScan(deployment.clients(), "rtdw-dlq-replay", true, timeout)) {
                for (final Topic<?, ?> topic : deadLetterTopics()) {
                    final List<TopicPartition> partitions = scan.partitions(topic.name());
                    final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
                    scan.bounded(scan.beginning(partitions), scan.end(partitions), timeout, records::add);
                    for (final ConsumerRecord<byte[], byte[]> record : records) {
                        final Letter letter = letter(topic, record);
                        if (stage.equals(letter.stage())) {
                            letters.add(letter);
                        }
                    }
                }
            }
            return letters;
        }

        private Letter letter(final Topic<?, ?> topic, final ConsumerRecord<byte[], byte[]> record)
                throws CommandLine.Usage {
            final String id = id(record.topic(), record.partition(), record.offset());
            if (record.value() == null) {
                throw new CommandLine.Usage(id + " is a tombstone, not a dead letter");
            }
            try {
                return new Letter(id, record, decoder.registryValue(topic, record.value()));
            } catch (final RecordDecoder.DecodeException e) {
                throw new CommandLine.Usage(id + " does not decode as a dead letter: " + e.getMessage());
            }
        }

        /** What will be written for one dead letter. */
        private record Planned(Letter letter, String topic, int partition, byte[] key, byte[] value, String kind) {
        }

        private Planned plan(final Letter letter, final TopicScan scan) throws CommandLine.Usage, TopicScan.Failed {
            final String source = letter.sourceTopic();
            if (source == null) {
                throw new CommandLine.Usage("dead letter " + letter.id() + " (stage " + letter.stage() + ") has no "
                        + "source topic: it never reached Kafka (e.g. a CDC row that could not be mapped), so there is "
                        + "nothing to re-inject; fix it at the source");
            }
            final Topic<?, ?> target = decoder.topic(source).orElseThrow(() -> new CommandLine.Usage("dead letter "
                    + letter.id() + " came from " + source + ", which is not a topic of the catalog "
                    + "(RTDW_TOPIC_PREFIX ...?)"));
            if (!partitionCounts.containsKey(target.name())) {
                partitionCounts.put(target.name(), scan.partitions(target.name()).size());
            }
            final int partitions = partitionCounts.get(target.name());
            final byte[] key = letter.original("key");
            if (line.has("--value-json")) {
                final SpecificRecord value = correctedValue(target);
                final byte[] bytes = serialize(target, value);
                return new Planned(letter, target.name(), correctedPartition(letter, value, partitions), key, bytes,
                        "corrected");
            }
            final byte[] value = letter.original("value");
            if (value == null) {
                throw new CommandLine.Usage("dead letter " + letter.id() + " has no original value to re-inject"
                        + " (give one with --value-json FILE)");
            }
            if (letter.sourcePartition() < 0 || letter.sourcePartition() >= partitions) {
                throw new CommandLine.Usage("dead letter " + letter.id() + " names partition "
                        + letter.sourcePartition() + " of " + source + ", which has " + partitions);
            }
            return new Planned(letter, target.name(), letter.sourcePartition(), key, value, "original");
        }

        private SpecificRecord correctedValue(final Topic<?, ?> target) throws CommandLine.Usage {
            final Path file = Path.of(line.value("--value-json").orElseThrow());
            final JsonNode json;
            try {
                json = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
            } catch (final IOException e) {
                throw new CommandLine.Usage("--value-json " + file + ": " + (e instanceof java.nio.file.NoSuchFileException
                        ? "no such file" : "not JSON: " + e.getMessage()));
            }
            if (json == null || !json.isObject()) {
                throw new CommandLine.Usage("--value-json " + file + ": a JSON object is needed (one "
                        + target.valueType().getSimpleName() + ")");
            }
            try {
                return AvroJson.fromJson(json, target.valueType().asSubclass(SpecificRecord.class));
            } catch (final IllegalArgumentException e) {
                throw new CommandLine.Usage("--value-json " + file + " does not fit the schema of " + target.name()
                        + " (" + target.valueType().getSimpleName() + "): " + e.getMessage());
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private byte[] serialize(final Topic<?, ?> target, final SpecificRecord value) {
            return deployment.serdes().valueSerde((Topic) target).serializer().serialize(target.name(), value);
        }

        /**
         * The partition of a corrected change: the partition its customer's changes go to (the streams app refuses
         * others as misrouted); the dead letter's own partition when the change goes to several (a broadcast).
         */
        private static int correctedPartition(final Letter letter, final SpecificRecord value, final int partitions)
                throws CommandLine.Usage {
            final int[] allowed;
            try {
                allowed = CustomerPartitioner.partitions(value, partitions);
            } catch (final IllegalArgumentException e) {
                // Not a change of the CDC topics (e.g. the output topic): where the dead letter came from.
                return Math.max(letter.sourcePartition(), 0);
            }
            if (Arrays.stream(allowed).anyMatch(p -> p == letter.sourcePartition())) {
                return letter.sourcePartition();
            }
            if (allowed.length == 1) {
                return allowed[0];
            }
            throw new CommandLine.Usage("the corrected change of " + letter.id() + " goes to partitions "
                    + Arrays.toString(allowed) + ", not to the dead letter's " + letter.sourcePartition());
        }

        /**
         * The dead letters among {@code plan} that were replayed before: the records of each target partition since
         * the earliest failed_at (less {@link #CLOCK_MARGIN}) carrying {@link #REPLAYED_FROM}, read uncommitted (a
         * replay is not transactional). Returns dead letter id to the record that re-injected it.
         */
        private Map<String, String> earlierReplays(final List<Planned> plan, final TopicScan scan)
                throws TopicScan.Failed {
            final Map<TopicPartition, Long> since = new HashMap<>();
            for (final Planned p : plan) {
                since.merge(new TopicPartition(p.topic, p.partition), p.letter.failedAtMs() - CLOCK_MARGIN.toMillis(),
                        Math::min);
            }
            final Set<String> ids = new LinkedHashSet<>();
            plan.forEach(p -> ids.add(p.letter.id()));
            final Map<String, String> found = new HashMap<>();
            for (final Map.Entry<TopicPartition, Long> e : since.entrySet()) {
                final List<TopicPartition> one = List.of(e.getKey());
                scan.bounded(scan.since(one, Math.max(0, e.getValue())), scan.end(one), timeout, record -> {
                    final Header header = record.headers().lastHeader(REPLAYED_FROM);
                    if (header != null) {
                        final String from = new String(header.value(), StandardCharsets.UTF_8);
                        if (ids.contains(from)) {
                            found.putIfAbsent(from, id(record.topic(), record.partition(), record.offset()) + " at "
                                    + Instant.ofEpochMilli(record.timestamp()));
                        }
                    }
                    return true;
                });
            }
            return found;
        }

        private int write(final List<Planned> todo, final boolean dryRun) {
            if (dryRun) {
                todo.forEach(p -> out.println("would replay " + p.letter.id() + " -> " + p.topic + "/" + p.partition
                        + " (" + p.kind + " value, " + p.value.length + " bytes; reason was: " + p.letter.reason() + ")"));
                out.println(todo.size() + " dead letter(s) would be replayed (dry run: nothing written)");
                return Help.OK;
            }
            final Map<String, Object> config = deployment.clients().producer("rtdw-dlq-replay");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                int done = 0;
                for (final Planned p : todo) {
                    final List<Header> headers = List.of(
                            new RecordHeader(REPLAYED_FROM, p.letter.id().getBytes(StandardCharsets.UTF_8)),
                            new RecordHeader(REPLAY_KIND, p.kind.getBytes(StandardCharsets.UTF_8)));
                    try {
                        final RecordMetadata written = producer.send(new ProducerRecord<>(p.topic, p.partition,
                                System.currentTimeMillis(), p.key, p.value, headers)).get(timeout.toSeconds(),
                                TimeUnit.SECONDS);
                        out.println("replayed " + p.letter.id() + " -> " + id(written.topic(), written.partition(),
                                written.offset()) + " (" + p.kind + " value)");
                        done++;
                    } catch (final ExecutionException | TimeoutException e) {
                        err.println("rtdw dlq: cannot write " + p.letter.id() + " to " + p.topic + ": "
                                + RecordDecoder.rootMessage(e) + " (" + done + " of " + todo.size()
                                + " replayed before it; run again: replayed ones are skipped with --all-from)");
                        return Help.FAILED;
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Help.FAILED;
                    }
                }
                out.println(done + " dead letter(s) replayed");
                return Help.OK;
            }
        }
    }
}
