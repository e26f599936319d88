{{/*
Names and labels.
*/}}

{{/* The chart name, overridable. */}}
{{- define "dbbat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of every resource; "-pg" is appended for the proxy Service, so keep room for it. */}}
{{- define "dbbat.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 60 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 60 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 60 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dbbat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "dbbat.labels" -}}
helm.sh/chart: {{ include "dbbat.chart" . }}
{{ include "dbbat.selectorLabels" . }}
app.kubernetes.io/version: {{ include "dbbat.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dbbat
{{- end }}

{{/* Labels that select the pods; never change them on upgrade (selectors are immutable). */}}
{{- define "dbbat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dbbat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dbbat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dbbat.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* "true" when a scalar value is given: 0 counts, "" and null do not (truthiness would drop 0). */}}
{{- define "dbbat.isSet" -}}
{{- if not (or (kindIs "invalid" .) (and (kindIs "string" .) (eq . ""))) }}true{{ end }}
{{- end }}

{{- define "dbbat.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "dbbat.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "dbbat.imageTag" .) }}
{{- if .Values.image.digest }}
{{- $ref = printf "%s@%s" $ref .Values.image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
Ports. The container listens where config.listen* say; the container ports, probes (by port
name) and Services follow. "dbbat.port" takes (list "value.path" "address") and returns the
port number of ":8080", "0.0.0.0:8080" or "[::]:8080", failing loudly on anything else.
*/}}
{{- define "dbbat.port" -}}
{{- $path := index . 0 }}
{{- $addr := toString (index . 1) }}
{{- $port := regexFind "[0-9]+$" $addr }}
{{- if not (regexMatch "^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]*):[0-9]+$" $addr) }}
{{- fail (printf "%s: %q is not a listen address like \":8080\" or \"0.0.0.0:8080\"" $path $addr) }}
{{- end }}
{{- if or (lt (atoi $port) 1) (gt (atoi $port) 65535) }}
{{- fail (printf "%s: port %s of %q is outside 1-65535" $path $port $addr) }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
The protocol listeners as a list of dicts {name, env, path, address, port}; address "" means off.
The PostgreSQL and API listeners are always on.
*/}}
{{- define "dbbat.listeners" -}}
{{- $c := .Values.config }}
{{- $all := list
  (dict "name" "http" "env" "DBB_LISTEN_API" "path" "config.listenApi" "address" $c.listenApi)
  (dict "name" "postgres" "env" "DBB_LISTEN_PG" "path" "config.listenPg" "address" $c.listenPg)
  (dict "name" "oracle" "env" "DBB_LISTEN_ORA" "path" "config.listenOracle" "address" $c.listenOracle)
  (dict "name" "mysql" "env" "DBB_LISTEN_MYSQL" "path" "config.listenMysql" "address" $c.listenMysql)
  (dict "name" "mongo" "env" "DBB_LISTEN_MONGO" "path" "config.listenMongo" "address" $c.listenMongo)
  (dict "name" "mssql" "env" "DBB_LISTEN_MSSQL" "path" "config.listenMssql" "address" $c.listenMssql) }}
{{- $out := list }}
{{- $seen := dict }}
{{- range $all }}
{{- $l := . }}
{{- if .address }}
{{- $p := include "dbbat.port" (list .path .address) }}
{{- if hasKey $seen $p }}
{{- fail (printf "%s: port %s is already used by %s" .path $p (get $seen $p)) }}
{{- end }}
{{- $_ := set $seen $p .path }}
{{- $l = merge (dict "port" (atoi $p)) . }}
{{- end }}
{{- $out = append $out $l }}
{{- end }}
{{- toJson (dict "listeners" $out) }}
{{- end }}

{{/*
Storage DSN and secrets: one place decides where each value comes from.
"dbbat.dsnSource" returns one of:
  values      postgresql.external.dsn, stored in the chart's Secret
  parts       built from host/port/... with an inline password (or none), stored in the chart's Secret
  partsSecret built from the parts with $(DB_PASSWORD) taken from the existing Secret (a plain env
              value that holds no secret; Kubernetes expands it)
  existing    the whole DSN from the existing Secret's secrets.keys.dsn key
*/}}
{{- define "dbbat.dsnSource" -}}
{{- $pg := .Values.postgresql.external }}
{{- $s := .Values.secrets }}
{{- if $pg.dsn }}values
{{- else if $pg.host }}
{{- if or $pg.password $s.databasePassword (not $s.existingSecret) }}parts{{ else }}partsSecret{{ end }}
{{- else if $s.existingSecret }}existing
{{- else }}
{{- fail "postgresql.external: no storage database. Set postgresql.external.dsn, or postgresql.external.host (with port/database/username/password), or secrets.existingSecret with the whole DSN under the key secrets.keys.dsn" }}
{{- end }}
{{- end }}

{{/* Escape a DSN user-info or path part: QueryEscape, except a space must be %20 outside a query. */}}
{{- define "dbbat.urlEscape" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{/* The DSN built from the parts; $password is already escaped (or a $(VAR) reference). */}}
{{- define "dbbat.partsDsn" -}}
{{- $pg := .root.Values.postgresql.external }}
{{- $host := $pg.host }}
{{- if and (contains ":" $host) (not (hasPrefix "[" $host)) }}
{{- $host = printf "[%s]" $host }}
{{- end }}
{{- $userinfo := include "dbbat.urlEscape" $pg.username }}
{{- if .password }}
{{- $userinfo = printf "%s:%s" $userinfo .password }}
{{- end }}
{{- printf "postgres://%s@%s:%v/%s?sslmode=%s" $userinfo $host (int $pg.port) (include "dbbat.urlEscape" $pg.database) $pg.sslMode }}
{{- end }}

{{/* The literal DSN for the chart's Secret, or "" when the DSN is not stored by the chart. */}}
{{- define "dbbat.literalDsn" -}}
{{- $src := include "dbbat.dsnSource" . }}
{{- if eq $src "values" }}
{{- .Values.postgresql.external.dsn }}
{{- else if eq $src "parts" }}
{{- $pw := .Values.postgresql.external.password | default .Values.secrets.databasePassword }}
{{- include "dbbat.partsDsn" (dict "root" . "password" (ternary (include "dbbat.urlEscape" $pw) "" (ne $pw ""))) }}
{{- end }}
{{- end }}

{{/*
Encryption key source: "file" (config.keyFile), "existing" (secrets.existingSecret) or "inline"
(secrets.encryptionKey). Two explicit sources at once are refused: one of them would be ignored,
and an ignored key is how a key changes silently.
*/}}
{{- define "dbbat.keySource" -}}
{{- $s := .Values.secrets }}
{{- $file := .Values.config.keyFile }}
{{- if and $file $s.encryptionKey }}
{{- fail "secrets.encryptionKey and config.keyFile are both set: DBBat would use only one of them. Keep exactly one encryption key source" }}
{{- end }}
{{- if and $s.existingSecret $s.encryptionKey }}
{{- fail (printf "secrets.encryptionKey is set together with secrets.existingSecret (%q), whose key %q is the encryption key: the inline key would be ignored. Remove secrets.encryptionKey, or unset secrets.existingSecret" $s.existingSecret $s.keys.encryptionKey) }}
{{- end }}
{{- if $file }}file
{{- else if $s.existingSecret }}existing
{{- else if $s.encryptionKey }}
{{- if not (regexMatch "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$" $s.encryptionKey) }}
{{- fail "secrets.encryptionKey must be the standard base64 encoding of exactly 32 bytes (44 characters ending with \"=\"); create one with: openssl rand -base64 32" }}
{{- end }}inline
{{- else }}
{{- fail "secrets.encryptionKey: DBBat needs an encryption key and the chart never generates one. Create one with `openssl rand -base64 32` and either put it in a Secret (kubectl create secret generic dbbat-secrets --from-literal=DBB_KEY=\"$(openssl rand -base64 32)\") named by secrets.existingSecret, or set secrets.encryptionKey, or mount a raw key file and set config.keyFile" }}
{{- end }}
{{- end }}

{{/* The data of the chart's Secret (YAML map, values base64-encoded); empty when nothing is stored. */}}
{{- define "dbbat.secretData" -}}
{{- if eq (include "dbbat.keySource" .) "inline" }}
DBB_KEY: {{ .Values.secrets.encryptionKey | b64enc | quote }}
{{- end }}
{{- with include "dbbat.literalDsn" . }}
DBB_DSN: {{ . | b64enc | quote }}
{{- end }}
{{- end }}

{{/* The data of the chart's ConfigMap: non-secret settings only. */}}
{{- define "dbbat.configData" -}}
{{- range (include "dbbat.listeners" . | fromJson).listeners }}
{{ .env }}: {{ .address | quote }}
{{- end }}
DBB_BASE_URL: {{ .Values.config.baseUrl | quote }}
DBB_LOG_LEVEL: {{ .Values.config.logLevel | quote }}
{{- with .Values.config.publicUrl }}
DBB_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- with .Values.config.runMode }}
DBB_RUN_MODE: {{ . | quote }}
{{- end }}
{{- with .Values.config.keyFile }}
DBB_KEYFILE: {{ . | quote }}
{{- end }}
{{- range $k, $v := .Values.config.env }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/*
The container's env: secrets by reference only. DB_PASSWORD comes before DBB_DSN, which refers to
it as $(DB_PASSWORD).
*/}}
{{- define "dbbat.env" -}}
{{- $s := .Values.secrets }}
{{- $chartSecret := include "dbbat.fullname" . }}
{{- $keySrc := include "dbbat.keySource" . }}
{{- $dsnSrc := include "dbbat.dsnSource" . }}
{{- if eq $keySrc "existing" }}
- name: DBB_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.keys.encryptionKey }}
{{- else if eq $keySrc "inline" }}
- name: DBB_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $chartSecret }}
      key: DBB_KEY
{{- end }}
{{- if eq $dsnSrc "partsSecret" }}
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.keys.databasePassword }}
- name: DBB_DSN
  value: {{ include "dbbat.partsDsn" (dict "root" . "password" "$(DB_PASSWORD)") | quote }}
{{- else if eq $dsnSrc "existing" }}
- name: DBB_DSN
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.keys.dsn }}
{{- else }}
- name: DBB_DSN
  valueFrom:
    secretKeyRef:
      name: {{ $chartSecret }}
      key: DBB_DSN
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Cross-value checks the schema cannot express. Included once, from deployment.yaml.
*/}}
{{- define "dbbat.validate" -}}
{{- $_ := include "dbbat.keySource" . }}
{{- $_ = include "dbbat.dsnSource" . }}
{{- $_ = include "dbbat.listeners" . }}
{{- if and .Values.config.runMode (not (has .Values.config.runMode (list "test" "demo"))) }}
{{- fail (printf "config.runMode: %q is not one of \"\", \"test\", \"demo\"" .Values.config.runMode) }}
{{- end }}
{{- /* Variables the chart sets itself: overriding them would desynchronise ports or leak secrets. */}}
{{- $managed := list "DBB_DSN" "DBB_KEY" "DBB_KEYFILE" "DB_PASSWORD" "DBB_LISTEN_PG" "DBB_LISTEN_API" "DBB_LISTEN_ORA" "DBB_LISTEN_MYSQL" "DBB_LISTEN_MONGO" "DBB_LISTEN_MSSQL" "DBB_BASE_URL" "DBB_LOG_LEVEL" "DBB_PUBLIC_URL" "DBB_RUN_MODE" }}
{{- range $k, $_ := .Values.config.env }}
{{- if has $k $managed }}
{{- fail (printf "config.env.%s: this variable is set by the chart from its own value (see the chart README), not through config.env" $k) }}
{{- end }}
{{- end }}
{{- range $i, $e := .Values.extraEnv }}
{{- if has $e.name $managed }}
{{- fail (printf "extraEnv[%d] (%s): this variable is set by the chart from its own value (see the chart README), not through extraEnv" $i $e.name) }}
{{- end }}
{{- end }}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- $sleep := int .Values.preStopSleepSeconds }}
{{- if le $grace (add $sleep 30) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed preStopSleepSeconds (%d) + 30 s, DBBat's own graceful shutdown: pods would be killed while draining connections" $grace $sleep) }}
{{- end }}
{{- $proxy := .Values.service.proxy }}
{{- if and (include "dbbat.isSet" $proxy.nodePort) (eq $proxy.type "ClusterIP") }}
{{- fail (printf "service.proxy.nodePort (%v) needs service.proxy.type NodePort or LoadBalancer, not ClusterIP" $proxy.nodePort) }}
{{- end }}
{{- if and $proxy.loadBalancerSourceRanges (ne $proxy.type "LoadBalancer") }}
{{- fail (printf "service.proxy.loadBalancerSourceRanges needs service.proxy.type LoadBalancer, not %s" $proxy.type) }}
{{- end }}
{{- $a := .Values.autoscaling }}
{{- if $a.enabled }}
{{- if gt (int $a.minReplicas) (int $a.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%v) is greater than autoscaling.maxReplicas (%v)" $a.minReplicas $a.maxReplicas) }}
{{- end }}
{{- if not (or (include "dbbat.isSet" $a.targetCPUUtilizationPercentage) (include "dbbat.isSet" $a.targetMemoryUtilizationPercentage)) }}
{{- fail "autoscaling.enabled: set autoscaling.targetCPUUtilizationPercentage or autoscaling.targetMemoryUtilizationPercentage, the HPA needs a metric" }}
{{- end }}
{{- end }}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if and $pdb.enabled (include "dbbat.isSet" $pdb.minAvailable) (include "dbbat.isSet" $pdb.maxUnavailable) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) and podDisruptionBudget.maxUnavailable (%v) are both set: Kubernetes accepts only one" $pdb.minAvailable $pdb.maxUnavailable) }}
{{- end }}
{{- end }}
