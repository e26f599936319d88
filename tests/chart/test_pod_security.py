"""The "restricted" Pod Security Standard, field by field (https://kubernetes.io/docs/concepts/security/pod-security-standards/)."""
import pytest

from tests.chart.render import CI_SETS, render

ALLOWED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                        "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}


def containers(spec):
    return spec.get("initContainers", []) + spec["containers"] + spec.get("ephemeralContainers", [])


def pods(r):
    """Every pod the chart renders: the Deployment's, the migration Job's and the helm test's."""
    found = [(o["kind"], o["spec"]["template"]) for o in r.objects if o["kind"] in ("Deployment", "Job")]
    found += [(o["kind"], o) for o in r.all("Pod")]
    return found


@pytest.mark.parametrize("values_file", CI_SETS)
def test_every_pod_is_restricted(helm, values_file):
    found = pods(render(helm, values_file))
    assert {kind for kind, _ in found} == {"Deployment", "Job", "Pod"}
    for _, pod in found:
        check_restricted(pod)


def check_restricted(pod):
    spec, psc = pod["spec"], pod["spec"].get("securityContext", {})
    # Baseline
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    for sysctl in psc.get("sysctls", []):
        assert sysctl["name"] in SAFE_SYSCTLS
    assert psc.get("seLinuxOptions", {}).get("type", "") in ("", "container_t", "container_init_t", "container_kvm_t")
    assert psc.get("appArmorProfile", {}).get("type", "RuntimeDefault") in ("RuntimeDefault", "Localhost")
    for annotation in pod["metadata"].get("annotations", {}):
        assert not annotation.startswith("container.apparmor.security.beta.kubernetes.io/")
    # Restricted: volume types
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        assert kinds <= ALLOWED_VOLUME_TYPES, f"volume {volume['name']} uses {kinds}"
    # Restricted: running as non-root, with a non-zero user, and the RuntimeDefault/Localhost seccomp profile
    assert psc.get("runAsUser", 1) != 0
    assert psc.get("seccompProfile", {}).get("type") in ("RuntimeDefault", "Localhost")
    for c in containers(spec):
        sc = c.get("securityContext", {})
        name = c["name"]
        assert not sc.get("privileged"), name
        assert sc.get("allowPrivilegeEscalation") is False, name
        assert sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, name
        assert sc.get("runAsUser", 1) != 0, name
        seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
        assert seccomp in ("RuntimeDefault", "Localhost"), name
        caps = sc.get("capabilities", {})
        assert "ALL" in caps.get("drop", []), name
        assert set(caps.get("add", [])) <= {"NET_BIND_SERVICE"}, name
        assert sc.get("procMount", "Default") == "Default", name
        assert sc.get("seLinuxOptions", {}).get("type", "") in ("", "container_t", "container_init_t",
                                                                 "container_kvm_t"), name
        assert sc.get("appArmorProfile", {}).get("type", "RuntimeDefault") in ("RuntimeDefault", "Localhost"), name
        assert sc.get("windowsOptions", {}).get("hostProcess") is not True, name
        for port in c.get("ports", []):
            assert not port.get("hostPort"), name
        # Beyond the standard: the chart's own hardening
        assert sc.get("readOnlyRootFilesystem") is True, name
    assert spec["automountServiceAccountToken"] is False
