"""Fixtures of the publish tests: throwaway OpenPGP keys for chart signing."""
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.env import isolated_env
from testkit.proc import run

PASSPHRASE = "correct horse battery staple 7f3a"


@dataclass
class SigningKeys:
    """Two RSA keys in a private GNUPGHOME: ``signer`` (no passphrase) and ``protected`` (``passphrase``).
    ``secring`` holds both secret keys in the legacy format helm signs with; ``pubring`` the public
    keys, as a chart's consumers would have them."""
    gnupghome: Path
    secring: str
    pubring: str
    signer: str = "Chart Signer <signer@example.test>"
    protected: str = "Protected Signer <protected@example.test>"
    passphrase: str = PASSPHRASE


KEY_PARAMS = """Key-Type: RSA
Key-Length: 2048
Key-Usage: sign
Name-Real: {name}
Name-Email: {email}
Expire-Date: 0
{protection}
%commit
"""


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory):
    """A key without passphrase and one with, generated for this test session (gpg 2.2; RSA, which
    the OpenPGP code of Helm 3 and Helm 4 both read)."""
    if not shutil.which("gpg"):
        pytest.fail("gpg not found: install GnuPG (Debian package gnupg)")
    work = tmp_path_factory.mktemp("gpg")
    home = work / "gnupg"
    home.mkdir(mode=0o700)
    env = isolated_env(work, extra={"GNUPGHOME": str(home)})
    gpg = ["gpg", "--batch", "--pinentry-mode", "loopback"]
    for name, email, protection in (("Chart Signer", "signer@example.test", "%no-protection"),
                                    ("Protected Signer", "protected@example.test", "Passphrase: " + PASSPHRASE)):
        params = work / ("%s.params" % email)
        params.write_text(KEY_PARAMS.format(name=name, email=email, protection=protection))
        run(gpg + ["--gen-key", str(params)], env=env).check()
    secring, pubring = work / "secring.gpg", work / "pubring.gpg"
    # The protected key is exported still protected by its passphrase (gpg asks for it to export).
    run(gpg + ["--passphrase", PASSPHRASE, "--output", str(secring), "--export-secret-keys"], env=env).check()
    run(gpg + ["--output", str(pubring), "--export"], env=env).check()
    os.chmod(secring, 0o600)
    yield SigningKeys(gnupghome=home, secring=str(secring), pubring=str(pubring))
    run(["gpgconf", "--kill", "all"], env=env)
