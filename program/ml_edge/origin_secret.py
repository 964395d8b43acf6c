"""The secret that proves a request came through CloudFront.

Generated inside the program (a random password kept encrypted in the stack state), so no secret lives in the
repository. CloudFront adds it to every origin request as `HEADER`; the API's regional WAF rejects requests without
it. `x-api-key` stays free for the API's consumers.
"""

import pulumi
import pulumi_random as random

HEADER = "X-Origin-Verify"
LENGTH = 48


class OriginSecret(pulumi.ComponentResource):
    """One generated origin secret; `value` is a Pulumi secret and is never exported unmasked."""

    value: pulumi.Output[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:OriginSecret", name, None, opts)
        password = random.RandomPassword(
            f"{name}-value",
            length=LENGTH,
            special=False,  # header-safe characters only
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
        )
        self.header = HEADER
        self.value = pulumi.Output.secret(password.result)
        self.register_outputs({})
