package io.rtdw.cdc.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link io.rtdw.cdc.CdcMain} in a child JVM, so a test can kill it the way {@code kill -9} does
 * ({@link Process#destroyForcibly()}: SIGKILL, no shutdown hook, no flush).
 */
final class CdcChild implements AutoCloseable {

    private final Process process;
    private final Path log;

    private CdcChild(final Process process, final Path log) {
        this.process = process;
        this.log = log;
    }

    static CdcChild start(final Map<String, String> env, final String logName) throws IOException {
        return start("io.rtdw.cdc.CdcMain", List.of(), env, logName);
    }

    /** Any main class of the module in a child JVM with the test's classpath. */
    static CdcChild start(final String mainClass, final List<String> args, final Map<String, String> env,
                          final String logName) throws IOException {
        final Path logDir = Path.of("target", "child-logs");
        Files.createDirectories(logDir);
        final Path log = logDir.resolve(logName + ".log");
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true);
        builder.redirectOutput(log.toFile());
        return new CdcChild(builder.start(), log);
    }

    /** SIGKILL, like kill -9. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Exit status, waiting at most {@code seconds}; null when still running. */
    Integer awaitExit(final long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : null;
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    File logFile() {
        return log.toFile();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
