package dev.rwkvjava.kernel.panama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vector exp against the JDK's double-precision exp rounded to float. */
class VectorMathTest {

    @BeforeAll
    static void needsTheVectorModule() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "needs --add-modules jdk.incubator.vector");
    }

    /** Every 97th float from -110 to 90: results from 0 through subnormals to the largest float, and +Inf. */
    @Test
    void expIsWithinOneUlpOverTheWholeRange() {
        int from = Float.floatToRawIntBits(-110f);
        int to = Float.floatToRawIntBits(90f);
        // Negative floats' bit patterns decrease towards zero: walk -110 .. -0, then +0 .. 90.
        int count = (from - Integer.MIN_VALUE) / 97 + to / 97 + 2;
        float[] x = new float[count];
        int k = 0;
        for (int b = from; b >= Integer.MIN_VALUE + 0 && b < 0 && k < count; b -= 97) {
            x[k++] = Float.intBitsToFloat(b);
        }
        for (int b = 0; b <= to && k < count; b += 97) {
            x[k++] = Float.intBitsToFloat(b);
        }
        float[] y = new float[k];
        VectorMath.exp(java.util.Arrays.copyOf(x, k), y);
        int worst = 0;
        float worstAt = 0;
        for (int i = 0; i < k; i++) {
            float expected = (float) Math.exp(x[i]);
            int ulps = Math.abs(Float.floatToRawIntBits(y[i]) - Float.floatToRawIntBits(expected));
            if (ulps > worst) {
                worst = ulps;
                worstAt = x[i];
            }
        }
        assertThat(worst).as("worst error in ulps, at x = %s", worstAt).isLessThanOrEqualTo(1);
    }

    @Test
    void limitsAndSpecialValues() {
        float[] x = {0f, -0f, 1f, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -104f, -200f,
            88.72283f, 88.7229f, 89f, 1000f, -87.33655f, -103.97208f, Float.MIN_VALUE, -Float.MAX_VALUE,
            Float.MAX_VALUE};
        float[] y = new float[x.length];
        VectorMath.exp(x, y);
        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isEqualTo(1f);
        assertThat(y[2]).isEqualTo((float) Math.E);
        assertThat(y[3]).isEqualTo((float) (1 / Math.E));
        assertThat(y[4]).isEqualTo(0f);
        assertThat(y[5]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[6]).isNaN();
        assertThat(y[7]).isEqualTo(0f);
        assertThat(y[8]).isEqualTo(0f);
        assertThat(y[9]).isEqualTo((float) Math.exp(88.72283f)).isLessThan(Float.POSITIVE_INFINITY);
        assertThat(y[10]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[11]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[12]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[13]).isCloseTo((float) Math.exp(-87.33655f), org.assertj.core.data.Offset.offset(Float.MIN_VALUE));
        assertThat(y[14]).isCloseTo((float) Math.exp(-103.97208f), org.assertj.core.data.Offset.offset(Float.MIN_VALUE));
        assertThat(y[15]).isEqualTo(1f);
        assertThat(y[16]).isEqualTo(0f);
        assertThat(y[17]).isEqualTo(Float.POSITIVE_INFINITY);
    }
}
