package io.rtdw.images;

import io.rtdw.testing.ChildJvm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Each image, run from its own file system: the layers unpacked into a directory, the image's entrypoint started
 * in it with chroot as the image's user, in a private mount namespace with /proc (what a container runtime does,
 * minus the network, PID and cgroup isolation; podman cannot run containers on the build machines, see
 * images/README.md). No Kafka, registry, database or S3 is reachable: {@code /health/live} must answer while the
 * service waits for them; SIGTERM must reach the JVM and end it with 143.
 *
 * <p>Needs root (chroot, mount) and util-linux's unshare: skipped otherwise.
 */
class ImageRunIT {

    static final List<ServiceImage> IMAGES = ServiceImage.ALL;

    private static final Duration LIVE_WITHIN = Duration.ofSeconds(180);
    private static final String JAVA_TOOL_OPTIONS = "-Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    @BeforeAll
    static void rootWithUnshareAndChroot() {
        final String uid = ServiceImage.run("id -u").trim();
        assumeTrue(uid.equals("0"), "ImageRunIT needs root (chroot, mount): running as uid " + uid);
        final String missing = ServiceImage.run("for c in unshare chroot mount mknod; do command -v $c >/dev/null || "
                + "echo -n \"$c \"; done");
        assumeTrue(missing.isEmpty(), "ImageRunIT needs " + missing);
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void answersLiveWithoutItsDependenciesAndStopsOnSigterm(final ServiceImage image) throws Exception {
        final Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target")
                .resolve("run").resolve(image.name());
        removeTree(root);
        Files.createDirectories(root);
        image.unpack(root);
        // What a runtime provides: a traversable root, /proc (mounted below) and the basic devices.
        ServiceImage.run("chmod 755 \"$0\" && mkdir -p \"$0/proc\" \"$0/dev\" && cd \"$0/dev\" && "
                + "mknod -m 666 null c 1 3 && mknod -m 666 zero c 1 5 && mknod -m 666 random c 1 8 && "
                + "mknod -m 666 urandom c 1 9", root.toString());

        final List<String> entrypoint = new ArrayList<>();
        image.config().path("config").path("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
        final String user = image.config().path("config").path("User").asText();
        final List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--",
                "bash", "-c", "r=$1; u=$2; shift 2; mount -t proc proc \"$r/proc\" && exec chroot --userspec=\"$u\" \"$r\" \"$@\"",
                "run-image", root.toString(), user));
        command.addAll(entrypoint);

        // The image's locale gives Java UTF-8 for text and file names (Java 17 takes both from the locale).
        final String settings = runInImage(command.subList(0, command.size() - entrypoint.size()), image,
                List.of(entrypoint.get(0), "-XshowSettings:properties", "-version"));
        assertTrue(settings.contains("file.encoding = UTF-8") && settings.contains("sun.jnu.encoding = UTF-8"),
                settings);

        final int port = ChildJvm.freePort();
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolveSibling(image.name() + ".log").toFile());
        builder.environment().clear();
        builder.environment().putAll(image.env());
        builder.environment().putAll(serviceEnv(image, port));
        final Process process = builder.start();
        try {
            awaitLive(process, port, root.resolveSibling(image.name() + ".log"));
            // The process we started became java (unshare, bash and chroot exec'd): the pid a container runtime
            // signals. It runs as the image's user.
            final String exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "exe")).toString();
            assertTrue(exe.endsWith("/bin/java"), "pid " + process.pid() + " runs " + exe);
            final String status = Files.readString(Path.of("/proc", Long.toString(process.pid()), "status"));
            final String uid = user.split(":")[0];
            assertTrue(status.lines().anyMatch(l -> l.matches("Uid:\\s+" + uid + "\\s+" + uid + "\\s.*")), status);

            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(90, TimeUnit.SECONDS), "no exit within 90 s of SIGTERM");
            final String log = Files.readString(root.resolveSibling(image.name() + ".log"));
            assertEquals(143, process.exitValue(), log);
            assertTrue(log.contains("Picked up JAVA_TOOL_OPTIONS: " + JAVA_TOOL_OPTIONS), log);
            assertTrue(log.contains("SIGTERM"), log);
        } finally {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            removeTree(root);
        }
    }

    /** Runs {@code args} in the image (its Env, nothing else) and returns the output. */
    private static String runInImage(final List<String> prefix, final ServiceImage image, final List<String> args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(prefix);
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(image.env());
        final Process process = builder.start();
        process.getOutputStream().close();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "no exit: " + command);
        assertEquals(0, process.exitValue(), out);
        return out;
    }

    /** The pod's environment, minus what is not reachable here: every dependency on a port nothing listens on. */
    private static Map<String, String> serviceEnv(final ServiceImage image, final int httpPort) {
        final String nothing = "127.0.0.1:" + ChildJvm.freePort();
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("JAVA_TOOL_OPTIONS", JAVA_TOOL_OPTIONS);
        env.put("RTDW_HTTP_PORT", Integer.toString(httpPort));
        env.put("KAFKA_BOOTSTRAP_SERVERS", nothing);
        // A SIGTERM during start-up ends the start when the pending admin call gives up (30 s by default).
        env.put("KAFKA_DEFAULT_API_TIMEOUT_MS", "5000");
        env.put("KAFKA_REQUEST_TIMEOUT_MS", "4000");
        env.put("RTDW_REGISTRY_URL", "http://" + nothing + "/apis/registry/v3");
        switch (image.module()) {
            case "cdc-sources" -> {
                env.put("RTDW_CDC_SOURCES", "postgres");
                env.put("PG_HOST", "127.0.0.1");
                env.put("PG_PORT", nothing.substring(nothing.indexOf(':') + 1));
            }
            case "lake-sink" -> {
                env.put("S3_ENDPOINT", "http://" + nothing);
                env.put("S3_ACCESS_KEY", "image-test");
                env.put("S3_SECRET_KEY", "image-test");
            }
            default -> {
                // streams-app: its state directory stays the image's default (owned by the image's user).
            }
        }
        return env;
    }

    private static void awaitLive(final Process process, final int port, final Path log) throws Exception {
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final HttpRequest live = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                .timeout(Duration.ofSeconds(5)).build();
        final long deadline = System.nanoTime() + LIVE_WITHIN.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("exited " + process.exitValue() + " before /health/live answered:\n" + Files.readString(log));
            }
            try {
                final HttpResponse<String> response = http.send(live, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"live\":true")) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (final IOException e) {
                last = e.toString();
            }
            process.waitFor(250, TimeUnit.MILLISECONDS);
        }
        fail("/health/live did not answer 200 within " + LIVE_WITHIN + " (last: " + last + "):\n" + Files.readString(log));
    }

    /** rm -rf that never crosses into a mount (a /proc left mounted by a process still alive). */
    private static void removeTree(final Path dir) {
        ServiceImage.run("rm -rf --one-file-system \"$0\"", dir.toString());
    }
}
