package io.rtdw.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The root pom's enforcer rule {@code service-ships-no-test-libraries} can fail: Maven validates tiny module poms
 * whose parent is the repository's root pom, as a service module's is, and which switch the rule on
 * ({@code rtdw.service.skip=false}). Maven runs offline ({@code -o}): the build's own validate phase, which runs the
 * enforcer in every module before this one's tests, has put the plugin in the local repository.
 */
class ServicesShipNoTestLibrariesTest {

    /** A wait on the process, not a measurement: Maven takes seconds here, far more on a loaded machine. */
    private static final long DEADLINE_MINUTES = 5;

    private static final Path ROOT = repositoryRoot();

    @Test
    void aTestLibraryAtCompileScopeFailsTheBuild(@TempDir final Path dir) {
        final Outcome outcome = validate(dir, "junit-compile", true, "org.junit.jupiter", "junit-jupiter-api", "compile");
        assertNotEquals(0, outcome.status, outcome.output);
        assertTrue(outcome.output.contains("service-ships-no-test-libraries"), outcome.output);
        assertTrue(outcome.output.contains("BannedDependencies"), outcome.output);
        assertTrue(banned(outcome.output, "org.junit.jupiter:junit-jupiter-api:jar:"), outcome.output);
    }

    @Test
    void theSameLibraryAtTestScopePasses(@TempDir final Path dir) {
        final Outcome outcome = validate(dir, "junit-test", true, "org.junit.jupiter", "junit-jupiter-api", "test");
        assertEquals(0, outcome.status, outcome.output);
    }

    @Test
    void theTestKitAtCompileScopeFailsTheBuild(@TempDir final Path dir) {
        final Outcome outcome = validate(dir, "kit-compile", true, "io.rtdw", "rtdw-test-support", "compile");
        assertNotEquals(0, outcome.status, outcome.output);
        assertTrue(outcome.output.contains("BannedDependencies"), outcome.output);
        assertTrue(banned(outcome.output, "io.rtdw:rtdw-test-support:jar:"), outcome.output);
    }

    /** The rule is switched on per module: a dev or test module (the default) may depend on anything. */
    @Test
    void aModuleThatIsNoServiceMayHaveATestLibraryAtCompileScope(@TempDir final Path dir) {
        final Outcome outcome = validate(dir, "not-a-service", false, "org.junit.jupiter", "junit-jupiter-api",
                "compile");
        assertEquals(0, outcome.status, outcome.output);
    }

    private record Outcome(int status, String output) {
    }

    /** A line of the enforcer's dependency tree that names {@code coordinates} and marks it banned. */
    private static boolean banned(final String output, final String coordinates) {
        return output.lines().anyMatch(line -> line.contains(coordinates) && line.contains("banned"));
    }

    /**
     * Writes a module pom with the root pom as its parent and one dependency, and runs {@code mvn -o validate} on it.
     */
    private static Outcome validate(final Path dir, final String name, final boolean service, final String groupId,
                                    final String artifactId, final String scope) {
        final Element parent = rootProject();
        final Path module = dir.resolve(name);
        final String pom = """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <parent>
                    <groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version>
                    <relativePath>%s</relativePath>
                  </parent>
                  <artifactId>enforcer-probe-%s</artifactId>
                  %s
                  <dependencies>
                    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><scope>%s</scope></dependency>
                  </dependencies>
                </project>
                """.formatted(text(parent, "groupId"), text(parent, "artifactId"), text(parent, "version"),
                module.toAbsolutePath().relativize(ROOT.resolve("pom.xml")), name,
                service ? "<properties><rtdw.service.skip>false</rtdw.service.skip></properties>" : "",
                groupId, artifactId, scope);
        final Path log = dir.resolve(name + ".log");
        final List<String> command = new ArrayList<>(List.of(mvn().toString(), "-o", "-q", "-B",
                "-Dstyle.color=never"));
        final String localRepository = System.getProperty("rtdw.maven.repo.local", "");
        if (!localRepository.isBlank()) {
            command.add("-Dmaven.repo.local=" + localRepository);   // the build's, when it was given one
        }
        command.addAll(List.of("validate", "-f", module.resolve("pom.xml").toString()));
        try {
            Files.createDirectories(module);
            Files.writeString(module.resolve("pom.xml"), pom);
            final long began = System.nanoTime();
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            try {
                if (!process.waitFor(DEADLINE_MINUTES, TimeUnit.MINUTES)) {
                    fail("mvn validate of the " + name + " probe did not end within " + DEADLINE_MINUTES
                            + " minutes:\n" + Files.readString(log));
                }
            } finally {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            System.out.printf("mvn -o validate of the %s probe: exit %d in %d ms%n", name, process.exitValue(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return new Outcome(process.exitValue(), Files.readString(log));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code mvn} from the PATH; CI has it, so its absence fails the test rather than skipping it. */
    private static Path mvn() {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "mvn"))) {
                return Path.of(dir, "mvn");
            }
        }
        return fail("mvn is not on the PATH (" + System.getenv("PATH") + "): this test runs Maven on probe poms "
                + "to show the enforcer rule service-ships-no-test-libraries failing; install Maven to run it");
    }

    /** The nearest directory at or above this test's working directory whose pom.xml lists modules. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            final Path pom = dir.resolve("pom.xml");
            try {
                if (Files.isRegularFile(pom) && Files.readString(pom).contains("<modules>")) {
                    return dir;
                }
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no pom.xml with <modules> at or above " + Path.of("").toAbsolutePath());
    }

    private static Element rootProject() {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(ROOT.resolve("pom.xml").toFile())
                    .getDocumentElement();
        } catch (final Exception e) {
            throw new IllegalStateException("cannot read " + ROOT.resolve("pom.xml"), e);
        }
    }

    /** The text of {@code project}'s own child element {@code name} (not a nested one, such as a dependency's). */
    private static String text(final Element project, final String name) {
        for (var node = project.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element.getTextContent().trim();
            }
        }
        throw new IllegalStateException("the root pom has no <" + name + ">");
    }
}
