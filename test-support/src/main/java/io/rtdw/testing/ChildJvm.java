package io.rtdw.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;

/**
 * The one way the project runs a program in its own JVM: the integration tests (a service to kill the way
 * {@code kill -9} does, or to stop the way Kubernetes does), the local stack (every component), the benchmarks (the
 * streams app, measured from the outside) and the Pinot launcher.
 *
 * <pre>
 * try (ChildJvm app = ChildJvm.java("app-0", StreamsApp.class.getName()).heapMb(384).env(env)
 *         .log(logs.resolve("app-0.log")).start()) {
 *     app.awaitHttp("http://127.0.0.1:" + port + "/health/ready", Duration.ofSeconds(60));
 *     app.kill();                  // SIGKILL: no shutdown hook, nothing flushed
 *     int status = app.stop(60);   // SIGTERM, then SIGKILL of the whole tree after 60 s (-1 then)
 * }
 * </pre>
 *
 * A child never outlives this JVM: {@link #close()} stops it, and a shutdown hook kills it and whatever it started
 * when this JVM exits first.
 */
public final class ChildJvm implements AutoCloseable {

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final Path log;
    private final Thread hook;

    private ChildJvm(final String name, final Process process, final Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.hook = new Thread(this::killTree, "kill-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A child that runs {@code mainClass}, by default with this JVM's class path. */
    public static Builder java(final String name, final String mainClass) {
        return new Builder(name, Objects.requireNonNull(mainClass), null);
    }

    /** A child that runs {@code java -jar jar}. */
    public static Builder jar(final String name, final Path jar) {
        return new Builder(name, null, Objects.requireNonNull(jar));
    }

    /**
     * {@code mainClass} with this JVM's class path (Surefire's and Failsafe's manifest-only jar included), the
     * environment of this JVM plus {@code env}, a heap of {@code heapMb}, SerialGC and the quick-starting C1 compiler;
     * output appended to {@code log}.
     */
    public static ChildJvm start(final String name, final String mainClass, final Map<String, String> env,
                                 final Path log, final int heapMb, final String... args) {
        return java(name, mainClass).heapMb(heapMb).quickStart().env(env).log(log).args(args).start();
    }

    /**
     * A TCP port that was free a moment ago, below the OS's ephemeral range (so no socket bound to port 0 meanwhile,
     * a broker's or a client's, can take it) and never handed out twice by this JVM.
     */
    public static int freePort() {
        final int[] ephemeral = ephemeralRange();
        final int low = 10_000;
        final int high = ephemeral[0] - 1;
        for (int attempt = 0; attempt < 200 && high > low; attempt++) {
            final int port = low + RANDOM.nextInt(high - low + 1);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new java.net.InetSocketAddress(port));
                return port;
            } catch (final IOException e) {
                // taken: try another
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final java.util.Random RANDOM = new java.util.Random();
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Linux's ephemeral port range ({@code net.ipv4.ip_local_port_range}), where the OS puts every port bound to 0:
     * a port handed out from it could be taken by a Kafka broker or client started in between (seen: a local-stack
     * run's Pinot broker port taken by a broker of the in-process Kafka), so {@link #freePort} stays below it.
     */
    private static int[] ephemeralRange() {
        try {
            final String[] parts = java.nio.file.Files.readString(
                    java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
            return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
        } catch (final IOException | RuntimeException e) {
            return new int[] {32_768, 60_999};
        }
    }

    /** This JVM's class path without the entries whose path contains {@code fragment} (e.g. provided-scope jars). */
    public static String classPathWithout(final String fragment) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains(fragment)).collect(Collectors.joining(File.pathSeparator));
    }

    /** A field of Linux's {@code /proc/<pid>/status} in kB ({@code VmRSS}: resident now, {@code VmHWM}: peak), or -1. */
    public static long procStatusKb(final long pid, final String field) {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (final IOException | RuntimeException e) {
            // gone, or not Linux
        }
        return -1;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code, or -1 while running. */
    public int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** This process and every process it started (Pinot's JVM under the LocalPinot command, for one). */
    public List<ProcessHandle> tree() {
        final List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.descendants().forEach(all::add);
        return all;
    }

    /** SIGKILL, like {@code kill -9}: no shutdown hook, no close, nothing flushed. Waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        waitFor(30);
    }

    /**
     * SIGTERM (the program's shutdown hooks run: the lake sink flushes its files, the streams app commits), then
     * SIGKILL of the whole tree if it has not exited after {@code seconds}. Processes it started get 15 s more to
     * follow it.
     *
     * @return the exit code (143 = 128 + SIGTERM for a JVM whose hooks ran), or -1 if it had to be killed
     */
    public int stop(final long seconds) {
        final List<ProcessHandle> tree = tree();
        process.destroy();
        final int code;
        if (waitFor(seconds)) {
            tree.stream().filter(ProcessHandle::isAlive).forEach(ChildJvm::awaitOrKill);
            code = process.exitValue();
        } else {
            killTree();
            code = -1;
        }
        removeHook();
        return code;
    }

    /**
     * Closes this JVM's end of the child's stdin pipe: the child reads end of file, as it does when this JVM dies
     * ({@link RegistryServer.OrphanGuard} stops on it). Nothing to close after {@link Builder#ownSession()}.
     */
    public void closeStdin() {
        try {
            process.getOutputStream().close();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot close the stdin of " + name, e);
        }
    }

    /** Only sends SIGTERM; {@link #awaitExit} waits for the result. Nothing it started is touched. */
    public void terminate() {
        process.destroy();
    }

    /** The exit code once it exits within {@code seconds}, else null (still running). */
    public Integer awaitExit(final long seconds) {
        return waitFor(seconds) ? process.exitValue() : null;
    }

    /** Waits until {@code url} answers 2xx, failing early when the process exits. */
    public void awaitHttp(final String url, final Duration timeout) {
        awaitHttp(url, timeout, status -> status / 100 == 2);
    }

    /** Waits until {@code url} answers with a status {@code accepted} takes, failing early when the process exits. */
    public void awaitHttp(final String url, final Duration timeout, final IntPredicate accepted) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting; last "
                        + "lines of " + log + ":\n" + tail(15));
            }
            try {
                final HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET()
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (accepted.test(response.statusCode())) {
                    return;
                }
            } catch (final IOException e) {
                // not listening yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not answer " + url + " within " + timeout + "; see " + log);
            }
            TestFiles.sleep(200);
        }
    }

    /** Everything in the log so far. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (final IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** The last {@code n} lines of the log, for error messages. */
    public String tail(final int n) {
        final List<String> lines = logText().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** Stops it if it still runs: SIGTERM, SIGKILL of the whole tree after 20 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            stop(20);
        } else {
            killTree(); // nothing it started may stay behind
            removeHook();
        }
    }

