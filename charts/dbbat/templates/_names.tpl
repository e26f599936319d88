{{/*
Names and labels of every object the chart renders.
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

{{/*
The full name with a suffix, within 63 characters (Job names and cert-manager's
certificate-name label allow no more): (list . "suffix"). The full name is shortened, never the
suffix, so the names of one release stay distinct.
*/}}
{{- define "dbbat.suffixedName" -}}
{{- $suffix := index . 1 }}
{{- printf "%s-%s" (include "dbbat.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{/* The proxy Service: every protocol listener of the pods, PostgreSQL first. */}}
{{- define "dbbat.proxyServiceName" -}}
{{- include "dbbat.suffixedName" (list . "pg") }}
{{- end }}

{{- define "dbbat.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "dbbat.labels" -}}
helm.sh/chart: {{ include "dbbat.chart" . }}
{{ include "dbbat.selectorLabels" . }}
{{ include "dbbat.commonLabels" . }}
{{- end }}

{{/* The labels of every resource except the selector labels. */}}
{{- define "dbbat.commonLabels" -}}
app.kubernetes.io/version: {{ include "dbbat.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dbbat
{{- end }}

{{/* Labels that select the pods; never change them on upgrade (selectors are immutable). */}}
{{- define "dbbat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dbbat.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the one-shot pods (migrations, helm test) and their objects: (list . "component").
No app.kubernetes.io/name, so that the Deployment, the Services, the PodDisruptionBudget and the
NetworkPolicy, which all select name and instance, never pick a one-shot pod: it serves no
traffic and must not count as an available replica.
*/}}
{{- define "dbbat.oneShotLabels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "dbbat.chart" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{ include "dbbat.commonLabels" $root }}
{{- end }}

{{- define "dbbat.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dbbat.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The migration Job and its hook ConfigMap and Secret. */}}
{{- define "dbbat.migrationsName" -}}
{{- include "dbbat.suffixedName" (list . "migrate") }}
{{- end }}

{{/* The helm test pod. */}}
{{- define "dbbat.testName" -}}
{{- include "dbbat.suffixedName" (list . "test") }}
{{- end }}

{{/*
The migration Job's service account. Pre-install hooks run before any object of the release
exists, the chart's ServiceAccount included: a Job naming it would never start on a first
install. The Job needs no Kubernetes API access (no token is mounted), so it runs under the
namespace's "default" account, or under serviceAccount.name when the chart does not create it
(an account that exists before the install, with whatever identity it carries). A hook copy of
the chart's ServiceAccount would collide with the release's own, which has the same name.
*/}}
{{- define "dbbat.migrationsServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}default{{ else }}{{ include "dbbat.serviceAccountName" . }}{{ end }}
{{- end }}
