package io.rtdw.runtime;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One environment variable, declared once: its name, default, meaning, whether it is a secret, and how its text
 * becomes a value. {@code --help}, validation, the redacted start-up line, the README's configuration table and the
 * Kubernetes manifest tests all read these declarations; nothing else spells a variable's name.
 *
 * <p>A setting without a default ({@link #required()}) must be set; a setting whose default is the empty string is
 * optional and reads as empty when unset.
 *
 * @param <T> the parsed type
 */
public final class Setting<T> {

    private final String name;
    private final String defaultValue;
    private final String description;
    private final boolean secret;
    private final Function<String, T> parser;
    private final boolean family;

    private Setting(final String name, final String defaultValue, final String description, final boolean secret,
                    final Function<String, T> parser) {
        this(name, defaultValue, description, secret, parser, false);
    }

    private Setting(final String name, final String defaultValue, final String description, final boolean secret,
                    final Function<String, T> parser, final boolean family) {
        this.family = family;
        if (!name.matches("[A-Z][A-Z0-9_]*")) {
            throw new IllegalArgumentException("an environment variable is upper case: " + name);
        }
        this.name = name;
        this.defaultValue = defaultValue;
        this.description = Objects.requireNonNull(description, "description");
        this.secret = secret;
        this.parser = parser;
    }

    /** Free text. */
    public static Setting<String> string(final String name, final String defaultValue, final String description) {
        return new Setting<>(name, defaultValue, description, false, Function.identity());
    }

    /** A whole number in {@code [min, max]}. */
    public static Setting<Integer> integer(final String name, final int defaultValue, final int min, final int max,
                                           final String description) {
        return new Setting<>(name, String.valueOf(defaultValue), description, false, text -> {
            final long value = parseLong(text);
            if (value < min || value > max) {
                throw new IllegalArgumentException("must be in [" + min + ", " + max + "]");
            }
            return (int) value;
        });
    }

    /** A whole number {@code >= min}. */
    public static Setting<Long> longValue(final String name, final long defaultValue, final long min,
                                          final String description) {
        return new Setting<>(name, String.valueOf(defaultValue), description, false, text -> {
            final long value = parseLong(text);
            if (value < min) {
                throw new IllegalArgumentException("must be >= " + min);
            }
            return value;
        });
    }

    /** {@code true} or {@code false}, nothing else: a typo must not silently read as false. */
    public static Setting<Boolean> bool(final String name, final boolean defaultValue, final String description) {
        return new Setting<>(name, String.valueOf(defaultValue), description, false, text -> {
            final String t = text.trim().toLowerCase(Locale.ROOT);
            if (!t.equals("true") && !t.equals("false")) {
                throw new IllegalArgumentException("must be true or false");
            }
            return Boolean.parseBoolean(t);
        });
    }

    /** One of the given words (case-insensitive), returned in the spelling listed. */
    public static Setting<String> oneOf(final String name, final String defaultValue, final List<String> choices,
                                        final String description) {
        return new Setting<>(name, defaultValue, description + " (" + String.join(", ", choices) + ")", false,
                text -> choices.stream().filter(c -> c.equalsIgnoreCase(text.trim())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("must be one of " + choices)));
    }

    /** An enum constant named by the text (case-insensitive). */
    public static <E extends Enum<E>> Setting<E> choice(final String name, final E defaultValue, final Class<E> type,
                                                        final String description) {
        final List<String> names = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT))
                .toList();
        return new Setting<>(name, defaultValue.name().toLowerCase(Locale.ROOT),
                description + " (" + String.join(", ", names) + ")", false, text -> {
                    try {
                        return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
                    } catch (final IllegalArgumentException e) {
                        throw new IllegalArgumentException("must be one of " + names);
                    }
                });
    }

    /**
     * A family of variables sharing {@code prefix} (for example {@code KAFKA_} for Kafka client properties), read
     * with {@link Env#family}. Values of a family are redacted in logs when their name looks secret.
     */
    public static Setting<String> family(final String prefix, final String description) {
        if (!prefix.endsWith("_")) {
            throw new IllegalArgumentException("a family prefix ends with '_': " + prefix);
        }
        return new Setting<>(prefix, "", description, false, Function.identity(), true);
    }

    /** The settings of several parts, in order, as one list (a service's declaration). */
    @SafeVarargs
    public static List<Setting<?>> concat(final List<? extends Setting<?>>... groups) {
        final java.util.ArrayList<Setting<?>> all = new java.util.ArrayList<>();
        for (final List<? extends Setting<?>> group : groups) {
            all.addAll(group);
        }
        return List.copyOf(all);
    }

    /** The same setting, with no default: it must be set. */
    public Setting<T> required() {
        return new Setting<>(name, null, description, secret, parser, family);
    }

    /** The same setting, never shown: {@code --help} gives no default and the start-up line prints {@code ***}. */
    public Setting<T> secret() {
        return new Setting<>(name, defaultValue, description, true, parser, family);
    }

    /** The same setting with another parser applied to this one's result (a further check or conversion). */
    public <R> Setting<R> map(final Function<T, R> then) {
        return new Setting<>(name, defaultValue, description, secret, parser.andThen(then), family);
    }

    public String name() {
        return name;
    }

    /** True for a {@link #family(String, String)} of variables; {@link #name()} is then their prefix. */
    public boolean isFamily() {
        return family;
    }

    /**
     * The variable of this family that carries {@code key}, the inverse of {@link Env#family}'s naming:
     * {@code KAFKA_} and {@code consumer.auto.offset.reset} give {@code KAFKA_CONSUMER_AUTO_OFFSET_RESET}. Code that
     * sets a family member (a launcher, a benchmark) names it this way instead of spelling the variable.
     */
    public String member(final String key) {
        if (!family) {
            throw new IllegalStateException(name + " is not a family");
        }
        return name + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** How the variable is written in docs: its name, or {@code PREFIX<NAME>} for a family. */
    public String displayName() {
        return family ? name + "<NAME>" : name;
    }

    /** The default text; {@code null} when the variable is required. */
    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    public boolean isSecret() {
        return secret;
    }

    public boolean isRequired() {
        return defaultValue == null;
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} with a message that completes "NAME ...". */
    T parse(final String text) {
        return parser.apply(text);
    }

    /** The value as shown in logs: secrets are {@code ***} when set. */
    String shown(final String text) {
        if (text == null) {
            return "(unset)";
        }
        return secret && !text.isEmpty() ? "***" : text;
    }

    private static long parseLong(final String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number");
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
