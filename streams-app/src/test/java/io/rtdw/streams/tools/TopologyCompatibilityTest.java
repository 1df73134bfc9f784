package io.rtdw.streams.tools;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.SchemaHistory;
import io.rtdw.streams.tools.TopologyCompatibility.Manifest;
import io.rtdw.streams.tools.TopologyCompatibility.Release;
import io.rtdw.streams.tools.TopologyCompatibility.Report;
import io.rtdw.streams.tools.TopologyCompatibility.StateSchema;
import io.rtdw.streams.tools.TopologyCompatibility.StoreType;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologyCompatibilityTest {

    private static final String STATE = "io.rtdw.state.CustomerState";

    // ---------------------------------------------------------------- this build

    @Test
    void thisBuildIsCompatibleWithTheLatestRelease() throws IOException {
        assertEquals("0.2.0", TopologyCompatibility.LATEST_RELEASE);
        final Release latest = TopologyCompatibility.released(TopologyCompatibility.LATEST_RELEASE);
        assertNotNull(latest.manifest(), "0.2.0 ships a manifest");
        final Report report = TopologyCompatibility.compare(latest, TopologyCompatibility.current());
        assertTrue(report.compatible(), report.toString());
        assertEquals(List.of(), report.added(), report.toString());
        assertTrue(report.toString().endsWith("verdict: compatible: a rolling upgrade keeps every store, internal"
                + " topic and state format of the release"), report.toString());
    }

    @Test
    void theOneStoreEngineIsNotCompatibleWith010() throws IOException {
        // Deliberate: 0.2.0 is deployed under a new application id, re-reading the CDC topics.
        final Report report = TopologyCompatibility.compare(TopologyCompatibility.released("0.1.0"),
                TopologyCompatibility.current());
        assertFalse(report.compatible());
        assertEquals(11, report.removed().size(), report.toString());
        assertTrue(report.removed().contains("store flights-per-customer"), report.toString());
        assertTrue(report.removed().contains("topic flights-by-customer-repartition"), report.toString());
        assertEquals(List.of("store unified-state"), report.added(), report.toString());
        assertTrue(report.notes().get(0).contains("no manifest"), report.toString());
    }

    @Test
    void findsTheOneStoreAndItsType() {
        final Manifest manifest = TopologyCompatibility.currentManifest("x");
        assertEquals(Map.of("unified-state", new StoreType("key-value", true, true,
                Serdes.BytesSerde.class.getName(), Serdes.ByteArraySerde.class.getName())), manifest.stores());
        assertEquals(List.of("store unified-state"), List.copyOf(
                TopologyCompatibility.resources(TopologyCompatibility.currentDescription())));
    }

    @Test
    void readsStoreTypesOfEveryKind() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("mem"), Serdes.String(),
                Serdes.Long()).withLoggingDisabled());
        builder.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore("win", Duration.ofHours(1),
                Duration.ofMinutes(1), false), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(Stores.sessionStoreBuilder(Stores.persistentSessionStore("ses", Duration.ofHours(1)),
                Serdes.Bytes(), Serdes.ByteArray()));
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(5)))
                .count(Materialized.as("counts"));
        final Map<String, StoreType> types = TopologyCompatibility.storeTypes(builder.build());
        assertEquals(new StoreType("key-value", false, false, Serdes.StringSerde.class.getName(),
                Serdes.LongSerde.class.getName()), types.get("mem"));
        assertEquals("persistent window, logged", types.get("win").toString().substring(0, 25));
        assertEquals("session", types.get("ses").kind());
        assertEquals("timestamped-window", types.get("counts").kind(), types.toString());
        assertTrue(types.get("counts").persistent());
    }

    // ---------------------------------------------------------------- each check on a doctored release

    @Test
    void aRemovedStoreIsReported() throws IOException {
        final Release latest = TopologyCompatibility.released("0.2.0");
        final String description = latest.description().replace("stores: [unified-state]",
                "stores: [unified-state, customer-index]");
        final Report report = TopologyCompatibility.compare(
                new Release("doctored", description, latest.manifest()), TopologyCompatibility.current());
        assertFalse(report.compatible());
        assertEquals(List.of("store customer-index"), report.removed(), report.toString());
        assertTrue(report.toString().contains("REMOVED store customer-index  (state of the running release would be"
                + " orphaned)"), report.toString());
    }

    @Test
    void aRenamedStoreOrRepartitionTopicIsReported() {
        final String previous = """
                Processor: join (stores: [customer-state])
                Source: by-customer (topics: [app-flights-by-customer-repartition])
                """;
        final Report report = TopologyCompatibility.compare(previous, """
                Processor: join (stores: [customer-state-v2])
                Source: by-customer (topics: [app-flights-regrouped-repartition])
                """);
        assertFalse(report.compatible());
        assertEquals(List.of("store customer-state", "topic app-flights-by-customer-repartition"), report.removed());
        assertEquals(List.of("store customer-state-v2", "topic app-flights-regrouped-repartition"), report.added());
    }

    @Test
    void aChangedStoreTypeIsReported() throws IOException {
        final Release latest = TopologyCompatibility.released("0.2.0");
        final StoreType released = latest.manifest().stores().get("unified-state");
        for (final StoreType doctored : List.of(
                new StoreType(released.kind(), false, true, released.keySerde(), released.valueSerde()),
                new StoreType("timestamped-key-value", true, true, released.keySerde(), released.valueSerde()),
                new StoreType("window", true, true, released.keySerde(), released.valueSerde()),
                new StoreType(released.kind(), true, false, released.keySerde(), released.valueSerde()),
                new StoreType(released.kind(), true, true, Serdes.StringSerde.class.getName(), released.valueSerde()),
                new StoreType(released.kind(), true, true, released.keySerde(), "io.rtdw.serde.PlainAvroSerde"))) {
            final Manifest manifest = new Manifest("doctored", Map.of("unified-state", doctored),
                    latest.manifest().stateSchemas());
            final Report report = TopologyCompatibility.compare(new Release("doctored", latest.description(),
                    manifest), TopologyCompatibility.current());
            assertFalse(report.compatible(), doctored.toString());
            assertEquals(1, report.changed().size(), report.toString());
            assertTrue(report.changed().get(0).startsWith("store unified-state: was " + doctored + "; now "
                    + released), report.toString());
        }
    }

    @Test
    void aStateFieldWhoseTypeChangedIsReportedBothWays() {
        final Schema current = current(STATE);
        final Schema released = replaceField(current, "flight_count",
                new Schema.Field("flight_count", Schema.create(Schema.Type.STRING), "doc", "0"));
        final Report report = compareWithState(released);
        assertFalse(report.compatible());
        assertEquals(2, report.changed().size(), report.toString());
        assertTrue(report.changed().get(0).startsWith("state schema " + STATE + ": this build cannot read the state"
                + " release doctored wrote"), report.toString());
        assertTrue(report.changed().get(0).contains("flight_count"), report.toString());
        assertTrue(report.changed().get(1).startsWith("state schema " + STATE + ": release doctored cannot read"
                + " the state this build writes"), report.toString());
    }

    @Test
    void anAddedRequiredFieldIsReported() {
        // The release has no "segment"; this build adds it without a default: it cannot read the release's state.
        final Schema withRequired = addField(current(STATE), new Schema.Field("segment",
                Schema.create(Schema.Type.STRING), "doc"));
        final List<String> changes = TopologyCompatibility.stateSchemaChanges(STATE, current(STATE), withRequired,
                "0.2.0");
        assertEquals(1, changes.size(), changes.toString());
        assertTrue(changes.get(0).contains("this build cannot read the state release 0.2.0 wrote"), changes.toString());
        assertTrue(changes.get(0).contains("segment"), changes.toString());
        // The release added a required field this build lacks: the release cannot read what this build writes.
        final Report report = compareWithState(withRequired);
        assertFalse(report.compatible());
        assertEquals(1, report.changed().size(), report.toString());
        assertTrue(report.changed().get(0).contains("release doctored cannot read the state this build writes"),
                report.toString());
    }

    @Test
    void anAddedOptionalFieldIsCompatibleBothWays() {
        final Schema withOptional = addField(current(STATE), new Schema.Field("segment",
                Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)), "doc",
                Schema.Field.NULL_DEFAULT_VALUE));
        assertEquals(List.of(), TopologyCompatibility.stateSchemaChanges(STATE, current(STATE), withOptional, "0.2.0"));
        final Report report = compareWithState(withOptional);
        assertTrue(report.compatible(), report.toString());
    }

    @Test
    void aStateSchemaGoneFromTheBuildIsReported() throws IOException {
        final Release latest = TopologyCompatibility.released("0.2.0");
        final Map<String, StateSchema> schemas = new TreeMap<>(latest.manifest().stateSchemas());
        final Schema old = SchemaBuilder.record("FamilyList").namespace("io.rtdw.state").fields()
                .requiredInt("id").endRecord();
        schemas.put(old.getFullName(), new StateSchema(old, "FamilyList/v1"));
        final Report report = TopologyCompatibility.compare(new Release("doctored", latest.description(),
                new Manifest("doctored", latest.manifest().stores(), schemas)), TopologyCompatibility.current());
        assertFalse(report.compatible());
        assertTrue(report.changed().get(0).startsWith("state schema io.rtdw.state.FamilyList: gone from this build"),
                report.toString());
    }

    // ---------------------------------------------------------------- the released state schemas

    /**
     * SchemaHistoryTest's rule for the state, in both directions: every state schema of this build was released
     * (released/&lt;Name&gt;/v&lt;N&gt;.avsc), reads every released version (a compacted changelog keeps values of all of
     * them), and the newest released version reads it (the old instances during a rollout, and a rollback).
     */
    @TestFactory
    Stream<DynamicTest> everyStateSchemaIsReleasedAndCompatibleBothWays() {
        return TopologyCompatibility.STATE_SCHEMAS.stream().map(schema -> DynamicTest.dynamicTest(schema.getName(),
                () -> {
                    final List<Schema> history = SchemaHistory.released(schema.getName());
                    assertFalse(history.isEmpty(), "no released/" + schema.getName() + "/v1.avsc");
                    for (int v = 0; v < history.size(); v++) {
                        assertEquals(null, SchemaHistory.backwardIncompatibilities(schema, history.get(v)),
                                schema.getName() + " cannot read released version " + (v + 1));
                    }
                    assertEquals(null, SchemaHistory.backwardIncompatibilities(history.get(history.size() - 1),
                            schema), "the newest released " + schema.getName() + " cannot read this build's");
                    assertNotNull(TopologyCompatibility.releasedVersionOf(schema),
                            schema.getName() + " differs from every released version");
                }));
    }

    @Test
    void theManifestNamesReleasedSchemas() throws IOException {
        final Manifest manifest = TopologyCompatibility.released("0.2.0").manifest();
        assertEquals(TopologyCompatibility.STATE_SCHEMAS.size(), manifest.stateSchemas().size());
        final StateSchema customer = manifest.stateSchemas().get(STATE);
        assertEquals("CustomerState/v1", customer.released());
        assertEquals(SchemaNormalization.toParsingForm(SchemaHistory.released("CustomerState").get(0)),
                SchemaNormalization.toParsingForm(customer.schema()));
        assertEquals(manifest, Manifest.parse("0.2.0", manifest.text()));
    }

    // ---------------------------------------------------------------- partition counts

    private static final List<String> DATA = List.of("cdc.customers", "cdc.flight", "cdc.vehicle", "out");
    private static final String CHANGELOG = "app-unified-state-changelog";

    @Test
    void equalPartitionCountsPass() {
        final Map<String, Integer> found = counts(6, 6, 6, 6);
        found.put(CHANGELOG, 6);
        final Report report = TopologyCompatibility.partitions(found, DATA, CHANGELOG, 6);
        assertTrue(report.compatible(), report.toString());
        assertEquals(List.of("partitions: 5 topics with 6 each"), report.notes());
    }

    @Test
    void aTopicWithOtherPartitionsFails() {
        final Report report = TopologyCompatibility.partitions(counts(6, 12, 6, 6), DATA, CHANGELOG, 6);
        assertFalse(report.compatible());
        assertEquals(2, report.changed().size(), report.toString());
        assertTrue(report.changed().get(0).startsWith("partitions differ between topics {cdc.customers=6,"
                + " cdc.flight=12,"), report.toString());
        assertEquals("partitions of cdc.flight: 12, RTDW_TOPIC_PARTITIONS is 6", report.changed().get(1));
        assertTrue(report.notes().get(0).contains("does not exist yet"), report.toString());
    }

    @Test
    void topicsAlikeButNotAsConfiguredFail() {
        final Report report = TopologyCompatibility.partitions(counts(12, 12, 12, 12), DATA, CHANGELOG, 6);
        assertEquals(4, report.changed().size(), report.toString());
    }

    @Test
    void aChangelogOfAnotherCountFails() {
        final Map<String, Integer> found = counts(12, 12, 12, 12);
        found.put(CHANGELOG, 6);
        final Report report = TopologyCompatibility.partitions(found, DATA, CHANGELOG, 12);
        assertFalse(report.compatible());
        assertTrue(report.changed().contains("partitions of " + CHANGELOG + ": 6, RTDW_TOPIC_PARTITIONS is 12"),
                report.toString());
    }

    @Test
    void aMissingTopicFails() {
        final Map<String, Integer> found = counts(6, 6, 6, 6);
        found.remove("cdc.vehicle");
        final Report report = TopologyCompatibility.partitions(found, DATA, CHANGELOG, 6);
        assertEquals(List.of("topic cdc.vehicle: does not exist (create it first: io.rtdw.catalog.CreateTopics)"),
                report.changed());
    }

    @Test
    void changelogIsNamedAsKafkaStreamsNamesIt() {
        assertEquals("rtdw-unified-customer-unified-state-changelog",
                TopologyCompatibility.changelog("rtdw-unified-customer"));
        assertEquals(List.of("rtdw.public.customers", "rtdw.public.flight", "rtdw.rtdw.vehicle",
                "rtdw.warehouse.unified_customer"), TopologyCompatibility.dataTopics(TopicCatalog.DEFAULT));
    }

    // ---------------------------------------------------------------- the command

    @Test
    void commandExitsZeroOnThisBuild() throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, TopologyCompatibility.run(new String[0], Map.of(), new PrintStream(out, true,
                StandardCharsets.UTF_8)));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("topology-compat: this build against release 0.2.0"), text);
        assertTrue(text.contains("note    partitions not checked"), text);
    }

    @Test
    void commandExitsOneListingEveryReason(@org.junit.jupiter.api.io.TempDir final Path dir) throws Exception {
        final Release latest = TopologyCompatibility.released("0.2.0");
        Files.writeString(dir.resolve("doctored.txt"), latest.description().replace("stores: [unified-state]",
                "stores: [unified-state, old-store]"));
        Files.writeString(dir.resolve("doctored.manifest"), latest.manifest().text()
                .replace("persistent=true", "persistent=false"));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(1, TopologyCompatibility.run(new String[] {"--previous", dir.resolve("doctored.txt").toString()},
                Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8)));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("REMOVED store old-store"), text);
        assertTrue(text.contains("CHANGED store unified-state: was in-memory key-value"), text);
        assertTrue(text.contains("verdict: NOT compatible (2 reasons)"), text);
    }

    @Test
    void commandRefusesBadUsage() throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(2, TopologyCompatibility.run(new String[] {"--nope"}, Map.of(), print));
        assertEquals(2, TopologyCompatibility.run(new String[] {"--previous", "9.9.9"}, Map.of(), print));
        assertEquals(0, TopologyCompatibility.run(new String[] {"--help"}, Map.of(), print));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--bootstrap-servers"));
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Integer> counts(final int... n) {
        final Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < n.length; i++) {
            out.put(DATA.get(i), n[i]);
        }
        return out;
    }

    private static Schema current(final String name) {
        return TopologyCompatibility.STATE_SCHEMAS.stream().filter(s -> s.getFullName().equals(name)).findFirst()
                .orElseThrow();
    }

    /** This build against the released 0.2.0 whose CustomerState is {@code released}. */
    private static Report compareWithState(final Schema released) {
        try {
            final Release latest = TopologyCompatibility.released("0.2.0");
            final Map<String, StateSchema> schemas = new TreeMap<>(latest.manifest().stateSchemas());
            schemas.put(STATE, new StateSchema(released, "CustomerState/v1"));
            return TopologyCompatibility.compare(new Release("doctored", latest.description(),
                    new Manifest("doctored", latest.manifest().stores(), schemas)), TopologyCompatibility.current());
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Schema addField(final Schema schema, final Schema.Field added) {
        final List<Schema.Field> fields = new java.util.ArrayList<>(copy(schema.getFields()));
        fields.add(added);
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static Schema replaceField(final Schema schema, final String name, final Schema.Field replacement) {
        final List<Schema.Field> fields = copy(schema.getFields()).stream()
                .map(f -> f.name().equals(name) ? replacement : f).toList();
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static List<Schema.Field> copy(final List<Schema.Field> fields) {
        return fields.stream().map(f -> new Schema.Field(f, f.schema())).toList();
    }
}
