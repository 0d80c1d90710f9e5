from django.apps import AppConfig


class OrglifeConfig(AppConfig):
    name = "dangjian.orglife"
    label = "orglife"
    verbose_name = "组织生活"

    def ready(self) -> None:
        # registries: Excel export of meetings, indicators for the assessment engine,
        # reminder rules and member activity for the to-do centre and lapse watch, demo loader
        from dangjian.core.registries import register_demo_loader, register_record_files
        from dangjian.orglife import demo, exporting, indicators, reminders  # noqa: F401
        from dangjian.orglife.services import UPLOAD_DIR

        register_demo_loader(30, demo.load)
        register_record_files(UPLOAD_DIR, _meeting_files)


def _meeting_files() -> list[str]:
    from dangjian.orglife.models import MeetingFile

    return list(MeetingFile.objects.values_list("stored_name", flat=True))
