package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.runtime.KafkaClients;
import io.rtdw.runtime.OpsServer;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.PlainAvroSerde;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.StreamsApp;
import io.rtdw.streams.config.StreamsSettings;
import io.rtdw.testing.ChildJvm;
import io.rtdw.testing.KafkaClusterExtension;
import io.rtdw.testing.RegistryServerExtension;
import io.rtdw.testing.TestFiles;
import io.rtdw.testing.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rtdw tail} and {@code rtdw dlq} against the in-process Kafka cluster and the real Apicurio Registry: records
 * produced with the pipeline's own serdes come out as the JSON the help promises, field by field; a dead letter
 * written by the real streams app (a poison record in a source topic) is listed, replayed once with its original
 * bytes, refused a second time, and fixed with a corrected JSON value that the streams app then applies.
 */
class TailAndDeadLettersIT {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension();
    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    /** Topics of the decoding tests (the streams app test has its own prefix: it consumes what it finds). */
    private static final TopicCatalog CATALOG = new TopicCatalog("clitail", "public", "rtdw", 3, (short) 3);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final PlainAvroSerde<CustomerKey> KEYS = new PlainAvroSerde<>(CustomerKey.class);

    private static KafkaProducer<byte[], byte[]> producer;
    private static RegistrySerdes serdes;

    @BeforeAll
    static void topicsAndProducer() {
        KAFKA.cluster().createTopics(List.of(CATALOG.customers(), CATALOG.flights(), CATALOG.vehicles(),
                CATALOG.unifiedCustomers(), CATALOG.cdcDeadLetters(), CATALOG.streamsDeadLetters(),
                CATALOG.lakeSinkDeadLetters()));
        producer = new KafkaProducer<>(KafkaClients.of(KAFKA.cluster().bootstrapServers()).producer("it"),
                new ByteArraySerializer(), new ByteArraySerializer());
        serdes = REGISTRY.server().serdes();
    }

