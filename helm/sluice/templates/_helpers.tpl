{{/* Chart name, at most 63 characters (a DNS label). */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every resource name: fullnameOverride, else the release name (when it already contains
the chart name), else "<release>-<chart>".
*/}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* Labels that select the operator's pods. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator image: repository@digest when image.digest is set (the tag is then ignored), else
repository:tag (tag defaulting to appVersion). No image is published, so values.yaml names none and
rendering stops here until the user sets one.
*/}}
{{- define "sluice.image" -}}
{{- if not .Values.image.repository }}
{{- fail "image.repository is not set: no Sluice image is published yet, so the chart has no default. Build one from the Sluice repository (./mvnw -B -ntp package -DskipTests, then docker build -f operator/src/main/docker/Dockerfile.jvm -t <registry>/sluice:<tag> .), push it to a registry your cluster can pull from, and set image.repository and image.tag (or image.digest)." }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Labels of the CRDs: the chart's, without the ones that select the operator's pods. */}}
{{- define "sluice.crdLabels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{- define "sluice.leaseName" -}}
{{- default (printf "%s-leader" (include "sluice.fullname" .)) .Values.leaderElection.leaseName }}
{{- end }}

{{/* Names of the Secrets the Prometheus providers read, sorted and without duplicates. */}}
{{- define "sluice.prometheusSecrets" -}}
{{- $names := list }}
{{- range $name, $p := .Values.prometheus }}
{{- with $p.bearerTokenSecret }}{{ $names = append $names . }}{{ end }}
{{- with $p.basicAuthSecret }}{{ $names = append $names . }}{{ end }}
{{- end }}
{{- $names | uniq | sortAlpha | toJson }}
{{- end }}

{{/* Environment variable carrying the URL of an operator-wide notification target. */}}
{{- define "sluice.notificationUrlEnv" -}}
{{- printf "NOTIFICATION_URL_%s" (. | upper | replace "-" "_" | replace "." "_") }}
{{- end }}

{{/* Where the chart mounts a Prometheus provider's CA ConfigMap. */}}
{{- define "sluice.prometheusCaDir" -}}
{{- printf "/etc/sluice/prometheus-ca/%s" . }}
{{- end }}

{{/* A duration such as 500ms, 15s, 2m or 1h in milliseconds; -1 for other forms (ISO-8601). */}}
{{- define "sluice.durationMillis" -}}
{{- $d := toString . }}
{{- if regexMatch "^[0-9]+ms$" $d }}{{ trimSuffix "ms" $d }}
{{- else if regexMatch "^[0-9]+s$" $d }}{{ mul (trimSuffix "s" $d | int64) 1000 }}
{{- else if regexMatch "^[0-9]+m$" $d }}{{ mul (trimSuffix "m" $d | int64) 60000 }}
{{- else if regexMatch "^[0-9]+h$" $d }}{{ mul (trimSuffix "h" $d | int64) 3600000 }}
{{- else }}-1{{ end }}
{{- end }}

{{/*
Combinations values.schema.json cannot express; each fails with a message saying what to change.
*/}}
{{- define "sluice.validate" -}}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail (printf "replicaCount is %d but leaderElection.enabled is false: without leader election every replica would reconcile the same Rollouts at once. Set replicaCount to 1, or enable leaderElection." (int .Values.replicaCount)) }}
{{- end }}
{{- if .Values.leaderElection.enabled }}
{{- $lease := include "sluice.durationMillis" .Values.leaderElection.leaseDuration | int64 }}
{{- $renew := include "sluice.durationMillis" .Values.leaderElection.renewDeadline | int64 }}
{{- $retry := include "sluice.durationMillis" .Values.leaderElection.retryPeriod | int64 }}
{{- if and (ge $lease 0) (ge $renew 0) (ge $renew $lease) }}
{{- fail (printf "leaderElection.renewDeadline (%s) must be shorter than leaderElection.leaseDuration (%s): a leader must give up before another replica may take the Lease." .Values.leaderElection.renewDeadline .Values.leaderElection.leaseDuration) }}
{{- end }}
{{- if and (ge $renew 0) (ge $retry 0) (ge $retry $renew) }}
{{- fail (printf "leaderElection.retryPeriod (%s) must be shorter than leaderElection.renewDeadline (%s): the leader renews every retryPeriod." .Values.leaderElection.retryPeriod .Values.leaderElection.renewDeadline) }}
{{- end }}
{{- end }}
{{- if and .Values.webhook.enabled (not .Values.webhook.existingSecret) }}
{{- fail "webhook.enabled is true but webhook.existingSecret is empty: create a Secret holding the webhook's shared secret in the release namespace and name it in webhook.existingSecret (key webhook.secretKey)." }}
{{- end }}
{{- range $name, $p := .Values.prometheus }}
{{- if and $p.caFile $p.caConfigMap }}
{{- fail (printf "prometheus.%s: set caFile or caConfigMap, not both." $name) }}
{{- end }}
{{- end }}
{{- range $ns := .Values.watchNamespaces }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $ns) }}
{{- fail (printf "watchNamespaces: %q is not a namespace name." $ns) }}
{{- end }}
{{- end }}
{{- range $rule := .Values.rbac.gitManagedResources }}
{{- range $resource := $rule.resources }}
{{- if has $resource (list "secrets" "roles" "rolebindings" "clusterroles" "clusterrolebindings") }}
{{- fail (printf "rbac.gitManagedResources: %s cannot be applied from Git: Sluice only reads Secrets and must not be able to grant permissions." $resource) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
