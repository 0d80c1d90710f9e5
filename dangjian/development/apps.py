from django.apps import AppConfig


class DevelopmentConfig(AppConfig):
    name = "dangjian.development"
    label = "development"
    verbose_name = "发展党员"

    def ready(self) -> None:
        # contributions: Excel export, reminders (to-do centre), indicator (assessment), the
        # ledger section (发展党员工作记录), demo
        from dangjian.core.registries import register_demo_loader
        from dangjian.development import (  # noqa: F401
            demo,
            exporting,
            indicators,
            ledger,
            reminders,
        )

        register_demo_loader(40, demo.load)
