package io.rtdw.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.serde.RegistrySerdes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The project's serdes against the real Apicurio Registry: every value type of the topic catalog is written with
 * auto-registration and read back by serdes that know nothing yet (they fetch the schema by the id in the frame);
 * the id in the frame is the registry's contentId (not the globalId), which the v3 API and the Confluent-compatible
 * API both resolve to the writer's schema.
 */
class RegistrySerdesRemoteIT {

    private static final Logger LOG = LoggerFactory.getLogger(RegistrySerdesRemoteIT.class);

    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    @Test
    void everyCatalogValueTypeRoundTripsAndTheFrameCarriesTheContentId() {
        final RegistryServer server = REGISTRY.server();
        final RegistryRest rest = new RegistryRest(server.url());
        final RegistryRest ccompat = new RegistryRest(server.ccompatUrl());
        final String run = Long.toString(System.nanoTime(), 36);

        final TopicCatalog catalog = new TopicCatalog("it-" + run, "public", "rtdw", 1, (short) 1);
        final RegistrySerdes writer = RegistrySerdes.remote(server.url(), true);
        final Set<String> covered = new TreeSet<>();
        final Map<String, Integer> frameIds = new TreeMap<>();
        final Map<String, Long> globalIds = new TreeMap<>();
        long seed = 1;
        for (final Topic<?, ?> topic : catalog.all()) {
            if (!SpecificRecord.class.isAssignableFrom(topic.valueType())) {
                continue;   // the offset and heartbeat topics hold raw bytes
            }
            final JsonNode version = roundTrip(server, rest, ccompat, writer, specific(topic), seed++);
            frameIds.put(topic.name(), version.path("contentId").asInt());
            globalIds.put(topic.name(), version.path("globalId").asLong());
            covered.add(topic.valueType().getSimpleName());
        }
        // The three dead-letter topics register one content under three artifacts: three versions, so three
        // globalIds, but one contentId, and the frames of all three carry that one id. (A fresh server otherwise
        // hands out both ids in step, so only shared content tells them apart.)
        final List<String> deadLetters = List.of(catalog.cdcDeadLetters().name(), catalog.streamsDeadLetters().name(),
                catalog.lakeSinkDeadLetters().name());
        assertEquals(1, deadLetters.stream().map(frameIds::get).distinct().count(), frameIds.toString());
        assertEquals(3, deadLetters.stream().map(globalIds::get).distinct().count(), globalIds.toString());
        final Set<String> valueTypes = new TreeSet<>();
        for (final Topic<?, ?> topic : TopicCatalog.DEFAULT.all()) {
            if (SpecificRecord.class.isAssignableFrom(topic.valueType())) {
                valueTypes.add(topic.valueType().getSimpleName());
            }
        }
        assertEquals(valueTypes, covered);
        assertTrue(covered.size() >= 5, "customers, flights, vehicles, unified, dead letters: " + covered);
        LOG.info("round-tripped {} through {}", covered, server);
    }

    /** Writes and reads one sample record; returns the registry's metadata of the version the writer used. */
    private static <V extends SpecificRecord> JsonNode roundTrip(final RegistryServer server, final RegistryRest rest,
                                                             final RegistryRest ccompat, final RegistrySerdes writer,
                                                             final Topic<?, V> topic, final long seed) {
        final V record = AvroSamples.sample(topic.valueType(), seed);
        final byte[] framed = writer.valueSerde(topic).serializer().serialize(topic.name(), record);

        assertEquals(0, framed[0], "magic byte");
        final int id = ByteBuffer.wrap(framed, 1, 4).getInt();
        final JsonNode version = rest.versionMetadata(RegistryRest.DEFAULT_GROUP, topic.name() + "-value", "branch=latest");
        LOG.info("{}: frame id {}, globalId {}, contentId {}", topic, id, version.path("globalId"),
                version.path("contentId"));
        assertEquals(version.path("contentId").asLong(), id, topic + ": the frame holds the contentId");

        final Schema schema = SpecificData.get().getSchema(topic.valueType());
        assertEquals(SchemaNormalization.toParsingForm(schema),
                SchemaNormalization.toParsingForm(new Schema.Parser().parse(rest.contentById(id))),
                topic + ": v3 /ids/contentIds/{id} gives the writer's schema");
        assertEquals(SchemaNormalization.toParsingForm(schema), SchemaNormalization.toParsingForm(new Schema.Parser()
                        .parse(ccompat.get("/schemas/ids/" + id).ok().json().path("schema").asText())),
                topic + ": ccompat /schemas/ids/{id} (Pinot's Confluent decoder) gives the writer's schema");

        // New serdes, empty caches, no auto-registration: the reader fetches the schema from the server by id.
        final V read = RegistrySerdes.remote(server.url(), false).valueSerde(topic).deserializer()
                .deserialize(topic.name(), framed);
        assertEquals(record, read, topic + ": decoded record equals the written one");
        return version;
    }

    @SuppressWarnings("unchecked")
    private static Topic<?, SpecificRecord> specific(final Topic<?, ?> topic) {
        return (Topic<?, SpecificRecord>) topic;
    }
}
