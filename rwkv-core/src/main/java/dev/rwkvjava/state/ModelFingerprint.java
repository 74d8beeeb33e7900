package dev.rwkvjava.state;

import dev.rwkvjava.internal.Internals;
import dev.rwkvjava.ModelInfo;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.model.naming.CanonicalTensor;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a saved state must match: the version, the dimensions, and a hash of the model's tensor names and shapes.
 * The hash uses the BlinkDL names and ignores element types and size-1 dimensions, so the F32 and BF16 files of one
 * model, or its BlinkDL and Hugging Face files, share states; two different models of equal size do not, unless
 * they have identical tensor lists (then only the weights differ, which no cheap check can see).
 *
 * @param version     the RWKV version's label, e.g. "7"
 * @param nEmbd       the embedding width
 * @param nLayer      the number of layers
 * @param heads       attention heads per layer
 * @param headSize    channels per head
 * @param vocabSize   the vocabulary size
 * @param tensorsHash first 16 hex digits of the SHA-256 over the sorted "name shape" lines
 */
public record ModelFingerprint(String version, int nEmbd, int nLayer, int heads, int headSize, int vocabSize,
                               String tensorsHash) {

    static final String PREFIX = "model.";

    /**
     * The fingerprint of a loaded model.
     *
     * @param model the model
     * @return its fingerprint
     */
    public static ModelFingerprint of(RwkvModel model) {
        ModelInfo info = model.info();
        return new ModelFingerprint(info.version().label(), info.nEmbd(), info.nLayer(), info.heads(),
                info.headSize(), info.vocabSize(), hash(Internals.canonicalTensors(model)));
    }

    private static String hash(List<CanonicalTensor> tensors) {
        TreeMap<String, String> lines = new TreeMap<>();
        for (CanonicalTensor t : tensors) {
            String name = t.name();
            StringBuilder shape = new StringBuilder();
            for (long d : t.shape()) {
                if (d != 1) {
                    shape.append(shape.isEmpty() ? "" : "x").append(d);
                }
            }
            lines.put(name, shape.toString());
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            lines.forEach((n, s) -> md.update((n + " " + s + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JVM", e);
        }
    }

    /**
     * Writes the fingerprint as metadata entries {@code model.*}.
     *
     * @param metadata the map to add the entries to
     */
    public void putInto(Map<String, String> metadata) {
        metadata.put(PREFIX + "version", version);
        metadata.put(PREFIX + "n_embd", Integer.toString(nEmbd));
        metadata.put(PREFIX + "n_layer", Integer.toString(nLayer));
        metadata.put(PREFIX + "n_head", Integer.toString(heads));
        metadata.put(PREFIX + "head_size", Integer.toString(headSize));
        metadata.put(PREFIX + "vocab_size", Integer.toString(vocabSize));
        metadata.put(PREFIX + "tensors_sha256", tensorsHash);
    }

    /**
     * Reads a fingerprint written by {@link #putInto}.
     *
     * @param metadata a state file's metadata
     * @return the fingerprint, or null when an entry is missing or malformed
     */
    public static ModelFingerprint from(Map<String, String> metadata) {
        try {
            String v = metadata.get(PREFIX + "version");
            String h = metadata.get(PREFIX + "tensors_sha256");
            if (v == null || h == null) {
                return null;
            }
            return new ModelFingerprint(v, num(metadata, "n_embd"), num(metadata, "n_layer"), num(metadata, "n_head"),
                    num(metadata, "head_size"), num(metadata, "vocab_size"), h);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static int num(Map<String, String> m, String key) {
        return Integer.parseInt(m.get(PREFIX + key));
    }

    /** For messages: "RWKV 4, C=128, L=3, V=1000, tensors 0123456789abcdef". */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RWKV %s, C=%d, L=%d%s, V=%d, tensors %s", version, nEmbd, nLayer,
                heads > 0 ? ", H=" + heads + "x" + headSize : "", vocabSize, tensorsHash);
    }
}
