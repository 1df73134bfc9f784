package io.rtdw.local;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * What {@code rtdw status} and {@code rtdw down} need to know about a running local stack, written by the launcher
 * into {@code <data-dir>/stack.properties} whenever something changes (a component started, exited, restarted), and
 * replaced atomically so a reader never sees half a file.
 *
 * <pre>
 * launcher.pid=4242
 * launcher.ops=http://localhost:8084/metrics
 * updated=2026-12-02T11:00:00Z
 * component.streams.pid=4300
 * component.streams.state=up            (starting | up | restarting | stopped)
 * component.streams.restarts=1
 * component.streams.ports=8082
 * component.streams.health=http://localhost:8082/health/ready   (or tcp://localhost:19192: a port that accepts)
 * </pre>
 */
record StackStatusFile(long launcherPid, String opsUrl, String updated, List<Component> components) {

    static final String FILE = "stack.properties";

    /** One component: its process, whether the supervisor thinks it runs, how often it was restarted, where to ask. */
    record Component(String name, long pid, String state, int restarts, String ports, String health) {
    }

    static Path path(final Path dataDir) {
        return dataDir.resolve(FILE);
    }

    String format() {
        final Properties p = new Properties();
        p.setProperty("launcher.pid", String.valueOf(launcherPid));
        p.setProperty("launcher.ops", opsUrl);
        p.setProperty("updated", updated);
        final StringBuilder order = new StringBuilder();
        for (final Component c : components) {
            final String k = "component." + c.name() + ".";
            p.setProperty(k + "pid", String.valueOf(c.pid()));
            p.setProperty(k + "state", c.state());
            p.setProperty(k + "restarts", String.valueOf(c.restarts()));
            p.setProperty(k + "ports", c.ports());
            p.setProperty(k + "health", c.health());
            order.append(order.isEmpty() ? "" : ",").append(c.name());
        }
        p.setProperty("components", order.toString());
        final StringWriter out = new StringWriter();
        try {
            p.store(out, "rtdw local stack: written by the launcher, read by rtdw status / rtdw down");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes to a temporary file beside the target and moves it into place. */
    void write(final Path dataDir) {
        final Path target = path(dataDir);
        try {
            final Path tmp = Files.createTempFile(dataDir, FILE, ".tmp");
            Files.writeString(tmp, format(), StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
    }

    static StackStatusFile parse(final String text) {
        final Properties p = new Properties();
        try (Reader in = new StringReader(text)) {
            p.load(in);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final String pid = p.getProperty("launcher.pid");
        if (pid == null) {
            throw new IllegalArgumentException("no launcher.pid: not a local stack status file");
        }
        final List<String> names = new ArrayList<>();
        final String order = p.getProperty("components", "");
        if (!order.isBlank()) {
            names.addAll(List.of(order.split(",")));
        } else {
            final TreeSet<String> found = new TreeSet<>();
            for (final String key : p.stringPropertyNames()) {
                if (key.startsWith("component.") && key.endsWith(".pid")) {
                    found.add(key.substring("component.".length(), key.length() - ".pid".length()));
                }
            }
            names.addAll(found);
        }
        final List<Component> components = new ArrayList<>();
        for (final String name : names) {
            final String k = "component." + name + ".";
            components.add(new Component(name, Long.parseLong(p.getProperty(k + "pid", "-1")),
                    p.getProperty(k + "state", "?"), Integer.parseInt(p.getProperty(k + "restarts", "0")),
                    p.getProperty(k + "ports", ""), p.getProperty(k + "health", "")));
        }
        return new StackStatusFile(Long.parseLong(pid.trim()), p.getProperty("launcher.ops", ""),
                p.getProperty("updated", ""), components);
    }

    /** The file in {@code dataDir}, or null if there is none. */
    static StackStatusFile read(final Path dataDir) {
        final Path file = path(dataDir);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    Map<String, Component> byName() {
        final Map<String, Component> map = new LinkedHashMap<>();
        components.forEach(c -> map.put(c.name(), c));
        return map;
    }
}
