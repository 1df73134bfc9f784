package io.rtdw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.schemas.Customer;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.schemas.UnifiedVehicle;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The readable JSON of Avro records: logical types as ISO text, unions unwrapped, and the strict way back. */
class AvroJsonTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static UnifiedCustomer unified() {
        return UnifiedCustomer.newBuilder().setCustomerId(7).setVersion(3)
                .setSourceTsMs(Instant.parse("2024-03-01T12:00:00.123Z")).setName("Ana").setGender(null)
                .setBirthDate(LocalDate.of(1990, 5, 17)).setUpdatedAt(LocalDateTime.parse("2024-02-29T23:59:58.123456"))
                .setFlightCount(1).setVehicleCount(1)
                .setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(11).setAirport("GRU").setAirline(null)
                        .setIataCode("LA").setUpdatedAt(null).setSourceTsMs(Instant.ofEpochMilli(5)).build()))
                .setVehicles(List.of(UnifiedVehicle.newBuilder().setVehicleId(21).setModelYear("2020").setModel("X")
                        .setMaker("Y").setVehicleYear(2019).setCategory(null)
                        .setUpdatedAt(Instant.parse("2024-01-01T00:00:00Z"))
                        .setSourceTsMs(Instant.parse("2024-01-02T03:04:05.006Z")).build()))
                .build();
    }

    @Test
    void logicalTypesAreReadableAndUnionsUnwrapped() {
        final JsonNode json = AvroJson.toJson(unified());
        assertEquals(7, json.get("customer_id").intValue());
        assertEquals(3L, json.get("version").longValue());
        assertEquals("2024-03-01T12:00:00.123Z", json.get("source_ts_ms").textValue());
        assertEquals("Ana", json.get("name").textValue());
        assertTrue(json.get("gender").isNull());
        assertEquals("1990-05-17", json.get("birth_date").textValue());
        assertEquals("2024-02-29T23:59:58.123456", json.get("updated_at").textValue());
        assertEquals("GRU", json.at("/flights/0/airport").textValue());
        assertEquals("1970-01-01T00:00:00.005Z", json.at("/flights/0/source_ts_ms").textValue());
        assertEquals(2019, json.at("/vehicles/0/vehicle_year").intValue());
        assertEquals("2024-01-01T00:00:00Z", json.at("/vehicles/0/updated_at").textValue());
    }

    @Test
    void theJsonReadsBackToTheSameRecord() throws Exception {
        final UnifiedCustomer original = unified();
        final String text = MAPPER.writeValueAsString(AvroJson.toJson(original));
        assertEquals(original, AvroJson.fromJson(MAPPER.readTree(text), UnifiedCustomer.class));
    }

    @Test
    void handWrittenJsonWithDefaultsLeftOut() throws Exception {
        final CustomerChange change = AvroJson.fromJson(MAPPER.readTree("""
                {"op": "CREATE", "after": {"id": 5, "nome": "Bia", "nascimento": "2001-02-03",
                 "dt_update": "2024-03-01T10:00:00"},
                 "source": {"connector": "postgresql", "db": "rtdw", "table": "public.customers",
                            "commit_ts_ms": 1700000000000, "position": "0/1", "sequence": 1}}
                """), CustomerChange.class);
        final CustomerChange expected = CustomerChange.newBuilder().setOp(Op.CREATE).setBefore(null)
                .setAfter(Customer.newBuilder().setId(5).setNome("Bia").setNascimento(LocalDate.of(2001, 2, 3))
                        .setDtUpdate(LocalDateTime.of(2024, 3, 1, 10, 0)).build())
                .setSource(SourceInfo.newBuilder().setConnector("postgresql").setDb("rtdw").setTable("public.customers")
                        .setCommitTsMs(1700000000000L).setPosition("0/1").setSequence(1).build())
                .build();
        assertEquals(expected, change);
    }

    @Test
    void wrongJsonNamesTheField() throws Exception {
        final String source = "\"source\": {\"connector\": \"p\", \"db\": \"d\", \"table\": \"t\", \"commit_ts_ms\": 1,"
                + " \"position\": \"0/1\", \"sequence\": 1}";
        assertProblem("{\"op\": \"CREATE\", \"after\": {\"id\": 5, \"nome\": 5}, " + source + "}",
                "$.after.nome: expected a string, was 5");
        assertProblem("{\"op\": \"MERGE\", " + source + "}", "$.op: expected one of [CREATE, UPDATE, DELETE, READ]");
        assertProblem("{\"op\": \"CREATE\", \"colour\": 1, " + source + "}", "$.colour: no such field in CustomerChange");
        assertProblem("{\"op\": \"CREATE\"}", "$.source: missing (SourceInfo, no default)");
        assertProblem("{\"op\": \"CREATE\", \"after\": {\"id\": 4294967298}, " + source + "}",
                "$.after.id: expected a 32-bit whole number, was 4294967298");
        assertProblem("{\"op\": \"CREATE\", \"after\": {\"id\": 1, \"nascimento\": \"17/05/1990\"}, " + source + "}",
                "$.after.nascimento: expected a date YYYY-MM-DD");
        assertProblem("{\"op\": \"CREATE\", \"after\": {\"id\": true}, " + source + "}",
                "$.after.id: expected a 32-bit whole number, was true");
    }

    private static void assertProblem(final String json, final String expected) throws Exception {
        final JsonNode node = MAPPER.readTree(json);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AvroJson.fromJson(node, CustomerChange.class));
        assertTrue(e.getMessage().contains(expected), "'" + expected + "' in: " + e.getMessage());
    }
}
