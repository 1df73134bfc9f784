package io.rtdw.bench;

import io.rtdw.runtime.OpsServer;
import io.rtdw.streams.StreamsApp;
import io.rtdw.testing.ChildJvm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real streams app ({@link StreamsApp#main}) in its own JVM ({@link ChildJvm}), configured only through its
 * environment, so that its memory can be read from the operating system ({@code /proc/<pid>/status}) and
 * {@code jcmd}. It runs with the full JIT, as a production pod would.
 */
public final class StreamsChild implements AutoCloseable {

    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final Pattern TOTAL = Pattern.compile("total (\\d+)K");

    private final ChildJvm process;
    private final int httpPort;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private StreamsChild(final ChildJvm process, final int httpPort, final Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    /**
     * Starts the app with {@code env} (plus {@code RTDW_HTTP_PORT}) and a heap of {@code heapMb}; its output goes to
     * {@code log}.
     */
    public static StreamsChild start(final Map<String, String> env, final int heapMb, final Path log) {
        final int port = ChildJvm.freePort();
        return new StreamsChild(ChildJvm.java("streams-app", StreamsApp.class.getName()).heapMb(heapMb)
                .jvmArgs("-XX:+UseSerialGC").env(env).env(OpsServer.HTTP_PORT.name(), String.valueOf(port)).log(log)
                .start(),
                port, log);
    }

    /** Waits until {@code /health/ready} answers 200 (running, nothing restoring). */
    public void awaitReady(final Duration timeout) {
        process.awaitHttp("http://127.0.0.1:" + httpPort + "/health/ready", timeout);
    }

    /** Lines of the app's log containing {@code text} (e.g. producer retries on CONCURRENT_TRANSACTIONS). */
    public long logLines(final String text) {
        try (Stream<String> lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (final IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    /**
     * Values from the app's {@code /metrics} (Prometheus text): for each metric name, the largest value over its
     * label sets (one per stream thread or client), or NaN when absent.
     */
    public Map<String, Double> metrics(final List<String> names) {
        final Map<String, Double> out = new java.util.LinkedHashMap<>();
        names.forEach(n -> out.put(n, Double.NaN));
        try {
            final HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (final String line : r.body().split("\n")) {
                for (final String name : names) {
                    if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                        final double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                        out.merge(name, v, (a, b) -> Double.isNaN(a) ? b : Math.max(a, b));
                    }
                }
            }
        } catch (final IOException | InterruptedException | RuntimeException e) {
            // metrics are a bonus: the caller prints NaN
        }
        return out;
    }

    public long pid() {
        return process.pid();
    }

    /** A field of {@code /proc/<pid>/status} in kB (VmRSS: resident set now, VmHWM: its peak), or -1. */
    public long procStatusKb(final String field) {
        return ChildJvm.procStatusKb(pid(), field);
    }

    /**
     * Heap used and committed in kB after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}), so
     * "used" is close to the live set rather than to garbage not yet collected. {-1, -1} when jcmd fails.
     */
    public long[] heapAfterGcKb() {
        try {
            jcmd("GC.run");
            long used = 0;
            long total = 0;
            for (final String line : jcmd("GC.heap_info").split("\n")) {
                if (line.contains("generation") || line.contains("heap")) {
                    final Matcher u = USED.matcher(line);
                    final Matcher t = TOTAL.matcher(line);
                    if (u.find()) {
                        used += Long.parseLong(u.group(1));
                    }
                    if (t.find()) {
                        total += Long.parseLong(t.group(1));
                    }
                }
            }
            return new long[] {used, total};
        } catch (final IOException | InterruptedException e) {
            return new long[] {-1, -1};
        }
    }

    private String jcmd(final String command) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid()), command).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    /** Bytes under a directory (the app's RocksDB state lives on disk, outside the heap). */
    public static long directoryBytes(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (final IOException e) {
                    return 0;
                }
            }).sum();
        } catch (final IOException e) {
            return -1;
        }
    }

    /** Deletes a directory tree (an app's state directory after the app stopped); errors are ignored. */
    public static void deleteRecursively(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (final IOException e) {
            // best effort: it is a temporary directory
        }
    }

    /** SIGTERM (the app closes cleanly), SIGKILL after 60 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.stop(60);
        }
        process.close();
    }
}
