{{/*
Listeners and ports. The container listens where config.listen* say; the container ports, probes
(by port name), Services and NetworkPolicy follow.
*/}}

{{/*
"dbbat.port" takes (list "value.path" "address") and returns the port number of ":8080",
"0.0.0.0:8080" or "[::]:8080", failing loudly on anything else.
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
The listeners as JSON {"listeners": [{name, env, path, address, port}]}; address "" means off
(no port then). The PostgreSQL and API listeners are always on. name is the container port's name.
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
The ports of the proxy Service as JSON {"ports": [{name, port}]}: postgres on service.proxy.port,
then every other protocol listener that is on, on its own port number (clients of MySQL,
MongoDB... expect the port they were given; there is one Service, so one number each).
*/}}
{{- define "dbbat.proxyPorts" -}}
{{- $ports := list (dict "name" "postgres" "port" (int .Values.service.proxy.port) "path" "service.proxy.port") }}
{{- range (include "dbbat.listeners" . | fromJson).listeners }}
{{- if and .address (not (has .name (list "http" "postgres"))) }}
{{- $l := . }}
{{- range $ports }}
{{- if eq (int .port) (int $l.port) }}
{{- fail (printf "%s: port %d is also %s on the proxy Service %s; give one of them another port" $l.path (int $l.port) .path (include "dbbat.proxyServiceName" $)) }}
{{- end }}
{{- end }}
{{- $ports = append $ports (dict "name" .name "port" (int .port) "path" .path) }}
{{- end }}
{{- end }}
{{- toJson (dict "ports" $ports) }}
{{- end }}

{{/*
The Gateway API TCPRoutes as JSON {"routes": [{listener, name, port, sectionName}]}: one per
protocol listener that is on, to its port on the proxy Service. Each route attaches to
gateway.parentRefs, narrowed to the Gateway listener gateway.tcpRoutes.sectionNames.<listener>
names: with several routes, each needs its own, or they would all bind the same Gateway listeners.
*/}}
{{- define "dbbat.tcpRoutes" -}}
{{- $g := .Values.gateway }}
{{- $sections := $g.tcpRoutes.sectionNames | default dict }}
{{- $routes := list }}
{{- if $g.tcpRoutes.enabled }}
{{- if not $g.parentRefs }}
{{- fail "gateway.tcpRoutes.enabled: set gateway.parentRefs to the Gateway(s) whose TCP listeners take the routes, e.g. [{name: tcp-gateway, namespace: gateway-system}]" }}
{{- end }}
{{- if not .Values.service.proxy.enabled }}
{{- fail "gateway.tcpRoutes.enabled: the routes lead to the proxy Service, but service.proxy.enabled is false" }}
{{- end }}
{{- $on := dict }}
{{- range (include "dbbat.proxyPorts" . | fromJson).ports }}
{{- $_ := set $on .name true }}
{{- $routes = append $routes (dict "listener" .name "port" .port "name" (include "dbbat.suffixedName" (list $ .name)) "sectionName" (get $sections .name)) }}
{{- end }}
{{- range $listener, $section := $sections }}
{{- if and $section (not (hasKey $on $listener)) }}
{{- fail (printf "gateway.tcpRoutes.sectionNames.%s: the %s listener is off, so there is no route to attach" $listener $listener) }}
{{- end }}
{{- end }}
{{- if gt (len $routes) 1 }}
{{- range $routes }}
{{- if not .sectionName }}
{{- fail (printf "gateway.tcpRoutes.sectionNames.%s: %d listeners are routed (%s) and each TCPRoute must attach to its own Gateway listener; name it (the Gateway listener's name) for every one of them" .listener (len $routes) (include "dbbat.routedListeners" $routes)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson (dict "routes" $routes) }}
{{- end }}

{{- define "dbbat.routedListeners" -}}
{{- $names := list }}
{{- range . }}{{ $names = append $names .listener }}{{ end }}
{{- join ", " $names }}
{{- end }}
