package io.rtdw.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoints of every service, on the JDK's server: {@code GET /health/live} and {@code /health/ready}
 * answer 200 or 503 with one JSON body ({@code {"service":"cdc","status":"UP","live":true,"ready":true,
 * "detail":"..."}}), {@code /metrics} the Prometheus text exposition.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);

    public static final Setting<Integer> HTTP_PORT = Setting.integer("RTDW_HTTP_PORT", 8080, -1, 65535,
            "port of /health/live, /health/ready and /metrics; 0 picks a free port, -1 disables them");

    /** What the health endpoints report. */
    public interface Health {
        /** False once the process is beyond repair: Kubernetes restarts it. */
        boolean live();

        /** True when the service does its work (streaming, running, restored). */
        boolean ready();

        /** One line for people: the state, what is missing. */
        String detail();
    }

    private final String service;
    private final HttpServer server;
    private final ExecutorService executor;

    private OpsServer(final String service, final int port, final Health health, final ServiceMetrics metrics)
            throws IOException {
        this.service = service;
        server = HttpServer.create(new InetSocketAddress(port), 16);
        server.createContext("/health/live", guarded(ex -> health(ex, health, health.live())));
        server.createContext("/health/ready", guarded(ex -> health(ex, health, health.ready())));
        server.createContext("/metrics", guarded(ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape())));
        executor = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "rtdw-ops-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.start();
    }

    /**
     * A handler whose failure is logged and answered with 500: the JDK's server would otherwise close the connection
     * with no response and no log line, and a broken scrape would look like an empty one.
     */
    private HttpHandler guarded(final HttpHandler handler) {
        return ex -> {
            try {
                handler.handle(ex);
            } catch (final RuntimeException e) {
                LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                try {
                    send(ex, 500, "text/plain; charset=utf-8", "failed: " + e + "\n");
                } catch (final IOException | RuntimeException ignored) {
                    // the response had already started; the log line is what remains
                }
            }
        };
    }

    /** Starts the endpoints on {@code port} (0: any free port); {@code null} when {@code port} is -1. */
    public static OpsServer start(final String service, final int port, final Health health,
                                  final ServiceMetrics metrics) throws IOException {
        return port < 0 ? null : new OpsServer(service, port, health, metrics);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void health(final HttpExchange ex, final Health health, final boolean ok) throws IOException {
        final String body = "{\"service\":\"" + json(service) + "\",\"status\":\"" + (ok ? "UP" : "DOWN")
                + "\",\"live\":" + health.live() + ",\"ready\":" + health.ready() + ",\"detail\":\""
                + json(health.detail()) + "\"}\n";
        send(ex, ok ? 200 : 503, "application/json", body);
    }

    private static String json(final String text) {
        final StringBuilder b = new StringBuilder();
        for (final char c : String.valueOf(text).toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
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
        executor.shutdownNow();
    }
}
