from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RemindersConfig(AppConfig):
    name = "dangjian.reminders"
    label = "reminders"
    verbose_name = "提醒与待办"

    def ready(self) -> None:
        # Every app's ``reminders.py`` registers its rules with core.registries (like Django's
        # admin autodiscovery); the demo loader refreshes the to-do list after the demo data.
        autodiscover_modules("reminders")
        from dangjian.core.registries import register_demo_loader
        from dangjian.reminders import (
            demo,
            periodic,  # noqa: F401  (registers the hourly refresh)
        )

        register_demo_loader(900, demo.load)
