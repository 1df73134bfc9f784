package io.rtdw.cdc.postgres;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.CaptureHaltException;
import io.rtdw.runtime.ServiceMetrics;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.rtdw.cdc.postgres.PostgresChangeMapperTest.CUSTOMER;
import static io.rtdw.cdc.postgres.PostgresChangeMapperTest.FLIGHT;
import static io.rtdw.cdc.postgres.PostgresChangeMapperTest.customer;
import static io.rtdw.cdc.postgres.PostgresChangeMapperTest.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard on Debezium envelopes shaped as the connector builds them after a TRUNCATE or a DDL. */
class SchemaGuardTest {

    private final ServiceMetrics metrics = new ServiceMetrics("cdc");
    private final PostgresChangeMapper mapper = new PostgresChangeMapper(TopicCatalog.DEFAULT, new SchemaGuard(metrics));

    @AfterEach
    void close() {
        metrics.close();
    }

    /** {@code base} with columns replaced, dropped ({@code null}) or added (new names go last). */
    private static Schema variant(final Schema base, final Map<String, Schema> changes) {
        final Map<String, Schema> columns = new LinkedHashMap<>();
        for (final Field f : base.fields()) {
            columns.put(f.name(), f.schema());
        }
        columns.putAll(changes);
        final SchemaBuilder b = SchemaBuilder.struct().name(base.name()).optional();
        columns.forEach((name, schema) -> {
            if (schema != null) {
                b.field(name, schema);
            }
        });
        return b.build();
    }

    private static Map<String, Schema> change(final String column, final Schema schema) {
        final Map<String, Schema> m = new LinkedHashMap<>();
        m.put(column, schema);
        return m;
    }

    private String haltOnInsert(final String table, final Schema row) {
        final Struct after = new Struct(row).put("id", 7);
        return assertThrows(CaptureHaltException.class,
                () -> mapper.map(record(table, row, 7, null, after, "c", "false"))).getMessage();
    }

    private double scraped(final String series) {
        for (final String line : metrics.scrape().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        return -1;
    }

    @Test
    void aTruncateOfEitherTableStopsWithTableAndPosition() {
        for (final String table : new String[] {"customers", "flight"}) {
            final CaptureHaltException e = assertThrows(CaptureHaltException.class, () -> mapper.map(
                    record(table, table.equals("flight") ? FLIGHT : CUSTOMER, 0, null, null, "t", "false")));
            assertTrue(e.getMessage().startsWith("TRUNCATE of public." + table + " at LSN 0/16B3748"), e.getMessage());
            assertTrue(e.getMessage().contains("'TRUNCATE' in cdc-sources/README.md"), e.getMessage());
            assertEquals("truncate", e.reason());
            assertEquals(1.0, scraped("rtdw_cdc_halts_total{reason=\"truncate\",source=\"postgres\",table=\"public."
                    + table + "\"}"), metrics::scrape);
        }
    }

    @Test
    void aTypeChangeNamesTableColumnAndBothTypes() {
        final String m = haltOnInsert("customers", variant(CUSTOMER, change("telefone", Schema.OPTIONAL_INT32_SCHEMA)));
        assertTrue(m.startsWith("schema drift in public.customers at LSN 0/16B3748"), m);
        assertTrue(m.contains("column telefone: the contract has text (Connect STRING), the captured row has INT32"), m);
        final String f = haltOnInsert("flight", variant(FLIGHT, change("customer_id", Schema.OPTIONAL_INT64_SCHEMA)));
        assertTrue(f.contains("column customer_id: the contract has integer (Connect INT32), the captured row has "
                + "INT64"), f);
        assertEquals(1.0, scraped("rtdw_cdc_halts_total{reason=\"schema_drift\",source=\"postgres\","
                + "table=\"public.flight\"}"), metrics::scrape);
    }

    @Test
    void aTimestampOfAnotherPrecisionIsDriftBecauseItsUnitChanges() {
        final String m = haltOnInsert("flight", variant(FLIGHT, change("dt_update",
                SchemaBuilder.int64().name("io.debezium.time.Timestamp").optional().build())));
        assertTrue(m.contains("column dt_update: the contract has timestamp (Connect INT64 io.debezium.time."
                + "MicroTimestamp), the captured row has INT64 io.debezium.time.Timestamp"), m);
    }

    @Test
    void aDroppedOrRenamedColumnIsNamed() {
        final String dropped = haltOnInsert("customers", variant(CUSTOMER, change("email", null)));
        assertTrue(dropped.contains("column email (text) is missing: dropped or renamed"), dropped);
        final Map<String, Schema> rename = change("email", null);
        rename.put("mail", Schema.OPTIONAL_STRING_SCHEMA);
        final String renamed = haltOnInsert("customers", variant(CUSTOMER, rename));
        assertTrue(renamed.contains("column email (text) is missing") && renamed.contains("columns not in the "
                + "contract: mail"), renamed);
    }

    @Test
    void anAddedColumnIsIgnoredAndCounted() {
        final Schema wider = variant(CUSTOMER, change("vip", Schema.OPTIONAL_BOOLEAN_SCHEMA));
        final Struct after = new Struct(wider).put("id", 7).put("nome", "Ana").put("vip", true);
        assertEquals("Ana", ((io.rtdw.schemas.CustomerChange) mapper.map(record("customers", wider, 7, null, after,
                "c", "false")).orElseThrow().value()).getAfter().getNome());
        assertEquals(1.0, scraped("rtdw_cdc_schema_ignored_columns{table=\"customers\"}"), metrics::scrape);
        // The contract's own schema passes, and resets the count.
        mapper.map(record("customers", CUSTOMER, 7, null, customer(7, "x"), "c", "false")).orElseThrow();
        assertEquals(0.0, scraped("rtdw_cdc_schema_ignored_columns{table=\"customers\"}"), metrics::scrape);
    }
}
