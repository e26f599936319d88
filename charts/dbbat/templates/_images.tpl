{{/*
Images. Every container of the chart gets its image from "dbbat.image": the one place where the
tag, the digest and global.imageRegistry are applied.
*/}}

{{- define "dbbat.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/*
repository:tag[@digest]. With global.imageRegistry, the registry part of the repository (its
first path component when that holds a "." or a ":" or is "localhost", as Docker reads a
reference) is replaced by the mirror; a repository without one ("busybox") gets the mirror
prefixed. Tag and digest are kept: a mirror serves the same manifests.
*/}}
{{- define "dbbat.image" -}}
{{- $repo := .Values.image.repository }}
{{- with (.Values.global).imageRegistry }}
{{- $parts := splitList "/" $repo }}
{{- $first := first $parts }}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) }}
{{- $repo = rest $parts | join "/" }}
{{- end }}
{{- $repo = printf "%s/%s" (trimSuffix "/" .) $repo }}
{{- end }}
{{- $ref := printf "%s:%s" $repo (include "dbbat.imageTag" .) }}
{{- with .Values.image.digest }}
{{- $ref = printf "%s@%s" $ref . }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
The binary of the image: its CMD is ["./dbbat"] in WORKDIR /app, with no ENTRYPOINT, so a
container that passes arguments (the one-shot pods: "db migrate", "db status") must name the
binary itself, or the arguments would replace it. The server container keeps the image's CMD.
*/}}
{{- define "dbbat.command" -}}
- ./dbbat
{{- end }}
