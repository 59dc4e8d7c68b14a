package io.sluice.source;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One key per repository, whatever form its URL takes, so that a push reported for
 * {@code https://github.com/org/repo} reaches the mirror of {@code git@github.com:org/repo.git}.
 */
public final class RepositoryUrls {
    /** {@code [user@]host:path} as Git reads it: no scheme, no slash before the colon; {@code [host]} for IPv6. */
    private static final Pattern SCP_LIKE = Pattern.compile("^(?:[^@/]+@)?(\\[[^]]*]|[^:/\\[]+):(.*)$");

    private RepositoryUrls() {
    }

    /**
     * {@code host/path}: the host lowercased, without user, password or port, and the path without
     * leading or trailing slashes and without a trailing {@code .git}. A local repository
     * ({@code file:///srv/repo.git} or {@code /srv/repo.git}) becomes its absolute path. A key
     * normalizes to itself.
     * <p>
     * The port is dropped because a host serves one repository over HTTPS and SSH on different ports.
     * Keys are used to trigger early fetches, so two repositories that share a key cost at most an
     * extra fetch, while a missed match would delay a release until the next poll.
     *
     * @throws IllegalArgumentException if the URL is blank
     */
    public static String normalize(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("a repository URL must not be blank");
        }
        String u = url.strip();
        int schemeEnd = u.indexOf("://");
        if (schemeEnd >= 0) {
            String rest = u.substring(schemeEnd + 3);
            int slash = rest.indexOf('/');
            String authority = slash < 0 ? rest : rest.substring(0, slash);
            return join(hostOf(authority), slash < 0 ? "" : rest.substring(slash));
        }
        Matcher scp = SCP_LIKE.matcher(u);
        if (scp.matches()) {
            return join(scp.group(1), scp.group(2));
        }
        if (u.startsWith("/")) {
            return join("", u);
        }
        // Already a key (host/path): normalizing is idempotent.
        int slash = u.indexOf('/');
        return slash < 0 ? join(u, "") : join(u.substring(0, slash), u.substring(slash));
    }

    private static String hostOf(String authority) {
        String hostAndPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (hostAndPort.startsWith("[")) {
            int end = hostAndPort.indexOf(']');
            return end < 0 ? hostAndPort : hostAndPort.substring(0, end + 1);
        }
        int colon = hostAndPort.indexOf(':');
        return colon < 0 ? hostAndPort : hostAndPort.substring(0, colon);
    }

    private static String join(String host, String path) {
        String p = path.replaceAll("/+$", "");
        if (p.endsWith(".git")) {
            p = p.substring(0, p.length() - ".git".length()).replaceAll("/+$", "");
        }
        p = p.replaceAll("^/+", "");
        return host.toLowerCase(Locale.ROOT) + "/" + p;
    }
}
