from django.urls import path

from huxue.roster import exports, lead_views, views

app_name = "roster"
urlpatterns = [
    path("my/", views.my_shifts, name="my_shifts"),
    path("shifts/<int:shift_pk>/signup/", views.signup, name="signup"),
    path("signups/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("availability/", views.availability, name="availability"),
    path("availability/exception/", views.availability_exception, name="availability_exception"),
    path(
        "availability/exception/<int:pk>/delete/",
        views.exception_delete,
        name="availability_exception_delete",
    ),
    path("feed/", views.feed_issue, name="feed_issue"),
    path("ical/<str:token>.ics", views.ical, name="ical"),
    # Planning pages (school leads, stations, bureaus) and the member's swap request.
    path("lead/", lead_views.lead_index, name="lead"),
    path("schools/<int:pk>/week/", lead_views.grid_now, name="grid_now"),
    path("schools/<int:pk>/week/<str:monday>/", lead_views.grid, name="grid"),
    path("schools/<int:pk>/week/<str:monday>/solve/", lead_views.solve, name="solve"),
    path("schools/<int:pk>/week/<str:monday>/publish/", lead_views.publish, name="publish"),
    path("schools/<int:pk>/week/<str:monday>/xlsx/", exports.week_export, name="week_export"),
    path("runs/<int:pk>/", lead_views.run_detail, name="run"),
    path("lead/shifts/<int:pk>/", lead_views.shift_lead, name="shift_lead"),
    path("lead/shifts/<int:pk>/assign/", lead_views.assign, name="assign"),
    path("lead/assignments/<int:pk>/drop/", lead_views.drop, name="drop"),
    path("lead/signups/<int:pk>/answer/", lead_views.signup_answer, name="signup_answer"),
    path("lead/assignments/<int:pk>/lock/", lead_views.lock, name="lock"),
    path("lead/swaps/", lead_views.swap_list, name="swaps"),
    path("lead/swaps/<int:pk>/decide/", lead_views.swap_decision, name="swap_decide"),
    path("assignments/<int:pk>/swap/", lead_views.swap_ask, name="swap_ask"),
]
