package io.rtdw.k8s;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code kubectl kustomize}, the one part of kubectl that works without an API server.
 *
 * <p>The binary is {@code $KUBECTL} if set, else {@code kubectl} on the {@code PATH}. The manifests are written for
 * kustomize v2.0.3 (kubectl 1.20, Debian's {@code kubernetes-client}, which {@code .ci/run} installs when no kubectl
 * is present) and build unchanged with current kubectl (kustomize v5).
 */
final class Kubectl {

    private static final long TIMEOUT_SECONDS = 120;

    private Kubectl() {
    }

    /** The kubectl binary, or a clear failure saying how to get one. */
    static Path binary() {
        final String configured = System.getenv("KUBECTL");
        if (configured != null && !configured.isBlank()) {
            final Path path = Path.of(configured);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException("KUBECTL=" + configured + " is not an executable file");
            }
            return path;
        }
        return findOnPath("kubectl").orElseThrow(() -> new IllegalStateException(
                "kubectl not found on PATH: install Debian's kubernetes-client (apt-get install kubernetes-client; "
                        + ".ci/run does this) or point KUBECTL at a kubectl binary"));
    }

    /** {@code kubectl kustomize dir}: the built YAML, or an {@link AssertionError} with kustomize's message. */
    static String kustomize(final Path dir) {
        return run(List.of(binary().toString(), "kustomize", dir.toString()));
    }

    /** {@code kubectl version --client} output, for the test log. */
    static String clientVersion() {
        return run(List.of(binary().toString(), "version", "--client")).trim();
    }

    private static String run(final List<String> command) {
        try {
            final File out = File.createTempFile("kubectl", ".out");
            final File err = File.createTempFile("kubectl", ".err");
            try {
                final Process process = new ProcessBuilder(command)
                        .redirectOutput(out).redirectError(err).start();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                final String stdout = Files.readString(out.toPath(), StandardCharsets.UTF_8);
                if (process.exitValue() != 0) {
                    throw new AssertionError(String.join(" ", command) + " failed with exit code " + process.exitValue()
                            + ":\n" + Files.readString(err.toPath(), StandardCharsets.UTF_8));
                }
                return stdout;
            } finally {
                Files.deleteIfExists(out.toPath());
                Files.deleteIfExists(err.toPath());
            }
        } catch (final IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running kubectl", e);
        }
    }

    /** An executable named {@code name} in a directory of {@code PATH}. */
    static Optional<Path> findOnPath(final String name) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (final String dir : path.split(File.pathSeparator)) {
            final Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
