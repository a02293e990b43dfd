from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.models import Event
        from collection.signals import on_event_saved

        post_save.connect(on_event_saved, sender=Event, dispatch_uid="collection.crosscheck")
