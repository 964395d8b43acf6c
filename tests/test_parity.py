"""The README's parity table (Checkov, AWS Config and Pulumi's packs → ml-edge's guardrails) says what the pack and
each environment's policy.json really do: every peer rule names a guardrail that exists, at the level each
environment gives it, or says why it does not apply (issue 15, item 3)."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from gitops.policy.policy_check import read_pack_config, reconcile
from gitops.stacks.environments import environment_names, policy_config_file

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "### Parity with Checkov, AWS Config and Pulumi's policy packs"
ENVIRONMENTS = ("dev", "staging", "prod")
NONE = "—"
MIN_REASON = 20  # characters: a reason is a sentence, not a shrug
# how each source spells its rule ids, by the table's lead-in line
ID_SPELLING = {"Checkov:": re.compile(r"CKV2?_AWS_\d+"),
               "AWS Config managed rules:": re.compile(r"[A-Z0-9]+(_[A-Z0-9]+)+"),
               "Pulumi's packs:": re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")}
# a backticked token in a note that looks like a guardrail's name must be one (a typo would point nowhere)
GUARDRAIL_LIKE = re.compile(
    r"(cloudfront|apigateway|api|lambda|origin|backends|iam|log-group|route53|regions)-[a-z0-9-]+")
# the rules issue 15 names; the table must answer each of them
ISSUE_15 = ["CKV_AWS_86", "CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_120", "CKV_AWS_174", "CKV_AWS_68",
            "CKV_AWS_276", "CKV_AWS_73", "CKV_AWS_76", "CKV2_AWS_53", "CKV_AWS_192", "CKV2_AWS_47",
            "CLOUDFRONT_TRAFFIC_TO_ORIGIN_ENCRYPTED", "SAGEMAKER_ENDPOINT_CONFIG_PROD_INSTANCE_COUNT",
            "apigateway-endpoint-type"]


@dataclass(frozen=True)
class Row:
    source: str  # the lead-in line of its table
    peers: list[str]
    guardrails: list[str]
    levels: dict[str, str]
    reason: str
    line: str


def parity_rows(text: str) -> list[Row]:
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    rows, source = [], None
    for line in text[start:end if end != -1 else len(text)].splitlines():
        if line.endswith(":") and not line.startswith("|"):
            source = line
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        assert len(cells) == 7, f"a parity row has 7 cells: {line}"
        peer, _checks, guardrail, dev, staging, prod, reason = cells
        rows.append(Row(source, re.findall(r"`([^`]+)`", peer),
                        [] if guardrail == NONE else [g.strip().strip("`") for g in guardrail.split(",")],
                        dict(zip(ENVIRONMENTS, (dev, staging, prod), strict=True)), reason, line))
    return rows


ROWS = parity_rows(README.read_text())


@pytest.fixture(scope="module")
def levels(pack) -> dict[str, dict[str, str]]:
    """Guardrail → environment → level, as the pack and each environment's policy.json set it."""
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    by_policy: dict[str, dict[str, str]] = {}
    for env in environment_names():
        path = policy_config_file(env)
        for name, (level, _) in reconcile(info, read_pack_config(path), path).items():
            by_policy.setdefault(name, {})[env] = level
    return by_policy


def test_the_table_covers_the_three_sources_and_the_rules_issue_15_names():
    assert {row.source for row in ROWS} == set(ID_SPELLING)
    assert len(ROWS) >= 90
    listed = [peer for row in ROWS for peer in row.peers]
    assert [rule for rule in ISSUE_15 if rule not in listed] == []


def test_every_peer_rule_is_listed_once_and_spelled_as_its_source_spells_it():
    listed = [peer for row in ROWS for peer in row.peers]
    assert sorted({p for p in listed if listed.count(p) > 1}) == []
    for row in ROWS:
        for peer in row.peers:
            assert ID_SPELLING[row.source].fullmatch(peer), (row.source, peer)


def test_every_peer_rule_has_a_guardrail_or_a_reason():
    """A reason may be another row's ("as `CKV_AWS_120`"): that row must then give one."""
    by_peer = {peer: row for row in ROWS for peer in row.peers}
    for row in ROWS:
        if row.guardrails:
            continue
        assert set(row.levels.values()) == {NONE}, f"levels without a guardrail: {row.line}"
        reason, seen = row, set()
        while (same := re.fullmatch(r"as `([^`]+)`", reason.reason)) and same.group(1) not in seen:
            seen.add(same.group(1))
            assert same.group(1) in by_peer, f"the reason refers to a rule the table does not list: {row.line}"
            reason = by_peer[same.group(1)]
        assert not reason.guardrails and len(reason.reason) >= MIN_REASON, f"no guardrail and no reason: {row.line}"


def test_every_guardrail_named_exists_at_the_level_each_environment_gives_it(levels):
    for row in ROWS:
        for name in row.guardrails:
            assert name in levels, f"{name} is not a guardrail of the pack: {row.line}"
        if row.guardrails:
            for env in ENVIRONMENTS:
                stated = " / ".join(levels[name][env] for name in row.guardrails)
                assert row.levels[env] == stated, (row.peers, env)


def test_a_guardrail_mentioned_in_a_note_exists(levels):
    for row in ROWS:
        for token in re.findall(r"`([^`]+)`", row.reason):
            if GUARDRAIL_LIKE.fullmatch(token):
                assert token in levels, f"{token} is not a guardrail of the pack: {row.line}"


def test_prod_enforces_every_guardrail_the_table_names(levels):
    """Issue 15: prod passes all of them in make preview (test_every_environment_passes_its_mandatory_policies)."""
    named = {name for row in ROWS for name in row.guardrails}
    assert {name: levels[name]["prod"] for name in named if levels[name]["prod"] != "mandatory"} == {}
