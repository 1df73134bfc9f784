package io.rtdw.local;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor with stand-in processes and a clock the test moves. */
class SupervisorTest {

    /** A process the test kills by hand. */
    static final class FakeProc implements Supervisor.Proc {
        final long pid;
        volatile boolean alive = true;
        volatile int stops;

        FakeProc(final long pid) {
            this.pid = pid;
        }

        public long pid() {
            return pid;
        }

        public boolean isAlive() {
            return alive;
        }

        public int exitCode() {
            return alive ? -1 : 137;
        }

        public List<ProcessHandle> tree() {
            return List.of();
        }

        public int stop(final long seconds) {
            stops++;
            alive = false;
            return 143;
        }
    }

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final List<String> console = new ArrayList<>();
    private final AtomicInteger changes = new AtomicInteger();
    private final List<FakeProc> started = new ArrayList<>();

    private Supervisor supervisor() {
        return new Supervisor(Backoff.DEFAULT, clock::get, line -> {
            synchronized (console) {
                console.add(line);
            }
        }, changes::incrementAndGet);
    }

    private FakeProc next() {
        final FakeProc p = new FakeProc(100 + started.size());
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    private static void awaitTrue(final java.util.function.BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within 20 s");
            Thread.sleep(10);
        }
    }

    @Test
    void anExitedComponentIsRestartedAfterTheBackOffAndCounted() throws Exception {
        try (Supervisor s = supervisor()) {
            final Supervisor.Component c = s.start("streams", "8082", "http://x", this::next);
            assertTrue(c.isUp());
            assertEquals(100, c.pid());

            started.get(0).alive = false;
            clock.addAndGet(5_000);
            s.tick();
            assertEquals(Supervisor.RESTARTING, c.state());
            assertFalse(c.isUp());
            assertEquals(1_000, c.restartInMs(clock.get()), "first restart after 1 s");
            assertTrue(console.get(0).contains("streams (pid 100) exited with 137"), console.toString());

            clock.addAndGet(999);
            s.tick();
            assertEquals(1, started.size(), "not before the back-off has passed");

            clock.addAndGet(1);
            s.tick();
            awaitTrue(() -> c.restarts() == 1 && c.isUp());
            assertEquals(101, c.pid());
            assertEquals(2, started.size());

            // a second quick exit waits twice as long
            started.get(1).alive = false;
            clock.addAndGet(3_000);
            s.tick();
            assertEquals(2_000, c.restartInMs(clock.get()));
        }
    }

    @Test
    void aFailedStartIsRetriedWithBackOff() throws Exception {
        final AtomicInteger attempts = new AtomicInteger();
        try (Supervisor s = supervisor()) {
            final Supervisor.Component c = s.start("registry", "8090", "", () -> {
                if (attempts.incrementAndGet() == 2) {
                    throw new IllegalStateException("port taken");
                }
                return next();
            });
            started.get(0).alive = false;
            s.tick();
            clock.addAndGet(1_000);
            s.tick();
            awaitTrue(() -> Supervisor.RESTARTING.equals(c.state()) && c.restartInMs(clock.get()) >= 0);
            assertEquals(0, c.restarts());
            clock.addAndGet(30_000);
            s.tick();
            awaitTrue(() -> c.restarts() == 1 && c.isUp());
            assertEquals(3, attempts.get());
        }
    }

    @Test
    void aStoppedComponentIsNotRestarted() {
        try (Supervisor s = supervisor()) {
            final Supervisor.Component c = s.start("cdc", "8081", "", this::next);
            assertEquals(143, s.stop("cdc", 5));
            assertEquals(Supervisor.STOPPED, c.state());
            clock.addAndGet(60_000);
            s.tick();
            assertEquals(1, started.size());
            assertEquals(1, started.get(0).stops);
        }
    }

    @Test
    void afterCloseNothingIsRestarted() {
        final Supervisor s = supervisor();
        final Supervisor.Component c = s.start("lake-sink", "8083", "", this::next);
        s.close();
        started.get(0).alive = false;
        s.tick();
        clock.addAndGet(60_000);
        s.tick();
        assertEquals(Supervisor.UP, c.state(), "no exit handling once closed");
        assertEquals(1, started.size());
    }

    @Test
    void everyChangeIsReported() {
        try (Supervisor s = supervisor()) {
            s.start("a", "", "", this::next);
            final int afterStart = changes.get();
            assertTrue(afterStart >= 1);
            started.get(0).alive = false;
            s.tick();
            assertTrue(changes.get() > afterStart, "an exit rewrites the status file");
        }
    }
}
