package io.sluice.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.url.matches('^(https?|ssh|git|file)://.+$') || self.url.matches('^[A-Za-z0-9._-]+@[^:/]+:.+$')",
        message = "url must be an https://, http://, ssh://, git:// or file:// URL, or scp-like user@host:path")
@ValidationRule(value = "!self.url.matches('^https?://[^/]*@')",
        message = "url must not carry credentials; put them in the Secret named by secretRef")
@ValidationRule(value = "!has(self.path) || !self.path.split('/').exists(s, s == '..')",
        message = "path must stay inside the repository (no '..')")
public class GitSource {
    @Required
    @JsonPropertyDescription("Repository URL: https://, ssh://, git://, file://, or scp-like git@host:org/repo.git.")
    public String url;

    @Default(Defaults.GIT_REF)
    @JsonPropertyDescription("Branch, tag or full commit id to track. A branch or tag is polled; a commit id is fixed.")
    public String ref;

    @Default(Defaults.GIT_PATH)
    @JsonPropertyDescription("Folder inside the repository holding the application's YAML manifests (multi-document "
            + "files allowed); '.' is the repository root.")
    public String path;

    @Default(Defaults.GIT_INTERVAL)
    @Pattern(Defaults.DURATION_PATTERN)
    @JsonPropertyDescription("How often the ref is polled, as a duration (30s, 1m, 1h). A push webhook triggers a "
            + "fetch sooner.")
    public String interval;

    @JsonPropertyDescription("Secret in the Rollout's namespace with the credentials: 'username' and 'password' "
            + "(a token) for HTTPS, or 'identity' (a private key) and 'known_hosts' for SSH.")
    public LocalObjectReference secretRef;

    public String refOrDefault() {
        return ref != null && !ref.isBlank() ? ref : Defaults.GIT_REF;
    }

    public String pathOrDefault() {
        return path != null && !path.isBlank() ? path : Defaults.GIT_PATH;
    }

    public String intervalOrDefault() {
        return interval != null && !interval.isBlank() ? interval : Defaults.GIT_INTERVAL;
    }
}
