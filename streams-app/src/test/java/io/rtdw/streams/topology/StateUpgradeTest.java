package io.rtdw.streams.topology;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.serde.EmbeddedRegistryClient;
import io.rtdw.serde.SchemaHistory;
import io.rtdw.state.ChildState;
import io.rtdw.state.CustomerState;
import io.rtdw.state.TaskStats;
import io.rtdw.streams.tools.PipelineDriver;
import io.rtdw.testing.ChangeLines;
import io.rtdw.testing.SchemaEvolution;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A rolling upgrade, in one {@code TopologyTestDriver}: the store holds state another release wrote (registry-framed,
 * with that release's schema id), then this build processes changes of the same customers. Two other releases: the
 * next one, whose every state record has an added optional field (this build then reads newer state: a rollback, or
 * an old instance restoring a new one's changelog during the rollout), and the released {@code v1} schemas (the
 * release in production). The output must equal that of a run that never changed release: the existing children
 * still appear, counts are exact, versions continue.
 */
class StateUpgradeTest {

    private static final TopicCatalog CATALOG = TopicCatalog.DEFAULT;

    /** Before the upgrade: three customers, their flights and vehicles, an orphan flight. */
    private static final String BEFORE = """
            {"table":"customers","op":"CREATE","id":1,"after":{"nome":"Ana","email":"ana@example.com","dt_update":"2024-05-01T10:00:00"},"ts":1000}
            {"table":"flight","op":"CREATE","id":10,"after":{"customer_id":1,"linha_aerea":"LATAM"},"ts":1010}
            {"table":"flight","op":"CREATE","id":11,"after":{"customer_id":1,"linha_aerea":"GOL"},"ts":1020}
            {"table":"vehicle","op":"CREATE","id":500,"after":{"customer_id":1,"modelo":"Onix"},"ts":1030}
            {"table":"customers","op":"CREATE","id":2,"after":{"nome":"Bia"},"ts":1040}
            {"table":"flight","op":"CREATE","id":20,"after":{"customer_id":2,"linha_aerea":"AZUL"},"ts":1050}
            {"table":"flight","op":"CREATE","id":30,"after":{"customer_id":3,"linha_aerea":"TAP"},"ts":1060}
            """;

    /** After the upgrade: an update, a new flight, a delete, a move, the orphan's customer arrives. */
    private static final String AFTER = """
            {"table":"customers","op":"UPDATE","id":1,"after":{"nome":"Ana","email":"ana@new.example.com","dt_update":"2024-06-01T10:00:00"},"ts":2000}
            {"table":"flight","op":"CREATE","id":12,"after":{"customer_id":1,"linha_aerea":"TAP"},"ts":2010}
            {"table":"flight","op":"DELETE","id":10,"ts":2020}
            {"table":"flight","op":"UPDATE","id":11,"after":{"customer_id":2,"linha_aerea":"GOL"},"ts":2030}
            {"table":"vehicle","op":"UPDATE","id":500,"after":{"customer_id":1,"modelo":"Onix Plus"},"ts":2040}
            {"table":"customers","op":"CREATE","id":3,"after":{"nome":"Caio"},"ts":2050}
            """;

    /** Which schemas "the other release" wrote its state with. */
    enum OtherRelease {
        /** Every state record of this build plus an optional field (second), as the next release may add. */
        NEXT_WITH_ADDED_FIELD,
        /** The released v1 schemas (SchemaHistory), as the release in production wrote them. */
        RELEASED_V1;

        Schema writerSchema(final Schema current) {
            if (this == RELEASED_V1) {
                return SchemaHistory.released(current.getName()).get(0);
            }
            // Not at the end: a reader that went by field position instead of by name would misread every field.
            return SchemaEvolution.withOptionalField(current, 1, "next_release_note", "Added by the next release.");
        }
    }

    @ParameterizedTest
    @EnumSource(OtherRelease.class)
    void continuesFromStateAnotherReleaseWrote(final OtherRelease release) throws IOException {
        // One parse: positions (sequence numbers) continue from BEFORE to AFTER.
        final List<ChangeLines.Line> all = lines(BEFORE + AFTER);
        final int split = lines(BEFORE).size();
        final List<ChangeLines.Line> before = all.subList(0, split);
        final List<ChangeLines.Line> after = all.subList(split, all.size());

        final List<KeyValue<CustomerKey, UnifiedCustomer>> reference;
        try (PipelineDriver driver = new PipelineDriver(CATALOG, 100)) {
            before.forEach(driver::pipe);
            driver.readOutput();
            after.forEach(driver::pipe);
            reference = driver.readOutput();
        }

        try (PipelineDriver driver = new PipelineDriver(CATALOG, 100)) {
            before.forEach(driver::pipe);
            final Map<Integer, Long> versions = lastVersions(driver.readOutput());
            final int rewritten = rewriteState(driver, release);
            assertTrue(rewritten >= 12, "customers, children, family items and stats rewritten: " + rewritten);

            after.forEach(driver::pipe);
            final List<KeyValue<CustomerKey, UnifiedCustomer>> output = driver.readOutput();
            assertEquals(reference, output, "the output after the upgrade equals a run without one");
            assertEquals(List.of(), driver.readDeadLetters());

            final UnifiedCustomer ana = last(output, 1);
            assertEquals(List.of(12), flightIds(ana), "flight 10 deleted, 11 moved, 12 new");
            assertEquals(1, ana.getFlightCount());
            assertEquals(List.of(500), ana.getVehicles().stream().map(UnifiedVehicle::getVehicleId).toList());
            assertEquals(1, ana.getVehicleCount());
            assertEquals("ana@new.example.com", ana.getEmail());
            final UnifiedCustomer bia = last(output, 2);
            assertEquals(List.of(11, 20), flightIds(bia), "the existing flight 20 still there, 11 moved in first");
            assertEquals(2, bia.getFlightCount());
            final UnifiedCustomer caio = last(output, 3);
            assertEquals(List.of(30), flightIds(caio), "the orphan kept in the old state joins its customer");
            assertEquals(1, caio.getFlightCount());

            // Versions continue from the old state's: each customer's first record after the upgrade is the next one.
            for (final int customer : List.of(1, 2)) {
                final long next = output.stream().filter(kv -> kv.key.getId() == customer)
                        .mapToLong(kv -> kv.value.getVersion()).min().orElseThrow();
                assertEquals(versions.get(customer) + 1, next, "customer " + customer + "'s version continues");
            }
            final JoinState.Serdes serdes = new JoinState.Serdes(driver.registry());
            final TaskStats stats = serdes.read(TaskStats.class, store(driver).get(StateKeys.STATS_KEY));
            assertEquals(0, stats.getOrphanCustomers(), "the orphan count read from the old state went to 0");
        }
    }

    /**
     * Replaces every value in the store with the same record written by {@code release}: framed with that release's
     * schema id (registered in the driver's registry, under the artifact the app uses), as its instances would have
     * written it. Returns how many values were replaced.
     */
    private static int rewriteState(final PipelineDriver driver, final OtherRelease release) {
        final KeyValueStore<Bytes, byte[]> store = store(driver);
        final JoinState.Serdes serdes = new JoinState.Serdes(driver.registry());
        final Serde<GenericRecord> generic = driver.registry().genericValue();
        final Map<Bytes, byte[]> rewritten = new TreeMap<>();
        try (KeyValueIterator<Bytes, byte[]> all = store.all()) {
            while (all.hasNext()) {
                final KeyValue<Bytes, byte[]> entry = all.next();
                final Class<? extends SpecificRecord> type = valueType(entry.key);
                if (type == null) {
                    continue;
                }
                final SpecificRecord current = serdes.read(type, entry.value);
                final Schema writer = release.writerSchema(current.getSchema());
                final byte[] framed = generic.serializer().serialize(JoinState.Serdes.artifact(type),
                        convert(current, writer));
                if (release == OtherRelease.NEXT_WITH_ADDED_FIELD) {
                    assertNotEquals(EmbeddedRegistryClient.idOf(current.getSchema()), schemaId(framed),
                            "the value carries the other release's schema id");
                    assertEquals(EmbeddedRegistryClient.idOf(writer), schemaId(framed));
                }
                rewritten.put(entry.key, framed);
            }
        }
        rewritten.forEach(store::put);
        return rewritten.size();
    }

    /** The value type of a state key (StateKeys' layout); null for keys without a value (the purge queue). */
    private static Class<? extends SpecificRecord> valueType(final Bytes key) {
        final byte[] k = key.get();
        return switch (k[0]) {
            case StateKeys.CUSTOMER -> CustomerState.class;
            case StateKeys.CHILD -> ChildState.class;
            case StateKeys.STATS -> TaskStats.class;
            case StateKeys.FAMILY -> k[5] == ChildTable.FLIGHTS.tag() ? UnifiedFlight.class
                    : k[5] == ChildTable.VEHICLES.tag() ? UnifiedVehicle.class : unknown(key);
            case StateKeys.PURGE -> null;
            default -> unknown(key);
        };
    }

    private static Class<? extends SpecificRecord> unknown(final Bytes key) {
        return fail("a state key kind this test does not know: " + key + ". Add its value type here and to"
                + " TopologyCompatibility.STATE_SCHEMAS (the released state schemas)");
    }

    private static KeyValueStore<Bytes, byte[]> store(final PipelineDriver driver) {
        return driver.driver().getKeyValueStore(UnifiedCustomerTopology.STATE);
    }

    /** {@code record} as a generic record of {@code schema} (Avro resolution: an added field gets its default). */
    private static GenericRecord convert(final SpecificRecord record, final Schema schema) {
        try {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            encoder.flush();
            return new GenericDatumReader<GenericRecord>(record.getSchema(), schema)
                    .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The registry id in a framed value: magic byte 0, then a 4-byte id. */
    private static long schemaId(final byte[] framed) {
        assertEquals(0, framed[0], "magic byte");
        return ByteBuffer.wrap(framed, 1, 4).getInt() & 0xffffffffL;
    }

    private static List<ChangeLines.Line> lines(final String text) throws IOException {
        return ChangeLines.parse(new BufferedReader(new StringReader(text)));
    }

    private static Map<Integer, Long> lastVersions(final List<KeyValue<CustomerKey, UnifiedCustomer>> output) {
        final Map<Integer, Long> out = new TreeMap<>();
        output.forEach(kv -> out.put(kv.key.getId(), kv.value.getVersion()));
        return out;
    }

    private static UnifiedCustomer last(final List<KeyValue<CustomerKey, UnifiedCustomer>> output, final int customer) {
        UnifiedCustomer last = null;
        for (final KeyValue<CustomerKey, UnifiedCustomer> kv : output) {
            if (kv.key.getId() == customer) {
                last = kv.value;
            }
        }
        assertTrue(last != null, "customer " + customer + " written after the upgrade");
        return last;
    }

    private static List<Integer> flightIds(final UnifiedCustomer customer) {
        return customer.getFlights().stream().map(UnifiedFlight::getFlightId).toList();
    }
}
