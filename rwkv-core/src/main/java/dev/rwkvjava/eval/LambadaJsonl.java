package dev.rwkvjava.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads LAMBADA-style JSONL: one JSON object {@code {"text": "..."}} per line (other keys are ignored; blank lines
 * are skipped). The file is read line by line, so its size is not bounded, only each line's
 * ({@link #MAX_LINE_BYTES}). Every error names the file and the line number.
 */
public final class LambadaJsonl {
    /** The longest line read: far above any benchmark document, small enough to hold a few of at once. */
    public static final int MAX_LINE_BYTES = 16 << 20;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** Receives one document and its line number (from 1). */
    @FunctionalInterface
    public interface DocumentHandler {
        /**
         * Receives a document.
         *
         * @param line its line number, from 1
         * @param doc  the document
         */
        void accept(long line, Lambada.Document doc);
    }

    private LambadaJsonl() {
    }

    /**
     * Calls {@code handler} with every document of {@code file}, in order. An {@link IllegalArgumentException} or
     * {@link IllegalStateException} thrown by the handler is thrown again with the file and line number in front.
     *
     * @param file    the JSONL file
     * @param handler receives each document
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the file and line, for a line that is not UTF-8, not JSON, not an
     *                                  object with a string {@code text}, too long, or whose text has no last word
     */
    public static void forEach(Path file, DocumentHandler handler) throws IOException {
        try (LineReader lines = new LineReader(file)) {
            byte[] line;
            while ((line = lines.next()) != null) {
                long number = lines.number();
                if (isBlank(line)) {
                    continue;
                }
                Lambada.Document doc;
                try {
                    doc = Lambada.Document.of(text(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + number + ": " + e.getMessage(), e);
                }
                try {
                    handler.accept(number, doc);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + number + ": " + e.getMessage(), e);
                } catch (IllegalStateException e) {
                    throw new IllegalStateException(file + " line " + number + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The number of documents (non-blank lines) of a file, counted without parsing them.
     *
     * @param file the JSONL file
     * @return the number of documents
     * @throws IOException when the file cannot be read
     */
    public static long count(Path file) throws IOException {
        long n = 0;
        try (LineReader lines = new LineReader(file)) {
            byte[] line;
            while ((line = lines.next()) != null) {
                if (!isBlank(line)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The {@code text} of one line's JSON object. */
    static String text(byte[] line) {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(line)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not UTF-8 text");
        }
        JsonNode node;
        try {
            node = JSON.readTree(s);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object {\"text\": \"...\"}, found "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) {
            throw new IllegalArgumentException(text == null ? "the object has no \"text\""
                    : "\"text\" is not a string");
        }
        return text.textValue();
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /** Lines of a file as bytes (without the line end), each at most {@link #MAX_LINE_BYTES}. */
    private static final class LineReader implements AutoCloseable {
        private final Path file;
        private final InputStream in;
        private byte[] buf = new byte[8192];
        private long number;

        LineReader(Path file) throws IOException {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException(file + ": is a directory, not a file");
            }
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(file + ": no such file");
            }
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException(file + ": not readable (permission denied)");
            }
            this.file = file;
            this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        }

        /** The next line, or null at the end of the file. */
        byte[] next() throws IOException {
            int n = 0;
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (n == MAX_LINE_BYTES) {
                    throw new IllegalArgumentException(file + " line " + (number + 1) + ": longer than "
                            + (MAX_LINE_BYTES >> 20) + " MiB; one document per line is expected");
                }
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, Math.min(MAX_LINE_BYTES, buf.length * 2));
                }
                buf[n++] = (byte) b;
            }
            if (b < 0 && n == 0) {
                return null;
            }
            number++;
            if (n > 0 && buf[n - 1] == '\r') {
                n--;
            }
            return Arrays.copyOf(buf, n);
        }

        long number() {
            return number;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
