"""The environment folders read as the Pulumi CLI reads them, what a change touches, the configured environments,
whether one is set up for a cloud run, the origin-secret rotation rules. The lowest layer: imports nothing else of
gitops."""
