"""A throwaway git repository for tests that need real commits (diffs between deployed and new commits)."""

import os
import subprocess
from pathlib import Path

import yaml

IDENTITY = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "test",
            "GIT_COMMITTER_EMAIL": "test@example.com"}


class GitRepo:
    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=self.path, env=env,
                              capture_output=True, text=True, check=True).stdout.strip()

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        """Write (or delete, for None) the files, commit them, return the commit's hash."""
        for name, content in files.items():
            path = self.path / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


def stack_file(env: str, origin_secret: dict | None = None, **values) -> dict[str, str]:
    """environments/<env>/Pulumi.<env>.yaml with these config values (ml-edge:originSecret when given)."""
    config = {"aws:region": "eu-west-1", **{f"ml-edge:{key}": value for key, value in values.items()}}
    if origin_secret is not None:
        config["ml-edge:originSecret"] = origin_secret
    return {f"environments/{env}/Pulumi.{env}.yaml": yaml.safe_dump({"config": config})}
