package io.rtdw.streams.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * Whether the previous process on this state directory stopped cleanly, and what to do when it did not.
 *
 * <p>Under exactly-once, a store may hold writes of the transaction a crash cut short; Kafka Streams must then rebuild
 * it from its changelog. Kafka Streams 4.1.2 does so for standby tasks, but an active task keeps the checkpoint its
 * state updater wrote when it finished restoring, so after a crash it restores only the changelog's tail on top of
 * the aborted writes (KAFKA-20685, fixed in 4.2). The engine would then take a replayed change for one it has already
 * applied, and its output would be lost. The marker closes that gap: a clean close writes it; a start that does not
 * find it removes every task's {@code .checkpoint}, and Kafka Streams, finding stores without a checkpoint under
 * exactly-once, wipes them and restores them from the changelog's start. The process id file is kept, so the instance
 * keeps its identity and transactional id.
 *
 * <p>The first start after an upgrade from a version without the marker counts as unclean: one full restore.
 */
public final class CleanStopMarker {

    /** The marker's file name, in the application's state directory ({@code state.dir/application.id}). */
    public static final String FILE = "rtdw-clean-stop";
    /** Kafka Streams' checkpoint file in each task directory. */
    static final String CHECKPOINT = ".checkpoint";

    private final Path appDir;

    public CleanStopMarker(final Path stateDir, final String applicationId) {
        this.appDir = stateDir.resolve(applicationId);
    }

    /**
     * Before the client starts: consumes the marker, and when it is missing (a crash, a kill, a close that timed out)
     * and the guarantee is exactly-once, removes every task's checkpoint. Returns the checkpoints removed; 0 also when
     * there is no earlier state at all.
     */
    public List<Path> prepareStart(final boolean exactlyOnce) {
        final Path marker = appDir.resolve(FILE);
        try {
            if (!Files.isDirectory(appDir) || Files.deleteIfExists(marker) || !exactlyOnce) {
                return List.of();
            }
            try (Stream<Path> tasks = Files.list(appDir)) {
                final List<Path> checkpoints = tasks.filter(Files::isDirectory).map(t -> t.resolve(CHECKPOINT))
                        .filter(Files::exists).toList();
                for (final Path checkpoint : checkpoints) {
                    Files.delete(checkpoint);
                }
                return checkpoints;
            }
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot prepare the state directory " + appDir, e);
        }
    }

    /** After a clean close: the next start may trust the checkpoints. */
    public void markClean() {
        try {
            Files.createDirectories(appDir);
            Files.writeString(appDir.resolve(FILE), "closed cleanly at " + Instant.now() + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                    StandardOpenOption.SYNC);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + appDir.resolve(FILE), e);
        }
    }
}
