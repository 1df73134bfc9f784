package io.rtdw.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The few calls of Apicurio Registry's v3 REST API that tests need (rules, versions, content by id), over the JDK
 * HTTP client. Errors are returned, not thrown: a test asserts on {@link Response#status()} and the problem body.
 */
public final class RegistryRest {

    /** Group the serdes register into (the default artifact resolver's). */
    public static final String DEFAULT_GROUP = "default";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String v3Url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A client of the v3 API at {@code v3Url} ({@code .../apis/registry/v3}). */
    public RegistryRest(final String v3Url) {
        this.v3Url = v3Url.endsWith("/") ? v3Url.substring(0, v3Url.length() - 1) : v3Url;
    }

    /** An HTTP answer. */
    public record Response(int status, String body) {

        /** The body as JSON. */
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (final IOException e) {
                throw new UncheckedIOException("not JSON (HTTP " + status + "): " + body, e);
            }
        }

        /** This response, or an exception naming the status and body when it is not 2xx. */
        public Response ok() {
            if (status / 100 != 2) {
                throw new IllegalStateException("registry answered HTTP " + status + ": " + body);
            }
            return this;
        }
    }

    /** GET a path under the v3 API. */
    public Response get(final String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** POST JSON to a path under the v3 API. */
    public Response post(final String path, final String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** PUT JSON to a path under the v3 API. */
    public Response put(final String path, final String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * Creates or replaces the global rule {@code ruleType} ({@code COMPATIBILITY}, {@code VALIDITY} ...). A rule
     * the server got from its configuration ({@code apicurio.rules.global.*}) counts as existing: it is replaced
     * with PUT (POST answers 409), and comes back when the stored one is deleted.
     */
    public Response setGlobalRule(final String ruleType, final String config) {
        final String body = rule(ruleType, config);
        return get("/admin/rules/" + ruleType).status() == 200 ? put("/admin/rules/" + ruleType, body)
                : post("/admin/rules", body);
    }

    /** Creates or replaces the rule {@code ruleType} of one artifact. */
    public Response setArtifactRule(final String groupId, final String artifactId, final String ruleType,
                                    final String config) {
        final String rules = "/groups/" + enc(groupId) + "/artifacts/" + enc(artifactId) + "/rules";
        final Response existing = get(rules + "/" + ruleType);
        return existing.status() == 200 ? put(rules + "/" + ruleType, rule(ruleType, config))
                : post(rules, rule(ruleType, config));
    }

    /** Adds a version with Avro {@code schema} to an artifact (creating nothing else): 409 when a rule refuses it. */
    public Response createVersion(final String groupId, final String artifactId, final String schema) {
        final ObjectNode body = JSON.createObjectNode();
        body.putObject("content").put("content", schema).put("contentType", "application/json");
        return post("/groups/" + enc(groupId) + "/artifacts/" + enc(artifactId) + "/versions", body.toString());
    }

    /** Creates an Avro artifact with its first version. */
    public Response createArtifact(final String groupId, final String artifactId, final String schema) {
        final ObjectNode body = JSON.createObjectNode().put("artifactId", artifactId).put("artifactType", "AVRO");
        body.putObject("firstVersion").putObject("content").put("content", schema)
                .put("contentType", "application/json");
        return post("/groups/" + enc(groupId) + "/artifacts", body.toString());
    }

    /** Metadata of a version ({@code globalId}, {@code contentId}, {@code version} ...); "branch=latest" for the newest. */
    public JsonNode versionMetadata(final String groupId, final String artifactId, final String version) {
        return get("/groups/" + enc(groupId) + "/artifacts/" + enc(artifactId) + "/versions/" + enc(version))
                .ok().json();
    }

    /** Number of versions of an artifact. */
    public int versionCount(final String groupId, final String artifactId) {
        return get("/groups/" + enc(groupId) + "/artifacts/" + enc(artifactId) + "/versions?limit=1000")
                .ok().json().path("count").asInt();
    }

    /** The schema text stored under a content id. */
    public String contentById(final long contentId) {
        return get("/ids/contentIds/" + contentId).ok().body();
    }

    private static String rule(final String ruleType, final String config) {
        return JSON.createObjectNode().put("ruleType", ruleType).put("config", config).toString();
    }

    private Response send(final HttpRequest.Builder request) {
        try {
            final HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.body());
        } catch (final IOException e) {
            throw new UncheckedIOException("registry at " + v3Url + " unreachable", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private URI uri(final String path) {
        return URI.create(v3Url + (path.startsWith("/") ? path : "/" + path));
    }

    private static String enc(final String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
