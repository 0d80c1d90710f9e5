from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dangjian.dues"
    label = "dues"
    verbose_name = "党费"

    def ready(self) -> None:
        # contributions: Excel exports, member activity (paid-up month), reminders (arrears),
        # the dues.paid_on_time indicator, the ledger section (党费收缴台帐) and the demo loader
        from dangjian.core.registries import register_demo_loader
        from dangjian.dues import (  # noqa: F401
            activity,
            demo,
            exporting,
            indicators,
            ledger,
            reminders,
        )

        register_demo_loader(30, demo.load)
