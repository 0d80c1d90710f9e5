from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核评价"

    def ready(self) -> None:
        from dangjian.assessment import (
            nav,  # noqa: F401
            reports,  # noqa: F401  (the scores Excel export)
        )
