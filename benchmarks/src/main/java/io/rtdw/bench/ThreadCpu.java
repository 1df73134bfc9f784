package io.rtdw.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A poor man's profile from {@code /proc}: CPU time per thread of a process, grouped by the thread's (15-character)
 * name, between two snapshots. It tells whether a stage is CPU-bound (its processing thread near one core), waiting
 * (little CPU: commits, fetch waits, replication), or paying for GC or the JIT.
 */
public final class ThreadCpu {

    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

    private final long pid;
    private final Map<String, Long> start;
    private final long startNanos = System.nanoTime();

    private ThreadCpu(final long pid) {
        this.pid = pid;
        this.start = snapshot(pid);
    }

    /** Starts measuring {@code pid}. */
    public static ThreadCpu of(final long pid) {
        return new ThreadCpu(pid);
    }

    /** "total x.x CPU-s in y.y s wall (z cores); top: name a.a s, ..." since the start. */
    public String summary(final int top) {
        final double wall = (System.nanoTime() - startNanos) / 1e9;
        final Map<String, Long> end = snapshot(pid);
        final Map<String, Long> delta = new HashMap<>();
        end.forEach((name, ticks) -> delta.put(name, ticks - start.getOrDefault(name, 0L)));
        final long total = delta.values().stream().mapToLong(Long::longValue).sum();
        return String.format(Locale.ROOT, "%.1f CPU-s in %.1f s wall (%.2f cores); ", total / TICKS_PER_SECOND, wall,
                total / TICKS_PER_SECOND / wall) + delta.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .map(e -> String.format(Locale.ROOT, "'%s' %.1f s", e.getKey(), e.getValue() / TICKS_PER_SECOND))
                .collect(Collectors.joining(", "));
    }

    private static Map<String, Long> snapshot(final long pid) {
        final Map<String, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", String.valueOf(pid), "task"))) {
            for (final Path task : tasks) {
                try {
                    final String stat = Files.readString(task.resolve("stat"));
                    final String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                            .replaceAll("\\d+$", "#");
                    final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
                    ticks.merge(name, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                } catch (final IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            }
        } catch (final IOException e) {
            // process gone
        }
        return ticks;
    }
}
