from django.apps import AppConfig


class AppraisalConfig(AppConfig):
    name = "dangjian.appraisal"
    label = "appraisal"
    verbose_name = "民主评议党员"

    def ready(self) -> None:
        # the indicator for the assessment engine, the ledger section and the demo year
        from dangjian.appraisal import demo, indicators, ledger  # noqa: F401
        from dangjian.core.registries import register_demo_loader

        register_demo_loader(60, demo.load)
