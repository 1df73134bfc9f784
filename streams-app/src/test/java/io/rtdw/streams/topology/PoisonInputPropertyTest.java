package io.rtdw.streams.topology;

import io.rtdw.catalog.SourceChange;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.DeadLetter;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No input can crash the topology or change what it writes for the valid changes: random bytes, JSON, truncated
 * and bit-flipped framing, unknown schema ids, another table's change, the output record and a dead letter are
 * written between valid changes on every input topic. The valid changes alone, through another driver, are the
 * reference: the output must be identical record for record, and every bad value must be one dead letter whose
 * reason names the problem.
 */
class PoisonInputPropertyTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;
    private static final RegistrySerdes SERDES = RegistrySerdes.embedded();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void badValuesBecomeDeadLettersAndChangeNothingElse(final long seed) throws Exception {
        final Random random = new Random(seed);
        final List<ChangeLines.Line> valid = ChangeLines.parse(new BufferedReader(new StringReader(validChanges(random))));

        final List<Object> reference;
        try (PipelineDriver driver = new PipelineDriver(CATALOG, 5)) {
            valid.forEach(driver::pipe);
            reference = new ArrayList<>(driver.readOutput());
            assertEquals(List.of(), driver.readDeadLetters(), "the valid changes alone are valid");
        }

        final List<String> kinds = new ArrayList<>();
        try (PipelineDriver driver = new PipelineDriver(CATALOG, 5)) {
            for (final ChangeLines.Line line : valid) {
                while (random.nextInt(3) == 0) {
                    final SourceChange.Table table = SourceChange.Table.values()[random.nextInt(3)];
                    final Poison poison = poison(random, table, valid.get(random.nextInt(valid.size())));
                    kinds.add(poison.kind());
                    driver.pipeBytes(table, keyBytes(table, valid), poison.bytes(), line.timestampMs());
                }
                driver.pipe(line);
            }
            final List<Object> output = new ArrayList<>(driver.readOutput());
            final List<DeadLetter> deadLetters = driver.readDeadLetters();
            assertEquals(reference, output, "the output for the valid changes is unchanged by the bad values");
            assertEquals(kinds.size(), deadLetters.size(), "one dead letter per bad value: " + kinds);
            for (int i = 0; i < kinds.size(); i++) {
                final String reason = deadLetters.get(i).getReason();
                assertTrue(reason.contains(expectedWords(kinds.get(i))), kinds.get(i) + " -> " + reason);
            }
            assertTrue(kinds.size() > 40, "the seed fed enough bad values: " + kinds.size());
        }
    }

    private record Poison(String kind, byte[] bytes) {
    }

    private static String expectedWords(final String kind) {
        return switch (kind) {
            case "random", "json", "empty", "flipped-magic" -> "not registry-framed Avro";
            case "unknown-id", "truncated" -> "cannot be read as";
            case "foreign" -> "belongs on another topic";
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static Poison poison(final Random random, final SourceChange.Table table, final ChangeLines.Line sample) {
        final byte[] own = valueBytes(table, foreignOrOwn(table, table, sample));
        switch (random.nextInt(7)) {
            case 0: {
                final byte[] bytes = new byte[1 + random.nextInt(64)];
                random.nextBytes(bytes);
                bytes[0] = (byte) (1 + random.nextInt(255)); // not the magic byte
                return new Poison("random", bytes);
            }
            case 1:
                return new Poison("json", "{\"id\": 1, \"op\": \"c\"}".getBytes(StandardCharsets.UTF_8));
            case 2:
                return new Poison("empty", new byte[random.nextInt(5)]);
            case 3: {
                final byte[] bytes = own.clone();
                bytes[0] = (byte) (1 + random.nextInt(255));
                return new Poison("flipped-magic", bytes);
            }
            case 4: {
                final byte[] bytes = own.clone();
                ByteBuffer.wrap(bytes, 1, 4).putInt(0x7ABCDEF0 + random.nextInt(1000)); // no schema has this id
                return new Poison("unknown-id", bytes);
            }
            case 5:
                return new Poison("truncated", Arrays.copyOf(own, 5 + random.nextInt(Math.max(1, own.length - 8))));
            default: {
                final SourceChange.Table other = SourceChange.Table.values()[(table.ordinal() + 1 + random.nextInt(2)) % 3];
                final SpecificRecord foreign = random.nextBoolean() ? foreignOrOwn(table, other, sample)
                        : random.nextBoolean() ? UnifiedCustomer.newBuilder().setCustomerId(1).setDeleted(false)
                        .setVersion(1).setSourceTsMs(java.time.Instant.EPOCH).setFlightCount(0).setVehicleCount(0)
                        .setFlights(List.of()).setVehicles(List.of()).build()
                        : DeadLetter.newBuilder().setReason("r").setStage("s").setFailedAtMs(java.time.Instant.EPOCH)
                        .build();
                return new Poison("foreign", SERDES.genericValue().serializer().serialize("any", (GenericRecord) foreign));
            }
        }
    }

    /** A change of {@code as}'s type built from the sample line's table (its own change when they are the same). */
    private static SpecificRecord foreignOrOwn(final SourceChange.Table topicTable, final SourceChange.Table as,
                                               final ChangeLines.Line sample) {
        if (as == sample.table()) {
            return sample.value();
        }
        final String line = switch (as) {
            case CUSTOMERS -> "{\"table\":\"customers\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"nome\":\"X\"}}";
            case FLIGHT -> "{\"table\":\"flight\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":1}}";
            case VEHICLE -> "{\"table\":\"vehicle\",\"op\":\"CREATE\",\"id\":1,\"after\":{\"customer_id\":1}}";
        };
        return ChangeLines.parse(new BufferedReader(new StringReader(line))).get(0).value();
    }

    @SuppressWarnings("unchecked")
    private static byte[] valueBytes(final SourceChange.Table table, final SpecificRecord value) {
        final Topic<?, SpecificRecord> topic = (Topic<?, SpecificRecord>) table.topic(CATALOG);
        return SERDES.genericValue().serializer().serialize(topic.name(), (GenericRecord) value);
    }

    @SuppressWarnings("unchecked")
    private static byte[] keyBytes(final SourceChange.Table table, final List<ChangeLines.Line> valid) {
        final SpecificRecord key = valid.stream().filter(l -> l.table() == table).findAny()
                .map(ChangeLines.Line::key).orElseThrow();
        final Topic<SpecificRecord, ?> topic = (Topic<SpecificRecord, ?>) table.topic(CATALOG);
        return RegistrySerdes.keySerde(topic).serializer().serialize(topic.name(), key);
    }

    /** Customers 1..15 and their flights and vehicles: inserts, updates, moves, deletes. */
    private static String validChanges(final Random random) {
        final StringBuilder out = new StringBuilder();
        long ts = 1000;
        for (int i = 0; i < 300; i++) {
            ts++;
            final int customer = 1 + random.nextInt(15);
            switch (random.nextInt(6)) {
                case 0, 1 -> out.append(String.format("{\"table\":\"customers\",\"op\":\"UPDATE\",\"id\":%d,"
                        + "\"after\":{\"nome\":\"c%d-%d\"},\"ts\":%d}%n", customer, customer, i, ts));
                case 2 -> out.append(String.format("{\"table\":\"flight\",\"op\":\"UPDATE\",\"id\":%d,"
                        + "\"after\":{\"customer_id\":%d,\"linha_aerea\":\"L%d\"},\"ts\":%d}%n",
                        100 + random.nextInt(30), customer, i, ts));
                case 3 -> out.append(String.format("{\"table\":\"vehicle\",\"op\":\"UPDATE\",\"id\":%d,"
                        + "\"after\":{\"customer_id\":%d,\"modelo\":\"M%d\"},\"ts\":%d}%n",
                        500 + random.nextInt(20), customer, i, ts));
                case 4 -> out.append(String.format("{\"table\":\"flight\",\"op\":\"DELETE\",\"id\":%d,\"ts\":%d}%n",
                        100 + random.nextInt(30), ts));
                default -> out.append(String.format("{\"table\":\"customers\",\"op\":\"DELETE\",\"id\":%d,\"ts\":%d}%n",
                        customer, ts));
            }
        }
        return out.toString();
    }
}
