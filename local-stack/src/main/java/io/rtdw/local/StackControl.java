package io.rtdw.local;

import io.rtdw.cli.Help;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code rtdw status} and {@code rtdw down}: read the status file the launcher keeps in the data directory
 * ({@link StackStatusFile}); status asks every component's health endpoint, down sends the launcher SIGTERM (what
 * Ctrl-C does) and waits until it has exited.
 */
public final class StackControl {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private StackControl() {
    }

    public static void main(final String[] args) {
        if (args.length == 0 || !List.of("down", "status").contains(args[0])) {
            System.err.println("StackControl: the first argument is down or status");
            System.exit(Help.USAGE);
            return;
        }
        final List<String> rest = List.of(args).subList(1, args.length);
        if (Help.asked(rest.toArray(String[]::new))) {
            System.out.print(Help.text(args[0]));
            System.exit(Help.OK);
            return;
        }
        System.exit(run(args[0], rest, System.out, System.err, Duration.ofMinutes(5)));
    }

    /** Runs {@code down} or {@code status} with its options; returns the exit code. */
    static int run(final String command, final List<String> args, final PrintStream out, final PrintStream err,
                   final Duration downTimeout) {
        Path dataDir = Path.of(".rtdw", "local-stack");
        for (int i = 0; i < args.size(); i++) {
            if ("--data-dir".equals(args.get(i))) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    return Help.usageError(command, "--data-dir needs a value", err);
                }
                dataDir = Path.of(args.get(++i));
            } else {
                return Help.usageError(command, "unknown option " + args.get(i), err);
            }
        }
        dataDir = dataDir.toAbsolutePath().normalize();
        final StackStatusFile file;
        try {
            file = StackStatusFile.read(dataDir);
        } catch (final RuntimeException e) {
            err.println("cannot read the stack's status in " + dataDir + ": " + e.getMessage());
            return Help.FAILED;
        }
        final ProcessHandle launcher = file == null ? null : ProcessHandle.of(file.launcherPid()).orElse(null);
        if (launcher == null || !launcher.isAlive()) {
            out.println("no local stack runs on " + dataDir + (file == null ? " (no " + StackStatusFile.FILE + ")"
                    : " (its launcher, pid " + file.launcherPid() + ", has exited)")
                    + ("down".equals(command) ? ": nothing to stop" : "; start one with ./rtdw up --data-dir "
                    + dataDir));
            return "down".equals(command) ? Help.OK : Help.FAILED;
        }
        return "down".equals(command) ? down(launcher, out, err, downTimeout) : status(file, out);
    }

    private static int down(final ProcessHandle launcher, final PrintStream out, final PrintStream err,
                            final Duration timeout) {
        out.println("stopping the local stack (launcher pid " + launcher.pid() + "): SIGTERM, then waiting; its "
                + "summary goes to the terminal it runs in");
        launcher.destroy();
        final long began = System.nanoTime();
        final long deadline = began + timeout.toNanos();
        long nextNote = began + Duration.ofSeconds(10).toNanos();
        while (launcher.isAlive()) {
            if (System.nanoTime() > deadline) {
                err.println("the launcher (pid " + launcher.pid() + ") still runs after " + timeout.toSeconds()
                        + " s; its log and the status file name its components' pids");
                return Help.FAILED;
            }
            if (System.nanoTime() > nextNote) {
                out.printf(Locale.ROOT, "  still stopping (%.0f s) ...%n", (System.nanoTime() - began) / 1e9);
                nextNote += Duration.ofSeconds(10).toNanos();
            }
            try {
                launcher.onExit().get(1, java.util.concurrent.TimeUnit.SECONDS);
            } catch (final java.util.concurrent.TimeoutException e) {
                // not yet
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return Help.FAILED;
            } catch (final java.util.concurrent.ExecutionException e) {
                break;
            }
        }
        out.printf(Locale.ROOT, "stopped in %.1f s%n", (System.nanoTime() - began) / 1e9);
        return Help.OK;
    }

    private static int status(final StackStatusFile file, final PrintStream out) {
        out.printf("local stack: launcher pid %d, metrics %s, status file updated %s%n", file.launcherPid(),
                file.opsUrl(), file.updated());
        out.printf("%-18s %-8s %-6s %-10s %-9s %-24s %s%n", "COMPONENT", "PID", "ALIVE", "STATE", "RESTARTS", "PORTS",
                "HEALTH");
        boolean allHealthy = true;
        for (final StackStatusFile.Component c : file.components()) {
            final boolean alive = c.pid() > 0 && ProcessHandle.of(c.pid()).map(ProcessHandle::isAlive).orElse(false);
            final String health = c.health().isBlank() ? "-" : probe(c.health());
            final boolean healthy = alive && (c.health().isBlank() || health.startsWith("ok"));
            allHealthy &= healthy;
            out.printf("%-18s %-8d %-6s %-10s %-9d %-24s %s%n", c.name(), c.pid(), alive ? "yes" : "NO", c.state(),
                    c.restarts(), c.ports().isBlank() ? "-" : c.ports(), health + (c.health().isBlank() ? ""
                            : " (" + c.health() + ")"));
        }
        out.println(allHealthy ? "all " + file.components().size() + " components healthy"
                : "NOT all components healthy");
        return allHealthy ? Help.OK : Help.FAILED;
    }

    /** "ok ..." when {@code target} answers: an HTTP URL with a status below 500, or {@code tcp://host:port} accepting. */
    static String probe(final String target) {
        final URI uri = URI.create(target);
        if ("tcp".equals(uri.getScheme())) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2000);
                return "ok (accepts)";
            } catch (final IOException e) {
                return "no answer";
            }
        }
        try {
            final int code = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            // s3proxy answers an anonymous request with 403: it listens, which is what is asked
            return code < 500 && code != 404 ? "ok (" + code + ")" : "unhealthy (" + code + ")";
        } catch (final IOException e) {
            return "no answer";
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
