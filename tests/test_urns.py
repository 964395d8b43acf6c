"""The planned URNs of every environment, kept as golden files: a refactoring of the program (names, parents,
component types) that would make Pulumi replace or orphan deployed resources changes a URN, and this test goes red.
A URN is `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`: the name and the chain of parent types are
the resource's identity in the state; an intended change needs `aliases` (or a state move) and `make golden`."""

from golden_files import golden


def test_the_planned_urns_are_the_deployed_ones(plan):
    golden(f"urns_{plan.environment}.txt", "".join(f"{urn}\n" for urn in sorted(r.urn for r in plan.resources)))
