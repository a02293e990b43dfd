from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import college_roles_of_user, unit_roles_of_user


def home(request: HttpRequest) -> HttpResponse:
    """My work: what waits for me in each of my roles (filled by the workflow)."""
    user = request.user
    return render(
        request,
        "review/home.html",
        {
            "unit_roles": unit_roles_of_user(user),  # type: ignore[arg-type]
            "college_roles": college_roles_of_user(user),  # type: ignore[arg-type]
            "work_items": [],
        },
    )
