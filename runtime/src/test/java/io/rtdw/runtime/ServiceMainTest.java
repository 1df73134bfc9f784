package io.rtdw.runtime;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceMainTest {

    private static final Setting<String> URL = Setting.string("T_URL", null, "where to go").required();
    private static final Setting<Integer> N = Setting.integer("T_N", 1, 1, 10, "how many");
    private static final Service SERVICE = new Service("test-svc", "test", "does nothing, well",
            List.of(URL, N, OpsServer.HTTP_PORT), "Notes.");
    private static final Function<Env, String> CONFIG = env -> env.get(URL) + "/" + env.get(N);

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpListsEveryVariableWithItsDefaultAndTheExitCodes() {
        assertEquals(0, run(Map.of(), (c, m) -> fail(), "--help"));
        final String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("T_URL") && help.contains("where to go"), help);
        assertTrue(help.contains("[1]"), help);
        assertTrue(help.contains("RTDW_HTTP_PORT") && help.contains("[8080]"), help);
        assertTrue(help.contains("RTDW_LOG_LEVEL"), "the runtime's own variables are listed: " + help);
        assertTrue(help.contains("143"), help);
    }

    @Test
    void anUnknownArgumentExitsTwo() {
        assertEquals(2, run(Map.of(), (c, m) -> fail(), "--port=1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown argument --port=1"));
    }

    @Test
    void everyConfigurationProblemIsPrintedAndNothingStarts() {
        final AtomicBoolean started = new AtomicBoolean();
        assertEquals(2, run(Map.of("T_N", "11", "RTDW_HTTP_PORT", "x"), (c, m) -> {
            started.set(true);
            return fail();
        }));
        final String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("T_URL is required") && e.contains("T_N must be in [1, 10]")
                && e.contains("RTDW_HTTP_PORT must be a whole number"), e);
        assertFalse(started.get());
    }

    @Test
    void aSetUpProblemExitsTwoAndAFailureAtRunTimeExitsOne() {
        assertEquals(2, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"), (c, m) -> {
            throw new ServiceMain.SetupException("topic t does not exist", null);
        }));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("cannot start: topic t does not exist"));
        final Fake fake = new Fake();
        fake.failure.complete(new IllegalStateException("lost the database"));
        assertEquals(1, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"), (c, m) -> fake));
        assertTrue(fake.closed.get(), "closed before exiting");
    }

    @Test
    void aSetUpProblemFoundAtRunTimeExitsTwo() {
        final Fake fake = new Fake();
        fake.failure.complete(new ServiceMain.SetupException("TRUNCATE of public.flight", null));
        assertEquals(2, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"), (c, m) -> fake));
        assertTrue(fake.closed.get(), "closed before exiting");
    }

    @Test
    void sigtermDuringStartUpInterruptsTheStartAndClosesWhatStarted() throws Exception {
        final TestLifecycle lifecycle = new TestLifecycle(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "0"));
        final CountDownLatch inStart = new CountDownLatch(1);
        final AtomicBoolean partClosed = new AtomicBoolean();
        final CompletableFuture<Integer> status = runAsync(lifecycle, (c, m) -> {
                    try {
                        inStart.countDown();
                        Thread.sleep(60_000); // a start that waits, like a restore or a broker not yet reachable
                        return fail();
                    } finally {
                        partClosed.set(true);
                    }
                });
        assertTrue(inStart.await(30, TimeUnit.SECONDS));
        final Thread hook = new Thread(lifecycle.hook.get());
        hook.start();
        hook.join(30_000);
        assertFalse(hook.isAlive(), "the SIGTERM hook returns instead of waiting for the start");
        assertEquals(-1, status.get(30, TimeUnit.SECONDS), "the JVM's SIGTERM exit (143) is left to the JVM");
        assertTrue(partClosed.get());
    }

    @Test
    void aStartThatIgnoresTheInterruptIsClosedByTheHookWhenItReturns() throws Exception {
        final TestLifecycle lifecycle = new TestLifecycle(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"));
        final CountDownLatch inStart = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        final Fake fake = new Fake();
        final CompletableFuture<Integer> status = runAsync(lifecycle, (c, m) -> {
                    inStart.countDown();
                    while (release.getCount() > 0) {
                        try {
                            release.await();
                        } catch (final InterruptedException e) {
                            // a start that swallows the interrupt and finishes anyway
                            interrupted.countDown();
                        }
                    }
                    return fake;
                });
        assertTrue(inStart.await(30, TimeUnit.SECONDS));
        final Thread hook = new Thread(lifecycle.hook.get());
        hook.start();
        assertTrue(interrupted.await(30, TimeUnit.SECONDS), "the hook interrupts a start in progress");
        assertFalse(fake.closed.get());
        release.countDown();
        hook.join(30_000);
        assertTrue(fake.closed.get(), "what the start returned after the SIGTERM was closed by the hook");
        assertEquals(-1, status.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aServiceThatEndsOnItsOwnWithoutAnErrorExitsZero() {
        final Fake fake = new Fake();
        fake.failure.complete(null);
        assertEquals(0, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"), (c, m) -> fake));
        assertTrue(fake.closed.get(), "closed before exiting");
    }

    @Test
    void aStartThatThrowsExitsOne() {
        assertEquals(1, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "-1"), (c, m) -> {
            throw new IllegalStateException("the state directory is not writable");
        }));
    }

    @Test
    void aBusyHttpPortIsAConfigurationErrorAndNothingStarts() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            final AtomicBoolean started = new AtomicBoolean();
            assertEquals(2, run(Map.of("T_URL", "u", "RTDW_HTTP_PORT", String.valueOf(taken.getLocalPort())),
                    (c, m) -> {
                        started.set(true);
                        return fail();
                    }));
            final String e = err.toString(StandardCharsets.UTF_8);
            assertTrue(e.contains("cannot open the HTTP port " + taken.getLocalPort()), e);
            assertFalse(started.get());
        }
    }

    @Test
    void whileTheStartRunsHealthSaysLiveNotReadyStarting() throws Exception {
        final TestLifecycle lifecycle = new TestLifecycle(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "0"));
        final CountDownLatch inStart = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Fake fake = new Fake();
        final CompletableFuture<Integer> status = runAsync(lifecycle, (c, m) -> {
                    inStart.countDown();
                    try {
                        release.await();
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return fake;
                });
        final int port = awaitPort(lifecycle);
        assertTrue(inStart.await(30, TimeUnit.SECONDS));
        final HttpClient http = HttpClient.newHttpClient();
        final HttpResponse<String> live = get(http, port, "/health/live");
        assertEquals(200, live.statusCode(), live.body());
        assertEquals("{\"service\":\"test-svc\",\"status\":\"UP\",\"live\":true,\"ready\":false,\"detail\":\"starting\"}\n",
                live.body());
        final HttpResponse<String> ready = get(http, port, "/health/ready");
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"status\":\"DOWN\"") && ready.body().contains("\"detail\":\"starting\""),
                ready.body());
        release.countDown();
        fake.failure.complete(null);
        assertEquals(0, status.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aWrongLogLevelIsAConfigurationError() {
        assertEquals(2, run(Map.of("T_URL", "u", "RTDW_LOG_LEVEL", "verbose"), (c, m) -> fail()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("RTDW_LOG_LEVEL must be one of"));
    }

    @Test
    void sigtermWhileRunningClosesTheServiceAndHealthAnswersAsJson() throws Exception {
        final TestLifecycle lifecycle = new TestLifecycle(Map.of("T_URL", "u", "RTDW_HTTP_PORT", "0"));
        final Fake fake = new Fake();
        final AtomicReference<ServiceMetrics> metrics = new AtomicReference<>();
        final CompletableFuture<Integer> status = runAsync(lifecycle, (c, m) -> {
                    metrics.set(m);
                    m.counter("things", "Things done.", "kind", "a").increment(3);
                    return fake;
                });
        final int port = awaitPort(lifecycle);
        final HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> ready = get(http, port, "/health/ready");
        for (int i = 0; i < 300 && ready.statusCode() != 200; i++) {
            Thread.sleep(100);
            ready = get(http, port, "/health/ready");
        }
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("{\"service\":\"test-svc\",\"status\":\"UP\",\"live\":true,\"ready\":true,\"detail\":\"fine \\\"really\\\"\"}\n",
                ready.body());
        final String scrape = get(http, port, "/metrics").body();
        assertTrue(scrape.contains("rtdw_test_things_total{kind=\"a\"} 3.0"), scrape);
        assertTrue(scrape.contains("jvm_memory_used_bytes"), "JVM metrics are bound");
        fake.isReady = false;
        assertEquals(503, get(http, port, "/health/ready").statusCode());

        lifecycle.hook.get().run();
        assertTrue(fake.closed.get());
        assertEquals(-1, status.get(30, TimeUnit.SECONDS));
    }

    private static HttpResponse<String> get(final HttpClient http, final int port, final String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int awaitPort(final TestLifecycle lifecycle) throws Exception {
        return lifecycle.port.get(60, TimeUnit.SECONDS);
    }

    /** Runs the service on another thread, as its main would, with the test's lifecycle. */
    private CompletableFuture<Integer> runAsync(final TestLifecycle lifecycle, final ServiceMain.Starter<String> starter) {
        return CompletableFuture.supplyAsync(() -> ServiceMain.run(SERVICE, new String[0], CONFIG, starter, lifecycle,
                new PrintStream(out), new PrintStream(err)));
    }

    private int run(final Map<String, String> env, final ServiceMain.Starter<String> starter, final String... args) {
        return ServiceMain.run(SERVICE, args, CONFIG, starter, new TestLifecycle(env), new PrintStream(out),
                new PrintStream(err));
    }

    private static ServiceMain.Running fail() {
        throw new AssertionError("must not start");
    }

    /** Environment from the test; the SIGTERM hook kept for the test to run. */
    private static final class TestLifecycle extends ServiceMain.Lifecycle {
        final Map<String, String> env;
        final AtomicReference<Runnable> hook = new AtomicReference<>();
        final CompletableFuture<Integer> port = new CompletableFuture<>();

        TestLifecycle(final Map<String, String> env) {
            this.env = env;
        }

        @Override
        Env env() {
            return Env.of(env);
        }

        @Override
        void onSigterm(final Runnable close) {
            hook.set(close);
        }

        @Override
        void opsStarted(final OpsServer ops) {
            port.complete(ops.port());
        }
    }

    private static final class Fake implements ServiceMain.Running {
        final CompletableFuture<Throwable> failure = new CompletableFuture<>();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean isReady = true;

        @Override
        public Throwable awaitTermination() throws InterruptedException {
            try {
                return failure.get();
            } catch (final java.util.concurrent.ExecutionException e) {
                return e.getCause();
            }
        }

        @Override
        public void close() {
            closed.set(true);
            failure.complete(null);
        }

        @Override
        public boolean live() {
            return true;
        }

        @Override
        public boolean ready() {
            return isReady;
        }

        @Override
        public String detail() {
            return "fine \"really\"";
        }
    }
}
