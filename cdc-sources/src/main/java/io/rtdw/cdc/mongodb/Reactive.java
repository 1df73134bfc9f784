package io.rtdw.cdc.mongodb;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Blocking helpers over the reactive MongoDB driver, always with a timeout: a driver call against a server that
 * does not answer (or does not support the command) can otherwise wait forever.
 */
public final class Reactive {

    private Reactive() {
    }

    /** Every element of {@code publisher}, or an exception after {@code timeout}. */
    public static <T> List<T> all(final Publisher<T> publisher, final Duration timeout) {
        final CompletableFuture<List<T>> result = new CompletableFuture<>();
        final List<T> items = new ArrayList<>();
        publisher.subscribe(new Subscriber<T>() {
            @Override
            public void onSubscribe(final Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(final T t) {
                synchronized (items) {
                    items.add(t);
                }
            }

            @Override
            public void onError(final Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                synchronized (items) {
                    result.complete(List.copyOf(items));
                }
            }
        });
        try {
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for MongoDB", e);
        } catch (final ExecutionException e) {
            throw new IllegalStateException("MongoDB call failed: " + e.getCause().getMessage(), e.getCause());
        } catch (final TimeoutException e) {
            throw new IllegalStateException("MongoDB did not answer within " + timeout.toMillis() + " ms", e);
        }
    }

    /** The first element (or null when the publisher is empty), with a timeout. */
    public static <T> T first(final Publisher<T> publisher, final Duration timeout) {
        final List<T> items = all(publisher, timeout);
        return items.isEmpty() ? null : items.get(0);
    }
}
