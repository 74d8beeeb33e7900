package dev.rwkvjava;

/** The RWKV architecture generations this engine knows. */
public enum RwkvVersion {
    /** RWKV-4. */
    V4("4"),
    /** RWKV-5 "Eagle" first release: no gate, per-head decay (rwkv.cpp calls its files "5.1"). */
    V5_0("5.0"),
    /** Gate added, per-head decay. */
    V5_1("5.1"),
    /** Gate, per-channel decay. */
    V5_2("5.2"),
    /** RWKV-6 "Finch": data-dependent token shift and decay. */
    V6_0("6.0"),
    /** RWKV-7 "Goose". */
    V7("7"),
    /** RWKV-7 with DeepEmbed FFN gates. */
    V7_DEEPEMBED("7-deepembed");

    private final String label;

    RwkvVersion(String label) {
        this.label = label;
    }

    /** {@return a short label such as "4", "5.2", "7-deepembed"} */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
