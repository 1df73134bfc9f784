package io.rtdw.k8s;

import io.rtdw.runtime.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's configuration table is generated from the services' declared settings: a variable added, renamed or
 * given another default in the code fails this test until the README says the same. To rewrite the table:
 * {@code mvn -pl k8s -am test -Dtest=ConfigurationReferenceTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Drtdw.updateReadme=true}.
 */
class ConfigurationReferenceTest {

    private static final String BEGIN = "<!-- configuration table: generated from the services' declared settings -->\n";
    private static final String END = "<!-- end of configuration table -->";

    @Test
    void theReadmeTableIsTheDeclaredSettings() throws IOException {
        final Path readme = Overlays.moduleDir().resolve("../README.md").normalize();
        final String text = Files.readString(readme);
        final int begin = text.indexOf(BEGIN);
        final int end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "README.md has no generated configuration table (markers " + BEGIN.trim()
                + " ... " + END + ")");
        final String expected = Service.markdownTable(Services.ALL);
        final String actual = text.substring(begin + BEGIN.length(), end);
        if (!expected.equals(actual) && Boolean.getBoolean("rtdw.updateReadme")) {
            Files.writeString(readme, text.substring(0, begin + BEGIN.length()) + expected + text.substring(end));
            return;
        }
        assertEquals(expected, actual, "README.md's configuration table differs from the declared settings; rewrite "
                + "it with -Drtdw.updateReadme=true (see this test's Javadoc)");
    }

    @Test
    void everyServiceHelpListsEveryVariableItReads() {
        for (final Service service : Services.ALL) {
            final String help = service.help();
            service.settings().forEach(s -> assertTrue(help.contains(s.displayName()),
                    service.name() + " --help lacks " + s.displayName()));
        }
    }
}
