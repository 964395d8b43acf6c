"""The shapes of config values that become parts of ARNs and IAM policies. The config model (config.py) checks them,
and so does the account bootstrap (gitops/stacks/bootstrap_inputs.py) before it renders a policy: it imports this
module, not config.py, so that reading a stack file loads no pydantic (0.2 s of each bootstrap run)."""

DNS_NAME_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
HOSTED_ZONE_PATTERN = r"^Z[A-Z0-9]{1,32}$"
SAGEMAKER_ENDPOINT_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
