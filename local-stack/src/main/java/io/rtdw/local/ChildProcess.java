package io.rtdw.local;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One component of the stack in its own JVM, output to its own log file.
 *
 * <p>Children run in their own session ({@code setsid}) so that Ctrl-C in the terminal reaches only the launcher,
 * which then stops them in pipeline order (workload first, Pinot after the last BI queries). Without
 * {@code setsid} they would all get SIGINT at once and Pinot would be gone before the final queries.
 */
public final class ChildProcess {

    private static final boolean SETSID = Files.isExecutable(Path.of("/usr/bin/setsid"));

    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(final String name, final Process process, final Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code java <jvmArgs> -cp <classpath> <mainClass> <args>} with exactly {@code env} as its environment
     * (the caller decides what is inherited, so a stray KAFKA_* or PG_* variable of the user's shell cannot
     * reconfigure a component).
     */
    public static ChildProcess java(final String name, final List<String> jvmArgs, final String classpath,
                                    final String mainClass, final List<String> args, final Map<String, String> env,
                                    final Path log) {
        return java(name, jvmArgs, classpath, mainClass, args, env, log, null);
    }

    /**
     * As above, run in {@code workDir} (null: the launcher's): Pinot, for one, writes {@code logs/} into its
     * working directory. Class path entries are made absolute so that a relative one still resolves there.
     */
    public static ChildProcess java(final String name, final List<String> jvmArgs, final String classpath,
                                    final String mainClass, final List<String> args, final Map<String, String> env,
                                    final Path log, final Path workDir) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        if (classpath != null) {
            command.add("-cp");
            command.add(java.util.Arrays.stream(classpath.split(File.pathSeparator)).filter(e -> !e.isEmpty())
                    .map(e -> Path.of(e).toAbsolutePath().toString())
                    .collect(java.util.stream.Collectors.joining(File.pathSeparator)));
        }
        command.add(mainClass);
        command.addAll(args);
        return start(name, command, env, log, workDir);
    }

    /** Starts {@code java <jvmArgs> -jar <jar> <args>}. */
    public static ChildProcess jar(final String name, final List<String> jvmArgs, final Path jar,
                                   final List<String> args, final Map<String, String> env, final Path log) {
        final List<String> all = new ArrayList<>(List.of(jar.toString()));
        all.addAll(args);
        return java(name, jvmArgs, null, "-jar", all, env, log, log.getParent());
    }

    private static ChildProcess start(final String name, final List<String> command, final Map<String, String> env,
                                      final Path log, final Path workDir) {
        final List<String> full = new ArrayList<>();
        if (SETSID) {
            // A child of a JVM is never a process-group leader, so setsid execs in place: the pid stays java's.
            full.add("/usr/bin/setsid");
        }
        full.addAll(command);
        final ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        builder.environment().clear();
        builder.environment().putAll(env);
        try {
            Files.createDirectories(log.getParent());
            return new ChildProcess(name, builder.start(), log);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", full), e);
        }
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

    /** This process and every process it started (Pinot's JVM under the LocalPinot command). */
    public List<ProcessHandle> tree() {
        final List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.descendants().forEach(all::add);
        return all;
    }

    /**
     * SIGTERM (the component's shutdown hook runs: the lake sink flushes its files, the streams app commits),
     * then SIGKILL of the whole tree if it has not exited after {@code seconds}.
     *
     * @return the exit code, or -1 if it had to be killed
     */
    public int stop(final long seconds) {
        final List<ProcessHandle> tree = tree();
        process.destroy();
        try {
            if (process.waitFor(seconds, TimeUnit.SECONDS)) {
                // Grandchildren (Pinot under LocalPinot) are stopped by the child; make sure none is left.
                tree.stream().filter(ProcessHandle::isAlive).forEach(ChildProcess::awaitOrKill);
                return process.exitValue();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
        tree.forEach(ChildProcess::awaitOrKill);
        return -1;
    }

    private static void awaitOrKill(final ProcessHandle handle) {
        try {
            handle.onExit().get(15, TimeUnit.SECONDS);
        } catch (final Exception e) {
            handle.destroyForcibly();
        }
    }

    /** The last {@code n} lines of the log, for error messages. */
    public String tail(final int n) {
        try {
            final List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (final IOException | UncheckedIOException e) {
            return "(cannot read " + log + ")";
        }
    }
}
