"""The edge's WAF blocking the runner itself, told as one failure instead of one per check.

An IP reputation list or the rate-based rule can block the machine the suite runs on. CloudFront then answers
every request with its own HTML 403 ("Request blocked. We can't connect to the server for this app or website at
this time.", `Server: CloudFront`, `X-Cache: Error from cloudfront`; repost.aws knowledge-center/
cloudfront-troubleshoot-403-errors). A WAF CAPTCHA or Challenge action answers 405 or 202 with the header
`x-amzn-waf-action` (AWS WAF developer guide, "CAPTCHA and Challenge action behavior"); a Block sends no such
header. Every later check would fail for the same reason: the first one that meets the block fails saying so,
the rest are skipped.
"""

from dataclasses import dataclass

import pytest
import requests
from edge_client import describe

BLOCK_PAGE_TEXT = "Request blocked"


def waf_block(response: requests.Response) -> str | None:
    """What the edge's WAF did to this request, None when the answer is not the WAF's."""
    action = response.headers.get("x-amzn-waf-action")
    if action:
        return f"a WAF {action} action ({response.status_code}, x-amzn-waf-action: {action})"
    if response.status_code == 403 and response.headers.get("X-Cache", "").startswith("Error from cloudfront") \
            and "html" in response.headers.get("Content-Type", "") and BLOCK_PAGE_TEXT in response.text:
        return "CloudFront's 403 \"Request blocked\" page (a Block rule of the edge's web ACL)"
    return None


class EdgeBlocked(AssertionError):
    pass


@dataclass
class BlockState:
    """A pytest plugin: remembers the first block, fails one check with it and skips every check after it."""
    message: str | None = None
    reported_by: str | None = None

    def observe(self, response: requests.Response) -> None:
        what = waf_block(response)
        if what is None:
            return
        if self.message is None:
            request = response.request
            self.message = (f"expected the edge to serve this runner; the edge's WAF blocked it with {what} at "
                            f"{request.method} {request.url}: {describe(response)}. Every later check is skipped: "
                            "find the rule in the web ACL's metrics (sampled requests are off), or run from "
                            "another address")
        raise EdgeBlocked(self.message)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.message is None:
            return
        if self.reported_by is None:  # blocked before any check ran (readiness, the model discovery)
            self.reported_by = title(item)
            pytest.fail(self.message, pytrace=False)
        pytest.skip(self.skip_reason())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and call.excinfo.errisinstance(EdgeBlocked) and report.failed:
            if self.reported_by is None or self.reported_by == title(item):
                self.reported_by = title(item)
            else:  # a check that was under way when the block began
                report.outcome = "skipped"
                report.longrepr = (str(item.path), 0, f"Skipped: {self.skip_reason()}")

    def skip_reason(self) -> str:
        return f"not run: the edge's WAF blocks this runner (see “{self.reported_by}”)"


def title(item) -> str:
    return dict(item.user_properties).get("check", item.name)
