"""A `pulumi` on PATH that answers from recorded output (stack export, stack output, preview) and records how it
was called, one JSON list of arguments a line."""

import json
import os
import stat
import sys
from pathlib import Path

from fake_pulumi import ready_for_the_cloud

SCRIPT = '''#!{python}
import json, sys
answers = json.load(open({answers!r}))
args = sys.argv[1:]
with open({calls!r}, "a") as calls:
    calls.write(json.dumps(args) + "\\n")
if args[:2] == ["stack", "export"]:
    key = "export_secrets" if "--show-secrets" in args else "export"
elif args[:2] == ["stack", "output"]:
    key = "outputs_secrets" if "--show-secrets" in args else "outputs"
else:
    key = args[0]
text, status = answers.get(key, ["error: no recorded answer for pulumi " + " ".join(args) + "\\n", 255])
(sys.stdout if status == 0 or key == "preview" else sys.stderr).write(text)
sys.exit(status)
'''


class FakePulumi:
    """answers: what each call prints and its exit status, by kind: export / export_secrets, outputs /
    outputs_secrets, preview (any other first argument: by that argument)."""

    def __init__(self, folder: Path, **answers: tuple[str, int]):
        self.folder = folder
        self.bin = folder / "fake-pulumi-bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.calls_file = folder / "fake-pulumi-calls"
        (folder / "fake-pulumi-answers.json").write_text(json.dumps(answers))
        script = self.bin / "pulumi"
        script.write_text(SCRIPT.format(python=sys.executable, answers=str(folder / "fake-pulumi-answers.json"),
                                        calls=str(self.calls_file)))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)

    @property
    def calls(self) -> list[list[str]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def on_path(self, monkeypatch) -> "FakePulumi":
        """First on PATH, no pinned CLI (~/.pulumi/bin/pulumi) found, and the run ready for gitops.stacks.preflight."""
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("HOME", str(self.folder))
        ready_for_the_cloud(monkeypatch, self.folder / "pulumi-home")
        return self
