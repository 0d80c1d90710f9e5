"""Organisation URLs: party organisations, units, departments, and the tree pickers."""

from django.urls import path

from dangjian.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("list/", views.org_list, name="list"),
    path("list/export/", views.org_export, name="export"),
    path("new/", views.org_create, name="create"),
    path("picker/", views.org_picker, name="picker"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/children/", views.org_tree_children, name="tree_children"),
    path("<int:pk>/edit/", views.org_edit, name="edit"),
    path("<int:pk>/<slug:action>/", views.org_restructure, name="restructure"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/list/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/picker/", views.unit_picker, name="unit_picker"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/children/", views.unit_tree_children, name="unit_tree_children"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("departments/", views.department_list, name="department_list"),
]
