package io.rtdw.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parts of {@link RegistryServer} that need no server. */
class RegistryServerTest {

    @Test
    void theBuildPutTheServerWhereTestsFindIt() {
        final Path home = RegistryServer.distribution();
        assertTrue(Files.isRegularFile(home.resolve("apicurio-registry-app-" + RegistryServer.DEFAULT_VERSION
                + "-runner.jar")), home.toString());
        assertTrue(Files.isDirectory(home.resolve("lib")), home.toString());
    }

    /** Where test-support's unpacked copy is gone (test-support from ~/.m2), the zip is unpacked at run time. */
    @Test
    void theZipIsUnpackedWhenNoUnpackedServerIsFound(@TempDir final Path dir) {
        final Path zip = Path.of(RegistryServer.buildProperties().getProperty("zip"));
        assertTrue(Files.isRegularFile(zip), "the build downloaded " + zip);
        final Path home = RegistryServer.unpack(zip, dir.resolve("apicurio-registry"));
        assertTrue(Files.isRegularFile(home.resolve("apicurio-registry-app-" + RegistryServer.DEFAULT_VERSION
                + "-runner.jar")));
        assertEquals(home, RegistryServer.unpack(zip, dir.resolve("apicurio-registry")), "unpacked once");
        try (var entries = Files.list(dir)) {
            assertEquals(1, entries.count(), "no temporary directory left beside it");
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The server's JVM ends when its parent goes away (the end of its stdin), even if nobody stops it. */
    @Test
    void theOrphanGuardEndsTheChildWhenItsStdinCloses(@TempDir final Path dir) {
        try (ChildJvm child = ChildJvm.java("orphan-guard", RegistryServer.OrphanGuard.class.getName()).heapMb(32)
                .args(Sleeper.class.getName()).freshLog(dir.resolve("child.log")).start()) {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!child.logText().contains(Sleeper.RUNNING)) {
                assertTrue(child.isAlive(), "the guard runs the wrapped main: " + child.logText());
                assertTrue(System.nanoTime() < deadline, "the wrapped main never started: " + child.logText());
                TestFiles.sleep(50);
            }
            assertTrue(child.isAlive(), "the wrapped main keeps running while stdin is open: " + child.logText());
            child.closeStdin();
            final Integer status = child.awaitExit(60);
            assertNotNull(status, "the child exits when its stdin closes");
            assertEquals(0, status, child.logText());
            assertTrue(child.logText().contains("OrphanGuard: the parent JVM is gone; stopping"), child.logText());
        }
    }

    /** A main that would run for ten minutes. */
    public static final class Sleeper {
        static final String RUNNING = "sleeper: running";

        private Sleeper() {
        }

        public static void main(final String[] args) throws InterruptedException {
            System.out.println(RUNNING);
            System.out.flush();
            Thread.sleep(600_000);
        }
    }
}
