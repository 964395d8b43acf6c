"""The three environments differ the way real ones do, and each plans cleanly."""

from plan_views import ENVIRONMENTS


def test_the_three_environments_exist():
    assert ENVIRONMENTS == ["dev", "prod", "staging"]


def test_prod_is_global_with_waf_and_a_custom_domain(plans):
    prod = plans["prod"].config
    assert prod.price_class == "PriceClass_All"
    assert prod.waf.enabled
    assert prod.custom_domain is not None


def test_dev_is_cheapest_and_has_no_custom_domain(plans):
    dev = plans["dev"].config
    assert dev.price_class == "PriceClass_100"
    assert dev.custom_domain is None
    assert not dev.waf.enabled


def test_throttling_grows_from_dev_to_prod(plans):
    rates = [plans[env].config.throttling.rate_limit for env in ("dev", "staging", "prod")]
    assert rates == sorted(rates) and len(set(rates)) == 3


def test_prod_serves_every_backend_kind(plans):
    assert {m.backend for m in plans["prod"].config.models} == {"reference", "sagemaker", "http"}


def test_no_secret_in_any_stack_file():
    from gitops.stacks.environments import ENVIRONMENTS_DIR
    for path in ENVIRONMENTS_DIR.glob("*/Pulumi.*.yaml"):
        text = path.read_text().lower()
        for word in ("password", "secret", "token", "apikey", "api_key"):
            assert word not in text, f"{path} mentions {word!r}; secrets must be generated or secure: values"
