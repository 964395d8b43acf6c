"""The entry points: `python -m gitops.cli.<name>`. Each is thin: arguments → one call into a library → exit status."""
