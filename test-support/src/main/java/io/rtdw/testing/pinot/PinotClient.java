package io.rtdw.testing.pinot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * REST client of a running Pinot: schemas and tables through the controller, SQL through the broker. Works for a
 * Pinot started by {@link PinotLauncher} and for any other one (the local stack's, a cluster's). The one Pinot
 * client of the project: the tests, the local stack's progress lines and its closing BI queries use it.
 */
public final class PinotClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** HTTP/1.1: Pinot 0.11's Grizzly hangs reading a POST body sent with the JDK client's h2c upgrade. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String controllerUrl;
    private final String brokerUrl;
    private final Duration timeout;
    /** The {@code Authorization} header sent on every request, or null. */
    private final String authorization;

    /**
     * @param controllerUrl e.g. {@code http://localhost:9000}
     * @param brokerUrl     e.g. {@code http://localhost:8099}
     */
    public PinotClient(final String controllerUrl, final String brokerUrl) {
        this(controllerUrl, brokerUrl, Duration.ofSeconds(60));
    }

    /** A client whose requests give up after {@code timeout}. */
    public PinotClient(final String controllerUrl, final String brokerUrl, final Duration timeout) {
        this(controllerUrl, brokerUrl, timeout, null);
    }

    private PinotClient(final String controllerUrl, final String brokerUrl, final Duration timeout,
                        final String authorization) {
        this.controllerUrl = controllerUrl;
        this.brokerUrl = brokerUrl;
        this.timeout = timeout;
        this.authorization = authorization;
    }

    /** This client logging in with HTTP Basic Auth as {@code user} (Pinot's {@code BasicAuthAccessControlFactory}). */
    public PinotClient withBasicAuth(final String user, final String password) {
        return new PinotClient(controllerUrl, brokerUrl, timeout, basicAuthHeader(user, password));
    }

    /** This client without credentials. */
    public PinotClient withoutAuth() {
        return new PinotClient(controllerUrl, brokerUrl, timeout, null);
    }

    /** The value of an HTTP Basic {@code Authorization} header. */
    public static String basicAuthHeader(final String user, final String password) {
        return "Basic " + java.util.Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Controller base URL. */
    public String controllerUrl() {
        return controllerUrl;
    }

    /** Broker base URL. */
    public String brokerUrl() {
        return brokerUrl;
    }

    /**
     * One request with this client's credentials, whatever its status ({@code method} GET, POST, DELETE; a POST
     * sends {@code body} as JSON).
     */
    public HttpResponse<String> exchange(final String method, final String url, final String body) {
        final HttpRequest.Builder request = request(url, timeout);
        if ("POST".equals(method)) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (final IOException e) {
            throw new UncheckedIOException(method + " " + url + " failed", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest.Builder request(final String url, final Duration requestTimeout) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(requestTimeout);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request;
    }

    /** Adds (or replaces) a schema through the controller. */
    public void createSchema(final String schemaJson) {
        post(controllerUrl + "/schemas?override=true", schemaJson);
    }

    /** Creates a table through the controller. */
    public void createTable(final String tableConfigJson) {
        post(controllerUrl + "/tables", tableConfigJson);
    }

    /**
     * Creates a table unless one of that name exists (a restart on a kept data directory).
     *
     * @return true when it was created, false when it existed
     */
    public boolean createTableIfAbsent(final String tableConfigJson) {
        final HttpResponse<String> response = send(controllerUrl + "/tables", tableConfigJson);
        if (response.statusCode() == 409) {
            return false;
        }
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + controllerUrl + "/tables -> HTTP " + response.statusCode()
                    + ": " + response.body());
        }
        return true;
    }

    /**
     * Runs a SQL query on the broker and returns its {@code resultTable}.
     *
     * @throws IllegalStateException when Pinot reports exceptions (a bad query, a table that does not exist)
     */
    public JsonNode query(final String sql) {
        final JsonNode response = parse(post(brokerUrl + "/query/sql", JSON.createObjectNode().put("sql", sql).toString()));
        final JsonNode exceptions = response.path("exceptions");
        if (exceptions.isArray() && !exceptions.isEmpty()) {
            throw new IllegalStateException("Pinot query failed: " + sql + " -> " + exceptions);
        }
        return response.path("resultTable");
    }

    /** The rows of a query, each as a list of JSON values. */
    public List<List<JsonNode>> rows(final String sql) {
        final List<List<JsonNode>> rows = new ArrayList<>();
        for (final JsonNode row : query(sql).path("rows")) {
            final List<JsonNode> values = new ArrayList<>();
            row.forEach(values::add);
            rows.add(values);
        }
        return rows;
    }

    /** The single number a query such as {@code SELECT COUNT(*) ...} returns. */
    public long count(final String sql) {
        return rows(sql).get(0).get(0).asLong();
    }

    /** {@link #count}, or -1 while Pinot cannot answer (down, starting, the table not created yet). */
    public long countOrMinusOne(final String sql) {
        try {
            final List<List<JsonNode>> rows = rows(sql);
            return rows.isEmpty() || rows.get(0).isEmpty() ? -1 : rows.get(0).get(0).asLong();
        } catch (final IllegalStateException | UncheckedIOException e) {
            return -1;
        }
    }

    /** A two-column group-by ({@code SELECT key, COUNT(*) ... GROUP BY key}) as key -> count, keys sorted. */
    public Map<String, Long> groupCounts(final String sql) {
        final Map<String, Long> counts = new TreeMap<>();
        for (final List<JsonNode> row : rows(sql)) {
            counts.put(row.get(0).asText(), row.get(1).asLong());
        }
        return counts;
    }

    private String post(final String url, final String body) {
        final HttpResponse<String> response = send(url, body);
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + url + " -> HTTP " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private HttpResponse<String> send(final String url, final String body) {
        return exchange("POST", url, body);
    }

    /** GET, or null when it fails or is not 200 (health polling). */
    String getOrNull(final String url) {
        try {
            final HttpResponse<String> response = http.send(request(url,
                            timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body().trim() : null;
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Parses a JSON response body. */
    public static JsonNode json(final String json) {
        return parse(json);
    }

    private static JsonNode parse(final String json) {
        try {
            return JSON.readTree(json);
        } catch (final IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }
}
