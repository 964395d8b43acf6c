"""Post the pull-request comments rendered by the untrusted preview jobs (the privileged half of the check).

Runs in a workflow_run job with `pull-requests: write` that checks out only the default branch. The artefacts
were written by the pull request's own run, whose workflow file the pull request itself may have changed: they
are data from an attacker, checked before anything is posted:
- the triggering run (from the event GitHub wrote, not from the artefacts) was a pull_request run; a run from a
  fork cannot bring a cloud preview (it has no credentials, so one would be forged): refused;
- folders, files and sizes are counted from the directory listing before any file is read; symlinks and other
  non-files are refused;
- every comment is for one pull request, rendered for the run's head commit, of a well-formed environment;
- the pull request is cross-checked with the run through the GitHub API: open, at the run's head commit, from the
  run's head repository and branch;
- the text is defused: every `<!--` is escaped (so no hidden marker, whatever the nesting) and every @-mention
  broken, so a comment pings nobody; our own marker is added on top.

Quiet and superseded runs are notices (GitHub annotations), not failures: a run that left no comment artefacts
(nothing to preview: a docs-only pull request), a triggering run that was cancelled (a newer push superseded it)
or skipped, and a pull request that has moved on to a newer commit or was closed since (its newer run, if any,
comments). A pull request whose head repository or branch is not the run's is still refused. A run that finished
with a failed check still posts its comments, but none of them says "ready to merge".
Exit: 0 posted, or nothing to post (a notice says why) · 1 refused.
"""

import itertools
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ..stacks.changes import CLOUD_PREVIEW_ENVIRONMENTS
from .comment_marker import GITHUB_LIMIT, marker, not_ready_heading, ready_heading
from .github_api import GitHub

FOLDER = re.compile(r"comment-(offline|cloud)-([a-z][a-z0-9-]{0,19})")  # as pull-request.yml names its artefacts
MAX_FOLDERS = 24  # an offline and a cloud comment for each of 12 environments
MAX_FILES_PER_FOLDER = 2  # <env>.md and <env>.json
MAX_COMMENT_BYTES = 4 * GITHUB_LIMIT  # GitHub's limit in characters, each at most 4 bytes of UTF-8
MAX_METADATA_BYTES = 4_096
MENTION = re.compile(r"@(?=[A-Za-z0-9])")  # @user, @org/team
ZERO_WIDTH_SPACE = "\u200b"
# a run that ended without finishing its previews (GitHub's workflow_run conclusions): its artefacts, if any, are
# partial, and a newer run of the same pull request (if any) posts the comments
NOT_FINISHED = ("cancelled", "skipped", "stale")


class Refused(ValueError):
    pass


@dataclass(frozen=True)
class TriggeringRun:
    """What GitHub says about the pull-request run whose artefacts these are."""
    id: int
    head_sha: str
    head_branch: str
    head_repository: str  # owner/name
    repository: str  # owner/name of this repository
    conclusion: str = "success"

    @property
    def from_fork(self) -> bool:
        return self.head_repository.lower() != self.repository.lower()


@dataclass(frozen=True)
class Comment:
    pull_request: int
    environment: str
    body: str


def triggering_run(event: dict) -> TriggeringRun:
    """The run from the workflow_run event's payload (GITHUB_EVENT_PATH)."""
    run = event.get("workflow_run") or {}
    if run.get("event") != "pull_request":
        raise Refused(f"the triggering run was a {run.get('event')!r} run, not a pull_request run")
    head, base = run.get("head_repository") or {}, run.get("repository") or {}
    if not (run.get("head_sha") and run.get("head_branch") and head.get("full_name") and base.get("full_name")):
        raise Refused("the workflow_run event lacks the run's head commit, branch or repositories")
    return TriggeringRun(run.get("id", 0), run["head_sha"], run["head_branch"], head["full_name"], base["full_name"],
                         str(run.get("conclusion") or ""))


def listed(folder: Path, limit: int) -> list[Path]:
    """The folder's entries, refused beyond `limit` (counted from the listing: nothing is read)."""
    entries = list(itertools.islice(folder.iterdir(), limit + 1))
    if len(entries) > limit:
        raise Refused(f"{folder.name!r} holds more than {limit} entries")
    return sorted(entries)


