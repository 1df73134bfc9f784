package io.rtdw.testing;

import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.CustomerKey;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.serde.RegistrySerdes;
import io.rtdw.serde.SchemaHistory;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry enforces schema compatibility. The shared test server runs with the production setting (a default
 * global COMPATIBILITY rule from configuration, {@value RegistryServer#PRODUCTION_COMPATIBILITY}); an artifact rule
 * set through the REST API overrides it for one artifact.
 */
class RegistryCompatibilityIT {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryCompatibilityIT.class);

    @RegisterExtension
    static final RegistryServerExtension REGISTRY = new RegistryServerExtension();

    private static final Schema RELEASED = last(SchemaHistory.released("UnifiedCustomer"));

    @Test
    void theProductionRuleRefusesAnIncompatibleSchemaAndAcceptsACompatibleOne() {
        final RegistryServer server = REGISTRY.server();
        final RegistryRest rest = new RegistryRest(server.url());
        assertEquals(RegistryServer.PRODUCTION_COMPATIBILITY,
                rest.get("/admin/rules/COMPATIBILITY").ok().json().path("config").asText());

        // The released schema, registered by the project's serdes the way the streams app does it.
        final String topicName = "compat-" + Long.toString(System.nanoTime(), 36) + ".unified_customer";
        final Topic<CustomerKey, UnifiedCustomer> topic = TopicCatalog.DEFAULT.unifiedCustomers().rename(topicName);
        final String artifact = topicName + "-value";
        final RegistrySerdes serdes = RegistrySerdes.remote(server.url(), true);
        serdes.valueSerde(topic).serializer().serialize(topicName, UnifiedCustomer.newBuilder().setCustomerId(1)
                .setVersion(1).setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).build());
        final long releasedContentId = rest.versionMetadata(RegistryRest.DEFAULT_GROUP, artifact, "branch=latest")
                .path("contentId").asLong();
        assertEquals(SchemaNormalization.toParsingForm(RELEASED),
                SchemaNormalization.toParsingForm(new Schema.Parser().parse(rest.contentById(releasedContentId))));

        // Refused: a new field without a default (readers of the new schema cannot read the old records) ...
        final Schema newRequiredField = withField(RELEASED, "loyalty_tier", Schema.create(Schema.Type.STRING), null);
        final RegistryRest.Response refused = rest.createVersion(RegistryRest.DEFAULT_GROUP, artifact,
                newRequiredField.toString());
        LOG.info("new required field: HTTP {} {}", refused.status(), refused.body());
        assertEquals(409, refused.status(), refused.body());
        assertEquals("RuleViolationException", refused.json().path("name").asText());
        assertTrue(refused.json().path("detail").asText().startsWith("Incompatible artifact: " + artifact),
                refused.body());
        assertTrue(refused.body().contains("loyalty_tier"), "names the field: " + refused.body());

        // ... and a changed field type.
        final Schema changedType = withChangedType(RELEASED, "version", Schema.create(Schema.Type.STRING));
        final RegistryRest.Response refusedType = rest.createVersion(RegistryRest.DEFAULT_GROUP, artifact,
                changedType.toString());
        LOG.info("changed type: HTTP {} {}", refusedType.status(), refusedType.body());
        assertEquals(409, refusedType.status(), refusedType.body());
        // Causes name the field by position: /fields/<n>/type.
        assertTrue(refusedType.body().contains("/fields/" + RELEASED.getField("version").pos() + "/type"),
                refusedType.body());

        // Accepted: an optional field with a default.
        final Schema optional = withField(RELEASED, "loyalty_tier", Schema.createUnion(
                Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING)), Schema.Field.NULL_DEFAULT_VALUE);
        final RegistryRest.Response accepted = rest.createVersion(RegistryRest.DEFAULT_GROUP, artifact, optional.toString());
        assertEquals(200, accepted.status(), accepted.body());
        assertEquals("2", accepted.json().path("version").asText());

        // The serdes write a record of the accepted schema (its version is found, not created) and read it back.
        final Serializer<GenericRecord> generic = serdes.genericValue().serializer();
        final GenericRecord evolved = new GenericRecordBuilder(optional).set("customer_id", 2).set("version", 1L)
                .set("source_ts_ms", 1_700_000_000_000L).set("loyalty_tier", "gold").build();
        final byte[] framed = generic.serialize(topicName, evolved);
        assertEquals(accepted.json().path("contentId").asLong(), ByteBuffer.wrap(framed, 1, 4).getInt());
        final GenericRecord read = RegistrySerdes.remote(server.url(), false).genericValue().deserializer()
                .deserialize(topicName, framed);
        assertEquals(0, GenericData.get().compare(evolved, read, optional));

        // A producer whose schema breaks the rule fails instead of writing records nobody could read.
        final GenericRecord incompatible = new GenericRecordBuilder(newRequiredField).set("customer_id", 3)
                .set("version", 1L).set("source_ts_ms", 1_700_000_000_000L).set("loyalty_tier", "gold").build();
        final RuntimeException failure = assertThrows(RuntimeException.class,
                () -> generic.serialize(topicName, incompatible));
        LOG.info("serializer with an incompatible schema: {}", causes(failure));
        assertTrue(causes(failure).contains("RuleViolation"), causes(failure));
        assertEquals(2, rest.versionCount(RegistryRest.DEFAULT_GROUP, artifact), "nothing else was registered");
    }

    @Test
    void anArtifactRuleSetThroughTheRestApiOverridesTheGlobalOne() {
        final RegistryRest rest = new RegistryRest(REGISTRY.server().url());
        final String artifact = "compat-artifact-rule-" + Long.toString(System.nanoTime(), 36);
        rest.createArtifact(RegistryRest.DEFAULT_GROUP, artifact, RELEASED.toString()).ok();
        final Schema changedType = withChangedType(RELEASED, "version", Schema.create(Schema.Type.STRING));

        // An artifact rule NONE switches the check off for this artifact only (production must not do this) ...
        assertEquals(204, rest.setArtifactRule(RegistryRest.DEFAULT_GROUP, artifact, "COMPATIBILITY", "NONE").status());
        assertEquals(200, rest.createVersion(RegistryRest.DEFAULT_GROUP, artifact, changedType.toString()).status());

        // ... and an artifact rule BACKWARD set through the REST API turns it on again.
        assertEquals(200, rest.setArtifactRule(RegistryRest.DEFAULT_GROUP, artifact, "COMPATIBILITY", "BACKWARD").status());
        assertEquals("BACKWARD", rest.get("/groups/default/artifacts/" + artifact + "/rules/COMPATIBILITY").ok().json()
                .path("config").asText());
        final RegistryRest.Response refused = rest.createVersion(RegistryRest.DEFAULT_GROUP, artifact, RELEASED.toString());
        LOG.info("artifact rule BACKWARD, type changed back: HTTP {} {}", refused.status(), refused.body());
        assertEquals(409, refused.status(), refused.body());
        assertEquals("RuleViolationException", refused.json().path("name").asText());
    }

    /** {@code base} with one more field at the end. */
    static Schema withField(final Schema base, final String name, final Schema type, final Object defaultValue) {
        final List<Schema.Field> fields = copy(base.getFields());
        fields.add(new Schema.Field(name, type, "added in a test", defaultValue));
        return record(base, fields);
    }

    /** {@code base} with the type of one field replaced. */
    static Schema withChangedType(final Schema base, final String name, final Schema type) {
        final List<Schema.Field> fields = new ArrayList<>();
        for (final Schema.Field f : base.getFields()) {
            fields.add(f.name().equals(name) ? new Schema.Field(f.name(), type, f.doc())
                    : new Schema.Field(f, f.schema()));
        }
        return record(base, fields);
    }

    private static List<Schema.Field> copy(final List<Schema.Field> fields) {
        final List<Schema.Field> out = new ArrayList<>();
        fields.forEach(f -> out.add(new Schema.Field(f, f.schema())));
        return out;
    }

    private static Schema record(final Schema base, final List<Schema.Field> fields) {
        return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    }

    private static Schema last(final List<Schema> versions) {
        return versions.get(versions.size() - 1);
    }

    private static String causes(final Throwable failure) {
        final StringBuilder out = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            out.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" <- ");
        }
        return out.toString();
    }
}
