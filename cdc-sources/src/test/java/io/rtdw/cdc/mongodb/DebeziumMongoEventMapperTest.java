package io.rtdw.cdc.mongodb;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recorded Debezium 3.4 MongoDB events (src/test/resources/mongodb-events) mapped to VehicleChange. */
class DebeziumMongoEventMapperTest {

    private static final long S = 1732190400L;
    private final DebeziumMongoEventMapper mapper = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT);

    private static DebeziumMongoEventMapper.Event recorded(final String name) throws IOException {
        return RecordedMongoEvents.load(name);
    }

    private MappedChange<VehicleKey, VehicleChange> map(final String name) throws IOException {
        return mapper.map(recorded(name)).orElseThrow();
    }

    @Test
    void insertCarriesTheFullDocumentAndClusterTime() throws IOException {
        final MappedChange<VehicleKey, VehicleChange> c = map("insert");
        assertEquals(TopicCatalog.DEFAULT.vehicles(), c.topic());
        assertEquals(1001, c.key().getId());
        final VehicleChange v = c.value();
        assertEquals(Op.CREATE, v.getOp());
        assertNull(v.getBefore());
        assertEquals(42, v.getAfter().getCustomerId());
        assertEquals("2019", v.getAfter().getAnoModelo());
        assertEquals("Onix", v.getAfter().getModelo());
        assertEquals("Chevrolet", v.getAfter().getFabricante());
        assertEquals(2018, v.getAfter().getAnoVeiculo());
        assertEquals("Hatch", v.getAfter().getCategoria());
        assertEquals(Instant.ofEpochMilli(1732190400123L), v.getAfter().getDtUpdate());
        assertEquals("mongodb", v.getSource().getConnector());
        assertEquals("rtdw", v.getSource().getDb());
        assertEquals("vehicle", v.getSource().getTable());
        assertEquals((S << 32) | 1, v.getSource().getSequence(), "cluster time seconds << 32 | increment");
        assertEquals(S * 1000 + 123, v.getSource().getCommitTsMs(), "wallTime: millisecond commit time");
        assertEquals(c.commitTsMs(), v.getSource().getCommitTsMs(), "the Kafka timestamp is the commit time");
        assertTrue(v.getSource().getPosition().startsWith(String.format("82%08X%08X", S, 1)), "resume token");
        assertFalse(v.getSource().getSnapshot());
    }

    @Test
    void updateWithoutPreImageHasOnlyTheNewDocument() throws IOException {
        final VehicleChange v = map("update-full-document").value();
        assertEquals(Op.UPDATE, v.getOp());
        assertNull(v.getBefore());
        assertEquals("Onix Plus", v.getAfter().getModelo());
    }

    @Test
    void updateWithPreImageHasBothDocuments() throws IOException {
        final VehicleChange v = map("update-with-pre-image").value();
        assertEquals(42, v.getBefore().getCustomerId());
        assertEquals(77, v.getAfter().getCustomerId(), "the vehicle moved to customer 77");
        assertEquals((S + 120 << 32) | 3, v.getSource().getSequence());
    }

    @Test
    void replaceIsAnUpdateWithTheNewDocument() throws IOException {
        final VehicleChange v = map("replace").value();
        assertEquals(Op.UPDATE, v.getOp());
        assertEquals("Tracker", v.getAfter().getModelo());
        assertEquals("SUV", v.getAfter().getCategoria());
    }

    @Test
    void deleteWithoutPreImageIsIdentifiedByItsKey() throws IOException {
        final MappedChange<VehicleKey, VehicleChange> c = map("delete");
        assertEquals(1001, c.key().getId());
        assertEquals(Op.DELETE, c.value().getOp());
        assertNull(c.value().getBefore());
        assertNull(c.value().getAfter());
    }

    @Test
    void deleteWithPreImageCarriesTheDeletedDocument() throws IOException {
        final VehicleChange v = map("delete-with-pre-image").value();
        assertEquals(Op.DELETE, v.getOp());
        assertEquals(77, v.getBefore().getCustomerId());
        assertNull(v.getAfter());
    }

    @Test
    void snapshotReadWithoutTokenOrWallTimeUsesTheClusterTime() throws IOException {
        final VehicleChange v = map("snapshot-read").value();
        assertEquals(Op.READ, v.getOp());
        assertTrue(v.getSource().getSnapshot());
        assertEquals((S - 10) * 1000, v.getSource().getCommitTsMs());
        assertEquals("clusterTime:" + (S - 10) + ":0", v.getSource().getPosition());
    }

    @Test
    void updateWhoseDocumentIsGoneIsSkippedBecauseItsDeleteFollows() throws IOException {
        assertEquals(Optional.empty(), mapper.map(recorded("update-document-gone")));
    }

    @Test
    void shellNumbersAndMissingFieldsAreAccepted() throws IOException {
        final MappedChange<VehicleKey, VehicleChange> c = map("insert-shell-numbers");
        assertEquals(1002, c.key().getId());
        assertEquals(7, c.value().getAfter().getCustomerId());
        assertEquals(2020, c.value().getAfter().getAnoVeiculo());
        assertNull(c.value().getAfter().getFabricante());
        assertTrue(c.value().getSource().getTxId().endsWith(":3"), c.value().getSource().getTxId());
    }

    @Test
    void aStringCustomerIdCannotBeMappedAndSaysWhy() throws IOException {
        final UnmappableChangeException e = assertThrows(UnmappableChangeException.class,
                () -> mapper.map(recorded("bad-customer-id")));
        assertTrue(e.getMessage().contains("after.customer_id must be an integer"), e.getMessage());
    }

    @Test
    void tombstonesMapToNothing() {
        assertEquals(Optional.empty(), mapper.map(new DebeziumMongoEventMapper.Event("{\"id\":\"1\"}", null, null)));
    }

    @Test
    void theSchemaEnvelopeOfJsonConverterIsUnwrapped() throws IOException {
        final DebeziumMongoEventMapper.Event plain = recorded("insert");
        final String wrapped = "{\"schema\":{\"type\":\"struct\"},\"payload\":" + plain.valueJson() + "}";
        final VehicleChange v = mapper.map(new DebeziumMongoEventMapper.Event(plain.keyJson(), wrapped,
                plain.resumeToken())).orElseThrow().value();
        assertEquals(42, v.getAfter().getCustomerId());
    }
}
