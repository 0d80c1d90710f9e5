from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    label = "transfers"
    verbose_name = "组织关系转接"

    def ready(self) -> None:
        # transfers/reminders.py (pending approvals, letters awaiting receipt, lapse watch) is
        # discovered by the reminders app; the demo loader adds a transfer and a letter.
        from dangjian.core.registries import register_demo_loader
        from dangjian.transfers import demo, indicators  # noqa: F401  (transfers.backlog)

        register_demo_loader(600, demo.load)
