package io.rtdw.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rtdw status / rtdw down against status files this test writes (this JVM stands in for the launcher). */
class StackControlTest {

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private int run(final String command, final Path dir) {
        return StackControl.run(command, List.of("--data-dir", dir.toString()), out, out, Duration.ofSeconds(5));
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static long self() {
        return ProcessHandle.current().pid();
    }

    @Test
    void noStackMeansStatusFailsAndDownHasNothingToDo(@TempDir final Path dir) {
        assertEquals(1, run("status", dir));
        assertTrue(text().contains("no local stack runs on"), text());
        assertEquals(0, run("down", dir));
        assertTrue(text().contains("nothing to stop"), text());
    }

    @Test
    void anExitedLauncherIsNoStack(@TempDir final Path dir) throws Exception {
        final Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        new StackStatusFile(gone.pid(), "", "t", List.of()).write(dir);
        assertEquals(1, run("status", dir));
        assertTrue(text().contains("has exited"), text());
    }

    @Test
    void statusIsHealthyOnlyWhenEveryComponentRunsAndAnswers(@TempDir final Path dir) throws Exception {
        try (ServerSocket listening = new ServerSocket(0)) {
            new StackStatusFile(self(), "http://localhost:1/metrics", "t", List.of(
                    new StackStatusFile.Component("kafka-1", self(), "up", 2, String.valueOf(listening.getLocalPort()),
                            "tcp://localhost:" + listening.getLocalPort()),
                    new StackStatusFile.Component("workload", self(), "up", 0, "", ""))).write(dir);
            assertEquals(0, run("status", dir), text());
            assertTrue(text().contains("all 2 components healthy"), text());
            assertTrue(text().matches("(?s).*kafka-1\\s+" + self() + "\\s+yes\\s+up\\s+2\\s.*ok \\(accepts\\).*"), text());

            final int closedPort;
            try (ServerSocket closed = new ServerSocket(0)) {
                closedPort = closed.getLocalPort();
            }
            new StackStatusFile(self(), "", "t", List.of(
                    new StackStatusFile.Component("kafka-1", self(), "up", 0, "", "tcp://localhost:" + closedPort)))
                    .write(dir);
            bytes.reset();
            assertEquals(1, run("status", dir), "a port that does not accept");
            assertTrue(text().contains("no answer") && text().contains("NOT all components healthy"), text());
        }
    }

    @Test
    void downSendsSigtermAndWaitsForTheExit(@TempDir final Path dir) throws Exception {
        final Process launcher = new ProcessBuilder("sleep", "60").start();
        try {
            new StackStatusFile(launcher.pid(), "", "t", List.of()).write(dir);
            assertEquals(0, run("down", dir), text());
            assertTrue(!launcher.isAlive(), "still running after down returned");
            assertTrue(text().contains("stopped in"), text());
        } finally {
            launcher.destroyForcibly();
        }
    }

    @Test
    void usageErrors(@TempDir final Path dir) {
        assertEquals(2, StackControl.run("status", List.of("--bogus"), out, out, Duration.ofSeconds(1)));
        assertEquals(2, StackControl.run("down", List.of("--data-dir"), out, out, Duration.ofSeconds(1)));
    }
}
