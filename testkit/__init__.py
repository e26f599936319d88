"""The project's test kit: what every test suite, the molecule scenario and the benchmarks share.

    paths     where the checkout, the pinned tools, the chart and the collection are; ``tool()``
    env       ``isolated_env()``: the one environment test processes run in (private HOME, XDG,
              Ansible temp, recording keychain stand-ins, the pinned tools first on PATH)
    proc      ``run()``: the one process runner, and its ``Result`` (Ansible recap helpers)
    pki       ``write_certificates()``: a throwaway CA with server and client certificates
    registry  a real OCI registry (Debian's docker-registry) and ``publish_with_module()``
    cluster   the local Kubernetes cluster (scripts/local-cluster.sh: real control plane, kwok
              nodes) with direct reads and writes, service-account tokens and the audit log
    fixtures  the pytest fixtures over all of the above (loaded by tests/conftest.py)
"""
