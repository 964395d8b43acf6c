"""Every secret value of a stack: masked in GitHub's log at once, and replaced in any text that leaves the run (a
cloud preview's pull-request comment, a drift issue, a run summary).

Pulumi prints a value it knows to be secret as [secret]. This is for the ones it does not know of: a provider that
returns a secret in a field it does not mark, a refresh that reads one back from the cloud, a secret copied into a
JSON document. The values come from the stack itself:
- `pulumi stack export --show-secrets`: every secret in the state, as
  {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "<the value as JSON>"}
  (pulumi/pulumi pkg/resource/stack/deployment.go, SerializePropertyValue; sdk/go/common/resource/sig/sig.go);
- `pulumi stack output --json --show-secrets`: the stack's outputs; an output is secret where the same command
  without --show-secrets says "[secret]".
Whoever reads these needs the right to decrypt the stack's state: the roles that preview, deploy and check drift.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TextIO

from ..stacks.environments import PROGRAM_DIR
from .pulumi_cli import CliRun, find_pulumi, run, stack_name, stack_outputs

SIG_KEY = "4dabf18193072939515e22adb298388d"  # Pulumi's signature key of special values
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # ... whose value marks a secret
HIDDEN = "[secret]"  # what Pulumi itself prints for a secret
# Shorter strings are neither masked nor replaced: "true", "a", "443" or "https-only" inside a secret object
# would otherwise wreck every line of the text, and a value that short protects nothing.
MIN_LENGTH = 6
TRUNCATED_AT = 150  # pulumi cuts a longer line of a value at 150 characters and adds "..."


class NotDecrypted(ValueError):
    """The export holds ciphertext: it was made without --show-secrets."""


@dataclass(frozen=True)
class StackSecrets:
    """A set of secret values (a stack's, or any others such as the smoke keys) and every form they take."""

    values: tuple[str, ...]
    forms: tuple[str, ...] = field(init=False)  # every form a value can take in a text, longest first

    def __post_init__(self):
        found = {form for value in self.values for form in forms_of(value)}
        object.__setattr__(self, "forms", tuple(sorted(found, key=lambda f: (-len(f), f))))

    def __len__(self) -> int:
        return len(self.values)

    def mask_in_log(self, out: TextIO | None = None) -> None:
        """Tell GitHub Actions to mask each form in the rest of the job's log (outside Actions: nothing, since the
        command would print the value). A multi-line value is masked line by line: a workflow command ends at
        the end of its line."""
        if os.environ.get("GITHUB_ACTIONS") != "true":
            return
        out = out or sys.stdout
        for form in self.forms:
            if "\n" not in form and "\r" not in form:
                out.write(f"::add-mask::{command_data(form)}\n")
        out.flush()

    def scrub(self, text: str) -> str:
        return replaced(text, self.forms)


@dataclass(frozen=True)
class Unreadable:
    """Why a stack's secrets could not be read: the failing CLI's exit status (1 when it is not the CLI's) and
    its error."""
    status: int
    reason: str


def load(stack: str) -> "StackSecrets | Unreadable":
    """The stack's secret values, or why they cannot be read (no CLI, no stack, no right to decrypt): then nothing
    from the stack may be shown."""
    pulumi = find_pulumi()
    if pulumi is None:
        print("no Pulumi CLI: the stack's secrets cannot be read", file=sys.stderr)
        return Unreadable(1, "no Pulumi CLI")
    exported = subprocess.run([pulumi, "stack", "export", "--show-secrets", "--stack", stack], cwd=PROGRAM_DIR,
                              capture_output=True, text=True, timeout=300)
    if exported.returncode != 0:
        error = exported.stderr.strip()[:300]
        print(f"pulumi stack export --stack {stack} failed: {error}", file=sys.stderr)
        return Unreadable(exported.returncode, f"`pulumi stack export` exited {exported.returncode}: {error}")
    public, shown = stack_outputs(stack), stack_outputs(stack, show_secrets=True)
    if public is None or shown is None:
        return Unreadable(1, "`pulumi stack output` failed")
    try:
        values = export_secrets(json.loads(exported.stdout or "{}")) + output_secrets(public, shown)
    except (NotDecrypted, json.JSONDecodeError) as error:
        print(f"the export of {stack} cannot be read: {error}", file=sys.stderr)
        return Unreadable(1, f"the export cannot be read: {error}")
    return StackSecrets(tuple(dict.fromkeys(values)))


def read(stack: str) -> "StackSecrets | None":
    """The stack's secret values, or None when they cannot be read (see load)."""
    found = load(stack)
    return found if isinstance(found, StackSecrets) else None


def export_secrets(document) -> list[str]:
    """The string values of every secret in a `pulumi stack export --show-secrets` document."""
    found: list[str] = []

    def walk(node, inside_secret: bool) -> None:
        if isinstance(node, dict):
            if node.get(SIG_KEY) == SECRET_SIG:
                if "plaintext" not in node:
                    raise NotDecrypted("a secret without plaintext (exported without --show-secrets?)")
                walk(json.loads(node["plaintext"]), True)
                return
            for value in node.values():
                walk(value, inside_secret)
        elif isinstance(node, list):
            for value in node:
                walk(value, inside_secret)
        elif inside_secret:
            found.extend(strings_in(node))

    walk(document, False)
    return found


def output_secrets(public, shown) -> list[str]:
    """The string values of the outputs that `pulumi stack output --json` without --show-secrets hides."""
    if public == HIDDEN:
        return strings_in(shown)
    if isinstance(public, dict) and isinstance(shown, dict):
        return [s for key in public if key in shown for s in output_secrets(public[key], shown[key])]
    if isinstance(public, list) and isinstance(shown, list):
        return [s for old, new in zip(public, shown, strict=False) for s in output_secrets(old, new)]
    return []


def strings_in(value) -> list[str]:
    """The strings of a secret value: itself, or its leaves; a string holding a JSON document adds the document's
    own strings (pulumi prints such a string decoded, one leaf a line)."""
    if isinstance(value, dict):
        return [s for key, item in value.items() if key != SIG_KEY for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    if not isinstance(value, str):
        return []  # numbers and booleans: see MIN_LENGTH
    found = [value]
    if value.strip()[:1] in ("{", "["):
        try:
            found += strings_in(json.loads(value))
        except json.JSONDecodeError:
            pass
    return found


def forms_of(value: str) -> set[str]:
    """How a value can show up in a text: as is, or escaped once or twice (a repr in a JUnit attribute, a document
    in a document) as a JSON, Go (pulumi's "%q"), Python or XML string or a Markdown table cell; a multi-line value
    also line by line (pulumi's diff of a multi-line string prints each line on its own, indented and prefixed); a
    long form also cut where pulumi cuts a line. Forms shorter than MIN_LENGTH are left out."""
    once = {escape(value) for escape in ESCAPES}
    found = {value} | once | {escape(form) for form in once for escape in ESCAPES}
    lines = value.splitlines()
    if len(lines) > 1:
        found |= {form for line in lines for form in forms_of(line.strip())}
    found |= {form[:TRUNCATED_AT] for form in found if len(form) > TRUNCATED_AT}
    return {form for form in found if len(form.strip()) >= MIN_LENGTH}


def json_escaped(text: str, ascii_only: bool = False) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
              "\\": "\\\\", '"': '\\"'}


def go_quoted(text: str) -> str:
    """Go's strconv.Quote without its quotes: how pulumi's diff prints a string."""
    out = []
    for char in text:
        if char in GO_ESCAPES:
            out.append(GO_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


def xml_escaped(text: str, attribute: bool = False) -> str:
    """As ElementTree (and so pytest's JUnit report) writes text, or an attribute such as a failure message."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")
    return text


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


ESCAPES = (json_escaped, lambda text: json_escaped(text, ascii_only=True), go_quoted, lambda text: repr(text)[1:-1],
           xml_escaped, lambda text: xml_escaped(text, attribute=True), markdown_cell)


def command_data(text: str) -> str:
    """A workflow command's data, escaped as @actions/core escapes it (the runner unescapes %25, %0D, %0A)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def replaced(text: str, forms) -> str:
    """The text with every occurrence of every form replaced by [secret]. Overlapping occurrences (of two values,
    or of a value and one of its lines) are merged first, so no piece of a value survives next to a replacement."""
    spans = []
    for form in forms:
        start = text.find(form)
        while start != -1:
            spans.append((start, start + len(form)))
            start = text.find(form, start + 1)
    if not spans:
        return text
    spans.sort()
    out, position = [], 0
    merged_start, merged_end = spans[0]
    for start, end in spans[1:]:
        if start <= merged_end:
            merged_end = max(merged_end, end)
            continue
        out += [text[position:merged_start], HIDDEN]
        position, merged_start, merged_end = merged_end, start, end
    out += [text[position:merged_start], HIDDEN, text[merged_end:]]
    return "".join(out)


def masked_run(env: str, command: list[str], what: str) -> CliRun:
    """Run a Pulumi command of the environment's stack with every secret of the stack masked in the log first and
    replaced in the output kept for a comment or an issue; when the secrets cannot be read, do not run it."""
    secrets = load(stack_name(env))
    if isinstance(secrets, Unreadable):  # the CLI's status stays: 6 says the stack does not exist
        return CliRun(secrets.status, f"{what} did not run: the stack's secret values could not be read (`pulumi "
                                      f"stack export --show-secrets`), so its output could not be masked.\n"
                                      f"{secrets.reason}")
    secrets.mask_in_log()
    done = run(command)
    return CliRun(done.status, secrets.scrub(done.output), done.summary)
