package io.rtdw.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StackStatusFileTest {

    private static final StackStatusFile SAMPLE = new StackStatusFile(4242, "http://localhost:8084/metrics",
            "2026-12-02T11:00:00Z", List.of(
                    new StackStatusFile.Component("kafka-1", 101, "up", 0, "19192,19290", "tcp://localhost:19192"),
                    new StackStatusFile.Component("streams", 102, "restarting", 3, "8082",
                            "http://localhost:8082/health/ready"),
                    new StackStatusFile.Component("workload", 103, "up", 0, "", "")));

    @Test
    void writesAndReadsBackEveryFieldInOrder(@TempDir final Path dir) throws Exception {
        SAMPLE.write(dir);
        assertEquals(SAMPLE, StackStatusFile.read(dir));
        // a plain properties file a person can read
        final String text = Files.readString(dir.resolve(StackStatusFile.FILE));
        assertTrue(text.contains("component.streams.restarts=3"), text);
        assertTrue(text.contains("launcher.pid=4242"), text);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left beside it");
        }
    }

    @Test
    void aRewriteReplacesTheFile(@TempDir final Path dir) {
        SAMPLE.write(dir);
        final StackStatusFile next = new StackStatusFile(4242, SAMPLE.opsUrl(), "later", List.of(
                new StackStatusFile.Component("streams", 200, "up", 4, "8082", "http://localhost:8082/health/ready")));
        next.write(dir);
        assertEquals(next, StackStatusFile.read(dir));
        assertEquals(200, StackStatusFile.read(dir).byName().get("streams").pid());
    }

    @Test
    void noFileIsNoStack(@TempDir final Path dir) {
        assertNull(StackStatusFile.read(dir));
    }

    @Test
    void aFileWithoutTheLauncherIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StackStatusFile.parse("component.x.pid=1\n"));
    }
}
