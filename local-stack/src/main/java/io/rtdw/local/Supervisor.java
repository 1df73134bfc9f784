package io.rtdw.local;

import io.rtdw.testing.ChildJvm;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keeps the local stack's processes running: a component that exits while the stack runs (a crash, a {@code kill -9})
 * is started again after a {@link Backoff} delay (1 s doubling to 30 s, reset after 60 s up), instead of the whole
 * stack stopping. {@link #tick()} looks at every component; the launcher calls it from its own thread twice a second.
 * Starts run on a worker thread (the registry's start waits until it is ready), so one slow start never delays the
 * detection of another exit.
 *
 * <p>A process here is "up" when it runs; whether it answers is {@code rtdw status}'s question (it asks each
 * component's health endpoint).
 */
final class Supervisor implements AutoCloseable {

    /** A running process of a component: a {@link ChildJvm}, or the registry server's JVM. */
    interface Proc {
        long pid();

        boolean isAlive();

        int exitCode();

        /** The process and everything it started. */
        List<ProcessHandle> tree();

        /** SIGTERM, SIGKILL of the tree after {@code seconds}; the exit code, -1 if it had to be killed. */
        int stop(long seconds);

        static Proc of(final ChildJvm child) {
            return new Proc() {
                public long pid() {
                    return child.pid();
                }

                public boolean isAlive() {
                    return child.isAlive();
                }

                public int exitCode() {
                    return child.exitCode();
                }

                public List<ProcessHandle> tree() {
                    return child.tree();
                }

                public int stop(final long seconds) {
                    return child.stop(seconds);
                }
            };
        }
    }

    /** States written to the status file. */
    static final String STARTING = "starting";
    static final String UP = "up";
    static final String RESTARTING = "restarting";
    static final String STOPPED = "stopped";

    /** One supervised component. Fields are read by other threads (metrics, status file): volatile. */
    static final class Component {
        final String name;
        final String ports;
        final String health;
        private final Supplier<Proc> starter;
        private final Backoff backoff;
        private volatile Proc current;
        private volatile String state = STARTING;
        private volatile int restarts;
        private volatile long startedAtMs;
        private volatile long restartAtMs = -1;
        private volatile int lastExit;
        private volatile boolean stopped;

        private Component(final String name, final String ports, final String health, final Supplier<Proc> starter,
                          final Backoff backoff) {
            this.name = name;
            this.ports = ports;
            this.health = health;
            this.starter = starter;
            this.backoff = backoff;
        }

        Proc process() {
            return current;
        }

        String state() {
            return state;
        }

        int restarts() {
            return restarts;
        }

        boolean isUp() {
            final Proc p = current;
            return UP.equals(state) && p != null && p.isAlive();
        }

        /** Milliseconds until the next start, or -1 if none is scheduled. */
        long restartInMs(final long nowMs) {
            final long at = restartAtMs;
            return at < 0 ? -1 : Math.max(0, at - nowMs);
        }

        int lastExit() {
            return lastExit;
        }

        long pid() {
            final Proc p = current;
            return p == null ? -1 : p.pid();
        }
    }

    private final Map<String, Component> components = new LinkedHashMap<>();
    private final Backoff template;
    private final LongSupplier clock;
    private final Consumer<String> console;
    private final Runnable onChange;
    private final ExecutorService starts = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "supervisor-start");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    Supervisor(final Backoff template, final LongSupplier clock, final Consumer<String> console,
               final Runnable onChange) {
        this.template = template;
        this.clock = clock;
        this.console = console;
        this.onChange = onChange;
    }

    /** Starts a component now, on this thread, and supervises it from then on. */
    Component start(final String name, final String ports, final String health, final Supplier<Proc> starter) {
        final Component c = new Component(name, ports, health, starter, template.copy());
        synchronized (this) {
            if (components.containsKey(name)) {
                throw new IllegalArgumentException("component " + name + " is supervised already");
            }
            components.put(name, c);
        }
        c.current = starter.get();
        c.startedAtMs = clock.getAsLong();
        c.state = UP;
        onChange.run();
        return c;
    }

    synchronized Collection<Component> components() {
        return List.copyOf(components.values());
    }

    synchronized Component get(final String name) {
        return components.get(name);
    }

    /** Notices exits and starts what is due. Call regularly (the launcher: every 500 ms). */
    void tick() {
        if (closed) {
            return;
        }
        final long now = clock.getAsLong();
        for (final Component c : components()) {
            if (c.stopped) {
                continue;
            }
            final Proc p = c.current;
            if (UP.equals(c.state) && p != null && !p.isAlive()) {
                c.lastExit = p.exitCode();
                final long delay = c.backoff.delayAfterExitMs(now - c.startedAtMs);
                c.restartAtMs = now + delay;
                c.state = RESTARTING;
                console.accept(String.format(Locale.ROOT, "%s (pid %d) exited%s after %.0f s up; restarting in %.0f s",
                        c.name, p.pid(), c.lastExit >= 0 ? " with " + c.lastExit : "", (now - c.startedAtMs) / 1000.0,
                        delay / 1000.0));
                onChange.run();
            } else if (RESTARTING.equals(c.state) && c.restartAtMs >= 0 && now >= c.restartAtMs) {
                c.restartAtMs = -1;
                c.state = STARTING;
                starts.submit(() -> restart(c));
            }
        }
    }

    private void restart(final Component c) {
        if (closed || c.stopped) {
            return;
        }
        try {
            final Proc p = c.starter.get();
            if (closed || c.stopped) {
                p.stop(30); // the stack began stopping while this start ran
                return;
            }
            c.current = p;
            c.startedAtMs = clock.getAsLong();
            c.restarts++;
            c.state = UP;
            console.accept(c.name + " restarted (pid " + p.pid() + ", restart #" + c.restarts + ")");
        } catch (final RuntimeException e) {
            // A failed start counts like a quick exit: back off and try again.
            final long now = clock.getAsLong();
            c.restartAtMs = now + c.backoff.delayAfterExitMs(0);
            c.state = RESTARTING;
            console.accept(c.name + " did not start (" + e.getMessage() + "); trying again in "
                    + (c.restartAtMs - now) / 1000 + " s");
        }
        onChange.run();
    }

    /** Stops one component for good (SIGTERM, SIGKILL after {@code seconds}): its exit is not restarted. */
    int stop(final String name, final long seconds) {
        final Component c = get(name);
        if (c == null) {
            return -1;
        }
        c.stopped = true;
        c.restartAtMs = -1;
        final Proc p = c.current;
        final int code = p == null ? -1 : p.isAlive() ? p.stop(seconds) : p.exitCode();
        c.state = STOPPED;
        onChange.run();
        return code;
    }

    /** True if the component was running when it was asked to stop (used for the "stopped cleanly" summary). */
    static boolean wasRunning(final Component c) {
        final Proc p = c.current;
        return p != null && p.isAlive();
    }

    /** No more restarts from now on (the stack is stopping); components are stopped one by one with {@link #stop}. */
    @Override
    public void close() {
        closed = true;
        starts.shutdownNow();
    }

    /** Every process of every component (for the RSS figure and the last-resort kill). */
    List<ProcessHandle> allProcesses() {
        final List<ProcessHandle> all = new ArrayList<>();
        for (final Component c : components()) {
            final Proc p = c.current;
            if (p != null) {
                all.addAll(p.tree());
            }
        }
        return all;
    }
}
