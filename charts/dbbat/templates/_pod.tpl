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
