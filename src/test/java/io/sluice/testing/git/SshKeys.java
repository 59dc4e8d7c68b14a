package io.sluice.testing.git;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.config.keys.KeyUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;

/** SSH key pairs made by the test itself, and the text forms a Secret or known_hosts holds. */
public final class SshKeys {
    private SshKeys() {
    }

    /** ed25519, the default of ssh-keygen and what deploy keys usually are. */
    public static KeyPair ed25519() {
        return generate(KeyPairProvider.SSH_ED25519, 256);
    }

    public static KeyPair ecdsaP256() {
        return generate(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
    }

    public static KeyPair rsa() {
        return generate(KeyPairProvider.SSH_RSA, 3072);
    }

    /** The private key as {@code -----BEGIN OPENSSH PRIVATE KEY-----} text, unencrypted. */
    public static String openSshPrivateKey(KeyPair keys) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(keys, "sluice-test", null, out);
            return out.toString(StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code <type> <base64>}, as in authorized_keys and known_hosts. */
    public static String publicKeyLine(KeyPair keys) {
        return PublicKeyEntry.toString(keys.getPublic());
    }

    private static KeyPair generate(String type, int bits) {
        try {
            return KeyUtils.generateKeyPair(type, bits);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + type + " key", e);
        }
    }
}
