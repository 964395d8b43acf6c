"""The smoke results as people read them: a Markdown table (check, result, detail, latency) under a heading that
names the edge, the edge locations tested and the regions whose API answered the edge's predicts, printed at the end
of the run and appended to the file named by GITHUB_STEP_SUMMARY when that variable is set."""

import os
import re
from collections import Counter

RESULT = {"passed": "✅ pass", "failed": "❌ fail", "skipped": "⏭ skip"}
RETRIED = " (retried)"
POP_HEADER = "x-amz-cf-pop"
REGION_HEADER = "X-ML-Edge-Region"  # origins.py: the region whose API answered
EXCEPTION_NAME = re.compile(r"^[\w.]*(AssertionError|Failed|EdgeBlocked|NoAnswer): ")


class SmokeResults:
    """A pytest plugin: tests describe themselves with record_property("check" | "detail" | "latency", …);
    the retry plugin adds "retried". `observe` counts the edge location of every answer, and the region that
    answered each predict (never cached, so each names the region CloudFront reached for it)."""

    def __init__(self, edge_url: str | None, results_file=None):
        self.edge_url = edge_url or "(no edge URL)"
        self.results_file = results_file
        self.rows: list[dict] = []
        self.edge_locations: Counter = Counter()
        self.predict_regions: Counter = Counter()  # region ("" when none is named) → answers to POST …/predict

    def observe(self, response) -> None:
        pop = response.headers.get(POP_HEADER)
        if pop:
            self.edge_locations[pop] += 1
        request = response.request
        if request is not None and request.method == "POST" and request.path_url.endswith("/predict"):
            self.predict_regions[response.headers.get(REGION_HEADER, "")] += 1

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
            return
        properties = dict(report.user_properties)
        retried = properties.get("retried", "")
        text = detail(report, properties)
        self.rows.append({
            "check": properties.get("check") or report.nodeid.split("::")[-1],
            "result": RESULT[report.outcome] + (RETRIED if retried else ""),
            "detail": " · ".join(part for part in (text, retried) if part),
            "latency": properties.get("latency", ""),
        })

    def pytest_terminal_summary(self, terminalreporter):
        if not self.rows:
            return
        table = self.table()
        terminalreporter.write_line("")
        for line in table.splitlines():
            terminalreporter.write_line(line)
        if self.results_file:
            self.results_file.write_text(table, encoding="utf-8")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(table + "\n")

    def table(self) -> str:
        failed, total = sum(row["result"].startswith(RESULT["failed"]) for row in self.rows), len(self.rows)
        skipped = sum(row["result"].startswith(RESULT["skipped"]) for row in self.rows)
        retried = sum(row["result"].endswith(RETRIED) for row in self.rows)
        if failed:
            verdict = f"❌ {failed} of {total} checks failed"
        elif skipped:
            verdict = f"✅ {total - skipped} checks passed, {skipped} skipped"
        else:
            verdict = f"✅ all {total} checks passed"
        if retried:
            verdict += f" ({retried} retried)"
        lines = [f"### Edge smoke · {self.edge_url} · {verdict}", "", self.locations(), "",
                 *([self.regions(), ""] if self.predict_regions else []),
                 "| check | result | detail | latency |", "| --- | --- | --- | --- |"]
        for row in self.rows:
            cells = (row["check"], row["result"], row["detail"], row["latency"])
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return "\n".join(lines) + "\n"

    def locations(self) -> str:
        if not self.edge_locations:
            return f"Edge location tested: unknown (no answer carried {POP_HEADER})"
        seen = ", ".join(f"{pop} ({count} answers)" for pop, count in self.edge_locations.most_common())
        plural = "s" if len(self.edge_locations) > 1 else ""
        return f"Edge location{plural} tested ({POP_HEADER}): {seen}"


    def regions(self) -> str:
        named = Counter({region: count for region, count in self.predict_regions.items() if region})
        if not named:
            return f"Region that served predict: unknown (no answer to a predict carried {REGION_HEADER})"
        # an answer naming none is CloudFront's own (an error page) or an API's from before it named its region
        seen = ", ".join(f"{region} ({count} answers)" for region, count in named.most_common())
        plural = "s" if len(named) > 1 else ""
        return f"Region{plural} that served predict ({REGION_HEADER}): {seen}"


def first_line(report) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = crash.message if crash is not None else str(report.longrepr or "")
    message = EXCEPTION_NAME.sub("", message)
    return message.splitlines()[0][:700] if message else ""


def detail(report, properties: dict) -> str:
    if report.failed:
        return first_line(report)
    return skip_reason(report) if report.skipped else properties.get("detail", "")


def skip_reason(report) -> str:
    """Why a check was skipped (pytest keeps a skip as (file, line, "Skipped: reason"))."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return reason.removeprefix("Skipped: ")


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
