from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dangjian.people"
    label = "people"
    verbose_name = "人员"

    def ready(self) -> None:
        # registers the "people.persons" Excel export with core.exports (also in the worker),
        # and the contributions to the orgs registries: persons follow restructuring (hook),
        # member counts and member-count rule checks
        from dangjian.people import exporting, indicators, orgchecks, restructure  # noqa: F401
