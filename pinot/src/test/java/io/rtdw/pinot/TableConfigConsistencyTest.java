package io.rtdw.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import io.rtdw.testing.pinot.PinotTables;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The local and production table configs differ only where Pinot versions force it, and match the schemas. */
class TableConfigConsistencyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The only stream settings allowed to differ: consumer factory, decoder and the decoder's registry property. */
    private static final List<String> PER_ENVIRONMENT_STREAM_KEYS = List.of(
            "stream.kafka.consumer.factory.class.name", "stream.kafka.decoder.class.name",
            "stream.kafka.decoder.prop.schema.registry.rest.url", "stream.kafka.decoder.prop.registry.url");

    private final JsonNode local = read(PinotTables.localTable("t", "k:9092", "http://apicurio/apis/registry/v3"));
    private final JsonNode production = read(PinotTables.productionTable("t", "k:9092", "http://apicurio/apis/ccompat/v7"));
    private final JsonNode schema = read(PinotTables.schema());

    @Test
    void variantsDifferOnlyInConsumerDecoderDeletesReplicasAndLabel() {
        assertEquals(strip(local), strip(production));
    }

    @Test
    void eachVariantUsesItsPinotVersionsConsumerAndDecoder() {
        final JsonNode localStream = local.path("tableIndexConfig").path("streamConfigs");
        final JsonNode productionStream = production.path("tableIndexConfig").path("streamConfigs");
        assertEquals("org.apache.pinot.plugin.stream.kafka20.KafkaConsumerFactory",
                localStream.path("stream.kafka.consumer.factory.class.name").asText());
        assertTrue(productionStream.path("stream.kafka.consumer.factory.class.name").asText()
                .matches("org\\.apache\\.pinot\\.plugin\\.stream\\.kafka(30|40)\\.KafkaConsumerFactory"));
        assertEquals("io.rtdw.pinot.decoder.RegistryFramedAvroDecoder",
                localStream.path("stream.kafka.decoder.class.name").asText());
        assertEquals("org.apache.pinot.plugin.inputformat.avro.confluent.KafkaConfluentSchemaRegistryAvroMessageDecoder",
                productionStream.path("stream.kafka.decoder.class.name").asText());
        assertEquals("http://apicurio/apis/ccompat/v7",
                productionStream.path("stream.kafka.decoder.prop.schema.registry.rest.url").asText());
        // Our decoder takes the registry's v3 API (ids are contentIds, see RegistryFramedAvroDecoder); rendered
        // without a registry the property is empty and the decoder uses the schemas bundled in its jar.
        assertEquals("http://apicurio/apis/registry/v3", localStream.path("stream.kafka.decoder.prop.registry.url").asText());
        assertEquals("", read(PinotTables.localTable("t", "k:9092")).path("tableIndexConfig").path("streamConfigs")
                .path("stream.kafka.decoder.prop.registry.url").asText("missing"));
        // Pinot 0.11's UpsertConfig has no deleteRecordColumn: deletes are filtered with `deleted = false` there.
        assertTrue(local.path("upsertConfig").path("deleteRecordColumn").isMissingNode());
        assertEquals("deleted", production.path("upsertConfig").path("deleteRecordColumn").asText());
    }

    @Test
    void upsertReadCommittedAndRoutingAsRequired() {
        for (final JsonNode table : List.of(local, production)) {
            assertEquals("REALTIME", table.path("tableType").asText());
            assertEquals("FULL", table.path("upsertConfig").path("mode").asText());
            assertEquals("version", table.path("upsertConfig").path("comparisonColumn").asText());
            assertEquals("strictReplicaGroup", table.path("routing").path("instanceSelectorType").asText());
            final JsonNode stream = table.path("tableIndexConfig").path("streamConfigs");
            assertEquals("read_committed", stream.path("stream.kafka.isolation.level").asText());
            assertEquals("t", stream.path("stream.kafka.topic.name").asText());
            assertEquals("k:9092", stream.path("stream.kafka.broker.list").asText());
            // Kafka partitions by murmur2 of the Avro-encoded key bytes, not of the column value: declaring a
            // partition function on customer_id would make Pinot prune the wrong segments.
            assertTrue(table.path("tableIndexConfig").path("segmentPartitionConfig").isMissingNode());
        }
        assertEquals(List.of("customer_id"), texts(schema.path("primaryKeyColumns")));
    }

    @Test
    void everyPinotColumnComesFromTheRecordOrATransformAndNoScalarIsForgotten() {
        final Set<String> columns = new TreeSet<>();
        for (final String specs : List.of("dimensionFieldSpecs", "metricFieldSpecs", "dateTimeFieldSpecs")) {
            schema.path(specs).forEach(spec -> assertTrue(columns.add(spec.path("name").asText()), "duplicate column"));
        }
        final Set<String> transformed = new TreeSet<>();
        final Pattern argument = Pattern.compile("^\\w+\\((\\w+)(?:, '\\$\\.\\[\\*\\]\\.(\\w+)')?\\)$");
        for (final JsonNode transform : local.path("ingestionConfig").path("transformConfigs")) {
            transformed.add(transform.path("columnName").asText());
            final Matcher m = argument.matcher(transform.path("transformFunction").asText());
            assertTrue(m.matches(), "unexpected transform " + transform);
            final Schema.Field source = UnifiedCustomer.getClassSchema().getField(m.group(1));
            assertTrue(source != null, "transform reads a field the record does not have: " + m.group(1));
            if (m.group(2) != null) {
                final Schema item = m.group(1).equals("flights") ? UnifiedFlight.getClassSchema() : UnifiedVehicle.getClassSchema();
                assertTrue(item.getField(m.group(2)) != null, "no field " + m.group(2) + " in " + item.getName());
            }
        }
        final Set<String> scalars = new TreeSet<>();
        for (final Schema.Field f : UnifiedCustomer.getClassSchema().getFields()) {
            if (f.schema().getType() != Schema.Type.ARRAY) {
                scalars.add(f.name());
            }
        }
        final Set<String> fromRecordOrTransform = new HashSet<>(scalars);
        fromRecordOrTransform.addAll(transformed);
        assertEquals(new TreeSet<>(fromRecordOrTransform), columns);
        assertTrue(columns.contains(local.path("upsertConfig").path("comparisonColumn").asText()));
        assertTrue(texts(schema.path("dateTimeFieldSpecs").findValues("name")).contains(
                local.path("segmentsConfig").path("timeColumnName").asText()));
    }

    @Test
    void renderingLeavesNoPlaceholderAndRejectsMissingValues() {
        assertFalse(local.toString().contains("${"));
        assertFalse(production.toString().contains("${"));
        try {
            PinotTables.render("x ${NOPE}", java.util.Map.of());
            throw new AssertionError("a missing value must fail");
        } catch (final IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("NOPE"));
        }
    }

    private static JsonNode strip(final JsonNode table) {
        final ObjectNode copy = table.deepCopy();
        final ObjectNode stream = (ObjectNode) copy.path("tableIndexConfig").path("streamConfigs");
        PER_ENVIRONMENT_STREAM_KEYS.forEach(stream::remove);
        ((ObjectNode) copy.path("upsertConfig")).remove("deleteRecordColumn");
        ((ObjectNode) copy.path("segmentsConfig")).remove("replicasPerPartition");
        copy.remove("metadata");
        return copy;
    }

    private static List<String> texts(final Iterable<JsonNode> nodes) {
        final List<String> out = new ArrayList<>();
        nodes.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> texts(final List<JsonNode> nodes) {
        return texts((Iterable<JsonNode>) nodes);
    }

    private static JsonNode read(final String json) {
        try {
            return JSON.readTree(json);
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
