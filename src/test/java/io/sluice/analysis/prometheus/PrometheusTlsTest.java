package io.sluice.analysis.prometheus;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.SecretLookup;
import io.sluice.config.SluiceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An https Prometheus signed by a private CA is trusted through ca-file, and only then. */
class PrometheusTlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final SecretLookup NO_SECRETS = (namespace, name, key) -> Optional.empty();

    @TempDir
    static Path dir;
    private static HttpsServer server;
    private static String address;

    @BeforeAll
    static void startHttpsServer() throws Exception {
        Path keyStore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "prometheus", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=prometheus", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        keytool("-exportcert", "-rfc", "-alias", "prometheus", "-keystore", keyStore.toString(),
                "-storepass", "changeit", "-file", dir.resolve("ca.pem").toString());

        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, PASSWORD);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);

        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/api/v1/query", exchange -> {
            try (exchange) {
                byte[] body = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"0.5\"]}}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        address = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stopHttpsServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void thePrivateCaInCaFileIsTrusted() throws MeasurementException {
        try (PrometheusProvider provider = provider(Optional.of(dir.resolve("ca.pem")))) {
            assertThat(provider.query("default", "up")).isEqualTo(new QueryValue.Single(0.5));
        }
    }

    @Test
    void withoutItTheServerIsRefused() {
        try (PrometheusProvider provider = provider(Optional.empty())) {
            assertThatThrownBy(() -> provider.query("default", "up"))
                    .hasMessageStartingWith("TLS with Prometheus 'default' at " + address + " failed: ")
                    .hasMessageEndingWith("(is its CA in ca-file?)");
        }
    }

    @Test
    void anUnreadableCaFileIsAConfigurationProblem() throws IOException {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");

        try (PrometheusProvider provider = provider(Optional.of(notPem))) {
            assertThatThrownBy(() -> provider.query("default", "up"))
                    .hasMessageStartingWith("Prometheus 'default' is misconfigured: cannot use ca-file " + notPem + ": ");
        }
    }

    private static PrometheusProvider provider(Optional<Path> caFile) {
        SluiceConfig.Prometheus endpoint = new PrometheusProviderTest.Endpoint(address, Duration.ofSeconds(5),
                Optional.empty(), Optional.empty(), caFile);
        return new PrometheusProvider(Map.of("default", endpoint), NO_SECRETS, "sluice-system");
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(concat(keytool.toString(), args)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool " + String.join(" ", args) + " failed:\n" + output);
        }
    }

    private static List<String> concat(String first, String... rest) {
        return Stream.concat(Stream.of(first), Arrays.stream(rest)).toList();
    }
}
