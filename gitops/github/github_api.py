"""The few GitHub REST calls the workflows need: pull requests, issue comments, issues. Token from GITHUB_TOKEN."""

import os

import requests

API = "https://api.github.com"
BOT = "github-actions[bot]"


class GitHub:
    def __init__(self, repo: str, token: str | None = None, api: str | None = None,
                 session: requests.Session | None = None):
        self.repo = repo
        self.api = (api or os.environ.get("GITHUB_API_URL") or API).rstrip("/")
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                                     "Authorization": f"Bearer {token or os.environ['GITHUB_TOKEN']}"})

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, f"{self.api}/repos/{self.repo}{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"GitHub {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response

    def _pages(self, path: str, **params) -> list[dict]:
        items, page = [], 1
        while True:
            batch = self._call("GET", path, params={**params, "per_page": 100, "page": page}).json()
            items += batch
            if len(batch) < 100:
                return items
            page += 1

    def pull_request(self, number: int) -> dict:
        return self._call("GET", f"/pulls/{number}").json()

    def upsert_comment(self, issue: int, marker: str, body: str) -> str:
        """Update the bot's comment that carries `marker`, or create it. Returns "updated" or "created"."""
        mine = [c for c in self._pages(f"/issues/{issue}/comments")
                if c.get("user", {}).get("login") == BOT and marker in (c.get("body") or "")]
        if mine:
            self._call("PATCH", f"/issues/comments/{mine[0]['id']}", json={"body": body})
            return "updated"
        self._call("POST", f"/issues/{issue}/comments", json={"body": body})
        return "created"

    def open_issue(self, title: str, label: str) -> dict | None:
        return next((i for i in self._pages("/issues", state="open", labels=label)
                     if i.get("title") == title and "pull_request" not in i), None)

    def report_failure(self, title: str, label: str, body: str) -> str:
        """One open issue per title: create it, or add the new failure as a comment."""
        existing = self.open_issue(title, label)
        if existing:
            self._call("POST", f"/issues/{existing['number']}/comments", json={"body": body})
            return f"updated #{existing['number']}"
        created = self._call("POST", "/issues", json={"title": title, "body": body, "labels": [label]}).json()
        return f"opened #{created['number']}"

    def report_recovery(self, title: str, label: str, body: str) -> str:
        existing = self.open_issue(title, label)
        if not existing:
            return "nothing open"
        self._call("POST", f"/issues/{existing['number']}/comments", json={"body": body})
        self._call("PATCH", f"/issues/{existing['number']}", json={"state": "closed", "state_reason": "completed"})
        return f"closed #{existing['number']}"

    def deployments(self, environment: str, count: int = 5) -> list[dict]:
        """The environment's newest deployments (the jobs that name it as their GitHub environment), newest first."""
        return self._call("GET", "/deployments", params={"environment": environment, "per_page": count}).json()

    def deployment_state(self, deployment_id: int) -> str | None:
        """The state of a deployment's newest status (queued, in_progress, success, …), None before any."""
        statuses = self._call("GET", f"/deployments/{deployment_id}/statuses", params={"per_page": 1}).json()
        return statuses[0]["state"] if statuses else None
