package io.rtdw.streams.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Liveness, readiness and Prometheus metrics over HTTP with the JDK's server: {@code GET /health/live},
 * {@code /health/ready} (200 or 503) and {@code /metrics} (text exposition format 0.0.4).
 */
public final class HttpEndpoints implements AutoCloseable {

    private final HttpServer server;

    public HttpEndpoints(final int port, final BooleanSupplier live, final BooleanSupplier ready,
                         final Supplier<String> status, final Supplier<String> metrics) throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/health/live", ex -> respond(ex, live.getAsBoolean() ? 200 : 503, status.get(), "text/plain"));
        server.createContext("/health/ready", ex -> respond(ex, ready.getAsBoolean() ? 200 : 503, status.get(), "text/plain"));
        server.createContext("/metrics", ex -> respond(ex, 200, metrics.get(), "text/plain; version=0.0.4"));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "rtdw-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** The port actually bound (useful when started on port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(final HttpExchange exchange, final int code, final String body, final String type)
            throws IOException {
        final byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
