package dev.rwkvjava.model.v7;

import dev.rwkvjava.testutil.Close;
import dev.rwkvjava.testutil.ReferenceCase;
import dev.rwkvjava.testutil.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The float64 oracle ({@link V7Float64Oracle}) against the float32 reference.
 *
 * <p>On ordinary cases the two must agree within the reference's own float32 error, which the data's README measured
 * against a float64 run of the reference code (sections 8.3 and 8.5: at most 3.4e-5 on logits); that is what shows
 * the oracle computes RWKV-7 exactly as the reference does. Measured: at most 1.7e-5 (random-v7 rand1024).
 *
 * <p>random-v7 repeat128 (token 7 repeated 128 times) is ill-conditioned: rounding in layer 0's time mix is amplified
 * about a thousandfold around tokens 63 to 70. There the float32 reference is 1.015e-4 from float64 at its row 63,
 * more than the parity tolerance of 1e-4; its other eight rows are within 4.9e-5. This is why ReferenceParityTest
 * compares repeat128 with the data's float64 rows ({@code logits_fp64}) at the case's own tolerance.
 */
class V7Float64OracleTest {
    /** The README's largest float32-vs-float64 logits gap over all its runs (section 8.5). */
    static final double FLOAT64_TOL = 3.4e-5;
    /** ReferenceParityTest's logits tolerance. */
    static final double LOGIT_TOL = 1e-4;

    static final String RANDOM_V7 = "random-v7-c128-h2-l3-v1000";
    /** The repeat128 row where the float32 reference itself is more than 1e-4 from float64. */
    static final int EXEMPT_ROW = 63;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            RANDOM_V7 + ", rand64",
            RANDOM_V7 + ", continue",
            RANDOM_V7 + ", rand1024",
            "tiny-rwkv-7v0-834K.f32, text64",
            "tiny-rwkv-7v0-834K.f32, continue",
            "random-v7-deepembed-c128-h2-l3-v1000, rand64",
            "random-v7-deepembed-c128-h2-l3-v1000, continue"})
    void matchesReferenceWithinItsFloat32Error(String model, String caseName) {
        ReferenceCase ref = read(model, caseName);
        V7Float64Oracle oracle = V7Float64Oracle.load(TestData.modelOf(model));
        double[][] state = ref.initState().isEmpty() ? oracle.newState() : oracle.state(ref.initState());
        double[][] logits = run(oracle, ref.tokens(), state);

        for (int i = 0; i < ref.positions().length; i++) {
            int pos = ref.positions()[i];
            assertClose(caseName + " logits row " + pos, logits[pos], ref.logits()[i], FLOAT64_TOL);
        }
        assertThat(ref.state()).hasSize(state.length);
        for (int i = 0; i < state.length; i++) {
            float[] expected = ref.state().get(i);
            assertClose(caseName + " state " + i, state[i], expected, FLOAT64_TOL * Math.max(1, Close.maxMagnitude(expected)));
        }
    }

    /** Every reference row of repeat128 but the exempt one is within LOGIT_TOL of float64; the exempt one is not. */
    @Test
    void repeat128ReferenceLeavesFloat64OnlyAtTheExemptRow() {
        ReferenceCase ref = read(RANDOM_V7, "repeat128");
        V7Float64Oracle oracle = V7Float64Oracle.load(TestData.modelOf(RANDOM_V7));
        double[][] logits = run(oracle, ref.tokens(), oracle.newState());

        for (int i = 0; i < ref.positions().length; i++) {
            int pos = ref.positions()[i];
            if (pos == EXEMPT_ROW) {
                assertThat(maxAbs(logits[pos], ref.logits()[i])).as("reference vs float64, row %d", pos)
                        .isGreaterThan(LOGIT_TOL);
            } else {
                assertClose("repeat128 logits row " + pos, logits[pos], ref.logits()[i], LOGIT_TOL);
            }
        }
    }

    private static ReferenceCase read(String model, String caseName) {
        return ReferenceCase.read(TestData.file("reference/" + model + "/" + caseName + ".safetensors"));
    }

    /** The logits after every token, in token mode from the given state. */
    private static double[][] run(V7Float64Oracle oracle, int[] tokens, double[][] state) {
        double[][] rows = new double[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            rows[t] = oracle.forward(tokens[t], state);
        }
        return rows;
    }

    private static double maxAbs(double[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static void assertClose(String what, double[] actual, float[] expected, double tol) {
        assertThat(actual).as(what + ": length").hasSize(expected.length);
        double m = maxAbs(actual, expected);
        if (!(m <= tol)) {
            throw new AssertionError(String.format("%s: max abs diff %.3g > %.3g", what, m, tol));
        }
    }
}
