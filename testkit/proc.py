"""The one process runner of the tests: argv lists only, text output captured, stdin closed
unless input is given, a timeout always."""
import re
import subprocess
import textwrap
from dataclasses import dataclass

from .paths import ROOT


@dataclass
class Result:
    argv: list
    rc: int
    stdout: str
    stderr: str

    @property
    def out(self):
        """stdout then stderr."""
        return self.stdout + self.stderr

    @property
    def ok(self):
        return self.rc == 0

    def tail(self, chars=4000):
        return self.out[-chars:]

    def check(self):
        """Itself, or an AssertionError with the command and the end of its output."""
        if self.rc != 0:
            raise AssertionError("%s exited %d:\n%s" % (" ".join(self.argv), self.rc, self.tail()))
        return self

    # -- ansible-playbook output (default callback) ----------------------------------------
    @property
    def recap(self):
        """{'ok': n, 'changed': n, 'failed': n, ...} of the play recap's last host line."""
        lines = [line for line in self.stdout.splitlines() if re.match(r"^\S+\s+: ok=", line)]
        assert lines, "no play recap in the output:\n" + self.tail()
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}

    def changed_tasks(self):
        """Names of the tasks reported changed."""
        names, current = [], None
        for line in self.stdout.splitlines():
            task = re.match(r"^TASK \[(.*)\] \*+$", line)
            if task:
                current = task.group(1)
            elif line.startswith("changed: [") and current:
                names.append(current)
        return names

    def task_result(self, name):
        """The result of the first task whose name (without its role) starts with ``name``, as the
        default callback shows it from -v on (the project's callback_result_format: yaml)."""
        import yaml

        lines = self.stdout.splitlines()
        for index, line in enumerate(lines):
            task = re.match(r"^TASK \[(?:[^\]]* : )?(.*)\] \*+$", line)
            if not task or not task.group(1).startswith(name):
                continue
            for start in range(index + 1, len(lines)):
                if lines[start].startswith("TASK ["):
                    break
                if re.match(r"^(ok|changed|failed|fatal): \[[^\]]+\].* => ?$", lines[start]):
                    body = []
                    for follow in lines[start + 1:]:
                        if follow and not follow.startswith(" "):
                            break
                        body.append(follow)
                    return yaml.safe_load(textwrap.dedent("\n".join(body)))
            raise AssertionError(f"task {line} shows no result (run with -v):\n" + self.tail())
        raise AssertionError(f"no task named {name}... in the output:\n" + self.tail())


def run(argv, *, env=None, cwd=ROOT, input=None, timeout=600):
    """Run ``argv`` and return its Result (never raises on a non-zero exit: see Result.check)."""
    argv = [str(a) for a in argv]
    proc = subprocess.run(argv, env=env, cwd=cwd, input=input, capture_output=True, text=True, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)
    return Result(argv, proc.returncode, proc.stdout, proc.stderr)
