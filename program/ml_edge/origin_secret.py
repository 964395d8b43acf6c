"""The secret that proves a request came through CloudFront, rotatable without downtime.

Two values are generated inside the program (random passwords kept encrypted in the stack state; no secret lives
in the repository): slots `a` and `b`. CloudFront sends the slot named by `ml-edge:originSecret.send` as the
`HEADER`; the API's regional WAF accepts the slots in `accept` (both while a rotation is under way). `x-api-key`
stays free for the API's consumers.
"""

import pulumi
import pulumi_random as random

from .config import OriginSecretConfig

HEADER = "X-Origin-Verify"
LENGTH = 48
SLOTS = ("a", "b")


class OriginSecret(pulumi.ComponentResource):
    """`sent` is the value CloudFront adds; `accepted` the values the API lets through. All are Pulumi secrets."""

    sent: pulumi.Output[str]
    accepted: list[pulumi.Output[str]]

    def __init__(self, name: str, cfg: OriginSecretConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("ml-edge:index:OriginSecret", name,
                         {"phase": cfg.phase, "send": cfg.send, "accept": list(cfg.accept)}, opts)
        values = {
            slot: pulumi.Output.secret(random.RandomPassword(
                f"{name}-{slot}",
                length=LENGTH,
                special=False,  # header-safe characters only
                keepers={"generation": str(cfg.generation[slot])},  # a new generation is a new value
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
            ).result)
            for slot in SLOTS
        }
        self.header = HEADER
        self.phase = cfg.phase
        self.sent = values[cfg.send]
        self.accepted = [values[slot] for slot in cfg.accept]
        self.register_outputs({})
