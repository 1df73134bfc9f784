package io.rtdw.images;

import com.fasterxml.jackson.databind.JsonNode;
import io.rtdw.runtime.OpsServer;
import io.rtdw.streams.config.StreamsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The config and file system of each service image the build made: what Kubernetes relies on (k8s/base) without
 * running it. The oracles come from the sources: the main classes, OpsServer's port default, StreamsSettings' state
 * directory default, the pom's image properties (passed in by Surefire).
 */
class ImageConfigTest {

    static final List<ServiceImage> IMAGES = ServiceImage.ALL;

    private static final String USER = System.getProperty("rtdw.image.user");

    @ParameterizedTest
    @FieldSource("IMAGES")
    void tagIsTheNameKubernetesRuns(final ServiceImage image) {
        final String expected = System.getProperty("rtdw.image.registry") + "/" + image.name() + ":"
                + System.getProperty("rtdw.image.tag");
        final List<String> tags = new ArrayList<>();
        image.manifest().get("RepoTags").forEach(t -> tags.add(t.asText()));
        assertEquals(List.of(expected), tags);
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void entrypointIsAnExecFormJavaRunningTheMainClass(final ServiceImage image) {
        final JsonNode config = image.config().path("config");
        final List<String> entrypoint = new ArrayList<>();
        config.path("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
        // Exec form: the kernel starts java itself, so SIGTERM reaches the JVM (no shell in between to swallow it).
        assertEquals("java", entrypoint.get(0), "entrypoint " + entrypoint);
        assertEquals(image.mainClass().getName(), entrypoint.get(entrypoint.size() - 1), "entrypoint " + entrypoint);
        assertTrue(entrypoint.stream().noneMatch(a -> a.endsWith("sh") || a.equals("-c")), "a shell: " + entrypoint);
        assertTrue(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull() || config.path("Cmd").isEmpty(),
                "arguments after the main class: " + config.path("Cmd"));
        // JVM flags come from the pod's JAVA_TOOL_OPTIONS: the image sets none that would fight it.
        assertTrue(entrypoint.stream().noneMatch(a -> a.startsWith("-X")), "JVM flags baked in: " + entrypoint);
        final Map<String, String> env = image.env();
        for (final String flags : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
            assertFalse(env.containsKey(flags), flags + " set in the image: " + env);
        }
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void javaIsFoundOnThePathInsideTheImage(final ServiceImage image) {
        final List<Entry> files = entries(image);
        final Optional<String> java = List.of(image.env().getOrDefault("PATH", "").split(":")).stream()
                .map(dir -> strip(dir) + "/java")
                .filter(path -> files.stream().anyMatch(f -> f.path.equals(path) && f.mode.matches("-..x.*")))
                .findFirst();
        assertTrue(java.isPresent(), "no executable java on PATH " + image.env().get("PATH"));
        assertTrue(files.stream().anyMatch(f -> f.path.equals("app/jib-classpath-file")), "no class path file");
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void runsAsTheNonRootUserOfThePods(final ServiceImage image) {
        assertNotEquals("0", USER);
        assertEquals(USER + ":" + USER, image.config().path("config").path("User").asText());
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void declaresTheHealthPortAndOciLabels(final ServiceImage image) {
        final JsonNode config = image.config().path("config");
        final List<String> ports = new ArrayList<>();
        config.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        assertEquals(List.of(OpsServer.HTTP_PORT.defaultValue() + "/tcp"), ports);

        final JsonNode labels = config.path("Labels");
        assertEquals(image.name(), labels.path("org.opencontainers.image.title").asText());
        assertEquals(System.getProperty("rtdw.version"), labels.path("org.opencontainers.image.version").asText());
        assertTrue(labels.path("org.opencontainers.image.source").asText().startsWith("https://"), labels.toString());
        assertFalse(labels.path("org.opencontainers.image.description").asText().isBlank(), labels.toString());
    }

    @ParameterizedTest
    @FieldSource("IMAGES")
    void tmpIsWritableByEveryone(final ServiceImage image) {
        // RocksDB, Snappy and zstd unpack their native libraries into java.io.tmpdir.
        final Entry tmp = entry(image, "tmp");
        assertEquals("drwxrwxrwt", tmp.mode);
    }

    @Test
    void theStreamsAppOwnsItsDefaultStateDirectory() {
        final ServiceImage streams = ServiceImage.ALL.stream().filter(i -> i.module().equals("streams-app"))
                .findFirst().orElseThrow();
        final Entry state = entry(streams, strip(StreamsSettings.STATE_DIR.defaultValue()));
        assertEquals(USER + "/" + USER, state.owner, state.toString());
        assertTrue(state.mode.startsWith("drwx"), state.toString());
    }

    private record Entry(String mode, String owner, String path) {
    }

    private static Entry entry(final ServiceImage image, final String path) {
        // The last layer that has the path wins, as in the container.
        final List<Entry> matches = entries(image).stream().filter(e -> e.path.equals(path)).toList();
        assertFalse(matches.isEmpty(), path + " is not in " + image);
        return matches.get(matches.size() - 1);
    }

    private static List<Entry> entries(final ServiceImage image) {
        return image.listing().stream().map(line -> line.trim().split("\\s+", 6))
                .map(f -> new Entry(f[0], f[1], strip(f[5].replaceFirst(" -> .*$", "")))).toList();
    }

    /** "./a/b/", "/a/b" and "a/b" are the same path in a layer. */
    private static String strip(final String path) {
        return path.replaceFirst("^\\./", "").replaceFirst("^/+", "").replaceFirst("/+$", "");
    }
}
