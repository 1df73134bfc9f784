package io.rtdw.cdc.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.CdcConfig;
import io.rtdw.cdc.mongodb.MongoCapture;
import io.rtdw.cdc.postgres.PostgresCapture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Kafka Connect configs in connect/ capture the same way as the embedded engine (no drift between them). */
class ConnectConfigsTest {

    /**
     * Keys that legitimately differ: connection values come from the worker's environment, offsets are Connect's;
     * the embedded capture reads transaction END events to stamp commit positions (Connect writes records one by one
     * through the converter and would need a topic for them: it keeps the pre-v2 order, see the README).
     */
    private static final Set<String> DIFFERENT = Set.of("name", "slot.name", "database.hostname", "database.port",
            "database.dbname", "database.user", "database.password", "mongodb.connection.string", "bootstrap.servers",
            "offset.storage", "offset.storage.topic", "offset.storage.partitions", "offset.storage.replication.factor",
            "offset.flush.interval.ms", "offset.flush.timeout.ms", "key.converter.schemas.enable",
            "value.converter.schemas.enable", "provide.transaction.metadata");

    private static JsonNode config(final String file) throws IOException {
        return new ObjectMapper().readTree(Path.of("connect", file).toFile()).get("config");
    }

    private static void assertSameCapture(final Properties embedded, final JsonNode connect) {
        for (final String key : embedded.stringPropertyNames()) {
            if (DIFFERENT.contains(key)) {
                continue;
            }
            assertTrue(connect.has(key), "connect config lacks " + key);
            assertEquals(embedded.getProperty(key), connect.get(key).asText(), key);
        }
        assertEquals("all", connect.get("producer.override.acks").asText());
        assertEquals("true", connect.get("producer.override.enable.idempotence").asText());
        assertEquals(CommitTimestamp.class.getName(), connect.get("transforms.commitTs.type").asText());
        assertEquals(ChangeRecordConverter.class.getName(), connect.get("value.converter").asText());
        connect.fields().forEachRemaining(e -> assertFalse(e.getKey().contains("password")
                && !e.getValue().asText().startsWith("${"), "no secret in the file: " + e.getKey()));
    }

    @Test
    void convertersNameTheDefaultCatalogsTopics() throws IOException {
        final Map<String, String> expected = Map.of("rtdw.topic.prefix", TopicCatalog.DEFAULT.prefix(),
                "rtdw.pg.schema", TopicCatalog.DEFAULT.pgSchema(), "rtdw.mongo.database", TopicCatalog.DEFAULT.mongoDb());
        int checked = 0;
        for (final String file : List.of("postgres-connector.json", "mongodb-connector.json")) {
            for (final var field : (Iterable<Map.Entry<String, JsonNode>>) config(file)::fields) {
                for (final Map.Entry<String, String> setting : expected.entrySet()) {
                    if (field.getKey().endsWith("." + setting.getKey())) {
                        assertEquals(setting.getValue(), field.getValue().asText(), file + " " + field.getKey());
                        checked++;
                    }
                }
            }
        }
        assertEquals(8, checked, "converter settings naming the catalog");
    }

    @Test
    void postgresConnectorMatchesTheEmbeddedCapture() throws IOException {
        final CdcConfig config = CdcConfig.fromEnv(Map.of("RTDW_CDC_SOURCES", "postgres",
                "RTDW_CDC_OFFSET_FLUSH_MS", "1000"));
        assertSameCapture(PostgresCapture.properties(config), config("postgres-connector.json"));
    }

    @Test
    void mongodbConnectorMatchesTheEmbeddedCapture() throws IOException {
        final CdcConfig config = CdcConfig.fromEnv(Map.of("MONGODB_URI", "mongodb://m:27017/?replicaSet=rs0"));
        assertSameCapture(MongoCapture.properties(config), config("mongodb-connector.json"));
    }
}
