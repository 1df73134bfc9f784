package io.rtdw.dev.mongodb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.mongodb.DebeziumMongoEventMapper;
import io.rtdw.cdc.mongodb.RecordedMongoEvents;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The writer's events have the recorded events' shape, and map back to what was written. */
class DebeziumMongoEventWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long S = 1732190400L;
    private final DebeziumMongoEventWriter writer = new DebeziumMongoEventWriter("rtdw", "rtdw", "vehicle");
    private final DebeziumMongoEventMapper mapper = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT);

    private static Document doc(final int customer, final String modelo, final long dtUpdate) {
        return new Document("_id", 1001).append("customer_id", customer).append("ano_modelo", "2019")
                .append("modelo", modelo).append("fabricante", "Chevrolet").append("ano_veiculo", 2018)
                .append("categoria", "Hatch").append("dt_update", new Date(dtUpdate));
    }

    @Test
    void anInsertIsByteForByteTheRecordedOne() throws IOException {
        final DebeziumMongoEventMapper.Event written = writer.event(DebeziumMongoEventWriter.Kind.INSERT, 1001, null,
                doc(42, "Onix", 1732190400123L), null, S, 1, S * 1000 + 123);
        final DebeziumMongoEventMapper.Event recorded = RecordedMongoEvents.load("insert");
        final JsonNode w = JSON.readTree(written.valueJson());
        final JsonNode r = JSON.readTree(recorded.valueJson());
        assertEquals(r.get("after").asText(), w.get("after").asText(), "document text as Debezium writes it");
        assertEquals(JSON.readTree(recorded.keyJson()), JSON.readTree(written.keyJson()));
        assertEquals(fieldPaths(r), fieldPaths(w), "same envelope and source fields");
        assertEquals(r.get("source"), w.get("source"));
    }

    @Test
    void everyKindMapsBackToWhatWasWritten() {
        final VehicleChange update = mapper.map(writer.event(DebeziumMongoEventWriter.Kind.UPDATE, 1001,
                doc(42, "Onix", 1L), doc(77, "Onix", 2L), new Document("customer_id", 77), S, 2, S * 1000))
                .orElseThrow().value();
        assertEquals(Op.UPDATE, update.getOp());
        assertEquals(42, update.getBefore().getCustomerId());
        assertEquals(77, update.getAfter().getCustomerId());
        final VehicleChange replace = mapper.map(writer.event(DebeziumMongoEventWriter.Kind.REPLACE, 1001, null,
                doc(77, "Tracker", 3L), null, S, 3, S * 1000)).orElseThrow().value();
        assertEquals(Op.UPDATE, replace.getOp());
        assertEquals("Tracker", replace.getAfter().getModelo());
        final VehicleChange delete = mapper.map(writer.event(DebeziumMongoEventWriter.Kind.DELETE, 1001, null, null,
                null, S, 4, S * 1000)).orElseThrow().value();
        assertEquals(Op.DELETE, delete.getOp());
        assertNull(delete.getBefore());
        assertEquals((S << 32) | 4, delete.getSource().getSequence());
    }

    private static List<String> fieldPaths(final JsonNode node) {
        final List<String> out = new ArrayList<>();
        collect("", node, out);
        return out;
    }

    private static void collect(final String prefix, final JsonNode node, final List<String> out) {
        final Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            final String name = names.next();
            out.add(prefix + name);
            if (node.get(name).isObject()) {
                collect(prefix + name + ".", node.get(name), out);
            }
        }
    }
}
