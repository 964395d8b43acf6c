"""An in-memory GitHub REST API behind a requests adapter: enough for comments, pull requests and issues."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

BOT = {"login": "github-actions[bot]", "type": "Bot"}


class FakeGitHub(BaseAdapter):
    def __init__(self, pulls: dict[int, str | dict] | None = None):
        super().__init__()
        # number → head sha, or {sha, ref (head branch), repo (head repository, None: deleted), state}
        self.pulls = pulls or {}
        self.comments: dict[int, list[dict]] = {}
        self.issues: list[dict] = []
        # {id, environment, created_at, states (oldest first)}
        self.deployments: list[dict] = []
        self.calls: list[str] = []
        self.next_id = 1000

    def session(self) -> requests.Session:
        session = requests.Session()
        session.mount("https://api.github.test", self)
        return session

    def close(self):
        pass

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        path = url.path.removeprefix("/repos/acme/ml-edge")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.body) if request.body else {}
        self.calls.append(f"{request.method} {path}")
        status, payload = self.route(request.method, path, query, body)
        response = requests.Response()
        response.status_code, response._content, response.request = status, json.dumps(payload).encode(), request
        response.headers["Content-Type"] = "application/json"
        return response

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def route(self, method, path, query, body):
        if path == "/deployments" and method == "GET":
            mine = sorted((d for d in self.deployments if d["environment"] == query.get("environment")),
                          key=lambda d: d["created_at"], reverse=True)
            return 200, [{"id": d["id"], "environment": d["environment"], "created_at": d["created_at"]}
                         for d in mine[:int(query.get("per_page", 30))]]
        if m := re.fullmatch(r"/deployments/(\d+)/statuses", path):
            (deployment,) = [d for d in self.deployments if d["id"] == int(m.group(1))]
            return 200, [{"state": state} for state in reversed(deployment["states"])][:int(query.get("per_page", 30))]
        if m := re.fullmatch(r"/pulls/(\d+)", path):
            number = int(m.group(1))
            if number not in self.pulls:
                return 404, {"message": "Not Found"}
            pull = self.pulls[number] if isinstance(self.pulls[number], dict) else {"sha": self.pulls[number]}
            repo = pull.get("repo", "acme/ml-edge")
            return 200, {"number": number, "state": pull.get("state", "open"),
                         "head": {"sha": pull["sha"], "ref": pull.get("ref", "feature"),
                                  "repo": {"full_name": repo} if repo else None},
                         "base": {"ref": "main", "repo": {"full_name": "acme/ml-edge"}}}
        if m := re.fullmatch(r"/issues/(\d+)/comments", path):
            thread = self.comments.setdefault(int(m.group(1)), [])
            if method == "GET":
                page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
                return 200, thread[(page - 1) * per_page: page * per_page]
            thread.append({"id": self._id(), "body": body["body"], "user": BOT})
            return 201, thread[-1]
        if m := re.fullmatch(r"/issues/comments/(\d+)", path):
            for thread in self.comments.values():
                for comment in thread:
                    if comment["id"] == int(m.group(1)):
                        comment["body"] = body["body"]
                        return 200, comment
            return 404, {"message": "Not Found"}
        if path == "/issues" and method == "GET":
            open_issues = [i for i in self.issues if i["state"] == "open" and query.get("labels") in i["labels"]]
            return 200, open_issues
        if path == "/issues" and method == "POST":
            issue = {"number": len(self.issues) + 1, "title": body["title"], "body": body["body"],
                     "labels": body["labels"], "state": "open", "comments": []}
            self.issues.append(issue)
            return 201, issue
        if m := re.fullmatch(r"/issues/(\d+)", path):
            issue = self.issues[int(m.group(1)) - 1]
            issue.update(state=body.get("state", issue["state"]))
            return 200, issue
        return 404, {"message": f"no route {method} {path}"}
