package io.rtdw.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Reads declared {@link Setting}s from the environment, collecting every problem instead of stopping at the first:
 * an operator fixes a pod's configuration in one round trip. Call {@link #validate()} once everything is read.
 *
 * <pre>{@code
 * Env env = Env.of(System.getenv());
 * int port = env.get(OpsServer.HTTP_PORT);
 * env.check(port != 0 || ..., "RTDW_HTTP_PORT ...");
 * env.validate();   // ConfigException listing every problem
 * }</pre>
 */
public final class Env {

    private static final List<String> SECRET_MARKERS = List.of("password", "secret", "jaas", "token", "key", "credential");

    private final Map<String, String> source;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, String> shown = new LinkedHashMap<>();

    private Env(final Map<String, String> source) {
        this.source = Map.copyOf(source);
    }

    /**
     * Reads with {@code reader} over {@code environment} and validates: the value, or a {@link ConfigException}
     * naming every problem. For tests and tools that hold a map rather than an {@link Env}.
     */
    public static <T> T read(final Map<String, String> environment, final java.util.function.Function<Env, T> reader) {
        final Env env = of(environment);
        final T value = reader.apply(env);
        env.validate();
        return value;
    }

    /** Over a snapshot of {@code environment} (usually {@code System.getenv()}). */
    public static Env of(final Map<String, String> environment) {
        return new Env(environment);
    }

    /**
     * The value of {@code setting}: its parsed text, or its default when unset. On a problem (unset and required,
     * or unparsable) the problem is recorded and {@code null} returned; {@link #validate()} then throws.
     */
    public <T> T get(final Setting<T> setting) {
        if (setting.isFamily()) {
            throw new IllegalArgumentException(setting.name() + " is a family: read it with family()");
        }
        final String raw = source.get(setting.name());
        final String text = raw == null ? setting.defaultValue() : raw;
        shown.put(setting.name(), setting.shown(text));
        if (text == null || setting.isRequired() && text.isBlank()) {
            problem(setting.name() + " is required" + (text == null ? "" : " and must not be empty") + ": "
                    + setting.description());
            return null;
        }
        try {
            return setting.parse(text);
        } catch (final IllegalArgumentException e) {
            problem(setting.name() + " " + e.getMessage() + ", was '" + setting.shown(text) + "'");
            return null;
        }
    }

    /** True when the variable is set (to anything, even empty). */
    public boolean isSet(final Setting<?> setting) {
        return source.containsKey(setting.name());
    }

    /**
     * Every variable of a {@link Setting#family} except those in {@code declared} (which have their own
     * declaration), keyed by the rest of the name in lower case with {@code _} as {@code .}:
     * {@code KAFKA_SECURITY_PROTOCOL} becomes {@code security.protocol}.
     */
    public Map<String, String> family(final Setting<?> family, final Setting<?>... declared) {
        final Map<String, String> out = new TreeMap<>();
        source.forEach((name, value) -> {
            if (!name.startsWith(family.name()) || name.length() == family.name().length()) {
                return;
            }
            for (final Setting<?> d : declared) {
                if (d.name().equals(name)) {
                    return;
                }
            }
            final String key = name.substring(family.name().length()).toLowerCase(Locale.ROOT).replace('_', '.');
            out.put(key, value);
            shown.put(name, looksSecret(key) ? "***" : value);
        });
        return out;
    }

    /** Records {@code problem} unless {@code ok}. */
    public void check(final boolean ok, final String problem) {
        if (!ok) {
            problem(problem);
        }
    }

    /** A variable read twice (by a service and by the runtime) is reported once. */
    private void problem(final String problem) {
        if (!problems.contains(problem)) {
            problems.add(problem);
        }
    }

    /** True while no problem has been recorded: values read so far are all non-null. */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** Throws a {@link ConfigException} listing every problem recorded so far, if any. */
    public void validate() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Every variable read so far with its effective value, secrets as {@code ***}: the start-up log line. */
    public String describe() {
        final StringJoiner j = new StringJoiner(", ");
        shown.forEach((name, value) -> j.add(name + "=" + value));
        return j.toString();
    }

    /** True for property names that usually hold a secret ({@code sasl.jaas.config}, {@code ssl.key.password}). */
    static boolean looksSecret(final String property) {
        final String lower = property.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".serializer") || lower.endsWith(".deserializer")) {
            return false;
        }
        return SECRET_MARKERS.stream().anyMatch(lower::contains);
    }
}
