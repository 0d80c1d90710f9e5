from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "dangjian.ledgers"
    label = "ledgers"
    verbose_name = "标准化台帐"

    def ready(self) -> None:
        # the roster section and guarded placeholders for sections other apps own
        from dangjian.ledgers import periodic, sections  # noqa: F401
