package io.rtdw.pinot.decoder;

import io.rtdw.catalog.TopicCatalog;
import io.rtdw.schemas.UnifiedCustomer;
import io.rtdw.schemas.UnifiedFlight;
import io.rtdw.serde.EmbeddedRegistryClient;
import io.rtdw.serde.RegistrySerdes;
import org.apache.pinot.spi.data.readers.GenericRow;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The decoder reads what the pipeline's serializer writes. (Here it runs on avro 1.12; PinotUpsertIT runs it
 * inside Pinot 0.11 on avro 1.7.7.)
 */
class RegistryFramedAvroDecoderTest {

    private final RegistryFramedAvroDecoder decoder = new RegistryFramedAvroDecoder();
    private final byte[] framed = RegistrySerdes.embedded().valueSerde(TopicCatalog.DEFAULT.unifiedCustomers()).serializer()
            .serialize("t", UnifiedCustomer.newBuilder().setCustomerId(42).setVersion(3)
                    .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).setProfession("pilot")
                    .setFlightCount(1).setFlights(List.of(UnifiedFlight.newBuilder().setFlightId(7).setAirline("TAP")
                            .setSourceTsMs(Instant.ofEpochMilli(1_700_000_000_000L)).build()))
                    .setVehicles(List.of()).build());

    @BeforeEach
    void init() throws Exception {
        decoder.init(Map.of(), Set.of("customer_id", "version", "profession", "deleted", "source_ts_ms", "flights"), "t");
    }

    @Test
    void idsAgreeWithTheEmbeddedRegistry() {
        assertEquals(EmbeddedRegistryClient.idOf(UnifiedCustomer.getClassSchema()),
                RegistryFramedAvroDecoder.idOf(UnifiedCustomer.getClassSchema()));
    }

    @Test
    void decodesAFramedRecordAtAnOffset() {
        final byte[] padded = new byte[framed.length + 3];
        System.arraycopy(framed, 0, padded, 2, framed.length);
        final GenericRow row = decoder.decode(padded, 2, framed.length, new GenericRow());
        assertNotNull(row);
        assertEquals(42, row.getValue("customer_id"));
        assertEquals(3L, row.getValue("version"));
        assertEquals("pilot", row.getValue("profession"));
        assertEquals(false, row.getValue("deleted"));
        assertEquals(1_700_000_000_000L, row.getValue("source_ts_ms"));
        final Object[] flights = (Object[]) row.getValue("flights");
        assertEquals(1, flights.length);
        assertEquals("TAP", ((Map<?, ?>) flights[0]).get("airline"));
        assertNull(row.getValue("name"), "not among the fields to read");
    }

    /** A stand-in for the registry's {@code /ids/contentIds/{id}}: fails the first calls, then answers. */
    private static final class FakeRegistry implements AutoCloseable {
        final HttpServer server;
        final AtomicInteger calls = new AtomicInteger();

        FakeRegistry(final int failures, final int failureStatus, final String schema) throws Exception {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/apis/registry/v3/ids/contentIds/", exchange -> {
                final int call = calls.incrementAndGet();
                final boolean known = exchange.getRequestURI().getPath().endsWith("/7");
                final int status = !known ? 404 : call <= failures ? failureStatus : 200;
                final byte[] body = (status == 200 ? schema : "{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/registry/v3/";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** {@link #framed} with the schema id replaced. */
    private byte[] withId(final int id) {
        final byte[] copy = framed.clone();
        ByteBuffer.wrap(copy, 1, 4).putInt(id);
        return copy;
    }

    @Test
    void withARegistryUrlTransientFailuresAreRetriedAndTheSchemaIsCached() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(2, 503, UnifiedCustomer.getClassSchema().toString())) {
            final RegistryFramedAvroDecoder remote = new RegistryFramedAvroDecoder();
            remote.init(Map.of("registry.url", registry.url(), "registry.retry.backoff.ms", "1"), Set.of(), "t");
            final GenericRow row = remote.decode(withId(7), new GenericRow());
            assertNotNull(row, "decoded after two 503s");
            assertEquals(42, row.getValue("customer_id"));
            assertEquals("pilot", row.getValue("profession"));
            assertEquals(3, registry.calls.get());
            assertNotNull(remote.decode(withId(7), new GenericRow()));
            assertEquals(3, registry.calls.get(), "cached: no more requests");
        }
    }

    @Test
    void withARegistryUrlARecordIsDroppedAfterTheLastAttemptAndTheNextOneAsksAgain() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(3, 500, UnifiedCustomer.getClassSchema().toString())) {
            final RegistryFramedAvroDecoder remote = new RegistryFramedAvroDecoder();
            remote.init(Map.of("registry.url", registry.url(), "registry.max.attempts", "2",
                    "registry.retry.backoff.ms", "1"), Set.of(), "t");
            assertNull(remote.decode(withId(7), new GenericRow()), "two 500s: dropped");
            assertEquals(2, registry.calls.get());
            assertNotNull(remote.decode(withId(7), new GenericRow()), "the registry is back");
            assertEquals(4, registry.calls.get());
        }
    }

    @Test
    void withARegistryUrlAnUnknownIdIsNotAskedForAgainAtOnce() throws Exception {
        try (FakeRegistry registry = new FakeRegistry(0, 200, UnifiedCustomer.getClassSchema().toString())) {
            final RegistryFramedAvroDecoder remote = new RegistryFramedAvroDecoder();
            remote.init(Map.of("registry.url", registry.url()), Set.of(), "t");
            assertNull(remote.decode(withId(8), new GenericRow()), "404: dropped");
            assertNull(remote.decode(withId(8), new GenericRow()));
            assertEquals(1, registry.calls.get(), "a 404 is not retried, and remembered for a while");
        }
    }

    @Test
    void anUnreachableRegistryDropsTheRecordAfterTheAttempts() throws Exception {
        final RegistryFramedAvroDecoder remote = new RegistryFramedAvroDecoder();
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        remote.init(Map.of("registry.url", "http://127.0.0.1:" + closedPort + "/apis/registry/v3",
                "registry.max.attempts", "3", "registry.retry.backoff.ms", "1", "registry.timeout.ms", "500"),
                Set.of(), "t");
        assertNull(remote.decode(withId(7), new GenericRow()));
    }

    @Test
    void tombstonesAndForeignBytesAreDroppedNotThrown() {
        assertNull(decoder.decode(null, new GenericRow()));
        assertNull(decoder.decode(new byte[0], 0, 0, new GenericRow()));
        assertNull(decoder.decode(new byte[] {1, 2, 3, 4, 5, 6}, new GenericRow()), "no magic byte");
        final byte[] unknownId = framed.clone();
        unknownId[1] = (byte) 0x7f;
        assertNull(decoder.decode(unknownId, new GenericRow()), "schema id not released");
        final byte[] truncated = Arrays.copyOf(framed, framed.length - 4);
        assertNull(decoder.decode(truncated, new GenericRow()), "truncated Avro");
        assertArrayEquals(new byte[] {0}, Arrays.copyOf(framed, 1));
    }
}
