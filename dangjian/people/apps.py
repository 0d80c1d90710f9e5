from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dangjian.people"
    label = "people"
    verbose_name = "人员"

    def ready(self) -> None:
        # contributions to the orgs registries: persons follow restructuring (hook),
        # member counts and member-count rule checks
        from dangjian.people import orgchecks, restructure  # noqa: F401
