package io.rtdw.runtime;

import java.util.List;

/** The configuration is wrong; the message lists every problem found, one per line, each naming its variable. */
public final class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(final List<String> problems) {
        super("invalid configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(final String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
