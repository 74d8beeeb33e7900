package dev.rwkvjava.generate;

import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.testutil.TestData;
import dev.rwkvjava.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sessions on the tiny byte-level RWKV-4 (greedy after "The " it writes "the the the ..."). */
class SessionTest {
    static RwkvModel tiny;
    static RwkvModel random;

    @BeforeAll
    static void load() {
        tiny = RwkvModel.load(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"),
                RwkvModel.Options.defaults().withThreads(2));
        random = RwkvModel.load(TestData.file("models/random-v4-c128-l3-v1000.f32.safetensors"),
                RwkvModel.Options.defaults().withThreads(2));
    }

    @AfterAll
    static void close() {
        if (tiny != null) {
            tiny.close();
        }
        if (random != null) {
            random.close();
        }
    }

    static Session session() {
        return new Session(tiny, new ByteTokenizer());
    }

    @Test
    void streamsTextAndStopsAtAStopStringSpanningTokens() {
        Session s = session();
        List<String> pieces = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        GenerationResult r = s.generate("The ", GenerationConfig.greedy(40).withStopStrings(List.of("e t")),
                new GenerationListener() {
                    @Override
                    public void onToken(int id) {
                        ids.add(id);
                    }

                    @Override
                    public void onText(String text) {
                        pieces.add(text);
                    }
                });
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_STRING);
        assertThat(r.text()).isEqualTo("th");
        assertThat(String.join("", pieces)).isEqualTo("th");
        // The tokens of the stop string were generated (and are in the state); their text was not printed.
        assertThat(new String(new ByteTokenizer().decode(r.generatedIds()))).isEqualTo("the t");
        assertThat(ids).hasSize(5);
        assertThat(s.tokenCount()).isEqualTo(4 + 5);
    }

    @Test
    void withoutAStopStringTheTextIsEveryGeneratedToken() {
        GenerationResult r = session().generate("The ", GenerationConfig.greedy(12), null);
        assertThat(r.text()).isEqualTo("the the the ");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void appendFeedsOnlyTheNewTokensAndMatchesOneLongPrompt() {
        Session s = session();
        s.append("Hello, ");
        assertThat(s.tokenCount()).isEqualTo(7);
        s.append("world!");
        assertThat(s.tokenCount()).isEqualTo(13);
        Session whole = session();
        whole.append("Hello, world!");
        float[] a = s.logits();
        float[] b = whole.logits();
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void generatedTextStaysInTheStateForTheNextAppend() {
        Session s = session();
        s.generate("The ", GenerationConfig.greedy(8), null);   // "the the "
        s.append("x");
        Session direct = session();
        direct.append("The the the x");
        float[] a = s.logits();
        float[] b = direct.logits();
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(s.tokenCount()).isEqualTo(direct.tokenCount());
    }

    @Test
    void forkIsIndependent() {
        Session s = session();
        s.append("The ");
        float[] before = s.logits();
        Session f = s.fork();
        f.generate(GenerationConfig.greedy(10), null);
        assertThat(s.logits()).containsExactly(before);
        assertThat(s.tokenCount()).isEqualTo(4);
        assertThat(f.tokenCount()).isEqualTo(14);
    }

    @Test
    void snapshotAndRestore() {
        Session s = session();
        s.append("The ");
        Session.Snapshot snap = s.snapshot();
        String first = s.generate(GenerationConfig.greedy(6), null).text();
        s.restore(snap);
        assertThat(s.generate(GenerationConfig.greedy(6), null).text()).isEqualTo(first);
    }

    @Test
    void sampledRunsRepeatWithTheSameSeed() {
        GenerationConfig c = GenerationConfig.chat(30).withSampler(dev.rwkvjava.sampling.SamplerConfig.chat()
                .withTopP(0.9).withSeed(1234L));
        GenerationResult a = session().generate("The ", c, null);
        GenerationResult b = session().generate("The ", c, null);
        assertThat(a.generatedIds()).containsExactly(b.generatedIds());
        assertThat(a.stats().seed()).isEqualTo(1234L);
    }

    @Test
    void endOfTextIsZeroExceptForByteModels() {
        assertThat(session().endOfText()).isEmpty();
        Session ids = new Session(random, null);
        assertThat(ids.endOfText()).hasValue(0);
        // With id 0 forbidden as a stop, a stop id of the caller's choice still works.
        ids.append(301, 781, 386);
        int first = ids.fork().generate(GenerationConfig.greedy(1), null).generatedIds()[0];
        GenerationResult r = ids.generate(GenerationConfig.greedy(5).withStopTokens(List.of(first)), null);
        assertThat(r.generatedIds()).isEmpty();
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(r.text()).isNull();
    }

    @Test
    void listenerCanCancel() {
        Session s = session();
        int[] n = {0};
        GenerationResult r = s.generate("The ", GenerationConfig.greedy(50), new GenerationListener() {
            @Override
            public void onToken(int id) {
                n[0]++;
            }

            @Override
            public boolean stopRequested() {
                return n[0] >= 3;
            }
        });
        assertThat(r.generatedIds()).hasSize(3);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
    }

    @Test
    void clearErrors() {
        assertThatThrownBy(() -> session().generate(GenerationConfig.greedy(3), null))
                .hasMessageContaining("nothing to generate from");
        assertThatThrownBy(() -> new Session(random, null).append("text"))
                .hasMessageContaining("no tokenizer");
        assertThatThrownBy(() -> new Session(random, null).append(1000))
                .hasMessageContaining("token id 1000 is out of range");
        assertThatThrownBy(() -> GenerationConfig.greedy(-1)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> GenerationConfig.greedy(1).withStopStrings(List.of(""))).hasMessageContaining("empty");
    }

    @Test
    void textGeneratorLoadsAFileAndGenerates() {
        try (TextGenerator g = TextGenerator.load(TestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors").toString(),
                null, dev.rwkvjava.hub.HubConfig.fromEnvironment().withOffline(true),
                RwkvModel.Options.defaults().withThreads(1), null)) {
            assertThat(g.tokenizer()).isInstanceOf(ByteTokenizer.class);
            assertThat(g.generate("The ", GenerationConfig.greedy(8)).text()).isEqualTo("the the ");
        }
    }
}
