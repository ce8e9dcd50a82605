from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huxue.orgs import access
from huxue.web.selectors import member_home


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = access.memberships(request.user)
    return render(
        request,
        "web/home.html",
        {
            "memberships": memberships,
            "roles": access.roles_of(request.user),
            "member": member_home(request.user, now=timezone.now()),
        },
    )
