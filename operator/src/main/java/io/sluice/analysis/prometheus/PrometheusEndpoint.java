package io.sluice.analysis.prometheus;

import io.sluice.analysis.MeasurementException;
import io.sluice.analysis.QueryValue;
import io.sluice.analysis.SecretLookup;
import io.sluice.config.SluiceConfig;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One configured Prometheus: its address, timeout, credentials (read from a Secret in the operator's
 * namespace for every query, so a rotated token is used at once) and TLS trust. A configuration
 * problem does not stop the operator: every query to this endpoint then fails with it, and the other
 * endpoints keep working.
 */
final class PrometheusEndpoint implements AutoCloseable {
    static final String TOKEN_KEY = "token";
    static final String USERNAME_KEY = "username";
    static final String PASSWORD_KEY = "password";
    // A multi-series answer is a few hundred bytes per series; anything near this is a mistake.
    private static final int MAX_ANSWER_BYTES = 4 << 20;

    private final String name;
    private final String address;
    private final Duration timeout;
    private final Optional<String> bearerTokenSecret;
    private final Optional<String> basicAuthSecret;
    private final SecretLookup secrets;
    private final String secretNamespace;
    private final String problem;
    private final HttpClient http;

    PrometheusEndpoint(String name, SluiceConfig.Prometheus config, SecretLookup secrets, String secretNamespace) {
        this.name = name;
        this.address = config.address().strip().replaceAll("/+$", "");
        this.timeout = config.timeout();
        this.bearerTokenSecret = config.bearerTokenSecret().filter(s -> !s.isBlank());
        this.basicAuthSecret = config.basicAuthSecret().filter(s -> !s.isBlank());
        this.secrets = secrets;
        this.secretNamespace = secretNamespace;
        String found = configurationProblem();
        SSLContext tls = null;
        if (found == null && config.caFile().isPresent()) {
            try {
                tls = trusting(config.caFile().get());
            } catch (IOException | GeneralSecurityException e) {
                found = "cannot use ca-file " + config.caFile().get() + ": " + e.getMessage();
            }
        }
        this.problem = found;
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                // a redirect could carry the credentials to another host
                .followRedirects(HttpClient.Redirect.NEVER);
        if (found == null) {
            builder.connectTimeout(timeout);
        }
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.http = builder.build();
    }

