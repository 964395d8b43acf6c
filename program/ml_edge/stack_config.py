"""Where the program gets its raw stack config: the values the Pulumi engine hands to the language host."""

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from .config import EnvConfig
from .config_loading import ConfigError, load_config


class InvalidStackConfig(pulumi.RunError):
    """Stops the program (without a Python traceback) before any resource is registered."""

    def __init__(self, error: ConfigError):
        super().__init__(str(error))
        self.problems = error.problems


def read_env_config() -> EnvConfig:
    """Validate this stack's config once; a bad config stops the program before any resource is planned."""
    try:
        return load_config(_raw_config(), environment=pulumi.get_stack(), secret_keys=_secret_keys())
    except ConfigError as error:
        raise InvalidStackConfig(error) from None


def _raw_config() -> dict[str, Any]:
    # pulumi.Config reads one key at a time; to reject unknown keys the program needs them all. The engine passes
    # them in PULUMI_CONFIG, and tests and the offline preview set them with pulumi.runtime.set_all_config.
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _secret_keys() -> frozenset[str]:
    return frozenset(runtime_config.get_config_secret_keys_env()) | frozenset(runtime_config._SECRET_KEYS.get())
