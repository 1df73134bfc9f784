package io.rtdw.cdc.engine;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.embedded.Connect;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One embedded Debezium engine on its own thread, with its state for the health checks. When the engine stops on
 * its own (an error Debezium gave up retrying), {@code onFailure} is called with the reason.
 */
public final class CaptureEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureEngine.class);

    private final String source;
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final ExecutorService thread;
    private volatile boolean streaming;
    private volatile boolean failed;
    private volatile boolean closing;

    public CaptureEngine(final String source, final Properties properties, final CaptureConsumer consumer,
                         final BiConsumer<String, Throwable> onFailure) {
        this.source = source;
        this.thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "engine-" + source));
        this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void pollingStarted() {
                        streaming = true;
                        LOG.info("{} capture is running", source);
                    }

                    @Override
                    public void pollingStopped() {
                        streaming = false;
                    }
                })
                .using((success, message, error) -> {
                    streaming = false;
                    if (closing) {
                        LOG.info("{} capture stopped", source);
                        return;
                    }
                    failed = true;
                    onFailure.accept(source + " capture stopped: " + message
                            + (error == null ? "" : " (" + rootMessage(error) + ")"), error);
                })
                .notifying(consumer)
                .build();
    }

    /** Starts the engine thread. */
    public void start() {
        thread.execute(engine);
    }

    /** The source it captures: {@code postgres} or {@code mongodb}. */
    public String name() {
        return source;
    }

    /** True while the connector polls its source. */
    public boolean streaming() {
        return streaming;
    }

    /** True after the engine stopped on an error. */
    public boolean failed() {
        return failed;
    }

    private static String rootMessage(final Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Override
    public void close() {
        closing = true;
        try {
            engine.close();
        } catch (final IOException e) {
            LOG.warn("{} engine did not close cleanly: {}", source, e.getMessage());
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("{} engine thread still running after 30 s", source);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
