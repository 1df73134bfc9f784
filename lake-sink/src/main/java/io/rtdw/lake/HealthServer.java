package io.rtdw.lake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Kubernetes probes and Prometheus metrics on one small HTTP port (JDK server, no framework). */
public final class HealthServer implements AutoCloseable {

    private final HttpServer server;

    /**
     * @param port  port to bind (0 = any free port)
     * @param live  liveness: false once the sink loop has died
     * @param ready readiness: true once the sink has rebuilt its state and writes new records
     * @param metrics Prometheus text
     */
    public HealthServer(final int port, final BooleanSupplier live, final BooleanSupplier ready,
                        final Supplier<String> metrics) {
        try {
            server = HttpServer.create(new InetSocketAddress(port), 0);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot bind the health port " + port, e);
        }
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "health-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/health/live", ex -> respond(ex, live.getAsBoolean() ? 200 : 503, "text/plain",
                live.getAsBoolean() ? "live\n" : "dead\n"));
        server.createContext("/health/ready", ex -> respond(ex, ready.getAsBoolean() ? 200 : 503, "text/plain",
                ready.getAsBoolean() ? "ready\n" : "recovering\n"));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4", metrics.get()));
        server.start();
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(final HttpExchange exchange, final int status, final String type, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
