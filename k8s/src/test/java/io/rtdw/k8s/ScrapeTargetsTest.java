package io.rtdw.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.strimzi.api.kafka.model.kafka.Kafka;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prometheus finds what it must scrape and alert to: every pod that opts in ({@code prometheus.io/scrape}) declares
 * the port it names (and, for a JMX exporter agent, starts the agent on it); every long-running workload is scraped
 * or listed below with the reason it is not; the Alertmanager that {@code alerting} names is a Service port of a pod
 * that listens on it; Prometheus' and Alertmanager's data are on PersistentVolumeClaims of the overlay.
 */
class ScrapeTargetsTest {

    static final Iterable<String> OVERLAYS = Overlays.ALL;

    /** Long-running workloads that Prometheus does not scrape through the pod annotations, and why. */
    private static final Map<String, String> NOT_SCRAPED = Map.of(
            "prometheus", "scrapes itself (job prometheus, localhost:9090)",
            "grafana", "a UI over Prometheus; its own metrics alert on nothing here",
            "kafka-ui", "a read-only UI; exposes no Prometheus metrics",
            "apicurio-registry", "its metrics share port 8080 with its REST API, which writes schemas (the image fixes "
                    + "Quarkus' management port off at build time): scraping would open the API to Prometheus; no "
                    + "alert or dashboard reads them",
            "ksqldb", "needs a JMX exporter agent in the image or an init container (k8s/README.md, Monitoring and alerting)");
    private static final Pattern JMX_AGENT = Pattern.compile("-javaagent:\\S*jmx_prometheus_javaagent\\S*\\.jar=(\\d+):\\S+");

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void everyScrapedPodExposesItsMetricsPort(final String overlay) {
        final List<String> problems = new ArrayList<>();
        final Set<String> scraped = new TreeSet<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            final Map<String, String> annotations = w.template().getMetadata().getAnnotations();
            if (annotations == null || !"true".equals(annotations.get("prometheus.io/scrape"))) {
                continue;
            }
            scraped.add(w.owner().getMetadata().getName());
            final String port = annotations.get("prometheus.io/port");
            final String path = annotations.getOrDefault("prometheus.io/path", "/metrics");
            if (port == null || !path.startsWith("/")) {
                problems.add(w.id() + ": port " + port + ", path " + path);
                continue;
            }
            final List<Container> serving = w.pod().getContainers().stream().filter(c -> c.getPorts() != null
                    && c.getPorts().stream().anyMatch(p -> p.getContainerPort() == Integer.parseInt(port))).toList();
            if (serving.isEmpty()) {
                problems.add(w.id() + ": no container declares the annotated metrics port " + port);
            }
            for (final Container c : w.pod().getContainers()) {
                for (final EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    final Matcher agent = JMX_AGENT.matcher(env.getValue() == null ? "" : env.getValue());
                    while (agent.find()) {
                        if (!agent.group(1).equals(port)) {
                            problems.add(w.id() + "/" + c.getName() + ": JMX exporter agent on " + agent.group(1)
                                    + ", annotation says " + port);
                        }
                    }
                }
                // Pinot serves metrics only through the agent: an overlay replacing JAVA_OPTS must keep it.
                if (c.getImage().contains("/apachepinot/pinot:") && c.getEnv().stream().noneMatch(e ->
                        e.getName().equals("JAVA_OPTS") && JMX_AGENT.matcher(e.getValue()).find())) {
                    problems.add(w.id() + "/" + c.getName() + ": scraped Pinot without the JMX exporter agent in JAVA_OPTS");
                }
            }
        }
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            final String name = w.owner().getMetadata().getName();
            if (w.longRunning() && !scraped.contains(name) && !NOT_SCRAPED.containsKey(name)) {
                problems.add(w.id() + " is not scraped: annotate its pods, or list it in NOT_SCRAPED with the reason");
            }
        }
        assertTrue(scraped.containsAll(Set.of("streams-app", "cdc-postgres", "cdc-mongodb", "lake-sink", "postgres",
                "mongodb", "minio", "pinot-controller", "pinot-broker", "pinot-server",
                "pinot-zookeeper", "alertmanager")), overlay + ": scraped " + scraped);
        assertEquals(List.of(), problems, overlay);
    }

    /** Strimzi adds the metrics port (9404) to the pods it makes when a metrics config or the exporter is set. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void kafkaPodsServeMetricsWhereAnnotated(final String overlay) {
        final Kafka kafka = Overlays.get(overlay, Kafka.class, "rtdw");
        assertNotNull(kafka.getSpec().getKafka().getMetricsConfig(), "brokers' and controllers' JMX exporter");
        assertEquals("9404", kafka.getSpec().getKafka().getTemplate().getPod().getMetadata().getAnnotations()
                .get("prometheus.io/port"));
        assertNotNull(kafka.getSpec().getKafkaExporter(), "Kafka Exporter (consumer lag, topic offsets)");
        assertEquals("9404", kafka.getSpec().getKafkaExporter().getTemplate().getPod().getMetadata().getAnnotations()
                .get("prometheus.io/port"));
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void prometheusSendsAlertsToAnAlertmanagerThatListens(final String overlay) {
        final JsonNode config = MonitoringTools.yaml(MonitoringTools.configMapKey(overlay, "prometheus-config", "prometheus.yml"));
        final List<String> targets = new ArrayList<>();
        config.path("alerting").path("alertmanagers").forEach(am -> am.path("static_configs")
                .forEach(sc -> sc.path("targets").forEach(t -> targets.add(t.asText()))));
        assertEquals(List.of("alertmanager:9093"), targets, overlay);
        for (final String target : targets) {
            final String[] hostPort = target.split(":");
            final Service service = Overlays.get(overlay, Service.class, hostPort[0]);
            final ServicePort port = service.getSpec().getPorts().stream()
                    .filter(p -> p.getPort() == Integer.parseInt(hostPort[1])).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": Service " + hostPort[0] + " has no port " + hostPort[1]));
            final boolean listens = Overlays.workloads(overlay).stream()
                    .filter(w -> w.template().getMetadata().getLabels().entrySet().containsAll(service.getSpec().getSelector().entrySet()))
                    .flatMap(w -> w.pod().getContainers().stream())
                    .flatMap(c -> c.getPorts() == null ? java.util.stream.Stream.<ContainerPort>empty() : c.getPorts().stream())
                    .anyMatch(p -> port.getTargetPort().getStrVal() != null
                            ? port.getTargetPort().getStrVal().equals(p.getName())
                            : port.getTargetPort().getIntVal().equals(p.getContainerPort()));
            assertTrue(listens, overlay + ": no pod behind " + target + " declares its target port");
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("OVERLAYS")
    void prometheusAndAlertmanagerKeepTheirDataOnVolumes(final String overlay) {
        assertDataOnClaim(overlay, "prometheus", "--storage.tsdb.path=");
        assertDataOnClaim(overlay, "alertmanager", "--storage.path=");
        final Deployment prometheus = Overlays.get(overlay, Deployment.class, "prometheus");
        assertTrue(prometheus.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts().stream()
                .anyMatch(m -> m.getMountPath().equals("/etc/prometheus") && volume(prometheus, m).getConfigMap() != null
                        && volume(prometheus, m).getConfigMap().getName().equals("prometheus-config")),
                "prometheus-config is mounted at /etc/prometheus, where prometheus.yml names the rules");
    }

    private static void assertDataOnClaim(final String overlay, final String name, final String flag) {
        final Deployment deployment = Overlays.get(overlay, Deployment.class, name);
        final Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        final String path = container.getArgs().stream().filter(a -> a.startsWith(flag)).findFirst()
                .map(a -> a.substring(flag.length())).orElseThrow(() -> new AssertionError(name + " has no " + flag));
        final VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(path))
                .findFirst().orElseThrow(() -> new AssertionError(name + ": nothing mounted at " + path));
        final Volume volume = volume(deployment, mount);
        assertNotNull(volume.getPersistentVolumeClaim(), overlay + ": " + name + "'s " + path + " is not on a claim");
        Overlays.get(overlay, PersistentVolumeClaim.class, volume.getPersistentVolumeClaim().getClaimName());
    }

    private static Volume volume(final Deployment deployment, final VolumeMount mount) {
        return deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    }

    /** Prometheus to every annotated pod's metrics port: connections the network policies must allow. */
    static List<String[]> scrapeConnections(final String overlay) {
        final List<String[]> connections = new ArrayList<>();
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            final Map<String, String> annotations = w.template().getMetadata().getAnnotations();
            if (annotations != null && "true".equals(annotations.get("prometheus.io/scrape"))) {
                connections.add(new String[]{"prometheus", w.owner().getMetadata().getName(), annotations.get("prometheus.io/port")});
            }
        }
        return connections;
    }
}
