"""What tools/bootstrap.sh reads from a stack file (gitops/stacks/bootstrap_inputs.py): read as YAML, each value under
its own key, so a flow list reads like a block list and two hostedZoneIds are not ambiguous; the regions default to
aws:region. The bootstrap's use of it and its errors: tests/test_deploy_bootstrap.py."""

import subprocess
import sys
from pathlib import Path

import pytest

from gitops.cli import bootstrap_inputs as cli
from gitops.stacks.bootstrap_inputs import BootstrapInputs, Domain, UnusableStackFile, read_inputs

ROOT = Path(__file__).resolve().parent.parent


def write_stack_file(environments_dir, config: str) -> None:
    (environments_dir / "qa").mkdir(parents=True)
    (environments_dir / "qa" / "Pulumi.qa.yaml").write_text("config:\n  aws:region: eu-west-1\n" + config)


def inputs_of(environments_dir, config: str) -> BootstrapInputs:
    write_stack_file(environments_dir, config)
    return read_inputs("qa", environments_dir)


def test_prod_runs_in_three_regions_behind_its_origin_domain():
    prod = read_inputs("prod")
    assert prod.regions == ("us-east-1", "eu-west-1", "ap-southeast-1")
    assert prod.custom_domain == Domain("api.ml-edge.example.com", "Z0123456789ABCDEFGHIJ")
    assert prod.origin_domain == Domain("origin.ml-edge.example.com", "Z0123456789ABCDEFGHIJ")
    assert prod.endpoints == tuple((region, "churn-xgb-prod") for region in prod.regions)


def test_the_regions_default_to_aws_region_and_a_flow_list_reads_like_a_block_list(tmp_path):
    assert inputs_of(tmp_path / "a", "").regions == ("eu-west-1",)
    origin = "  ml-edge:originDomain: {name: o.example.net, hostedZoneId: Z1}\n"
    flow = inputs_of(tmp_path / "b", "  ml-edge:regions: [eu-west-1, 'us-east-2']  # comment\n" + origin)
    block = inputs_of(tmp_path / "c", "  ml-edge:regions:\n    - eu-west-1\n    - \"us-east-2\"\n" + origin)
    assert flow == block
    assert flow.regions == ("eu-west-1", "us-east-2") and flow.origin_domain == Domain("o.example.net", "Z1")


def test_each_domain_is_read_from_its_own_key(tmp_path):
    inputs = inputs_of(tmp_path, "  ml-edge:customDomain:\n    domainName: api.example.com\n"
                                 "  ml-edge:originDomain:\n    hostedZoneId: ZORIGIN\n    name: origin.example.net\n")
    assert inputs.custom_domain == Domain("api.example.com", None)  # its records made by hand: no zone
    assert inputs.origin_domain == Domain("origin.example.net", "ZORIGIN")
    assert inputs.lines() == ["region eu-west-1", "regions eu-west-1", "custom-domain api.example.com",
                              "origin-domain origin.example.net", "origin-zone ZORIGIN"]


def test_an_endpoint_map_must_name_each_region(tmp_path):
    config = ("  ml-edge:regions: [eu-west-1, us-east-2]\n  ml-edge:originDomain: {name: o.example.net, "
              "hostedZoneId: Z1}\n  ml-edge:models:\n    - name: churn\n      endpointName: {eu-west-1: churn-eu}\n")
    with pytest.raises(UnusableStackFile, match=r"ml-edge:models\[0\]\.endpointName: a map must name each region"):
        inputs_of(tmp_path, config)


def test_the_command_prints_lines_and_exits_2_naming_the_key(tmp_path, capsys):
    assert cli.main(["--env", "prod"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["region us-east-1",
                                                        "regions us-east-1 eu-west-1 ap-southeast-1"]
    write_stack_file(tmp_path, "  ml-edge:regions: eu-west-1\n")
    assert cli.main(["--env", "qa", "--environments-dir", str(tmp_path)]) == 2
    assert "environments/qa/Pulumi.qa.yaml: ml-edge:regions: expected a list of regions" in capsys.readouterr().err


def test_reading_a_stack_file_loads_no_pydantic():
    """tools/bootstrap.sh starts this reader once per environment, and every bootstrap test runs the bootstrap: the
    config model's import (pydantic, its schemas) would triple each start; the patterns come from ml_edge.patterns."""
    code = ("import sys, gitops.cli.bootstrap_inputs; "
            "print(*sorted(m for m in sys.modules if m.startswith(('pydantic', 'ml_edge'))))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert loaded.split() and "pydantic" not in loaded and "ml_edge.config" not in loaded, loaded
