{{/*
Secrets and environment: where the storage DSN and the encryption key come from, and the
environment the chart gives DBBat ("dbbat.envSpec", the one list of the variables the chart
manages, which the ConfigMap, the containers' env and the config.env/extraEnv checks all read).
*/}}

{{/*
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

{{/*
Every environment variable the chart manages, in the order the container gets them, as JSON
{"vars": [{name, from, in, value, secret, key}]}:
  from    the values that set it (named in the config.env/extraEnv refusals)
  in      "config": a ConfigMap entry (value); "secret": a secretKeyRef (secret "" is the chart's
          own Secret, key); "literal": a plain env value; "server": a plain env value of the
          server container only (the TLS files, mounted there alone); "": not set with these
          values, but still the chart's to set
Kubernetes expands $(VAR) only from variables defined before: DB_PASSWORD precedes DBB_DSN.
*/}}
{{- define "dbbat.envSpec" -}}
{{- $c := .Values.config }}
{{- $s := .Values.secrets }}
{{- $keySrc := include "dbbat.keySource" . }}
{{- $dsnSrc := include "dbbat.dsnSource" . }}
{{- $vars := list }}
{{- range (include "dbbat.listeners" . | fromJson).listeners }}
{{- $vars = append $vars (dict "name" .env "from" .path "in" "config" "value" .address) }}
{{- end }}
{{- $vars = append $vars (dict "name" "DBB_BASE_URL" "from" "config.baseUrl" "in" "config" "value" $c.baseUrl) }}
{{- $vars = append $vars (dict "name" "DBB_LOG_LEVEL" "from" "config.logLevel" "in" "config" "value" $c.logLevel) }}
{{- $vars = append $vars (dict "name" "DBB_PUBLIC_URL" "from" "config.publicUrl" "in" (ternary "config" "" (ne $c.publicUrl "")) "value" $c.publicUrl) }}
{{- $vars = append $vars (dict "name" "DBB_RUN_MODE" "from" "config.runMode" "in" (ternary "config" "" (ne $c.runMode "")) "value" $c.runMode) }}
{{- $vars = append $vars (dict "name" "DBB_KEYFILE" "from" "config.keyFile" "in" (ternary "config" "" (eq $keySrc "file")) "value" $c.keyFile) }}
{{- $key := dict "name" "DBB_KEY" "from" "secrets.encryptionKey or secrets.existingSecret" "in" "" }}
{{- if eq $keySrc "existing" }}
{{- $key = merge (dict "in" "secret" "secret" $s.existingSecret "key" $s.keys.encryptionKey) $key }}
{{- else if eq $keySrc "inline" }}
{{- $key = merge (dict "in" "secret" "secret" "" "key" "DBB_KEY") $key }}
{{- end }}
{{- $vars = append $vars $key }}
{{- $password := dict "name" "DB_PASSWORD" "from" "secrets.existingSecret (key secrets.keys.databasePassword)" "in" "" }}
{{- $dsn := dict "name" "DBB_DSN" "from" "postgresql.external or secrets.existingSecret" "in" "secret" "secret" "" "key" "DBB_DSN" }}
{{- if eq $dsnSrc "partsSecret" }}
{{- $password = merge (dict "in" "secret" "secret" $s.existingSecret "key" $s.keys.databasePassword) $password }}
{{- $dsn = merge (dict "in" "literal" "value" (include "dbbat.partsDsn" (dict "root" . "password" "$(DB_PASSWORD)"))) $dsn }}
{{- else if eq $dsnSrc "existing" }}
{{- $dsn = merge (dict "secret" $s.existingSecret "key" $s.keys.dsn) $dsn }}
{{- end }}
{{- $vars = append $vars $password }}
{{- $vars = append $vars $dsn }}
{{- $served := dict }}
{{- range (include "dbbat.tls" . | fromJson).tls }}
{{- $_ := set $served .key . }}
{{- end }}
{{- range (include "dbbat.tlsProtocols" . | fromJson).protocols }}
{{- $t := get $served .key | default dict }}
{{- $from := printf "tls.%s" .key }}
{{- $vars = append $vars (dict "name" (printf "DBB_%s_TLS_CERT_FILE" .env) "from" $from "in" (ternary "server" "" (hasKey $t "certFile")) "value" ($t.certFile | default "")) }}
{{- $vars = append $vars (dict "name" (printf "DBB_%s_TLS_KEY_FILE" .env) "from" $from "in" (ternary "server" "" (hasKey $t "keyFile")) "value" ($t.keyFile | default "")) }}
{{- end }}
{{- toJson (dict "vars" $vars) }}
{{- end }}

{{/* The data of the chart's ConfigMap: non-secret settings only, then config.env. */}}
{{- define "dbbat.configData" -}}
{{- range (include "dbbat.envSpec" . | fromJson).vars }}
{{- if eq .in "config" }}
{{ .name }}: {{ .value | quote }}
{{- end }}
{{- end }}
{{- range $k, $v := .Values.config.env }}
{{ $k }}: {{ $v | toString | quote }}
{{- end }}
{{- end }}

{{/*
A DBBat container's envFrom and env: (dict "root" $ "configMap" name "secret" name "server" bool),
where configMap holds "dbbat.configData" and secret "dbbat.secretData" (the chart's ConfigMap and
Secret, or the hook copies the migration Job reads); server adds the server container's own
variables. Secrets by reference only; extraEnv comes last.
*/}}
{{- define "dbbat.containerEnv" -}}
{{- $root := .root -}}
envFrom:
  - configMapRef:
      name: {{ .configMap }}
  {{- with $root.Values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
env:
  {{- range (include "dbbat.envSpec" $root | fromJson).vars }}
  {{- if eq .in "secret" }}
  - name: {{ .name }}
    valueFrom:
      secretKeyRef:
        name: {{ .secret | default $.secret }}
        key: {{ .key }}
  {{- else if or (eq .in "literal") (and (eq .in "server") $.server) }}
  - name: {{ .name }}
    value: {{ .value | quote }}
  {{- end }}
  {{- end }}
  {{- with $root.Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
