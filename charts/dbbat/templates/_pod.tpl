{{/*
Pod pieces shared by the chart's pods: the Deployment's, the migration Job's and the helm test's.
They all run the same image as the same non-root user under the same security contexts.
*/}}

{{- define "dbbat.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "dbbat.containerSecurityContext" -}}
{{- toYaml .Values.securityContext }}
{{- end }}

{{/*
checkov's skipped checks, each with its reason, as annotations of a workload: (dict "root" $
"oneShot" bool "barePod" bool). A one-shot pod (migrations, helm test) listens on nothing and
the NetworkPolicy, which guards the listeners, does not select it; a bare one-shot Pod (checkov
leaves Jobs alone there) has nothing for probes to check.
*/}}
{{- define "dbbat.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_43=The image is pinned by its release tag; set image.digest to pin by digest
checkov.io/skip2: CKV_K8S_15=Release tags are immutable, IfNotPresent avoids a registry round trip per pod; set image.pullPolicy to Always if needed
checkov.io/skip3: CKV_K8S_35=DBBat reads its key and DSN from environment variables only (or the key from config.keyFile)
{{- if .oneShot }}
checkov.io/skip4: CKV2_K8S_6=A one-shot pod listens on nothing (its only connection goes out, to the storage database), so no NetworkPolicy selects it
{{- else if not .root.Values.networkPolicy.enabled }}
checkov.io/skip4: CKV2_K8S_6=networkPolicy.enabled is opt-in, ingress controllers and load balancer clients differ per cluster
{{- end }}
{{- if .barePod }}
checkov.io/skip5: CKV_K8S_8=A helm test pod runs one command to completion and serves nothing, so there is no liveness to probe
checkov.io/skip6: CKV_K8S_9=A helm test pod runs one command to completion and serves nothing, so there is no readiness to probe
{{- end }}
{{- end }}

{{/*
The spec of a one-shot pod that runs `./dbbat <args>` once with the server's configuration:
(dict "root" $ "name" container "args" list "serviceAccount" name "configMap" name "secret" name).
Node selection and tolerations follow the server's (same node pools); affinity and topology
spread do not: rules written against the server pods could leave the one-shot pod unschedulable.
*/}}
{{- define "dbbat.oneShotPodSpec" -}}
{{- $v := .root.Values -}}
restartPolicy: Never
serviceAccountName: {{ .serviceAccount }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
securityContext:
  {{- include "dbbat.podSecurityContext" .root | nindent 2 }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: {{ .name }}
    image: {{ include "dbbat.image" .root | quote }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    command:
      {{- include "dbbat.command" .root | nindent 6 }}
    args:
      {{- toYaml .args | nindent 6 }}
    securityContext:
      {{- include "dbbat.containerSecurityContext" .root | nindent 6 }}
    {{- include "dbbat.containerEnv" (dict "root" .root "configMap" .configMap "secret" .secret "server" false) | nindent 4 }}
    {{- with $v.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      {{- include "dbbat.volumeMounts" (dict "root" .root "server" false) | nindent 6 }}
volumes:
  {{- include "dbbat.volumes" (dict "root" .root "server" false) | nindent 2 }}
{{- end }}

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
