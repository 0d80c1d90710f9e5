"""Menu entry of the home page."""

from dangjian.core.registries import NavItem, register_nav

register_nav(NavItem(section="工作台", label="首页", url_name="dashboard:home", icon="🏠", order=0))
