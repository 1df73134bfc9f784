package io.rtdw.cdc.postgres;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.CaptureHaltException;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.schemas.CustomerChange;
import io.rtdw.schemas.FlightChange;
import io.rtdw.schemas.FlightKey;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.SourceInfo;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debezium PostgreSQL envelopes, built with the schemas the connector uses for the source tables' DDL
 * ({@code time.precision.mode=adaptive}: date = int32 days, timestamp = int64 microseconds).
 */
public class PostgresChangeMapperTest {

    static final Schema KEY = SchemaBuilder.struct().name("rtdw.public.customers.Key")
            .field("id", Schema.INT32_SCHEMA).build();
    /** The Connect row schema Debezium builds for the contract's customers table (public: the converter test). */
    public static final Schema CUSTOMER = SchemaBuilder.struct().name("rtdw.public.customers.Value").optional()
            .field("id", Schema.INT32_SCHEMA)
            .field("nome", Schema.OPTIONAL_STRING_SCHEMA).field("sexo", Schema.OPTIONAL_STRING_SCHEMA)
            .field("endereco", Schema.OPTIONAL_STRING_SCHEMA).field("telefone", Schema.OPTIONAL_STRING_SCHEMA)
            .field("email", Schema.OPTIONAL_STRING_SCHEMA).field("foto", Schema.OPTIONAL_STRING_SCHEMA)
            .field("nascimento", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
            .field("profissao", Schema.OPTIONAL_STRING_SCHEMA)
            .field("dt_update", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
            .build();
    static final Schema FLIGHT = SchemaBuilder.struct().name("rtdw.public.flight.Value").optional()
            .field("id", Schema.INT32_SCHEMA).field("customer_id", Schema.OPTIONAL_INT32_SCHEMA)
            .field("aeroporto", Schema.OPTIONAL_STRING_SCHEMA).field("linha_aerea", Schema.OPTIONAL_STRING_SCHEMA)
            .field("cod_iata", Schema.OPTIONAL_STRING_SCHEMA)
            .field("dt_update", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
            .build();
    static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("version", Schema.STRING_SCHEMA).field("connector", Schema.STRING_SCHEMA)
            .field("name", Schema.STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", SchemaBuilder.string().optional().defaultValue("false").build())
            .field("db", Schema.STRING_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("txId", Schema.OPTIONAL_INT64_SCHEMA).field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("xmin", Schema.OPTIONAL_INT64_SCHEMA).build();

    private static final String EPOCH = "pg:7301234567890123456:1";
    private final PostgresChangeMapper mapper = new PostgresChangeMapper(TopicCatalog.DEFAULT, new SchemaGuard(null),
            EPOCH);

    static Schema envelope(final Schema row) {
        return SchemaBuilder.struct().name("envelope").field("before", row).field("after", row)
                .field("source", SOURCE).field("op", Schema.STRING_SCHEMA)
                .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
    }

    static Struct source(final String table, final String snapshot, final long lsn) {
        return new Struct(SOURCE).put("version", "3.4.1.Final").put("connector", "postgresql").put("name", "rtdw")
                .put("ts_ms", 1_732_190_400_123L).put("snapshot", snapshot).put("db", "shop")
                .put("sequence", "[null,\"" + lsn + "\"]").put("schema", "public").put("table", table)
                .put("txId", 771L).put("lsn", lsn);
    }

    static Struct customer(final int id, final String profissao) {
        return new Struct(CUSTOMER).put("id", id).put("nome", "Ana Lima").put("sexo", "F")
                .put("nascimento", (int) LocalDate.of(1985, 3, 9).toEpochDay()).put("profissao", profissao)
                .put("dt_update", 1_714_557_600_123_456L);
    }

    static SourceRecord record(final String table, final Schema rowSchema, final int id, final Struct before,
                                       final Struct after, final String op, final String snapshot) {
        final Schema env = envelope(rowSchema);
        final Struct value = new Struct(env).put("before", before).put("after", after)
                .put("source", source(table, snapshot, 0x16B3748L)).put("op", op).put("ts_ms", 1L);
        return new SourceRecord(Map.of("server", "rtdw"), Map.of("lsn", 0x16B3748L), "rtdw.public." + table, null,
                KEY, new Struct(KEY).put("id", id), env, value);
    }

    @Test
    void anInsertBecomesACustomerChangeWithSourcePosition() {
        final MappedChange<?, ?> c = mapper.map(record("customers", CUSTOMER, 7, null, customer(7, "Engenheira"),
                "c", "false")).orElseThrow();
        assertEquals(TopicCatalog.DEFAULT.customers(), c.topic());
        final CustomerChange v = (CustomerChange) c.value();
        assertEquals(Op.CREATE, v.getOp());
        assertNull(v.getBefore());
        assertEquals("Ana Lima", v.getAfter().getNome());
        assertEquals(LocalDate.of(1985, 3, 9), v.getAfter().getNascimento());
        assertEquals(LocalDateTime.of(2024, 5, 1, 10, 0, 0, 123_456_000), v.getAfter().getDtUpdate());
        assertEquals("0/16B3748", v.getSource().getPosition());
        assertEquals(0x16B3748L, v.getSource().getSequence());
        assertEquals("771", v.getSource().getTxId());
        assertEquals("public.customers", v.getSource().getTable());
        assertEquals(1_732_190_400_123L, c.commitTsMs());
        assertEquals(false, v.getSource().getSnapshot());
    }

    @Test
    void everySnapshotMarkerMeansSnapshot() {
        for (final String marker : new String[] {"true", "first", "last", "first_in_data_collection",
                "last_in_data_collection"}) {
            final CustomerChange v = (CustomerChange) mapper.map(record("customers", CUSTOMER, 1, null,
                    customer(1, "x"), "r", marker)).orElseThrow().value();
            assertEquals(Op.READ, v.getOp());
            assertTrue(v.getSource().getSnapshot(), marker);
        }
    }

    @Test
    void aDeleteIsKeyedByTheKeyAndCarriesTheOldRow() {
        final MappedChange<?, ?> c = mapper.map(record("customers", CUSTOMER, 7, customer(7, "old"), null, "d", "false"))
                .orElseThrow();
        assertEquals(7, ((io.rtdw.schemas.CustomerKey) c.key()).getId());
        final CustomerChange v = (CustomerChange) c.value();
        assertEquals(Op.DELETE, v.getOp());
        assertEquals("old", v.getBefore().getProfissao());
        assertNull(v.getAfter());
    }

    @Test
    void aFlightMoveKeepsBothOwners() {
        final Struct before = new Struct(FLIGHT).put("id", 3).put("customer_id", 1).put("cod_iata", "GRU");
        final Struct after = new Struct(FLIGHT).put("id", 3).put("customer_id", 2).put("cod_iata", "GRU");
        final FlightChange v = (FlightChange) mapper.map(record("flight", FLIGHT, 3, before, after, "u", "false"))
                .orElseThrow().value();
        assertEquals(1, v.getBefore().getCustomerId());
        assertEquals(2, v.getAfter().getCustomerId());
        assertNull(v.getAfter().getDtUpdate());
    }

    /**
     * With the default replica identity Debezium's before image of a DELETE carries only the key, the other columns
     * null: the flight's old customer is unknown, so no before is made up (the change then goes to every partition).
     */
    @Test
    void aKeyOnlyBeforeImageIsNoBeforeAndItsChangeGoesToEveryPartition() {
        final Struct keyOnly = new Struct(FLIGHT).put("id", 3);
        final FlightChange delete = (FlightChange) mapper.map(record("flight", FLIGHT, 3, keyOnly, null, "d", "false"))
                .orElseThrow().value();
        assertEquals(Op.DELETE, delete.getOp());
        assertNull(delete.getBefore(), "no customer_id is invented for the old row");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, io.rtdw.catalog.CustomerPartitioner.partitions(delete, 6));

        final Struct after = new Struct(FLIGHT).put("id", 3).put("customer_id", 2).put("cod_iata", "GRU");
        final FlightChange update = (FlightChange) mapper.map(record("flight", FLIGHT, 3, null, after, "u", "false"))
                .orElseThrow().value();
        assertNull(update.getBefore());
        assertTrue(io.rtdw.catalog.CustomerPartitioner.broadcast(update));

        final Struct full = new Struct(FLIGHT).put("id", 3).put("customer_id", 1).put("cod_iata", "GRU");
        final FlightChange moved = (FlightChange) mapper.map(record("flight", FLIGHT, 3, full, after, "u", "false"))
                .orElseThrow().value();
        assertEquals(2, io.rtdw.catalog.CustomerPartitioner.partitions(moved, 6).length
                + (io.rtdw.catalog.CustomerPartitioner.partition(1, 6) == io.rtdw.catalog.CustomerPartitioner
                        .partition(2, 6) ? 1 : 0), "both customers' partitions");
    }

    @Test
    void aNullCustomerIdCannotBeMappedAndSaysWhich() {
        final Struct after = new Struct(FLIGHT).put("id", 3).put("customer_id", null);
        final UnmappableChangeException e = assertThrows(UnmappableChangeException.class,
                () -> mapper.map(record("flight", FLIGHT, 3, null, after, "c", "false")));
        assertTrue(e.getMessage().contains("flight.customer_id must be a non-null int4"), e.getMessage());
    }

    @Test
    void aColumnWhoseTypeChangedStopsTheCaptureInsteadOfDeadLettering() {
        final Schema drifted = SchemaBuilder.struct().optional().field("id", Schema.INT32_SCHEMA)
                .field("nascimento", Schema.OPTIONAL_STRING_SCHEMA).build();
        final Struct after = new Struct(drifted).put("id", 1).put("nascimento", "09/03/1985");
        final CaptureHaltException e = assertThrows(CaptureHaltException.class,
                () -> mapper.map(record("customers", drifted, 1, null, after, "c", "false")));
        assertTrue(e.getMessage().contains("column nascimento: the contract has date"), e.getMessage());
    }

    @Test
    void heartbeatsAndOtherTablesAreNotChanges() {
        final Schema hb = SchemaBuilder.struct().name("io.debezium.connector.common.Heartbeat")
                .field("ts_ms", Schema.INT64_SCHEMA).build();
        assertEquals(Optional.empty(), mapper.map(new SourceRecord(Map.of(), Map.of(), "__debezium-heartbeat.rtdw",
                null, null, hb, new Struct(hb).put("ts_ms", 1L))));
        assertEquals(Optional.empty(), mapper.map(record("orders", CUSTOMER, 1, null, customer(1, "x"), "c", "false")));
    }

    @Test
    void lsnIsSpelledAsPostgresSpellsIt() {
        assertEquals("16/B374D848", PostgresChangeMapper.formatLsn(0x16B374D848L));
        assertEquals("0/0", PostgresChangeMapper.formatLsn(0));
    }

    @Test
    void aSnapshotRowStandsAtTheSnapshotsPointFirstInItsCommit() {
        final SourceInfo info = ((CustomerChange) mapper.map(record("customers", CUSTOMER, 1, null, customer(1, "x"),
                "r", "last")).orElseThrow().value()).getSource();
        assertEquals(EPOCH, info.getEpoch());
        assertEquals(0x16B3748L, info.getCommitSequence(), "the snapshot's LSN, where streaming starts");
        assertEquals("", info.getChangeOrder());
    }

    @Test
    void aStreamedChangeAwaitsItsCommitAndIsOrderedByItsOwnLsn() {
        final SourceInfo info = ((CustomerChange) mapper.map(record("customers", CUSTOMER, 1, null, customer(1, "x"),
                "c", "false")).orElseThrow().value()).getSource();
        assertEquals(EPOCH, info.getEpoch());
        assertEquals(PostgresChangeMapper.AWAITS_COMMIT, info.getCommitSequence());
        assertEquals("00000000016B3748", info.getChangeOrder());
        assertEquals(0x16B3748L, info.getSequence(), "sequence stays the change's LSN");
    }

    @Test
    void theEndOfATransactionGivesItsCommitLsn() {
        final Schema tx = SchemaBuilder.struct().name("io.debezium.connector.common.TransactionMetadataValue")
                .field("status", Schema.STRING_SCHEMA).field("id", Schema.STRING_SCHEMA).build();
        final SourceRecord end = new SourceRecord(Map.of(), Map.of("lsn", 0x2000L, "lsn_commit", 0x2000L,
                "lsn_proc", 0x2000L), "rtdw.transaction", null, null, tx, new Struct(tx).put("status", "END")
                .put("id", "771:8192"));
        final SourceRecord begin = new SourceRecord(Map.of(), Map.of("lsn", 0x1000L), "rtdw.transaction", null, null,
                tx, new Struct(tx).put("status", "BEGIN").put("id", "771:4096"));
        assertEquals(OptionalLong.of(0x2000L), PostgresChangeMapper.commitOf(end));
        assertEquals(OptionalLong.empty(), PostgresChangeMapper.commitOf(begin));
        assertEquals(OptionalLong.empty(), PostgresChangeMapper.commitOf(record("customers", CUSTOMER, 1, null,
                customer(1, "x"), "c", "false")));
        assertEquals(Optional.empty(), mapper.map(end), "transaction markers are not changes");
        final SourceRecord broken = new SourceRecord(Map.of(), Map.of("lsn", 0x2000L), "rtdw.transaction", null, null,
                tx, new Struct(tx).put("status", "END").put("id", "771:8192"));
        assertThrows(IllegalStateException.class, () -> PostgresChangeMapper.commitOf(broken));
    }

    @Test
    void aFlightWhoseCustomerIdBecomesNullIsRetractedAtTheSamePosition() {
        final Struct before = new Struct(FLIGHT).put("id", 3).put("customer_id", 9).put("cod_iata", "GRU");
        final Struct after = new Struct(FLIGHT).put("id", 3).put("customer_id", null).put("cod_iata", "GRU");
        final UnmappableChangeException e = assertThrows(UnmappableChangeException.class,
                () -> mapper.map(record("flight", FLIGHT, 3, before, after, "u", "false")));
        final MappedChange<?, ?> retraction = e.retraction().orElseThrow();
        assertEquals(TopicCatalog.DEFAULT.flights(), retraction.topic());
        assertEquals(3, ((FlightKey) retraction.key()).getId());
        final FlightChange delete = (FlightChange) retraction.value();
        assertEquals(Op.DELETE, delete.getOp());
        assertNull(delete.getAfter());
        assertEquals(9, delete.getBefore().getCustomerId(), "the old owner, so the app knows whose array it leaves");
        assertEquals(0x16B3748L, delete.getSource().getSequence());
        assertEquals("00000000016B3748", delete.getSource().getChangeOrder());
        assertEquals(EPOCH, delete.getSource().getEpoch());

        final UnmappableChangeException insert = assertThrows(UnmappableChangeException.class,
                () -> mapper.map(record("flight", FLIGHT, 3, null, after, "c", "false")));
        assertNull(((FlightChange) insert.retraction().orElseThrow().value()).getBefore());
    }

    @Test
    void zeroAndNegativeIdsAreIds() {
        final Struct after = new Struct(FLIGHT).put("id", 0).put("customer_id", -5);
        final MappedChange<?, ?> c = mapper.map(record("flight", FLIGHT, 0, null, after, "c", "false")).orElseThrow();
        assertEquals(0, ((FlightKey) c.key()).getId());
        assertEquals(-5, ((FlightChange) c.value()).getAfter().getCustomerId());
        final MappedChange<?, ?> customer = mapper.map(record("customers", CUSTOMER, -7, null, customer(-7, "x"), "c",
                "false")).orElseThrow();
        assertEquals(-7, ((io.rtdw.schemas.CustomerKey) customer.key()).getId());
    }
}
