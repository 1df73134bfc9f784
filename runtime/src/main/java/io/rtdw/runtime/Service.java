package io.rtdw.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a service declares about itself: its name, its metric name, a summary for {@code --help}, and every
 * environment variable it reads (its own and those of the shared parts it uses). {@link ServiceMain} runs it.
 *
 * @param name     process name in logs and health bodies ({@code cdc}, {@code streams-app}, {@code lake-sink})
 * @param metrics  middle of its metric names ({@code rtdw_<metrics>_*})
 * @param summary  what it does, a few lines for {@code --help}
 * @param settings every variable it reads, in the order {@code --help} lists them
 * @param notes    more text for {@code --help} (layout, exit codes are added by the runtime)
 */
public record Service(String name, String metrics, String summary, List<Setting<?>> settings, String notes) {

    /** Read by the logging configuration of every service (log4j2-rtdw.xml): the level of our own loggers. */
    public static final Setting<String> LOG_LEVEL = Setting.oneOf("RTDW_LOG_LEVEL", "INFO",
            List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR"), "level of the service's own log lines");

    /** Exit status after {@code --help}, or when the service stopped on its own without an error. */
    public static final int EXIT_OK = 0;
    /** Exit status when the service failed at run time: Kubernetes restarts it. */
    public static final int EXIT_FAILED = 1;
    /** Exit status when the configuration or the set-up is wrong: the message says what to fix. */
    public static final int EXIT_CONFIG = 2;
    /** Exit status after SIGTERM (128 + 15), once the service closed. */
    public static final int EXIT_SIGTERM = 143;

    public Service {
        final Map<String, Setting<?>> unique = new LinkedHashMap<>();
        for (final Setting<?> s : settings) {
            final Setting<?> before = unique.putIfAbsent(s.name(), s);
            if (before != null && before != s) {
                throw new IllegalArgumentException(name + " declares " + s.name() + " twice");
            }
        }
        final List<Setting<?>> all = new ArrayList<>(unique.values());
        if (!unique.containsKey(LOG_LEVEL.name())) {
            all.add(LOG_LEVEL);
        }
        settings = List.copyOf(all);
    }

    /** The text of {@code --help}. */
    public String help() {
        final StringBuilder b = new StringBuilder();
        b.append("rtdw ").append(name).append(": ").append(summary.strip()).append("\n\n");
        b.append("Usage: ").append(name).append(" [--help]   (all configuration comes from the environment)\n\n");
        b.append(environmentHelp(settings));
        if (notes != null && !notes.isBlank()) {
            b.append('\n').append(notes.strip()).append('\n');
        }
        b.append("""

                HTTP: /health/live, /health/ready (200 or 503, JSON), /metrics (Prometheus text) on RTDW_HTTP_PORT.
                Exit status: 0 --help or stopped, 1 failed at run time, 2 configuration or set-up error,
                143 stopped by SIGTERM after a clean close.
                """);
        return b.toString();
    }

    /**
     * The {@code Environment} part of a {@code --help} text: each variable with its default ({@code *} when
     * required) and its meaning. Services get it inside {@link #help()}; a dev or test command that reads declared
     * settings lists them with it too.
     */
    public static String environmentHelp(final List<? extends Setting<?>> settings) {
        final StringBuilder b = new StringBuilder("Environment (default in brackets; * required):\n");
        for (final Setting<?> s : settings) {
            final String dflt = s.isRequired() ? "*" : s.isSecret() || s.isFamily() ? ""
                    : "[" + s.defaultValue() + "]";
            b.append(String.format("  %-32s %s", s.displayName(), dflt).stripTrailing()).append('\n');
            b.append(wrap(s.description() + (s.isSecret() ? " (secret: never logged)" : ""), 6, 100));
        }
        return b.toString();
    }

    /**
     * The configuration reference of several services as one Markdown table: each variable once, with the services
     * that read it, its default and its meaning. The README holds this table; a test keeps the two equal.
     */
    public static String markdownTable(final List<Service> services) {
        final Map<String, Setting<?>> settings = new java.util.TreeMap<>();
        final Map<String, List<String>> users = new LinkedHashMap<>();
        for (final Service service : services) {
            for (final Setting<?> s : service.settings()) {
                settings.putIfAbsent(s.displayName(), s);
                users.computeIfAbsent(s.displayName(), k -> new ArrayList<>()).add(service.name());
            }
        }
        final StringBuilder b = new StringBuilder("| variable | used by | default | meaning |\n|---|---|---|---|\n");
        settings.forEach((name, s) -> {
            final List<String> by = users.get(name);
            final String dflt = s.isRequired() ? "**required**" : s.isSecret() ? "(secret)"
                    : s.isFamily() || s.defaultValue().isEmpty() ? "" : "`" + s.defaultValue() + "`";
            b.append("| `").append(name).append("` | ")
                    .append(by.size() == services.size() ? "all" : String.join(", ", by)).append(" | ")
                    .append(dflt).append(" | ").append(s.description().replace("|", "\\|")).append(" |\n");
        });
        return b.toString();
    }

    private static String wrap(final String text, final int indent, final int width) {
        final StringBuilder out = new StringBuilder();
        final StringBuilder line = new StringBuilder(" ".repeat(indent));
        for (final String word : text.split("\\s+")) {
            if (line.length() + word.length() + 1 > width && line.length() > indent) {
                out.append(line.toString().stripTrailing()).append('\n');
                line.setLength(0);
                line.append(" ".repeat(indent));
            }
            line.append(word).append(' ');
        }
        return out.append(line.toString().stripTrailing()).append('\n').toString();
    }
}
