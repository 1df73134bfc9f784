package io.rtdw.cdc.mongodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;

/**
 * Debezium 3.4 MongoDB connector events recorded from a real connector ({@code src/test/resources/mongodb-events}).
 * Shared through this module's test-jar: dev-tools compares its event writer with them.
 */
public final class RecordedMongoEvents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordedMongoEvents() {
    }

    /** Loads a recorded event: key and value as the JSON text the connector emits, plus the offset's token. */
    public static DebeziumMongoEventMapper.Event load(final String name) throws IOException {
        try (InputStream in = RecordedMongoEvents.class.getResourceAsStream("/mongodb-events/" + name + ".json")) {
            if (in == null) {
                throw new IOException("no recorded event mongodb-events/" + name + ".json");
            }
            final JsonNode node = JSON.readTree(in);
            return new DebeziumMongoEventMapper.Event(JSON.writeValueAsString(node.get("key")),
                    JSON.writeValueAsString(node.get("value")),
                    node.get("resumeToken").isNull() ? null : node.get("resumeToken").asText());
        }
    }
}
