"""How a preview comment is recognised and how large it may be (shared by the renderer and the poster, which
must not import the planning machinery)."""

GITHUB_LIMIT = 65_536


def marker(env: str) -> str:
    return f"<!-- ml-edge-preview env={env} -->"
