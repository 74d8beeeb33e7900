package dev.rwkvjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.rwkvjava.generate.FinishReason;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Answers a queued generation on the request's own (virtual) thread, from the engine's events: as server-sent
 * events, one per token with text, flushed at once and ending with {@code data: [DONE]}; or as one JSON object.
 *
 * <p>A client that goes away cancels its generation: a stream notices at its next write, and so does a whole
 * response, which once it has run for a second sends its headers and then a space every second (JSON allows
 * leading white space) to find out. A request still waiting for a stream after the queue timeout gets a 429.
 */
final class Replier {
    private static final long BEAT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Engine engine;
    private final StateCodec states;
    private final Duration queueTimeout;

    Replier(Engine engine, StateCodec states, Duration queueTimeout) {
        this.engine = engine;
        this.states = states;
        this.queueTimeout = queueTimeout;
    }

    void reply(HttpExchange ex, Generation g, boolean stream, Shapes.Shape shape, boolean returnState)
            throws IOException {
        try {
            awaitStart(g);
            if (stream) {
                streamed(ex, g, shape);
            } else {
                whole(ex, g, shape);
            }
        } catch (InterruptedException e) {
            g.cancel();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException | RuntimeException e) {
            g.cancel();
            throw e;
        }
    }

    private void awaitStart(Generation g) throws InterruptedException {
        long deadline = System.nanoTime() + queueTimeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Generation.Event e = g.next(Math.max(left, TimeUnit.MILLISECONDS.toNanos(10)), TimeUnit.NANOSECONDS);
            if (e instanceof Generation.Started) {
                return;
            }
            if (e instanceof Generation.Failed f) {
                throw f.error();
            }
            if (e == null && System.nanoTime() - deadline >= 0 && engine.withdraw(g)) {
                throw ApiException.overloaded("waited " + queueTimeout.toSeconds() + " s for a free stream; try "
                        + "again later", 1);
            }
        }
    }

    private void whole(HttpExchange ex, Generation g, Shapes.Shape shape) throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        List<Generation.TokenLogprobs> logprobs = shape.wantsLogprobs() ? new ArrayList<>() : null;
        OutputStream out = null;
        long nextBeat = System.nanoTime() + BEAT_NANOS;
        while (true) {
            Generation.Event e = g.next(Math.max(0, nextBeat - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (System.nanoTime() - nextBeat >= 0) {
                if (out == null) {
                    ex.getResponseHeaders().set("Content-Type", "application/json");
                    ex.sendResponseHeaders(200, 0);
                    out = ex.getResponseBody();
                }
                out.write(' ');
                out.flush();
                nextBeat += BEAT_NANOS;
            }
            switch (e) {
                case null -> {
                }
                case Generation.Started s -> {
                }
                case Generation.Piece p -> {
                    text.append(p.text());
                    if (logprobs != null && p.logprobs() != null) {
                        logprobs.add(p.logprobs());
                    }
                }
                case Generation.Done d -> {
                    ObjectNode body = shape.whole(text.toString(), logprobs, finishReason(d.reason()), usage(d));
                    addState(body, d);
                    if (out == null) {
                        HttpIo.sendJson(ex, 200, body);
                    } else {
                        out.write(HttpIo.JSON.writeValueAsBytes(body));
                        out.close();
                    }
                    return;
                }
                case Generation.Failed f -> {
                    if (out == null) {
                        throw f.error();
                    }
                    out.write(HttpIo.JSON.writeValueAsBytes(HttpIo.errorBody(f.error())));
                    out.close();
                    return;
                }
            }
        }
    }

    private void streamed(HttpExchange ex, Generation g, Shapes.Shape shape) throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            ObjectNode opening = shape.opening();
            if (opening != null) {
                event(out, opening);
            }
            long lastWrite = System.nanoTime();
            while (true) {
                Generation.Event e = g.next(1, TimeUnit.SECONDS);
                switch (e) {
                    case null -> {
                    }
                    case Generation.Started s -> {
                    }
                    case Generation.Piece p -> {
                        if (!p.text().isEmpty() || (shape.wantsLogprobs() && p.logprobs() != null)) {
                            event(out, shape.chunk(p.text(), p.logprobs() == null ? null : List.of(p.logprobs())));
                            lastWrite = System.nanoTime();
                        }
                    }
                    case Generation.Done d -> {
                        ObjectNode last = shape.closing(finishReason(d.reason()), usage(d));
                        addState(last, d);
                        event(out, last);
                        out.write(HttpIo.utf8("data: [DONE]\n\n"));
                        out.flush();
                        return;
                    }
                    case Generation.Failed f -> {
                        event(out, HttpIo.errorBody(f.error()));
                        return;
                    }
                }
                // A comment after a second without a write, also while tokens come that make no text yet (held
                // back for a stop string or an unfinished character): a write is how a dropped client shows.
                if (System.nanoTime() - lastWrite >= BEAT_NANOS) {
                    out.write(HttpIo.utf8(": keep-alive\n\n"));
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
        }
    }

    private static void event(OutputStream out, JsonNode o) throws IOException {
        out.write(HttpIo.utf8("data: "));
        out.write(HttpIo.JSON.writeValueAsBytes(o));
        out.write(HttpIo.utf8("\n\n"));
        out.flush();
    }

    private void addState(ObjectNode body, Generation.Done d) {
        if (d.state() != null) {
            body.putObject("rwkv").put("state", states.encode(d.state(), d.logits()));
        }
    }

    private static String finishReason(FinishReason r) {
        return r == FinishReason.LENGTH ? "length" : "stop";
    }

    private static ObjectNode usage(Generation.Done d) {
        ObjectNode u = HttpIo.JSON.createObjectNode();
        u.put("prompt_tokens", d.promptTokens());
        u.put("completion_tokens", d.completionTokens());
        u.put("total_tokens", d.promptTokens() + d.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", d.cachedTokens());
        return u;
    }
}
