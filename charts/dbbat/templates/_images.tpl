{{/*
Images. Every container of the chart gets its image from "dbbat.image": the one place where the
tag and the digest are applied.
*/}}

{{- define "dbbat.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* repository:tag[@digest] */}}
{{- define "dbbat.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "dbbat.imageTag" .) }}
{{- with .Values.image.digest }}
{{- $ref = printf "%s@%s" $ref . }}
{{- end }}
{{- $ref }}
{{- end }}