    @AfterAll
    static void closeProducer() {
        if (producer != null) {
            producer.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void tailDecodesEachKindOfTopicExactlyAsProduced() throws Exception {
        final Topic<CustomerKey, CustomerChange> customers = CATALOG.customers();
        final int p = CustomerPartitioner.partition(101, 3);
        final byte[] key = KEYS.serialize(null, new CustomerKey(101));
        final byte[] poison = "not avro".getBytes(StandardCharsets.UTF_8);
        final RecordMetadata poisonAt = send(customers.name(), p, key, poison);
        final CustomerChange change = CustomerChange.newBuilder().setOp(Op.CREATE).setBefore(null)
                .setAfter(Customer.newBuilder().setId(101).setNome("Ana Lima").setEmail("ana@example.com")
                        .setNascimento(LocalDate.of(1990, 5, 17))
                        .setDtUpdate(LocalDateTime.parse("2024-02-29T23:59:58.123456")).build())
                .setSource(source(1_709_251_200_123L, "0/16B3748", 7)).build();
        final byte[] changeBytes = serdes.valueSerde(customers).serializer().serialize(customers.name(), change);
        final RecordMetadata changeAt = send(customers.name(), p, key, changeBytes);
        // Framed like a registry value, but with a schema id the registry never gave out.
        final byte[] unknownId = {0, 0x7F, 0x7F, 0x7F, 0x7F, 2, 4};
        final RecordMetadata unknownAt = send(customers.name(), p, key, unknownId);

        final Topic<CustomerKey, UnifiedCustomer> output = CATALOG.unifiedCustomers();
        final UnifiedCustomer unified = AvroJsonTest.unified();   // customer 7, with a flight and a vehicle
        final RecordMetadata unifiedAt = send(output.name(), CustomerPartitioner.partition(7, 3),
                KEYS.serialize(null, new CustomerKey(7)),
                serdes.valueSerde(output).serializer().serialize(output.name(), unified));
        final RecordMetadata tombstoneAt = send(output.name(), CustomerPartitioner.partition(8, 3),
                KEYS.serialize(null, new CustomerKey(8)), null);

        // A dead letter as the pipeline builds it (io.rtdw.catalog.DeadLetters, used by the streams app's key
        // handler, the lake sink and the capture), of the change above.
        final Instant before = Instant.now();
        final DeadLetter letter = io.rtdw.catalog.DeadLetters.of("lake-sink", new ConsumerRecord<>(customers.name(), p,
                changeAt.offset(), key, changeBytes), "contract: made up by the test", new IllegalStateException("x"));
        final Topic<byte[], DeadLetter> dlq = CATALOG.lakeSinkDeadLetters();
        final RecordMetadata letterAt = send(dlq.name(), 0, key,
                serdes.valueSerde(dlq).serializer().serialize(dlq.name(), letter));

        // The source topic: the poison record is an error object, and tail goes on to the change after it.
        final Result source = tail("--from-beginning", "--key", customers.name());
        assertEquals(Help.OK, source.code, source.err);
        final JsonNode bad = source.at(poisonAt);
        assertTrue(bad.path("error").asText().startsWith("value: not registry-framed Avro (8 bytes"), bad.toString());
        assertEquals(b64(poison), bad.path("raw_value").asText());
        assertEquals(b64(key), bad.path("raw_key").asText());
        assertFalse(bad.has("value"), "no value for a record that does not decode");
        final JsonNode unknown = source.at(unknownAt);
        assertTrue(unknown.path("error").asText().startsWith("value: schema id 2139062143: cannot be read"),
                unknown.toString());
        assertEquals(b64(unknownId), unknown.path("raw_value").asText());
        final JsonNode good = source.at(changeAt);
        assertEquals(customers.name(), good.path("topic").asText());
        assertEquals(Instant.ofEpochMilli(changeAt.timestamp()).toString(), good.path("timestamp").asText());
        assertEquals(101, good.at("/key/id").intValue());
        assertEquals("CREATE", good.at("/value/op").asText());
        assertTrue(good.at("/value/before").isNull());
        assertEquals(101, good.at("/value/after/id").intValue());
        assertEquals("Ana Lima", good.at("/value/after/nome").asText());
        assertEquals("ana@example.com", good.at("/value/after/email").asText());
        assertTrue(good.at("/value/after/sexo").isNull());
        assertEquals("1990-05-17", good.at("/value/after/nascimento").asText());
        assertEquals("2024-02-29T23:59:58.123456", good.at("/value/after/dt_update").asText());
        assertEquals(1_709_251_200_123L, good.at("/value/source/commit_ts_ms").longValue());
        assertEquals("0/16B3748", good.at("/value/source/position").asText());
        assertEquals(7L, good.at("/value/source/sequence").longValue());
        assertEquals("pg:1:1", good.at("/value/source/epoch").asText());
        assertFalse(good.has("error"));

        // The output topic: the unified record field by field, and a tombstone as "value": null.
        final Result out = tail("--from-beginning", "--key", output.name());
        assertEquals(Help.OK, out.code, out.err);
        final JsonNode u = out.at(unifiedAt);
        assertEquals(7, u.at("/key/id").intValue());
        assertEquals(7, u.at("/value/customer_id").intValue());
        assertFalse(u.at("/value/deleted").booleanValue());
        assertEquals(3, u.at("/value/version").longValue());
        assertEquals("2024-03-01T12:00:00.123Z", u.at("/value/source_ts_ms").asText());
        assertEquals("Ana", u.at("/value/name").asText());
        assertTrue(u.at("/value/gender").isNull());
        assertEquals("1990-05-17", u.at("/value/birth_date").asText());
        assertEquals("2024-02-29T23:59:58.123456", u.at("/value/updated_at").asText());
        assertEquals(1, u.at("/value/flight_count").intValue());
        assertEquals(11, u.at("/value/flights/0/flight_id").intValue());
        assertEquals("GRU", u.at("/value/flights/0/airport").asText());
        assertEquals("1970-01-01T00:00:00.005Z", u.at("/value/flights/0/source_ts_ms").asText());
        assertEquals(21, u.at("/value/vehicles/0/vehicle_id").intValue());
        assertEquals(2019, u.at("/value/vehicles/0/vehicle_year").intValue());
        assertEquals("2024-01-01T00:00:00Z", u.at("/value/vehicles/0/updated_at").asText());
        final JsonNode tomb = out.at(tombstoneAt);
        assertEquals(8, tomb.at("/key/id").intValue());
        assertTrue(tomb.has("value") && tomb.get("value").isNull(), tomb.toString());

        // The dead letter: its fields, its original bytes in base64 and decoded with the source topic's serdes.
        final Result dead = tail("--from-beginning", dlq.name());
        assertEquals(Help.OK, dead.code, dead.err);
        final JsonNode d = dead.at(letterAt).path("value");
        assertEquals("contract: made up by the test", d.path("reason").asText());
        assertEquals("lake-sink", d.path("stage").asText());
        assertEquals("java.lang.IllegalStateException", d.path("error_class").asText());
        assertEquals(customers.name(), d.path("source_topic").asText());
        assertEquals(p, d.path("source_partition").intValue());
        assertEquals(changeAt.offset(), d.path("source_offset").longValue());
        assertTrue(d.path("source_position").isNull());
        assertEquals(b64(key), d.path("original_key").asText());
        assertEquals(b64(changeBytes), d.path("original_value").asText());
        assertEquals(101, d.at("/original_key_decoded/id").intValue());
        assertEquals("Ana Lima", d.at("/original_value_decoded/after/nome").asText());
        assertEquals("1990-05-17", d.at("/original_value_decoded/after/nascimento").asText());
        final Instant failedAt = Instant.parse(d.path("failed_at_ms").asText());
        assertFalse(failedAt.isBefore(before.minusMillis(1)) || failedAt.isAfter(Instant.now()), failedAt.toString());
        assertFalse(dead.at(letterAt).has("key"), "no key without --key");

        // --partition and --max: the first record of the partition only; default (no --from-beginning): the last N.
        final Result first = tail("--from-beginning", "--partition", String.valueOf(p), "--max", "1", customers.name());
        assertEquals(1, first.lines.size(), first.lines.toString());
        assertEquals(poisonAt.offset(), first.lines.get(0).path("offset").longValue());
        final Result last = tail("--partition", String.valueOf(p), "--last", "2", customers.name());
        assertEquals(2, last.lines.size(), last.lines.toString());
        assertEquals(changeAt.offset(), last.lines.get(0).path("offset").longValue());
        assertEquals(unknownAt.offset(), last.lines.get(1).path("offset").longValue());
        final Result noPartition = tail("--partition", "3", customers.name());
        assertEquals(Help.USAGE, noPartition.code);
        assertTrue(noPartition.err.contains("has 3 partitions (0..2)"), noPartition.err);
    }

    @Test
    void followStopsAtMaxAndWhenAskedTo() throws Exception {
        final Topic<CustomerKey, UnifiedCustomer> output = CATALOG.unifiedCustomers();
        final ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            // --max 3: tail starts at the end; records written while it follows are printed until 3 were.
            final Set<Long> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
            final Future<Result> maxed = threads.submit(() -> tailWith(() -> false, "--follow", "--max", "3",
                    output.name()));
            produceUntil(maxed::isDone, output, versions);
            final Result r = maxed.get(10, TimeUnit.SECONDS);
            assertEquals(Help.OK, r.code, r.err);
            assertEquals(3, r.lines.size(), r.lines.toString());
            for (final JsonNode line : r.lines) {
                assertTrue(versions.contains(line.at("/value/version").longValue()), "a record written: " + line);
                assertEquals(900, line.at("/value/customer_id").intValue());
            }
            // No --max: stops when the stop condition (Ctrl-C in main) holds, here after the first line.
            final ByteArrayOutputStream seen = new ByteArrayOutputStream();
            final Future<Integer> stopped = threads.submit(() -> Tail.run(List.of("--follow", output.name()), env(),
                    new PrintStream(seen, true, StandardCharsets.UTF_8), System.err, () -> seen.size() > 0));
            produceUntil(stopped::isDone, output, versions);
            assertEquals(Help.OK, stopped.get(10, TimeUnit.SECONDS));
            final String text = seen.toString(StandardCharsets.UTF_8);
            assertFalse(text.isBlank());
            for (final String line : text.split("\n")) {
                assertTrue(versions.contains(MAPPER.readTree(line).at("/value/version").longValue()), line);
            }

            // The command as a process (main): stdout holds JSON lines only (logs go to stderr), and Ctrl-C's
            // SIGINT (here SIGTERM: the same shutdown hooks) ends a follow cleanly with what was read printed.
            final Path dir = Files.createTempDirectory("tail-main");
            try (ChildJvm process = ChildJvm.java("tail", Tail.class.getName()).heapMb(128).quickStart().env(env())
                    .args("--follow", "--key", output.name())
                    .freshLog(dir.resolve("out")).stderr(dir.resolve("err")).start()) {
                produceUntil(() -> size(dir.resolve("out")) > 0 || !process.isAlive(), output, versions);
                assertTrue(process.isAlive(), "tail --follow runs until stopped: " + Files.readString(dir.resolve("err")));
                process.terminate();
                final Integer status = process.awaitExit(30);
                assertTrue(status != null, "tail stops on SIGTERM");
                assertEquals(143, status, "ended by the signal, through the shutdown hooks");
            }
            final List<String> printed = Files.readAllLines(dir.resolve("out"));
            assertFalse(printed.isEmpty());
            for (final String line : printed) {
                final JsonNode j = MAPPER.readTree(line);   // every stdout line is JSON
                assertEquals(900, j.at("/key/id").intValue(), line);
                assertTrue(versions.contains(j.at("/value/version").longValue()), line);
            }
            assertFalse(Files.readString(dir.resolve("err")).contains("Exception"), Files.readString(dir.resolve("err")));
        } finally {
            threads.shutdownNow();
        }
    }

    private static long size(final Path file) {
        try {
            return Files.size(file);
        } catch (final IOException e) {
            return 0;
        }
    }

    /** Writes a record of customer 900 (growing versions) every 100 ms until {@code done}, at most 2 minutes. */
    private static void produceUntil(final BooleanSupplier done, final Topic<CustomerKey, UnifiedCustomer> output,
                                     final Set<Long> versions) throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        long version = versions.stream().mapToLong(Long::longValue).max().orElse(1000);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "tail --follow did not stop within 2 minutes");
            version++;
            final UnifiedCustomer u = UnifiedCustomer.newBuilder().setCustomerId(900).setVersion(version)
                    .setSourceTsMs(Instant.now()).build();
            versions.add(version);
            send(output.name(), CustomerPartitioner.partition(900, 3), KEYS.serialize(null, new CustomerKey(900)),
                    serdes.valueSerde(output).serializer().serialize(output.name(), u));
            Thread.sleep(100);   // pacing of the writer, not a wait for a result
        }
    }

    @Test
    void replayRefusesWhatCannotBeReplayedAndWritesNothing() throws Exception {
        final Topic<CustomerKey, CustomerChange> customers = CATALOG.customers();
        final int p = CustomerPartitioner.partition(202, 3);
        final TopicPartition target = new TopicPartition(customers.name(), p);
        final long endBefore = endOffset(target);

        // A CDC dead letter that never reached Kafka: no source topic.
        final Topic<byte[], DeadLetter> cdc = CATALOG.cdcDeadLetters();
        final DeadLetter unmapped = DeadLetter.newBuilder().setReason("cannot map row: bad date").setStage("cdc-postgres")
                .setSourcePosition("0/5").setFailedAtMs(Instant.now()).build();
        final RecordMetadata unmappedAt = send(cdc.name(), 0, null,
                serdes.valueSerde(cdc).serializer().serialize(cdc.name(), unmapped));
        final Result noSource = dlq("replay", "--topic", cdc.name(), "--offset", String.valueOf(unmappedAt.offset()));
        assertEquals(Help.USAGE, noSource.code, noSource.err);
        assertTrue(noSource.err.contains("has no source topic: it never reached Kafka"), noSource.err);

        // A streams dead letter of a customer change (built as the pipeline builds them).
        final byte[] key = KEYS.serialize(null, new CustomerKey(202));
        final byte[] poison = {0, 0, 0, 0, 99, 1, 2};
        final Topic<byte[], DeadLetter> streams = CATALOG.streamsDeadLetters();
        final RecordMetadata letterAt = send(streams.name(), 0, key, serdes.valueSerde(streams).serializer().serialize(
                streams.name(), io.rtdw.catalog.DeadLetters.of("streams-app", new ConsumerRecord<>(customers.name(), p,
                        12345L, key, poison), "value with schema id 99 cannot be read", null)));
        final String offset = String.valueOf(letterAt.offset());

        final Path dir = Files.createTempDirectory("dlq-it");
        final Path wrong = Files.writeString(dir.resolve("wrong.json"), """
                {"op": "CREATE", "after": {"id": 202, "nome": 5},
                 "source": {"connector": "postgresql", "db": "rtdw", "table": "public.customers",
                            "commit_ts_ms": 1, "position": "0/1", "sequence": 1}}""");
        final Result misfit = dlq("replay", "--topic", streams.name(), "--offset", offset, "--value-json",
                wrong.toString());
        assertEquals(Help.USAGE, misfit.code, misfit.err);
        assertTrue(misfit.err.contains("does not fit the schema of " + customers.name()
                + " (CustomerChange): $.after.nome: expected a string, was 5"), misfit.err);

        final Result missing = dlq("replay", "--topic", streams.name(), "--offset", offset, "--value-json",
                dir.resolve("nope.json").toString());
        assertEquals(Help.USAGE, missing.code);
        assertTrue(missing.err.contains("no such file"), missing.err);

        final Result beyond = dlq("replay", "--topic", streams.name(), "--offset", "999999");
        assertEquals(Help.USAGE, beyond.code);
        assertTrue(beyond.err.contains("no dead letter at " + streams.name() + "/0/999999"), beyond.err);

        final Result dry = dlq("replay", "--dry-run", "--topic", streams.name(), "--offset", offset);
        assertEquals(Help.OK, dry.code, dry.err);
        assertTrue(dry.out.contains("would replay " + streams.name() + "/0/" + offset + " -> " + customers.name() + "/"
                + p + " (original value, 7 bytes"), dry.out);

        assertEquals(endBefore, endOffset(target), "nothing was written to " + target);

        // --all-from: every dead letter of the stage (in one topic here), once; a second run skips it and says so.
        final Result all = dlq("replay", "--all-from", "streams-app", "--topic", streams.name());
        assertEquals(Help.OK, all.code, all.err);
        assertTrue(all.out.contains("replayed " + streams.name() + "/0/" + offset + " -> " + customers.name() + "/" + p
                + "/" + endBefore + " (original value)"), all.out);
        final Result twice = dlq("replay", "--all-from", "streams-app", "--topic", streams.name());
        assertEquals(Help.OK, twice.code, twice.err);
        assertTrue(twice.err.contains(streams.name() + "/0/" + offset + " was replayed before, as " + customers.name()
                + "/" + p + "/" + endBefore + " at "), twice.err);
        assertTrue(twice.out.contains("0 dead letter(s) replayed"), twice.out);
        assertEquals(endBefore + 1, endOffset(target), "one copy only");
        final Result none = dlq("replay", "--all-from", "no-such-stage", "--topic", streams.name());
        assertEquals(Help.FAILED, none.code);
        assertTrue(none.err.contains("no dead letter of stage 'no-such-stage'"), none.err);
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void aDeadLetterOfTheRealStreamsAppIsListedReplayedOnceAndFixed() throws Exception {
        final TopicCatalog catalog = new TopicCatalog("clidlq", "public", "rtdw", 3, (short) 3);
        KAFKA.cluster().createTopics(List.of(catalog.customers(), catalog.flights(), catalog.vehicles(),
                catalog.unifiedCustomers(), catalog.cdcDeadLetters(), catalog.streamsDeadLetters(),
                catalog.lakeSinkDeadLetters()));
        final Map<String, String> env = env(catalog);
        final Map<String, String> appEnv = new HashMap<>(env);
        final int port = ChildJvm.freePort();
        appEnv.put(StreamsSettings.APPLICATION_ID.name(), "clidlq-app");
        appEnv.put(StreamsSettings.COMMIT_INTERVAL_MS.name(), "200");
        appEnv.put(StreamsSettings.STANDBY_REPLICAS.name(), "0");
        appEnv.put(StreamsSettings.STATE_DIR.name(), TestFiles.freshDir(Path.of("target", "it-state", "clidlq"))
                .toString());
        appEnv.put(OpsServer.HTTP_PORT.name(), String.valueOf(port));
        final Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve("clidlq-streams-app.log");
        Files.deleteIfExists(log);
        try (ChildJvm app = ChildJvm.start("streams-app", StreamsApp.class.getName(), appEnv, log, 384)) {
            app.awaitHttp("http://127.0.0.1:" + port + "/health/ready", Duration.ofMinutes(3));

            // A poison value (JSON where registry-framed Avro belongs) in the customers topic.
            final Topic<CustomerKey, CustomerChange> customers = catalog.customers();
            final int p = CustomerPartitioner.partition(7, 3);
            final byte[] key = KEYS.serialize(null, new CustomerKey(7));
            final byte[] poison = "{\"id\": 7, \"nome\": \"Fixed?\"}".getBytes(StandardCharsets.UTF_8);
            final RecordMetadata poisonAt = send(customers.name(), p, key, poison);
            final Topic<byte[], DeadLetter> dlq = catalog.streamsDeadLetters();
            final List<ConsumerRecord<byte[], DeadLetter>> first = deadLetters(dlq, 1);
            final long letterOffset = first.get(0).offset();
            assertEquals(poisonAt.offset(), first.get(0).value().getSourceOffset(), "the app's dead letter");

            // list: one line with the reason, where it came from, the decoded key and the undecoded value.
            final Result listed = dlq(env, "list");
            assertEquals(Help.OK, listed.code, listed.err);
            final String line = listed.out.lines().filter(l -> l.startsWith(dlq.name() + "/0/" + letterOffset + " "))
                    .findFirst().orElseThrow(() -> new AssertionError(listed.out));
            assertTrue(line.contains(" stage=streams-app "), line);
            assertTrue(line.contains(" source=" + customers.name() + "/" + p + "/" + poisonAt.offset() + " "), line);
            assertTrue(line.contains(" reason=\"value is not registry-framed Avro: first byte is 0x7B"), line);
            assertTrue(line.contains(" key={\"id\":7} "), line);
            assertTrue(line.contains(" value=(not decoded: not registry-framed Avro"), line);
            assertTrue(line.contains("base64:" + b64(poison)), line);
            assertTrue(listed.out.contains("1 dead letter in [" + catalog.cdcDeadLetters().name() + ", " + dlq.name()
                    + ", " + catalog.lakeSinkDeadLetters().name() + "]; by stage and reason:"), listed.out);
            assertTrue(listed.out.contains("       1  streams-app  value is not registry-framed Avro"), listed.out);
            final Result json = dlq(env, "list", "--json", "--topic", dlq.name());
            assertEquals(Help.OK, json.code, json.err);
            final JsonNode j = MAPPER.readTree(json.out.lines().findFirst().orElseThrow());
            assertEquals(7, j.at("/value/original_key_decoded/id").intValue());
            assertEquals(b64(poison), j.at("/value/original_value").asText());
            assertTrue(json.err.contains("1 dead letter in [" + dlq.name() + "]"), json.err);

            // replay the original bytes: the same bytes in the same partition, with the headers naming it.
            final String id = dlq.name() + "/0/" + letterOffset;
            final Result replayed = dlq(env, "replay", "--topic", dlq.name(), "--offset", String.valueOf(letterOffset));
            assertEquals(Help.OK, replayed.code, replayed.err);
            final List<ConsumerRecord<byte[], byte[]>> copies = replays(customers, id, 1);
            assertEquals(p, copies.get(0).partition());
            assertEquals(b64(poison), b64(copies.get(0).value()));
            assertEquals(b64(key), b64(copies.get(0).key()));
            assertEquals("original", header(copies.get(0), DeadLetters.REPLAY_KIND));
            assertTrue(replayed.out.contains("replayed " + id + " -> " + customers.name() + "/" + p + "/"
                    + copies.get(0).offset()), replayed.out);

            // ... and not a second time.
            final long end = endOffset(new TopicPartition(customers.name(), p));
            final Result again = dlq(env, "replay", "--topic", dlq.name(), "--offset", String.valueOf(letterOffset));
            assertEquals(Help.USAGE, again.code, again.out);
            assertTrue(again.err.contains("dead letter " + id + " was replayed before, as " + customers.name() + "/"
                    + p + "/" + copies.get(0).offset()), again.err);
            assertEquals(end, endOffset(new TopicPartition(customers.name(), p)), "nothing written the second time");

            // The replayed poison is still poison: the app writes a second dead letter; fix that one with JSON.
            final List<ConsumerRecord<byte[], DeadLetter>> both = deadLetters(dlq, 2);
            assertEquals(copies.get(0).offset(), both.get(1).value().getSourceOffset());
            final long secondOffset = both.get(1).offset();
            final Path fix = Files.writeString(Files.createTempDirectory("dlq-fix").resolve("fix.json"), """
                    {"op": "CREATE",
                     "after": {"id": 7, "nome": "Fixed Name", "nascimento": "1985-12-31", "dt_update": "2024-03-01T10:00:00"},
                     "source": {"connector": "postgresql", "db": "rtdw", "table": "public.customers",
                                "commit_ts_ms": 1709287200000, "position": "0/AB", "sequence": 171,
                                "epoch": "pg:it:1", "commit_sequence": 172, "change_order": "00000000000000AB"}}""");
            final Result fixed = dlq(env, "replay", "--topic", dlq.name(), "--offset", String.valueOf(secondOffset),
                    "--value-json", fix.toString());
            assertEquals(Help.OK, fixed.code, fixed.err);
            final String secondId = dlq.name() + "/0/" + secondOffset;
            final ConsumerRecord<byte[], byte[]> corrected = replays(customers, secondId, 1).get(0);
            assertEquals("corrected", header(corrected, DeadLetters.REPLAY_KIND));
            final CustomerChange written = serdes.valueSerde(customers).deserializer().deserialize(customers.name(),
                    corrected.value());
            assertEquals("Fixed Name", written.getAfter().getNome());
            assertEquals(LocalDate.of(1985, 12, 31), written.getAfter().getNascimento());
            assertEquals(172L, written.getSource().getCommitSequence());

            // The app applies the fix: rtdw tail on the output topic shows customer 7 (tail until it appears).
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            JsonNode seven = null;
            while (seven == null) {
                assertTrue(System.nanoTime() < deadline, "customer 7 reached the output topic:\n" + app.tail(30));
                final Result out = tail(env, "--from-beginning", "--key", catalog.unifiedCustomers().name());
                assertEquals(Help.OK, out.code, out.err);
                seven = out.lines.stream().filter(l -> l.at("/key/id").intValue() == 7).findFirst().orElse(null);
            }
            assertEquals("Fixed Name", seven.at("/value/name").asText());
            assertEquals("1985-12-31", seven.at("/value/birth_date").asText());
            assertEquals("2024-03-01T10:00:00", seven.at("/value/updated_at").asText(), "seconds always written");
            assertEquals(Instant.ofEpochMilli(1709287200000L).toString(), seven.at("/value/source_ts_ms").asText());
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void tailDecodesTenThousandRecordsAndSaysHowFast() throws Exception {
        final TopicCatalog catalog = new TopicCatalog("clibench", "public", "rtdw", 3, (short) 3);
        final Topic<CustomerKey, UnifiedCustomer> output = catalog.unifiedCustomers();
        KAFKA.cluster().createTopics(List.of(output));
        final int n = 10_000;
        final var serializer = serdes.valueSerde(output).serializer();
        final UnifiedCustomer template = AvroJsonTest.unified();
        final List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            final UnifiedCustomer u = UnifiedCustomer.newBuilder(template).setCustomerId(id).setVersion(id).build();
            sent.add(producer.send(new ProducerRecord<>(output.name(), CustomerPartitioner.partition(id, 3),
                    KEYS.serialize(null, new CustomerKey(id)), serializer.serialize(output.name(), u))));
        }
        for (final var f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
        final ByteArrayOutputStream printed = new ByteArrayOutputStream(8 << 20);
        final long began = System.nanoTime();
        final int code = Tail.run(List.of("--from-beginning", "--key", output.name()), env(catalog),
                new PrintStream(printed, false, StandardCharsets.UTF_8), System.err, () -> false);
        final double seconds = (System.nanoTime() - began) / 1e9;
        assertEquals(Help.OK, code);
        final Set<Integer> ids = new HashSet<>();
        final List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        for (final String line : lines) {
            final JsonNode j = MAPPER.readTree(line);
            assertFalse(j.has("error"), line);
            assertEquals(j.at("/key/id").intValue(), j.at("/value/customer_id").intValue(), line);
            assertEquals(j.at("/value/customer_id").longValue(), j.at("/value/version").longValue(), line);
            assertEquals("GRU", j.at("/value/flights/0/airport").asText(), line);
            ids.add(j.at("/key/id").intValue());
        }
        assertEquals(n, lines.size());
        assertEquals(n, ids.size(), "every customer once");
        System.out.printf("rtdw tail decoded %d unified records (with key) in %.2f s: %.0f records/s%n", n, seconds,
                n / seconds);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private record Result(int code, List<JsonNode> lines, String out, String err) {
        /** The line of the record written at {@code at}. */
        JsonNode at(final RecordMetadata at) {
            return lines.stream().filter(l -> l.path("partition").intValue() == at.partition()
                            && l.path("offset").longValue() == at.offset()).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for " + at + " in " + out));
        }
    }

    private static Map<String, String> env() {
        return env(CATALOG);
    }

    private static Map<String, String> env(final TopicCatalog catalog) {
        return Map.of(TopicCatalog.PREFIX.name(), catalog.prefix(),
                TopicCatalog.PARTITIONS.name(), String.valueOf(catalog.partitions()),
                KafkaClients.BOOTSTRAP_SERVERS.name(), KAFKA.cluster().bootstrapServers(),
                RegistrySerdes.URL.name(), REGISTRY.server().url());
    }

    private static Result tail(final String... args) throws IOException {
        return tail(env(), args);
    }

    private static Result tail(final Map<String, String> env, final String... args) throws IOException {
        return capture(true, (out, err) -> Tail.run(List.of(args), env, out, err, () -> false));
    }

    private static Result tailWith(final BooleanSupplier stop, final String... args) throws IOException {
        return capture(true, (out, err) -> Tail.run(List.of(args), env(), out, err, stop));
    }

    private static Result dlq(final String... args) throws IOException {
        return dlq(env(), args);
    }

    private static Result dlq(final Map<String, String> env, final String... args) throws IOException {
        return capture(false, (out, err) -> DeadLetters.run(List.of(args), env, out, err));
    }

    /** A command run in-process: its exit code and what it printed. */
    private interface Command {
        int run(PrintStream out, PrintStream err);
    }

    private static Result capture(final boolean json, final Command command) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int code = command.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return result(code, out, err, json);
    }

    private static Result result(final int code, final ByteArrayOutputStream out, final ByteArrayOutputStream err,
                                 final boolean json) throws IOException {
        final String text = out.toString(StandardCharsets.UTF_8);
        final List<JsonNode> lines = new ArrayList<>();
        if (json) {
            for (final String line : text.lines().toList()) {
                lines.add(MAPPER.readTree(line));
            }
        }
        return new Result(code, lines, text, err.toString(StandardCharsets.UTF_8));
    }

    private static RecordMetadata send(final String topic, final int partition, final byte[] key, final byte[] value)
            throws Exception {
        return producer.send(new ProducerRecord<>(topic, partition, key, value)).get(60, TimeUnit.SECONDS);
    }

    private static SourceInfo source(final long commitTs, final String position, final long sequence) {
        return SourceInfo.newBuilder().setConnector("postgresql").setDb("rtdw").setTable("public.customers")
                .setCommitTsMs(commitTs).setPosition(position).setSequence(sequence).setEpoch("pg:1:1")
                .setCommitSequence(sequence).setChangeOrder(String.format("%016X", sequence)).build();
    }

    private static long endOffset(final TopicPartition tp) throws Exception {
        return KAFKA.cluster().admin().listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                .partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
    }

    /** The dead letters of {@code dlq}, once there are at least {@code n}. */
    private static List<ConsumerRecord<byte[], DeadLetter>> deadLetters(final Topic<byte[], DeadLetter> dlq,
                                                                        final int n) {
        try (TopicReader<byte[], DeadLetter> reader = new TopicReader<>(KAFKA.cluster().bootstrapServers(), dlq,
                serdes.valueSerde(dlq).deserializer())) {
            final List<ConsumerRecord<byte[], DeadLetter>> all = reader.readUntil(r -> r.size() >= n,
                    Duration.ofMinutes(2));
            assertTrue(all.size() >= n, "at least " + n + " dead letters in " + dlq + ", found " + all.size());
            return all;
        }
    }

    /** The records of {@code topic} carrying {@code rtdw.replayed-from = id}, once there are {@code n}. */
    private static List<ConsumerRecord<byte[], byte[]>> replays(final Topic<CustomerKey, CustomerChange> topic,
                                                                final String id, final int n) {
        final Topic<byte[], byte[]> raw = new Topic<>(topic.name(), topic.partitions(), topic.replicationFactor(),
                byte[].class, byte[].class, topic.configs());
        try (TopicReader<byte[], byte[]> reader = new TopicReader<>(KAFKA.cluster().bootstrapServers(), raw,
                new ByteArrayDeserializer())) {
            final List<ConsumerRecord<byte[], byte[]>> found = reader.readUntil(
                    r -> r.stream().filter(c -> id.equals(header(c, DeadLetters.REPLAYED_FROM))).count() >= n,
                    Duration.ofSeconds(30)).stream().filter(c -> id.equals(header(c, DeadLetters.REPLAYED_FROM)))
                    .toList();
            assertEquals(n, found.size(), "records replayed from " + id);
            return found;
        }
    }

    private static String header(final ConsumerRecord<?, ?> record, final String name) {
        final var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String b64(final byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
