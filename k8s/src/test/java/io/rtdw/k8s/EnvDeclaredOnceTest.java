package io.rtdw.k8s;

import org.junit.jupiter.api.Test;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every environment variable of ours is spelled once in the code: as the name of one {@code Setting} declaration
 * ({@code Setting.string("RTDW_X", ...)}, {@code Setting.family("KAFKA_", ...)}); every other place, services, dev
 * tools, the test kit, the local stack and the benchmarks alike, uses {@code SETTING.name()} (or
 * {@code FAMILY.member(property)} for a {@code KAFKA_<NAME>} pass-through variable). The scan reads the
 * {@code src/main/java} of every module the root pom lists, lexing Java (comments and text blocks are skipped), and
 * fails on a string literal that is a whole variable name of ours outside a {@code Setting} declaration, and on a
 * name declared twice. Text that merely mentions a variable in a message ({@code "MONGODB_URI is not set"}) is not a
 * name literal and is not checked.
 */
class EnvDeclaredOnceTest {

    /** A whole literal that is one of our variable names (the prefixes our settings use). */
    private static final Pattern OURS = Pattern.compile("(RTDW|KAFKA|PG|MONGODB|APICURIO|S3|AWS)_[A-Z0-9_]+");

    /** The literal is the first argument of a {@code Setting} factory: a declaration. */
    private static final Pattern DECLARATION = Pattern.compile("\\bSetting\\s*\\.\\s*[a-zA-Z]+\\s*\\(\\s*$");

    private static final String DECLARES = "declares the name for JDK-only code";

    /**
     * Literals allowed outside a declaration, each for a stated reason; kept small. Key: module-relative path and
     * literal. An entry that no longer matches anything fails the test, so the list cannot go stale.
     */
    private static final Map<String, String> ALLOWED = Map.of(
            // The Apicurio Registry server's own variable (its Quarkus config apicurio.rules.global.compatibility),
            // set on the registry child the test kit starts: a third-party program's configuration, not ours.
            "test-support/src/main/java/io/rtdw/testing/RegistryServer.java: APICURIO_RULES_GLOBAL_COMPATIBILITY",
            "third-party (Apicurio Registry server)",
            // FieldMasks is copied alone into the Pinot decoder plugin jar, where the runtime module's Setting class
            // does not exist, so the names live in JDK-only constants; MaskSettings declares the Settings with them.
            // These three are the one declaration of each name (the duplicate check counts them).
            "schemas/src/main/java/io/rtdw/mask/FieldMasks.java: RTDW_MASK_FIELDS", DECLARES,
            "schemas/src/main/java/io/rtdw/mask/FieldMasks.java: RTDW_MASK_KEY", DECLARES,
            "schemas/src/main/java/io/rtdw/mask/FieldMasks.java: RTDW_MASK_KEY_FILE", DECLARES);

    private static final Path ROOT = Overlays.moduleDir().getParent();

    /** One string literal found in a source file. */
    record Literal(String file, int line, String value, boolean declaration) {
        String where() {
            return file + ":" + line;
        }
    }

    @Test
    void everyVariableNameIsSpelledOnlyInItsSettingDeclaration() {
        final Map<String, String> sources = new TreeMap<>();
        for (final Path file : sources()) {
            sources.put(ROOT.relativize(file).toString().replace('\\', '/'), read(file));
        }
        assertTrue(sources.size() > 100, "scanned only " + sources.size() + " files under " + ROOT);
        final Scan scan = scan(sources, ALLOWED);
        assertTrue(scan.declared() > 50, "found only " + scan.declared() + " declared names: is the scan broken?");
        assertEquals("", String.join("\n", scan.problems()), "environment variable names spelled outside their one "
                + "Setting declaration (see this test's Javadoc)");
    }

    /** The checks themselves fail where they should: a name used by literal, declared twice, a stale allow-list. */
    @Test
    void theScanReportsLiteralsDuplicatesAndStaleAllowances() {
        final Map<String, String> sources = new TreeMap<>(Map.of(
                "a/A.java", """
                        class A {
                            static final Setting<String> X = Setting.string("RTDW_X", "", "x");
                            static final Setting<String> F = Setting.family("KAFKA_", "f");
                        }
                        """,
                "b/B.java", """
                        class B {
                            static final Setting<Integer> X = Setting.integer(
                                    "RTDW_X", 1, 0, 9, "x again");
                            void f(Map<String, String> env) {
                                env.put(A.X.name(), "1");
                                env.put("RTDW_X", "1");
                                env.put("THIRD_PARTY_X", "1");
                                env.put("KAFKA_LINGER_MS", A.F.member("linger.ms"));
                                env.put("APICURIO_OWN", "1");
                            }
                        }
                        """));
        final Scan scan = scan(sources, Map.of("b/B.java: APICURIO_OWN", "third-party",
                "b/B.java: RTDW_GONE", "third-party"));
        assertEquals(List.of(
                "b/B.java:6: \"RTDW_X\" (use the Setting's name())",
                "b/B.java:8: \"KAFKA_LINGER_MS\" (use the Setting's name())",
                "RTDW_X is declared 2 times: a/A.java:2, b/B.java:3",
                "allow-list entry matches nothing any more, remove it: b/B.java: RTDW_GONE"), scan.problems());
        assertEquals(1, scan.declared());
    }

