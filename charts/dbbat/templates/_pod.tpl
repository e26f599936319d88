{{/*
Pod pieces shared by the chart's pods: the Deployment's, the migration Job's and the helm test's.
*/}}

{{/*
topologySpreadConstraints of the server pods: the user's when set; else, with more than one
replica (or an HPA), a soft spread (ScheduleAnyway: never a reason to leave a pod Pending) over
defaultTopologySpread.topologyKeys. matchLabelKeys pod-template-hash counts the pods of the
current ReplicaSet only, so a rollout spreads the new pods too.
*/}}
{{- define "dbbat.topologySpreadConstraints" -}}
{{- $d := .Values.defaultTopologySpread }}
{{- if .Values.topologySpreadConstraints }}
{{- toYaml .Values.topologySpreadConstraints }}
{{- else if and $d.enabled (or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1)) }}
{{- range $d.topologyKeys }}
- maxSkew: {{ $d.maxSkew }}
  topologyKey: {{ . }}
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "dbbat.selectorLabels" $ | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
{{- end }}
{{- end }}
{{- end }}

{{/* Volume mounts of a DBBat container: (dict "root" $ "server" bool); the TLS Secrets only in the server. */}}
{{- define "dbbat.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .server }}
{{- range (include "dbbat.tls" .root | fromJson).tls }}
- name: tls-{{ .key }}
  mountPath: {{ .mountPath }}
  readOnly: true
{{- end }}
{{- end }}
{{- with .root.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Volumes of a DBBat pod: (dict "root" $ "server" bool). The TLS Secrets are mounted 0440: the
files belong to the pod's fsGroup (podSecurityContext), which the non-root user is in.
*/}}
{{- define "dbbat.volumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    {{- with $v.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- if .server }}
{{- range (include "dbbat.tls" .root | fromJson).tls }}
- name: tls-{{ .key }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
{{- end }}
{{- with $v.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
