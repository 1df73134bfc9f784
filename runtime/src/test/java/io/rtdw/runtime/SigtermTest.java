package io.rtdw.runtime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real JVM and a real SIGTERM: the lines written while closing reach the log, and the status is 143. */
class SigtermTest {

    /**
     * With the services' own logging configuration, and with one that leaves log4j's shutdown hook on (as the test
     * kit's does): the runtime turns that hook off, so it cannot stop logging before the close is logged.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "log4j2-hook-enabled.xml"})
    void aSigtermDuringStartUpClosesCleanlyAndKeepsTheLastLogLines(final String logConfig) throws Exception {
        final Path log = Files.createTempFile("sleepy", ".log");
        // Its own ProcessBuilder, not test-support's ChildJvm: test-support depends on runtime (through schemas), so
        // runtime's tests cannot use the test kit without a cycle.
        final List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path")));
        if (!logConfig.isEmpty()) {
            command.add("-Dlog4j2.configurationFile=" + logConfig);
        }
        command.add(SleepyService.class.getName());
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(log).contains("in start")) {
                assertTrue(process.isAlive(), Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "never started: " + Files.readString(log));
                Thread.sleep(50);
            }
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exits after SIGTERM");
            final String out = Files.readString(log);
            assertEquals(143, process.exitValue(), out);
            assertTrue(out.contains("SIGTERM: stopping sleepy"), out);
            assertTrue(out.contains("start unwound"), "the start was interrupted: " + out);
            assertTrue(out.indexOf("sleepy stopped") > out.indexOf("start unwound"), out);
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
