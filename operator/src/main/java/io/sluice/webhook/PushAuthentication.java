package io.sluice.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Whether a push webhook comes from the Git host that shares the secret: GitHub signs the raw body
 * ({@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256>}), GitLab sends the secret itself
 * ({@code X-Gitlab-Token}). Comparisons take the same time however much of a guess is right.
 */
final class PushAuthentication {
    private static final String SHA256_PREFIX = "sha256=";

    private final byte[] secret;

    PushAuthentication(String secret) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    /** GitHub's signature header, or else GitLab's token header, is present and right. */
    boolean authentic(byte[] body, String githubSignature, String gitlabToken) {
        if (githubSignature != null) {
            return githubSignatureMatches(body, githubSignature);
        }
        return gitlabToken != null && MessageDigest.isEqual(secret, gitlabToken.getBytes(StandardCharsets.UTF_8));
    }

    private boolean githubSignatureMatches(byte[] body, String header) {
        if (!header.startsWith(SHA256_PREFIX)) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring(SHA256_PREFIX.length()).strip());
        } catch (IllegalArgumentException notHex) {
            return false;
        }
        return MessageDigest.isEqual(hmacSha256(body), given);
    }

    private byte[] hmacSha256(byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
