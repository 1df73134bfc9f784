package io.rtdw.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A JVM child process of a test (s3proxy, the lake sink) that is always killed: by {@link #close()}, by
 * {@link #kill()} (SIGKILL, the kill -9 of the crash test), or by a shutdown hook when the test JVM exits.
 */
final class ChildProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Thread hook;

    private ChildProcess(final String name, final Process process) {
        this.name = name;
        this.process = process;
        this.hook = new Thread(process::destroyForcibly, "kill-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts {@code java <jvmArgs> <args>} with extra environment, output appended to {@code log}. */
    static ChildProcess java(final String name, final List<String> jvmArgs, final List<String> args,
                             final Map<String, String> env, final Path log) {
        final List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmArgs);
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        try {
            return new ChildProcess(name, builder.start());
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL and wait: no shutdown hook, no flush, like a node failure or an OOM kill. */
    void kill() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
    }

    /** SIGTERM, then SIGKILL if it does not exit in time. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(20))) {
                kill();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // the JVM is exiting: the hook runs anyway
        }
    }

    int exitValue() {
        return process.exitValue();
    }

    private boolean waitFor(final Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits until {@code url} answers 2xx, failing early if the process died. */
    void awaitHttp(final String url, final Duration timeout) {
        final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting");
            }
            try {
                final HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).GET()
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() / 100 == 2 || response.statusCode() == 403) {
                    return;
                }
            } catch (final IOException e) {
                // not up yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not answer " + url + " within " + timeout);
            }
            sleep(200);
        }
    }

    /**
     * This test JVM's class path minus Hadoop (on it only because provided-scope jars are on test class paths):
     * the sink must run without Hadoop, as in its container image.
     */
    static String classPathWithoutHadoop() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.contains("/org/apache/hadoop/"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
