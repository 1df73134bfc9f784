package io.rtdw.ksql;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One ksqlDB statement of a numbered file, comments removed and whitespace collapsed.
 *
 * @param file the file it comes from
 * @param text the statement without its trailing ';'
 */
record Statement(String file, String text) {

    /** Every statement of every {@code .sql} file in {@code dir}, in file-name order. */
    static List<Statement> load(final Path dir) throws IOException {
        final List<Statement> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path file : files.filter(f -> f.toString().endsWith(".sql")).sorted().toList()) {
                all.addAll(parse(file.getFileName().toString(), Files.readString(file)));
            }
        }
        return all;
    }

    /** Splits a file on ';' outside quotes and backticks; drops {@code --} comments. */
    static List<Statement> parse(final String file, final String sql) {
        final StringBuilder clean = new StringBuilder();
        for (final String line : sql.split("\n", -1)) {
            clean.append(stripComment(line)).append('\n');
        }
        final List<Statement> statements = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        char quote = 0;
        for (final char c : clean.toString().toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '`') {
                quote = c;
            } else if (c == ';') {
                add(file, current, statements);
                continue;
            }
            current.append(c);
        }
        if (!current.toString().isBlank()) {
            throw new IllegalArgumentException(file + ": statement without a terminating ';': " + current.toString().strip());
        }
        return statements;
    }

    private static void add(final String file, final StringBuilder text, final List<Statement> out) {
        final String collapsed = text.toString().replaceAll("\\s+", " ").strip();
        if (!collapsed.isEmpty()) {
            out.add(new Statement(file, collapsed));
        }
        text.setLength(0);
    }

    private static String stripComment(final String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            final char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '`') {
                quote = c;
            } else if (c == '-' && i + 1 < line.length() && line.charAt(i + 1) == '-') {
                return line.substring(0, i);
            }
        }
        return line;
    }

    @Override
    public String toString() {
        return file + ": " + (text.length() > 80 ? text.substring(0, 80) + "..." : text);
    }
}
