package io.rtdw.k8s;

import io.rtdw.cdc.CdcMain;
import io.rtdw.lake.LakeSinkMain;
import io.rtdw.streams.StreamsApp;
import io.rtdw.testing.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each service's real {@code main}, as the container runs it, with an empty environment: {@code --help} exits 0, and
 * without configuration it exits 2 naming every required variable (a pod that forgets {@code RTDW_REGISTRY_URL}
 * does not start writing schema ids no registry knows).
 */
class ServiceCommandsTest {

    @ParameterizedTest
    @ValueSource(classes = {StreamsApp.class, CdcMain.class, LakeSinkMain.class})
    void helpExitsZeroAndAMissingRequiredVariableExitsTwo(final Class<?> main) throws IOException {
        final Result help = run(main, "--help");
        assertEquals(0, help.status, help.out);
        assertTrue(help.out.contains("RTDW_REGISTRY_URL") && help.out.contains("Exit status"), help.out);

        final Result bare = run(main);
        assertEquals(2, bare.status, bare.out);
        assertTrue(bare.out.contains("RTDW_REGISTRY_URL is required"), bare.out);
        assertFalse(bare.out.contains("Exception"), "a configuration error is a message, not a stack trace: " + bare.out);

        final Result unknown = run(main, "--bootstrap=x");
        assertEquals(2, unknown.status, unknown.out);
    }

    private record Result(int status, String out) {
    }

    /** The main in a child JVM with an empty environment, stdin closed; its output once it exits. */
    private static Result run(final Class<?> main, final String... args) throws IOException {
        final Path log = Files.createTempFile(main.getSimpleName(), ".log");
        try (ChildJvm child = ChildJvm.java(main.getSimpleName(), main.getName()).heapMb(128).onlyGivenEnv()
                .args(args).freshLog(log).start()) {
            child.closeStdin();
            final Integer status = child.awaitExit(60);
            assertNotNull(status, main.getSimpleName() + " did not exit: " + child.logText());
            return new Result(status, child.logText());
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
