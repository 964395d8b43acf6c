"""Golden files under tests/golden: compared with what the real code renders; `make golden` (UPDATE_GOLDEN=1)
rewrites them after an intended change, to be reviewed with git diff."""

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; re-run with UPDATE_GOLDEN=1 (make golden) if it is intended"
