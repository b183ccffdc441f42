from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "social"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.postgres.indexes import OpClass
        from django.db.models import OrderBy
        from django.db.models.functions import Collate
        from django.db.models.indexes import IndexExpression

        # The user search indexes put an operator class on an expression (models/users.py);
        # django.contrib.postgres registers OpClass as an index wrapper like this, but only
        # when it is installed, and without it the expression's SQL is invalid.
        IndexExpression.register_wrappers(OrderBy, OpClass, Collate)
