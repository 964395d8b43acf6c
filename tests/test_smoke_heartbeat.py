"""Every smoke run publishes the metric the SmokeHeartbeat alarm watches (issue 18, item 11), in the stack's region;
a failure to publish is reported and never changes the smoke result. CloudWatch through botocore's Stubber."""

import subprocess

import boto3
import pytest
from botocore.stub import Stubber

from gitops.cli import smoke as smoke_cli
from gitops.smoke_run import heartbeat as smoke_heartbeat
from gitops.smoke_run import run as smoke_run
from gitops.stacks.environments import read_stack_config

STACK = {"edgeUrl": "https://e.example.com", "originUrl": "https://o.example.com/v1", "models": ["iris"]}


def cloudwatch(region: str):
    return boto3.client("cloudwatch", region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def expected_request(environment: str, value: float) -> dict:
    return {"Namespace": f"ml-edge/{environment}",
            "MetricData": [{"MetricName": "SmokePassed", "Unit": "Count", "Value": value,
                            "Dimensions": [{"Name": "Environment", "Value": environment}]}]}


def test_the_published_metric_is_the_one_the_alarm_watches():
    """The alarm's names, repeated in gitops (the smoke jobs install no Pulumi SDK), are the program's."""
    from ml_edge import smoke_heartbeat as program

    assert (smoke_heartbeat.namespace("qa"), smoke_heartbeat.METRIC, smoke_heartbeat.DIMENSION) == \
        (program.namespace("qa"), program.METRIC, program.DIMENSION)
    # the alarm fires below 1 (Maximum per period): a passing run must publish 1, a failing one less
    assert smoke_heartbeat.metric_data("prod", True)["MetricData"][0]["Value"] == 1
    assert smoke_heartbeat.metric_data("prod", False)["MetricData"][0]["Value"] < 1


@pytest.mark.parametrize(("passed", "value"), [(True, 1.0), (False, 0.0)])
def test_a_run_publishes_one_data_point(passed, value, capsys):
    client = cloudwatch("eu-west-1")
    with Stubber(client) as stub:
        stub.add_response("put_metric_data", {}, expected_request("staging", value))
        assert smoke_heartbeat.publish("staging", "eu-west-1", passed, client) is True
        stub.assert_no_pending_responses()
    assert f"ml-edge/staging/SmokePassed Environment=staging = {int(value)} in eu-west-1" in capsys.readouterr().err


def test_a_refused_publish_is_reported_clearly(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    client = cloudwatch("us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("put_metric_data", service_error_code="AccessDenied", http_status_code=403,
                              service_message="not authorized to perform: cloudwatch:PutMetricData")
        assert smoke_heartbeat.publish("prod", "us-east-1", True, client) is False
    out, err = capsys.readouterr()
    assert "error: the smoke heartbeat (ml-edge/prod/SmokePassed Environment=prod = 1, us-east-1) was not published: " \
           "An error occurred (AccessDenied)" in err
    assert "The smoke result above stands" in err
    assert out.startswith("::warning title=Smoke heartbeat not published::the smoke heartbeat")


@pytest.fixture
def stubbed_run(monkeypatch):
    """make smoke with the stack faked, the suite's exit status chosen, CloudWatch stubbed in the region asked."""
    monkeypatch.setattr(smoke_run, "stack_outputs", lambda stack, show_secrets=False: STACK)
    monkeypatch.delenv("SMOKE_EXPECTED_MODELS", raising=False)
    regions = []

    def run(status: int, responses, argv=("--heartbeat",)):
        monkeypatch.setattr(smoke_run.subprocess, "run",
                            lambda command, **kwargs: subprocess.CompletedProcess(command, status))
        client = None

        def client_in(region):
            nonlocal client
            regions.append(region)
            client = cloudwatch(region)
            stub = Stubber(client)
            responses(stub)
            stub.activate()
            return client
        monkeypatch.setattr(smoke_heartbeat, "cloudwatch_client", client_in)
        return smoke_cli.main(["--env", "prod", *argv]), regions
    return run


def test_a_failing_run_publishes_0_in_the_region_of_the_alarm_and_keeps_its_status(stubbed_run, capsys):
    status, regions = stubbed_run(1, lambda stub: stub.add_response("put_metric_data", {},
                                                                     expected_request("prod", 0.0)))
    assert status == 1
    # taken as stubbed (a request the Stubber does not expect is a botocore error, reported as not published)
    assert "published the smoke heartbeat: ml-edge/prod/SmokePassed Environment=prod = 0 in us-east-1" in \
        capsys.readouterr().err
    # the alarm is created with the stack's default provider: the region of its stack file
    assert regions == [read_stack_config("prod").values["aws:region"]] == ["us-east-1"]


def test_a_publish_failure_does_not_hide_a_passed_smoke_run(stubbed_run, capsys):
    status, _ = stubbed_run(0, lambda stub: stub.add_client_error("put_metric_data", "AccessDenied", "denied", 403))
    assert status == 0
    assert "was not published" in capsys.readouterr().err


def test_a_publish_failure_does_not_hide_a_failed_smoke_run_either(stubbed_run):
    status, _ = stubbed_run(1, lambda stub: stub.add_client_error("put_metric_data", "Throttling", "slow", 400))
    assert status == 1


def test_without_the_flag_nothing_is_published(stubbed_run):
    status, regions = stubbed_run(0, lambda stub: None, argv=())
    assert status == 0 and regions == []
