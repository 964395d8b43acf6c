"""Names: every logical name the program gives a resource, how Pulumi turns it into a physical name, and the
length AWS allows for it.

Pulumi autonames a resource whose name the program does not set as its logical name, `-`, and 7 random
characters. AWS refuses a name over its limit at create time, in the middle of a deploy; pulumi-aws checks only
some limits at preview. So the config validation computes the longest physical names a config produces and
refuses the config before anything is planned; the offline plan names resources the same way
(gitops.planning.plan_mocks) and the tests check every planned name against these limits.
"""

from dataclasses import dataclass

from .resource_types import (
    CACHE_POLICY,
    EVENT_RULE,
    FUNCTION,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    LAMBDA_PERMISSION,
    LOG_DELIVERY_DESTINATION,
    LOG_DELIVERY_SOURCE,
    LOG_GROUP,
    METRIC_ALARM,
    WEB_ACL,
)

# The names the config accepts (config.py), without anchors. Copies where the program is not on the import path: the
# consumer authorizer (authorizer/handler.py, packaged on its own) and the comment poster (gitops/github/poster.py,
# which loads no program code); tests/test_names.py keeps them equal to these.
NAME_PATTERN = r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?"  # a model's or consumer's name: a path segment, part of names
ENVIRONMENT_PATTERN = r"[a-z][a-z0-9-]{0,19}"  # the stack's name, part of every resource name

AUTONAME_RANDOM_CHARS = 7
AUTONAME_SUFFIX = 1 + AUTONAME_RANDOM_CHARS  # "-" and the random characters


@dataclass(frozen=True)
class NameLimit:
    prop: str  # the input holding the physical name (engine-shaped, camelCase)
    max_length: int
    documented: str  # where AWS states the limit


# The resource types whose physical names the program creates (set or autonamed), with AWS's limits.
NAME_LIMITS: dict[str, NameLimit] = {
    IAM_ROLE: NameLimit("name", 64, "IAM CreateRole: RoleName, 1-64 characters"),
    IAM_ROLE_POLICY: NameLimit("name", 128, "IAM PutRolePolicy: PolicyName, 1-128 characters"),
    FUNCTION: NameLimit("name", 64, "Lambda CreateFunction: FunctionName, 1-64 characters"),
    LAMBDA_PERMISSION: NameLimit("statementId", 100,
                                                  "Lambda AddPermission: StatementId, 1-100 characters"),
    LOG_GROUP: NameLimit("name", 512, "CloudWatch Logs CreateLogGroup: logGroupName, "
                                                               "1-512 characters"),
    WEB_ACL: NameLimit("name", 128, "WAFV2 CreateWebACL: Name, 1-128 characters"),
    CACHE_POLICY: NameLimit("name", 128, "CloudFront CachePolicyConfig: Name, "
                                                                     "up to 128 characters"),
    METRIC_ALARM: NameLimit("name", 255, "CloudWatch PutMetricAlarm: AlarmName, "
                                                                     "1-255 characters"),
    EVENT_RULE: NameLimit("name", 64, "EventBridge PutRule: Name, 1-64 characters"),
    LOG_DELIVERY_SOURCE: NameLimit(
        "name", 60, "CloudWatch Logs PutDeliverySource: name, 1-60 characters, [\\w-]*"),
    LOG_DELIVERY_DESTINATION: NameLimit(
        "name", 60, "CloudWatch Logs PutDeliveryDestination: name, 1-60 characters, [\\w-]*"),
}


def autonamed_length(logical_name: str) -> int:
    return len(logical_name) + AUTONAME_SUFFIX


# --- the program's logical names (one home: components and the validation both use these) ---------------------

def stack_prefix(environment: str) -> str:
    return f"ml-edge-{environment}"


def in_region(name: str, region: str | None) -> str:
    """A regional part's logical name: unchanged in the stack's own region (None; its resources are deployed under
    these names, and a new name would replace them), suffixed with the region in every other one."""
    return name if region is None else f"{name}-{region}"


def api(environment: str, region: str | None = None) -> str:
    return in_region(f"{stack_prefix(environment)}-api", region)


def reference_model(environment: str, model: str, region: str | None = None) -> str:
    """The ReferenceModel component; its children are named with the suffixes below."""
    return f"{api(environment, region)}-{model}"


# children of a reference model, by resource type: the logical-name suffix of each autonamed one
REFERENCE_MODEL_CHILDREN = {
    FUNCTION: "",
    IAM_ROLE: "-role",
    IAM_ROLE_POLICY: "-logs",
    LAMBDA_PERMISSION: "-invoke",
}


# children of the consumer authorizer (lambda_function.python_function), the same way; its invoke permission is the
# Consumers component's child, named after that
AUTHORIZER_CHILDREN = {FUNCTION: "", IAM_ROLE: "-role", IAM_ROLE_POLICY: "-logs"}


def reference_model_names(environment: str, model: str, region: str | None = None) -> list[tuple[str, str, int]]:
    """(resource type, logical name, physical length) of each autonamed resource a reference model creates."""
    base = reference_model(environment, model, region)
    return [(kind, base + suffix, autonamed_length(base + suffix)) for kind, suffix in REFERENCE_MODEL_CHILDREN.items()]


def authorizer_names(environment: str, region: str | None = None) -> list[tuple[str, str, int]]:
    """(resource type, logical name, physical length) of each autonamed resource the consumer authorizer creates."""
    base = authorizer(environment, region)
    return [(kind, base + suffix, autonamed_length(base + suffix)) for kind, suffix in AUTHORIZER_CHILDREN.items()]


def sagemaker_access(environment: str, region: str | None = None) -> str:
    """The SageMakerAccess component: the role API Gateway assumes to call the SageMaker endpoints (one per region,
    IAM being global, so another region's carries the region in its name)."""
    return f"{api(environment, region)}-sagemaker"


SAGEMAKER_ACCESS_CHILDREN = {IAM_ROLE: "-role", IAM_ROLE_POLICY: "-invoke"}


def sagemaker_access_names(environment: str, region: str | None = None) -> list[tuple[str, str, int]]:
    """(resource type, logical name, physical length) of each autonamed resource the SageMaker access creates."""
    base = sagemaker_access(environment, region)
    return [(kind, base + suffix, autonamed_length(base + suffix))
            for kind, suffix in SAGEMAKER_ACCESS_CHILDREN.items()]


def too_long(environment: str, model: str | None, region: str | None = None) -> list[str]:
    """What overflows AWS's limits when `model` is a reference model of `environment` (in `region`, None for the
    stack's own); with model None, what the consumer authorizer's names overflow. Empty when all fit."""
    names = reference_model_names(environment, model, region) if model else authorizer_names(environment, region)
    return overflows(names)


def sagemaker_access_too_long(environment: str, region: str | None = None) -> list[str]:
    """What the SageMaker access's names overflow in `region` (None for the stack's own). Empty when all fit."""
    return overflows(sagemaker_access_names(environment, region))


def overflows(names: list[tuple[str, str, int]]) -> list[str]:
    problems = []
    for kind, logical, length in names:
        limit = NAME_LIMITS[kind]
        if length > limit.max_length:
            problems.append(f"the {kind.split(':')[-1]} name {logical}-xxxxxxx would be {length} characters; "
                            f"AWS allows {limit.max_length} ({limit.documented})")
    return problems


def authorizer(environment: str, region: str | None = None) -> str:
    """The consumer authorizer's Lambda function (its role, log group and policy add the usual suffixes)."""
    return in_region(f"{stack_prefix(environment)}-authorizer", region)

