"""Post the pull-request comments rendered by the untrusted preview jobs (the privileged half of the check).

Runs in a workflow_run job with `pull-requests: write` that checks out only the default branch: the artefact is
data, never code. Every comment is checked before it is posted: a known environment, a pull request whose head
is the commit the previews ran on, the size limit, and our own marker (any marker in the text is dropped).
"""

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path

from .comment_marker import GITHUB_LIMIT, MARKER, marker
from .environments import environment_names
from .github_api import GitHub

ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")  # as ml-edge's config accepts it


class Refused(ValueError):
    pass


def validated(folder: Path, head_sha: str, known: list[str]) -> list[tuple[int, str, str]]:
    """(pull request, environment, body) of every comment in the folder, or Refused."""
    comments = []
    for meta_file in sorted(folder.glob("*.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        env, number = meta.get("environment"), meta.get("pull_request")
        # a pull request may add an environment: any well-formed name is accepted, nothing else
        if not (isinstance(env, str) and (env in known or ENV_NAME.fullmatch(env))) or meta_file.stem != env:
            raise Refused(f"{meta_file.name}: {env!r} is not an environment name")
        if not isinstance(number, int) or number <= 0:
            raise Refused(f"{meta_file.name}: pull request number {number!r} is not a positive integer")
        if meta.get("commit") != head_sha:
            raise Refused(f"{meta_file.name}: rendered for commit {meta.get('commit')!r}, the run was {head_sha!r}")
        body = MARKER.sub("", (folder / f"{env}.md").read_text(encoding="utf-8")).strip()
        body = f"{marker(env)}\n{body}\n"
        if len(body) > GITHUB_LIMIT:
            raise Refused(f"{env}.md: {len(body)} characters, over GitHub's {GITHUB_LIMIT}")
        comments.append((number, env, body))
    return comments


def post(github: GitHub, comments: list[tuple[int, str, str]], head_sha: str) -> list[str]:
    done = []
    for number in sorted({n for n, _, _ in comments}):
        head = github.pull_request(number).get("head", {}).get("sha")
        if head != head_sha:
            raise Refused(f"pull request #{number} is at {head!r}, not at the previewed commit {head_sha!r}")
    for number, env, body in comments:
        done.append(f"#{number} {env}: {github.upsert_comment(number, marker(env), body)}")
    return done


def merged(artifacts: Path) -> Path:
    """One folder of comments from the downloaded artefacts: a cloud preview's comment (it has the diff) wins
    over the offline one of the same environment."""
    folder = artifacts / "merged"
    folder.mkdir(exist_ok=True)
    for kind in ("offline", "cloud"):
        for source in sorted(artifacts.glob(f"comment-{kind}-*")):
            for file in source.glob("*.*"):
                if file.suffix in (".md", ".json"):
                    shutil.copyfile(file, folder / file.name)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True,
                        help="the downloaded artefacts: comment-offline-<env>/ and comment-cloud-<env>/ folders")
    parser.add_argument("--head-sha", default=os.environ.get("HEAD_SHA", ""), help="the previewed commit")
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    args = parser.parse_args(argv)
    try:
        comments = validated(merged(args.dir), args.head_sha, environment_names())
        for line in post(GitHub(args.repo), comments, args.head_sha):
            print(line)
    except Refused as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
