"""How a preview comment is recognised and how large it may be (shared by the renderer and the poster, which
must not import the planning machinery)."""

import re

GITHUB_LIMIT = 65_536
MARKER = re.compile(r"<!-- ml-edge-preview env=[^>]*-->")


def marker(env: str) -> str:
    return f"<!-- ml-edge-preview env={env} -->"
