"""The stack's outputs: each name, when the stack has it, whether it is secret, and what it holds. The names are a
contract (DESIGN.md; the deploy, the smoke run and the rotation check read them); the README's table is rendered
from here (`make golden`)."""

from dataclasses import dataclass

ROTATION_OUTPUT = "originSecretRotation"  # read by the rotation-order check (gitops): slot names only, no secret
HEARTBEAT_OUTPUT = "smokeHeartbeatAlarm"
BEGIN, END = "<!-- stack outputs: rendered from program/ml_edge/outputs.py by make golden -->", "<!-- end outputs -->"


@dataclass(frozen=True)
class StackOutput:
    name: str
    description: str
    when: str = ""  # empty: always
    secret: bool = False


OUTPUTS = (
    StackOutput("edgeUrl", "the edge's https URL (the custom domain's when there is one)"),
    StackOutput("originUrl", "the stage's invoke URL (refuses anything without the origin secret)"),
    StackOutput("distributionId", "the CloudFront distribution (invalidations)"),
    StackOutput("apiId", "the REST API"),
    StackOutput("stage", "the stage's name"),
    StackOutput("models", "the deployed models' names (the smoke suite compares the catalog with it)"),
    StackOutput("environment", "the environment's name"),
    StackOutput("consumerKeyIds", "consumer → its API key's id"),
    StackOutput("consumerPlans", "consumer → its tier's limits"),
    StackOutput(ROTATION_OUTPUT, "which origin secret is sent and which are accepted (slot names, no value): "
                "the rotation-order check of pull requests and deploys"),
    StackOutput(HEARTBEAT_OUTPUT, "the alarm that fires when no smoke run passed for `smokeHeartbeatHours`"),
    StackOutput("regions", "the regions the API runs in, the stack's own first", "more than one region"),
    StackOutput("originUrls", "region → that region's invoke URL (each refuses anything without the origin secret); "
                "`originUrl` is the first's", "more than one region"),
    StackOutput("smokeApiKey", "the smoke consumer's key", "`ml-edge:smokeConsumer`", secret=True),
    StackOutput("smokeKeyPlan", "the smoke consumer's limits", "`ml-edge:smokeConsumer`"),
    StackOutput("smokeRestrictedApiKey", "the restricted smoke consumer's key", "`ml-edge:smokeRestrictedConsumer`",
                secret=True),
    StackOutput("smokeRestrictedModels", "the models that key may call", "`ml-edge:smokeRestrictedConsumer`"),
    StackOutput("backendClientCertificate", "the PEM the stage presents, which model servers must require "
                "(public)", "`http` models"),
    StackOutput("backendClientCertificates", "each issued certificate with its expiry, for a rotation",
                "`http` models"),
    StackOutput("backendClientCertificatesByRegion", "region → each certificate that region issued with its "
                "expiry (API Gateway issues them per region): model servers must trust every region's presented one",
                "`http` models and more than one region"),
)
NAMES = tuple(o.name for o in OUTPUTS)


def table() -> str:
    rows = [f"| `{o.name}` | {o.when or 'always'} | {'yes' if o.secret else ''} | {o.description} |" for o in OUTPUTS]
    return "| output | when | secret | what it holds |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n"


def rendered(readme: str) -> str:
    before, begin, rest = readme.partition(BEGIN)
    if not begin:
        return readme
    _, end, after = rest.partition(END)
    if not end:
        raise ValueError(f"README: {BEGIN} without {END}")
    return f"{before}{BEGIN}\n{table()}{END}{after}"
