package io.rtdw.streams.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checkpoints survive only a clean stop, and only under exactly-once is anything removed. */
class CleanStopMarkerTest {

    private static final String APP = "rtdw-unified";

    @TempDir
    Path state;

    /** A state directory as Kafka Streams leaves it: the process file, task directories with stores and checkpoints. */
    private Path app() throws IOException {
        final Path app = state.resolve(APP);
        Files.createDirectories(app.resolve("0_0/rocksdb/unified-state"));
        Files.createDirectories(app.resolve("0_1/rocksdb/unified-state"));
        Files.createDirectories(app.resolve("0_2"));
        Files.writeString(app.resolve("0_0/.checkpoint"), "0\n1\nchangelog 0 42\n");
        Files.writeString(app.resolve("0_1/.checkpoint"), "0\n1\nchangelog 1 7\n");
        Files.writeString(app.resolve("0_0/rocksdb/unified-state/000001.sst"), "data");
        Files.writeString(app.resolve("kafka-streams-process-metadata"), "process id");
        return app;
    }

    @Test
    void afterACleanCloseTheCheckpointsAreKeptAndTheMarkerIsConsumed() throws IOException {
        final Path app = app();
        final CleanStopMarker marker = new CleanStopMarker(state, APP);
        marker.markClean();
        assertTrue(Files.exists(app.resolve(CleanStopMarker.FILE)));

        assertEquals(List.of(), marker.prepareStart(true));
        assertTrue(Files.exists(app.resolve("0_0/.checkpoint")) && Files.exists(app.resolve("0_1/.checkpoint")));
        assertFalse(Files.exists(app.resolve(CleanStopMarker.FILE)), "a crash of this run must not look clean");
    }

    @Test
    void withoutTheMarkerExactlyOnceRemovesEveryCheckpointAndNothingElse() throws IOException {
        final Path app = app();
        final List<Path> removed = new CleanStopMarker(state, APP).prepareStart(true);

        assertEquals(2, removed.size(), removed.toString());
        assertFalse(Files.exists(app.resolve("0_0/.checkpoint")));
        assertFalse(Files.exists(app.resolve("0_1/.checkpoint")));
        assertTrue(Files.exists(app.resolve("0_0/rocksdb/unified-state/000001.sst")), "Kafka Streams wipes the store");
        assertTrue(Files.exists(app.resolve("kafka-streams-process-metadata")), "the instance keeps its process id");
    }

    @Test
    void atLeastOnceKeepsTheCheckpointsEvenAfterACrash() throws IOException {
        final Path app = app();
        assertEquals(List.of(), new CleanStopMarker(state, APP).prepareStart(false));
        assertTrue(Files.exists(app.resolve("0_0/.checkpoint")));
    }

    @Test
    void aFirstStartHasNothingToDo() {
        assertEquals(List.of(), new CleanStopMarker(state, APP).prepareStart(true));
        assertFalse(Files.exists(state.resolve(APP)));
    }

    @Test
    void theMarkerCountsForOneStartOnly() throws IOException {
        final Path app = app();
        final CleanStopMarker marker = new CleanStopMarker(state, APP);
        marker.markClean();
        marker.prepareStart(true);
        // This run crashes: no markClean. The next start removes the checkpoints.
        assertEquals(2, marker.prepareStart(true).size());
        assertFalse(Files.exists(app.resolve("0_1/.checkpoint")));
    }
}