    /** What the scan found: the problems, and how many distinct names are declared. */
    record Scan(List<String> problems, int declared) {
    }

    /** Scans {@code sources} (path -> Java text) with the given allow-list. */
    static Scan scan(final Map<String, String> sources, final Map<String, String> allowed) {
        final List<String> problems = new ArrayList<>();
        final Set<String> allowedUsed = new TreeSet<>();
        final Map<String, List<String>> declaredAt = new TreeMap<>();
        sources.forEach((file, text) -> {
            for (final Literal l : literals(file, text)) {
                if (!OURS.matcher(l.value()).matches()) {
                    continue;
                }
                final String key = file + ": " + l.value();
                if (l.declaration() || DECLARES.equals(allowed.get(key))) {
                    declaredAt.computeIfAbsent(l.value(), k -> new ArrayList<>()).add(l.where());
                }
                if (allowed.containsKey(key)) {
                    allowedUsed.add(key);
                } else if (!l.declaration()) {
                    problems.add(l.where() + ": \"" + l.value() + "\" (use the Setting's name())");
                }
            }
        });
        declaredAt.forEach((name, at) -> {
            if (at.size() > 1) {
                problems.add(name + " is declared " + at.size() + " times: " + String.join(", ", at));
            }
        });
        new TreeSet<>(allowed.keySet()).stream().filter(k -> !allowedUsed.contains(k))
                .forEach(k -> problems.add("allow-list entry matches nothing any more, remove it: " + k));
        return new Scan(problems, declaredAt.size());
    }

    /** The scanner itself: it must see literals the way javac does, or the test above proves nothing. */
    @Test
    void theLexerFindsLiteralsAndDeclarationsOnly() {
        final String source = """
                // "RTDW_IN_COMMENT"
                /* "RTDW_IN_BLOCK" */
                class X {
                    static final Setting<String> A = Setting.string(
                            "RTDW_DECLARED", "", "meaning with \\"RTDW_QUOTED\\" inside");
                    static final char Q = '"';
                    static final String HELP = \"""
                            "RTDW_IN_TEXT_BLOCK"
                            \""";
                    void f(Map<String, String> env) { env.get("RTDW_USED"); }
                }
                """;
        final List<Literal> found = literals("X.java", source).stream().filter(l -> OURS.matcher(l.value()).matches())
                .toList();
        assertEquals(List.of(new Literal("X.java", 5, "RTDW_DECLARED", true), new Literal("X.java", 10, "RTDW_USED",
                false)), found);
    }

    /** Every {@code .java} file under {@code <module>/src/main/java} of each module of the root pom. */
    private static List<Path> sources() {
        final List<Path> out = new ArrayList<>();
        for (final String module : modules()) {
            final Path dir = ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private static List<String> modules() {
        try {
            final NodeList nodes = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(ROOT.resolve("pom.xml").toFile()).getElementsByTagName("module");
            final List<String> modules = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                modules.add(nodes.item(i).getTextContent().trim());
            }
            assertTrue(modules.size() > 5, "the root pom lists only " + modules);
            return modules;
        } catch (final Exception e) {
            throw new IllegalStateException("cannot read the modules of " + ROOT.resolve("pom.xml"), e);
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The string literals of a Java source, with their line and whether each is the first argument of a
     * {@code Setting.xxx(} call. Comments, character literals and text blocks are skipped, not reported.
     */
    static List<Literal> literals(final String file, final String src) {
        final List<Literal> out = new ArrayList<>();
        final StringBuilder code = new StringBuilder(); // the source so far without comments and literal contents
        int line = 1;
        int i = 0;
        while (i < src.length()) {
            final char c = src.charAt(i);
            if (c == '\n') {
                line++;
                code.append(c);
                i++;
            } else if (src.startsWith("//", i)) {
                while (i < src.length() && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (src.startsWith("/*", i)) {
                final int end = src.indexOf("*/", i + 2);
                final int stop = end < 0 ? src.length() : end + 2;
                line += count(src, i, stop);
                code.append(' ');
                i = stop;
            } else if (src.startsWith("\"\"\"", i)) {
                int j = i + 3;
                while (j < src.length() && !src.startsWith("\"\"\"", j)) {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                final int stop = Math.min(src.length(), j + 3);
                line += count(src, i, stop);
                code.append("\"\"");
                i = stop;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < src.length() && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                if (c == '"') {
                    final int tail = Math.max(0, code.length() - 200);
                    out.add(new Literal(file, line, src.substring(i + 1, Math.min(j, src.length())),
                            DECLARATION.matcher(code.substring(tail)).find()));
                }
                code.append(c).append(c);
                i = j + 1;
            } else {
                code.append(c);
                i++;
            }
        }
        return out;
    }

    private static int count(final String src, final int from, final int to) {
        int n = 0;
        for (int k = from; k < to; k++) {
            if (src.charAt(k) == '\n') {
                n++;
            }
        }
        return n;
    }
}
