package io.rtdw.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options and operands of one command line, checked against the options a command knows: {@code --flag},
 * {@code --option VALUE} (or {@code --option=VALUE}), operands. Anything else is a {@link Usage} error. Options keep
 * their order (for {@code --partition P --offset N} pairs).
 */
final class CommandLine {

    /** A wrong command line; the message says what is wrong. */
    static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;

        Usage(final String message) {
            super(message);
        }
    }

    /** An option as given, in order; {@code value} is null for a flag. */
    record Option(String name, String value) {
    }

    private final List<Option> options = new ArrayList<>();
    private final List<String> operands = new ArrayList<>();

    private CommandLine() {
    }

    /**
     * Parses {@code args}: {@code flags} take no value, {@code valued} take one. An option given twice is an error
     * unless it is in {@code repeatable}.
     */
    static CommandLine parse(final List<String> args, final Set<String> flags, final Set<String> valued,
                             final Set<String> repeatable) throws Usage {
        final CommandLine line = new CommandLine();
        for (int i = 0; i < args.size(); i++) {
            final String arg = args.get(i);
            if (!arg.startsWith("--")) {
                line.operands.add(arg);
                continue;
            }
            final int eq = arg.indexOf('=');
            final String name = eq < 0 ? arg : arg.substring(0, eq);
            final String value;
            if (flags.contains(name)) {
                if (eq >= 0) {
                    throw new Usage(name + " takes no value");
                }
                value = null;
            } else if (valued.contains(name)) {
                if (eq >= 0) {
                    value = arg.substring(eq + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new Usage(name + " needs a value");
                }
            } else {
                throw new Usage("unknown option " + name);
            }
            if (!repeatable.contains(name) && line.options.stream().anyMatch(o -> o.name.equals(name))) {
                throw new Usage(name + " is given twice");
            }
            line.options.add(new Option(name, value));
        }
        return line;
    }

    List<String> operands() {
        return operands;
    }

    List<Option> options() {
        return options;
    }

    boolean has(final String name) {
        return options.stream().anyMatch(o -> o.name.equals(name));
    }

    Optional<String> value(final String name) {
        return options.stream().filter(o -> o.name.equals(name)).map(Option::value).findFirst();
    }

    /** The whole number given for {@code name} in {@code [min, max]}, or {@code otherwise} when not given. */
    long number(final String name, final long otherwise, final long min, final long max) throws Usage {
        final Optional<String> text = value(name);
        return text.isEmpty() ? otherwise : number(name, text.get(), min, max);
    }

    static long number(final String name, final String text, final long min, final long max) throws Usage {
        final long n;
        try {
            n = Long.parseLong(text.trim());
        } catch (final NumberFormatException e) {
            throw new Usage(name + " must be a whole number, was '" + text + "'");
        }
        if (n < min || n > max) {
            throw new Usage(name + " must be in [" + min + ", " + max + "], was " + n);
        }
        return n;
    }

    /**
     * The start of a command's {@code main}: logging to stderr ({@link #logToStderr()}); on {@code --help} or
     * {@code -h}, the command's help text on stdout and exit 0.
     */
    static void begin(final String command, final String[] args) {
        logToStderr();
        if (Help.asked(args)) {
            System.out.print(Help.text(command));
            System.exit(Help.OK);
        }
    }

    /**
     * Sends every log line to stderr ({@code log4j2-cli.xml}), unless {@code -Dlog4j2.configurationFile} names
     * another configuration: stdout carries the command's data only. Call first in {@code main}, before any logger.
     */
    static void logToStderr() {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-cli.xml");
        }
    }

    /** The environment as the commands read it: a copy, so tests can pass their own. */
    static Map<String, String> environment() {
        return Map.copyOf(System.getenv());
    }
}
