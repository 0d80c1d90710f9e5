from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from dangjian.core import checks, crypto, periodic  # noqa: F401  (periodic: jobs)

        crypto.self_test()  # CRY-03: refuse to start with a broken SM3/SM4
        checks.register()
        autodiscover_modules("nav")
