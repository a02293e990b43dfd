from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Review")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import Event
        from collection.files import contribution_access_set
        from review.access import get_contribution_for_user
        from review.notifications import on_event_saved

        post_save.connect(on_event_saved, sender=Event, dispatch_uid="review.notifications")
        # Who reads a contribution's upload on the 校验 pages (collection does not import review).
        contribution_access_set(get_contribution_for_user)
