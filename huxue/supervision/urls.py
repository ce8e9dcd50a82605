from django.urls import URLPattern, path

from huxue.supervision import views

app_name = "supervision"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("rounds/<int:pk>/items/<int:item>/", views.round_item, name="round_item"),
    path("rounds/<int:pk>/submit/", views.round_done, name="round_submit"),
    path("ranking/", views.ranking_page, name="ranking"),
    path("ranking.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("ranking.pdf", views.ranking_pdf, name="ranking_pdf"),
    path("hazards/", views.hazards, name="hazards"),
    path("hazards/new/", views.hazard_new, name="hazard_new"),
    path("hazards/<int:pk>/", views.hazard_page, name="hazard"),
    path("hazards/<int:pk>/step/", views.hazard_take, name="hazard_step"),
    path("hazards/<int:pk>/notices/<int:notice>.pdf", views.hazard_notice, name="hazard_notice"),
]
