package io.rtdw.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.rtdw.catalog.Topic;
import io.rtdw.catalog.TopicCatalog;
import io.rtdw.lake.LakeSinkConfig;
import io.rtdw.streams.topology.UnifiedCustomerTopology;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the shell commands of a markdown file (its {@code ```sh} blocks) and checks every {@code kubectl} command
 * against the built overlays: namespace, {@code kind/name} references, pods and their containers, label selectors,
 * service ports, the ports and environment variables an exec'd command uses in its container, and the Kafka
 * bootstrap address, topics and consumer groups given to Kafka's tools. Each problem is reported with the line.
 */
final class RunbookCommands {

    private static final Map<String, String> KINDS = new HashMap<>();

    static {
        for (final String[] k : new String[][]{
                {"Deployment", "deployment", "deploy", "deployments"}, {"StatefulSet", "statefulset", "sts", "statefulsets"},
                {"Job", "job", "jobs"}, {"Service", "service", "svc", "services"}, {"ConfigMap", "configmap", "cm"},
                {"PodDisruptionBudget", "poddisruptionbudget", "pdb"}, {"NetworkPolicy", "networkpolicy", "netpol"},
                {"Kafka", "kafka", "kafkas"}, {"KafkaTopic", "kafkatopic", "kafkatopics", "kt"},
                {"KafkaNodePool", "kafkanodepool", "kafkanodepools", "knp"}, {"KafkaBridge", "kafkabridge"},
                {"Pod", "pod", "pods", "po"}, {"PersistentVolumeClaim", "pvc", "persistentvolumeclaim", "pvcs"}}) {
            for (int i = 1; i < k.length; i++) {
                KINDS.put(k[i], k[0]);
            }
        }
    }

    /** Options of kubectl that take a value (when not written as {@code --opt=value}). */
    private static final Set<String> WITH_VALUE = Set.of("-n", "--namespace", "-c", "--container", "-l", "--selector",
            "-o", "--output", "-L", "--label-columns", "-f", "--filename", "-k", "--kustomize", "--image", "--env",
            "--labels", "--restart", "--timeout", "--for", "--since", "--to-revision", "--replicas", "--tail",
            "--overrides", "--cascade");
    private static final Pattern BLOCK = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern HEREDOC = Pattern.compile("<<-?'?(\\w+)'?");
    private static final Pattern LOCAL_PORT = Pattern.compile("localhost:(\\d+)");
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)");

    private final List<String> overlays;
    private final String namespace;
    private final List<String> problems = new ArrayList<>();
    /** Pods the file itself creates ({@code kubectl run NAME}): name to their {@code --env} names. */
    private final Map<String, Set<String>> runPods = new HashMap<>();
    private int commands;

    RunbookCommands(final List<String> overlays) {
        this.overlays = overlays;
        this.namespace = Overlays.objects(overlays.get(0)).stream().map(o -> o.getMetadata().getNamespace())
                .filter(n -> n != null).findFirst().orElseThrow();
    }

    List<String> problems() {
        return problems;
    }

    int commands() {
        return commands;
    }

    /** Checks every kubectl command of the markdown's {@code ```sh} blocks. */
    RunbookCommands checkMarkdown(final String markdown) {
        final List<String> lines = new ArrayList<>();
        final Matcher m = BLOCK.matcher(markdown);
        while (m.find()) {
            lines.addAll(logicalLines(m.group(1)));
        }
        // kubectl run first: later commands may use the pods it creates, whatever the order in the file
        for (final String line : lines) {
            for (final List<String> cmd : kubectlCommands(line)) {
                if (cmd.size() > 1 && positional(cmd).stream().findFirst().orElse("").equals("run")) {
                    final List<String> pos = positional(cmd);
                    runPods.put(pos.get(1), new HashSet<>(values(cmd, "--env").stream()
                            .map(e -> e.substring(0, Math.max(0, e.indexOf('=')))).toList()));
                }
            }
        }
        for (final String line : lines) {
            for (final List<String> cmd : kubectlCommands(line)) {
                check(cmd, line);
            }
        }
        return this;
    }

    /** Lines with their backslash continuations joined; here-document bodies left out. */
    static List<String> logicalLines(final String block) {
        final List<String> out = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        String heredocEnd = null;
        for (final String raw : block.split("\n", -1)) {
            if (heredocEnd != null) {
                if (raw.trim().equals(heredocEnd)) {
                    heredocEnd = null;
                }
                continue;
            }
            if (raw.endsWith("\\")) {
                current.append(raw, 0, raw.length() - 1).append(' ');
                continue;
            }
            current.append(raw);
            final String line = current.toString();
            current.setLength(0);
            final Matcher h = HEREDOC.matcher(line);
            if (h.find()) {
                heredocEnd = h.group(1);
            }
            out.add(line);
        }
        return out;
    }

    /**
     * The kubectl commands of one shell line, each as its words (quotes removed). A command ends at an unquoted
     * {@code |}, {@code ;}, {@code &&}, {@code ||}, {@code )} or a comment; {@code $(} starts a new one.
     */
    static List<List<String>> kubectlCommands(final String line) {
        final List<List<String>> segments = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            final char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                if (word == null) {
                    word = new StringBuilder();
                }
            } else if (c == '\\' && i + 1 < line.length()) {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(line.charAt(++i));
            } else if (Character.isWhitespace(c) || c == '|' || c == ';' || c == '&' || c == ')' || c == '<' || c == '>'
                    || (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '(') || (c == '#' && word == null)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                if (c == '#') {
                    break;
                }
                if (!Character.isWhitespace(c)) {
                    segments.add(words);
                    words = new ArrayList<>();
                    if (c == '$') {
                        i++;
                    }
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        segments.add(words);
        final List<List<String>> commands = new ArrayList<>();
        for (final List<String> s : segments) {
            final List<String> w = new ArrayList<>(s);
            while (!w.isEmpty() && w.get(0).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
                w.remove(0); // VAR=$(kubectl ...) or VAR=value before the command
            }
            if (!w.isEmpty() && w.get(0).equals("kubectl")) {
                commands.add(w);
            }
        }
        return commands;
    }

    /** The positional words of a kubectl command (after "kubectl", options and their values removed, up to "--"). */
    static List<String> positional(final List<String> cmd) {
        final List<String> out = new ArrayList<>();
        for (int i = 1; i < cmd.size(); i++) {
            final String w = cmd.get(i);
            if (w.equals("--")) {
                break;
            }
            if (w.startsWith("-")) {
                if (WITH_VALUE.contains(w)) {
                    i++;
                }
                continue;
            }
            out.add(w);
        }
        return out;
    }

    /** Every value of an option, in either form ({@code -n x}, {@code --namespace=x}). */
    static List<String> values(final List<String> cmd, final String... names) {
        final List<String> out = new ArrayList<>();
        for (int i = 1; i < cmd.size(); i++) {
            final String w = cmd.get(i);
            if (w.equals("--")) {
                break;
            }
            for (final String n : names) {
                if (w.equals(n) && i + 1 < cmd.size()) {
                    out.add(cmd.get(i + 1));
                } else if (w.startsWith(n + "=")) {
                    out.add(w.substring(n.length() + 1));
                }
            }
        }
        return out;
    }

    private static List<String> afterDoubleDash(final List<String> cmd) {
        final int i = cmd.indexOf("--");
        return i < 0 ? List.of() : cmd.subList(i + 1, cmd.size());
    }

    void check(final List<String> cmd, final String line) {
        commands++;
        final List<String> pos = positional(cmd);
        if (pos.isEmpty()) {
            problem(line, "kubectl without a command");
            return;
        }
        final String verb = pos.get(0);
        final boolean kustomization = verb.equals("kustomize") || !values(cmd, "-k", "--kustomize").isEmpty();
        final List<String> ns = values(cmd, "-n", "--namespace");
        if (!kustomization && !ns.equals(List.of(namespace))) {
            problem(line, "namespace " + ns + ", the overlays use -n " + namespace);
        }
        for (final String selector : values(cmd, "-l", "--selector")) {
            checkSelector(selector, line);
        }
        switch (verb) {
            case "run" -> checkRunLabels(cmd, line);
            case "exec" -> checkExec(cmd, pos, line);
            case "logs" -> {
                if (pos.size() > 1) {
                    checkPodTarget(pos.get(1), values(cmd, "-c", "--container"), line);
                } else {
                    checkSelectedContainers(cmd, line);
                }
            }
            case "port-forward" -> checkPortForward(pos, line);
            default -> checkReferences(pos, line);
        }
    }

    private void checkReferences(final List<String> pos, final String line) {
        // kind/name words anywhere, and "VERB KIND NAME..." (kubectl get kafka rtdw)
        int start = 1;
        if (pos.get(0).equals("rollout") && pos.size() > 1) {
            start = 2;
        }
        String spaceKind = null;
        for (int i = start; i < pos.size(); i++) {
            final String w = pos.get(i);
            final int slash = w.indexOf('/');
            if (slash > 0) {
                checkObject(w.substring(0, slash), w.substring(slash + 1), line);
            } else if (i == start && KINDS.containsKey(w.toLowerCase(Locale.ROOT))) {
                spaceKind = w;
            } else if (spaceKind != null) {
                checkObject(spaceKind, w, line);
            }
        }
    }

    private void checkObject(final String kindWord, final String name, final String line) {
        final String kind = KINDS.get(kindWord.toLowerCase(Locale.ROOT));
        if (kind == null) {
            problem(line, "unknown kind '" + kindWord + "' in " + kindWord + "/" + name);
        } else if (kind.equals("Pod")) {
            if (podContainers(name).isEmpty()) {
                problem(line, "no pod " + name + " in the overlays (StatefulSet ordinals, or a pod this file runs)");
            }
        } else if (kind.equals("PersistentVolumeClaim")) {
            if (!claims().contains(name)) {
                problem(line, "no PersistentVolumeClaim " + name + " is made by the overlays' StatefulSets");
            }
        } else if (objects(kind).stream().noneMatch(o -> o.getMetadata().getName().equals(name))) {
            problem(line, "no " + kind + " " + name + " in the overlays " + overlays);
        }
    }

    private List<HasMetadata> objects(final String kind) {
        final List<HasMetadata> out = new ArrayList<>();
        for (final String overlay : overlays) {
            Overlays.objects(overlay).stream().filter(o -> o.getKind().equals(kind)).forEach(out::add);
        }
        return out;
    }

    private <T extends HasMetadata> List<T> objects(final Class<T> type) {
        final List<T> out = new ArrayList<>();
        for (final String overlay : overlays) {
            out.addAll(Overlays.all(overlay, type));
        }
        return out;
    }

    private Set<String> claims() {
        final Set<String> out = new HashSet<>();
        for (final StatefulSet s : objects(StatefulSet.class)) {
            for (int i = 0; i < s.getSpec().getReplicas(); i++) {
                for (final var t : Optional.ofNullable(s.getSpec().getVolumeClaimTemplates()).orElse(List.of())) {
                    out.add(t.getMetadata().getName() + "-" + s.getMetadata().getName() + "-" + i);
                }
            }
        }
        return out;
    }

    /**
     * The containers of a pod target: {@code NAME-ORDINAL} of a StatefulSet (ordinal below its replicas in some
     * overlay), {@code deploy/NAME}, {@code statefulset/NAME}, or a pod this file runs (empty container list, present).
     * Empty when there is no such pod.
     */
    private Optional<List<Container>> podContainers(final String target) {
        if (runPods.containsKey(target)) {
            return Optional.of(List.of());
        }
        final int slash = target.indexOf('/');
        if (slash > 0) {
            final String kind = KINDS.get(target.substring(0, slash).toLowerCase(Locale.ROOT));
            final String name = target.substring(slash + 1);
            if ("Pod".equals(kind)) {
                return podContainers(name);
            }
            return workloadContainers(kind, name);
        }
        final Matcher m = Pattern.compile("(.+)-(\\d+)").matcher(target);
        if (m.matches()) {
            for (final StatefulSet s : objects(StatefulSet.class)) {
                if (s.getMetadata().getName().equals(m.group(1)) && Integer.parseInt(m.group(2)) < s.getSpec().getReplicas()) {
                    return Optional.of(s.getSpec().getTemplate().getSpec().getContainers());
                }
            }
        }
        return Optional.empty();
    }

    private Optional<List<Container>> workloadContainers(final String kind, final String name) {
        for (final String overlay : overlays) {
            for (final Overlays.Workload w : Overlays.workloads(overlay)) {
                if (w.owner().getKind().equals(kind) && w.owner().getMetadata().getName().equals(name)) {
                    return Optional.of(w.pod().getContainers());
                }
            }
        }
        return Optional.empty();
    }

    private Optional<Container> checkPodTarget(final String target, final List<String> container, final String line) {
        final Optional<List<Container>> containers = podContainers(target);
        if (containers.isEmpty()) {
            problem(line, "no pod " + target + " in the overlays (StatefulSet ordinals, deploy/NAME, or a pod this file runs)");
            return Optional.empty();
        }
        if (runPods.containsKey(target)) {
            return Optional.empty();
        }
        if (container.isEmpty()) {
            if (containers.get().size() > 1) {
                problem(line, target + " has several containers: name one with -c");
            }
            return containers.get().stream().findFirst();
        }
        final Optional<Container> c = containers.get().stream().filter(x -> x.getName().equals(container.get(0))).findFirst();
        if (c.isEmpty()) {
            problem(line, target + " has no container " + container.get(0));
        }
        return c;
    }

    private void checkExec(final List<String> cmd, final List<String> pos, final String line) {
        if (pos.size() < 2) {
            problem(line, "exec without a pod");
            return;
        }
        final String target = pos.get(1);
        final Optional<Container> container = checkPodTarget(target, values(cmd, "-c", "--container"), line);
        final List<String> inPod = afterDoubleDash(cmd);
        final Set<String> env = new HashSet<>();
        container.ifPresent(c -> Optional.ofNullable(c.getEnv()).orElse(List.of()).stream().map(EnvVar::getName)
                .forEach(env::add));
        if (runPods.containsKey(target)) {
            env.addAll(runPods.get(target));
        }
        for (final String w : inPod) {
            final Matcher port = LOCAL_PORT.matcher(w);
            while (port.find() && container.isPresent()) {
                final int p = Integer.parseInt(port.group(1));
                if (Optional.ofNullable(container.get().getPorts()).orElse(List.of()).stream()
                        .map(ContainerPort::getContainerPort).noneMatch(x -> x == p)) {
                    problem(line, "container " + container.get().getName() + " of " + target + " has no port " + p);
                }
            }
            final Matcher ref = ENV_REF.matcher(w);
            while (ref.find() && (container.isPresent() || runPods.containsKey(target))) {
                if (!env.contains(ref.group(1))) {
                    problem(line, "the container of " + target + " has no environment variable " + ref.group(1));
                }
            }
        }
        checkKafkaTool(inPod, line);
    }

    private void checkSelectedContainers(final List<String> cmd, final String line) {
        final List<String> container = values(cmd, "-c", "--container");
        final List<String> selectors = values(cmd, "-l", "--selector");
        if (container.isEmpty() || selectors.isEmpty()) {
            return;
        }
        final Map<String, String> wanted = labels(selectors.get(0));
        for (final String overlay : overlays) {
            for (final Overlays.Workload w : Overlays.workloads(overlay)) {
                final Map<String, String> l = w.template().getMetadata().getLabels();
                if (l != null && l.entrySet().containsAll(wanted.entrySet())
                        && w.pod().getContainers().stream().noneMatch(c -> c.getName().equals(container.get(0)))) {
                    problem(line, w.id() + " (selected by " + selectors.get(0) + ") has no container " + container.get(0));
                }
            }
        }
    }

    private void checkPortForward(final List<String> pos, final String line) {
        if (pos.size() < 3) {
            problem(line, "port-forward without a target and a port");
            return;
        }
        final String target = pos.get(1);
        checkReferences(pos.subList(0, 2), line);
        if (target.startsWith("svc/") || target.startsWith("service/")) {
            final String name = target.substring(target.indexOf('/') + 1);
            for (final String p : pos.subList(2, pos.size())) {
                final int remote = Integer.parseInt(p.contains(":") ? p.substring(p.indexOf(':') + 1) : p);
                final boolean exists = objects(Service.class).stream().filter(s -> s.getMetadata().getName().equals(name))
                        .flatMap(s -> s.getSpec().getPorts().stream()).map(ServicePort::getPort).anyMatch(x -> x == remote);
                if (!exists) {
                    problem(line, "service " + name + " has no port " + remote);
                }
            }
        }
    }

    private static Map<String, String> labels(final String selector) {
        final Map<String, String> out = new LinkedHashMap<>();
        for (final String pair : selector.split(",")) {
            final int eq = pair.indexOf('=');
            out.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return out;
    }

    private void checkSelector(final String selector, final String line) {
        final Map<String, String> wanted = labels(selector);
        final Map<String, String> own = new LinkedHashMap<>();
        wanted.forEach((k, v) -> {
            if (k.equals("strimzi.io/cluster")) {
                if (objects(Kafka.class).stream().noneMatch(x -> x.getMetadata().getName().equals(v))) {
                    problem(line, "no Kafka cluster " + v + " (label " + k + ")");
                }
            } else if (k.equals("strimzi.io/pool-name")) {
                if (objects(KafkaNodePool.class).stream().noneMatch(x -> x.getMetadata().getName().equals(v))) {
                    problem(line, "no KafkaNodePool " + v + " (label " + k + ")");
                }
            } else if (k.startsWith("strimzi.io/")) {
                problem(line, "label " + k + " is not one this check knows Strimzi to set");
            } else {
                own.put(k, v);
            }
        });
        if (own.isEmpty()) {
            return;
        }
        final boolean selects = overlays.stream().flatMap(o -> Overlays.workloads(o).stream())
                .map(w -> w.template().getMetadata().getLabels())
                .anyMatch(l -> l != null && l.entrySet().containsAll(own.entrySet()));
        if (!selects) {
            problem(line, "selector " + selector + " selects no pod of the overlays");
        }
    }

    /** The labels of a pod this file runs must be ones a network policy or Kafka listener admits. */
    private void checkRunLabels(final List<String> cmd, final String line) {
        final Set<String> admitted = new HashSet<>();
        for (final Kafka k : objects(Kafka.class)) {
            for (final GenericKafkaListener l : k.getSpec().getKafka().getListeners()) {
                Optional.ofNullable(l.getNetworkPolicyPeers()).orElse(List.of()).forEach(p -> addPeer(p, admitted));
            }
        }
        for (final NetworkPolicy p : objects(NetworkPolicy.class)) {
            for (final NetworkPolicyIngressRule r : Optional.ofNullable(p.getSpec().getIngress()).orElse(List.of())) {
                Optional.ofNullable(r.getFrom()).orElse(List.of()).forEach(peer -> addPeer(peer, admitted));
            }
        }
        for (final String labels : values(cmd, "--labels")) {
            labels(labels).forEach((k, v) -> {
                if (!admitted.contains(k + "=" + v)) {
                    problem(line, "label " + k + "=" + v + " is admitted by no network policy or Kafka listener");
                }
            });
        }
    }

    private static void addPeer(final NetworkPolicyPeer peer, final Set<String> into) {
        if (peer.getPodSelector() != null && peer.getPodSelector().getMatchLabels() != null) {
            peer.getPodSelector().getMatchLabels().forEach((k, v) -> into.add(k + "=" + v));
        }
    }

    /** Names Kafka's tools may be given: topics, groups, the bootstrap address. */
    private void checkKafkaTool(final List<String> inPod, final String line) {
        if (inPod.isEmpty() || !inPod.get(0).matches(".*/kafka-[a-z-]+\\.sh")) {
            return;
        }
        final List<String> words = new ArrayList<>(inPod);
        words.add(0, "kafka-tool");
        for (final String bootstrap : values(words, "--bootstrap-server")) {
            final Set<String> addresses = new HashSet<>();
            for (final Kafka k : objects(Kafka.class)) {
                for (final GenericKafkaListener l : k.getSpec().getKafka().getListeners()) {
                    addresses.add(k.getMetadata().getName() + "-kafka-bootstrap:" + l.getPort());
                }
            }
            if (!addresses.contains(bootstrap)) {
                problem(line, "bootstrap address " + bootstrap + " is none of " + addresses);
            }
        }
        final Map<String, Integer> topics = topics();
        final List<String> topicArgs = new ArrayList<>(values(words, "--topic"));
        values(words, "--input-topics").forEach(t -> topicArgs.addAll(List.of(t.split(","))));
        if (values(words, "--entity-type").contains("topics")) {
            topicArgs.addAll(values(words, "--entity-name"));
        }
        for (final String t : topicArgs) {
            final String name = t.contains(":") ? t.substring(0, t.indexOf(':')) : t;
            if (!topics.containsKey(name)) {
                problem(line, "topic " + name + " is not a catalog, internal or KafkaTopic topic");
            } else if (t.contains(":")) {
                final int partition = Integer.parseInt(t.substring(t.indexOf(':') + 1));
                if (partition >= topics.get(name)) {
                    problem(line, "topic " + name + " has " + topics.get(name) + " partitions, not a partition " + partition);
                }
            }
        }
        final Set<String> groups = groups();
        for (final String g : concat(values(words, "--group"), values(words, "--application-id"))) {
            if (!groups.contains(g)) {
                problem(line, "consumer group " + g + " is none of the deployment's " + groups);
            }
        }
    }

    private static List<String> concat(final List<String> a, final List<String> b) {
        final List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Topic name to partitions: the catalog's, the streams app's changelog, and every KafkaTopic's. */
    Map<String, Integer> topics() {
        final Map<String, Integer> out = new HashMap<>();
        for (final Topic<?, ?> t : TopicCatalog.DEFAULT.all()) {
            out.put(t.name(), t.partitions());
        }
        for (final String appId : applicationIds()) {
            out.put(appId + "-" + UnifiedCustomerTopology.STATE + "-changelog", TopicCatalog.DEFAULT.partitions());
        }
        for (final KafkaTopic t : objects(KafkaTopic.class)) {
            out.putIfAbsent(Optional.ofNullable(t.getSpec().getTopicName()).orElse(t.getMetadata().getName()),
                    t.getSpec().getPartitions());
        }
        return out;
    }

    /** KafkaTopic object names (Kubernetes names, which may differ from the topic's). */
    Set<String> kafkaTopicObjects() {
        final Set<String> out = new HashSet<>();
        objects(KafkaTopic.class).forEach(t -> out.add(t.getMetadata().getName()));
        return out;
    }

    private Set<String> applicationIds() {
        final Set<String> out = new HashSet<>();
        for (final String overlay : overlays) {
            Overlays.get(overlay, StatefulSet.class, "streams-app").getSpec().getTemplate().getSpec().getContainers()
                    .forEach(c -> Resources.env(c, "RTDW_APPLICATION_ID").ifPresent(e -> out.add(e.getValue())));
        }
        return out;
    }

    private Set<String> groups() {
        final Set<String> out = new HashSet<>(applicationIds());
        for (final String overlay : overlays) {
            Overlays.workloads(overlay).stream().filter(w -> w.owner().getMetadata().getName().equals("lake-sink"))
                    .flatMap(w -> w.pod().getContainers().stream())
                    .forEach(c -> out.add(Resources.env(c, LakeSinkConfig.GROUP_ID.name()).map(EnvVar::getValue)
                            .orElse(LakeSinkConfig.GROUP_ID.defaultValue())));
        }
        return out;
    }

    private void problem(final String line, final String what) {
        final String p = what + "\n      in: " + line.trim();
        if (!problems.contains(p)) {
            problems.add(p); // once, although both overlays may show it
        }
    }
}
