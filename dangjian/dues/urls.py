"""Dues URLs: roll-up, assessments, bills, payments, arrears, disclosure, own dues, rules."""

from django.urls import path

from dangjian.dues import views

app_name = "dues"
urlpatterns = [
    path("", views.rollup_view, name="rollup"),
    path("mine/", views.my_dues_view, name="mine"),
    path("assessments/", views.assessment_list_view, name="assessments"),
    path(
        "assessments/<int:person_id>/<int:year>/",
        views.assessment_edit,
        name="assessment_edit",
    ),
    path("assessments/<int:pk>/change/", views.assessment_change, name="assessment_change"),
    path("bills/", views.bill_list_view, name="bills"),
    path("bills/generate/", views.bill_generate, name="bill_generate"),
    path("payments/", views.payment_list_view, name="payments"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/new/<int:person_id>/", views.payment_new, name="payment_new"),
    path("arrears/", views.arrears_view, name="arrears"),
    path("disclosure/", views.disclosure_view, name="disclosure"),
    path("expenses/new/", views.expense_new, name="expense_new"),
    path("rules/", views.rules_view, name="rules"),
    path("export/<slug:key>/", views.export_view, name="export"),
    path("export/job/<uuid:uid>/", views.export_job, name="export_job"),
]
