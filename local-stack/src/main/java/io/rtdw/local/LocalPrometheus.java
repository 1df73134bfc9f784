package io.rtdw.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus for the local stack: Debian's {@code prometheus} binary as a process of its own, scraping the
 * components given as targets, with the project's alert rules loaded, and serving the pipeline's health page.
 *
 * <p>Everything it writes lives in {@code <data-dir>/prometheus/}: {@code prometheus.yml} (generated),
 * {@code rules.yml} (the key {@code rules.yml} of {@code k8s/base/monitoring/prometheus-config.yaml}, read from the
 * repository at every start: that ConfigMap is the one copy), {@code data/} (the TSDB), and {@code consoles/rtdw.html},
 * the health page, served by Prometheus' console handler at {@link #pageUrl()}. The page's panels are those of the
 * k8s Grafana dashboard ({@code k8s/base/monitoring/dashboards/rtdw-pipeline.json}, read at start as well) after the
 * local stack's own ({@code local-panels.json} beside the page's template); it asks Prometheus' HTTP API
 * ({@code query_range}) from the browser and draws the series as SVG lines. local-stack/DASHBOARD.md documents it.
 */
public final class LocalPrometheus implements AutoCloseable {

    /** The ConfigMap holding the alert rules (key {@code rules.yml}), relative to the repository root. */
    static final String RULES_CONFIG_MAP = "k8s/base/monitoring/prometheus-config.yaml";
    /** The k8s Grafana dashboard whose panels the page shows, relative to the repository root. */
    static final String DASHBOARD = "k8s/base/monitoring/dashboards/rtdw-pipeline.json";
    /** The page, relative to Prometheus' root URL. */
    static final String PAGE_PATH = "/consoles/rtdw.html";
    static final Duration DEFAULT_SCRAPE_INTERVAL = Duration.ofSeconds(5);

    private static final String RESOURCES = "/io/rtdw/local/prometheus/";
    /** Where the local panels are defined, as the page names it. */
    static final String LOCAL_PANELS = "local-stack/src/main/resources" + RESOURCES + "local-panels.json";
    private static final String PANELS_PLACEHOLDER = "/*PANELS*/null";
    /** The k8s pods' {@code app} label of each service's job, so that the rules that select on it hold here too. */
    private static final Map<String, String> APP_LABELS = Map.of("cdc", "cdc-postgres", "streams", "streams-app",
            "lake-sink", "lake-sink");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final String url;
    private final Path directory;
    private final long readyMillis;

    private LocalPrometheus(final Process process, final String url, final Path directory, final long readyMillis) {
        this.process = process;
        this.url = url;
        this.directory = directory;
        this.readyMillis = readyMillis;
    }

    /**
     * Starts Prometheus with a 5 s scrape interval, the repository found above the working directory.
     *
     * @param dataDir the local stack's data directory; Prometheus' files go to {@code dataDir/prometheus}
     * @param port    Prometheus' HTTP port on 127.0.0.1 (UI, API, the page)
     * @param targets scrape job name -> {@code host:port} of each {@code /metrics} endpoint of that job
     * @param logFile Prometheus' standard output and error
     */
    public static LocalPrometheus start(final Path dataDir, final int port, final Map<String, List<String>> targets,
                                        final Path logFile) throws IOException, InterruptedException {
        return start(dataDir, port, targets, logFile, repositoryRoot(Path.of("").toAbsolutePath()),
                DEFAULT_SCRAPE_INTERVAL);
    }

