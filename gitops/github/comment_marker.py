"""How a preview comment is recognised and how large it may be (shared by the renderer and the poster, which
must not import the planning machinery)."""

GITHUB_LIMIT = 65_536


def marker(env: str) -> str:
    return f"<!-- ml-edge-preview env={env} -->"


def ready_heading(env: str) -> str:
    """The heading of a comment whose previews passed; the poster withdraws it when the run's checks failed."""
    return f"## ✅ `{env}`: ready to merge"


def not_ready_heading(env: str, run_id: int) -> str:
    return (f"## ❌ `{env}`: not ready: this preview passed, but another check of the pull request failed "
            f"(run {run_id})")
