package dev.rwkvjava.model;

/** Weight and bias of a layer norm (or group norm), converted to float32 at load. */
public record LayerNorm(float[] weight, float[] bias) {

    /** Loads {@code prefix.weight} and {@code prefix.bias} of length n. */
    public static LayerNorm load(ModelTensors t, String prefix, int n) {
        return new LayerNorm(t.vector(prefix + ".weight", n), t.vector(prefix + ".bias", n));
    }
}
