"""Where a regional part of the environment lives.

The stack's own region (`aws:region`, the provider's) keeps what was deployed before the program knew regions: the
same logical names (so the same URNs) and no `region` argument on its resources. Every other region's resources
carry the region twice: in their logical names (naming.in_region) and in pulumi-aws 7's per-resource `region`
argument, which places a resource in that region without a provider of its own.
"""


def region_argument(region: str | None) -> dict[str, str]:
    """Keyword arguments for a regional resource: none in the stack's own region (None), `region=` elsewhere."""
    return {} if region is None else {"region": region}
