from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "dangjian.surveys"
    label = "surveys"
    verbose_name = "满意度测评"
