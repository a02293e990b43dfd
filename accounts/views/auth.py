from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import OwnPasswordChangeForm, SignInForm
from config.ratelimit import retry_after, sign_in_failed


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        """A failed sign-in counts against the client's address; past CAIJI_LOGIN_RATE a wrong
        password gets the form back with 429. The right password never comes here."""
        usage = sign_in_failed(self.request)
        if usage is None or not form.refuse_as_too_many_failures():
            return super().form_invalid(form)
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(retry_after(usage))
        return response


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = OwnPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.person_set_password(
            actor=request.user,  # type: ignore[arg-type]
            person=request.user,  # type: ignore[arg-type]
            password=form.cleaned_data["new_password1"],
            must_change=False,
        )
        request.user.refresh_from_db()
        update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    status = 422 if form.errors else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)
