package io.rtdw.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The metrics of one service, on Micrometer's Prometheus registry. Every metric of ours is named
 * {@code rtdw_<service>_<what>} (Micrometer adds {@code _total} to counters); the JVM, process and Kafka client
 * metrics come from Micrometer's binders under their usual names ({@code jvm_*}, {@code process_*},
 * {@code kafka_*}).
 */
public final class ServiceMetrics implements AutoCloseable {

    private final String prefix;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<AutoCloseable> binders = new ArrayList<>();

    /** @param service the middle of every name: {@code cdc} gives {@code rtdw_cdc_*} */
    public ServiceMetrics(final String service) {
        if (!service.matches("[a-z][a-z0-9]*")) {
            throw new IllegalArgumentException("a service's metric name is lower-case letters and digits: " + service);
        }
        this.prefix = "rtdw." + service + ".";
        for (final MeterBinder binder : List.of(new ClassLoaderMetrics(), new JvmMemoryMetrics(), new JvmThreadMetrics(),
                new ProcessorMetrics(), new UptimeMetrics(), new FileDescriptorMetrics())) {
            binder.bindTo(registry);
        }
        final JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
    }

    /** A counter {@code rtdw_<service>_<name>_total}; {@code tags} are name/value pairs. */
    public Counter counter(final String name, final String help, final String... tags) {
        return Counter.builder(prefix + name).description(help).tags(tags).register(registry);
    }

    /** A gauge {@code rtdw_<service>_<name>} read at every scrape. */
    public void gauge(final String name, final String help, final Supplier<Number> value, final String... tags) {
        Gauge.builder(prefix + name, value).description(help).tags(Tags.of(tags)).strongReference(true)
                .register(registry);
    }

    /** Observations in milliseconds, exported as a summary with p50, p99 and p99.9 ({@code rtdw_<service>_<name>}). */
    public DistributionSummary latencyMs(final String name, final String help, final String... tags) {
        return DistributionSummary.builder(prefix + name).description(help).tags(tags)
                .publishPercentiles(0.5, 0.99, 0.999).register(registry);
    }

    /** Binds a Micrometer binder (Kafka clients, Kafka Streams); closed with this registry when closeable. */
    public void bind(final MeterBinder binder) {
        binder.bindTo(registry);
        if (binder instanceof AutoCloseable closeable) {
            binders.add(closeable);
        }
    }

    /** The registry, for code that builds its own meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every metric. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        for (final AutoCloseable binder : binders) {
            try {
                binder.close();
            } catch (final Exception e) {
                // a binder that cannot close holds no resource we need back
            }
        }
        registry.close();
    }
}
