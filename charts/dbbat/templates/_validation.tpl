{{/*
Validation: cross-value checks the schema cannot express, each failing with the value to fix.
*/}}

{{/* "true" when a scalar value is given: 0 counts, "" and null do not (truthiness would drop 0). */}}
{{- define "dbbat.isSet" -}}
{{- if not (or (kindIs "invalid" .) (and (kindIs "string" .) (eq . ""))) }}true{{ end }}
{{- end }}

{{/* Included once, from deployment.yaml. */}}
{{- define "dbbat.validate" -}}
{{- $_ := include "dbbat.keySource" . }}
{{- $_ = include "dbbat.dsnSource" . }}
{{- $_ = include "dbbat.listeners" . }}
{{- if and .Values.config.runMode (not (has .Values.config.runMode (list "test" "demo"))) }}
{{- fail (printf "config.runMode: %q is not one of \"\", \"test\", \"demo\"" .Values.config.runMode) }}
{{- end }}
{{- include "dbbat.validateEnv" . }}
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
{{- include "dbbat.validateDisruptionBudget" . }}
{{- include "dbbat.validateGateway" . }}
{{- end }}

{{/*
The routes' API version must be served by the cluster: TCPRoute is v1alpha2 in the experimental
channel of every Gateway API release and v1 from Gateway API 1.7, whose standard channel no longer
serves v1alpha2. Without a cluster (helm template), pass --api-versions or skip the check.
*/}}
{{- define "dbbat.validateGateway" -}}
{{- $g := .Values.gateway }}
{{- $_ := include "dbbat.tcpRoutes" . }}
{{- if and $g.tcpRoutes.enabled (not $g.skipCapabilityCheck) }}
{{- $want := $g.tcpRoutes.apiVersion }}
{{- if not (.Capabilities.APIVersions.Has (printf "%s/TCPRoute" $want)) }}
{{- $hint := "" }}
{{- range list "gateway.networking.k8s.io/v1" "gateway.networking.k8s.io/v1alpha2" }}
{{- if and (ne . $want) ($.Capabilities.APIVersions.Has (printf "%s/TCPRoute" .)) }}
{{- $hint = printf " The cluster serves TCPRoute %s: set gateway.tcpRoutes.apiVersion to it." . }}
{{- end }}
{{- end }}
{{- fail (printf "gateway.tcpRoutes.enabled: the cluster does not serve TCPRoute %s (gateway.tcpRoutes.apiVersion).%s Install the Gateway API CRDs that serve it (v1alpha2: the experimental channel), or, to render without a cluster, pass --api-versions %s/TCPRoute or set gateway.skipCapabilityCheck: true" $want $hint $want) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pods that a PDB value (an integer or "N%") stands for at n replicas: (list value n), rounded up as the disruption controller does. */}}
{{- define "dbbat.budgetPods" -}}
{{- $v := index . 0 }}
{{- $n := int (index . 1) }}
{{- if kindIs "string" $v }}
{{- div (add (mul (atoi (trimSuffix "%" $v)) $n) 99) 100 }}
{{- else }}
{{- int $v }}
{{- end }}
{{- end }}

{{/*
A PodDisruptionBudget that allows no eviction at the smallest scale the Deployment runs at
(replicaCount, or autoscaling.minReplicas with an HPA) makes every node drain wait forever:
refused unless podDisruptionBudget.allowBlockingDrains says it is meant.
*/}}
{{- define "dbbat.validateDisruptionBudget" -}}
{{- $pdb := .Values.podDisruptionBudget }}
{{- if $pdb.enabled }}
{{- if and (include "dbbat.isSet" $pdb.minAvailable) (include "dbbat.isSet" $pdb.maxUnavailable) }}
{{- fail (printf "podDisruptionBudget.minAvailable (%v) and podDisruptionBudget.maxUnavailable (%v) are both set: Kubernetes accepts only one" $pdb.minAvailable $pdb.maxUnavailable) }}
{{- end }}
{{- $scaleValue := ternary "autoscaling.minReplicas" "replicaCount" .Values.autoscaling.enabled }}
{{- $n := int (ternary .Values.autoscaling.minReplicas .Values.replicaCount .Values.autoscaling.enabled) }}
{{- $budget := "" }}
{{- $allowed := 0 }}
{{- if include "dbbat.isSet" $pdb.maxUnavailable }}
{{- $budget = printf "podDisruptionBudget.maxUnavailable (%v)" $pdb.maxUnavailable }}
{{- $allowed = include "dbbat.budgetPods" (list $pdb.maxUnavailable $n) | int }}
{{- else }}
{{- $min := 1 }}
{{- $budget = "podDisruptionBudget.minAvailable (1, used when neither minAvailable nor maxUnavailable is set)" }}
{{- if include "dbbat.isSet" $pdb.minAvailable }}
{{- $min = $pdb.minAvailable }}
{{- $budget = printf "podDisruptionBudget.minAvailable (%v)" $min }}
{{- end }}
{{- $allowed = sub $n (include "dbbat.budgetPods" (list $min $n) | int) }}
{{- end }}
{{- if and (gt $n 0) (lt (int $allowed) 1) (not $pdb.allowBlockingDrains) }}
{{- fail (printf "%s with %s %d allows no voluntary disruption: node drains (kubectl drain, node upgrades, cluster-autoscaler scale-down) would hang until someone deletes a DBBat pod by hand. Run more replicas than the budget keeps (raise %s), or lower podDisruptionBudget.minAvailable / set podDisruptionBudget.maxUnavailable to 1 or more, or set podDisruptionBudget.allowBlockingDrains: true to accept drains that need a manual pod deletion" $budget $scaleValue $n $scaleValue) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Variables the chart sets itself ("dbbat.envSpec"): overriding them would desynchronise ports or leak secrets. */}}
{{- define "dbbat.validateEnv" -}}
{{- $managed := dict }}
{{- range (include "dbbat.envSpec" . | fromJson).vars }}
{{- $_ := set $managed .name .from }}
{{- end }}
{{- range $k, $_ := .Values.config.env }}
{{- if hasKey $managed $k }}
{{- fail (printf "config.env.%s: this variable is set by the chart from %s (see the chart README), not through config.env" $k (get $managed $k)) }}
{{- end }}
{{- end }}
{{- range $i, $e := .Values.extraEnv }}
{{- if hasKey $managed $e.name }}
{{- fail (printf "extraEnv[%d] (%s): this variable is set by the chart from %s (see the chart README), not through extraEnv" $i $e.name (get $managed $e.name)) }}
{{- end }}
{{- end }}
{{- end }}
