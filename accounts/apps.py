from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Units and people")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from config.sessions import note_sign_in

        user_logged_in.connect(note_sign_in, dispatch_uid="caiji-session-idle")