    /** As {@link #start(Path, int, Map, Path)}, with the repository root and the scrape interval given. */
    public static LocalPrometheus start(final Path dataDir, final int port, final Map<String, List<String>> targets,
                                        final Path logFile, final Path repositoryRoot, final Duration scrapeInterval)
            throws IOException, InterruptedException {
        final Path binary = binary("prometheus");
        final Path directory = dataDir.resolve("prometheus");
        final Path config = writeFiles(directory, port, targets, repositoryRoot, scrapeInterval);
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        final List<String> command = new ArrayList<>();
        // Its own session, like every child of the launcher: Ctrl-C reaches only the launcher, which stops it.
        final Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.add(setsid.toString());
        }
        command.addAll(List.of(binary.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + directory.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.console.templates=" + directory.resolve("consoles"),
                "--web.console.libraries=" + directory.resolve("console_libraries")));
        final long started = System.nanoTime();
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        try {
            return awaitReady(process, "http://127.0.0.1:" + port, directory, started, logFile);
        } catch (final InterruptedException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static LocalPrometheus awaitReady(final Process process, final String url, final Path directory,
                                              final long started, final Path logFile) throws InterruptedException {
        final long deadline = started + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + process.exitValue()
                        + " before it was ready (port taken? bad configuration?): see " + logFile);
            }
            if (Scrape.get(url + "/-/ready") != null) {
                return new LocalPrometheus(process, url, directory,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("prometheus was not ready after " + READY_TIMEOUT.toSeconds() + " s: see "
                + logFile);
    }

    /**
     * Writes {@code prometheus.yml}, {@code rules.yml} and the page into {@code directory} (created; the TSDB's
     * {@code data/} is left as it is) and returns the configuration's path. Starts nothing.
     */
    static Path writeFiles(final Path directory, final int port, final Map<String, List<String>> targets,
                           final Path repositoryRoot, final Duration scrapeInterval) throws IOException {
        Files.createDirectories(directory.resolve("consoles"));
        Files.createDirectories(directory.resolve("console_libraries"));
        final Path rules = directory.resolve("rules.yml");
        Files.writeString(rules, rules(repositoryRoot));
        final Path config = directory.resolve("prometheus.yml");
        Files.writeString(config, config(port, targets, rules, scrapeInterval));
        Files.writeString(directory.resolve("consoles").resolve("rtdw.html"), page(repositoryRoot));
        return config;
    }

    /** The alert rules: key {@code rules.yml} of the k8s ConfigMap. */
    static String rules(final Path repositoryRoot) throws IOException {
        final JsonNode configMap = yaml().readTree(repositoryRoot.resolve(RULES_CONFIG_MAP).toFile());
        final JsonNode rules = configMap.path("data").path("rules.yml");
        if (!rules.isTextual()) {
            throw new IllegalStateException(RULES_CONFIG_MAP + " has no data key rules.yml");
        }
        return rules.asText();
    }

    /** Prometheus' configuration: one job per entry of {@code targets}, plus Prometheus itself. */
    static String config(final int port, final Map<String, List<String>> targets, final Path rules,
                         final Duration scrapeInterval) throws IOException {
        final ObjectMapper yaml = yaml();
        final ObjectNode root = yaml.createObjectNode();
        final String interval = scrapeInterval.toMillis() + "ms";
        root.putObject("global").put("scrape_interval", interval).put("evaluation_interval", interval)
                .put("scrape_timeout", Math.min(scrapeInterval.toMillis(), 4000) + "ms");
        root.putArray("rule_files").add(rules.toAbsolutePath().toString());
        final ArrayNode jobs = root.putArray("scrape_configs");
        addJob(jobs, "prometheus", List.of("127.0.0.1:" + port));
        targets.forEach((job, hostPorts) -> {
            if ("prometheus".equals(job)) {
                throw new IllegalArgumentException("the job name prometheus is Prometheus' own");
            }
            addJob(jobs, job, hostPorts);
        });
        return "# Generated by io.rtdw.local.LocalPrometheus at every start of the local stack: edit that class, not this file.\n"
                + yaml.writeValueAsString(root);
    }

    private static void addJob(final ArrayNode jobs, final String job, final List<String> hostPorts) {
        final ObjectNode scrape = jobs.addObject();
        scrape.put("job_name", job);
        final ArrayNode configs = scrape.putArray("static_configs");
        for (int i = 0; i < hostPorts.size(); i++) {
            final ObjectNode target = configs.addObject();
            target.putArray("targets").add(hostPorts.get(i));
            // app and pod as the k8s pods are labelled, so that the shared rules' selectors and summaries apply.
            target.putObject("labels").put("app", APP_LABELS.getOrDefault(job, job))
                    .put("pod", hostPorts.size() == 1 ? job : job + "-" + i);
        }
    }

    /**
     * The page: the template with its panels filled in, the local stack's first, then the k8s dashboard's. The panels
     * are JSON in a script; Prometheus expands console pages as Go templates, so no double brace may stay literal.
     */
    static String page(final Path repositoryRoot) throws IOException {
        final ObjectMapper json = new ObjectMapper();
        final ArrayNode sections = json.createArrayNode();
        final JsonNode local;
        try (InputStream in = resource("local-panels.json")) {
            local = json.readTree(in);
        }
        sections.addObject().put("title", "Local stack").put("source", LOCAL_PANELS)
                .set("panels", local);
        final JsonNode dashboard = json.readTree(repositoryRoot.resolve(DASHBOARD).toFile());
        final ArrayNode panels = json.createArrayNode();
        for (final JsonNode panel : dashboard.path("panels")) {
            final ObjectNode copy = panels.addObject();
            copy.put("title", panel.path("title").asText());
            copy.put("unit", panel.path("fieldConfig").path("defaults").path("unit").asText("short"));
            final ArrayNode queries = copy.putArray("targets");
            for (final JsonNode target : panel.path("targets")) {
                queries.addObject().put("expr", target.path("expr").asText())
                        .put("legend", target.path("legendFormat").asText(""));
            }
        }
        sections.addObject().put("title", dashboard.path("title").asText("Pipeline") + " (the k8s Grafana dashboard)")
                .put("source", DASHBOARD).set("panels", panels);
        final String panelJson = json.writeValueAsString(sections)
                .replace("{{", "\\u007b\\u007b").replace("}}", "\\u007d\\u007d").replace("</", "<\\/");
        final String template;
        try (InputStream in = resource("rtdw.html")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!template.contains(PANELS_PLACEHOLDER)) {
            throw new IllegalStateException("the page template lacks " + PANELS_PLACEHOLDER);
        }
        return template.replace(PANELS_PLACEHOLDER, panelJson);
    }

    private static InputStream resource(final String name) {
        final InputStream in = LocalPrometheus.class.getResourceAsStream(RESOURCES + name);
        if (in == null) {
            throw new IllegalStateException("missing resource " + RESOURCES + name);
        }
        return in;
    }

    private static ObjectMapper yaml() {
        return new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));
    }

    /** The nearest directory at or above {@code from} that holds the alert rules' ConfigMap. */
    static Path repositoryRoot(final Path from) {
        for (Path dir = from.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(RULES_CONFIG_MAP))) {
                return dir;
            }
        }
        throw new IllegalStateException("no " + RULES_CONFIG_MAP + " at or above " + from
                + ": start the local stack from the repository");
    }

    /** A program on the PATH, or in /usr/bin. */
    static Path binary(final String name) {
        final String path = System.getenv().getOrDefault("PATH", "");
        for (final String dir : (path.isEmpty() ? "/usr/bin" : path + ":/usr/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name);
            }
        }
        throw new IllegalStateException("no " + name + " on the PATH: install the Debian package that has it "
                + "(prometheus for prometheus and promtool, chromium for chromium; .ci/run installs them)");
    }

    /** Prometheus' root URL ({@code http://127.0.0.1:PORT}): its UI, {@code /alerts}, {@code /api/v1/...}. */
    public String url() {
        return url;
    }

    /** The health page. */
    public String pageUrl() {
        return url + PAGE_PATH;
    }

    /** The process id (it runs in its own session). */
    public long pid() {
        return process.pid();
    }

    /** Milliseconds from the process start to {@code /-/ready} answering 200. */
    public long readyMillis() {
        return readyMillis;
    }

    /** {@code <data-dir>/prometheus}. */
    public Path directory() {
        return directory;
    }

    /** Stops Prometheus (SIGTERM, then SIGKILL after 20 s); it flushes its TSDB head on the way. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
