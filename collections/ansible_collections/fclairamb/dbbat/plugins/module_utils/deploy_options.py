# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The options of the role fclairamb.dbbat.deploy, each declared once.

scripts/role-options.py generates from this file the role's meta/argument_specs.yml (what
ansible-doc and the role's argument validation read), defaults/main.yml, the inputs block of
vars/main.yml and the options table of README.md; ``scripts/role-options.py --check`` (run by
tests/deploy/test_role_spec.py) fails when one of them is out of step. deploy_inputs reads the
value rules at run time. Pure data: no import, so that the script loads it by path.

Each option:
  name, type, default, description (the main entry point's), and as Ansible's argument specs
  have them: elements, choices, no_log, options (sub-options);
  entry_points: the role's entry points that take it, each with its own description or None
    for the one above;
  section and comment: where defaults/main.yml puts it, and a comment above it;
  value: the chart value it sets. ``path`` (dotted); ``when``: the options that must all be
    set (true, non-empty) for the value to be rendered, by default the option itself ([] for
    always); ``how``: a converter of deploy_inputs for values that are not the option's value
    as its type makes it (int, bool, str);
  readme_default, readme_value: the README table's cells when they say more than the default
    and the chart value path; readme_after: a row of the table after the option's.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# One listener of dbbat_proxy_tls (the same options for each listener).
_TLS_LISTENER = (
    {'description': 'The certificate of this listener.',
     'type': 'dict',
     'mutually_exclusive': [['secret', 'issuer']],
     'options': {'secret': {'description': 'An existing C(kubernetes.io/tls) Secret (chart value '
                                           'C(tls.<listener>.existingSecret)).',
                            'type': 'str'},
                 'issuer': {'description': 'A cert-manager issuer that issues it (chart value '
                                           'C(tls.<listener>.certManager)).',
                            'type': 'str'},
                 'issuer_kind': {'description': 'C(Issuer) (in the namespace), C(ClusterIssuer) or an external '
                                                "issuer's kind.",
                                 'type': 'str',
                                 'default': 'Issuer'},
                 'issuer_group': {'description': 'API group of the issuer.',
                                  'type': 'str',
                                  'default': 'cert-manager.io'},
                 'dns_names': {'description': "DNS names of the certificate; empty means the proxy Service's "
                                              'names.',
                               'type': 'list',
                               'elements': 'str',
                               'default': []},
                 'duration': {'description': 'Requested lifetime, a Go duration such as V(2160h); empty leaves '
                                             'it to cert-manager.',
                              'type': 'str',
                              'default': ''}}}
)

ENTRY_POINTS = (
    {'backup_key': {'short_description': "Back up the Secret of DBBat's encryption key to a vault-encrypted file",
                    'description': ['Reads the Secret O(dbbat_secret_name) in O(dbbat_namespace), all its keys '
                                    '(C(DBB_KEY), the encryption key, and C(DBB_DSN), the storage DSN, at '
                                    'least), and writes them to O(dbbat_backup_file), encrypted with Ansible '
                                    'Vault (the C(ansible.builtin.vault) filter) under the vault id '
                                    'O(dbbat_backup_vault_id) with the password in '
                                    'O(dbbat_backup_vault_password_file). Values are kept as the API returns '
                                    'them (base64), so that a restore gives the same bytes back. The file also '
                                    'records the namespace, the Secret, the release and the time of the backup.',
                                    'Refuses a Secret that does not exist or lacks C(DBB_KEY). The clear data '
                                    'never reaches disk nor output (every task that holds it is C(no_log); the '
                                    'content is encrypted before it is written, mode 0600).',
                                    'An existing file holding the same data is left alone (C(changed=0)); one '
                                    'holding other data (another key, another Secret) or that this password '
                                    'cannot open is kept unless O(dbbat_backup_overwrite=true), as it may be the '
                                    'only copy of a key.',
                                    'Open the file with C(ansible-vault view --vault-id ID@PASSWORD_FILE FILE). '
                                    'Entry point of C(playbooks/backup-key.yml); restore with the C(restore_key) '
                                    'entry point.'],
                    'author': ['Florent Clairambault (@fclairamb)']},
     'restore_key': {'short_description': "Restore the Secret of DBBat's encryption key from a backup file",
                     'description': ['Decrypts O(dbbat_backup_file), made by the C(backup_key) entry point (the '
                                     'C(ansible.builtin.unvault) filter, with the same password file and vault '
                                     'id), and writes its data to the Secret O(dbbat_secret_name) in '
                                     'O(dbbat_namespace), which may be another namespace or cluster than the one '
                                     'backed up (disaster recovery). Creates the namespace when it does not '
                                     'exist (with O(dbbat_namespace_labels) and O(dbbat_namespace_annotations)), '
                                     'by server-side apply through C(fclairamb.dbbat.namespace_and_secret).',
                                     "Refuses to replace a Secret whose C(DBB_KEY) differs from the backup's "
                                     '(the key-loss guard of the deploy: a new key makes stored credentials and '
                                     'the audit chain unreadable) unless O(dbbat_allow_key_rotation=true). A '
                                     "Secret that already holds the backup's data is left alone: C(changed=0), "
                                     'no write.',
                                     'A wrong password, or a file that is not such a backup, stops the run '
                                     'before anything is written. Nothing of the data is shown (C(no_log); only '
                                     'key names and fingerprints are compared).',
                                     'Entry point of C(playbooks/restore-key.yml).'],
                     'author': ['Florent Clairambault (@fclairamb)']},
     'drift': {'short_description': "Report what changed in DBBat's objects since the release was deployed",
               'description': ['Compares the objects of the Helm release O(dbbat_release_name), as its current '
                               'record describes them, with the cluster (C(fclairamb.dbbat.release_drift), the '
                               "API server's dry run of applying them again) and lists, per object, the fields "
                               'whose values differ and the objects that are gone. Fields that only others set '
                               '(a label added by hand) are not drift, since a deploy would leave them too. '
                               'Values of Secrets are never shown.',
                               'With O(dbbat_drift_fail=true) (the default, for a scheduled job), the run fails '
                               'with the list when something drifted; otherwise it only reports. It never '
                               'changes anything (C(changed=0)).',
                               'Entry point of C(playbooks/drift.yml).'],
               'author': ['Florent Clairambault (@fclairamb)']},
     'main': {'short_description': 'Deploy DBBat to Kubernetes with its Helm chart',
              'description': ['Installs, upgrades or removes the DBBat Helm release in one namespace of one '
                              'cluster.',
                              'Runs preflight checks before anything is written, ensures the namespace, writes '
                              '(or checks) the Secret holding the encryption key and the storage DSN, renders '
                              'the chart values in one place, deploys with kubernetes.core.helm (wait, rollback '
                              'on failure) and waits for the rollout.',
                              'The chart always reads its secrets from O(dbbat_secret_name) (chart value '
                              'C(secrets.existingSecret)), so no secret ever enters Helm values or release '
                              'history.',
                              'Cluster access comes from O(dbbat_kubeconfig)/O(dbbat_kube_context), or from the '
                              "C(K8S_AUTH_*) environment variables that AWX's OpenShift/Kubernetes API bearer "
                              'token credential sets.'],
              'author': ['Florent Clairambault (@fclairamb)']},
     'rollback': {'short_description': 'Roll DBBat back to an earlier revision of its release',
                  'description': ['Used by C(playbooks/rollback.yml) (C(tasks_from=rollback)). Shows what will '
                                  'change (revision, chart and DBBat versions, chart values), then rolls the '
                                  'release back with P(fclairamb.dbbat.release_rollback#module) and waits for '
                                  'it.',
                                  'DBBat migrates its storage schema forward only. A revision that runs an older '
                                  "DBBat than the newest the release ran is refused, as the database's schema "
                                  'may be ahead, unless O(dbbat_rollback_allow_schema_downgrade).'],
                  'author': ['Florent Clairambault (@fclairamb)']}}
)

OPTIONS = (
    [{'name': 'dbbat_state',
      'section': 'what and where',
      'type': 'str',
      'choices': ['present', 'absent'],
      'default': 'present',
      'description': ['V(present) installs or upgrades the release, V(absent) uninstalls it.',
                      'Removal keeps the Secret and the namespace unless O(dbbat_remove_secret) and '
                      'O(dbbat_remove_namespace) say otherwise, as the Secret holds the key to the data.'],
      'entry_points': {'main': None},
      'readme_value': '(install/upgrade or uninstall)'},
     {'name': 'dbbat_release_name',
      'section': 'what and where',
      'type': 'str',
      'default': 'dbbat',
      'description': ["Name of the Helm release, at most 53 characters (Helm's limit), lowercase letters, "
                      "digits, '-' and '.' (a DNS-1123 subdomain)."],
      'entry_points': {'backup_key': 'Name of the Helm release, recorded in the backup.',
                       'restore_key': 'Name of the Helm release of the namespace (the Secret is labelled with it '
                                      'by the backup).',
                       'drift': 'Name of the Helm release to compare.',
                       'main': None,
                       'rollback': 'Name of the Helm release.'},
      'readme_value': '(Helm release name)'},
     {'name': 'dbbat_namespace',
      'section': 'what and where',
      'type': 'str',
      'default': 'dbbat',
      'description': ['Namespace of the release and of the Secret, a DNS-1123 label (at most 63 lowercase '
                      "letters, digits and '-'). The role creates it when missing (see "
                      'O(dbbat_namespace_managed)).'],
      'entry_points': {'backup_key': 'Namespace of the Secret to back up.',
                       'restore_key': 'Namespace to restore the Secret into (created when missing).',
                       'drift': 'Namespace of the release.',
                       'main': None,
                       'rollback': 'Namespace of the release.'},
      'readme_value': '(release namespace)'},
     {'name': 'dbbat_namespace_managed',
      'section': 'what and where',
      'type': 'bool',
      'default': True,
      'description': ['Whether the role makes sure the namespace exists with O(dbbat_namespace_labels) and '
                      'O(dbbat_namespace_annotations). It reads the namespace first and writes it only when it '
                      'is missing or lacks one of them, so a deploy user that may only C(get) its namespace (the '
                      'example RBAC in C(roles/deploy/files/rbac/namespaced-deployer.yml)) can run the role.',
                      'V(false) for a deploy user that may not even read its namespace. The role then neither '
                      "reads nor writes it, and the namespace, its labels included, is the cluster admins' job."],
      'entry_points': {'restore_key': ['Create the namespace when it does not exist. V(false) leaves namespaces '
                                       'to the cluster admins (the restore then stops when it does not exist).'],
                       'main': None},
      'readme_value': '(read the namespace, write it when it lacks a label or annotation)'},
     {'name': 'dbbat_namespace_labels',
      'section': 'what and where',
      'type': 'dict',
      'default': {'pod-security.kubernetes.io/enforce': 'restricted'},
      'description': ['Labels set on the namespace, for example the Pod Security admission level.'],
      'entry_points': {'restore_key': 'Labels of a namespace the restore creates, for example the Pod Security '
                                      'admission level.',
                       'main': None},
      'readme_value': '(namespace labels)'},
     {'name': 'dbbat_namespace_annotations',
      'section': 'what and where',
      'type': 'dict',
      'default': {},
      'description': 'Annotations set on the namespace.',
      'entry_points': {'restore_key': 'Annotations of a namespace the restore creates.', 'main': None},
      'readme_value': '(namespace annotations)'},
     {'name': 'dbbat_chart_ref',
      'section': 'the chart',
      'type': 'str',
      'default': 'oci://ghcr.io/fclairamb/charts/dbbat',
      'description': ['The chart, as an OCI reference (C(oci://host/path/dbbat)) or a local chart path.'],
      'entry_points': {'main': None},
      'readme_value': '(chart)'},
     {'name': 'dbbat_chart_version',
      'section': 'the chart',
      'type': 'str',
      'default': '',
      'description': ['The exact chart version to deploy, a Semantic Versioning 2 version such as C(1.0.0) (the '
                      'P(fclairamb.dbbat.chart_version#test) test). Required when O(dbbat_state=present); '
                      'ranges, C(latest) and a leading C(v) are refused so that every run of an inventory '
                      'deploys the same thing.'],
      'entry_points': {'main': None},
      'readme_default': '`""`, required',
      'readme_value': '(chart version, exact)'},
     {'name': 'dbbat_image_repository',
      'section': 'the chart',
      'type': 'str',
      'default': '',
      'description': "Container image repository (chart value C(image.repository)). Empty keeps the chart's.",
      'entry_points': {'main': None},
      'value': {'path': 'image.repository'},
      'readme_default': '`""` (chart\'s)'},
     {'name': 'dbbat_image_tag',
      'section': 'the chart',
      'type': 'str',
      'default': '',
      'description': "Container image tag (chart value C(image.tag)). Empty means the chart's appVersion.",
      'entry_points': {'main': None},
      'value': {'path': 'image.tag'},
      'readme_default': '`""` (appVersion)'},
     {'name': 'dbbat_helm_binary',
      'section': 'the chart',
      'type': 'str',
      'default': '',
      'description': 'Path of the helm binary (Helm 3.8+ or Helm 4). Empty uses C(helm) from PATH.',
      'entry_points': {'main': None, 'rollback': 'Path of the helm binary; empty means the first helm on PATH.'},
      'readme_default': '`""` (PATH)',
      'readme_value': '(helm binary)'},
     {'name': 'dbbat_wait_timeout',
      'section': 'the chart',
      'type': 'int',
      'default': 660,
      'description': ['Seconds Helm waits for each step of a deploy (C(--wait --timeout)), the migration Job '
                      'first (chart value C(migrations.job.activeDeadlineSeconds), 600 by default, a little less '
                      "so that Helm sees the Job's own failure) and then the rollout."],
      'entry_points': {'main': None, 'rollback': 'Seconds Helm waits for the rollback.'},
      'readme_value': '(helm `--timeout` for the migration Job and the rollout, seconds)'},
     {'name': 'dbbat_run_tests',
      'section': 'the chart',
      'type': 'bool',
      'default': True,
      'description': ["After a run that deployed, run the chart's test with "
                      'P(fclairamb.dbbat.release_test#module) (C(helm test)). The test is the DBBat image '
                      "running C(dbbat db status) with the release's configuration, which fails when the pods "
                      "cannot reach the storage database with their DSN and key. A failure shows the test pod's "
                      'exit code and the last lines of its log.'],
      'entry_points': {'main': None},
      'readme_value': '(run `helm test` after a deploy)'},
     {'name': 'dbbat_helm_force_conflicts',
      'section': 'the chart',
      'type': 'bool',
      'default': False,
      'description': ["With Helm 4 (server-side apply), take back the fields of the release's objects that "
                      'another field manager changed (for example C(kubectl scale) or C(kubectl edit)); the '
                      'change made outside the inventory is overwritten. Without it, such a deploy stops and the '
                      'role names the fields and who changed them. Not available with Helm 3, which overwrites '
                      'them without asking.'],
      'entry_points': {'main': None},
      'readme_value': '(Helm 4: take back fields changed outside the inventory)'},
     {'name': 'dbbat_recover_pending_release',
      'section': 'the chart',
      'type': 'bool',
      'default': False,
      'description': ['Recover, on purpose, a release that an interrupted run left C(pending-install), '
                      'C(pending-upgrade) or C(pending-rollback) (Helm then refuses every operation with '
                      '"another operation is in progress"). The role rolls it back to its last deployed '
                      'revision, or uninstalls it when it never deployed (the Secret stays), then deploys.',
                      'Without it, preflight stops and says what happened and how to recover.',
                      'Make sure no other deploy of this release is running.'],
      'entry_points': {'main': None},
      'readme_value': '(roll back or uninstall a release left pending, then deploy)'},
     {'name': 'dbbat_registry_username',
      'section': 'chart registry credentials (OCI)',
      'type': 'str',
      'default': '',
      'description': "Username for the chart's OCI registry. Empty means anonymous pulls.",
      'entry_points': {'main': None},
      'readme_value': '(registry login)'},
     {'name': 'dbbat_registry_password',
      'section': 'chart registry credentials (OCI)',
      'type': 'str',
      'default': '',
      'no_log': True,
      'description': ["Password or token for the chart's OCI registry (keep it in Ansible Vault).",
                      'The login goes to a temporary registry config that is deleted at the end of the run.'],
      'entry_points': {'main': None},
      'readme_value': '(registry login)'},
     {'name': 'dbbat_registry_plain_http',
      'section': 'chart registry credentials (OCI)',
      'type': 'bool',
      'default': False,
      'description': 'Talk to the chart registry over plain HTTP (a local or lab registry).',
      'entry_points': {'main': None},
      'readme_value': '(registry transport)'},
     {'name': 'dbbat_registry_ca_file',
      'section': 'chart registry credentials (OCI)',
      'type': 'str',
      'default': '',
      'description': "CA certificate file that signs the chart registry's TLS certificate.",
      'entry_points': {'main': None},
      'readme_value': '(registry transport)'},
     {'name': 'dbbat_registry_mirror',
      'section': 'chart registry credentials (OCI)',
      'type': 'str',
      'default': '',
      'description': ['Registry mirror for air-gapped sites, as V(HOST[:PORT]) or V(HOST[:PORT]/PATH). The chart '
                      'is pulled from it (the host of an C(oci://) O(dbbat_chart_ref) is replaced, its path '
                      'kept, so V(oci://ghcr.io/fclairamb/charts/dbbat) becomes '
                      'C(oci://MIRROR/fclairamb/charts/dbbat)) and every image the chart renders comes from it '
                      '(chart value C(global.imageRegistry)).',
                      'O(dbbat_registry_username), O(dbbat_registry_password), O(dbbat_registry_ca_file) and '
                      'O(dbbat_registry_plain_http) then apply to the mirror. Pods pull their images with the '
                      "node's own registry credentials."],
      'entry_points': {'main': None},
      'value': {'path': 'global.imageRegistry', 'how': 'strip_slash'},
      'readme_value': "`global.imageRegistry`, and the chart's registry host"},
     {'name': 'dbbat_kubeconfig',
      'section': "cluster connection (empty = current context, or AWX's K8S_AUTH_* variables)",
      'type': 'str',
      'default': '',
      'description': ['Path of the kubeconfig file. Empty uses C(KUBECONFIG) or C(~/.kube/config), or the '
                      'C(K8S_AUTH_HOST)/C(K8S_AUTH_API_KEY)/C(K8S_AUTH_SSL_CA_CERT) variables set by AWX.'],
      'entry_points': {'backup_key': None,
                       'restore_key': None,
                       'drift': None,
                       'main': None,
                       'rollback': 'Kubeconfig file; empty means KUBECONFIG, ~/.kube/config or the K8S_AUTH_* '
                                   'variables.'},
      'readme_value': '(cluster connection)'},
     {'name': 'dbbat_kube_context',
      'section': "cluster connection (empty = current context, or AWX's K8S_AUTH_* variables)",
      'type': 'str',
      'default': '',
      'description': 'Context of the kubeconfig to use. Empty uses the current context.',
      'entry_points': {'backup_key': None,
                       'restore_key': None,
                       'drift': None,
                       'main': None,
                       'rollback': 'Context of the kubeconfig; empty means its current one.'},
      'readme_value': '(cluster connection)'},
     {'name': 'dbbat_db_dsn',
      'section': 'storage database',
      'type': 'str',
      'default': '',
      'no_log': True,
      'description': ['Full storage database DSN (C(postgres://user:password@host:5432/dbbat?sslmode=require)). '
                      'Takes precedence over the O(dbbat_db_host) parts. A secret, to keep in Ansible Vault.',
                      'Only used when O(dbbat_secret_managed=true).'],
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN` (chart reads `secrets.keys.dsn`)'},
     {'name': 'dbbat_db_host',
      'section': 'storage database',
      'type': 'str',
      'default': '',
      'description': 'Storage database host, used to build the DSN when O(dbbat_db_dsn) is empty.',
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_db_port',
      'section': 'storage database',
      'type': 'int',
      'default': 5432,
      'description': 'Storage database port.',
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_db_name',
      'section': 'storage database',
      'type': 'str',
      'default': 'dbbat',
      'description': 'Storage database name.',
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_db_user',
      'section': 'storage database',
      'type': 'str',
      'default': 'dbbat',
      'description': 'Storage database user.',
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_db_password',
      'section': 'storage database',
      'type': 'str',
      'default': '',
      'no_log': True,
      'description': ['Storage database password (keep it in Ansible Vault). The role URL-escapes it into the '
                      'DSN it writes to the Secret.'],
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_db_sslmode',
      'section': 'storage database',
      'type': 'str',
      'choices': ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'],
      'default': 'require',
      'description': "C(sslmode) of the storage connection, one the program's driver knows.",
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_DSN`, built by the role'},
     {'name': 'dbbat_encryption_key',
      'section': 'the Secret (encryption key and storage DSN)',
      'type': 'str',
      'default': '',
      'no_log': True,
      'description': ['The AES-256 key, standard base64 of exactly 32 bytes (C(openssl rand -base64 32)), as the '
                      'P(fclairamb.dbbat.encryption_key#test) test checks it. Keep it in Ansible Vault and back '
                      'it up, as losing or changing it makes every stored credential and the audit chain '
                      'unreadable.',
                      'Required when O(dbbat_secret_managed=true).'],
      'entry_points': {'main': None},
      'readme_value': 'Secret `DBB_KEY`'},
     {'name': 'dbbat_secret_name',
      'section': 'the Secret (encryption key and storage DSN)',
      'type': 'str',
      'default': 'dbbat-secrets',
      'description': ['Name of the Secret the chart reads (C(secrets.existingSecret)). It holds C(DBB_KEY) and '
                      "C(DBB_DSN). A DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.')."],
      'entry_points': {'backup_key': 'Name of the Secret to back up (the one the chart reads, '
                                     'C(secrets.existingSecret)).',
                       'restore_key': 'Name of the Secret to write (the one the chart reads, '
                                      'C(secrets.existingSecret)).',
                       'main': None},
      'value': {'path': 'secrets.existingSecret', 'when': []}},
     {'name': 'dbbat_secret_managed',
      'section': 'the Secret (encryption key and storage DSN)',
      'type': 'bool',
      'default': True,
      'description': ['V(true) the role writes the Secret from O(dbbat_encryption_key) and the storage database '
                      'variables.',
                      'V(false) the Secret is managed elsewhere (External Secrets, sealed-secrets, a person), '
                      'and the role only checks that it exists, holds C(DBB_KEY) and C(DBB_DSN), and that '
                      'C(DBB_KEY) is base64 of 32 bytes, and fails before deploying if not.'],
      'entry_points': {'main': None},
      'readme_value': '(role writes the Secret, or only checks it)'},
     {'name': 'dbbat_allow_key_rotation',
      'section': 'the Secret (encryption key and storage DSN)',
      'type': 'bool',
      'default': False,
      'description': ['Allow the role to replace a C(DBB_KEY) already in the Secret by a different '
                      'O(dbbat_encryption_key). Off by default, as a new key makes every stored credential and '
                      'the audit chain unreadable.'],
      'entry_points': {'restore_key': ["Replace a C(DBB_KEY) already in the Secret by the backup's different "
                                       'one. Off by default, as a new key makes every stored credential and the '
                                       'audit chain unreadable.'],
                       'main': None},
      'readme_value': '(key-loss guard)',
      'readme_after': '| (Secret data) | | `podAnnotations."dbbat.fclairamb.github.io/secret-sha256"` |'},
     {'name': 'dbbat_replicas',
      'section': 'scale',
      'type': 'int',
      'default': 1,
      'description': 'Number of pods (chart value C(replicaCount)) when autoscaling is off.',
      'entry_points': {'main': None},
      'value': {'path': 'replicaCount', 'when': []}},
     {'name': 'dbbat_autoscaling_enabled',
      'section': 'scale',
      'type': 'bool',
      'default': False,
      'description': 'Create a HorizontalPodAutoscaler (chart value C(autoscaling.enabled)).',
      'entry_points': {'main': None},
      'value': {'path': 'autoscaling.enabled'}},
     {'name': 'dbbat_autoscaling_min_replicas',
      'section': 'scale',
      'type': 'int',
      'default': 2,
      'description': 'Lower bound of the autoscaler.',
      'entry_points': {'main': None},
      'value': {'path': 'autoscaling.minReplicas', 'when': ['dbbat_autoscaling_enabled']}},
     {'name': 'dbbat_autoscaling_max_replicas',
      'section': 'scale',
      'type': 'int',
      'default': 5,
      'description': 'Upper bound of the autoscaler.',
      'entry_points': {'main': None},
      'value': {'path': 'autoscaling.maxReplicas', 'when': ['dbbat_autoscaling_enabled']}},
     {'name': 'dbbat_autoscaling_target_cpu',
      'section': 'scale',
      'type': 'int',
      'default': 70,
      'description': 'Target average CPU utilisation, in percent, of the autoscaler.',
      'entry_points': {'main': None},
      'value': {'path': 'autoscaling.targetCPUUtilizationPercentage', 'when': ['dbbat_autoscaling_enabled']}},
     {'name': 'dbbat_pdb_enabled',
      'section': 'scale',
      'type': 'bool',
      'default': False,
      'description': 'Create a PodDisruptionBudget (chart value C(podDisruptionBudget.enabled)).',
      'entry_points': {'main': None},
      'value': {'path': 'podDisruptionBudget.enabled'}},
     {'name': 'dbbat_pdb_min_available',
      'section': 'scale',
      'type': 'int',
      'default': 1,
      'description': 'C(minAvailable) of the PodDisruptionBudget.',
      'entry_points': {'main': None},
      'value': {'path': 'podDisruptionBudget.minAvailable', 'when': ['dbbat_pdb_enabled']}},
     {'name': 'dbbat_pdb_allow_blocking_drains',
      'section': 'scale',
      'type': 'bool',
      'default': False,
      'description': ['Accept a disruption budget that allows no eviction at the smallest scale (for example one '
                      'replica with O(dbbat_pdb_min_available) 1). The chart refuses one otherwise, as node '
                      'drains would hang until a pod is deleted by hand (chart value '
                      'C(podDisruptionBudget.allowBlockingDrains)).'],
      'entry_points': {'main': None},
      'value': {'path': 'podDisruptionBudget.allowBlockingDrains',
                'when': ['dbbat_pdb_enabled', 'dbbat_pdb_allow_blocking_drains']}},
     {'name': 'dbbat_resources',
      'section': 'scale',
      'type': 'dict',
      'default': {},
      'description': "Container resources (chart value C(resources)). Empty keeps the chart's.",
      'entry_points': {'main': None},
      'value': {'path': 'resources'},
      'readme_default': "`{}` (chart's)"},
     {'name': 'dbbat_proxy_service_type',
      'section': 'exposure',
      'type': 'str',
      'choices': ['ClusterIP', 'NodePort', 'LoadBalancer'],
      'default': 'ClusterIP',
      'description': 'Type of the PostgreSQL proxy Service (chart value C(service.proxy.type)).',
      'entry_points': {'main': None},
      'value': {'path': 'service.proxy.type', 'when': []}},
     {'name': 'dbbat_proxy_service_annotations',
      'section': 'exposure',
      'type': 'dict',
      'default': {},
      'description': 'Annotations of the proxy Service, for example cloud load balancer settings.',
      'entry_points': {'main': None},
      'value': {'path': 'service.proxy.annotations'}},
     {'name': 'dbbat_proxy_load_balancer_source_ranges',
      'section': 'exposure',
      'type': 'list',
      'elements': 'str',
      'default': [],
      'description': 'CIDRs allowed to reach a C(LoadBalancer) proxy Service.',
      'entry_points': {'main': None},
      'value': {'path': 'service.proxy.loadBalancerSourceRanges'}},
     {'name': 'dbbat_ingress_enabled',
      'section': 'exposure',
      'type': 'bool',
      'default': False,
      'description': 'Expose the API and web UI through an Ingress.',
      'entry_points': {'main': None},
      'value': {'path': 'ingress.enabled'}},
     {'name': 'dbbat_ingress_host',
      'section': 'exposure',
      'type': 'str',
      'default': '',
      'description': 'Host name of the Ingress. Required when O(dbbat_ingress_enabled=true).',
      'entry_points': {'main': None},
      'value': {'path': 'ingress.hosts', 'when': ['dbbat_ingress_enabled'], 'how': 'ingress_hosts'},
      'readme_value': '`ingress.hosts[0].host` (path `/`), `ingress.tls[0].hosts`'},
     {'name': 'dbbat_ingress_class',
      'section': 'exposure',
      'type': 'str',
      'default': '',
      'description': "Ingress class name. Empty uses the cluster's default class.",
      'entry_points': {'main': None},
      'value': {'path': 'ingress.className', 'when': ['dbbat_ingress_enabled', 'dbbat_ingress_class']}},
     {'name': 'dbbat_ingress_tls_secret',
      'section': 'exposure',
      'type': 'str',
      'default': '',
      'description': 'TLS Secret of the Ingress (for example one cert-manager fills). Empty means no TLS.',
      'entry_points': {'main': None},
      'value': {'path': 'ingress.tls',
                'when': ['dbbat_ingress_enabled', 'dbbat_ingress_tls_secret'],
                'how': 'ingress_tls'},
      'readme_value': '`ingress.tls[0].secretName`'},
     {'name': 'dbbat_ingress_annotations',
      'section': 'exposure',
      'type': 'dict',
      'default': {},
      'description': 'Annotations of the Ingress.',
      'entry_points': {'main': None},
      'value': {'path': 'ingress.annotations', 'when': ['dbbat_ingress_enabled', 'dbbat_ingress_annotations']}},
     {'name': 'dbbat_public_url',
      'section': 'exposure',
      'type': 'str',
      'default': '',
      'description': ['External URL of DBBat, used in links it builds. Empty derives it from the Ingress host '
                      'when there is one.'],
      'entry_points': {'main': None},
      'value': {'path': 'config.publicUrl', 'when': [], 'how': 'public_url'},
      'readme_default': '`""` (from the Ingress host)'},
     {'name': 'dbbat_proxy_tls',
      'section': 'exposure',
      'type': 'dict',
      'default': {},
      'description': ['The certificate each database listener of the proxy serves, instead of the self-signed '
                      'one DBBat makes at each start (clients can then use C(sslmode=verify-full)). Keys are the '
                      'listeners (V(pg), V(mysql), V(mongo), V(mssql); the last three when their listener is '
                      'on), each with either O(dbbat_proxy_tls.pg.secret) or O(dbbat_proxy_tls.pg.issuer).',
                      'With C(secret), pods carry a checksum of that Secret, so that a run after the Secret '
                      'changed rolls them (DBBat reads the files at start only). A cert-manager certificate is '
                      "renewed in place; the pods use it after they restart (see the chart's README)."],
      'options': dict((listener, _TLS_LISTENER) for listener in ('pg', 'mysql', 'mongo', 'mssql')),
      'entry_points': {'main': None},
      'value': {'path': 'tls', 'how': 'proxy_tls'},
      'readme_value': '`tls.<listener>.existingSecret` (`secret`) or `tls.<listener>.certManager` (`issuer`, '
                      '`issuer_kind`, `issuer_group`, `dns_names`, `duration`); with `secret`, '
                      '`podAnnotations."dbbat.fclairamb.github.io/tls-<listener>-sha256"`'},
     {'name': 'dbbat_network_policy_enabled',
      'section': 'network policy',
      'type': 'bool',
      'default': False,
      'description': 'Create a NetworkPolicy restricting who reaches the pods.',
      'entry_points': {'main': None},
      'value': {'path': 'networkPolicy.enabled'}},
     {'name': 'dbbat_network_policy_allowed_namespaces',
      'section': 'network policy',
      'type': 'list',
      'elements': 'str',
      'default': [],
      'description': "Namespaces allowed to reach the pods (for example the ingress controller's).",
      'entry_points': {'main': None},
      'value': {'path': 'networkPolicy.allowedNamespaces', 'when': ['dbbat_network_policy_enabled']}},
     {'name': 'dbbat_network_policy_allowed_pod_labels',
      'section': 'network policy',
      'type': 'dict',
      'default': {},
      'description': 'Labels of pods allowed to reach the pods.',
      'entry_points': {'main': None},
      'value': {'path': 'networkPolicy.allowedPodLabels', 'when': ['dbbat_network_policy_enabled']}},
     {'name': 'dbbat_values',
      'section': 'anything else the chart takes, merged last (recursively)',
      'type': 'dict',
      'default': {},
      'description': ['Any chart value, merged last and recursively over the values the role renders. Lists '
                      "replace lists. Never put secrets here, as values are kept in Helm's release history."],
      'entry_points': {'main': None},
      'readme_value': 'any value, merged last (recursive; lists replace)'},
     {'name': 'dbbat_values_file',
      'section': 'anything else the chart takes, merged last (recursively)',
      'type': 'str',
      'default': '',
      'description': ['When set, the rendered values are also written to this file on the controller (for review '
                      'or GitOps); with C(--diff) the change to it is shown.'],
      'entry_points': {'main': None},
      'readme_value': '(also write the values there)'},
     {'name': 'dbbat_allow_unknown_variables',
      'section': 'checks of the inventory itself',
      'type': 'bool',
      'default': False,
      'description': ['Preflight refuses inventory variables named C(dbbat_*) that are not options of this role '
                      '(a misspelt C(dbbat_replica) would otherwise be ignored without a word), naming the '
                      "closest option. V(true) turns the refusal into a warning. Variables of the collection's "
                      'publish playbook (C(dbbat_publish_*)) are not concerned.'],
      'entry_points': {'backup_key': ['Refuse inventory variables named C(dbbat_*) that are not options of this '
                                      'role (any entry point), naming the closest option; V(true) warns '
                                      'instead.'],
                       'restore_key': ['Refuse inventory variables named C(dbbat_*) that are not options of this '
                                       'role (any entry point), naming the closest option; V(true) warns '
                                       'instead.'],
                       'drift': ['Refuse inventory variables named C(dbbat_*) that are not options of this role '
                                 '(any entry point), naming the closest option; V(true) warns instead.'],
                       'main': None},
      'readme_value': '(warn instead of refusing unknown `dbbat_*` variables)'},
     {'name': 'dbbat_rollback_revision',
      'section': 'rollback (playbooks/rollback.yml)',
      'type': 'int',
      'default': 0,
      'description': ['Revision to roll back to (C(helm -n NAMESPACE history RELEASE) lists them); V(0) means '
                      'the newest earlier revision that was deployed.'],
      'entry_points': {'rollback': None},
      'readme_value': '(rollback: the revision to go back to; 0 is the last deployed)'},
     {'name': 'dbbat_rollback_allow_schema_downgrade',
      'section': 'rollback (playbooks/rollback.yml)',
      'type': 'bool',
      'default': False,
      'description': ['Allow a revision that runs an older DBBat than the newest the release ran. Do it only '
                      'once the storage schema was rolled back (C(dbbat db rollback) with the newer DBBat), or '
                      'the old DBBat meets a schema it does not know.'],
      'entry_points': {'rollback': None},
      'readme_value': '(rollback: allow an older DBBat than the newest the release ran)'},
     {'name': 'dbbat_remove_secret',
      'section': 'removal (dbbat_state: absent)',
      'type': 'bool',
      'default': False,
      'description': 'With O(dbbat_state=absent), also delete the Secret (and with it the key).',
      'entry_points': {'main': None},
      'readme_value': '(removal)'},
     {'name': 'dbbat_remove_namespace',
      'section': 'removal (dbbat_state: absent)',
      'type': 'bool',
      'default': False,
      'description': 'With O(dbbat_state=absent), also delete the namespace.',
      'entry_points': {'main': None},
      'readme_value': '(removal)'},
     {'name': 'dbbat_backup_file',
      'section': 'key backup, restore and drift (playbooks)',
      'comment': 'Entry points backup_key, restore_key and drift; the variables below that they share '
                 "(namespace, Secret, release, cluster connection...) are documented in each entry point's spec "
                 'too.',
      'type': 'str',
      'default': '',
      'description': ['The backup file on the controller (a relative path is relative to the folder '
                      'C(ansible-playbook) runs in; its folder must exist). Required, there is no default.',
                      'With several hosts in one run, give each its own file (a host variable, or a template of '
                      "the host's name given as an extra variable); a run that would write one file for two "
                      'hosts is refused.'],
      'entry_points': {'backup_key': None, 'restore_key': None},
      'readme_default': '`""`, required',
      'readme_value': '(key backup and restore: the vault-encrypted file on the controller)'},
     {'name': 'dbbat_backup_vault_id',
      'section': 'key backup, restore and drift (playbooks)',
      'type': 'str',
      'default': 'dbbat',
      'description': ["Vault id of the encryption, written in the file's header "
                      '(C($ANSIBLE_VAULT;1.2;AES256;ID)), so that C(ansible-vault) and the restore pick the '
                      "right password. Letters, digits, '_', '-' and '.'."],
      'entry_points': {'backup_key': None, 'restore_key': None},
      'readme_value': "(key backup and restore: vault id in the file's header)"},
     {'name': 'dbbat_backup_vault_password_file',
      'section': 'key backup, restore and drift (playbooks)',
      'comment': 'Empty: the file named by the environment variable DBBAT_BACKUP_VAULT_PASSWORD_FILE (AWX '
                 'credential).',
      'type': 'str',
      'default': '',
      'description': ['File on the controller holding the vault password (without surrounding whitespace, as '
                      'C(ansible-vault) reads it; a plain file, not a script).',
                      'Empty uses the file named by the environment variable '
                      'C(DBBAT_BACKUP_VAULT_PASSWORD_FILE), which an AWX credential of the type "DBBat backup '
                      'vault password" sets (C(awx/dbbat.yml)).'],
      'entry_points': {'backup_key': None, 'restore_key': None},
      'readme_default': '`""` (env `DBBAT_BACKUP_VAULT_PASSWORD_FILE`)',
      'readme_value': '(key backup and restore: the vault password)'},
     {'name': 'dbbat_backup_overwrite',
      'section': 'key backup, restore and drift (playbooks)',
      'type': 'bool',
      'default': False,
      'description': ['Replace an existing O(dbbat_backup_file) that holds other data (another key, another '
                      'Secret) or that the password cannot open. Off by default, as it may be the only copy of a '
                      'key.'],
      'entry_points': {'backup_key': None},
      'readme_value': '(key backup: replace a file holding another key)'},
     {'name': 'dbbat_drift_fail',
      'section': 'key backup, restore and drift (playbooks)',
      'type': 'bool',
      'default': True,
      'description': ['Fail when something drifted, listing it (for a scheduled job, whose failure is the '
                      'alert). V(false) only reports.'],
      'entry_points': {'drift': None},
      'readme_value': '(drift report: fail when something drifted)'}]
)