    private void killTree() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitFor(30);
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // this JVM is exiting: the hook runs anyway
        }
    }

    private boolean waitFor(final long seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Waits until {@code handle} has exited, up to {@code timeout}. A process that exited but was not reaped yet (a
     * zombie: its parent died and PID 1 reaps it when it gets to it, as with a daemonized postmaster) counts as gone.
     *
     * @return true once it is gone, false if it still runs after {@code timeout}
     */
    public static boolean awaitGone(final ProcessHandle handle, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (handle.isAlive() && !isZombie(handle.pid())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TestFiles.sleep(100);
        }
        return true;
    }

    private static boolean isZombie(final long pid) {
        try {
            final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // "pid (comm) S ...": the state follows the last ')', since comm may itself hold parentheses
            final int end = stat.lastIndexOf(')');
            return end > 0 && stat.length() > end + 2 && stat.charAt(end + 2) == 'Z';
        } catch (final IOException | UncheckedIOException e) {
            return false; // no /proc (not Linux) or already gone: isAlive decides
        }
    }

    private static void awaitOrKill(final ProcessHandle handle) {
        try {
            handle.onExit().get(15, TimeUnit.SECONDS);
        } catch (final Exception e) {
            handle.destroyForcibly();
        }
    }

    /** How to start a child; {@link #start()} starts it. */
    public static final class Builder {
        private final String name;
        private final String mainClass;
        private final Path jar;
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new HashMap<>();
        private String classpath = System.getProperty("java.class.path");
        private String javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        private boolean inheritEnv = true;
        private Path log;
        private boolean appendLog = true;
        private Path stderr;
        private Path workDir;
        private boolean ownSession;

        private Builder(final String name, final String mainClass, final Path jar) {
            this.name = Objects.requireNonNull(name);
            this.mainClass = mainClass;
            this.jar = jar;
        }

        /** {@code -Xmx<heapMb>m}. */
        public Builder heapMb(final int heapMb) {
            jvmArgs.add("-Xmx" + heapMb + "m");
            return this;
        }

        /** SerialGC and the C1 compiler only: a small, quickly started JVM (not for measuring throughput). */
        public Builder quickStart() {
            return jvmArgs("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        }

        /** More JVM options, in order. */
        public Builder jvmArgs(final String... values) {
            return jvmArgs(List.of(values));
        }

        public Builder jvmArgs(final List<String> values) {
            jvmArgs.addAll(values);
            return this;
        }

        /** Program arguments, in order. */
        public Builder args(final String... values) {
            return args(List.of(values));
        }

        public Builder args(final List<String> values) {
            args.addAll(values);
            return this;
        }

        /** The class path (default: this JVM's); entries are made absolute, so a work directory does not break them. */
        public Builder classpath(final String value) {
            this.classpath = value;
            return this;
        }

        /** Environment variables on top of this JVM's environment (or, after {@link #onlyGivenEnv()}, instead of it). */
        public Builder env(final Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        public Builder env(final String key, final String value) {
            env.put(key, value);
            return this;
        }

        /** The child sees only the variables given with {@link #env}: nothing of this JVM's environment leaks in. */
        public Builder onlyGivenEnv() {
            this.inheritEnv = false;
            return this;
        }

        /** stdout and stderr (stdout only after {@link #stderr}), appended to {@code file} (its directory is created). */
        public Builder log(final Path file) {
            this.log = file;
            this.appendLog = true;
            return this;
        }

        /** stdout and stderr to {@code file}, emptied first: the log holds this run only. */
        public Builder freshLog(final Path file) {
            this.log = file;
            this.appendLog = false;
            return this;
        }

        /**
         * stderr to {@code file} (emptied first) instead of the log, which then holds stdout only: for a program
         * whose stdout is its result (JSON lines, say) and whose logs go to stderr.
         */
        public Builder stderr(final Path file) {
            this.stderr = file;
            return this;
        }

        /** The child's working directory (default: this JVM's). */
        public Builder workDir(final Path dir) {
            this.workDir = dir;
            return this;
        }

        /**
         * Runs the child in its own session ({@code setsid}, where it exists) with stdin from {@code /dev/null}, so
         * that Ctrl-C in a terminal reaches only this JVM, which then stops its children in its own order.
         * Otherwise the child's stdin is a pipe from this JVM: it reaches end of file when this JVM dies.
         */
        public Builder ownSession() {
            this.ownSession = true;
            return this;
        }

        /** The {@code java} to run (default: the one running this JVM). */
        public Builder javaExecutable(final String value) {
            this.javaExecutable = value;
            return this;
        }

        /** Starts the child. */
        public ChildJvm start() {
            Objects.requireNonNull(log, "log file of " + name);
            final List<String> command = new ArrayList<>();
            if (ownSession && Files.isExecutable(SETSID)) {
                // A child of a JVM is never a process-group leader, so setsid execs in place: the pid stays java's.
                command.add(SETSID.toString());
            }
            command.add(javaExecutable);
            command.addAll(jvmArgs);
            if (jar != null) {
                command.add("-jar");
                command.add(jar.toAbsolutePath().toString());
            } else {
                command.add("-cp");
                command.add(Arrays.stream(classpath.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                        .map(e -> Path.of(e).toAbsolutePath().toString()).collect(Collectors.joining(File.pathSeparator)));
                command.add(mainClass);
            }
            command.addAll(args);
            final ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(appendLog ? ProcessBuilder.Redirect.appendTo(log.toFile())
                            : ProcessBuilder.Redirect.to(log.toFile()));
            if (stderr == null) {
                builder.redirectErrorStream(true);
            } else {
                builder.redirectError(stderr.toFile());
            }
            if (ownSession) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            if (!inheritEnv) {
                builder.environment().clear();
            }
            builder.environment().putAll(env);
            try {
                for (final Path file : stderr == null ? List.of(log) : List.of(log, stderr)) {
                    final Path dir = file.toAbsolutePath().getParent();
                    if (dir != null) {
                        Files.createDirectories(dir);
                    }
                }
                return new ChildJvm(name, builder.start(), log);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
            }
        }
    }
}
