package io.rtdw.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small file and timing helpers that integration tests share. */
public final class TestFiles {

    private TestFiles() {
    }

    /** {@code path} as an empty directory: whatever was there is deleted first. */
    public static Path freshDir(final Path path) {
        try {
            if (Files.exists(path)) {
                try (Stream<Path> files = Files.walk(path)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return Files.createDirectories(path);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Thread.sleep that keeps the interrupt flag and turns the interruption into an unchecked failure. */
    public static void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
