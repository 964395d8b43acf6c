"""The policy pack keeps its own copies of the program's facts on purpose: it is reached only through the analyzer
protocol and imports nothing of the program. Each copy equals the program's one home of the fact: the resource type
tokens (ml_edge.resource_types), the managed CloudFront policy IDs (ml_edge.edge), the origin-secret header
(ml_edge.origin_secret) and the names the pack's patterns check (ml_edge.roles, ml_edge.regions). Every token, the
pack's and the program's, is one the installed SDK registers."""

import importlib
import importlib.util
import keyword
import pkgutil
import re
from pathlib import Path

import guardrails
from gitops.planning.plan_mocks import stage_invoke_url
from guardrails import aws as pack_aws
from guardrails.cloudfront_security_headers import MANAGED_SECURITY_HEADERS
from guardrails.iam_role_bounded import BOUNDARY_ARN
from guardrails.origin_secret_header import EXECUTE_API_HOST
from ml_edge import edge, resource_types
from ml_edge.naming import ENVIRONMENT_PATTERN
from ml_edge.origin import invoke_url_host
from ml_edge.origin_secret import HEADER
from ml_edge.regions import PARTITION, REGIONS
from ml_edge.roles import boundary_policy_name

TOKEN = re.compile(r"(aws|random):([a-z0-9]+)/([A-Za-z0-9]+):([A-Za-z0-9]+)")
MANAGED_POLICY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SDKS = {"aws": "pulumi_aws", "random": "pulumi_random"}


def constants(module, shape: re.Pattern) -> dict[str, str]:
    return {name: value for name, value in vars(module).items()
            if name.isupper() and isinstance(value, str) and shape.fullmatch(value)}


def pack_constants(shape: re.Pattern) -> dict[str, str]:
    """`module.NAME` → value of every module-level constant of that shape in the pack."""
    found = {}
    for info in pkgutil.iter_modules(guardrails.__path__):
        module = importlib.import_module(f"guardrails.{info.name}")
        found |= {f"{info.name}.{name}": value for name, value in constants(module, shape).items()
                  if getattr(module, name) is not None and not _imported(module, name)}
    return found


def _imported(module, name: str) -> bool:
    """A constant another pack module defines (`from .aws import DISTRIBUTION`): counted once, where it is made."""
    return re.search(rf"^{name}\s*=", Path(module.__file__).read_text(encoding="utf-8"), re.MULTILINE) is None


def registered_by_the_sdk(token: str) -> bool:
    """The SDK's class (or function) for a token passes it, quoted, to the engine: aws:cloudfront/distribution:
    Distribution in pulumi_aws/cloudfront/distribution.py, aws:index/getRegion:getRegion in pulumi_aws/get_region.py."""
    provider, module, member, _ = TOKEN.fullmatch(token).groups()
    package = Path(importlib.util.find_spec(SDKS[provider]).origin).parent
    folder = "" if module == "index" else f"{module}_" if keyword.iskeyword(module) else module  # lambda_
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", member).lower()
    source = package / folder / f"{snake}.py"
    return source.is_file() and f"'{token}'" in source.read_text(encoding="utf-8")


def test_each_type_token_of_the_pack_is_the_programs():
    in_the_pack = pack_constants(TOKEN)
    programs = constants(resource_types, TOKEN)
    shared = {where: token for where, token in in_the_pack.items() if where.split(".")[1] in programs}
    assert len(shared) >= 15  # the pack names these resources the way the program's module does
    assert {where: programs[where.split(".")[1]] for where in shared} == shared
    # the rest are resources the program never creates, which the pack forbids (a function URL, an HTTP API)
    assert {where.split(".")[1] for where in in_the_pack if where not in shared} == {"LAMBDA_FUNCTION_URL", "HTTP_API"}


def test_every_type_token_is_one_the_sdk_registers():
    tokens = {*constants(resource_types, TOKEN).values(), *pack_constants(TOKEN).values()}
    assert [token for token in sorted(tokens) if not registered_by_the_sdk(token)] == []


def test_the_sdk_check_sees_a_misspelt_token():
    assert registered_by_the_sdk(resource_types.DISTRIBUTION)
    assert not registered_by_the_sdk("aws:cloudfront/distribution:Distributions")
    assert not registered_by_the_sdk("aws:cloudfront/Distribution:Distribution")


def test_each_managed_policy_id_of_the_pack_is_the_programs():
    assert (pack_aws.CACHING_DISABLED, MANAGED_SECURITY_HEADERS) == (edge.CACHING_DISABLED, edge.SECURITY_HEADERS)
    programs = set(constants(edge, MANAGED_POLICY_ID).values())
    assert set(pack_constants(MANAGED_POLICY_ID).values()) <= programs  # no other copy in the pack


def test_the_packs_default_origin_secret_header_is_the_one_cloudfront_sends():
    assert pack_aws.HEADER_NAME_SETTING["default"] == HEADER


def test_the_packs_boundary_pattern_takes_every_environments_boundary_and_no_other():
    longest = "e" * 10 + "-" + "n" * 9
    assert re.fullmatch(ENVIRONMENT_PATTERN, longest)
    for env in ("dev", "prod", "eu-2", longest):
        assert BOUNDARY_ARN.fullmatch(f"arn:{PARTITION}:iam::123456789012:policy/{boundary_policy_name(env)}"), env
    assert not BOUNDARY_ARN.fullmatch(f"arn:{PARTITION}:iam::123456789012:policy/ml-edge-dev-admin")


def test_the_packs_execute_api_host_pattern_takes_the_programs_origin_in_every_region():
    hosts = {region: invoke_url_host(stage_invoke_url("a1b2c3d4e5", region, "v1")) for region in REGIONS}
    assert [region for region, host in hosts.items() if not EXECUTE_API_HOST.search(host)] == []
