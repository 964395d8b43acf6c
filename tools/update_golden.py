"""`make golden`: re-render the golden files (PR comments, smoke summary, planned URNs), the README examples
made from them and the README's config reference (from the typed config).

Run it when a change to the program or the renderers is intended to change those outputs; review the diff.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "program"))
from ml_edge import config_docs  # noqa: E402

EXAMPLE = re.compile(r"(<!-- example: (\S+) -->\n)(````markdown\n)?(.*?)(````\n)?(<!-- end example -->)", re.DOTALL)


def main() -> int:
    tests = ["tests/test_pr_comment.py", "tests/test_smoke_suite.py::test_golden_smoke_summary", "tests/test_urns.py"]
    status = subprocess.run([sys.executable, "-m", "pytest", "-q", *tests], cwd=ROOT,
                            env={**os.environ, "UPDATE_GOLDEN": "1"}).returncode
    readme = ROOT / "README.md"

    def refresh(match: re.Match) -> str:
        fence, closing = match.group(3) or "", match.group(5) or ""
        return f"{match.group(1)}{fence}{(ROOT / match.group(2)).read_text()}{closing}{match.group(6)}"

    readme.write_text(config_docs.rendered(EXAMPLE.sub(refresh, readme.read_text())))
    print("golden files and README examples refreshed; review them with git diff")
    return status


if __name__ == "__main__":
    sys.exit(main())
