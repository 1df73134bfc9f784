package io.rtdw.local;

import io.rtdw.testing.ChildJvm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * Reads the running stack from the outside, the way an operator would: the components' Prometheus
 * {@code /metrics}, the bucket, and {@code /proc} for memory (Pinot's SQL API: the test kit's {@code PinotClient}).
 */
final class Scrape {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();

    private Scrape() {
    }

    /** The body of a GET, or null when the endpoint does not answer 200 (a component still starting). */
    static String get(final String url) {
        try {
            final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (final IOException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Prometheus text format: series (name plus labels, as written) to value. Comment lines are skipped;
     * values that are not numbers (NaN is a number) are skipped.
     */
    static Map<String, Double> prometheus(final String text) {
        final Map<String, Double> series = new LinkedHashMap<>();
        if (text == null) {
            return series;
        }
        for (final String raw : text.split("\n")) {
            final String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            // The value follows the last space outside the label braces; an optional timestamp follows it.
            final int braceEnd = line.lastIndexOf('}');
            final String rest = (braceEnd >= 0 ? line.substring(braceEnd + 1) : line.substring(line.indexOf(' ') + 1))
                    .trim();
            final String key = braceEnd >= 0 ? line.substring(0, braceEnd + 1) : line.substring(0, line.indexOf(' '));
            final String value = rest.split("\\s+")[0];
            try {
                series.put(key, Double.parseDouble(value));
            } catch (final NumberFormatException e) {
                // not a sample line
            }
        }
        return series;
    }

    /** Sum over the series of {@code name} whose labels contain every fragment, empty if there is none. */
    static OptionalDouble sum(final Map<String, Double> series, final String name, final String... labelFragments) {
        double total = 0;
        boolean found = false;
        for (final Map.Entry<String, Double> e : series.entrySet()) {
            final String key = e.getKey();
            final boolean sameName = key.equals(name) || key.startsWith(name + "{");
            if (!sameName) {
                continue;
            }
            boolean all = true;
            for (final String fragment : labelFragments) {
                all &= key.contains(fragment);
            }
            if (all && !e.getValue().isNaN()) {
                total += e.getValue();
                found = true;
            }
        }
        return found ? OptionalDouble.of(total) : OptionalDouble.empty();
    }

    /** Parquet objects under a prefix of the bucket (s3proxy's filesystem backend keeps objects as plain files). */
    static long parquetFiles(final Path bucketDir, final String prefix) {
        final Path dir = bucketDir.resolve(prefix);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".parquet") && Files.isRegularFile(p)).count();
        } catch (final IOException | java.io.UncheckedIOException e) {
            // a file renamed while walking: the next progress line counts it
            return -1;
        }
    }

    /** Resident set size of a process in bytes (Linux {@code /proc/<pid>/status} VmRSS), 0 if it is gone. */
    static long rssBytes(final long pid) {
        return Math.max(0, ChildJvm.procStatusKb(pid, "VmRSS")) * 1024;
    }

    private static final java.util.regex.Pattern CHANGELOG_FILE = java.util.regex.Pattern.compile(
            "p=(\\d+)/(\\d{20})-(\\d{20})\\.parquet$");

    /**
     * Per partition, the last Kafka offset the bucket's changelog files hold (lake-sink's names:
     * {@code changelog/dt=<day>/p=<partition>/<first>-<last>.parquet}).
     */
    static Map<Integer, Long> changelogLastOffsets(final Path bucketDir) {
        final Map<Integer, Long> last = new java.util.HashMap<>();
        final Path dir = bucketDir.resolve("changelog");
        if (!Files.isDirectory(dir)) {
            return last;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.forEach(f -> {
                final java.util.regex.Matcher m = CHANGELOG_FILE.matcher(f.toString().replace('\\', '/'));
                if (m.find()) {
                    last.merge(Integer.parseInt(m.group(1)), Long.parseLong(m.group(3)), Math::max);
                }
            });
        } catch (final IOException | java.io.UncheckedIOException e) {
            // a file renamed while walking: the next reading sees it
        }
        return last;
    }

    /**
     * Per partition, the next offset Pinot's consuming segments will read, from the controller's
     * {@code /tables/<table>/consumingSegmentsInfo} answer ({@code partitionToOffsetMap} of each server); empty if
     * there is no answer.
     */
    static Map<Integer, Long> pinotConsumingOffsets(final String json) {
        final Map<Integer, Long> next = new java.util.HashMap<>();
        if (json == null) {
            return next;
        }
        try {
            final com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json).path("_segmentToConsumingInfoMap");
            root.elements().forEachRemaining(servers -> servers.elements().forEachRemaining(server ->
                    server.path("partitionToOffsetMap").fields().forEachRemaining(e ->
                            next.merge(Integer.parseInt(e.getKey()), Long.parseLong(e.getValue().asText()),
                                    Math::min))));
        } catch (final IOException | RuntimeException e) {
            next.clear();
        }
        return next;
    }
}