    /**
     * Runs an instant query at Prometheus' current time.
     *
     * @param tenantAuthorization the metric's own Authorization header, if it has credentials; refused
     *                            when this endpoint has the operator's credentials, which it must not
     *                            replace
     */
    QueryValue query(String promql, Optional<String> tenantAuthorization) throws MeasurementException {
        if (problem != null) {
            throw new MeasurementException("Prometheus '" + name + "' is misconfigured: " + problem);
        }
        if (tenantAuthorization.isPresent() && (bearerTokenSecret.isPresent() || basicAuthSecret.isPresent())) {
            throw new MeasurementException("Prometheus '" + name + "' authenticates with the operator's credentials ("
                    + (bearerTokenSecret.isPresent() ? "bearer-token-secret" : "basic-auth-secret")
                    + "); a metric cannot send credentials of its own to it");
        }
        URI uri = URI.create(address + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                + "&timeout=" + timeout.toMillis() + "ms");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET();
        Optional<String> authorization = tenantAuthorization.isPresent() ? tenantAuthorization : authorization();
        authorization.ifPresent(value -> request.header("Authorization", value));
        CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request.build(), answer -> new BoundedBody(MAX_ANSWER_BYTES));
        try {
            // one deadline for the answer and its whole body: a trickling body must not hold a measurement
            HttpResponse<byte[]> response = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return PrometheusAnswer.parse(name, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8),
                    tenantAuthorization.isPresent() ? "the metric (provider.prometheus.credentials)" : "its bearer-token-secret or basic-auth-secret");
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw timedOut(e);
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            throw new MeasurementException("interrupted while querying Prometheus '" + name + "'", e);
        }
    }

    @Override
    public void close() {
        http.close();
    }

    private String configurationProblem() {
        URI uri;
        try {
            uri = new URI(address);
        } catch (URISyntaxException e) {
            return "address is not a URL (" + e.getReason() + ")";
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            return "address must start with http:// or https://";
        }
        if (uri.getRawUserInfo() != null) {
            return "address must not hold credentials; use bearer-token-secret or basic-auth-secret";
        }
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return "address must be scheme://host[:port][/path], without query or fragment";
        }
        if (timeout.isNegative() || timeout.isZero()) {
            return "timeout must be positive";
        }
        if (bearerTokenSecret.isPresent() && basicAuthSecret.isPresent()) {
            return "set bearer-token-secret or basic-auth-secret, not both";
        }
        if ((bearerTokenSecret.isPresent() || basicAuthSecret.isPresent()) && secretNamespace == null) {
            return "its credentials are in a Secret of the operator's namespace, which is unknown "
                    + "(set the KUBERNETES_NAMESPACE environment variable)";
        }
        return null;
    }

    /** The Authorization header, read from the Secret now; the value never leaves through a message. */
    private Optional<String> authorization() throws MeasurementException {
        if (bearerTokenSecret.isPresent()) {
            return Optional.of("Bearer " + headerSafe(secret(bearerTokenSecret.get(), TOKEN_KEY, "bearer-token-secret")));
        }
        if (basicAuthSecret.isPresent()) {
            String username = secret(basicAuthSecret.get(), USERNAME_KEY, "basic-auth-secret");
            String password = secret(basicAuthSecret.get(), PASSWORD_KEY, "basic-auth-secret");
            return Optional.of("Basic " + Base64.getEncoder().encodeToString(
                    (username + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return Optional.empty();
    }

    private String secret(String secretName, String key, String setting) throws MeasurementException {
        return secrets.value(secretNamespace, secretName, key)
                // a token written with `kubectl create secret --from-file` often ends in a newline
                .map(String::strip)
                .filter(value -> !value.isEmpty())
                .orElseThrow(() -> new MeasurementException("Secret " + secretNamespace + "/" + secretName + " ("
                        + setting + " of Prometheus '" + name + "') does not exist or has no key '" + key + "'"));
    }

    private String headerSafe(String token) throws MeasurementException {
        if (token.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new MeasurementException("the token of Prometheus '" + name + "' (bearer-token-secret "
                    + bearerTokenSecret.orElseThrow() + ") contains control characters");
        }
        return token;
    }

    private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (certificates.isEmpty()) {
            throw new GeneralSecurityException("no certificate in it");
        }
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        int i = 0;
        for (Certificate certificate : certificates) {
            trusted.setCertificateEntry("ca-" + i++, certificate);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private MeasurementException failure(Throwable cause) {
        return switch (cause) {
            case AnswerTooLarge tooLarge -> new MeasurementException("Prometheus '" + name + "' answered with more than "
                    + (MAX_ANSWER_BYTES >> 20) + " MiB; aggregate the query to fewer series", tooLarge);
            case HttpTimeoutException timeout -> timedOut(timeout);
            case ConnectException refused -> new MeasurementException("cannot connect to Prometheus '" + name + "' at "
                    + address + ": " + connectFailure(refused), refused);
            case SSLException tls -> new MeasurementException("TLS with Prometheus '" + name + "' at " + address
                    + " failed: " + reason(tls) + (address.startsWith("https:") ? " (is its CA in ca-file?)" : ""), tls);
            default -> new MeasurementException("query to Prometheus '" + name + "' at " + address + " failed: "
                    + reason(cause), cause);
        };
    }

    private MeasurementException timedOut(Exception e) {
        return new MeasurementException("Prometheus '" + name + "' at " + address + " did not answer within "
                + timeout.toMillis() + " ms", e);
    }

    /**
     * Collects an answer's body up to a size, and gives up as soon as it is exceeded rather than
     * buffering it all: a tenant's query over every series must not exhaust the operator's memory.
     */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int maxBytes;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        BoundedBody(int maxBytes) {
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (received.size() + buffer.remaining() > maxBytes) {
                    subscription.cancel();
                    body.completeExceptionally(new AnswerTooLarge());
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                received.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(received.toByteArray());
        }
    }

    private static final class AnswerTooLarge extends IOException {
    }

    /** The JDK's client reports a refused connection without any message. */
    private static String connectFailure(ConnectException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException) {
                return "unknown host";
            }
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return "connection refused";
    }

    /** The first message down the cause chain: the JDK's client often wraps the telling one. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }
}
