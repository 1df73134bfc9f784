package io.rtdw.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Grafana dashboard shipped in the ConfigMap is valid JSON, covers lag, throughput, dead letters, slot lag, the
 * freshness objective (Pinot, Parquet) and the streams app's state, and names only topics that exist in the catalog
 * (a renamed topic would otherwise leave an empty panel).
 */
class DashboardTest {

    private static final Pattern TOPIC_EQUALS = Pattern.compile("topic=\"([^\"]+)\"");
    private static final Pattern TOPIC_REGEX = Pattern.compile("topic=~\"([^\"]+)\"");

    @Test
    void dashboardCoversThePipelineAndNamesCatalogTopics() throws Exception {
        final ConfigMap cm = Overlays.get("prod", ConfigMap.class, "grafana-dashboards");
        final JsonNode dashboard = new ObjectMapper().readTree(cm.getData().get("rtdw-pipeline.json"));
        final List<String> exprs = new ArrayList<>();
        final List<String> titles = new ArrayList<>();
        dashboard.get("panels").forEach(p -> {
            titles.add(p.get("title").asText().toLowerCase());
            p.get("targets").forEach(t -> exprs.add(t.get("expr").asText()));
        });
        for (final String topic : List.of("lag", "throughput", "dead letters", "slot lag", "pinot and to parquet",
                "streams state")) {
            assertTrue(titles.stream().anyMatch(t -> t.contains(topic)), "a panel about " + topic + ": " + titles);
        }
        final List<String> names = TopicCatalog.DEFAULT.all().stream().map(Topic::name).toList();
        for (final String expr : exprs) {
            final Matcher exact = TOPIC_EQUALS.matcher(expr);
            while (exact.find()) {
                assertTrue(names.contains(exact.group(1)), "unknown topic " + exact.group(1) + " in " + expr);
            }
            final Matcher regex = TOPIC_REGEX.matcher(expr);
            while (regex.find()) {
                // PromQL strings escape the regex's backslashes.
                final Pattern p = Pattern.compile(regex.group(1).replace("\\\\", "\\"));
                assertTrue(names.stream().anyMatch(n -> p.matcher(n).matches()), "no catalog topic matches " + p);
            }
        }
        assertEquals(names.stream().filter(n -> n.contains(".dlq.")).count(),
                names.stream().filter(n -> Pattern.compile("rtdw\\.dlq\\..*").matcher(n).matches()).count(),
                "the dead-letter panel's regex covers every dead-letter topic");
    }
}
