package io.rtdw.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A main class run in its own JVM with the test's classpath, so a test can kill it the way {@code kill -9} does
 * ({@link #kill()}) or stop it the way Kubernetes does ({@link #terminate()}, SIGTERM).
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final String name;

    private ChildJvm(final Process process, final String name) {
        this.process = process;
        this.name = name;
    }

    /**
     * Starts {@code mainClass} with extra environment variables; output goes to {@code log}.
     *
     * @param heapMb maximum heap of the child
     */
    public static ChildJvm start(final String name, final String mainClass, final Map<String, String> env,
                                 final Path log, final int heapMb, final String... args) {
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heapMb + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                // Surefire/Failsafe put the classpath in a manifest-only jar; its Class-Path is honoured here too.
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        try {
            return new ChildJvm(builder.start(), name);
        } catch (final IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
    }

    /** A TCP port that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook, no close, nothing flushed. */
    public void kill() {
        process.destroyForcibly();
        waitFor(30);
    }

    /** SIGTERM, then wait up to {@code seconds} for the exit code; SIGKILL if it does not exit. */
    public int terminate(final long seconds) {
        process.destroy();
        if (!waitFor(seconds)) {
            process.destroyForcibly();
            waitFor(30);
        }
        return process.exitValue();
    }

    private boolean waitFor(final long seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            waitFor(30);
        }
    }
}