def read_capped(path: Path, limit: int) -> bytes:
    """A regular file's content, refused when it is a symlink or not a file, or (by its size, before reading) over
    `limit`. Opened without following a symlink, then checked, so nothing can be swapped in between."""
    where = f"{path.parent.name}/{path.name}"
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise Refused(f"{where} is missing") from None
    except OSError:  # ELOOP: a symlink
        raise Refused(f"{where} is not a regular file") from None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{where} is not a regular file")
        if info.st_size > limit:
            raise Refused(f"{where}: {info.st_size} bytes, over the {limit} allowed")
        content = file.read(limit + 1)
    if len(content) > limit:
        raise Refused(f"{where}: over the {limit} bytes allowed")
    return content


def chosen_folders(artifacts: Path, run: TriggeringRun) -> dict[str, Path]:
    """Environment → the folder to post: a cloud preview's (it has the diff) over the offline one."""
    chosen: dict[str, tuple[str, Path]] = {}
    for folder in listed(artifacts, MAX_FOLDERS):
        match = FOLDER.fullmatch(folder.name)
        if not match or not stat.S_ISDIR(folder.lstat().st_mode):
            raise Refused(f"{folder.name!r} is not a comment folder")
        kind, env = match.groups()
        if kind == "cloud" and env not in CLOUD_PREVIEW_ENVIRONMENTS:
            raise Refused(f"{folder.name!r}: {env} has no cloud preview (only {', '.join(CLOUD_PREVIEW_ENVIRONMENTS)}: "
                          f"whoever can preview a stack can read its secrets), so this one was not made by the check")
        if kind == "cloud" and run.from_fork:
            raise Refused(f"{folder.name!r}: a pull request from a fork ({run.head_repository}) cannot have a cloud "
                          f"preview; its run has no cloud credentials, so this one is forged")
        if env not in chosen or kind == "cloud":
            chosen[env] = (kind, folder)
    return {env: folder for env, (_, folder) in sorted(chosen.items())}


def validated(artifacts: Path, run: TriggeringRun) -> list[Comment]:
    """Every comment of the artefacts, checked and defused; or Refused."""
    comments = []
    for env, folder in chosen_folders(artifacts, run).items():
        listed(folder, MAX_FILES_PER_FOLDER)
        cloud_folder = folder.name.startswith("comment-cloud-")
        try:
            meta = json.loads(read_capped(folder / f"{env}.json", MAX_METADATA_BYTES))
            text = read_capped(folder / f"{env}.md", MAX_COMMENT_BYTES).decode("utf-8")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise Refused(f"{folder.name}: unreadable ({type(error).__name__})") from None
        if not isinstance(meta, dict) or meta.get("environment") != env:
            raise Refused(f"{folder.name}: its metadata is not for the environment {env!r}")
        number = meta.get("pull_request")
        if type(number) is not int or number <= 0:
            raise Refused(f"{folder.name}: pull request number {number!r} is not a positive integer")
        if meta.get("commit") != run.head_sha:
            raise Refused(f"{folder.name}: rendered for commit {meta.get('commit')!r}, the run was {run.head_sha!r}")
        if meta.get("cloud") is not cloud_folder:
            raise Refused(f"{folder.name}: says cloud={meta.get('cloud')!r} in an {'offline' * (not cloud_folder)}"
                          f"{'cloud' * cloud_folder} folder")
        body = f"{marker(env)}\n{defused(provenance(run) + own_text(outcome_told(text, env, run), env)).strip()}\n"
        if len(body) > GITHUB_LIMIT:
            raise Refused(f"{env}.md: {len(body)} characters, over GitHub's {GITHUB_LIMIT}")
        comments.append(Comment(number, env, body))
    if len({c.pull_request for c in comments}) > 1:
        raise Refused(f"comments for several pull requests: {sorted({c.pull_request for c in comments})}")
    return comments


def own_text(text: str, env: str) -> str:
    """The rendered comment without the renderer's marker line (the poster puts its own)."""
    first, _, rest = text.partition("\n")
    return rest if first.strip() == marker(env) else text


