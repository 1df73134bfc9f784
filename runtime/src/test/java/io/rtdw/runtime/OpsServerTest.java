package io.rtdw.runtime;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failing handler answers 500 with the error, instead of a closed connection with no response and no log. */
class OpsServerTest {

    @Test
    void aHandlerThatThrowsAnswers500AndTheOthersKeepWorking() throws Exception {
        final OpsServer.Health broken = new OpsServer.Health() {
            @Override
            public boolean live() {
                return true;
            }

            @Override
            public boolean ready() {
                return true;
            }

            @Override
            public String detail() {
                throw new IllegalStateException("detail exploded");
            }
        };
        try (ServiceMetrics metrics = new ServiceMetrics("opstest");
             OpsServer server = OpsServer.start("ops-test", 0, broken, metrics)) {
            final HttpClient http = HttpClient.newHttpClient();
            final HttpResponse<String> live = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(500, live.statusCode());
            assertTrue(live.body().contains("detail exploded"), live.body());

            final HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scrape.statusCode(), "the server still serves after a failed request");
        }
    }
}
