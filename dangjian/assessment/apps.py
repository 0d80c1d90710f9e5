from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dangjian.assessment"
    label = "assessment"
    verbose_name = "考核评价"

    def ready(self) -> None:
        from dangjian.assessment import (
            demo,
            nav,  # noqa: F401
            reports,  # noqa: F401  (the scores Excel export)
        )
        from dangjian.assessment.selectors import rounds  # noqa: F401  (the rounds export)
        from dangjian.core.registries import register_demo_loader, register_record_files

        register_demo_loader(90, demo.load)  # after the ledgers: scores come from their records
        register_record_files(ATTACHMENT_FOLDER, _score_attachments)


ATTACHMENT_FOLDER = "assessment"  # ScoreAttachment.file's upload_to starts with it


def _score_attachments() -> list[str]:
    from dangjian.assessment.models import ScoreAttachment

    names = ScoreAttachment.objects.values_list("file", flat=True)
    return [name.removeprefix(f"{ATTACHMENT_FOLDER}/") for name in names]
