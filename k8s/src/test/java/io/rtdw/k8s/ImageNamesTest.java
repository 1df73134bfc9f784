package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our workloads run the images the build makes. The build names them in the poms (parent: rtdw.image.registry,
 * rtdw.image.tag, rtdw.image.user; each service module: rtdw.image.name; jib-maven-plugin makes
 * registry/name:tag), so the poms are the oracle here; the images module checks the tarballs against the same
 * properties.
 */
class ImageNamesTest {

    static final List<String> OVERLAYS = Overlays.ALL;

    /** Service module -> the workloads of k8s/base that run its image. */
    private static final Map<String, Set<String>> WORKLOADS = Map.of(
            "streams-app", Set.of("StatefulSet/streams-app"),
            "cdc-sources", Set.of("Deployment/cdc-postgres", "Deployment/cdc-mongodb"),
            "lake-sink", Set.of("Deployment/lake-sink"));

    private static final Path ROOT = Overlays.moduleDir().getParent();

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void eachServiceWorkloadRunsTheImageTheBuildMakes(final String overlay) {
        final Map<String, String> parent = properties(ROOT.resolve("pom.xml"));
        for (final Map.Entry<String, Set<String>> module : WORKLOADS.entrySet()) {
            final String name = properties(ROOT.resolve(module.getKey()).resolve("pom.xml")).get("rtdw.image.name");
            final String image = parent.get("rtdw.image.registry") + "/" + name + ":" + parent.get("rtdw.image.tag");
            final Set<String> found = new TreeSet<>();
            for (final Overlays.Workload w : Overlays.workloads(overlay)) {
                if (!module.getValue().contains(w.id())) {
                    continue;
                }
                found.add(w.id());
                final List<Container> ours = w.allContainers().stream()
                        .filter(c -> c.getImage().startsWith(parent.get("rtdw.image.registry") + "/")).toList();
                assertFalse(ours.isEmpty(), w.id() + " runs none of our images");
                ours.forEach(c -> assertEquals(image, c.getImage(), overlay + " " + w.id() + " container " + c.getName()));
                // The image runs as rtdw.image.user; the pod must not ask for another user (files in the image, the
                // streams app's state directory, belong to that uid).
                final PodSecurityContext security = w.pod().getSecurityContext();
                assertTrue(security != null && security.getRunAsUser() != null, w.id() + " sets no runAsUser");
                assertEquals(parent.get("rtdw.image.user"), security.getRunAsUser().toString(), w.id());
            }
            assertEquals(new TreeSet<>(module.getValue()), found, overlay + ": workloads of " + module.getKey());
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void noOtherWorkloadRunsAnImageOfOursTheBuildDoesNotMake(final String overlay) {
        final Map<String, String> parent = properties(ROOT.resolve("pom.xml"));
        final Set<String> built = new TreeSet<>();
        for (final String module : WORKLOADS.keySet()) {
            built.add(parent.get("rtdw.image.registry") + "/"
                    + properties(ROOT.resolve(module).resolve("pom.xml")).get("rtdw.image.name") + ":"
                    + parent.get("rtdw.image.tag"));
        }
        for (final Overlays.Workload w : Overlays.workloads(overlay)) {
            for (final Container c : w.allContainers()) {
                if (c.getImage().startsWith(parent.get("rtdw.image.registry") + "/")) {
                    assertTrue(built.contains(c.getImage()), overlay + " " + w.id() + " runs " + c.getImage()
                            + ", not one of the images the build makes: " + built);
                }
            }
        }
    }

    @Test
    void theImageTagIsTheProjectVersionsRelease() {
        final Map<String, String> parent = properties(ROOT.resolve("pom.xml"));
        final String version = project(ROOT.resolve("pom.xml"), "version");
        final String tag = parent.get("rtdw.image.tag");
        assertTrue(version.equals(tag) || version.equals(tag + "-SNAPSHOT"),
                "rtdw.image.tag " + tag + " is not the release of project version " + version);
    }

    /** The {@code <properties>} of a pom (not interpolated: these are literals). */
    private static Map<String, String> properties(final Path pom) {
        final NodeList nodes = document(pom).getElementsByTagName("properties");
        final Map<String, String> properties = new java.util.HashMap<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            final Node p = nodes.item(i);
            // The project's own properties, not a profile's.
            if (p.getParentNode() != p.getOwnerDocument().getDocumentElement()) {
                continue;
            }
            final NodeList children = p.getChildNodes();
            for (int j = 0; j < children.getLength(); j++) {
                if (children.item(j) instanceof Element e) {
                    properties.put(e.getTagName(), e.getTextContent().trim());
                }
            }
        }
        return properties;
    }

    /** A direct child element of the pom's {@code <project>}. */
    private static String project(final Path pom, final String element) {
        final NodeList children = document(pom).getDocumentElement().getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element e && e.getTagName().equals(element)) {
                return e.getTextContent().trim();
            }
        }
        throw new IllegalStateException(pom + " has no <" + element + ">");
    }

    private static org.w3c.dom.Document document(final Path pom) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        } catch (final Exception e) {
            throw new IllegalStateException("cannot read " + pom, e);
        }
    }
}