def outcome_told(text: str, env: str, run: TriggeringRun) -> str:
    """A comment never says "ready to merge" while the run that rendered it failed (make test, another environment's
    preview, a job that could not run): the preview job rendered it before the other checks ended."""
    if run.conclusion == "success":
        return text
    return text.replace(ready_heading(env), not_ready_heading(env, run.id))


def provenance(run: TriggeringRun) -> str:
    if not run.from_fork:
        return ""
    return (f"> From a fork ({run.head_repository}, branch {run.head_branch}): the offline preview only. Its run "
            f"has no cloud credentials; the text below was written by that run.\n\n")


def defused(text: str) -> str:
    """No HTML comment can open (so no marker can hide, however nested) and no @-mention pings anyone.
    Replacing `<!--` adds no `<`, so no new `<!--` can form: one pass suffices."""
    return MENTION.sub("@" + ZERO_WIDTH_SPACE, text.replace("<!--", "&lt;!--"))


def notice(text: str) -> str:
    """A line that GitHub Actions shows as a notice of the run (plain text elsewhere)."""
    return f"::notice title=preview comments::{text}"


def cross_checked(github: GitHub, number: int, run: TriggeringRun) -> str | None:
    """The pull request is the one the run ran for: from its head repository and branch (else Refused), open and
    at its head commit (else stale: returns why, and it gets no comment from this run)."""
    pull = github.pull_request(number)
    head = pull.get("head") or {}
    problems = []
    if ((head.get("repo") or {}).get("full_name") or "").lower() != run.head_repository.lower():
        problems.append(f"its head repository is {(head.get('repo') or {}).get('full_name')!r}, the run's was "
                        f"{run.head_repository!r}")
    if head.get("ref") != run.head_branch:
        problems.append(f"its head branch is {head.get('ref')!r}, the run's was {run.head_branch!r}")
    if problems:
        raise Refused(f"pull request #{number} is not the run's: " + "; ".join(problems))
    if pull.get("state") != "open":
        return f"it is {pull.get('state')!r}, not open"
    if head.get("sha") != run.head_sha:
        return (f"it has moved on to {str(head.get('sha'))[:12]!r} since the previewed commit {run.head_sha[:12]!r} "
                f"(the newer commit's run comments)")
    return None


def post(github: GitHub, comments: list[Comment], run: TriggeringRun) -> list[str]:
    """Each pull request on its own: a stale one is skipped with a notice, the others are posted."""
    lines = []
    for number in sorted({c.pull_request for c in comments}):
        stale = cross_checked(github, number, run)
        if stale:
            lines.append(notice(f"pull request #{number} gets no comment from run {run.id}: {stale}"))
            continue
        lines += [f"#{c.pull_request} {c.environment}: "
                  f"{github.upsert_comment(c.pull_request, marker(c.environment), c.body)}"
                  for c in comments if c.pull_request == number]
    return lines


def has_artifacts(folder: Path) -> bool:
    return folder.is_dir() and next(folder.iterdir(), None) is not None


def post_artifacts(artifacts: Path, event: Path | None, repo: str) -> list[str]:
    """Validate and post the comments in `artifacts` for the run of the workflow_run event in `event`; the lines
    to print (what was posted, or a notice why nothing was). Refused when anything is wrong."""
    if event is None:
        raise Refused("no workflow_run event (GITHUB_EVENT_PATH) to tell which run the artefacts come from")
    run = triggering_run(json.loads(event.read_text(encoding="utf-8")))
    if run.repository.lower() != repo.lower():
        raise Refused(f"the run is of {run.repository!r}, this is {repo!r}")
    if run.conclusion in NOT_FINISHED:
        return [notice(f"run {run.id} of {run.head_sha[:12]} was {run.conclusion}: nothing posted (a newer run of "
                       f"the pull request, if any, posts its comments)")]
    if not has_artifacts(artifacts):
        return [notice(f"run {run.id} left no preview comments to post (nothing to preview: no environment "
                       f"touched, e.g. a docs-only pull request)")]
    return post(GitHub(repo), validated(artifacts, run), run)
