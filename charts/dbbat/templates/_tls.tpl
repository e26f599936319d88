{{/*
Proxy TLS. The PostgreSQL, MySQL, MongoDB and SQL Server listeners terminate TLS themselves,
from the PEM files DBB_<P>_TLS_CERT_FILE and DBB_<P>_TLS_KEY_FILE name, read at start (without
them DBBat makes a self-signed certificate clients cannot verify). tls.<p> provides the files
from an existing kubernetes.io/tls Secret, or from the Secret of a cert-manager Certificate the
chart renders; the Secret is mounted read-only at /etc/dbbat/tls/<p>.
*/}}

{{/* The protocols that take a certificate: tls.<key>, the listener (container port name), the variables' prefix. */}}
{{- define "dbbat.tlsProtocols" -}}
{{- toJson (dict "protocols" (list
  (dict "key" "pg" "listener" "postgres" "env" "PG")
  (dict "key" "mysql" "listener" "mysql" "env" "MYSQL")
  (dict "key" "mongo" "listener" "mongo" "env" "MONGO")
  (dict "key" "mssql" "listener" "mssql" "env" "MSSQL"))) }}
{{- end }}

{{/*
The certificates the pods serve, as JSON {"tls": [{key, listener, env, mode, secret, mountPath,
certFile, keyFile, dnsNames}]}, for each protocol where tls.<key> is set (mode "existingSecret"
or "certManager"); impossible combinations fail here, naming the value.
*/}}
{{- define "dbbat.tls" -}}
{{- $root := . }}
{{- $listeners := dict }}
{{- range (include "dbbat.listeners" . | fromJson).listeners }}
{{- $_ := set $listeners .name . }}
{{- end }}
{{- $out := list }}
{{- range (include "dbbat.tlsProtocols" . | fromJson).protocols }}
{{- $t := get $root.Values.tls .key }}
{{- $cm := $t.certManager }}
{{- $path := printf "tls.%s" .key }}
{{- if and $t.existingSecret $cm.enabled }}
{{- fail (printf "%s: existingSecret (%q) and certManager.enabled are both set, and the listener serves one certificate. Keep the existing Secret, or let cert-manager issue one (remove %s.existingSecret)" $path $t.existingSecret $path) }}
{{- end }}
{{- if or $t.existingSecret $cm.enabled }}
{{- $l := get $listeners .listener }}
{{- if not $l.address }}
{{- fail (printf "%s is set but %s is empty: that listener is off, so there is nothing to serve the certificate. Set %s, or remove %s" $path $l.path $l.path $path) }}
{{- end }}
{{- $mount := printf "/etc/dbbat/tls/%s" .key }}
{{- $entry := merge (dict "mountPath" $mount "certFile" (printf "%s/tls.crt" $mount) "keyFile" (printf "%s/tls.key" $mount)) . }}
{{- if $t.existingSecret }}
{{- $entry = merge (dict "mode" "existingSecret" "secret" $t.existingSecret) $entry }}
{{- else }}
{{- if not ($cm.issuerRef).name }}
{{- fail (printf "%s.certManager.issuerRef.name: the Certificate needs an issuer, e.g. {name: my-issuer} for an Issuer of the release namespace or {name: my-ca, kind: ClusterIssuer}" $path) }}
{{- end }}
{{- $dnsNames := $cm.dnsNames }}
{{- if not $dnsNames }}
{{- if not $root.Values.service.proxy.enabled }}
{{- fail (printf "%s.certManager.dnsNames: empty means the proxy Service's names, but service.proxy.enabled is false. List the names clients connect to" $path) }}
{{- end }}
{{- $svc := include "dbbat.proxyServiceName" $root }}
{{- $ns := $root.Release.Namespace }}
{{- $dnsNames = list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns $root.Values.clusterDomain) }}
{{- end }}
{{- $entry = merge (dict "mode" "certManager" "secret" (include "dbbat.suffixedName" (list $root (printf "%s-tls" .key))) "dnsNames" $dnsNames) $entry }}
{{- end }}
{{- $out = append $out $entry }}
{{- end }}
{{- end }}
{{- toJson (dict "tls" $out) }}
{{- end }}
