package io.rtdw.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rtdw.cdc.CdcMain;
import io.rtdw.lake.LakeSinkMain;
import io.rtdw.streams.StreamsApp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One service's image tarball as the build left it ({@code MODULE/target/jib-image.tar}, a docker-archive): its
 * manifest, its config and its layers, read with the system's {@code tar}.
 *
 * @param module    the service's Maven module
 * @param name      the image's repository name under the registry (what k8s/base runs)
 * @param mainClass the class the container must run
 */
record ServiceImage(String module, String name, Class<?> mainClass) {

    static final List<ServiceImage> ALL = List.of(
            new ServiceImage("streams-app", "streams-app", StreamsApp.class),
            new ServiceImage("cdc-sources", "cdc", CdcMain.class),
            new ServiceImage("lake-sink", "lake-sink", LakeSinkMain.class));

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Reading a layer means gunzipping up to 110 MB: each entry and listing is read once per test JVM. */
    private static final Map<String, Object> READ = new ConcurrentHashMap<>();

    @Override
    public String toString() {
        return name;
    }

    Path tarball() {
        final Path tar = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().getParent()
                .resolve(module).resolve("target").resolve("jib-image.tar");
        if (!Files.isRegularFile(tar)) {
            throw new IllegalStateException(tar + " is missing: build the images first (mvn -pl images -am verify)");
        }
        return tar;
    }

    /** The docker-archive's manifest entry (Config, RepoTags, Layers). */
    JsonNode manifest() {
        final JsonNode manifest = json("manifest.json");
        if (manifest.size() != 1) {
            throw new IllegalStateException("expected one image in " + tarball() + ": " + manifest);
        }
        return manifest.get(0);
    }

    /** The image config (the {@code config} object inside it holds Entrypoint, User, Env, ...). */
    JsonNode config() {
        return json(manifest().get("Config").asText());
    }

    List<String> layers() {
        final List<String> layers = new ArrayList<>();
        manifest().get("Layers").forEach(l -> layers.add(l.asText()));
        return layers;
    }

    /** {@code tar -tv} of every layer, in order: "mode uid/gid size date time path" lines. */
    @SuppressWarnings("unchecked")
    List<String> listing() {
        return (List<String>) READ.computeIfAbsent(name + " listing", k -> readListing());
    }

    private List<String> readListing() {
        final List<String> lines = new ArrayList<>();
        for (final String layer : layers()) {
            lines.addAll(run("set -o pipefail; tar -xOf \"$0\" \"$1\" | tar -tvz --numeric-owner",
                    tarball().toString(), layer).lines().toList());
        }
        return List.copyOf(lines);
    }

    /** Unpacks every layer, in order, into {@code root} (owners kept when run as root). */
    void unpack(final Path root) {
        for (final String layer : layers()) {
            run("set -o pipefail; tar -xOf \"$0\" \"$1\" | tar -xz --numeric-owner -C \"$2\"",
                    tarball().toString(), layer, root.toString());
        }
    }

    private JsonNode json(final String entry) {
        return (JsonNode) READ.computeIfAbsent(name + " " + entry, k -> readJson(entry));
    }

    private JsonNode readJson(final String entry) {
        try {
            return JSON.readTree(run("tar -xOf \"$0\" \"$1\"", tarball().toString(), entry));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a bash script with positional arguments; its stdout, or an exception with its stderr. */
    static String run(final String script, final String... args) {
        final List<String> command = new ArrayList<>(List.of("bash", "-c", script));
        command.addAll(List.of(args));
        try {
            final Path err = Files.createTempFile("tar", ".err");
            try {
                final Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
                process.getOutputStream().close();
                final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(5, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("timed out: " + command);
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(command + " exited " + process.exitValue() + ": "
                            + Files.readString(err));
                }
                return out;
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The image's Env as a map. */
    Map<String, String> env() {
        final Map<String, String> env = new LinkedHashMap<>();
        config().path("config").path("Env").forEach(e -> {
            final String s = e.asText();
            final int eq = s.indexOf('=');
            env.put(s.substring(0, eq), s.substring(eq + 1));
        });
        return env;
    }
}
