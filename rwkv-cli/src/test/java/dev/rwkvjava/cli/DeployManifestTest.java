package dev.rwkvjava.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.rwkvjava.RwkvModel;
import dev.rwkvjava.serve.RwkvServer;
import dev.rwkvjava.serve.ServerConfig;
import dev.rwkvjava.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container build and Kubernetes manifests in {@code deploy/} against the real server: their command lines parse
 * as the {@code serve} command with the port the container exposes, the probes ask a path the server answers 200 on,
 * the Service and the autoscaler point at the Deployment, and the pod outlives the server's shutdown grace.
 */
class DeployManifestTest {
    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode yaml(String name) throws IOException {
        return YAML.readTree(DEPLOY.resolve("kubernetes").resolve(name).toFile());
    }

    /** The serve command as picocli parses these arguments. */
    private static ServeCommand parse(List<String> args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        CommandLine.ParseResult r = cl.parseArgs(args.toArray(new String[0]));
        assertThat(r.subcommand()).as("a subcommand in %s", args).isNotNull();
        assertThat(r.subcommand().commandSpec().name()).isEqualTo("serve");
        return (ServeCommand) r.subcommand().commandSpec().userObject();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void theDeploymentRunsTheRealServeCommandWithMatchingPortsAndProbes() throws Exception {
        JsonNode d = yaml("deployment.yaml");
        assertThat(d.get("kind").asText()).isEqualTo("Deployment");
        JsonNode pod = d.at("/spec/template");
        assertThat(d.at("/spec/selector/matchLabels")).isEqualTo(pod.at("/metadata/labels"));
        JsonNode c = pod.at("/spec/containers/0");
        ServeCommand serve = parse(strings(c.get("args")));
        JsonNode port = c.at("/ports/0");
        assertThat(port.get("containerPort").asInt()).isEqualTo(serve.port);
        assertThat(serve.host).isEqualTo("0.0.0.0");
        // The model is where the volume is mounted.
        assertThat(serve.modelOptions.model).isEqualTo(c.at("/volumeMounts/0/mountPath").asText());
        // Pods outlive the graceful shutdown.
        assertThat(pod.at("/spec/terminationGracePeriodSeconds").asLong()).isGreaterThan(serve.shutdownGrace);
        // Both probes ask the named container port for a path the real server answers 200 on, without a key.
        List<String> paths = new ArrayList<>();
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            JsonNode get = c.at("/" + probe + "/httpGet");
            assertThat(get.get("port").asText()).isEqualTo(port.get("name").asText());
            paths.add(get.get("path").asText());
        }
        try (RwkvModel model = RwkvModel.load(CliTestData.file("models/tiny-rwkv-4v0-660K.f32.safetensors"));
             RwkvServer server = RwkvServer.start(model, Tokenizers.bytes(), ServerConfig.defaults().withPort(0)
                     .withApiKey("key-the-probes-do-not-send"))) {
            HttpClient http = HttpClient.newHttpClient();
            for (String path : paths) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(200);
            }
        }
    }

    @Test
    void theServiceAndTheAutoscalerPointAtTheDeployment() throws IOException {
        JsonNode d = yaml("deployment.yaml");
        JsonNode s = yaml("service.yaml");
        JsonNode h = yaml("hpa.yaml");
        assertThat(s.get("kind").asText()).isEqualTo("Service");
        assertThat(s.at("/spec/selector")).isEqualTo(d.at("/spec/template/metadata/labels"));
        assertThat(s.at("/spec/ports/0/targetPort").asText()).isEqualTo(d.at("/spec/template/spec/containers/0/ports/0/name").asText());
        assertThat(h.get("kind").asText()).isEqualTo("HorizontalPodAutoscaler");
        assertThat(h.at("/spec/scaleTargetRef/kind").asText()).isEqualTo("Deployment");
        assertThat(h.at("/spec/scaleTargetRef/name").asText()).isEqualTo(d.at("/metadata/name").asText());
        assertThat(h.at("/spec/minReplicas").asInt()).isLessThanOrEqualTo(h.at("/spec/maxReplicas").asInt());
    }

    @Test
    void theContainerImageRunsServeOnTheExposedPort() throws IOException {
        String docker = Files.readString(DEPLOY.resolve("Dockerfile"));
        int exposed = Integer.parseInt(match(docker, "(?m)^EXPOSE (\\d+)$"));
        List<String> entry = jsonArray(match(docker, "(?m)^ENTRYPOINT (\\[.*])$"));
        List<String> cmd = jsonArray(match(docker, "(?m)^CMD (\\[.*])$"));
        // The Vector API module is given, so the jar does not start a second JVM (which SIGTERM would not reach).
        assertThat(entry).contains("--add-modules=jdk.incubator.vector", "-jar");
        String jar = entry.get(entry.indexOf("-jar") + 1);
        assertThat(docker).contains("rwkv-cli/target/rwkv.jar " + jar);
        ServeCommand serve = parse(cmd);
        assertThat(serve.port).isEqualTo(exposed);
        assertThat(serve.host).isEqualTo("0.0.0.0");
        // The Deployment's image listens on the same port.
        assertThat(yaml("deployment.yaml").at("/spec/template/spec/containers/0/ports/0/containerPort").asInt())
                .isEqualTo(exposed);
    }

    private static String match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return m.group(1);
    }

    private static List<String> jsonArray(String json) throws IOException {
        return strings(new ObjectMapper().readTree(json));
    }
}
