package io.rtdw.cdc.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The process's HTTP endpoints on the JDK's built-in server: {@code /health/live} (the process is not failed),
 * {@code /health/ready} (every capture is streaming), {@code /metrics} (Prometheus text).
 */
public final class HealthServer implements AutoCloseable {

    private final HttpServer server;

    public HealthServer(final int port, final BooleanSupplier live, final BooleanSupplier ready, final Metrics metrics)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/health/live", ex -> status(ex, live.getAsBoolean()));
        server.createContext("/health/ready", ex -> status(ex, ready.getAsBoolean()));
        server.createContext("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.render()));
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void status(final HttpExchange ex, final boolean ok) throws IOException {
        send(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "UP\n" : "DOWN\n");
    }

    private static void send(final HttpExchange ex, final int code, final String type, final String body)
            throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
