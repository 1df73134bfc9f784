package io.rtdw.cdc.mongodb;

import io.rtdw.catalog.CustomerPartitioner;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.cdc.engine.MappedChange;
import io.rtdw.cdc.engine.UnmappableChangeException;
import io.rtdw.schemas.Op;
import io.rtdw.schemas.VehicleChange;
import io.rtdw.schemas.VehicleKey;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

    /**
     * Where the recorded events go (CustomerPartitioner): with the pre-image a move goes to both customers'
     * partitions and a delete to the old customer's; without it, to every partition; a pre-image without a usable
     * customer_id is no pre-image (no customer is made up for it).
     */
    @Test
    void recordedEventsGoToTheirCustomersPartitionsAndWithoutPreImageToAll() throws IOException {
        final int n = 12;
        final int p42 = CustomerPartitioner.partition(42, n);
        final int p77 = CustomerPartitioner.partition(77, n);
        final int[] all = java.util.stream.IntStream.range(0, n).toArray();
        assertArrayEquals(java.util.stream.IntStream.of(p42, p77).distinct().sorted().toArray(),
                CustomerPartitioner.partitions(map("update-with-pre-image").value(), n));
        assertArrayEquals(new int[] {p77}, CustomerPartitioner.partitions(map("delete-with-pre-image").value(), n));
        assertArrayEquals(new int[] {p42}, CustomerPartitioner.partitions(map("insert").value(), n));
        assertArrayEquals(all, CustomerPartitioner.partitions(map("update-full-document").value(), n));
        assertArrayEquals(all, CustomerPartitioner.partitions(map("delete").value(), n));
        assertTrue(CustomerPartitioner.broadcast(map("delete").value()));
        assertFalse(CustomerPartitioner.broadcast(map("delete-with-pre-image").value()));

        final DebeziumMongoEventMapper.Event update = recorded("update-with-pre-image");
        final String noCustomer = update.valueJson().replace("\\\"customer_id\\\": 42,", "");
        final VehicleChange v = mapper.map(new DebeziumMongoEventMapper.Event(update.keyJson(), noCustomer,
                update.resumeToken())).orElseThrow().value();
        assertNull(v.getBefore(), "a pre-image without customer_id names no customer");
        assertArrayEquals(all, CustomerPartitioner.partitions(v, n));
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
    void snapshotReadSitsAtTheSnapshotsPointWithAnEmptyOrder() throws IOException {
        final VehicleChange v = map("snapshot-read").value();
        assertEquals(Op.READ, v.getOp());
        assertTrue(v.getSource().getSnapshot());
        assertEquals((S - 10) << 32, v.getSource().getCommitSequence(), "the post-batch token's cluster time");
        assertEquals("", v.getSource().getChangeOrder());
        assertEquals(1732190395021L, v.getSource().getCommitTsMs(), "no wallTime: source.ts_ms (the reading clock)");
        assertTrue(v.getSource().getPosition().startsWith(String.format("82%08X%08X", S - 10, 0)));
    }

    @Test
    void changesCarryTheEpochClusterTimeAndTokenOrder() throws IOException {
        final DebeziumMongoEventMapper withEpoch = new DebeziumMongoEventMapper(TopicCatalog.DEFAULT,
                DebeziumMongoEventMapper.epoch("6768a1b2c3d4e5f601234567", "r1"));
        final VehicleChange v = withEpoch.map(recorded("update-with-pre-image")).orElseThrow().value();
        assertEquals("mongodb:6768a1b2c3d4e5f601234567:r1", v.getSource().getEpoch());
        assertEquals((S + 120 << 32) | 3, v.getSource().getCommitSequence());
        assertEquals(v.getSource().getPosition(), v.getSource().getChangeOrder());
        assertEquals("", map("insert").value().getSource().getEpoch(), "no epoch when none was given");
    }

    @Test
    void tokensAreReadAsBase64BsonOrAsHexOfAnyCase() throws IOException {
        final DebeziumMongoEventMapper.Event base64 = recorded("insert");
        final String hex = DebeziumMongoEventMapper.tokenData(base64.resumeToken());
        assertTrue(hex.startsWith(String.format("82%08X%08X", S, 1)), hex);
        for (final String token : List.of(hex, hex.toLowerCase(Locale.ROOT))) {
            final VehicleChange v = mapper.map(new DebeziumMongoEventMapper.Event(base64.keyJson(), base64.valueJson(),
                    token)).orElseThrow().value();
            assertEquals(hex, v.getSource().getChangeOrder());
        }
        assertEquals(base64.resumeToken(), DebeziumMongoEventMapper.offsetToken(hex), "Debezium's exact offset text");
        final UnmappableChangeException e = assertThrows(UnmappableChangeException.class, () -> mapper.map(
                new DebeziumMongoEventMapper.Event(base64.keyJson(), base64.valueJson(), "not a token!")));
        assertTrue(e.getMessage().contains("resume token"), e.getMessage());
    }

    @Test
    void tokenOrderWithinATransactionFollowsTxnOpIndex() {
        final long t = DebeziumMongoEventMapper.sequence(S, 5);
        String previous = "";
        for (final int index : new int[] {0, 1, 2, 63, 64, 127, 128, 129, 1000}) {
            final String data = RecordedMongoEvents.tokenData(t, index, "update", 1);
            assertTrue(previous.compareTo(data) < 0, index + ": " + previous + " !< " + data);
            previous = data;
        }
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
    void aStringCustomerIdCannotBeMappedAndRetractsTheVehicle() throws IOException {
        final UnmappableChangeException e = assertThrows(UnmappableChangeException.class,
                () -> mapper.map(recorded("bad-customer-id")));
        assertTrue(e.getMessage().contains("after.customer_id must be an integer"), e.getMessage());
        final MappedChange<?, ?> retraction = e.retraction().orElseThrow();
        assertEquals(new VehicleKey(1004), retraction.key());
        final VehicleChange delete = (VehicleChange) retraction.value();
        assertEquals(Op.DELETE, delete.getOp());
        assertNull(delete.getAfter());
        assertEquals((S + 360 << 32) | 1, delete.getSource().getCommitSequence(), "at the bad event's position");
        assertTrue(delete.getSource().getChangeOrder().startsWith(String.format("82%08X%08X", S + 360, 1)));
    }

    /** Maps a recorded event whose value text is edited; the edit must make it unmappable. */
    private UnmappableChangeException unmappable(final String name, final String from, final String to)
            throws IOException {
        final DebeziumMongoEventMapper.Event event = recorded(name);
        final String value = event.valueJson().replace(from, to);
        return assertThrows(UnmappableChangeException.class,
                () -> mapper.map(new DebeziumMongoEventMapper.Event(event.keyJson(), value, event.resumeToken())));
    }

    @Test
    void aMissingCustomerIdRetractsToo() throws IOException {
        final UnmappableChangeException e = unmappable("insert", "\\\"customer_id\\\": 42,", "");
        assertTrue(e.getMessage().contains("after.customer_id is missing"), e.getMessage());
        assertEquals(new VehicleKey(1001), e.retraction().orElseThrow().key());
    }

    @Test
    void anotherBadFieldIsADeadLetterWithoutRetraction() throws IOException {
        final UnmappableChangeException e = unmappable("insert", "\\\"modelo\\\": \\\"Onix\\\"", "\\\"modelo\\\": 5");
        assertTrue(e.getMessage().contains("after.modelo must be a string"), e.getMessage());
        assertTrue(e.retraction().isEmpty(), "its customer_id is fine: the SQL join still has it there");
    }

    @Test
    void anUnreadablePreImageIsLeftOutNotFatal() throws IOException {
        final DebeziumMongoEventMapper.Event update = recorded("update-with-pre-image");
        final String value = update.valueJson().replace("\\\"customer_id\\\": 42", "\\\"customer_id\\\": \\\"x\\\"");
        final VehicleChange v = mapper.map(new DebeziumMongoEventMapper.Event(update.keyJson(), value,
                update.resumeToken())).orElseThrow().value();
        assertNull(v.getBefore());
        assertEquals(77, v.getAfter().getCustomerId());
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
